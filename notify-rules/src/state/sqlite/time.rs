//! The time forms' tables in SQLite (`v3.sql`): a notification's throttles,
//! held messages and reminders in its transaction; the tick's claim of what
//! is due; silences.

use rusqlite::{params, Connection, OptionalExtension};

use super::{failure, lock, SqliteState, TxError};
use crate::history::{Seen, StageRun};
use crate::outbox::saved;
use crate::rules::Delivery;
use crate::state::decide;
use crate::state::time::{
    digests, next_due, silence_end, Due, NewHeld, NewReminder, Render, TimeHook, TimeStore, TimeTx,
    TICK_LIMIT,
};
use crate::state::{Recorded, StoreError};
use crate::time::{NewSilence, Silence};

/// The time tables in a notification's transaction (the connection inside
/// [`SqliteState::in_tx`]).
struct Tables<'a> {
    tx: &'a Connection,
    place: &'a str,
}

impl Tables<'_> {
    fn fail(&self, e: rusqlite::Error) -> StoreError {
        failure(self.place, e)
    }
}

impl TimeTx for Tables<'_> {
    fn throttle(
        &mut self,
        rule: u32,
        target: &str,
        subject: &str,
        now: i64,
        every: i64,
    ) -> Result<Option<u64>, StoreError> {
        let fail = |e| self.fail(e);
        let last: Option<(i64, i64)> = self
            .tx
            .prepare_cached(
                "SELECT last_sent, dropped FROM throttles \
                 WHERE rule = ?1 AND target = ?2 AND subject = ?3",
            )
            .and_then(|mut s| {
                s.query_row(params![rule, target, subject], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
            })
            .map_err(fail)?;
        if let Some((last, _)) = last.filter(|(last, _)| now < last.saturating_add(every)) {
            self.tx
                .prepare_cached(
                    "UPDATE throttles SET dropped = dropped + 1 \
                     WHERE rule = ?1 AND target = ?2 AND subject = ?3 AND last_sent = ?4",
                )
                .and_then(|mut s| s.execute(params![rule, target, subject, last]))
                .map_err(fail)?;
            return Ok(None);
        }
        self.tx
            .prepare_cached(
                "INSERT INTO throttles (rule, target, subject, last_sent, dropped) \
                 VALUES (?1, ?2, ?3, ?4, 0) \
                 ON CONFLICT DO UPDATE SET last_sent = excluded.last_sent, dropped = 0",
            )
            .and_then(|mut s| s.execute(params![rule, target, subject, now]))
            .map_err(fail)?;
        Ok(Some(last.map_or(0, |(_, n)| n as u64)))
    }

    fn hold(&mut self, h: &NewHeld) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO held (window_name, target, at, release_at, text, delivery) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    h.window, h.target, h.at, h.release, h.text, h.delivery
                ])
            })
            .map_err(|e| self.fail(e))
            .map(drop)
    }

    fn start_reminder(&mut self, r: &NewReminder) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO reminders (stage, rule, remind, target, started, every, due, status) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
            )
            .and_then(|mut s| {
                s.execute(params![
                    r.stage,
                    r.rule,
                    r.remind,
                    r.target,
                    r.started,
                    r.every,
                    r.started.saturating_add(r.every),
                    r.status
                ])
            })
            .map_err(|e| self.fail(e))
            .map(drop)
    }

    fn end_reminders(&mut self, stage: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM reminders WHERE stage = ?1")
            .and_then(|mut s| s.execute([stage]))
            .map_err(|e| self.fail(e))
            .map(drop)
    }

    fn silences(&mut self, now: i64) -> Result<Vec<Silence>, StoreError> {
        active_silences(self.tx, now).map_err(|e| self.fail(e))
    }
}

/// The silences active at `now`, oldest first.
fn active_silences(db: &rusqlite::Connection, now: i64) -> rusqlite::Result<Vec<Silence>> {
    db.prepare_cached(
        "SELECT id, pipeline, stage, target, ends, comment, created FROM silences \
         WHERE ends > ?1 ORDER BY id",
    )?
    .query_map([now], |r| {
        Ok(Silence {
            id: r.get::<_, i64>(0)? as u64,
            pipeline: r.get(1)?,
            stage: r.get(2)?,
            target: r.get(3)?,
            ends_ms: r.get(4)?,
            comment: r.get(5)?,
            created_ms: r.get(6)?,
        })
    })?
    .collect()
}

/// Whether anything is due: two probes of the due-time indexes.
const PROBE: &str = "SELECT EXISTS (SELECT 1 FROM reminders WHERE due <= ?1) \
                     OR EXISTS (SELECT 1 FROM held WHERE release_at <= ?1)";

/// The due reminders, through the index on `due`.
const DUE: &str = "SELECT id, rule, remind, target, started, every, due, sent, status \
                   FROM reminders WHERE due <= ?1 ORDER BY due LIMIT ?2";

