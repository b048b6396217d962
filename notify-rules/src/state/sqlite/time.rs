//! The time forms' tables in SQLite (`v3.sql`), through the shared
//! [`decide_time`]: a notification's throttles, held messages and reminders
//! in its transaction, the tick's take of what is due, silences.

use super::{failure, lock, SqliteState, Tables, TxError};
use crate::state::sql::{self, Sql};
use crate::state::time::{Notified, Render, TimeHook, TimeStore};
use crate::state::{decide, decide_time};
use crate::state::{Recorded, StoreError};
use crate::time::{NewSilence, Silence};

impl SqliteState {
    /// Runs `f` on the connection outside a transaction (a read, or one
    /// statement that is its own), kept prepared.
    fn direct<R>(
        &self,
        f: impl FnOnce(&mut Tables<'_>) -> rusqlite::Result<R>,
    ) -> Result<R, StoreError> {
        f(&mut Tables(&lock(&self.conn).db)).map_err(|e| self.fail(e))
    }
}

impl TimeStore for SqliteState {
    fn record_timed(
        &self,
        run: Notified<'_, '_>,
        hook: TimeHook<'_>,
    ) -> Result<Recorded, StoreError> {
        let s = &self.shared;
        let fail = |e| failure(&self.place, e);
        let w = self.in_tx(true, |t| {
            let after = |t: &mut Tables<'_>, deliveries| {
                let mut tables = decide_time::Tables { t, fail: &fail };
                hook(&mut tables, deliveries).map_err(TxError::Store)
            };
            match run {
                Notified::Stage(run, evaluate) => decide::record_stage(t, s, run, evaluate, after),
                Notified::Agent(run, evaluate) => decide::record_agent(t, s, run, evaluate, after),
            }
        })?;
        s.settle(w.added, w.recorded.gave_up.len());
        Ok(w.recorded)
    }

    fn tick(&self, now: i64, render: Render<'_>) -> Result<Recorded, StoreError> {
        // Nearly every tick finds nothing: two index probes say so, without
        // the write lock.
        let any = self.direct(|t| t.bool(sql::TIME_PROBE, &[sql::Val::Int(now)]))?;
        if any != Some(true) {
            return Ok(Recorded::default());
        }
        let s = &self.shared;
        let w = self.in_tx(true, |t| decide_time::tick(t, s, now, render))?;
        s.settle(w.added, w.recorded.gave_up.len());
        Ok(w.recorded)
    }

    fn time_counts(&self) -> Result<(usize, usize), StoreError> {
        self.direct(|t| decide_time::counts(t))
    }

    fn next_due(&self) -> Result<Option<i64>, StoreError> {
        self.direct(|t| decide_time::due_next(t))
    }

    fn silence_add(&self, silence: &NewSilence, now: i64) -> Result<u64, StoreError> {
        self.in_tx(true, |t| decide_time::silence_add(t, silence, now))
    }

    fn silences(&self, now: i64) -> Result<Vec<Silence>, StoreError> {
        self.direct(|t| decide_time::silences(t, now))
    }

    fn silence_expire(&self, id: u64, now: i64) -> Result<bool, StoreError> {
        self.in_tx(true, |t| decide_time::silence_expire(t, id, now))
    }
}

#[cfg(test)]
mod tests {
    use super::Tables;
    use crate::state::outbox::OutboxPolicy;
    use crate::state::sql::{self, Sql};
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
        let probe = plan(&db, sql::TIME_PROBE);
        assert!(
            probe.contains("SEARCH reminders USING COVERING INDEX reminders_due (due<?)"),
            "{probe}"
        );
        assert!(
            probe.contains("SEARCH held USING COVERING INDEX held_release (release_at<?)"),
            "{probe}"
        );
        let due = plan(&db, <Tables<'_> as Sql>::DUE_REMINDERS);
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
