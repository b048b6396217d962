//! Everything a [`Plugin`](crate::Plugin) keeps between notifications, in one
//! store: the stage history (for `broken`, `fixed`, `still_failing`), the record
//! of notifications handled (so that a forwarder's retry delivers nothing
//! twice), the outbox of deliveries not yet known to be sent, the time forms'
//! reminders, throttles, held messages and silences (`time.rs`), and a
//! key-value area for what notifiers keep (message ids per run and target).
//!
//! Three stores, chosen with [`State`] and given to
//! [`PluginBuilder::state`](crate::PluginBuilder::state):
//!
//! - [`State::memory`], the library's default: nothing survives the process.
//! - [`State::sqlite`] (feature `sqlite`, on with `server`): one file, the
//!   default of `notify-rules serve`. Each notification is one transaction in
//!   which its history, its handled record and the outbox entries of its
//!   deliveries commit together, synced to disk, before the first delivery is
//!   tried. Agent-status notifications likewise, with the agent's history.
//! - [`State::postgres`] (feature `postgres`): one database shared by several
//!   replicas; the handled record and the idempotency keys are unique in the
//!   database, transitions of one stage (of one agent) are decided in order
//!   under a lock of that stage (that agent), and waiting deliveries are claimed with a lease
//!   ([`OutboxPolicy::lease`](crate::plugin::OutboxPolicy::lease)).
//!
//! A database store that fails (PostgreSQL down, a SQLite file locked) is
//! tried again with bounded exponential backoff, from 200 ms to 10 s: in
//! between, notifications fail at once (answered 503 by the server) rather
//! than each waiting out a timeout, and what follows a delivery is always
//! tried.
//!
//! The schema is created and migrated when a store opens; a database whose
//! schema is newer than this build knows is refused, with both versions named.
//!
//! ```
//! use notify_rules::state::State;
//! use notify_rules::{rules, Delivery, NotifyError, Plugin};
//!
//! let dir = std::env::temp_dir().join(format!("doc-state-{}", std::process::id()));
//! let plugin = Plugin::builder(rules! { target ops; on state Failed => send(ops); })
//!     .notifier("ops", |_: &Delivery| -> Result<(), NotifyError> { Ok(()) })
//!     .state(State::sqlite(dir.join("notify-rules.db")))
//!     .build()?;
//! let body = r#"{"pipeline":{"name":"p","counter":"1","stage":{"name":"s","counter":"1","state":"Failed"}}}"#;
//! assert_eq!(plugin.handle("stage-status", body).code, 200);
//! drop(plugin);
//!
//! // The outbox of the same file, as `notify-rules outbox list` reads it.
//! let waiting = State::sqlite(dir.join("notify-rules.db")).outbox()?.list()?;
//! assert!(waiting.is_empty());
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod decide;
mod error;
mod kv;
mod memory;
// The memory store's outbox, and the policy and saved form every store's
// outbox follows.
pub(crate) mod outbox;
#[cfg(feature = "postgres")]
mod postgres;
/// How a PostgreSQL store's connections are secured (TLS, its CA).
#[cfg(feature = "postgres")]
pub use postgres::tls::PostgresTls;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod retry;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod rows;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;
// The SQLite store against the memory one.
#[cfg(all(test, feature = "sqlite"))]
mod tests;
// The backoff of a store out of reach.
#[cfg(all(test, feature = "sqlite"))]
mod retry_tests;
// Agent history in every store.
#[cfg(all(test, feature = "sqlite"))]
mod agent_tests;
// Insert-if-absent and held entries in every store.
#[cfg(all(test, feature = "sqlite"))]
mod kv_tests;
// The prune and the outbox ids of the database stores.
#[cfg(all(test, feature = "sqlite"))]
mod prune_tests;
// What waits per target, in every store.
#[cfg(all(test, feature = "sqlite"))]
mod waiting_tests;
// The time forms' tables: reminders, throttles, held messages, silences.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod decide_time;
mod memory_time;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod retry_time;
mod silences;
pub(crate) mod time;
pub use silences::SilenceOps;

use std::fmt;
use std::path::Path;
#[cfg(feature = "sqlite")]
use std::path::PathBuf;

