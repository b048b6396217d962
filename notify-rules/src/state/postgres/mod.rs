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

use std::time::Duration;

use postgres::Statement;
use r2d2_postgres::PostgresConnectionManager;

use super::decide::{self, Shared};
use super::error::{is_host_name, place_of, unreadable_address, UNREADABLE_PLACE};
use super::rows::{self, ms};
use super::sql::{self, Val};
use super::{now_ms, Claim, GaveUp, Recorded, StateStore, StoreError, WaitingEntry};
use crate::failure::NotifyError;
use crate::history::{AgentRun, AgentSeen, Seen, StageRun};
use crate::rules::Delivery;
use crate::state::outbox::OutboxPolicy;
use crate::util::show_age;

/// How long a connection is waited for: at start (so an unreachable server
/// stops `serve` within 10 seconds), and for each request (answered 503
/// after it).
const CONNECT_WAIT: Duration = Duration::from_secs(5);

mod pool;
mod record;
mod time;
pub(crate) mod tls;

use pool::{Manager, Pool, Pooled};

use record::Tables;

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
    shared: Shared,
}

impl PostgresState {
    pub(crate) fn open(
        url: &str,
        tls: &tls::PostgresTls,
        policy: OutboxPolicy,
    ) -> Result<PostgresState, StoreError> {
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e| StoreError::lasting(UNREADABLE_PLACE, unreadable_address(&e)))?;
        let place = place_of(&config);
        if config.get_hosts().iter().any(|h| match h {
            postgres::config::Host::Tcp(h) => !is_host_name(h),
            #[cfg(unix)]
            postgres::config::Host::Unix(_) => false,
        }) {
            return Err(StoreError::lasting(
                &place,
                "the address's host is not a host name: an `@` in the user or password \
                 must be written %40",
            ));
        }
        let (connector, settled) = tls::secure(&mut config, tls, &place)?;
        config.connect_timeout(CONNECT_WAIT);
        config.application_name("notify-rules");
        let pool = r2d2::Pool::builder()
            .max_size(16)
            .min_idle(Some(1))
            .connection_timeout(CONNECT_WAIT)
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build(Manager {
                manager: PostgresConnectionManager::new(config, connector),
                settled,
            })
            .map_err(|e| StoreError::new(&place, format!("cannot reach the database: {e}")))?;
        let store = PostgresState {
            pool: Some(pool),
            place,
            shared: Shared::new(policy),
        };
        store.migrate()?;
        store.waiting_len();
        Ok(store)
    }

    fn client(&self) -> Result<Pooled, StoreError> {
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

    /// Runs `f` in one transaction on a pooled connection, committed when it
    /// succeeds.
    fn in_tx<R, E: Into<TxError>>(
        &self,
        f: impl FnOnce(&mut Tables<'_, '_>) -> Result<R, E>,
    ) -> Result<R, StoreError> {
        let fail = |e| self.fail(e);
        let mut conn = self.client()?;
        let (client, prepared) = conn.split();
        let mut tx = client.transaction().map_err(fail)?;
        let r = f(&mut Tables(&mut tx, prepared)).map_err(|e| match e.into() {
            TxError::Db(e) => self.fail(e),
            TxError::Store(e) => e,
        })?;
        tx.commit().map_err(fail)?;
        Ok(r)
    }

    /// One statement, on its own (no `BEGIN` and `COMMIT` to wait for).
    fn exec(&self, sql: &'static str, params: &[Val<'_>]) -> Result<usize, StoreError> {
        self.prepared(sql, |client, statement| {
            client.execute(statement, &record::refs(params))
        })
        .map(|n| n as usize)
    }

    /// `sql`, prepared once on each pooled connection, run by `run` on one
    /// (outside a transaction).
    fn prepared<R>(
        &self,
        sql: &'static str,
        run: impl FnOnce(&mut postgres::Client, &Statement) -> Result<R, postgres::Error>,
    ) -> Result<R, StoreError> {
        let mut conn = self.client()?;
        let (client, prepared) = conn.split();
        prepared
            .get(client, sql)
            .and_then(|statement| run(client, &statement))
            .map_err(|e| self.fail(e))
    }

    /// Keeps at most `agents` agents and `handled` handled agent-status
    /// notifications, pruning after every notification.
    #[cfg(test)]
    pub(crate) fn with_agent_limits(mut self, agents: i64, handled: i64) -> Self {
        self.shared.agents_kept = agents;
        self.shared.agent_handled_kept = handled;
        self.shared.prune_every = 1;
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

type TxError = decide::TxError<postgres::Error>;

impl StateStore for PostgresState {
    fn record(
        &self,
        run: &StageRun<'_>,
        evaluate: &mut dyn FnMut(Seen) -> Vec<Delivery<'static>>,
    ) -> Result<Recorded, StoreError> {
        let s = &self.shared;
        let w = self.in_tx(|t| {
            t.lock_stage(&rows::stage_key(run.pipeline, run.stage))?;
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
        let w = self.in_tx(|t| {
            t.lock_agent(run.uuid)?;
            decide::record_agent(t, s, run, evaluate, decide::as_made)
        })?;
        s.settle(w.added, w.recorded.gave_up.len());
        Ok(w.recorded)
    }

    fn claim(&self, force: bool, per_target: usize) -> Result<Claim, StoreError> {
        let now = now_ms();
        let policy = &self.shared.policy;
        let reason = format!("not delivered within {}", show_age(policy.max_age));
        let lease = self.shared.lease_end(now);
        let claim = self.in_tx(|t| {
            let mut claim = Claim::default();
            for row in t.0.query(
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE added < $1 \
                 AND lease_until <= $2 FOR UPDATE SKIP LOCKED) RETURNING target, key",
                &[&(now - ms(policy.max_age)), &now],
            )? {
                claim.expired.push(GaveUp {
                    target: row.get(0),
                    key: row.get(1),
                    reason: reason.clone(),
                });
            }
            let due = t.0.query(
                // A held entry (its next try past its end) waits for
                // `outbox retry`, even in a forced flush.
                "SELECT id, key, target, delivery FROM outbox WHERE lease_until <= $1 \
                 AND (($2 AND next_attempt <= added + $3) OR next_attempt <= $1) \
                 ORDER BY added, id LIMIT 10000 FOR UPDATE SKIP LOCKED",
                &[&now, &force, &ms(policy.max_age)],
            )?;
            let due = due
                .into_iter()
                .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
                .collect();
            let picked = rows::pick(due, per_target);
            if !picked.leased.is_empty() {
                t.0.execute(
                    "UPDATE outbox SET lease_until = $2 WHERE id = ANY($1)",
                    &[&picked.leased, &lease],
                )?;
            }
            if !picked.unreadable.is_empty() {
                t.0.execute(
                    "DELETE FROM outbox WHERE id = ANY($1)",
                    &[&picked.unreadable],
                )?;
            }
            claim.claimed = picked.claimed;
            claim.expired.extend(picked.gave_up);
            Ok::<_, postgres::Error>(claim)
        })?;
        self.shared.settle(0, claim.expired.len());
        Ok(claim)
    }

    fn delivered(&self, id: u64) -> Result<(), StoreError> {
        let n = self.exec(sql::OUTBOX_DELETE, &[Val::Int(i(id))])?;
        self.shared.settle(0, n);
        Ok(())
    }

    fn failed(&self, id: u64, error: &NotifyError) -> Result<Vec<GaveUp>, StoreError> {
        let policy = &self.shared.policy;
        let gave_up = self.in_tx(|t| decide::failed(t, policy, id, error))?;
        self.shared.settle(0, gave_up.len());
        Ok(gave_up)
    }

    fn release(&self, id: u64) -> Result<(), StoreError> {
        self.exec(sql::OUTBOX_RELEASE, &[Val::Int(i(id))]).map(drop)
    }

    fn keep(
        &self,
        delivery: &Delivery<'static>,
        error: &NotifyError,
    ) -> Result<Vec<GaveUp>, StoreError> {
        let s = &self.shared;
        let (added, gave_up) = self.in_tx(|t| decide::keep(t, s, delivery, error))?;
        s.settle(usize::from(added), gave_up.len());
        Ok(gave_up)
    }

    fn waiting_len(&self) -> usize {
        // Other replicas add and remove entries too.
        let n = self.prepared(sql::OUTBOX_COUNT, |c, count| {
            c.query_one(count, &[]).map(|r| r.get(0))
        });
        self.shared.waiting_now(n)
    }

    fn waiting_by_target(&self) -> Result<Vec<(String, usize)>, StoreError> {
        let rows = self.prepared(sql::OUTBOX_BY_TARGET, |c, by_target| {
            c.query(by_target, &[])
        })?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), usize::try_from(r.get::<_, i64>(1)).unwrap_or(0)))
            .collect())
    }

    fn is_durable(&self) -> bool {
        true
    }

    fn list(&self) -> Result<Vec<WaitingEntry>, StoreError> {
        let rows = self
            .client()?
            .query(sql::OUTBOX_LIST, &[])
            .map_err(|e| self.fail(e))?;
        Ok(rows
            .iter()
            .map(|r| rows::entry(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
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
        self.shared.settle(0, n as usize);
        Ok(n as usize)
    }

    fn get(&self, space: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = self.prepared(
            "SELECT value FROM kv WHERE space = $1 AND key = $2 \
             AND (expires IS NULL OR expires > $3)",
            |c, get| c.query_opt(get, &[&space, &key, &(now_ms() / 1000)]),
        )?;
        Ok(row.map(|r| r.get(0)))
    }

    fn put(
        &self,
        space: &str,
        key: &str,
        value: &[u8],
        expires: Option<u64>,
    ) -> Result<(), StoreError> {
        self.prepared(
            "INSERT INTO kv (space, key, value, expires) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (space, key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
            |c, put| c.execute(put, &[&space, &key, &value, &expires.map(i)]),
        )?;
        Ok(())
    }

    fn put_new(
        &self,
        space: &str,
        key: &str,
        value: &[u8],
        expires: Option<u64>,
    ) -> Result<bool, StoreError> {
        // One statement: the unique key settles a race between replicas,
        // and a value past its end is taken over under the row's lock.
        let n = self.prepared(
            "INSERT INTO kv (space, key, value, expires) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (space, key) DO UPDATE SET value = excluded.value, \
             expires = excluded.expires WHERE kv.expires IS NOT NULL AND kv.expires <= $5",
            |c, put| {
                let now = now_ms() / 1000;
                c.execute(put, &[&space, &key, &value, &expires.map(i), &now])
            },
        )?;
        Ok(n == 1)
    }

    fn remove(&self, space: &str, key: &str) -> Result<(), StoreError> {
        self.prepared(
            "DELETE FROM kv WHERE space = $1 AND key = $2",
            |c, remove| c.execute(remove, &[&space, &key]),
        )?;
        Ok(())
    }
}
