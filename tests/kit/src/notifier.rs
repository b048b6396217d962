//! Notifiers for tests: closures a `Plugin` takes, which record what they are
//! given, count their tries, or fail.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use notify_rules::{Delivery, NotifyError};

/// What recording notifiers were given, in the order they were given it.
pub type Log = Arc<Mutex<Vec<String>>>;

/// A closure a `Plugin` takes as a notifier.
pub trait TestNotifier: Fn(&Delivery) -> Result<(), NotifyError> + Send + Sync + 'static {}
impl<F: Fn(&Delivery) -> Result<(), NotifyError> + Send + Sync + 'static> TestNotifier for F {}

/// Records each delivery as `target: text`.
pub fn recorder(log: &Log) -> impl TestNotifier {
    let log = log.clone();
    move |d: &Delivery| {
        log.lock()
            .unwrap()
            .push(format!("{}: {}", d.target(), d.text()));
        Ok(())
    }
}

/// Records each delivery's text.
pub fn text_recorder(log: &Log) -> impl TestNotifier {
    let log = log.clone();
    move |d: &Delivery| {
        log.lock().unwrap().push(d.text().to_owned());
        Ok(())
    }
}

/// Records as [`recorder`] does; fails (retryably) while `down` is set.
pub fn switchable(log: &Log, down: &Arc<AtomicBool>) -> impl TestNotifier {
    let (record, down) = (recorder(log), down.clone());
    move |d: &Delivery| {
        if down.load(Ordering::SeqCst) {
            return Err("connection refused".into());
        }
        record(d)
    }
}

/// Takes everything and sends nothing.
pub fn accept(_: &Delivery) -> Result<(), NotifyError> {
    Ok(())
}

/// Fails every time with `error`.
pub fn failing(error: NotifyError) -> impl TestNotifier {
    move |_: &Delivery| Err(error.clone())
}

/// Counts its tries in `tries`; fails (retryably, with `down`) the first
/// `failures` of them, then succeeds.
pub fn flaky(failures: usize, tries: &Arc<AtomicUsize>) -> impl TestNotifier {
    let tries = tries.clone();
    move |_: &Delivery| {
        if tries.fetch_add(1, Ordering::SeqCst) < failures {
            Err(NotifyError::retryable("down"))
        } else {
            Ok(())
        }
    }
}

/// Counts its deliveries in `count`.
pub fn counter(count: &Arc<AtomicUsize>) -> impl TestNotifier {
    flaky(0, count)
}

/// What the log holds, emptying it.
pub fn take(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

/// What the log holds, sorted: for deliveries made on several threads.
pub fn sorted(log: &Log) -> Vec<String> {
    let mut all = log.lock().unwrap().clone();
    all.sort();
    all
}
