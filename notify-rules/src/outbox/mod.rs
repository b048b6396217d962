//! Deliveries not yet known to be sent, kept to be tried again.
//!
//! Every fresh delivery is written here *before* its first try (write-ahead,
//! [`Outbox::begin`]), so a crash between recording a notification as handled
//! and sending its deliveries loses none of them; a fresh delivery whose
//! idempotency key is already waiting is not begun again, so it is never sent
//! twice. An entry is *claimed* before it is sent, so two threads never send the
//! same one; it leaves the outbox when it has been sent, when its notifier says
//! the failure is permanent, or when it is too old. With a file, every change
//! (retry count and next try included) is written (through [`Journal`]) before
//! it is acknowledged, so an entry survives a restart with its backoff, and a
//! delivered one is never sent again. The file keeps notifications with their
//! material credentials taken out, is private to its owner, and is locked
//! against a second process (see [`Journal`]).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::deliver::NotifyError;
use crate::journal::{wants_compaction, Journal, JournalError};
use crate::rules::Delivery;
use crate::util::{instant_after, lock, now_unix, show_age};
use saved::{restore, saved_line, Line, Saved};

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
}

impl Default for OutboxPolicy {
    /// First retry after 10 s, then doubling up to 10 min; give up after a day or
    /// past 10 000 entries.
    fn default() -> Self {
        OutboxPolicy {
            first_retry_after: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(600),
            max_age: Duration::from_secs(24 * 3600),
            capacity: 10_000,
        }
    }
}

struct Entry {
    delivery: Delivery<'static>,
    key: String,
    added_unix: u64,
    attempts: u32,
    next_attempt: Instant,
    /// `next_attempt` as wall-clock seconds, for the file.
    next_unix: u64,
    in_flight: bool,
}

/// A claimed entry: send it, then say how it went.
pub(crate) struct Claimed {
    /// `None` for a fresh delivery that is not in the outbox (see
    /// [`Outbox::needs_write_ahead`]).
    pub(crate) id: Option<u64>,
    pub(crate) delivery: Delivery<'static>,
}

/// A waiting entry claimed from the outbox: send it, then say how it went.
pub(crate) struct Waiting {
    pub(crate) id: u64,
    pub(crate) delivery: Delivery<'static>,
}

/// What writing a fresh delivery ahead of its first try came to.
pub(crate) struct Begun {
    /// The entry claimed for the caller; `None` when another thread is
    /// sending the entry with its key.
    pub(crate) id: Option<u64>,
    /// What had to be given up to make room.
    pub(crate) gave_up: Vec<GaveUp>,
    /// The file could not be written (the delivery is still tried).
    pub(crate) io: Option<JournalError>,
}

/// The waiting entries claimed to try now.
pub(crate) struct Claim {
    pub(crate) claimed: Vec<Waiting>,
    /// Entries too old, given up instead.
    pub(crate) expired: Vec<GaveUp>,
    pub(crate) io: Option<JournalError>,
}

/// What became of an entry that failed (again).
#[derive(Default)]
pub(crate) struct Settled {
    /// Entries given up: this one after a permanent failure, or others to
    /// make room for it.
    pub(crate) gave_up: Vec<GaveUp>,
    pub(crate) io: Option<JournalError>,
}

