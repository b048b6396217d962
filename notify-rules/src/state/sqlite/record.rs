//! Recording one notification: its handled record, the stage's history and
//! its deliveries' outbox entries, in one transaction.

use std::sync::atomic::Ordering;

use super::*;
use crate::state::decide::{self, StageTables};
use crate::state::time::TimeHook;

/// The tables, in a notification's transaction.
pub(super) struct Tables<'a, 't>(pub(super) &'a rusqlite::Transaction<'t>);

impl SqliteState {
    pub(super) fn record_run(
        &self,
        run: &StageRun<'_>,
        evaluate: &mut dyn FnMut(Seen) -> Vec<Delivery<'static>>,
        hook: Option<TimeHook<'_>>,
    ) -> Result<Recorded, StoreError> {
        let fail = |e| self.fail(e);
        let mut conn = lock(&self.conn);
        conn.synced(true).map_err(fail)?;
        let tx = conn
            .db
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let now = now_ms();
        let Some(seen) =
            decide::stage(&mut Tables(&tx), run, self.runs_per_stage, now).map_err(fail)?
        else {
            return Ok(Recorded::default());
        };
        if self.recorded.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            tx.execute("DELETE FROM handled WHERE at < ?1", [now - HANDLED_KEPT_MS])
                .map_err(fail)?;
        }
        let mut deliveries = evaluate(seen);
        // The time forms, in the same transaction (`time.rs`).
        if let Some(hook) = hook {
            deliveries = hook(&mut super::time::Tables::new(&tx, &self.place), deliveries)?;
        }
        self.write_ahead(tx, deliveries, now)
    }

    /// Writes ahead the deliveries a notification made, claimed for the
    /// caller, and commits the notification's transaction.
    pub(super) fn write_ahead(
        &self,
        tx: rusqlite::Transaction<'_>,
        deliveries: Vec<Delivery<'static>>,
        now: i64,
    ) -> Result<Recorded, StoreError> {
        let fail = |e| self.fail(e);
        let mut recorded = Recorded::default();
        if !deliveries.is_empty()
            && self.waiting.load(Ordering::Relaxed) + deliveries.len() > self.policy.capacity
        {
            recorded.gave_up =
                make_room(&tx, self.policy.capacity, deliveries.len(), now).map_err(fail)?;
        }
        let mut added = 0;
        for delivery in deliveries {
            let key = delivery.idempotency_key();
            let json = saved::to_json(&delivery);
            let id: Option<i64> = tx
                .prepare_cached(
                    "INSERT INTO outbox (key, target, delivery, added, next_attempt, lease_until) \
                     VALUES (?1, ?2, ?3, ?4, ?4, ?5) ON CONFLICT DO NOTHING RETURNING id",
                )
                .and_then(|mut s| {
                    s.query_row(
                        params![key, delivery.target(), json, now, self.lease_end(now)],
                        |r| r.get(0),
                    )
                    .optional()
                })
                .map_err(fail)?;
            added += usize::from(id.is_some());
            // The key waits already (a repeat history forgot): that entry is
            // sent, not a second copy, unless another claim holds it.
            let id = match id {
                Some(id) => Some(id),
                None => tx
                    .prepare_cached(
                        "UPDATE outbox SET lease_until = ?2 WHERE key = ?1 AND lease_until <= ?3 \
                         RETURNING id",
                    )
                    .and_then(|mut s| {
                        s.query_row(params![key, self.lease_end(now), now], |r| r.get(0))
                            .optional()
                    })
                    .map_err(fail)?,
            };
            if let Some(id) = id {
                recorded.fresh.push(Claimed {
                    id: Some(id as u64),
                    delivery,
                });
            }
        }
        tx.commit().map_err(fail)?;
        let gone = recorded.gave_up.len();
        self.waiting
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |w| {
                Some((w + added).saturating_sub(gone))
            })
            .ok();
        Ok(recorded)
    }
}

impl StageTables for Tables<'_, '_> {
    type Error = rusqlite::Error;

    fn take_handled(
        &mut self,
        stage: &str,
        at: (i64, i64),
        state: &str,
        now: i64,
    ) -> rusqlite::Result<bool> {
        self.0
            .prepare_cached(
                "INSERT INTO handled (stage, pipeline_counter, stage_counter, state, at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            )?
            .execute(params![stage, at.0, at.1, state, now])
            .map(|n| n == 1)
    }

    fn previous(&mut self, stage: &str, at: (i64, i64)) -> rusqlite::Result<Option<bool>> {
        self.0
            .prepare_cached(
                "SELECT passed FROM stage_runs WHERE stage = ?1 AND \
                 (pipeline_counter < ?2 OR (pipeline_counter = ?2 AND stage_counter < ?3)) \
                 ORDER BY pipeline_counter DESC, stage_counter DESC LIMIT 1",
            )?
            .query_row(params![stage, at.0, at.1], |r| r.get(0))
            .optional()
    }

    fn is_trimmed(&mut self, stage: &str) -> rusqlite::Result<bool> {
        self.0
            .prepare_cached("SELECT 1 FROM stages WHERE stage = ?1 AND trimmed")?
            .exists([stage])
    }

    fn put_run(&mut self, stage: &str, at: (i64, i64), passed: bool) -> rusqlite::Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO stage_runs (stage, pipeline_counter, stage_counter, passed) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO UPDATE SET passed = excluded.passed",
            )?
            .execute(params![stage, at.0, at.1, passed])
            .map(drop)
    }

    fn trim(&mut self, stage: &str, keep: i64) -> rusqlite::Result<usize> {
        self.0
            .prepare_cached(
                "DELETE FROM stage_runs WHERE stage = ?1 AND \
                 (pipeline_counter, stage_counter) < (SELECT pipeline_counter, stage_counter \
                 FROM stage_runs WHERE stage = ?1 \
                 ORDER BY pipeline_counter DESC, stage_counter DESC LIMIT 1 OFFSET ?2)",
            )?
            .execute(params![stage, keep - 1])
    }

    fn mark_trimmed(&mut self, stage: &str) -> rusqlite::Result<()> {
        // Only when it changes: a page written for nothing costs a sync.
        self.0
            .prepare_cached(
                "INSERT INTO stages (stage, trimmed) VALUES (?1, 1) \
                 ON CONFLICT DO UPDATE SET trimmed = 1 WHERE NOT trimmed",
            )?
            .execute([stage])
            .map(drop)
    }
}

/// Gives up the oldest entries not claimed, so that `adding` more fit.
fn make_room(
    tx: &rusqlite::Transaction<'_>,
    capacity: usize,
    adding: usize,
    now: i64,
) -> rusqlite::Result<Vec<GaveUp>> {
    let waiting: i64 = tx.query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?;
    let over = (waiting as usize + adding).saturating_sub(capacity.max(1));
    if over == 0 {
        return Ok(Vec::new());
    }
    let mut s = tx.prepare(
        "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE lease_until <= ?1 \
         ORDER BY id LIMIT ?2) RETURNING target, key",
    )?;
    let gave_up = s
        .query_map(params![now, over as i64], |r| {
            Ok(GaveUp {
                target: r.get(0)?,
                key: r.get(1)?,
                reason: "the outbox is full".into(),
            })
        })?
        .collect();
    gave_up
}
