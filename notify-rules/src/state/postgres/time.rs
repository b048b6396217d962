//! The time forms' tables in PostgreSQL (`v3.sql`), through the shared
//! [`decide_time`]. A tick is taken by one replica at a time (a
//! transaction-scoped advisory lock, tried, not waited for), and claims due
//! rows with `FOR UPDATE SKIP LOCKED` (the `Sql` constants of `record.rs`):
//! each reminder and each digest is written to the outbox, and so sent,
//! once however many replicas tick.

use super::{PostgresState, Tables, TxError};
use crate::state::sql;
use crate::state::time::{Notified, Render, TimeHook, TimeStore};
use crate::state::{decide, decide_time, rows};
use crate::state::{Recorded, StoreError};
use crate::time::{NewSilence, Silence};

impl TimeStore for PostgresState {
    fn record_timed(
        &self,
        run: Notified<'_, '_>,
        hook: TimeHook<'_>,
    ) -> Result<Recorded, StoreError> {
        let s = &self.shared;
        let fail = |e| self.fail(e);
        let w = self.in_tx(|t| {
            let after = |t: &mut Tables<'_, '_>, deliveries| {
                let mut tables = decide_time::Tables { t, fail: &fail };
                hook(&mut tables, deliveries).map_err(TxError::Store)
            };
            // The stage's (the agent's) lock orders its throttles across
            // replicas too.
            match run {
                Notified::Stage(run, evaluate) => {
                    t.lock_stage(&rows::stage_key(run.pipeline, run.stage))?;
                    decide::record_stage(t, s, run, evaluate, after)
                }
                Notified::Agent(run, evaluate) => {
                    t.lock_agent(run.uuid)?;
                    decide::record_agent(t, s, run, evaluate, after)
                }
            }
        })?;
        s.settle(w.added, w.recorded.gave_up.len());
        Ok(w.recorded)
    }

    fn tick(&self, now: i64, render: Render<'_>) -> Result<Recorded, StoreError> {
        // Nearly every tick finds nothing: two index probes, one statement
        // on its own, no lock.
        let any = self.prepared(sql::TIME_PROBE, |c, probe| c.query(probe, &[&now]))?;
        if !any.first().is_some_and(|r| r.get::<_, bool>(0)) {
            return Ok(Recorded::default());
        }
        let s = &self.shared;
        let w = self.in_tx(|t| decide_time::tick(t, s, now, render))?;
        s.settle(w.added, w.recorded.gave_up.len());
        Ok(w.recorded)
    }

    fn time_counts(&self) -> Result<(usize, usize), StoreError> {
        self.in_tx(|t| decide_time::counts(t))
    }

    fn next_due(&self) -> Result<Option<i64>, StoreError> {
        self.in_tx(|t| decide_time::due_next(t))
    }

    fn silence_add(&self, silence: &NewSilence, now: i64) -> Result<u64, StoreError> {
        self.in_tx(|t| decide_time::silence_add(t, silence, now))
    }

    fn silences(&self, now: i64) -> Result<Vec<Silence>, StoreError> {
        // For `silence list` and `explain`: one statement on its own.
        let rows = self.prepared(sql::SILENCES, |c, silences| c.query(silences, &[&now]))?;
        rows.iter()
            .map(decide_time::silence)
            .collect::<Result<_, _>>()
            .map_err(|e| self.fail(e))
    }

    fn silence_expire(&self, id: u64, now: i64) -> Result<bool, StoreError> {
        self.in_tx(|t| decide_time::silence_expire(t, id, now))
    }
}