/// Takes the due reminders, moving each to its next time.
fn due_reminders(tx: &Connection, now: i64) -> rusqlite::Result<Vec<Due>> {
    type Row = (i64, u32, u32, String, i64, i64, i64, u32, String);
    let rows: Vec<Row> = tx
        .prepare_cached(DUE)?
        .query_map(params![now, TICK_LIMIT], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut moved = tx.prepare_cached("UPDATE reminders SET due = ?2, sent = ?3 WHERE id = ?1")?;
    let mut due = Vec::with_capacity(rows.len());
    for (id, rule, remind, target, started, every, at, sent, status) in rows {
        let n = sent.saturating_add(1);
        moved.execute(params![id, next_due(at, every, now), n])?;
        // A notification that cannot be read back (written by a later
        // release) makes no reminder, but the row moves on all the same.
        if let Ok(status) = saved::status_from_json(&status) {
            due.push(Due::Reminder {
                rule,
                remind,
                target,
                started,
                n,
                status: Box::new(status),
            });
        }
    }
    Ok(due)
}

/// Takes the held messages whose window has opened.
fn due_held(tx: &Connection, now: i64) -> rusqlite::Result<Vec<NewHeld>> {
    tx.prepare_cached(
        "DELETE FROM held WHERE id IN (SELECT id FROM held WHERE release_at <= ?1 \
         ORDER BY release_at, id LIMIT ?2) RETURNING window_name, target, at, release_at, text, delivery",
    )?
    .query_map(params![now, TICK_LIMIT], |r| {
        Ok(NewHeld {
            window: r.get(0)?,
            target: r.get(1)?,
            at: r.get(2)?,
            release: r.get(3)?,
            text: r.get(4)?,
            delivery: r.get(5)?,
        })
    })?
    .collect()
}

impl TimeStore for SqliteState {
    fn record_timed(
        &self,
        run: &StageRun<'_>,
        evaluate: &mut dyn FnMut(Seen) -> Vec<Delivery<'static>>,
        hook: TimeHook<'_>,
    ) -> Result<Recorded, StoreError> {
        let s = &self.shared;
        let place = &*self.place;
        let w = self.in_tx(true, |t| {
            decide::record_stage(t, s, run, evaluate, |t, deliveries| {
                let mut tables = Tables { tx: t.0, place };
                hook(&mut tables, deliveries).map_err(TxError::Store)
            })
        })?;
        s.settle(w.added, w.recorded.gave_up.len());
        Ok(w.recorded)
    }

    fn tick(&self, now: i64, render: Render<'_>) -> Result<Recorded, StoreError> {
        // Nearly every tick finds nothing: two index probes say so, without
        // the write lock.
        let any: bool = lock(&self.conn)
            .db
            .prepare_cached(PROBE)
            .and_then(|mut s| s.query_row([now], |r| r.get(0)))
            .map_err(|e| self.fail(e))?;
        if !any {
            return Ok(Recorded::default());
        }
        let s = &self.shared;
        let w = self.in_tx(true, |t| {
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
        let conn = lock(&self.conn);
        conn.db
            .query_row(
                "SELECT (SELECT count(*) FROM reminders), (SELECT count(*) FROM held)",
                [],
                |r| Ok((r.get::<_, i64>(0)? as usize, r.get::<_, i64>(1)? as usize)),
            )
            .map_err(|e| self.fail(e))
    }

    fn next_due(&self) -> Result<Option<i64>, StoreError> {
        lock(&self.conn)
            .db
            .query_row(
                "SELECT min(t) FROM (SELECT min(due) AS t FROM reminders \
                 UNION ALL SELECT min(release_at) FROM held)",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.fail(e))
    }

    fn silence_add(&self, s: &NewSilence, now: i64) -> Result<u64, StoreError> {
        let mut conn = lock(&self.conn);
        conn.synced(true).map_err(|e| self.fail(e))?;
        conn.db
            .query_row(
                "INSERT INTO silences (pipeline, stage, target, ends, comment, created) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                params![
                    s.pipeline,
                    s.stage,
                    s.target,
                    silence_end(now, s.lasts),
                    s.comment,
                    now
                ],
                |r| r.get::<_, i64>(0),
            )
            .map(|id| id as u64)
            .map_err(|e| self.fail(e))
    }

    fn silences(&self, now: i64) -> Result<Vec<Silence>, StoreError> {
        active_silences(&lock(&self.conn).db, now).map_err(|e| self.fail(e))
    }

    fn silence_expire(&self, id: u64, now: i64) -> Result<bool, StoreError> {
        let mut conn = lock(&self.conn);
        conn.synced(true).map_err(|e| self.fail(e))?;
        conn.db
            .execute(
                "UPDATE silences SET ends = ?2 WHERE id = ?1 AND ends > ?2",
                params![i64::try_from(id).unwrap_or(-1), now],
            )
            .map(|n| n > 0)
            .map_err(|e| self.fail(e))
    }
}

#[cfg(test)]
mod tests {
    use super::{DUE, PROBE};
    use crate::outbox::OutboxPolicy;
    use crate::state::sqlite::SqliteState;

    /// SQLite's plan for a statement, its `detail` lines joined.
    fn plan(db: &rusqlite::Connection, sql: &str) -> String {
        let mut s = db.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let params = [0i64, 10];
        let rows = s
            .query_map(
                rusqlite::params_from_iter(params.iter().take(s.parameter_count())),
                |r| r.get::<_, String>(3),
            )
            .unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
    }

    #[test]
    fn the_tick_reads_through_the_due_time_indexes() {
        let (_dir, path) = crate::plugin::test_support::temp_file("plan");
        drop(SqliteState::open(&path, OutboxPolicy::default()).unwrap());
        let db = rusqlite::Connection::open(&path).unwrap();
        let probe = plan(&db, PROBE);
        assert!(
            probe.contains("SEARCH reminders USING COVERING INDEX reminders_due (due<?)"),
            "{probe}"
        );
        assert!(
            probe.contains("SEARCH held USING COVERING INDEX held_release (release_at<?)"),
            "{probe}"
        );
        let due = plan(&db, DUE);
        assert!(
            due.contains("SEARCH reminders USING INDEX reminders_due (due<?)"),
            "{due}"
        );
        assert!(
            !due.contains("SCAN") && !due.contains("TEMP B-TREE"),
            "{due}"
        );
    }
}
