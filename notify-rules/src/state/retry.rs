//! A database store out of reach (PostgreSQL down, a SQLite file locked or on
//! a full disk) is tried again with bounded exponential backoff: neither
//! hammered by every request nor given up on.
//!
//! After an operation fails with a transient [`StoreError`], the store is
//! left alone for a wait that doubles with each failure in a row, from
//! [`FIRST_WAIT`] to [`MAX_WAIT`]. Meanwhile notifications, claims and the
//! key-value area fail at once with the last error and the time left (a
//! request is answered 503 and its sender tries again), instead of each
//! holding a thread for a connection timeout or a lock's wait. When the wait
//! is over, one operation tries the store; the first success ends it all.
//!
//! What follows a send (the entry delivered, its failure counted, a claim
//! released, a failed delivery kept) is never held back: an entry whose
//! delivery is not written stays leased, and is sent again when its lease
//! runs out; every such write gets its own try, and its success ends the
//! backoff too.

use std::time::{Duration, Instant};

use super::{Claim, GaveUp, Recorded, StateStore, StoreError, WaitingEntry};
use crate::failure::NotifyError;
use crate::history::{AgentRun, AgentSeen, Seen, StageRun};
use crate::rules::Delivery;
use crate::util::{lock, show_age};
use std::sync::Mutex;

/// The wait after a first failure.
pub(crate) const FIRST_WAIT: Duration = Duration::from_millis(200);
/// The longest wait: a store back is noticed within it.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(10);
/// How long the others are held back while one operation tries the store:
/// longer than any operation's own time limit (a SQLite lock's 5 s, a
/// connection's 5 s), so that they do not all try at once.
const TRYING: Duration = Duration::from_secs(15);

/// The wait after `failures` failures in a row (at least 1).
pub(crate) fn wait_after(first: Duration, max: Duration, failures: u32) -> Duration {
    first
        .saturating_mul(1 << failures.saturating_sub(1).min(20))
        .min(max)
}

struct Down {
    failures: u32,
    until: Instant,
    error: StoreError,
}

/// A store with its backoff.
pub(crate) struct Retrying {
    store: Box<dyn StateStore>,
    down: Mutex<Option<Down>>,
    first: Duration,
    max: Duration,
}

impl Retrying {
    pub(crate) fn new(store: Box<dyn StateStore>) -> Self {
        Retrying::with_waits(store, FIRST_WAIT, MAX_WAIT)
    }

    pub(crate) fn with_waits(store: Box<dyn StateStore>, first: Duration, max: Duration) -> Self {
        Retrying {
            store,
            down: Mutex::new(None),
            first,
            max,
        }
    }

    /// Whether the store may be tried now; when it may, the others wait
    /// while this one tries.
    fn gate(&self) -> Result<(), StoreError> {
        let mut down = lock(&self.down);
        let Some(d) = down.as_mut() else {
            return Ok(());
        };
        let now = Instant::now();
        if now < d.until {
            return Err(d.error.waiting(d.until - now));
        }
        d.until = now + TRYING;
        Ok(())
    }

    /// Notes how an operation went.
    fn outcome<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        let mut down = lock(&self.down);
        match &result {
            Ok(_) => {
                if let Some(d) = down.take() {
                    tracing::info!(failures = d.failures, "the state store answers again");
                }
            }
            Err(e) if e.is_transient() => {
                let failures = down.as_ref().map_or(0, |d| d.failures) + 1;
                let wait = wait_after(self.first, self.max, failures);
                tracing::warn!(
                    error = %e,
                    "the state store failed ({failures} in a row): tried again in {}",
                    show_age(wait)
                );
                *down = Some(Down {
                    failures,
                    until: Instant::now() + wait,
                    error: e.clone(),
                });
            }
            Err(_) => {
                // Not a matter of reach: retrying will not mend it.
                if let Some(d) = down.as_mut() {
                    d.until = Instant::now();
                }
            }
        }
        result
    }

    /// An operation held back while the store is left alone.
    pub(super) fn gated<T>(
        &self,
        op: impl FnOnce(&dyn StateStore) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.gate()?;
        self.outcome(op(&*self.store))
    }

    /// An operation always tried.
    fn always<T>(
        &self,
        op: impl FnOnce(&dyn StateStore) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.outcome(op(&*self.store))
    }
}

impl StateStore for Retrying {
    fn record(
        &self,
        run: &StageRun<'_>,
        evaluate: &mut dyn FnMut(Seen) -> Vec<Delivery<'static>>,
    ) -> Result<Recorded, StoreError> {
        self.gated(|s| s.record(run, evaluate))
    }

    fn record_agent(
        &self,
        run: &AgentRun<'_>,
        evaluate: &mut dyn FnMut(AgentSeen) -> Vec<Delivery<'static>>,
    ) -> Result<Recorded, StoreError> {
        self.gated(|s| s.record_agent(run, evaluate))
    }

    fn claim(&self, force: bool, per_target: usize) -> Result<Claim, StoreError> {
        self.gated(|s| s.claim(force, per_target))
    }

    fn delivered(&self, id: u64) -> Result<(), StoreError> {
        self.always(|s| s.delivered(id))
    }

    fn failed(&self, id: u64, error: &NotifyError) -> Result<Vec<GaveUp>, StoreError> {
        self.always(|s| s.failed(id, error))
    }

    fn release(&self, id: u64) -> Result<(), StoreError> {
        self.always(|s| s.release(id))
    }

    fn keep(
        &self,
        delivery: &Delivery<'static>,
        error: &NotifyError,
    ) -> Result<Vec<GaveUp>, StoreError> {
        self.always(|s| s.keep(delivery, error))
    }

    fn waiting_len(&self) -> usize {
        self.store.waiting_len()
    }

    fn waiting_by_target(&self) -> Result<Vec<(String, usize)>, StoreError> {
        // A scrape while the store is down answers at once.
        self.gated(|s| s.waiting_by_target())
    }

    fn is_durable(&self) -> bool {
        self.store.is_durable()
    }

    fn list(&self) -> Result<Vec<WaitingEntry>, StoreError> {
        self.gated(|s| s.list())
    }

    fn retry(&self, keys: Option<&[String]>) -> Result<usize, StoreError> {
        self.gated(|s| s.retry(keys))
    }

    fn drop_keys(&self, keys: &[String]) -> Result<usize, StoreError> {
        self.gated(|s| s.drop_keys(keys))
    }

    fn get(&self, space: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.gated(|s| s.get(space, key))
    }

    fn put(
        &self,
        space: &str,
        key: &str,
        value: &[u8],
        expires: Option<u64>,
    ) -> Result<(), StoreError> {
        self.gated(|s| s.put(space, key, value, expires))
    }

    fn remove(&self, space: &str, key: &str) -> Result<(), StoreError> {
        self.gated(|s| s.remove(space, key))
    }

    fn put_new(
        &self,
        space: &str,
        key: &str,
        value: &[u8],
        expires: Option<u64>,
    ) -> Result<bool, StoreError> {
        self.gated(|s| s.put_new(space, key, value, expires))
    }
}
