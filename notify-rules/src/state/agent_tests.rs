//! Agent history in every store: `lost` and `back` decided as
//! [`AgentHistoryState`] decides them, repeats, late notifications, bounds,
//! and the deliveries written ahead in the same transaction.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::sqlite::SqliteState;
use super::*;
use crate::history::agent_tests::run;
use crate::history::{AgentHistoryState, HistoryLimits};
use crate::model::AgentState;
use crate::plugin::test_support::{status, temp_file};
use crate::AgentTransition::{Back, Lost};

/// Numbers the deliveries, so that each has a key of its own.
static MADE: AtomicU64 = AtomicU64::new(0);

/// One stage delivery (agent deliveries are not made yet) for a new
/// notification, none for a repeat.
fn one(seen: AgentSeen) -> Vec<Delivery<'static>> {
    let AgentSeen::New(transition) = seen else {
        return Vec::new();
    };
    let n = MADE.fetch_add(1, Ordering::Relaxed);
    let text = transition.map_or("none", |t| t.as_str()).to_owned();
    let s = status("agents", n, "s", 1, "Failed");
    vec![Delivery::restored(
        "ops".into(),
        text,
        Arc::new(s),
        None,
        0,
        0,
    )]
}

/// What a store says of `run`, `None` for a repeat (which a store may not
/// evaluate at all), and what it recorded.
fn record(store: &dyn StateStore, run: &AgentRun<'_>) -> (Option<AgentSeen>, Recorded) {
    let mut seen = None;
    let recorded = store
        .record_agent(run, &mut |s| {
            seen = Some(s).filter(|s| *s != AgentSeen::Repeat);
            one(s)
        })
        .unwrap();
    (seen, recorded)
}

fn transition(store: &dyn StateStore, run: &AgentRun<'_>) -> Option<AgentSeen> {
    record(store, run).0
}

fn memory() -> MemoryState {
    MemoryState::new(HistoryLimits::default(), OutboxPolicy::default())
}

/// The sequence of the issue, repeats, late notifications and agents apart,
/// in one store; `durable` stores also show the deliveries written ahead.
fn decides_lost_and_back(store: &dyn StateStore, durable: bool) {
    use AgentState::*;
    let new = |t| Some(AgentSeen::New(t));
    let sequence = [Idle, Building, LostContact, LostContact, Missing, Idle];
    let seen: Vec<_> = sequence
        .into_iter()
        .zip(1..)
        .map(|(state, t)| transition(store, &run("a1", state, t)))
        .collect();
    assert_eq!(
        seen,
        [
            new(None),
            new(None),
            new(Some(Lost)),
            new(None),
            new(None),
            new(Some(Back))
        ]
    );
    // Exact repeats make nothing, and are not evaluated.
    let (seen, recorded) = record(store, &run("a1", LostContact, 3));
    assert_eq!(seen, None);
    assert!(recorded.fresh.is_empty());
    // Late: older than second 6 (Idle); it would be `lost`, and changes
    // nothing, so the next in order is still compared with Idle.
    assert_eq!(transition(store, &run("a1", Missing, 4)), new(None));
    assert_eq!(transition(store, &run("a1", Missing, 4)), None, "a repeat");
    assert_eq!(transition(store, &run("a1", Building, 7)), new(None));
    assert_eq!(
        transition(store, &run("a1", LostContact, 8)),
        new(Some(Lost))
    );
    // No time: in the order handled.
    let mut untimed = run("a1", Idle, 0);
    untimed.transition_time = None;
    assert_eq!(transition(store, &untimed), new(Some(Back)));
    assert_eq!(transition(store, &untimed), None);
    // Another agent has a history of its own.
    assert_eq!(transition(store, &run("a2", Missing, 1)), new(Some(Lost)));
    // The deliveries made were written ahead with the records, claimed for
    // the caller (a memory store with nothing waiting needs none).
    let (_, recorded) = record(store, &run("a2", Idle, 2));
    assert_eq!(recorded.fresh.len(), 1);
    assert_eq!(recorded.fresh[0].delivery.text(), "back");
    if durable {
        assert!(recorded.fresh[0].id.is_some());
        let waiting = store.list().unwrap();
        assert_eq!(waiting.len(), 12, "{waiting:?}");
        assert!(store.claim(true, usize::MAX).unwrap().claimed.is_empty());
    }
}

#[test]
fn the_memory_store_decides_lost_and_back() {
    decides_lost_and_back(&memory(), false);
}

#[test]
fn the_sqlite_store_decides_lost_and_back_and_keeps_it_across_a_reopen() {
    let (_dir, path) = temp_file("agents");
    let db = SqliteState::open(&path, OutboxPolicy::default()).unwrap();
    decides_lost_and_back(&db, true);
    drop(db);
    let db = SqliteState::open(&path, OutboxPolicy::default()).unwrap();
    assert_eq!(
        transition(&db, &run("a1", AgentState::LostContact, 3)),
        None,
        "a repeat"
    );
    assert_eq!(
        transition(&db, &run("a2", AgentState::Missing, 3)),
        Some(AgentSeen::New(Some(Lost)))
    );
}

