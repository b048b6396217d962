//! The stores against each other: the SQLite store decides as the memory one
//! does, keeps what it promised across a reopen, and says clearly what is
//! wrong with a file.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use proptest::prelude::*;

use super::sqlite::SqliteState;
use super::*;
use crate::history::{HistoryLimits, HistoryState};
use crate::model::StageState;
use crate::plugin::test_support::{status, temp_file};

/// One delivery per notification, named after it.
pub(super) fn one(seen: Seen, run: &StageRun<'_>) -> Vec<Delivery<'static>> {
    let Seen::New(transition) = seen else {
        return Vec::new();
    };
    let s = status(
        run.pipeline,
        run.pipeline_counter,
        run.stage,
        run.stage_counter,
        run.state.as_str(),
    );
    vec![Delivery::restored(
        "ops".into(),
        format!("{} {}", run.pipeline_counter, run.state),
        Arc::new(s),
        transition,
        0,
        0,
    )]
}

fn record(store: &dyn StateStore, run: &StageRun<'_>) -> (Option<Seen>, Recorded) {
    let mut seen = None;
    let recorded = store
        .record(run, &mut |s| {
            seen = Some(s);
            one(s, run)
        })
        .unwrap();
    (seen, recorded)
}

fn state(n: u8) -> StageState {
    match n % 4 {
        0 => StageState::Passed,
        1 => StageState::Failed,
        2 => StageState::Cancelled,
        _ => StageState::Building,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any order of notifications, late ones and repeats included: the SQLite
    /// store says what the in-memory history says.
    #[test]
    fn sqlite_decides_as_memory_does(runs in prop::collection::vec((1u64..6, 1u64..3, 0u8..4, 0u8..2), 1..40)) {
        let (_dir, path) = temp_file("same");
        let db = SqliteState::open(&path, OutboxPolicy::default()).unwrap();
        let mut memory = HistoryState::default();
        for (pc, sc, st, stage) in runs {
            let name = if stage == 0 { "test" } else { "Deploy" };
            let run = StageRun::new("api", pc, name, sc, state(st));
            let expected = memory.record(&run);
            let (seen, recorded) = record(&db, &run);
            match expected {
                Seen::Repeat => prop_assert!(recorded.fresh.is_empty()),
                Seen::New(_) => prop_assert_eq!(seen, Some(expected)),
            }
        }
    }
}

#[test]
fn what_was_recorded_survives_a_reopen_and_a_repeat_makes_nothing() {
    let (_dir, path) = temp_file("reopen");
    let db = SqliteState::open(&path, OutboxPolicy::default()).unwrap();
    let failed = StageRun::new("api", 1, "test", 1, StageState::Failed);
    let (_, recorded) = record(&db, &failed);
    let id = recorded.fresh[0].id.unwrap();
    db.failed(id, &"HTTP 500".into()).unwrap();
    drop(db);

    let db = SqliteState::open(&path, OutboxPolicy::default()).unwrap();
    assert_eq!(db.waiting_len(), 1);
    let listed = db.list().unwrap();
    assert_eq!(listed[0].attempts, 1);
    assert_eq!(listed[0].last_error.as_deref(), Some("HTTP 500"));
    let (seen, recorded) = record(&db, &failed);
    assert_eq!(seen, None, "a repeat is not evaluated");
    assert!(recorded.fresh.is_empty());
    let passed = StageRun::new("api", 2, "test", 1, StageState::Passed);
    assert_eq!(
        record(&db, &passed).0,
        Some(Seen::New(Some(crate::Transition::Fixed)))
    );
    // Its wait holds; forced, it is claimed once while the lease holds.
    assert!(db.claim(false, usize::MAX).unwrap().claimed.is_empty());
    let claimed = db.claim(true, usize::MAX).unwrap().claimed;
    assert_eq!(claimed.len(), 1);
    assert!(db.claim(true, usize::MAX).unwrap().claimed.is_empty());
    assert_eq!(claimed[0].delivery.text(), "1 Failed");
    db.delivered(claimed[0].id).unwrap();
}

#[test]
fn the_file_keeps_no_material_credentials_and_is_private() {
    let (_dir, path) = temp_file("secret");
    let db = SqliteState::open(&path, OutboxPolicy::default()).unwrap();
    let mut s = status("api", 1, "test", 1, "Failed");
    let body = serde_json::json!({
        "material": {"type": "git", "git-configuration": {
            "url": "https://deploy:hunter2@git.example.com/x.git", "branch": "main"}},
        "changed": true, "modifications": []
    });
    s.pipeline.build_cause = vec![serde_json::from_value(body).unwrap()];
    let d = Delivery::restored("ops".into(), "t".into(), Arc::new(s), None, 0, 0);
    let run = StageRun::new("api", 1, "test", 1, StageState::Failed);
    db.record(&run, &mut |_| vec![d.clone()]).unwrap();
    drop(db);
    for file in ["secret.db", "secret.db-wal"] {
        let bytes = std::fs::read(path.with_file_name(file)).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("hunter2"), "{file} holds the password");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
}

#[test]
fn a_newer_schema_is_refused_naming_both_versions() {
    let (_dir, path) = temp_file("newer");
    drop(SqliteState::open(&path, OutboxPolicy::default()).unwrap());
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute("INSERT INTO notify_rules_schema (version) VALUES (99)", [])
        .unwrap();
    drop(db);
    let e = SqliteState::open(&path, OutboxPolicy::default()).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("newer.db"), "{text}");
    assert!(
        text.contains("its schema is version 99, newer than this notify-rules knows (3)"),
        "{text}"
    );
    assert!(!e.is_transient());
}

#[test]
fn a_locked_file_is_a_clear_error_and_nothing_is_kept() {
    let (_dir, path) = temp_file("locked");
    let db = SqliteState::open(&path, OutboxPolicy::default()).unwrap();
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let run = StageRun::new("api", 1, "test", 1, StageState::Failed);
    let started = std::time::Instant::now();
    let e = match db.record(&run, &mut |s| one(s, &run)) {
        Err(e) => e,
        Ok(_) => panic!("recorded through a lock"),
    };
    assert!(started.elapsed() >= std::time::Duration::from_secs(4));
    assert!(
        e.to_string()
            .contains("the file is locked by another program"),
        "{e}"
    );
    assert!(e.is_transient());
    other.execute_batch("ROLLBACK").unwrap();
    // Nothing was acknowledged, so the retry is new, not a repeat.
    let (seen, recorded) = record(&db, &run);
    assert_eq!(seen, Some(Seen::New(Some(crate::Transition::Broken))));
    assert_eq!(recorded.fresh.len(), 1);
}

#[test]
fn one_notification_from_many_threads_is_new_once() {
    let (_dir, path) = temp_file("threads");
    let db = SqliteState::open(&path, OutboxPolicy::default()).unwrap();
    let memory = MemoryState::new(HistoryLimits::default(), OutboxPolicy::default());
    for store in [&db as &dyn StateStore, &memory] {
        let news = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for pc in 0..25 {
                        let run = StageRun::new("api", pc, "test", 1, StageState::Failed);
                        if matches!(record(store, &run).0, Some(Seen::New(_))) {
                            news.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(news.into_inner(), 25);
    }
}

#[test]
fn the_key_value_area_keeps_replaces_and_expires() {
    let (_dir, path) = temp_file("kv");
    let db = SqliteState::open(&path, OutboxPolicy::default()).unwrap();
    let memory = MemoryState::new(HistoryLimits::default(), OutboxPolicy::default());
    for store in [&db as &dyn StateStore, &memory] {
        store.put("ts", "deploy/1/ops", b"1.1", None).unwrap();
        store.put("ts", "deploy/1/ops", b"1.2", None).unwrap();
        store.put("ts", "gone", b"x", Some(1)).unwrap();
        assert_eq!(store.get("ts", "deploy/1/ops").unwrap().unwrap(), b"1.2");
        assert_eq!(store.get("other", "deploy/1/ops").unwrap(), None);
        assert_eq!(store.get("ts", "gone").unwrap(), None, "expired");
        store.remove("ts", "deploy/1/ops").unwrap();
        assert_eq!(store.get("ts", "deploy/1/ops").unwrap(), None);
    }
}

#[test]
fn outbox_operations_list_retry_and_drop_by_key() {
    let (_dir, path) = temp_file("ops");
    let db = SqliteState::open(&path, OutboxPolicy::default()).unwrap();
    for pc in 1..=3 {
        let run = StageRun::new("api", pc, "test", 1, StageState::Failed);
        let (_, r) = record(&db, &run);
        db.failed(r.fresh[0].id.unwrap(), &"down".into()).unwrap();
    }
    let keys: Vec<String> = db.list().unwrap().into_iter().map(|e| e.key).collect();
    assert_eq!(keys.len(), 3);
    assert!(db.claim(false, usize::MAX).unwrap().claimed.is_empty());
    assert_eq!(db.retry(Some(&keys[..1])).unwrap(), 1);
    assert_eq!(db.claim(false, usize::MAX).unwrap().claimed.len(), 1);
    assert_eq!(db.drop_keys(&keys[1..]).unwrap(), 2);
    assert_eq!(db.drop_keys(&keys[1..]).unwrap(), 0);
    assert_eq!(db.waiting_len(), 1);
}
