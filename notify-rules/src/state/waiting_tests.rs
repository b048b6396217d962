//! What waits in the outbox per target (what `/metrics` shows), in every
//! store: entries written ahead and failed, counted by target, and gone
//! once delivered; two SQLite connections and two PostgreSQL replicas see
//! each other's.

use std::sync::Arc;

use super::sqlite::SqliteState;
use super::*;
use crate::history::HistoryLimits;
use crate::model::StageState;
use crate::plugin::test_support::{status, temp_file};

/// Records run `pc` of `api/test`, failed, with one delivery for each of
/// `targets`, and fails them all (they wait).
fn park(store: &dyn StateStore, pc: u64, targets: &[&'static str]) {
    let run = StageRun::new("api", pc, "test", 1, StageState::Failed);
    let recorded = store
        .record(&run, &mut |_| {
            let status = Arc::new(status("api", pc, "test", 1, "Failed"));
            targets
                .iter()
                .map(|t| Delivery::new(*t, "t", status.clone()))
                .collect()
        })
        .unwrap();
    let down = NotifyError::retryable("HTTP 503");
    for c in &recorded.fresh {
        let gave_up = match c.id {
            Some(id) => store.failed(id, &down).unwrap(),
            None => store.keep(&c.delivery, &down).unwrap(),
        };
        assert!(gave_up.is_empty());
    }
}

fn sorted(mut counts: Vec<(String, usize)>) -> Vec<(String, usize)> {
    counts.sort();
    counts
}

fn pairs(counts: &[(&str, usize)]) -> Vec<(String, usize)> {
    counts.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect()
}

/// `a` parks, `b` (the same store, or another connection to it) counts.
fn counts_by_target(a: &dyn StateStore, b: &dyn StateStore) {
    assert!(b.waiting_by_target().unwrap().is_empty());
    park(a, 1, &["ops", "audit"]);
    park(a, 2, &["ops"]);
    assert_eq!(
        sorted(b.waiting_by_target().unwrap()),
        pairs(&[("audit", 1), ("ops", 2)])
    );
    // Delivered: gone from the count.
    let claimed = b.claim(true, usize::MAX).unwrap().claimed;
    assert_eq!(claimed.len(), 3);
    for c in claimed.iter().filter(|c| c.delivery.target() == "ops") {
        b.delivered(c.id).unwrap();
    }
    for c in claimed.iter().filter(|c| c.delivery.target() == "audit") {
        b.release(c.id).unwrap();
    }
    assert_eq!(a.waiting_by_target().unwrap(), pairs(&[("audit", 1)]));
}

#[test]
fn memory_and_sqlite_count_what_waits_by_target() {
    let memory = MemoryState::new(HistoryLimits::default(), OutboxPolicy::default());
    counts_by_target(&memory, &memory);
    let (_dir, path) = temp_file("waiting");
    let a = SqliteState::open(&path, OutboxPolicy::default()).unwrap();
    let b = SqliteState::open(&path, OutboxPolicy::default()).unwrap();
    counts_by_target(&a, &b);
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_replicas_count_what_waits_by_target() {
    use super::postgres::PostgresState;

    let Some(url) = notify_rules_test_kit::postgres::database("unit_waiting") else {
        return;
    };
    let a = PostgresState::open(&url, &Default::default(), OutboxPolicy::default()).unwrap();
    let b = PostgresState::open(&url, &Default::default(), OutboxPolicy::default()).unwrap();
    counts_by_target(&a, &b);
}
