//! What the database stores keep past the prune, and their outbox ids: on a
//! SQLite file, whose rows are aged by hand through a connection of its own.

use super::rows;
use super::sqlite::SqliteState;
use super::tests::one;
use super::*;
use crate::model::StageState;
use crate::plugin::test_support::temp_file;
use crate::Transition::{Broken, StillFailing};

fn record(db: &SqliteState, pc: u64, stage: &str, state: StageState) -> (Seen, Recorded) {
    let run = StageRun::new("api", pc, stage, 1, state);
    let mut seen = None;
    let recorded = db
        .record(&run, &mut |s| {
            seen = Some(s);
            one(s, &run)
        })
        .unwrap();
    (seen.unwrap_or(Seen::Repeat), recorded)
}

#[test]
fn the_prune_keeps_each_stages_newest_completed_run_and_marks_what_it_drops() {
    let (_dir, path) = temp_file("prune");
    let db = SqliteState::open(&path, OutboxPolicy::default())
        .unwrap()
        .pruning_always();
    record(&db, 1, "test", StageState::Failed);
    record(&db, 2, "test", StageState::Building);
    record(&db, 2, "test", StageState::Passed);
    record(&db, 1, "deploy", StageState::Failed);
    let conn = rusqlite::Connection::open(&path).unwrap();
    // Everything so far handled 31 days ago.
    conn.execute("UPDATE stage_runs SET at = 0", []).unwrap();
    let rows_of = |stage: &str| -> i64 {
        conn.query_row(
            "SELECT count(*) FROM stage_runs WHERE stage = ?1",
            [stage],
            |r| r.get(0),
        )
        .unwrap()
    };

    // This one prunes: of `test` only its own row is left, and `test` is
    // marked; `deploy` keeps its newest completed run, however old.
    assert_eq!(
        record(&db, 3, "test", StageState::Failed).0,
        Seen::New(Some(Broken))
    );
    assert_eq!(rows_of("api/test"), 1);
    assert_eq!(rows_of("api/deploy"), 1);
    let trimmed: i64 = conn
        .query_row("SELECT count(*) FROM stages WHERE trimmed", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(trimmed, 1);
    assert_eq!(
        record(&db, 2, "deploy", StageState::Failed).0,
        Seen::New(Some(StillFailing))
    );
    // A run older than all `test` kept, its handled record pruned: new, but
    // with nothing to compare it with it makes no transition, and leaves the
    // history as it is.
    assert_eq!(
        record(&db, 2, "test", StageState::Passed).0,
        Seen::New(None)
    );
    assert_eq!(
        record(&db, 4, "test", StageState::Failed).0,
        Seen::New(Some(StillFailing))
    );
}

#[test]
fn an_outbox_id_another_key_holds_is_passed_over_and_a_waiting_key_is_found_by_its_own() {
    let (_dir, path) = temp_file("ids");
    let db = SqliteState::open(&path, OutboxPolicy::default()).unwrap();
    let run = StageRun::new("api", 1, "test", 1, StageState::Failed);
    let key = one(Seen::New(None), &run)[0].idempotency_key();
    let home = rows::outbox_id(&key);
    let conn = rusqlite::Connection::open(&path).unwrap();
    // A collision, as a 63-bit hash almost never makes one.
    conn.execute(
        "INSERT INTO outbox (id, key, target, delivery, added, next_attempt) \
         VALUES (?1, 'another/key', 'ops', '{}', 0, 4102444800000)",
        [home],
    )
    .unwrap();
    let (_, recorded) = record(&db, 1, "test", StageState::Failed);
    let id = recorded.fresh[0].id.unwrap();
    assert_eq!(id as i64, rows::next_id(home));
    db.failed(id, &"HTTP 500".into()).unwrap();
    let keys: Vec<String> = db.list().unwrap().into_iter().map(|e| e.key).collect();
    assert_eq!(keys, ["another/key".to_owned(), key]);

    // History forgot it (its row is gone): the same notification finds its
    // key waiting and claims that entry, rather than writing a second one.
    conn.execute("DELETE FROM stage_runs", []).unwrap();
    let (_, again) = record(&db, 1, "test", StageState::Failed);
    assert_eq!(again.fresh.len(), 1);
    assert_eq!(again.fresh[0].id, Some(id));
    assert_eq!(db.list().unwrap().len(), 2);
    // While that claim holds, a third try makes nothing.
    conn.execute("DELETE FROM stage_runs", []).unwrap();
    assert!(record(&db, 1, "test", StageState::Failed)
        .1
        .fresh
        .is_empty());
    db.delivered(id).unwrap();
    assert_eq!(db.list().unwrap().len(), 1);
}
