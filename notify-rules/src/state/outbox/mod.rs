//! Deliveries not yet known to be sent, kept in memory to be tried again: the
//! outbox of the memory store ([`State::memory`](crate::state::State::memory));
//! the database stores keep theirs in a table with the same rules.
//!
//! A fresh delivery whose idempotency key is already waiting is not begun
//! again, so it is never sent twice. An entry is *claimed* before it is sent,
//! so two threads never send the same one; it leaves the outbox when it has
//! been sent, when its notifier says the failure is permanent, or when it is
//! too old. A [held](NotifyError::held) failure stays, untried, until
//! `outbox retry` makes it due (or it is too old).

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::failure::NotifyError;
use crate::rules::Delivery;
use crate::state::{Claim, GaveUp, Waiting, WaitingEntry};
use crate::util::{instant_after, lock, now_unix, show_age};

/// When and how long failed deliveries are kept and tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxPolicy {
    /// The wait before a failed delivery is tried again on a later request; it
    /// doubles after each failure.
    pub first_retry_after: Duration,
    /// The longest wait between two tries.
    pub max_retry_after: Duration,
    /// A delivery older than this is given up (and reported).
    pub max_age: Duration,
    /// At most this many deliveries are kept; past it the oldest is given up.
    pub capacity: usize,
    /// How long a claim on a waiting delivery holds in a shared database: a
    /// replica that dies while it sends has its claims tried by another once
    /// this has passed, and no entry is sent twice while it holds. Longer
    /// than a delivery's retries take (`RetryPolicy::max_total`).
    pub lease: Duration,
}

impl Default for OutboxPolicy {
    /// First retry after 10 s, then doubling up to 10 min; give up after a day or
    /// past 10 000 entries; claims held for 30 s.
    fn default() -> Self {
        OutboxPolicy {
            first_retry_after: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(600),
            max_age: Duration::from_secs(24 * 3600),
            capacity: 10_000,
            lease: Duration::from_secs(30),
        }
    }
}

struct Entry {
    delivery: Delivery<'static>,
    key: String,
    added_unix: u64,
    attempts: u32,
    next_attempt: Instant,
    /// `next_attempt` as wall-clock seconds, for `outbox list`.
    next_unix: u64,
    last_error: Option<String>,
    in_flight: bool,
}

/// What writing a fresh delivery ahead of its first try came to.
pub(crate) struct Begun {
    /// The entry claimed for the caller; `None` when another thread is
    /// sending the entry with its key.
    pub(crate) id: Option<u64>,
    /// What had to be given up to make room.
    pub(crate) gave_up: Vec<GaveUp>,
}

struct Inner {
    entries: BTreeMap<u64, Entry>,
    by_key: HashMap<String, u64>,
    next_id: u64,
}

pub(crate) struct Outbox {
    inner: Mutex<Inner>,
    len: AtomicUsize,
    policy: OutboxPolicy,
}

impl Outbox {
    pub(crate) fn in_memory(policy: OutboxPolicy) -> Outbox {
        Outbox {
            inner: Mutex::new(Inner {
                entries: BTreeMap::new(),
                by_key: HashMap::new(),
                next_id: 0,
            }),
            len: AtomicUsize::new(0),
            policy,
        }
    }

    /// Whether fresh deliveries must go in before their first try: when an
    /// entry waits, since a fresh delivery with its key must not be sent
    /// beside it. With nothing waiting, memory gains nothing from it, and
    /// skipping it keeps the bookkeeping off GoCD's request; a delivery that
    /// then fails is put in with [`Outbox::keep`].
    pub(crate) fn needs_write_ahead(&self) -> bool {
        self.len() > 0
    }

    /// Keeps a fresh delivery that was tried without being written ahead and
    /// failed; it waits like any failed entry.
    pub(crate) fn keep(&self, delivery: &Delivery<'static>, error: &NotifyError) -> Vec<GaveUp> {
        let begun = self.begin(delivery);
        let mut gave_up = begun.gave_up;
        // Without an id another thread holds an entry with this key: it is
        // kept already.
        if let Some(id) = begun.id {
            gave_up.extend(self.failed(id, error));
        }
        gave_up
    }

    /// How many deliveries wait. Cheap: no lock.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// How many deliveries wait for each target that has any, in target
    /// order.
    pub(crate) fn by_target(&self) -> Vec<(String, usize)> {
        let inner = lock(&self.inner);
        let mut counts = BTreeMap::<&str, usize>::new();
        for entry in inner.entries.values() {
            *counts.entry(entry.delivery.target()).or_default() += 1;
        }
        counts.into_iter().map(|(t, n)| (t.to_owned(), n)).collect()
    }

