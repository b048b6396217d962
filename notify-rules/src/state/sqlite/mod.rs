//! The SQLite store: one file in WAL mode, one transaction per notification.
//!
//! A notification's transaction (its row of `stage_runs`, holding both its
//! handled record and its history, and its outbox entries) commits with
//! `synchronous = FULL`: it is on disk before the first delivery is tried.
//! What follows a delivery (the entry leaving, a failure counted, a claim)
//! commits with `NORMAL`: it is in the write-ahead log when the call returns,
//! so a `kill -9` (or any crash of the process) keeps it, and it is on disk
//! with the next full commit. Only a power cut (or a crash of the machine)
//! in between could undo it, and then one delivery would be sent again
//! rather than lost. That keeps one disk sync per notification.
//!
//! The delete could not wait for the next notification's transaction: a
//! `kill -9` in between would send the entry again, and there may be no next
//! notification for hours.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{params, Connection, ErrorCode, OptionalExtension};

use super::decide::{self, Shared};
use super::rows;
use super::sql;
use super::{now_ms, Claim, GaveUp, Recorded, StateStore, StoreError, WaitingEntry};
use crate::failure::NotifyError;
use crate::history::{AgentRun, AgentSeen, Seen, StageRun};
use crate::rules::Delivery;
use crate::state::outbox::OutboxPolicy;
use crate::util::{lock, show_age};

/// How long a write waits for another connection's (another process's)
/// transaction before it is an error.
const BUSY_WAIT: Duration = Duration::from_secs(5);

/// Statements kept prepared: every one a notification runs, and those of
/// the outbox, with room to spare (rusqlite's default of 16 would have them
/// parsed again in turn).
const STATEMENTS_CACHED: usize = 64;

fn count(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

/// The page size of a new file: half SQLite's default. A notification
/// changes a few small rows on two pages (its `stage_runs` leaf, its outbox
/// entry, a delivery's JSON fitting in one), and each page changed is a whole
/// frame in the log for the commit's sync to write: smaller pages, fewer
/// bytes synced.
const PAGE_SIZE: i64 = 2048;

mod claim;
mod record;
mod schema;
mod time;

use record::Tables;

pub(crate) struct SqliteState {
    conn: Mutex<Conn>,
    place: String,
    shared: Shared,
}

struct Conn {
    db: Connection,
    /// Whether commits are synced (`synchronous = FULL`) now.
    full: bool,
}

impl Conn {
    /// Sets how the next commits are synced, when it changes.
    fn synced(&mut self, full: bool) -> rusqlite::Result<()> {
        if self.full != full {
            // Twice per notification: kept prepared, not parsed each time.
            let pragma = if full {
                "PRAGMA synchronous = FULL"
            } else {
                "PRAGMA synchronous = NORMAL"
            };
            self.db.prepare_cached(pragma)?.execute([])?;
            self.full = full;
        }
        Ok(())
    }

    /// Runs one statement, kept prepared, outside a transaction.
    fn exec(&self, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
        self.db.prepare_cached(sql)?.execute(params)
    }
}

impl SqliteState {
    pub(crate) fn open(path: &Path, policy: OutboxPolicy) -> Result<SqliteState, StoreError> {
        let place = path.display().to_string();
        let fail = |e: rusqlite::Error| failure(&place, e);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::new(&place, format!("cannot create its directory: {e}"))
            })?;
        }
        create_private(path).map_err(|e| StoreError::new(&place, format!("cannot create: {e}")))?;
        let db = Connection::open(path).map_err(fail)?;
        db.busy_timeout(BUSY_WAIT).map_err(fail)?;
        db.set_prepared_statement_cache_capacity(STATEMENTS_CACHED);
        // Before the first table is made (a file made already keeps its own).
        db.pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(fail)?;
        let mode: String = db
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(fail)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::new(
                &place,
                format!(
                    "cannot use write-ahead logging (the file system gave journal mode {mode})"
                ),
            ));
        }
        db.pragma_update(None, "synchronous", "FULL")
            .map_err(fail)?;

        let mut conn = Conn { db, full: true };
        schema::migrate(&mut conn.db, &place)?;
        let waiting: i64 = conn
            .db
            .query_row(sql::OUTBOX_COUNT, [], |r| r.get(0))
            .map_err(fail)?;
        let shared = Shared::new(policy);
        shared.settle(usize::try_from(waiting).unwrap_or(0), 0);
        Ok(SqliteState {
            conn: Mutex::new(conn),
            place,
            shared,
        })
    }

    fn fail(&self, e: rusqlite::Error) -> StoreError {
        failure(&self.place, e)
    }

    /// Runs `f` in one immediate transaction (the write lock taken at once,
    /// so that what it reads is what it writes over), committed synced to
    /// disk when `full`; rolled back when it fails.
    fn in_tx<R, E: Into<TxError>>(
        &self,
        full: bool,
        f: impl FnOnce(&mut Tables<'_>) -> Result<R, E>,
    ) -> Result<R, StoreError> {
        let mut conn = lock(&self.conn);
        if !conn.db.is_autocommit() {
            // Left open by a panic while it ran.
            conn.exec("ROLLBACK", []).map_err(|e| self.fail(e))?;
        }
        conn.synced(full).map_err(|e| self.fail(e))?;
        // Kept prepared: rusqlite's `Transaction` parses these each time.
        conn.exec("BEGIN IMMEDIATE", []).map_err(|e| self.fail(e))?;
        let done = f(&mut Tables(&conn.db))
            .map_err(Into::into)
            .and_then(|r| conn.exec("COMMIT", []).map(|_| r).map_err(TxError::Db));
        done.map_err(|e| {
            if !conn.db.is_autocommit() {
                let _ = conn.exec("ROLLBACK", []);
            }
            match e {
                TxError::Db(e) => self.fail(e),
                TxError::Store(e) => e,
            }
        })
    }

    /// Keeps at most `agents` agents and `handled` handled agent-status
    /// notifications, pruning after every notification.
    #[cfg(test)]
    pub(crate) fn with_agent_limits(mut self, agents: i64, handled: i64) -> Self {
        self.shared.agents_kept = agents;
        self.shared.agent_handled_kept = handled;
        self.pruning_always()
    }

    /// Prunes in every notification's transaction.
    #[cfg(test)]
    pub(crate) fn pruning_always(mut self) -> Self {
        self.shared.prune_every = 1;
        self
    }
}

