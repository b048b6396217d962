//! The key-value area's insert-if-absent, and held outbox entries, in every
//! store: one winner of a race (threads, connections, replicas), a value
//! past its end taken over, and a held failure kept, listed and untried
//! until `outbox retry`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::sqlite::SqliteState;
use super::*;
use crate::history::HistoryLimits;
use crate::model::StageState;
use crate::plugin::test_support::{status, temp_file};
use crate::util::now_unix;

fn memory() -> MemoryState {
    MemoryState::new(HistoryLimits::default(), OutboxPolicy::default())
}

/// Absent, present, past its end, removed.
fn inserts_only_when_absent(store: &dyn StateStore) {
    let later = Some(now_unix() + 3600);
    assert!(store.put_new("run", "api/1", b"a", later).unwrap());
    assert!(!store.put_new("run", "api/1", b"b", later).unwrap());
    assert_eq!(store.get("run", "api/1").unwrap().unwrap(), b"a");
    // Another space, another key.
    assert!(store.put_new("other", "api/1", b"c", None).unwrap());
    assert!(!store.put_new("other", "api/1", b"d", None).unwrap());
    // Past its end: taken over.
    store.put("run", "api/2", b"old", Some(1)).unwrap();
    assert!(store.put_new("run", "api/2", b"new", later).unwrap());
    assert_eq!(store.get("run", "api/2").unwrap().unwrap(), b"new");
    store.remove("run", "api/1").unwrap();
    assert!(store.put_new("run", "api/1", b"e", None).unwrap());
}

/// Every store of `stores` tried by four threads at once: one winner per key.
fn one_winner(stores: &[&dyn StateStore]) {
    for key in ["k1", "k2", "k3"] {
        let wins = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for store in stores {
                for t in 0..4u8 {
                    let wins = &wins;
                    s.spawn(move || {
                        if store.put_new("race", key, &[t], None).unwrap() {
                            wins.fetch_add(1, Ordering::Relaxed);
                        }
                    });
                }
            }
        });
        assert_eq!(wins.into_inner(), 1, "{key}");
    }
}

/// A held failure stays, says what to do, is not due, and `retry` makes it so.
fn keeps_held_failures(store: &dyn StateStore) {
    let run = crate::history::StageRun::new("held", 1, "test", 1, StageState::Failed);
    let recorded = store
        .record(&run, &mut |_| {
            vec![Delivery::new(
                "ops",
                "t",
                Arc::new(status("held", 1, "test", 1, "Failed")),
            )]
        })
        .unwrap();
    let held = NotifyError::held("Slack refused chat.postMessage: invalid_auth");
    let gave_up = match recorded.fresh[0].id {
        Some(id) => store.failed(id, &held).unwrap(),
        None => store.keep(&recorded.fresh[0].delivery, &held).unwrap(),
    };
    assert!(gave_up.is_empty());
    let listed = store.list().unwrap();
    assert_eq!(listed.len(), 1);
    let last = listed[0].last_error.clone().unwrap();
    assert!(
        last.contains("invalid_auth") && last.contains("outbox retry"),
        "{last}"
    );
    assert!(listed[0].next_attempt > now_unix() + 3600, "{listed:?}");
    assert!(store.claim(false, usize::MAX).unwrap().claimed.is_empty());
    // Not even a forced flush (what `serve` runs every `flush_interval`).
    assert!(store.claim(true, usize::MAX).unwrap().claimed.is_empty());
    assert_eq!(store.retry(None).unwrap(), 1);
    let claimed = store.claim(false, usize::MAX).unwrap().claimed;
    assert_eq!(claimed.len(), 1);
    store.delivered(claimed[0].id).unwrap();
    assert!(store.list().unwrap().is_empty());
}

#[test]
fn memory_and_sqlite_insert_only_when_absent() {
    let (_dir, path) = temp_file("kv-new");
    inserts_only_when_absent(&SqliteState::open(&path, OutboxPolicy::default()).unwrap());
    inserts_only_when_absent(&memory());
}

#[test]
fn one_insert_wins_among_threads_and_connections() {
    let (_dir, path) = temp_file("kv-race");
    let a = SqliteState::open(&path, OutboxPolicy::default()).unwrap();
    let b = SqliteState::open(&path, OutboxPolicy::default()).unwrap();
    one_winner(&[&a, &b]);
    one_winner(&[&memory()]);
}

#[test]
fn memory_and_sqlite_keep_held_failures_until_retried() {
    let (_dir, path) = temp_file("kv-held");
    keeps_held_failures(&SqliteState::open(&path, OutboxPolicy::default()).unwrap());
    keeps_held_failures(&memory());
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::super::postgres::PostgresState;
    use super::*;

    fn store(url: &str) -> PostgresState {
        PostgresState::open(url, &Default::default(), OutboxPolicy::default()).unwrap()
    }

    #[test]
    fn replicas_on_postgres_insert_once_and_keep_held_failures() {
        let Some(url) = notify_rules_test_kit::postgres::database("unit_kv_new") else {
            return;
        };
        let (a, b) = (store(&url), store(&url));
        inserts_only_when_absent(&a);
        one_winner(&[&a, &b]);
        keeps_held_failures(&b);
    }
}
