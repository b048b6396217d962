//! The SQLite store: one file in WAL mode, one transaction per notification.
//!
//! A notification's transaction (handled record, history, outbox entries)
//! commits with `synchronous = FULL`: it is on disk before the first delivery
//! is tried. What follows a delivery (the entry leaving, a failure counted, a
//! claim) commits with `NORMAL`: it is safe from a crash of the process at
//! once, and on disk with the next full commit; only a power cut in between
//! could undo it, and then a delivery would be sent again rather than lost.
//! That keeps one disk sync per notification.

use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{params, Connection, ErrorCode, OptionalExtension, TransactionBehavior};

use super::rows::{self, ms, HANDLED_KEPT_MS, PRUNE_EVERY};
use super::{now_ms, Claim, Claimed, GaveUp, Recorded, StateStore, StoreError, WaitingEntry};
use crate::deliver::NotifyError;
use crate::history::{AgentRun, AgentSeen, HistoryLimits, Seen, StageRun, AGENTS_KEPT};
use crate::outbox::{saved, OutboxPolicy};
use crate::rules::Delivery;
use crate::util::{lock, show_age};

/// How long a write waits for another connection's (another process's)
/// transaction before it is an error.
const BUSY_WAIT: Duration = Duration::from_secs(5);

mod agent;
mod claim;
mod record;
mod schema;
mod time;