/// The outbox file could not be opened or read.
#[derive(Debug, thiserror::Error)]
#[error("outbox file {0}")]
pub(crate) struct OutboxError(#[source] JournalError);

/// Why an entry left the outbox without being delivered.
pub(crate) struct GaveUp {
    pub(crate) target: String,
    pub(crate) key: String,
    pub(crate) reason: String,
}

struct Inner {
    entries: BTreeMap<u64, Entry>,
    by_key: HashMap<String, u64>,
    next_id: u64,
    journal: Option<Journal>,
}

pub(crate) struct Outbox {
    /// Whether entries are written to a file, fixed when the outbox is made.
    durable: bool,
    inner: Mutex<Inner>,
    len: AtomicUsize,
    policy: OutboxPolicy,
}

impl Outbox {
    pub(crate) fn in_memory(policy: OutboxPolicy) -> Outbox {
        Outbox {
            durable: false,
            inner: Mutex::new(Inner {
                entries: BTreeMap::new(),
                by_key: HashMap::new(),
                next_id: 0,
                journal: None,
            }),
            len: AtomicUsize::new(0),
            policy,
        }
    }

    /// Opens the outbox kept in `path`; entries found there keep the wait their
    /// last failure set (one whose try was cut short by a crash is due at once).
    pub(crate) fn open(path: &Path, policy: OutboxPolicy) -> Result<Outbox, OutboxError> {
        let (mut journal, lines) = Journal::open::<Line>(path, "outbox").map_err(OutboxError)?;
        let mut outbox = Outbox::in_memory(policy);
        outbox.durable = true;
        {
            let mut inner = lock(&outbox.inner);
            // Replayed in file order; a later line about a waiting key updates
            // it in place, so entries stay oldest first.
            let mut live: Vec<Option<Box<Saved>>> = Vec::new();
            let mut index: HashMap<String, usize> = HashMap::new();
            for line in lines {
                match line {
                    Line::Add(saved) => match index.get(&saved.key) {
                        Some(&i) => live[i] = Some(saved),
                        None => {
                            index.insert(saved.key.clone(), live.len());
                            live.push(Some(saved));
                        }
                    },
                    Line::Done(key) => {
                        if let Some(i) = index.remove(&key) {
                            live[i] = None;
                        }
                    }
                }
            }
            let (now, now_secs) = (Instant::now(), now_unix());
            for saved in live.into_iter().flatten() {
                let key = saved.key.clone();
                let (delivery, added_unix, attempts, next_unix) = restore(saved);
                let id = inner.next_id;
                inner.next_id += 1;
                inner.by_key.insert(key.clone(), id);
                inner.entries.insert(
                    id,
                    Entry {
                        delivery,
                        key,
                        added_unix,
                        attempts,
                        next_attempt: instant_after(
                            now,
                            Duration::from_secs(next_unix.saturating_sub(now_secs)),
                        ),
                        next_unix,
                        in_flight: false,
                    },
                );
            }
            journal
                .rewrite(inner.entries.values().map(saved_line))
                .map_err(OutboxError)?;
            inner.journal = Some(journal);
            outbox.len.store(inner.entries.len(), Ordering::Release);
        }
        Ok(outbox)
    }

    /// Whether fresh deliveries must go in before their first try. A file needs
    /// them there so a crash while sending loses nothing; so does a waiting
    /// entry, which a fresh delivery with its key must not be sent beside. A
    /// memory outbox with nothing waiting gains nothing from it, and skipping it
    /// keeps the bookkeeping off GoCD's request; a delivery that then fails is
    /// put in with [`Outbox::keep`].
    pub(crate) fn needs_write_ahead(&self) -> bool {
        self.durable || self.len() > 0
    }

    /// Keeps a fresh delivery that was tried without being written ahead and
    /// failed; it waits like any failed entry. Returns a file error, if any.
    pub(crate) fn keep(&self, delivery: &Delivery<'static>, error: &NotifyError) -> Settled {
        let begun = self.begin(delivery);
        let Some(id) = begun.id else {
            // Another thread holds an entry with this key: it is kept already.
            return Settled {
                gave_up: begun.gave_up,
                io: begun.io,
            };
        };
        let mut settled = self.failed(id, error);
        settled.gave_up.splice(0..0, begun.gave_up);
        settled.io = begun.io.or(settled.io);
        settled
    }

    /// How many deliveries wait. Cheap: no lock.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
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
                io: None,
            };
        }
        let mut gave_up = Vec::new();
        let mut error = None;
        while inner.entries.len() >= self.policy.capacity.max(1) {
            let Some((&oldest, _)) = inner.entries.iter().find(|(_, e)| !e.in_flight) else {
                break;
            };
            if let Some(entry) = self.remove(&mut inner, oldest, &mut error) {
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
            in_flight: true,
        };
        let line = inner.journal.is_some().then(|| saved_line(&entry));
        let id = inner.next_id;
        inner.next_id += 1;
        inner.by_key.insert(key, id);
        inner.entries.insert(id, entry);
        if let Some(line) = line {
            log(&mut inner, &line, &mut error);
        }
        self.len.store(inner.entries.len(), Ordering::Release);
        Begun {
            id: Some(id),
            gave_up,
            io: error,
        }
    }

    /// Claims the entries to try now, oldest first: those due, or all of them
    /// when `force`, at most `per_target` for each target (the rest wait for the
    /// next time). Entries too old are given up instead.
    pub(crate) fn claim(&self, force: bool, per_target: usize) -> Claim {
        if self.len() == 0 {
            return Claim {
                claimed: Vec::new(),
                expired: Vec::new(),
                io: None,
            };
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
            } else if force || entry.next_attempt <= now {
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
        let mut error = None;
        let mut gave_up = Vec::new();
        for id in expired {
            if let Some(entry) = self.remove(&mut inner, id, &mut error) {
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
            io: error,
        }
    }

    /// A claimed entry was sent (or will never be): it leaves the outbox for good.
    pub(crate) fn delivered(&self, id: u64) -> Option<JournalError> {
        let mut inner = lock(&self.inner);
        let mut error = None;
        self.remove(&mut inner, id, &mut error);
        self.len.store(inner.entries.len(), Ordering::Release);
        error
    }

    /// A claimed entry was not tried after all (its target was down).
    pub(crate) fn release(&self, id: u64) {
        if let Some(entry) = lock(&self.inner).entries.get_mut(&id) {
            entry.in_flight = false;
        }
    }

    /// A claimed entry failed again: it waits longer, or is given up when the
    /// failure is permanent.
    pub(crate) fn failed(&self, id: u64, error: &NotifyError) -> Settled {
        let mut inner = lock(&self.inner);
        let mut io_error = None;
        if error.is_permanent() {
            let gave_up = self
                .remove(&mut inner, id, &mut io_error)
                .map(|entry| GaveUp {
                    target: entry.delivery.target().to_owned(),
                    key: entry.key,
                    reason: format!("{error} (permanent)"),
                });
            self.len.store(inner.entries.len(), Ordering::Release);
            return Settled {
                gave_up: gave_up.into_iter().collect(),
                io: io_error,
            };
        }
        let has_file = inner.journal.is_some();
        let Some(entry) = inner.entries.get_mut(&id) else {
            return Settled::default();
        };
        entry.attempts = entry.attempts.saturating_add(1);
        entry.in_flight = false;
        let factor = 1u32 << (entry.attempts - 1).min(16);
        let wait = self
            .policy
            .first_retry_after
            .saturating_mul(factor)
            .min(self.policy.max_retry_after);
        entry.next_attempt = instant_after(Instant::now(), wait);
        // Rounded up, so a restart never makes it due early.
        entry.next_unix = now_unix()
            .saturating_add(wait.as_secs())
            .saturating_add(u64::from(wait.subsec_nanos() > 0));
        // Kept in the file too, so a restart does not make every entry due at
        // once with its backoff forgotten.
        if has_file {
            let line = saved_line(entry);
            log(&mut inner, &line, &mut io_error);
        }
        Settled {
            gave_up: Vec::new(),
            io: io_error,
        }
    }

    fn remove(
        &self,
        inner: &mut Inner,
        id: u64,
        error: &mut Option<JournalError>,
    ) -> Option<Entry> {
        let entry = inner.entries.remove(&id)?;
        inner.by_key.remove(&entry.key);
        // Every fresh delivery passes through here: build the line only when
        // there is a file to write it to.
        if inner.journal.is_some() {
            log(inner, &Line::Done(entry.key.clone()), error);
        }
        Some(entry)
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

    pub(crate) fn path(&self) -> Option<std::path::PathBuf> {
        lock(&self.inner)
            .journal
            .as_ref()
            .map(|j| j.path().to_owned())
    }
}

/// Appends a line to the file, if there is one, and compacts it when it has
/// grown well past the entries.
fn log(inner: &mut Inner, line: &Line, error: &mut Option<JournalError>) {
    let live = inner.entries.len();
    let Inner {
        entries, journal, ..
    } = inner;
    let Some(journal) = journal.as_mut() else {
        return;
    };
    if let Err(e) = journal.append(line) {
        *error = Some(e);
        return;
    }
    if wants_compaction(journal.appended(), live) {
        if let Err(e) = journal.rewrite(entries.values().map(saved_line)) {
            *error = Some(e);
        }
    }
}

mod saved;
#[cfg(test)]
mod tests;