    /// Writes a fresh delivery ahead of its first try, claimed by the caller.
    /// When a delivery with the same idempotency key is already waiting, that
    /// entry is claimed instead (the repeat says its target may be back), or
    /// none when another thread is sending it: either way it is sent once.
    pub(crate) fn begin(&self, delivery: &Delivery<'static>) -> Begun {
        let key = delivery.idempotency_key();
        let mut inner = lock(&self.inner);
        if let Some(&id) = inner.by_key.get(&key) {
            let claimed = inner.entries.get_mut(&id).and_then(|e| {
                let free = !std::mem::replace(&mut e.in_flight, true);
                free.then_some(id)
            });
            return Begun {
                id: claimed,
                gave_up: Vec::new(),
            };
        }
        let mut gave_up = Vec::new();
        while inner.entries.len() >= self.policy.capacity.max(1) {
            let Some((&oldest, _)) = inner.entries.iter().find(|(_, e)| !e.in_flight) else {
                break;
            };
            if let Some(entry) = remove(&mut inner, oldest) {
                gave_up.push(GaveUp {
                    target: entry.delivery.target().to_owned(),
                    key: entry.key,
                    reason: "the outbox is full".into(),
                });
            }
        }
        let now_secs = now_unix();
        let entry = Entry {
            delivery: delivery.clone(),
            key: key.clone(),
            added_unix: now_secs,
            attempts: 0,
            next_attempt: Instant::now(),
            next_unix: now_secs,
            last_error: None,
            in_flight: true,
        };
        let id = inner.next_id;
        inner.next_id += 1;
        inner.by_key.insert(key, id);
        inner.entries.insert(id, entry);
        self.len.store(inner.entries.len(), Ordering::Release);
        Begun {
            id: Some(id),
            gave_up,
        }
    }

    /// Claims the entries to try now, oldest first: those due, or all of them
    /// when `force`, at most `per_target` for each target (the rest wait for the
    /// next time). Entries too old are given up instead.
    pub(crate) fn claim(&self, force: bool, per_target: usize) -> Claim {
        if self.len() == 0 {
            return Claim::default();
        }
        let now = Instant::now();
        let oldest_kept = now_unix().saturating_sub(self.policy.max_age.as_secs());
        let mut inner = lock(&self.inner);
        let mut claimed = Vec::new();
        let mut expired = Vec::new();
        let mut counts: HashMap<String, usize> = HashMap::new();
        for (&id, entry) in inner.entries.iter_mut() {
            if entry.in_flight {
                continue;
            }
            if entry.added_unix < oldest_kept {
                expired.push(id);
            } else if (force && !self.policy.is_held(entry.added_unix, entry.next_unix))
                || entry.next_attempt <= now
            {
                let target = entry.delivery.target();
                let count = match counts.get_mut(target) {
                    Some(count) => count,
                    None => counts.entry(target.to_owned()).or_insert(0),
                };
                if *count >= per_target {
                    continue;
                }
                *count += 1;
                entry.in_flight = true;
                claimed.push(Waiting {
                    id,
                    delivery: entry.delivery.clone(),
                });
            }
        }
        let mut gave_up = Vec::new();
        for id in expired {
            if let Some(entry) = remove(&mut inner, id) {
                gave_up.push(GaveUp {
                    target: entry.delivery.target().to_owned(),
                    key: entry.key,
                    reason: format!("not delivered within {}", show_age(self.policy.max_age)),
                });
            }
        }
        self.len.store(inner.entries.len(), Ordering::Release);
        Claim {
            claimed,
            expired: gave_up,
        }
    }

    /// A claimed entry was sent (or will never be): it leaves the outbox for good.
    pub(crate) fn delivered(&self, id: u64) {
        let mut inner = lock(&self.inner);
        remove(&mut inner, id);
        self.len.store(inner.entries.len(), Ordering::Release);
    }

    /// A claimed entry was not tried after all (its target was down).
    pub(crate) fn release(&self, id: u64) {
        if let Some(entry) = lock(&self.inner).entries.get_mut(&id) {
            entry.in_flight = false;
        }
    }