type TxError = decide::TxError<rusqlite::Error>;

/// The file made readable by its owner only, before SQLite opens it (SQLite
/// gives its `-wal` and `-shm` files the same mode).
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop)
}

/// A SQLite error in words that say what to do about it.
fn failure(place: &str, e: rusqlite::Error) -> StoreError {
    let message = match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => format!(
            "the file is locked by another program (waited {}): {e}",
            show_age(BUSY_WAIT)
        ),
        Some(ErrorCode::DiskFull) => format!("the disk is full: {e}"),
        Some(ErrorCode::ReadOnly | ErrorCode::PermissionDenied) => {
            format!("cannot write the file: {e}")
        }
        Some(ErrorCode::NotADatabase) => format!("not a SQLite database: {e}"),
        _ => e.to_string(),
    };
    StoreError::new(place, message)
}

fn i(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl StateStore for SqliteState {
    fn record(
        &self,
        run: &StageRun<'_>,
        evaluate: &mut dyn FnMut(Seen) -> Vec<Delivery<'static>>,
    ) -> Result<Recorded, StoreError> {
        let s = &self.shared;
        let w = self.in_tx(true, |t| {
            decide::record_stage(t, s, run, evaluate, decide::as_made)
        })?;
        s.settle(w.added, w.recorded.gave_up.len());
        Ok(w.recorded)
    }

    fn record_agent(
        &self,
        run: &AgentRun<'_>,
        evaluate: &mut dyn FnMut(AgentSeen) -> Vec<Delivery<'static>>,
    ) -> Result<Recorded, StoreError> {
        let s = &self.shared;
        let w = self.in_tx(true, |t| {
            decide::record_agent(t, s, run, evaluate, decide::as_made)
        })?;
        s.settle(w.added, w.recorded.gave_up.len());
        Ok(w.recorded)
    }

    fn claim(&self, force: bool, per_target: usize) -> Result<Claim, StoreError> {
        self.claim_due(force, per_target)
    }

    fn delivered(&self, id: u64) -> Result<(), StoreError> {
        // One statement, its own transaction: one page of the log, unsynced
        // (see the module's documentation).
        let mut conn = lock(&self.conn);
        conn.synced(false).map_err(|e| self.fail(e))?;
        let n = conn
            .exec(sql::OUTBOX_DELETE, [i(id)])
            .map_err(|e| self.fail(e))?;
        self.shared.settle(0, n);
        Ok(())
    }

    fn failed(&self, id: u64, error: &NotifyError) -> Result<Vec<GaveUp>, StoreError> {
        let policy = &self.shared.policy;
        let gave_up = self.in_tx(false, |t| decide::failed(t, policy, id, error))?;
        self.shared.settle(0, gave_up.len());
        Ok(gave_up)
    }

    fn release(&self, id: u64) -> Result<(), StoreError> {
        let mut conn = lock(&self.conn);
        conn.synced(false).map_err(|e| self.fail(e))?;
        conn.exec(sql::OUTBOX_RELEASE, [i(id)])
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    fn keep(
        &self,
        delivery: &Delivery<'static>,
        error: &NotifyError,
    ) -> Result<Vec<GaveUp>, StoreError> {
        // Every delivery is written ahead here, so there is nothing fresh to
        // keep; one made elsewhere goes in as a failed entry, synced.
        let s = &self.shared;
        let (added, gave_up) = self.in_tx(true, |t| decide::keep(t, s, delivery, error))?;
        s.settle(usize::from(added), gave_up.len());
        Ok(gave_up)
    }

    fn waiting_len(&self) -> usize {
        let conn = lock(&self.conn);
        // Another process (`outbox drop`) may have changed it.
        let n = conn
            .db
            .prepare_cached(sql::OUTBOX_COUNT)
            .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)));
        self.shared.waiting_now(n)
    }

    fn waiting_by_target(&self) -> Result<Vec<(String, usize)>, StoreError> {
        let conn = lock(&self.conn);
        let mut s = conn
            .db
            .prepare_cached(sql::OUTBOX_BY_TARGET)
            .map_err(|e| self.fail(e))?;
        s.query_map([], |r| Ok((r.get(0)?, count(r.get(1)?))))
            .and_then(Iterator::collect)
            .map_err(|e| self.fail(e))
    }

    fn is_durable(&self) -> bool {
        true
    }

    fn list(&self) -> Result<Vec<WaitingEntry>, StoreError> {
        let conn = lock(&self.conn);
        let mut s = conn
            .db
            .prepare(sql::OUTBOX_LIST)
            .map_err(|e| self.fail(e))?;
        s.query_map([], |r| {
            Ok(rows::entry(
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
            ))
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.fail(e))
    }

    fn retry(&self, keys: Option<&[String]>) -> Result<usize, StoreError> {
        let mut conn = lock(&self.conn);
        let tx = conn.db.transaction().map_err(|e| self.fail(e))?;
        let n = match keys {
            None => tx.execute("UPDATE outbox SET next_attempt = 0", []),
            Some(keys) => keys.iter().try_fold(0, |n, k| {
                tx.execute("UPDATE outbox SET next_attempt = 0 WHERE key = ?1", [k])
                    .map(|m| n + m)
            }),
        }
        .map_err(|e| self.fail(e))?;
        tx.commit().map_err(|e| self.fail(e))?;
        Ok(n)
    }

    fn drop_keys(&self, keys: &[String]) -> Result<usize, StoreError> {
        let mut conn = lock(&self.conn);
        let tx = conn.db.transaction().map_err(|e| self.fail(e))?;
        let n = keys
            .iter()
            .try_fold(0, |n, k| {
                tx.execute("DELETE FROM outbox WHERE key = ?1", [k])
                    .map(|m| n + m)
            })
            .map_err(|e| self.fail(e))?;
        tx.commit().map_err(|e| self.fail(e))?;
        Ok(n)
    }

    fn get(&self, space: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        lock(&self.conn)
            .db
            .query_row(
                "SELECT value FROM kv WHERE space = ?1 AND key = ?2 \
                 AND (expires IS NULL OR expires > ?3)",
                params![space, key, now_ms() / 1000],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.fail(e))
    }

    fn put(
        &self,
        space: &str,
        key: &str,
        value: &[u8],
        expires: Option<u64>,
    ) -> Result<(), StoreError> {
        let mut conn = lock(&self.conn);
        conn.synced(true).map_err(|e| self.fail(e))?;
        conn.db
            .execute(
                "INSERT INTO kv (space, key, value, expires) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT DO UPDATE SET value = excluded.value, expires = excluded.expires",
                params![space, key, value, expires.map(i)],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    fn put_new(
        &self,
        space: &str,
        key: &str,
        value: &[u8],
        expires: Option<u64>,
    ) -> Result<bool, StoreError> {
        let mut conn = lock(&self.conn);
        conn.synced(true).map_err(|e| self.fail(e))?;
        // A value past its end counts as absent: it is replaced in the same
        // statement, so no one else can take it in between.
        let n = conn
            .db
            .execute(
                "INSERT INTO kv (space, key, value, expires) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT DO UPDATE SET value = excluded.value, expires = excluded.expires \
                 WHERE kv.expires IS NOT NULL AND kv.expires <= ?5",
                params![space, key, value, expires.map(i), now_ms() / 1000],
            )
            .map_err(|e| self.fail(e))?;
        Ok(n == 1)
    }

    fn remove(&self, space: &str, key: &str) -> Result<(), StoreError> {
        lock(&self.conn)
            .db
            .execute(
                "DELETE FROM kv WHERE space = ?1 AND key = ?2",
                params![space, key],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }
}

impl std::fmt::Debug for SqliteState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteState")
            .field("path", &self.place)
            .finish()
    }
}
