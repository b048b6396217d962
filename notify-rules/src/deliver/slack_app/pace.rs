//! Slack takes about one message a second per channel: calls to one channel
//! are spaced, and updates of one message that come faster are coalesced,
//! the latest text winning.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::util::lock;

/// What a paced update came to.
pub(super) enum Paced<T> {
    /// It was made.
    Done(T),
    /// A later update of the same message came while it waited: that one
    /// carries the newer text, so this one is not sent.
    Superseded,
}

/// The spacing of one process's calls, per channel.
pub(super) struct Pacer {
    interval: Duration,
    /// When each channel may be called next; its lock is held through a
    /// call, so calls to one channel go one at a time.
    channels: Mutex<HashMap<String, Arc<Mutex<Option<Instant>>>>>,
    /// The newest update asked for, per message.
    latest: Mutex<HashMap<String, u64>>,
    next: AtomicU64,
}

impl Pacer {
    pub(super) fn new(interval: Duration) -> Pacer {
        Pacer {
            interval,
            channels: Mutex::new(HashMap::new()),
            latest: Mutex::new(HashMap::new()),
            next: AtomicU64::new(0),
        }
    }

    pub(super) fn interval(&self) -> Duration {
        self.interval
    }

    /// Makes a call to `channel` once the one before is `interval` old.
    pub(super) fn call<T>(&self, channel: &str, call: impl FnOnce() -> T) -> T {
        self.gated(channel, || (call(), true))
    }

    /// Waits for `channel`'s turn, then runs `call`, which says whether it
    /// called Slack or found it had nothing to send.
    fn gated<T>(&self, channel: &str, call: impl FnOnce() -> (T, bool)) -> T {
        let gate = lock(&self.channels)
            .entry(channel.to_owned())
            .or_default()
            .clone();
        let mut next = lock(&gate);
        if let Some(at) = *next {
            let now = Instant::now();
            if at > now {
                std::thread::sleep(at - now);
            }
        }
        let (out, called) = call();
        if called {
            *next = Some(Instant::now() + self.interval);
        }
        out
    }

    /// Updates `message` in `channel`, unless a later update of it is asked
    /// for while this one waits its turn.
    pub(super) fn update<T>(
        &self,
        channel: &str,
        message: &str,
        update: impl FnOnce() -> T,
    ) -> Paced<T> {
        let mine = self.next.fetch_add(1, Ordering::Relaxed);
        lock(&self.latest).insert(message.to_owned(), mine);
        let newest = || lock(&self.latest).get(message).copied() == Some(mine);
        let out = self.gated(channel, || {
            let out = newest().then(update);
            let called = out.is_some();
            (out, called)
        });
        // The newest update of a message leaves no trace.
        let mut latest = lock(&self.latest);
        if latest.get(message) == Some(&mine) {
            latest.remove(message);
        }
        match out {
            Some(out) => Paced::Done(out),
            None => Paced::Superseded,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_to_one_channel_are_spaced() {
        let pacer = Pacer::new(Duration::from_millis(100));
        let started = Instant::now();
        for _ in 0..3 {
            pacer.call("C1", || ());
        }
        assert!(started.elapsed() >= Duration::from_millis(200));
        // Another channel does not wait.
        let other = Instant::now();
        pacer.call("C2", || ());
        assert!(other.elapsed() < Duration::from_millis(100));
    }

    #[test]
    fn updates_that_come_faster_are_coalesced_to_the_latest() {
        let pacer = Arc::new(Pacer::new(Duration::from_millis(300)));
        let sent = Arc::new(Mutex::new(Vec::new()));
        pacer.call("C1", || ());
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let (pacer, sent) = (pacer.clone(), sent.clone());
                let t = std::thread::spawn(move || {
                    matches!(
                        pacer.update("C1", "m", || lock(&sent).push(i)),
                        Paced::Superseded
                    )
                });
                // In order: each asks before the next.
                std::thread::sleep(Duration::from_millis(20));
                t
            })
            .collect();
        let superseded = threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .filter(|s| *s)
            .count();
        let sent = lock(&sent).clone();
        assert_eq!(sent.last(), Some(&3), "{sent:?}");
        assert_eq!(superseded + sent.len(), 4);
        assert!(superseded >= 2, "{sent:?}");
        assert!(lock(&pacer.latest).is_empty());
    }
}
