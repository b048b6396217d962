//! The time forms' tables in PostgreSQL (`v3.sql`). A tick is taken by one
//! replica at a time (a transaction-scoped advisory lock, tried, not waited
//! for), and claims due rows with `FOR UPDATE SKIP LOCKED`: each reminder
//! and each digest is written to the outbox, and so sent, once however many
//! replicas tick.

use postgres::Transaction;

use super::{PostgresState, TxError};
use crate::history::{Seen, StageRun};
use crate::outbox::saved;
use crate::rules::Delivery;
use crate::state::time::{
    digests, next_due, silence_end, Due, NewHeld, NewReminder, Render, TimeHook, TimeStore, TimeTx,
    TICK_LIMIT,
};
use crate::state::{decide, rows};
use crate::state::{Recorded, StoreError};
use crate::time::{NewSilence, Silence};

/// The advisory lock of a tick ("notify-t" in ASCII): one replica ticks at a
/// time, so a digest is never split between two.
const TICK_LOCK: i64 = 0x6e6f_7469_6679_2d74;

/// The time tables in a notification's transaction (the one
/// [`PostgresState::in_tx`] began).
struct Tables<'a, 't> {
    tx: &'a mut Transaction<'t>,
    store: &'a PostgresState,
}

fn int(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl TimeTx for Tables<'_, '_> {
    fn throttle(
        &mut self,
        rule: u32,
        target: &str,
        subject: &str,
        now: i64,
        every: i64,
    ) -> Result<Option<u64>, StoreError> {
        let store = self.store;
        let fail = |e| store.fail(e);
        let rule = int(rule);
        // The stage's advisory lock is held: no other replica changes this
        // row meanwhile.
        let last = self
            .tx
            .query_opt(
                "SELECT last_sent, dropped FROM throttles \
                 WHERE rule = $1 AND target = $2 AND subject = $3",
                &[&rule, &target, &subject],
            )
            .map_err(fail)?
            .map(|r| (r.get::<_, i64>(0), r.get::<_, i64>(1)));
        if last.is_some_and(|(last, _)| now < last.saturating_add(every)) {
            self.tx
                .execute(
                    "UPDATE throttles SET dropped = dropped + 1 \
                     WHERE rule = $1 AND target = $2 AND subject = $3",
                    &[&rule, &target, &subject],
                )
                .map_err(fail)?;
            return Ok(None);
        }
        self.tx
            .execute(
                "INSERT INTO throttles (rule, target, subject, last_sent, dropped) \
                 VALUES ($1, $2, $3, $4, 0) ON CONFLICT (rule, target, subject) \
                 DO UPDATE SET last_sent = excluded.last_sent, dropped = 0",
                &[&rule, &target, &subject, &now],
            )
            .map_err(fail)?;
        Ok(Some(last.map_or(0, |(_, n)| n as u64)))
    }

    fn hold(&mut self, h: &NewHeld) -> Result<(), StoreError> {
        self.tx
            .execute(
                "INSERT INTO held (window_name, target, at, release_at, text, delivery) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &h.window,
                    &h.target,
                    &h.at,
                    &h.release,
                    &h.text,
                    &h.delivery,
                ],
            )
            .map_err(|e| self.store.fail(e))
            .map(drop)
    }

    fn start_reminder(&mut self, r: &NewReminder) -> Result<(), StoreError> {
        self.tx
            .execute(
                "INSERT INTO reminders (stage, rule, remind, target, started, every, due, status) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
                &[
                    &r.stage,
                    &int(r.rule),
                    &int(r.remind),
                    &r.target,
                    &r.started,
                    &r.every,
                    &r.started.saturating_add(r.every),
                    &r.status,
                ],
            )
            .map_err(|e| self.store.fail(e))
            .map(drop)
    }

    fn end_reminders(&mut self, stage: &str) -> Result<(), StoreError> {
        self.tx
            .execute("DELETE FROM reminders WHERE stage = $1", &[&stage])
            .map_err(|e| self.store.fail(e))
            .map(drop)
    }

    fn silences(&mut self, now: i64) -> Result<Vec<Silence>, StoreError> {
        active_silences(&mut *self.tx, now).map_err(|e| self.store.fail(e))
    }
}

/// The silences active at `now`, oldest first.
fn active_silences(
    db: &mut impl postgres::GenericClient,
    now: i64,
) -> Result<Vec<Silence>, postgres::Error> {
    Ok(db
        .query(
            "SELECT id, pipeline, stage, target, ends, comment, created FROM silences \
             WHERE ends > $1 ORDER BY id",
            &[&now],
        )?
        .into_iter()
        .map(|r| Silence {
            id: r.get::<_, i64>(0) as u64,
            pipeline: r.get(1),
            stage: r.get(2),
            target: r.get(3),
            ends_ms: r.get(4),
            comment: r.get(5),
            created_ms: r.get(6),
        })
        .collect())
}