use crate::failure::NotifyError;
use crate::history::{AgentRun, AgentSeen, HistoryLimits, Seen, StageRun};
use crate::rules::Delivery;
use crate::state::outbox::OutboxPolicy;

pub use error::StoreError;
pub use kv::KeyValue;
pub(crate) use memory::MemoryState;

/// A fresh delivery made by a notification, in the outbox and claimed by
/// the caller.
pub(crate) struct Claimed {
    /// `None` for a delivery that is not in the outbox: a memory store with
    /// nothing waiting skips writing it ahead (see [`StateStore::keep`]).
    pub(crate) id: Option<u64>,
    pub(crate) delivery: Delivery<'static>,
}

/// A waiting entry claimed from the outbox: send it, then say how it went.
pub(crate) struct Waiting {
    pub(crate) id: u64,
    pub(crate) delivery: Delivery<'static>,
}

/// Why an entry left the outbox without being delivered.
pub(crate) struct GaveUp {
    pub(crate) target: String,
    pub(crate) key: String,
    pub(crate) reason: String,
}

/// What recording a notification came to.
#[derive(Default)]
pub(crate) struct Recorded {
    /// Its fresh deliveries, claimed for the caller; empty for a repeat.
    pub(crate) fresh: Vec<Claimed>,
    /// Entries given up to make room for them.
    pub(crate) gave_up: Vec<GaveUp>,
}

/// The waiting entries claimed to try now.
#[derive(Default)]
pub(crate) struct Claim {
    pub(crate) claimed: Vec<Waiting>,
    /// Entries too old, given up instead.
    pub(crate) expired: Vec<GaveUp>,
}

/// What a plugin keeps, wherever it keeps it. Every method is one
/// transaction of the store.
pub(crate) trait StateStore: time::TimeStore + Send + Sync {
    /// Records a notification: takes its handled record (a repeat makes no
    /// deliveries), decides its transition from the stage's history, and
    /// writes ahead the deliveries `evaluate` makes from that, claimed for
    /// the caller, all at once. Nothing is kept when it fails. (The plugin
    /// records with [`TimeStore::record_timed`](time::TimeStore::record_timed),
    /// which runs the time forms and silences in the same transaction; the
    /// stores' own tests record without.)
    #[cfg_attr(not(all(test, feature = "sqlite")), allow(dead_code))]
    fn record(
        &self,
        run: &StageRun<'_>,
        evaluate: &mut dyn FnMut(Seen) -> Vec<Delivery<'static>>,
    ) -> Result<Recorded, StoreError>;

    /// Records an agent-status notification as [`record`](Self::record)
    /// does a stage's: takes its handled record (a repeat makes no
    /// deliveries), decides `lost` or `back` from the agent's history (see
    /// [`history`](crate::history#agents)), and writes ahead the deliveries
    /// `evaluate` makes from that, claimed for the caller, all at once.
    /// Nothing is kept when it fails. (The plugin records with
    /// [`TimeStore::record_timed`](time::TimeStore::record_timed);
    /// the stores' own tests record without.)
    #[cfg_attr(not(all(test, feature = "sqlite")), allow(dead_code))]
    fn record_agent(
        &self,
        run: &AgentRun<'_>,
        evaluate: &mut dyn FnMut(AgentSeen) -> Vec<Delivery<'static>>,
    ) -> Result<Recorded, StoreError>;

    /// Claims the entries to try now, oldest first: those due (all of them
    /// when `force`) whose lease is free, at most `per_target` per target.
    /// Entries too old are given up instead.
    fn claim(&self, force: bool, per_target: usize) -> Result<Claim, StoreError>;

    /// A claimed entry was sent (or never will be): it leaves the outbox.
    fn delivered(&self, id: u64) -> Result<(), StoreError>;

    /// A claimed entry failed: it waits longer, or is given up when the
    /// failure is permanent.
    fn failed(&self, id: u64, error: &NotifyError) -> Result<Vec<GaveUp>, StoreError>;

    /// A claimed entry was not tried after all.
    fn release(&self, id: u64) -> Result<(), StoreError>;

    /// Keeps a fresh delivery that was tried without being written ahead
    /// (`Claimed::id` `None`) and failed.
    fn keep(
        &self,
        delivery: &Delivery<'static>,
        error: &NotifyError,
    ) -> Result<Vec<GaveUp>, StoreError>;

