//! The PostgreSQL store: one database shared by several replicas.
//!
//! - A notification's transaction first takes a transaction-scoped advisory
//!   lock on its pipeline and stage, so that two replicas decide that stage's
//!   transitions one after the other, each seeing what the other committed.
//! - Its handled record is unique: of two replicas handed the same
//!   notification (a forwarder's retry, a load balancer's split), the second
//!   waits on the lock, then finds the record and makes nothing.
//! - Outbox entries are unique by idempotency key and claimed with
//!   `FOR UPDATE SKIP LOCKED` and a lease: a replica killed while it sends has
//!   its claims tried by another once the lease has run out, and none is sent
//!   twice while it holds.
//!
//! Times are each replica's clock; replicas are expected to keep theirs in
//! step (NTP) to well within the lease.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use postgres::NoTls;
use r2d2_postgres::PostgresConnectionManager;

use super::error::where_is;
use super::rows::{self, ms, HANDLED_KEPT_MS, PRUNE_EVERY};
use super::{now_ms, Claim, Claimed, GaveUp, Recorded, StateStore, StoreError, WaitingEntry};
use crate::deliver::NotifyError;
use crate::history::{AgentRun, AgentSeen, HistoryLimits, Seen, StageRun, AGENTS_KEPT};
use crate::outbox::{saved, OutboxPolicy};
use crate::rules::Delivery;
use crate::util::show_age;

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;
type Client = r2d2::PooledConnection<PostgresConnectionManager<NoTls>>;

/// How long a connection is waited for: at start (so an unreachable server
/// stops `serve` within 10 seconds), and for each request (answered 503
/// after it).
const CONNECT_WAIT: Duration = Duration::from_secs(5);

mod agent;
mod record;
mod time;

/// Each migration takes the schema from its index to the next version.
const MIGRATIONS: &[&str] = &[
    include_str!("v1.sql"),
    include_str!("v2.sql"),
    // The time forms and silences (`time.rs`).
    include_str!("v3.sql"),
];

/// The advisory lock migrations take, so replicas starting together migrate
/// one at a time ("notify-r" in ASCII).
const MIGRATION_LOCK: i64 = 0x6e6f_7469_6679_2d72;

pub(crate) struct PostgresState {
    /// Always there but while dropping (see `Drop`).
    pool: Option<Pool>,
    place: String,
    policy: OutboxPolicy,
    runs_per_stage: i64,
    /// Agents whose newest state is kept, and agent-status notifications
    /// kept as handled.
    agents_kept: i64,
    agent_handled_kept: i64,
    /// Deliveries waiting, as far as this replica has seen.
    waiting: AtomicUsize,
    recorded: AtomicU64,
}

impl PostgresState {
    pub(crate) fn open(url: &str, policy: OutboxPolicy) -> Result<PostgresState, StoreError> {
        let place = where_is(url);
        // The parser's message never repeats the text it was given.
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e| StoreError::lasting(&place, format!("the address cannot be read: {e}")))?;
        config.connect_timeout(CONNECT_WAIT);
        config.application_name("notify-rules");
        let pool = r2d2::Pool::builder()
            .max_size(16)
            .min_idle(Some(1))
            .connection_timeout(CONNECT_WAIT)
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build(PostgresConnectionManager::new(config, NoTls))
            .map_err(|e| StoreError::new(&place, format!("cannot reach the database: {e}")))?;
        let store = PostgresState {
            pool: Some(pool),
            place,
            policy,
            runs_per_stage: HistoryLimits::default().runs_per_stage as i64,
            agents_kept: AGENTS_KEPT as i64,
            agent_handled_kept: rows::AGENT_HANDLED_KEPT,
            waiting: AtomicUsize::new(0),
            recorded: AtomicU64::new(0),
        };
        store.migrate()?;
        store.waiting_len();
        Ok(store)
    }

    fn client(&self) -> Result<Client, StoreError> {
        let Some(pool) = &self.pool else {
            return Err(StoreError::new(&self.place, "the store is closing"));
        };
        pool.get()
            .map_err(|e| StoreError::new(&self.place, format!("cannot reach the database: {e}")))
    }

    fn fail(&self, e: postgres::Error) -> StoreError {
        let message = if e.is_closed() {
            format!("the connection to the database was lost: {e}")
        } else {
            e.to_string()
        };
        StoreError::new(&self.place, message)
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

    fn migrate(&self) -> Result<(), StoreError> {
        let fail = |e| self.fail(e);
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(fail)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(fail)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS notify_rules_schema (version INTEGER NOT NULL)",
        )
        .map_err(fail)?;
        let found: i32 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM notify_rules_schema",
                &[],
            )
            .map_err(fail)?
            .get(0);
        if found as usize > MIGRATIONS.len() {
            return Err(rows::newer_schema(
                &self.place,
                i64::from(found),
                MIGRATIONS.len(),
            ));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            tx.batch_execute(sql).map_err(fail)?;
            tx.execute(
                "INSERT INTO notify_rules_schema (version) VALUES ($1)",
                &[&(i as i32 + 1)],
            )
            .map_err(fail)?;
        }
        tx.commit().map_err(fail)
    }

    fn less_waiting(&self, n: usize) {
        self.waiting
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |w| {
                Some(w.saturating_sub(n))
            })
            .ok();
    }
}

