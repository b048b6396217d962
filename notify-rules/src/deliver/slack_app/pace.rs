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
        let pacer = Pacer::new(Duration::from_millis(300));
        let started = Instant::now();
        for _ in 0..3 {
            pacer.call("C1", || ());
        }
        assert!(started.elapsed() >= Duration::from_millis(600));
        // Another channel does not wait for the first's turn.
        let other = Instant::now();
        pacer.call("C2", || ());
        assert!(other.elapsed() < Duration::from_millis(250));
    }

    #[test]
    fn updates_that_come_faster_are_coalesced_to_the_latest() {
        let pacer = Arc::new(Pacer::new(Duration::from_millis(10)));
        let sent = Arc::new(Mutex::new(Vec::new()));
        // A call in flight holds the channel while four updates ask, in order.
        let (release, held) = std::sync::mpsc::channel::<()>();
        let busy = {
            let pacer = pacer.clone();
            std::thread::spawn(move || pacer.call("C1", || held.recv().ok()))
        };
        let gate = loop {
            if let Some(gate) = lock(&pacer.channels).get("C1").cloned() {
                break gate;
            }
            std::thread::yield_now();
        };
        // Until the call holds it.
        while gate.try_lock().is_ok() {
            std::thread::yield_now();
        }
        let updates: Vec<_> = (0..4u64)
            .map(|i| {
                let (mine, sent) = (pacer.clone(), sent.clone());
                let t = std::thread::spawn(move || {
                    matches!(
                        mine.update("C1", "m", || lock(&sent).push(i)),
                        Paced::Superseded
                    )
                });
                while lock(&pacer.latest).get("m") != Some(&i) {
                    std::thread::yield_now();
                }
                t
            })
            .collect();
        release.send(()).unwrap();
        busy.join().unwrap();
        let superseded = updates
            .into_iter()
            .map(|t| t.join().unwrap())
            .filter(|s| *s)
            .count();
        assert_eq!(*lock(&sent), [3]);
        assert_eq!(superseded, 3);
        assert!(lock(&pacer.latest).is_empty());
    }
}