    /// How many deliveries wait, as far as this process knows; cheap.
    fn waiting_len(&self) -> usize;

    /// Whether what the store holds outlives the process.
    fn is_durable(&self) -> bool;

    /// The operations on the outbox, for `notify-rules outbox`.
    fn list(&self) -> Result<Vec<WaitingEntry>, StoreError>;
    /// Makes the entries with these keys (all when `None`) due now; how many.
    fn retry(&self, keys: Option<&[String]>) -> Result<usize, StoreError>;
    /// Gives up the entries with these keys; how many there were.
    fn drop_keys(&self, keys: &[String]) -> Result<usize, StoreError>;

    /// The key-value area: a value kept under `space` and `key`.
    fn get(&self, space: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Keeps a value under `space` and `key`, replacing any, until
    /// `expires` (seconds since 1970) if given.
    fn put(
        &self,
        space: &str,
        key: &str,
        value: &[u8],
        expires: Option<u64>,
    ) -> Result<(), StoreError>;
    /// Forgets the value under `space` and `key`.
    fn remove(&self, space: &str, key: &str) -> Result<(), StoreError>;
    /// Keeps a value under `space` and `key` only when none is there, or
    /// the one there is past its end; whether it did. Atomic: of two calls
    /// at once (two replicas on one database), one alone gets `true`.
    fn put_new(
        &self,
        space: &str,
        key: &str,
        value: &[u8],
        expires: Option<u64>,
    ) -> Result<bool, StoreError>;

    // What `GET /metrics` shows per target.
    /// How many deliveries wait for each target that has any, counted in
    /// the store now (other processes and replicas add and remove entries
    /// too): one grouped count, made when `/metrics` is scraped.
    fn waiting_by_target(&self) -> Result<Vec<(String, usize)>, StoreError>;
}

/// One delivery waiting in the outbox, as `notify-rules outbox list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WaitingEntry {
    /// Its idempotency key.
    pub key: String,
    /// The target it is for.
    pub target: String,
    /// Tries that failed so far.
    pub attempts: u32,
    /// Why the last try failed (secrets already hidden), if one was made.
    pub last_error: Option<String>,
    /// When it is tried next, in seconds since 1970 (0: as soon as it can be).
    pub next_attempt: u64,
}

/// Where a plugin keeps its state: chosen by the library user, opened by
/// [`PluginBuilder::build`](crate::PluginBuilder::build).
#[derive(Clone)]
pub struct State {
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Memory(HistoryLimits),
    #[cfg(feature = "sqlite")]
    Sqlite(PathBuf),
    #[cfg(feature = "postgres")]
    Postgres(String, PostgresTls),
}

impl State {
    /// In memory, the default: lost when the program stops.
    pub fn memory() -> State {
        State::memory_with_limits(HistoryLimits::default())
    }

    /// In memory, keeping at most what `limits` allows of the history.
    ///
    /// ```
    /// use notify_rules::history::HistoryLimits;
    /// use notify_rules::state::State;
    ///
    /// let state = State::memory_with_limits(HistoryLimits { runs_per_stage: 10, handled: 1000 });
    /// assert_eq!(state.path(), None);
    /// ```
    pub fn memory_with_limits(limits: HistoryLimits) -> State {
        State {
            kind: Kind::Memory(limits),
        }
    }

    /// A SQLite file, created (with its directory) when missing; readable by
    /// its owner only on Unix. Needs the feature `sqlite`.
    #[cfg(feature = "sqlite")]
    pub fn sqlite(path: impl AsRef<Path>) -> State {
        State {
            kind: Kind::Sqlite(path.as_ref().to_owned()),
        }
    }

    /// A PostgreSQL database, `postgres://user:password@host:port/db`
    /// (or the key-value form `host=... user=...`), which several replicas
    /// may share. The password is never shown: not by `Debug`, nor in any
    /// error. Needs the feature `postgres`.
    ///
    /// ```
    /// use notify_rules::state::State;
    ///
    /// let state = State::postgres("postgres://notify:s3cret@db.example.com:5432/notify");
    /// assert!(!format!("{state:?}").contains("s3cret"));
    /// ```
    #[cfg(feature = "postgres")]
    pub fn postgres(url: impl Into<String>) -> State {
        State::postgres_with_tls(url, PostgresTls::default())
    }