/// Bounds with at most 2 agents and 3 handled records.
fn bounded(store: &dyn StateStore) {
    use AgentState::*;
    transition(store, &run("a", LostContact, 1));
    transition(store, &run("b", LostContact, 1));
    // `a` recorded again (late), so `b` is forgotten when `c` comes.
    transition(store, &run("a", Idle, 0));
    transition(store, &run("c", Idle, 1));
    // The first handled record is forgotten: not a repeat, but not newer
    // than the state kept either, so no transition.
    assert_eq!(
        transition(store, &run("a", LostContact, 1)),
        Some(AgentSeen::New(None))
    );
    // `b` was forgotten: compared with nothing, Idle is not `back`.
    assert_eq!(
        transition(store, &run("b", Idle, 2)),
        Some(AgentSeen::New(None))
    );
}

#[test]
fn agent_history_is_bounded_in_memory_and_in_sqlite() {
    let limits = HistoryLimits {
        runs_per_stage: 1,
        handled: 3,
    };
    bounded(&MemoryState::new(limits, OutboxPolicy::default()).with_max_agents(2));
    let (_dir, path) = temp_file("bounded");
    let db = SqliteState::open(&path, OutboxPolicy::default())
        .unwrap()
        .with_agent_limits(2, 3);
    bounded(&db);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let count = |table: &str| -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(count("agent_runs"), 2);
    assert_eq!(count("agent_handled"), 3);
}

#[test]
fn the_sqlite_store_decides_as_memory_does() {
    let (_dir, path) = temp_file("agents-same");
    let db = SqliteState::open(&path, OutboxPolicy::default()).unwrap();
    let mut history = AgentHistoryState::default();
    let states = [
        AgentState::Idle,
        AgentState::Building,
        AgentState::LostContact,
        AgentState::Missing,
        AgentState::Unknown,
    ];
    // A fixed walk with late ones and repeats among them.
    let mut x: u64 = 7;
    for _ in 0..300 {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let uuid = ["a", "b", "c"][(x >> 33) as usize % 3];
        let state = states[(x >> 40) as usize % states.len()].clone();
        let r = run(uuid, state, (x >> 50) as i64 % 40);
        let expected = history.record(&r);
        let (seen, recorded) = record(&db, &r);
        match expected {
            AgentSeen::Repeat => assert!(seen.is_none() && recorded.fresh.is_empty()),
            AgentSeen::New(_) => assert_eq!(seen, Some(expected), "{r:?}"),
        }
    }
}

#[test]
fn a_locked_file_keeps_nothing_of_an_agent_status() {
    let (_dir, path) = temp_file("agent-locked");
    let db = SqliteState::open(&path, OutboxPolicy::default()).unwrap();
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let lost = run("a1", AgentState::LostContact, 1);
    assert!(db.record_agent(&lost, &mut one).is_err());
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!(transition(&db, &lost), Some(AgentSeen::New(Some(Lost))));
}

#[cfg(feature = "postgres")]
mod postgres {
    use std::sync::atomic::AtomicUsize;

    use super::super::postgres::PostgresState;
    use super::*;

    fn store(url: &str) -> PostgresState {
        PostgresState::open(url, &Default::default(), OutboxPolicy::default()).unwrap()
    }

    #[test]
    fn the_postgres_store_decides_lost_and_back_and_is_bounded() {
        let Some(url) = notify_rules_test_kit::postgres::database("unit_agents") else {
            return;
        };
        decides_lost_and_back(&store(&url), true);
        let Some(url) = notify_rules_test_kit::postgres::database("unit_agents_bounded") else {
            return;
        };
        bounded(&store(&url).with_agent_limits(2, 3));
        let mut client = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
        let mut count = |table: &str| -> i64 {
            client
                .query_one(&format!("SELECT count(*) FROM {table}"), &[])
                .unwrap()
                .get(0)
        };
        assert_eq!(count("agent_runs"), 2);
        assert_eq!(count("agent_handled"), 3);
    }

    /// Two replicas, each on two threads, handed the same agent-status
    /// notifications in the same order: each is new once, and the
    /// transitions are those of one process.
    #[test]
    fn replicas_handle_each_agent_status_once_and_in_order() {
        let Some(url) = notify_rules_test_kit::postgres::database("unit_agents_replicas") else {
            return;
        };
        let replicas = [store(&url), store(&url)];
        let sequence: Vec<AgentRun<'static>> = (0..30)
            .map(|t| {
                let state = match t % 3 {
                    0 => AgentState::Idle,
                    1 => AgentState::LostContact,
                    _ => AgentState::Missing,
                };
                run("a1", state, t)
            })
            .collect();
        let mut memory = AgentHistoryState::default();
        let expected: Vec<AgentSeen> = sequence.iter().map(|r| memory.record(r)).collect();
        let news = AtomicUsize::new(0);
        let seen: Vec<std::sync::Mutex<Option<AgentSeen>>> =
            sequence.iter().map(|_| Default::default()).collect();
        std::thread::scope(|s| {
            for replica in &replicas {
                for _ in 0..2 {
                    s.spawn(|| {
                        for (r, slot) in sequence.iter().zip(&seen) {
                            if let Some(got) = transition(replica, r) {
                                news.fetch_add(1, Ordering::Relaxed);
                                *slot.lock().unwrap() = Some(got);
                            }
                        }
                    });
                }
            }
        });
        assert_eq!(news.into_inner(), sequence.len());
        let seen: Vec<AgentSeen> = seen
            .into_iter()
            .map(|s| s.into_inner().unwrap().unwrap())
            .collect();
        assert_eq!(seen, expected);
        assert_eq!(replicas[0].list().unwrap().len(), sequence.len());
    }
}
