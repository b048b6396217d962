//! A store out of reach is left alone for a wait that doubles, then tried
//! again; what follows a delivery is always tried.

use std::time::{Duration, Instant};

use super::retry::{wait_after, Retrying, FIRST_WAIT, MAX_WAIT};
use super::sqlite::SqliteState;
use super::*;
use crate::model::StageState;
use crate::plugin::test_support::{body, rules, temp_file};
use crate::Plugin;

fn failed(pc: u64) -> StageRun<'static> {
    StageRun::new("api", pc, "test", 1, StageState::Failed)
}

fn nothing(_: Seen) -> Vec<Delivery<'static>> {
    Vec::new()
}

#[test]
fn the_wait_doubles_from_the_first_to_the_longest() {
    let waits: Vec<Duration> = [1, 2, 3, 6, 7, 1000, u32::MAX]
        .into_iter()
        .map(|n| wait_after(FIRST_WAIT, MAX_WAIT, n))
        .collect();
    let ms = Duration::from_millis;
    assert_eq!(
        waits,
        [
            ms(200),
            ms(400),
            ms(800),
            ms(6400),
            MAX_WAIT,
            MAX_WAIT,
            MAX_WAIT
        ]
    );
}

#[test]
fn a_locked_file_is_left_alone_longer_after_each_failure_then_tried_again() {
    let (_dir, path) = temp_file("backoff");
    let first = Duration::from_millis(300);
    let db = SqliteState::open(&path, OutboxPolicy::default()).unwrap();
    let store = Retrying::with_waits(Box::new(db), first, Duration::from_secs(5));
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let e = store.record(&failed(1), &mut nothing).err().unwrap();
    assert!(e.is_transient());
    // Left alone: the next fails at once, with the error and the wait.
    let started = Instant::now();
    let e = store.record(&failed(1), &mut nothing).err().unwrap();
    assert!(started.elapsed() < Duration::from_millis(200));
    let text = e.to_string();
    assert!(
        text.contains("the file is locked by another program"),
        "{text}"
    );
    assert!(text.contains("tried again in"), "{text}");
    assert!(e.is_transient());
    // After the wait it is tried (and waits out the lock) again; then the
    // wait is twice as long.
    std::thread::sleep(first);
    let started = Instant::now();
    assert!(store.record(&failed(2), &mut nothing).is_err());
    assert!(started.elapsed() >= Duration::from_secs(4), "not tried");
    std::thread::sleep(first);
    assert!(
        store.record(&failed(1), &mut nothing).is_err(),
        "tried early"
    );
    other.execute_batch("ROLLBACK").unwrap();
    // What follows a delivery is tried all the same, and its success ends
    // the wait.
    store.delivered(1).unwrap();
    let mut seen = None;
    store
        .record(&failed(1), &mut |s| {
            seen = Some(s);
            Vec::new()
        })
        .unwrap();
    assert_eq!(seen, Some(Seen::New(Some(crate::Transition::Broken))));
}

#[test]
fn a_plugin_answers_503_at_once_while_its_store_is_left_alone_and_200_after() {
    let (_dir, path) = temp_file("plugin-backoff");
    let p = Plugin::builder(rules())
        .notifier("ops", |_: &Delivery| -> Result<(), NotifyError> { Ok(()) })
        .notifier("audit", |_: &Delivery| -> Result<(), NotifyError> {
            Ok(())
        })
        .state(State::sqlite(&path))
        .build()
        .unwrap();
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let notification = body("api", 1, "test", 1, "Failed");
    assert_eq!(p.handle("stage-status", &notification).code, 503);
    let started = Instant::now();
    assert_eq!(p.handle("stage-status", &notification).code, 503);
    assert!(started.elapsed() < Duration::from_millis(150));
    other.execute_batch("ROLLBACK").unwrap();
    std::thread::sleep(FIRST_WAIT);
    let answer = p.handle("stage-status", &notification);
    assert_eq!(answer.code, 200, "{answer:?}");
}