/// Takes the due reminders no other transaction holds, moving each on.
fn due_reminders(tx: &mut Transaction<'_>, now: i64) -> Result<Vec<Due>, postgres::Error> {
    let rows = tx.query(
        "SELECT id, rule, remind, target, started, every, due, sent, status FROM reminders \
         WHERE due <= $1 ORDER BY due LIMIT $2 FOR UPDATE SKIP LOCKED",
        &[&now, &TICK_LIMIT],
    )?;
    let mut due = Vec::with_capacity(rows.len());
    for r in rows {
        let (id, at, every): (i64, i64, i64) = (r.get(0), r.get(6), r.get(5));
        let n = r.get::<_, i32>(7).saturating_add(1);
        tx.execute(
            "UPDATE reminders SET due = $2, sent = $3 WHERE id = $1",
            &[&id, &next_due(at, every, now), &n],
        )?;
        if let Ok(status) = saved::status_from_json(r.get(8)) {
            due.push(Due::Reminder {
                rule: r.get::<_, i32>(1) as u32,
                remind: r.get::<_, i32>(2) as u32,
                target: r.get(3),
                started: r.get(4),
                n: n as u32,
                status: Box::new(status),
            });
        }
    }
    Ok(due)
}

/// Takes the held messages whose window has opened.
fn due_held(tx: &mut Transaction<'_>, now: i64) -> Result<Vec<NewHeld>, postgres::Error> {
    Ok(tx
        .query(
            "DELETE FROM held WHERE id IN (SELECT id FROM held WHERE release_at <= $1 \
             ORDER BY release_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) \
             RETURNING window_name, target, at, release_at, text, delivery",
            &[&now, &TICK_LIMIT],
        )?
        .into_iter()
        .map(|r| NewHeld {
            window: r.get(0),
            target: r.get(1),
            at: r.get(2),
            release: r.get(3),
            text: r.get(4),
            delivery: r.get(5),
        })
        .collect())
}

impl TimeStore for PostgresState {
    fn record_timed(
        &self,
        run: &StageRun<'_>,
        evaluate: &mut dyn FnMut(Seen) -> Vec<Delivery<'static>>,
        hook: TimeHook<'_>,
    ) -> Result<Recorded, StoreError> {
        let s = &self.shared;
        let w = self.in_tx(|t| {
            t.lock_stage(&rows::stage_key(run.pipeline, run.stage))?;
            decide::record_stage(t, s, run, evaluate, |t, deliveries| {
                let mut tables = Tables {
                    tx: &mut *t.0,
                    store: self,
                };
                hook(&mut tables, deliveries).map_err(TxError::Store)
            })
        })?;
        s.settle(w.added, w.recorded.gave_up.len());
        Ok(w.recorded)
    }

    fn tick(&self, now: i64, render: Render<'_>) -> Result<Recorded, StoreError> {
        let fail = |e| self.fail(e);
        let mut client = self.client()?;
        // Nearly every tick finds nothing: two index probes, no lock.
        let any: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM reminders WHERE due <= $1) \
                 OR EXISTS (SELECT 1 FROM held WHERE release_at <= $1)",
                &[&now],
            )
            .map_err(fail)?
            .get(0);
        if !any {
            return Ok(Recorded::default());
        }
        drop(client);
        let s = &self.shared;
        let w = self.in_tx(|t| {
            let mine: bool =
                t.0.query_one("SELECT pg_try_advisory_xact_lock($1)", &[&TICK_LOCK])?
                    .get(0);
            if !mine {
                // Another replica ticks now; what it leaves is taken next time.
                return Ok(decide::Written::default());
            }
            let mut due = due_reminders(t.0, now)?;
            due.extend(digests(due_held(t.0, now)?));
            let deliveries = due.into_iter().filter_map(render).collect();
            // The outbox's ids and stamps, as a notification's entries get.
            decide::write_ahead(t, s, deliveries, s.stamp())
        })?;
        s.settle(w.added, w.recorded.gave_up.len());
        Ok(w.recorded)
    }

    fn time_counts(&self) -> Result<(usize, usize), StoreError> {
        let row = self
            .client()?
            .query_one(
                "SELECT (SELECT count(*) FROM reminders), (SELECT count(*) FROM held)",
                &[],
            )
            .map_err(|e| self.fail(e))?;
        Ok((row.get::<_, i64>(0) as usize, row.get::<_, i64>(1) as usize))
    }

    fn next_due(&self) -> Result<Option<i64>, StoreError> {
        self.client()?
            .query_one(
                "SELECT least((SELECT min(due) FROM reminders), \
                 (SELECT min(release_at) FROM held))",
                &[],
            )
            .map(|r| r.get(0))
            .map_err(|e| self.fail(e))
    }

    fn silence_add(&self, s: &NewSilence, now: i64) -> Result<u64, StoreError> {
        self.client()?
            .query_one(
                "INSERT INTO silences (pipeline, stage, target, ends, comment, created) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    &s.pipeline,
                    &s.stage,
                    &s.target,
                    &silence_end(now, s.lasts),
                    &s.comment,
                    &now,
                ],
            )
            .map(|r| r.get::<_, i64>(0) as u64)
            .map_err(|e| self.fail(e))
    }

    fn silences(&self, now: i64) -> Result<Vec<Silence>, StoreError> {
        active_silences(&mut **self.client()?, now).map_err(|e| self.fail(e))
    }

    fn silence_expire(&self, id: u64, now: i64) -> Result<bool, StoreError> {
        self.client()?
            .execute(
                "UPDATE silences SET ends = $2 WHERE id = $1 AND ends > $2",
                &[&i64::try_from(id).unwrap_or(-1), &now],
            )
            .map(|n| n > 0)
            .map_err(|e| self.fail(e))
    }
}
