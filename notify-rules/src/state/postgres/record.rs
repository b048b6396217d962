//! Recording one notification: its handled record, the stage's history and
//! its deliveries' outbox entries, in one transaction.

use std::sync::atomic::Ordering;

use super::*;
use crate::state::decide::{self, StageTables};
use crate::state::time::TimeHook;

/// The tables, in a notification's transaction.
pub(super) struct Tables<'a, 't>(pub(super) &'a mut postgres::Transaction<'t>);

impl PostgresState {
    pub(super) fn record_run(
        &self,
        run: &StageRun<'_>,
        evaluate: &mut dyn FnMut(Seen) -> Vec<Delivery<'static>>,
        hook: Option<TimeHook<'_>>,
    ) -> Result<Recorded, StoreError> {
        let fail = |e| self.fail(e);
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(fail)?;
        let now = now_ms();
        let stage = rows::stage_key(run.pipeline, run.stage);
        // One stage's notifications in order across replicas.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[&stage],
        )
        .map_err(fail)?;
        let Some(seen) =
            decide::stage(&mut Tables(&mut tx), run, self.runs_per_stage, now).map_err(fail)?
        else {
            tx.commit().map_err(fail)?;
            return Ok(Recorded::default());
        };
        if self.recorded.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            tx.execute(
                "DELETE FROM handled WHERE at < $1",
                &[&(now - HANDLED_KEPT_MS)],
            )
            .map_err(fail)?;
        }
        let mut deliveries = evaluate(seen);
        // The time forms, in the same transaction (`time.rs`).
        if let Some(hook) = hook {
            let mut tables = super::time::Tables::new(&mut tx, self);
            deliveries = hook(&mut tables, deliveries)?;
        }
        self.write_ahead(tx, deliveries, now)
    }

    /// Writes ahead the deliveries a notification made, claimed for the
    /// caller, and commits the notification's transaction.
    pub(super) fn write_ahead(
        &self,
        mut tx: postgres::Transaction<'_>,
        deliveries: Vec<Delivery<'static>>,
        now: i64,
    ) -> Result<Recorded, StoreError> {
        let fail = |e| self.fail(e);
        let mut recorded = Recorded::default();
        if !deliveries.is_empty()
            && self.waiting.load(Ordering::Relaxed) + deliveries.len() > self.policy.capacity
        {
            let waiting: i64 = tx
                .query_one("SELECT count(*) FROM outbox", &[])
                .map_err(fail)?
                .get(0);
            let over =
                (waiting as usize + deliveries.len()).saturating_sub(self.policy.capacity.max(1));
            if over > 0 {
                for row in tx
                    .query(
                        "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE lease_until <= $1 \
                         ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING target, key",
                        &[&now, &(over as i64)],
                    )
                    .map_err(fail)?
                {
                    recorded.gave_up.push(GaveUp {
                        target: row.get(0),
                        key: row.get(1),
                        reason: "the outbox is full".into(),
                    });
                }
            }
        }
        let mut added = 0;
        let lease = self.lease_end(now);
        for delivery in deliveries {
            let key = delivery.idempotency_key();
            let json = saved::to_json(&delivery);
            let id: Option<i64> = tx
                .query_opt(
                    "INSERT INTO outbox (key, target, delivery, added, next_attempt, lease_until) \
                     VALUES ($1, $2, $3, $4, $4, $5) ON CONFLICT (key) DO NOTHING RETURNING id",
                    &[&key, &delivery.target(), &json, &now, &lease],
                )
                .map_err(fail)?
                .map(|r| r.get(0));
            added += usize::from(id.is_some());
            let id = match id {
                Some(id) => Some(id),
                None => tx
                    .query_opt(
                        "UPDATE outbox SET lease_until = $2 WHERE key = $1 AND lease_until <= $3 \
                         RETURNING id",
                        &[&key, &lease, &now],
                    )
                    .map_err(fail)?
                    .map(|r| r.get(0)),
            };
            if let Some(id) = id {
                recorded.fresh.push(Claimed {
                    id: Some(id as u64),
                    delivery,
                });
            }
        }
        tx.commit().map_err(fail)?;
        self.waiting.fetch_add(added, Ordering::Relaxed);
        self.less_waiting(recorded.gave_up.len());
        Ok(recorded)
    }
}

impl StageTables for Tables<'_, '_> {
    type Error = postgres::Error;

    fn take_handled(
        &mut self,
        stage: &str,
        at: (i64, i64),
        state: &str,
        now: i64,
    ) -> Result<bool, postgres::Error> {
        self.0
            .execute(
                "INSERT INTO handled (stage, pipeline_counter, stage_counter, state, at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                &[&stage, &at.0, &at.1, &state, &now],
            )
            .map(|n| n == 1)
    }

    fn previous(&mut self, stage: &str, at: (i64, i64)) -> Result<Option<bool>, postgres::Error> {
        Ok(self
            .0
            .query_opt(
                "SELECT passed FROM stage_runs WHERE stage = $1 AND \
                 (pipeline_counter, stage_counter) < ($2, $3) \
                 ORDER BY pipeline_counter DESC, stage_counter DESC LIMIT 1",
                &[&stage, &at.0, &at.1],
            )?
            .map(|r| r.get(0)))
    }

    fn is_trimmed(&mut self, stage: &str) -> Result<bool, postgres::Error> {
        Ok(self
            .0
            .query_opt(
                "SELECT 1 FROM stages WHERE stage = $1 AND trimmed",
                &[&stage],
            )?
            .is_some())
    }

    fn put_run(
        &mut self,
        stage: &str,
        at: (i64, i64),
        passed: bool,
    ) -> Result<(), postgres::Error> {
        self.0
            .execute(
                "INSERT INTO stage_runs (stage, pipeline_counter, stage_counter, passed) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (stage, pipeline_counter, stage_counter) \
                 DO UPDATE SET passed = excluded.passed",
                &[&stage, &at.0, &at.1, &passed],
            )
            .map(drop)
    }

    fn trim(&mut self, stage: &str, keep: i64) -> Result<usize, postgres::Error> {
        self.0
            .execute(
                "DELETE FROM stage_runs WHERE stage = $1 AND \
                 (pipeline_counter, stage_counter) < (SELECT pipeline_counter, stage_counter \
                 FROM stage_runs WHERE stage = $1 \
                 ORDER BY pipeline_counter DESC, stage_counter DESC LIMIT 1 OFFSET $2)",
                &[&stage, &(keep - 1)],
            )
            .map(|n| n as usize)
    }

    fn mark_trimmed(&mut self, stage: &str) -> Result<(), postgres::Error> {
        self.0
            .execute(
                "INSERT INTO stages (stage, trimmed) VALUES ($1, TRUE) \
                 ON CONFLICT (stage) DO UPDATE SET trimmed = TRUE WHERE NOT stages.trimmed",
                &[&stage],
            )
            .map(drop)
    }
}