impl Drop for PostgresState {
    /// The clients close their connections by blocking on a runtime of their
    /// own, which panics on an async runtime's thread (where a server drops
    /// its plugin): they are closed on a thread of their own.
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

fn i(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl StateStore for PostgresState {
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
        let fail = |e| self.fail(e);
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(fail)?;
        let now = now_ms();
        let mut claim = Claim::default();
        let reason = format!("not delivered within {}", show_age(self.policy.max_age));
        for row in tx
            .query(
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE added < $1 \
                 AND lease_until <= $2 FOR UPDATE SKIP LOCKED) RETURNING target, key",
                &[&(now - ms(self.policy.max_age)), &now],
            )
            .map_err(fail)?
        {
            claim.expired.push(GaveUp {
                target: row.get(0),
                key: row.get(1),
                reason: reason.clone(),
            });
        }
        let due = tx
            .query(
                "SELECT id, key, target, delivery FROM outbox \
                 WHERE lease_until <= $1 AND ($2 OR next_attempt <= $1) \
                 ORDER BY id LIMIT 10000 FOR UPDATE SKIP LOCKED",
                &[&now, &force],
            )
            .map_err(fail)?;
        let mut counts: std::collections::HashMap<String, usize> = Default::default();
        let (mut leased, mut unreadable) = (Vec::new(), Vec::new());
        for row in due {
            let (id, key, target): (i64, String, String) = (row.get(0), row.get(1), row.get(2));
            let count = counts.entry(target.clone()).or_insert(0);
            if *count >= per_target {
                continue;
            }
            match rows::waiting(id, key, target, row.get(3)) {
                Ok(w) => {
                    *count += 1;
                    leased.push(id);
                    claim.claimed.push(w);
                }
                Err(gave_up) => {
                    unreadable.push(id);
                    claim.expired.push(gave_up);
                }
            }
        }
        if !leased.is_empty() {
            tx.execute(
                "UPDATE outbox SET lease_until = $2 WHERE id = ANY($1)",
                &[&leased, &self.lease_end(now)],
            )
            .map_err(fail)?;
        }
        if !unreadable.is_empty() {
            tx.execute("DELETE FROM outbox WHERE id = ANY($1)", &[&unreadable])
                .map_err(fail)?;
        }
        tx.commit().map_err(fail)?;
        self.less_waiting(claim.expired.len());
        Ok(claim)
    }

    fn delivered(&self, id: u64) -> Result<(), StoreError> {
        let n = self
            .client()?
            .execute("DELETE FROM outbox WHERE id = $1", &[&i(id)])
            .map_err(|e| self.fail(e))?;
        self.less_waiting(n as usize);
        Ok(())
    }

    fn failed(&self, id: u64, error: &NotifyError) -> Result<Vec<GaveUp>, StoreError> {
        let fail = |e| self.fail(e);
        let mut client = self.client()?;
        if error.is_permanent() {
            let gave_up = client
                .query_opt(
                    "DELETE FROM outbox WHERE id = $1 RETURNING target, key",
                    &[&i(id)],
                )
                .map_err(fail)?
                .map(|r| GaveUp {
                    target: r.get(0),
                    key: r.get(1),
                    reason: format!("{error} (permanent)"),
                });
            self.less_waiting(usize::from(gave_up.is_some()));
            return Ok(gave_up.into_iter().collect());
        }
        let mut tx = client.transaction().map_err(fail)?;
        let attempts: Option<i32> = tx
            .query_opt(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1 \
                 RETURNING attempts",
                &[&i(id), &error.to_string()],
            )
            .map_err(fail)?
            .map(|r| r.get(0));
        if let Some(attempts) = attempts {
            let wait = self
                .policy
                .wait_after(u32::try_from(attempts).unwrap_or(u32::MAX));
            tx.execute(
                "UPDATE outbox SET next_attempt = $2, lease_until = 0 WHERE id = $1",
                &[&i(id), &now_ms().saturating_add(ms(wait))],
            )
            .map_err(fail)?;
        }
        tx.commit().map_err(fail)?;
        Ok(Vec::new())
    }