pub(crate) struct SqliteState {
    conn: Mutex<Conn>,
    place: String,
    policy: OutboxPolicy,
    runs_per_stage: i64,
    /// Agents whose newest state is kept, and agent-status notifications
    /// kept as handled.
    agents_kept: i64,
    agent_handled_kept: i64,
    /// Deliveries waiting, as far as this process has seen.
    waiting: AtomicUsize,
    recorded: AtomicU64,
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
            .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))
            .map_err(fail)?;
        Ok(SqliteState {
            conn: Mutex::new(conn),
            place,
            policy,
            runs_per_stage: HistoryLimits::default().runs_per_stage as i64,
            agents_kept: AGENTS_KEPT as i64,
            agent_handled_kept: rows::AGENT_HANDLED_KEPT,
            waiting: AtomicUsize::new(usize::try_from(waiting).unwrap_or(0)),
            recorded: AtomicU64::new(0),
        })
    }

    fn fail(&self, e: rusqlite::Error) -> StoreError {
        failure(&self.place, e)
    }

    fn lease_end(&self, now: i64) -> i64 {
        now.saturating_add(ms(self.policy.lease))
    }

    /// Keeps at most `agents` agents and `handled` handled agent-status
    /// notifications.
    #[cfg(test)]
    pub(crate) fn with_agent_limits(mut self, agents: i64, handled: i64) -> Self {
        self.agents_kept = agents;
        self.agent_handled_kept = handled;
        self
    }
}

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
        self.record_run(run, evaluate, None)
    }

    fn record_agent(
        &self,
        run: &AgentRun<'_>,
        evaluate: &mut dyn FnMut(AgentSeen) -> Vec<Delivery<'static>>,
    ) -> Result<Recorded, StoreError> {
        self.record_agent_run(run, evaluate)
    }

    fn claim(&self, force: bool, per_target: usize) -> Result<Claim, StoreError> {
        self.claim_due(force, per_target)
    }

    fn delivered(&self, id: u64) -> Result<(), StoreError> {
        let mut conn = lock(&self.conn);
        conn.synced(false).map_err(|e| self.fail(e))?;
        let n = conn
            .db
            .prepare_cached("DELETE FROM outbox WHERE id = ?1")
            .and_then(|mut s| s.execute([i(id)]))
            .map_err(|e| self.fail(e))?;
        self.waiting
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |w| {
                Some(w.saturating_sub(n))
            })
            .ok();
        Ok(())
    }

    fn failed(&self, id: u64, error: &NotifyError) -> Result<Vec<GaveUp>, StoreError> {
        let fail = |e| self.fail(e);
        let mut conn = lock(&self.conn);
        conn.synced(false).map_err(fail)?;
        if error.is_permanent() {
            let gave_up = conn
                .db
                .prepare_cached("DELETE FROM outbox WHERE id = ?1 RETURNING target, key")
                .and_then(|mut s| {
                    s.query_row([i(id)], |r| {
                        Ok(GaveUp {
                            target: r.get(0)?,
                            key: r.get(1)?,
                            reason: format!("{error} (permanent)"),
                        })
                    })
                    .optional()
                })
                .map_err(fail)?;
            if gave_up.is_some() {
                self.waiting
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |w| {
                        Some(w.saturating_sub(1))
                    })
                    .ok();
            }
            return Ok(gave_up.into_iter().collect());
        }
        let tx = conn.db.transaction().map_err(fail)?;
        let attempts: Option<i64> = tx
            .query_row("SELECT attempts FROM outbox WHERE id = ?1", [i(id)], |r| {
                r.get(0)
            })
            .optional()
            .map_err(fail)?;
        if let Some(attempts) = attempts {
            let attempts = attempts.saturating_add(1);
            let wait = self
                .policy
                .wait_after(u32::try_from(attempts).unwrap_or(u32::MAX));
            tx.prepare_cached(
                "UPDATE outbox SET attempts = ?2, last_error = ?3, next_attempt = ?4, \
                 lease_until = 0 WHERE id = ?1",
            )
            .and_then(|mut s| {
                s.execute(params![
                    i(id),
                    attempts,
                    error.to_string(),
                    now_ms().saturating_add(ms(wait))
                ])
            })
            .map_err(fail)?;
        }
        tx.commit().map_err(fail)?;
        Ok(Vec::new())
    }

    fn release(&self, id: u64) -> Result<(), StoreError> {
        let mut conn = lock(&self.conn);
        conn.synced(false).map_err(|e| self.fail(e))?;
        conn.db
            .prepare_cached("UPDATE outbox SET lease_until = 0 WHERE id = ?1")
            .and_then(|mut s| s.execute([i(id)]))
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    fn keep(
        &self,
        delivery: &Delivery<'static>,
        error: &NotifyError,
    ) -> Result<Vec<GaveUp>, StoreError> {
        // Every delivery is written ahead here, so there is nothing fresh to
        // keep; one made elsewhere goes in as a failed entry.
        let now = now_ms();
        let id: Option<i64> = {
            let mut conn = lock(&self.conn);
            conn.synced(true).map_err(|e| self.fail(e))?;
            conn.db
                .query_row(
                    "INSERT INTO outbox (key, target, delivery, added, next_attempt, lease_until) \
                     VALUES (?1, ?2, ?3, ?4, ?4, ?5) ON CONFLICT DO NOTHING RETURNING id",
                    params![
                        delivery.idempotency_key(),
                        delivery.target(),
                        saved::to_json(delivery),
                        now,
                        self.lease_end(now)
                    ],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| self.fail(e))?
        };
        match id {
            Some(id) => {
                self.waiting.fetch_add(1, Ordering::Relaxed);
                self.failed(id as u64, error)
            }
            None => Ok(Vec::new()),
        }
    }

    fn waiting_len(&self) -> usize {
        let conn = lock(&self.conn);
        // Another process (`outbox drop`) may have changed it.
        if let Ok(n) = conn
            .db
            .query_row("SELECT count(*) FROM outbox", [], |r| r.get::<_, i64>(0))
        {
            self.waiting
                .store(usize::try_from(n).unwrap_or(0), Ordering::Relaxed);
        }
        self.waiting.load(Ordering::Relaxed)
    }

    fn is_durable(&self) -> bool {
        true
    }

    fn list(&self) -> Result<Vec<WaitingEntry>, StoreError> {
        let conn = lock(&self.conn);
        let mut s = conn
            .db
            .prepare(
                "SELECT key, target, attempts, last_error, next_attempt FROM outbox ORDER BY id",
            )
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
