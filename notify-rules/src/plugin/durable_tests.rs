//! Write-ahead delivery, no double sends across a restart, and a bounded
//! backlog inside a request.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::send::CLAIM_PER_TARGET;
use super::test_support::{body, rules, switchable, Log};
use super::*;
use crate::deliver::NotifyError;
use crate::rules::Delivery;
use crate::state::State;

fn one_try() -> RetryPolicy {
    RetryPolicy {
        attempts: 1,
        ..RetryPolicy::default()
    }
}

fn count(log: &Log, prefix: &str) -> usize {
    log.lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with(prefix))
        .count()
}

#[test]
fn a_delivery_is_in_the_database_before_its_first_try() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let crash = dir.path().join("crash");
    std::fs::create_dir(&crash).unwrap();
    let seen_ahead = Arc::new(AtomicBool::new(false));
    let ops = {
        let (db, crash, seen) = (db.clone(), crash.clone(), seen_ahead.clone());
        move |d: &Delivery| -> Result<(), NotifyError> {
            // Another connection, as `outbox list` would read it.
            let waiting = State::sqlite(&db).outbox().unwrap().list().unwrap();
            if waiting.iter().any(|w| w.key == d.idempotency_key()) {
                seen.store(true, Ordering::SeqCst);
            }
            // What a crash at this moment would leave on disk.
            for name in ["state.db", "state.db-wal"] {
                std::fs::copy(db.with_file_name(name), crash.join(name)).unwrap();
            }
            Ok(())
        }
    };
    // No lease, so that the copy's claim is free at once.
    let policy = OutboxPolicy {
        lease: Duration::ZERO,
        ..OutboxPolicy::default()
    };
    let p = Plugin::builder(rules())
        .notifier("ops", ops)
        .notifier("audit", |_: &Delivery| -> Result<(), NotifyError> {
            Ok(())
        })
        .state(State::sqlite(&db))
        .outbox_policy(policy)
        .build()
        .unwrap();
    let r = p.handle("stage-status", &body("api", 1, "test", 1, "Passed"));
    assert_eq!(r.body, r#"{"status":"success"}"#);
    assert!(seen_ahead.load(Ordering::SeqCst), "not written ahead");
    assert_eq!(p.outbox_len(), 0, "a sent delivery leaves the outbox");
    drop(p);

    // Restarted after a crash mid-send: the delivery is still there and goes
    // out; the notification itself was recorded as handled.
    let log = Log::default();
    let p = Plugin::builder(rules())
        .notifier("ops", switchable(&log, &Arc::default()))
        .notifier("audit", switchable(&log, &Arc::default()))
        .state(State::sqlite(crash.join("state.db")))
        .outbox_policy(policy)
        .build()
        .unwrap();
    assert_eq!(p.outbox_len(), 1);
    assert_eq!(p.flush_outbox().delivered, 1);
    assert_eq!(*log.lock().unwrap(), ["ops: api Passed "]);
    let r = p.handle("stage-status", &body("api", 1, "test", 1, "Passed"));
    assert_eq!(r.body, r#"{"status":"success"}"#);
    assert_eq!(log.lock().unwrap().len(), 1, "a repeat delivered again");
}

#[test]
fn a_repeat_after_a_restart_is_not_sent_twice_with_the_saved_entry() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let (log, down) = (Log::default(), Arc::new(AtomicBool::new(true)));
    let make = || {
        Plugin::builder(rules())
            .notifier("ops", switchable(&log, &down))
            .notifier("audit", switchable(&log, &Arc::default()))
            .state(State::sqlite(&db))
            .retry(one_try())
            .build()
            .unwrap()
    };
    let p = make();
    let notification = body("api", 1, "test", 1, "Failed");
    let v = p.handle("stage-status", &notification);
    assert!(v.body.contains("kept in the outbox"), "{}", v.body);
    assert_eq!(p.outbox_len(), 1);
    drop(p);

    down.store(false, Ordering::SeqCst);
    let p = make();
    // The retry is a repeat: nothing fresh; the saved entry goes out once.
    let r = p.handle("stage-status", &notification);
    assert_eq!(r.body, r#"{"status":"success"}"#);
    assert_eq!(p.flush_outbox().delivered, 1);
    assert_eq!(p.flush_outbox().delivered, 0, "sent twice");
    assert_eq!(count(&log, "ops"), 1, "{:?}", log.lock().unwrap());
    assert_eq!(p.outbox_len(), 0);
}

#[test]
fn a_request_tries_a_bounded_backlog_oldest_first() {
    let (log, down) = (Log::default(), Arc::new(AtomicBool::new(true)));
    let p = Plugin::builder(rules())
        .notifier("ops", switchable(&log, &down))
        .notifier("audit", switchable(&log, &Arc::default()))
        .retry(one_try())
        .outbox_policy(OutboxPolicy {
            first_retry_after: Duration::ZERO,
            ..OutboxPolicy::default()
        })
        .build()
        .unwrap();
    let backlog = CLAIM_PER_TARGET + 3;
    for pc in 1..=backlog as u64 {
        p.handle("stage-status", &body("api", pc, "test", 1, "Building"));
    }
    assert_eq!(p.outbox_len(), backlog);
    down.store(false, Ordering::SeqCst);
    // A repeat: no fresh delivery, only the backlog.
    let r = p.handle("stage-status", &body("api", 1, "test", 1, "Building"));
    assert_eq!(r.body, r#"{"status":"success"}"#);
    assert_eq!(p.outbox_len(), backlog - CLAIM_PER_TARGET);
    let sent: Vec<String> = log.lock().unwrap().clone();
    assert_eq!(sent.len(), CLAIM_PER_TARGET);
    assert!(sent.iter().all(|l| l == "ops: api Building "), "{sent:?}");
    assert_eq!(p.flush_outbox().delivered, backlog - CLAIM_PER_TARGET);
}

#[test]
fn no_backlog_is_tried_past_the_time_limit() {
    let (log, down) = (Log::default(), Arc::new(AtomicBool::new(true)));
    let p = Plugin::builder(rules())
        .notifier("ops", switchable(&log, &down))
        .notifier("audit", switchable(&log, &Arc::default()))
        .retry(RetryPolicy {
            max_total: Duration::ZERO,
            ..one_try()
        })
        .outbox_policy(OutboxPolicy {
            first_retry_after: Duration::ZERO,
            ..OutboxPolicy::default()
        })
        .build()
        .unwrap();
    p.handle("stage-status", &body("api", 1, "test", 1, "Building"));
    assert_eq!(p.outbox_len(), 1);
    down.store(false, Ordering::SeqCst);
    // The fresh delivery gets its try; the waiting one is left for later.
    let r = p.handle("stage-status", &body("api", 2, "test", 1, "Building"));
    assert_eq!(r.body, r#"{"status":"success"}"#);
    assert_eq!(count(&log, "ops"), 1);
    assert_eq!(p.outbox_len(), 1);
    assert_eq!(p.flush_outbox().delivered, 1);
    assert_eq!(count(&log, "ops"), 2);
}