    fn release(&self, id: u64) -> Result<(), StoreError> {
        self.client()?
            .execute("UPDATE outbox SET lease_until = 0 WHERE id = $1", &[&i(id)])
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    fn keep(
        &self,
        delivery: &Delivery<'static>,
        error: &NotifyError,
    ) -> Result<Vec<GaveUp>, StoreError> {
        let now = now_ms();
        let id: Option<i64> = self
            .client()?
            .query_opt(
                "INSERT INTO outbox (key, target, delivery, added, next_attempt, lease_until) \
                 VALUES ($1, $2, $3, $4, $4, $5) ON CONFLICT (key) DO NOTHING RETURNING id",
                &[
                    &delivery.idempotency_key(),
                    &delivery.target(),
                    &saved::to_json(delivery),
                    &now,
                    &self.lease_end(now),
                ],
            )
            .map_err(|e| self.fail(e))?
            .map(|r| r.get(0));
        match id {
            Some(id) => {
                self.waiting.fetch_add(1, Ordering::Relaxed);
                self.failed(id as u64, error)
            }
            None => Ok(Vec::new()),
        }
    }

    fn waiting_len(&self) -> usize {
        // Other replicas add and remove entries too.
        if let Ok(row) = self.client().and_then(|mut c| {
            c.query_one("SELECT count(*) FROM outbox", &[])
                .map_err(|e| self.fail(e))
        }) {
            let n: i64 = row.get(0);
            self.waiting
                .store(usize::try_from(n).unwrap_or(0), Ordering::Relaxed);
        }
        self.waiting.load(Ordering::Relaxed)
    }

    fn is_durable(&self) -> bool {
        true
    }

    fn list(&self) -> Result<Vec<WaitingEntry>, StoreError> {
        let rows = self
            .client()?
            .query(
                "SELECT key, target, attempts, last_error, next_attempt FROM outbox ORDER BY id",
                &[],
            )
            .map_err(|e| self.fail(e))?;
        Ok(rows
            .iter()
            .map(|r| {
                rows::entry(
                    r.get(0),
                    r.get(1),
                    i64::from(r.get::<_, i32>(2)),
                    r.get(3),
                    r.get(4),
                )
            })
            .collect())
    }

    fn retry(&self, keys: Option<&[String]>) -> Result<usize, StoreError> {
        let mut client = self.client()?;
        let n = match keys {
            None => client.execute("UPDATE outbox SET next_attempt = 0", &[]),
            Some(keys) => client.execute(
                "UPDATE outbox SET next_attempt = 0 WHERE key = ANY($1)",
                &[&keys],
            ),
        }
        .map_err(|e| self.fail(e))?;
        Ok(n as usize)
    }

    fn drop_keys(&self, keys: &[String]) -> Result<usize, StoreError> {
        let n = self
            .client()?
            .execute("DELETE FROM outbox WHERE key = ANY($1)", &[&keys])
            .map_err(|e| self.fail(e))?;
        self.less_waiting(n as usize);
        Ok(n as usize)
    }

    fn get(&self, space: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .client()?
            .query_opt(
                "SELECT value FROM kv WHERE space = $1 AND key = $2 \
                 AND (expires IS NULL OR expires > $3)",
                &[&space, &key, &(now_ms() / 1000)],
            )
            .map_err(|e| self.fail(e))?
            .map(|r| r.get(0)))
    }

    fn put(
        &self,
        space: &str,
        key: &str,
        value: &[u8],
        expires: Option<u64>,
    ) -> Result<(), StoreError> {
        self.client()?
            .execute(
                "INSERT INTO kv (space, key, value, expires) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (space, key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
                &[&space, &key, &value, &expires.map(i)],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    fn remove(&self, space: &str, key: &str) -> Result<(), StoreError> {
        self.client()?
            .execute(
                "DELETE FROM kv WHERE space = $1 AND key = $2",
                &[&space, &key],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }
}