    /// A claimed entry failed again: it waits longer, or is given up when the
    /// failure is permanent.
    pub(crate) fn failed(&self, id: u64, error: &NotifyError) -> Vec<GaveUp> {
        let mut inner = lock(&self.inner);
        if error.is_permanent() && !error.is_held() {
            let gave_up = remove(&mut inner, id).map(|entry| GaveUp {
                target: entry.delivery.target().to_owned(),
                key: entry.key,
                reason: format!("{error} (permanent)"),
            });
            self.len.store(inner.entries.len(), Ordering::Release);
            return gave_up.into_iter().collect();
        }
        let Some(entry) = inner.entries.get_mut(&id) else {
            return Vec::new();
        };
        entry.attempts = entry.attempts.saturating_add(1);
        entry.in_flight = false;
        entry.last_error = Some(last_error(error));
        let wait = self.policy.after_failure(entry.attempts, error);
        entry.next_attempt = instant_after(Instant::now(), wait);
        entry.next_unix = now_unix().saturating_add(wait.as_secs());
        Vec::new()
    }

    /// The entries waiting, oldest first.
    pub(crate) fn list(&self) -> Vec<WaitingEntry> {
        lock(&self.inner)
            .entries
            .values()
            .map(|e| WaitingEntry {
                key: e.key.clone(),
                target: e.delivery.target().to_owned(),
                attempts: e.attempts,
                last_error: e.last_error.clone(),
                next_attempt: e.next_unix,
            })
            .collect()
    }

    /// Makes the entries with these keys (all when `None`) due now.
    pub(crate) fn retry(&self, keys: Option<&[String]>) -> usize {
        let (now, now_secs) = (Instant::now(), now_unix());
        let mut inner = lock(&self.inner);
        let mut n = 0;
        for e in inner.entries.values_mut() {
            if keys.is_none_or(|keys| keys.contains(&e.key)) {
                e.next_attempt = now;
                e.next_unix = now_secs;
                n += 1;
            }
        }
        n
    }

    /// Gives up the entries with these keys; how many there were.
    pub(crate) fn drop_keys(&self, keys: &[String]) -> usize {
        let mut inner = lock(&self.inner);
        let ids: Vec<u64> = keys
            .iter()
            .filter_map(|k| inner.by_key.get(k).copied())
            .collect();
        let n = ids
            .iter()
            .filter(|id| remove(&mut inner, **id).is_some())
            .count();
        self.len.store(inner.entries.len(), Ordering::Release);
        n
    }

    /// The keys waiting, oldest first.
    #[cfg(test)]
    pub(crate) fn keys(&self) -> Vec<String> {
        lock(&self.inner)
            .entries
            .values()
            .map(|e| e.key.clone())
            .collect()
    }
}

impl OutboxPolicy {
    /// The wait after the `attempts`-th failure: doubling from
    /// `first_retry_after`, at most `max_retry_after`.
    pub(crate) fn wait_after(&self, attempts: u32) -> Duration {
        let factor = 1u32 << attempts.saturating_sub(1).min(16);
        self.first_retry_after
            .saturating_mul(factor)
            .min(self.max_retry_after)
    }
}

impl OutboxPolicy {
    /// The wait after the `attempts`-th failure, which was `error`: at
    /// least what the receiver asked for; for a [held](NotifyError::held)
    /// failure, past the entry's end, so that only `outbox retry` tries it
    /// again (or its age gives it up, and reports it).
    pub(crate) fn after_failure(&self, attempts: u32, error: &NotifyError) -> Duration {
        if error.is_held() {
            return self.max_age.saturating_add(Duration::from_secs(60));
        }
        let wait = self.wait_after(attempts);
        error.wait().map_or(wait, |asked| wait.max(asked))
    }
}

impl OutboxPolicy {
    /// Whether an entry added and next tried at these times (seconds since
    /// 1970) is held: its next try is past its end, where
    /// [`after_failure`](Self::after_failure) puts a held failure. Even a
    /// forced flush leaves it; `outbox retry`, which makes it due now, does
    /// not.
    pub(crate) fn is_held(&self, added: u64, next: u64) -> bool {
        next > added.saturating_add(self.max_age.as_secs())
    }
}

/// What an entry that failed with `error` shows as its last error: for a
/// held failure, also what to do about it.
pub(crate) fn last_error(error: &NotifyError) -> String {
    if error.is_held() {
        format!("{error} (kept, not tried again until `notify-rules outbox retry`)")
    } else {
        error.to_string()
    }
}

fn remove(inner: &mut Inner, id: u64) -> Option<Entry> {
    let entry = inner.entries.remove(&id)?;
    inner.by_key.remove(&entry.key);
    Some(entry)
}

// The database stores' outbox rows, and every store's held messages and
// reminders (the time forms).
pub(crate) mod saved;
#[cfg(test)]
mod tests;