    /// A PostgreSQL database as [`State::postgres`], its connections secured
    /// as `tls` says (a private CA's file, or plain text allowed off this
    /// machine). Needs the feature `postgres`.
    #[cfg(feature = "postgres")]
    pub fn postgres_with_tls(url: impl Into<String>, tls: PostgresTls) -> State {
        State {
            kind: Kind::Postgres(url.into(), tls),
        }
    }

    /// The SQLite file, when the state is in one.
    pub fn path(&self) -> Option<&Path> {
        match &self.kind {
            #[cfg(feature = "sqlite")]
            Kind::Sqlite(p) => Some(p),
            _ => None,
        }
    }

    /// Opens the store with this policy for its outbox.
    pub(crate) fn open(&self, policy: OutboxPolicy) -> Result<Box<dyn StateStore>, StoreError> {
        match &self.kind {
            Kind::Memory(limits) => Ok(Box::new(MemoryState::new(*limits, policy))),
            #[cfg(feature = "sqlite")]
            Kind::Sqlite(path) => Ok(Box::new(retry::Retrying::new(Box::new(
                sqlite::SqliteState::open(path, policy)?,
            )))),
            #[cfg(feature = "postgres")]
            Kind::Postgres(url, tls) => Ok(Box::new(retry::Retrying::new(Box::new(
                postgres::PostgresState::open(url, tls, policy)?,
            )))),
        }
    }

    /// The outbox of this store, to list, retry or drop what waits, while a
    /// server may be using it too.
    ///
    /// A memory store is refused: what it holds lives in the process that
    /// made it, so another would see an empty outbox and change nothing.
    ///
    /// ```
    /// use notify_rules::state::State;
    ///
    /// let refused = State::memory().outbox().unwrap_err();
    /// assert!(refused.to_string().contains("sqlite or postgres"), "{refused}");
    /// ```
    pub fn outbox(&self) -> Result<OutboxOps, StoreError> {
        Ok(OutboxOps {
            store: self.open_beside("outbox")?,
        })
    }

    /// Opens the store for operator commands beside a running server; a
    /// memory store, which no other process can reach, is refused.
    pub(crate) fn open_beside(&self, what: &str) -> Result<Box<dyn StateStore>, StoreError> {
        if matches!(self.kind, Kind::Memory(_)) {
            return Err(StoreError::lasting(
                "memory",
                format!(
                    "the {what} of a memory store lives inside the process that holds it \
                     (`serve`), where no command can reach it: set `[state] store` to \
                     sqlite or postgres to work on it from outside"
                ),
            ));
        }
        self.open(OutboxPolicy::default())
    }
}

impl Default for State {
    fn default() -> Self {
        State::memory()
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Memory(_) => f.write_str("State::memory"),
            #[cfg(feature = "sqlite")]
            Kind::Sqlite(p) => write!(f, "State::sqlite({})", p.display()),
            #[cfg(feature = "postgres")]
            Kind::Postgres(url, _) => write!(f, "State::postgres({})", error::where_is(url)),
        }
    }
}

/// The outbox of a store, for the operations commands (`notify-rules outbox
/// list|retry|drop`).
pub struct OutboxOps {
    store: Box<dyn StateStore>,
}

impl OutboxOps {
    /// The deliveries waiting, oldest first.
    pub fn list(&self) -> Result<Vec<WaitingEntry>, StoreError> {
        self.store.list()
    }

    /// Makes the deliveries with these keys (every one when `None`) due now:
    /// the server tries them at its next flush. Returns how many there were.
    pub fn retry(&self, keys: Option<&[String]>) -> Result<usize, StoreError> {
        self.store.retry(keys)
    }

    /// Gives up the deliveries with these keys; returns how many there were.
    pub fn drop_keys(&self, keys: &[String]) -> Result<usize, StoreError> {
        self.store.drop_keys(keys)
    }
}

impl fmt::Debug for OutboxOps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboxOps").finish_non_exhaustive()
    }
}

/// Milliseconds since 1970, the stores' clock.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
