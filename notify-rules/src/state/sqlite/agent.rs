//! Recording one agent-status notification: its handled record, the agent's
//! history and its deliveries' outbox entries, in one transaction.

use super::record::Tables;
use super::*;
use crate::state::decide::{self, AgentLimits, AgentTables};

impl SqliteState {
    pub(super) fn record_agent_run(
        &self,
        run: &AgentRun<'_>,
        evaluate: &mut dyn FnMut(AgentSeen) -> Vec<Delivery<'static>>,
    ) -> Result<Recorded, StoreError> {
        let fail = |e| self.fail(e);
        let mut conn = lock(&self.conn);
        conn.synced(true).map_err(fail)?;
        let tx = conn
            .db
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let now = now_ms();
        let limits = AgentLimits {
            agents: self.agents_kept,
            handled: self.agent_handled_kept,
        };
        let Some(seen) = decide::agent(&mut Tables(&tx), run, limits, now).map_err(fail)? else {
            return Ok(Recorded::default());
        };
        let deliveries = evaluate(seen);
        self.write_ahead(tx, deliveries, now)
    }
}

/// The newest state (or, for a late one, only the use) is stamped with one
/// more than any, so the least recently recorded is known.
impl AgentTables for Tables<'_, '_> {
    type Error = rusqlite::Error;

    fn take_handled(&mut self, run: &AgentRun<'_>, time: i64, now: i64) -> rusqlite::Result<bool> {
        self.0
            .prepare_cached(
                "INSERT INTO agent_handled \
                 (uuid, state, build_state, config_state, transition_time, at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                run.uuid,
                run.state.as_str(),
                run.build_state.as_str(),
                run.config_state.as_str(),
                time,
                now
            ])
            .map(|n| n == 1)
    }

    fn forget_handled(&mut self, keep: i64, before: i64) -> rusqlite::Result<()> {
        self.0
            .prepare_cached(
                "DELETE FROM agent_handled \
                 WHERE id <= (SELECT max(id) FROM agent_handled) - ?1 OR at < ?2",
            )?
            .execute(params![keep, before])
            .map(drop)
    }

    fn last(&mut self, uuid: &str) -> rusqlite::Result<Option<(String, Option<i64>)>> {
        self.0
            .prepare_cached("SELECT state, transition_time FROM agent_runs WHERE uuid = ?1")?
            .query_row([uuid], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
    }

    fn put_last(&mut self, uuid: &str, state: &str, time: Option<i64>) -> rusqlite::Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO agent_runs (uuid, state, transition_time, used) \
                 VALUES (?1, ?2, ?3, (SELECT coalesce(max(used), 0) + 1 FROM agent_runs)) \
                 ON CONFLICT DO UPDATE SET state = excluded.state, \
                 transition_time = excluded.transition_time, used = excluded.used",
            )?
            .execute(params![uuid, state, time])
            .map(drop)
    }

    fn touch(&mut self, uuid: &str) -> rusqlite::Result<()> {
        self.0
            .prepare_cached(
                "UPDATE agent_runs SET used = (SELECT coalesce(max(used), 0) + 1 FROM agent_runs) \
                 WHERE uuid = ?1",
            )?
            .execute([uuid])
            .map(drop)
    }

    fn forget_agents(&mut self, keep: i64) -> rusqlite::Result<()> {
        self.0
            .prepare_cached(
                "DELETE FROM agent_runs WHERE used <= \
                 (SELECT used FROM agent_runs ORDER BY used DESC LIMIT 1 OFFSET ?1)",
            )?
            .execute([keep])
            .map(drop)
    }
}
