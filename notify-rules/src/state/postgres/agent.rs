//! Recording one agent-status notification: its handled record, the agent's
//! history and its deliveries' outbox entries, in one transaction.

use super::record::Tables;
use super::*;
use crate::state::decide::{self, AgentLimits, AgentTables};

/// The first key of the advisory locks on agents ("agen" in ASCII): the
/// two-key locks are apart from the one-key locks of stages and migrations.
const AGENT_LOCKS: i32 = 0x6167_656e;

impl PostgresState {
    pub(super) fn record_agent_run(
        &self,
        run: &AgentRun<'_>,
        evaluate: &mut dyn FnMut(AgentSeen) -> Vec<Delivery<'static>>,
    ) -> Result<Recorded, StoreError> {
        let fail = |e| self.fail(e);
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(fail)?;
        let now = now_ms();
        // One agent's notifications in order across replicas.
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&AGENT_LOCKS, &run.uuid],
        )
        .map_err(fail)?;
        let limits = AgentLimits {
            agents: self.agents_kept,
            handled: self.agent_handled_kept,
        };
        let Some(seen) = decide::agent(&mut Tables(&mut tx), run, limits, now).map_err(fail)?
        else {
            tx.commit().map_err(fail)?;
            return Ok(Recorded::default());
        };
        let deliveries = evaluate(seen);
        self.write_ahead(tx, deliveries, now)
    }
}

/// The newest state (or, for a late one, only the use) is stamped with one
/// more than any, so the least recently recorded is known.
impl AgentTables for Tables<'_, '_> {
    type Error = postgres::Error;

    fn take_handled(
        &mut self,
        run: &AgentRun<'_>,
        time: i64,
        now: i64,
    ) -> Result<bool, postgres::Error> {
        self.0
            .execute(
                "INSERT INTO agent_handled \
                 (uuid, state, build_state, config_state, transition_time, at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                &[
                    &run.uuid,
                    &run.state.as_str(),
                    &run.build_state.as_str(),
                    &run.config_state.as_str(),
                    &time,
                    &now,
                ],
            )
            .map(|n| n == 1)
    }

    fn forget_handled(&mut self, keep: i64, before: i64) -> Result<(), postgres::Error> {
        self.0
            .execute(
                "DELETE FROM agent_handled \
                 WHERE id <= (SELECT max(id) FROM agent_handled) - $1 OR at < $2",
                &[&keep, &before],
            )
            .map(drop)
    }

    fn last(&mut self, uuid: &str) -> Result<Option<(String, Option<i64>)>, postgres::Error> {
        Ok(self
            .0
            .query_opt(
                "SELECT state, transition_time FROM agent_runs WHERE uuid = $1",
                &[&uuid],
            )?
            .map(|r| (r.get(0), r.get(1))))
    }

    fn put_last(
        &mut self,
        uuid: &str,
        state: &str,
        time: Option<i64>,
    ) -> Result<(), postgres::Error> {
        self.0
            .execute(
                "INSERT INTO agent_runs (uuid, state, transition_time, used) \
                 VALUES ($1, $2, $3, (SELECT coalesce(max(used), 0) + 1 FROM agent_runs)) \
                 ON CONFLICT (uuid) DO UPDATE SET state = excluded.state, \
                 transition_time = excluded.transition_time, used = excluded.used",
                &[&uuid, &state, &time],
            )
            .map(drop)
    }

    fn touch(&mut self, uuid: &str) -> Result<(), postgres::Error> {
        self.0
            .execute(
                "UPDATE agent_runs SET used = (SELECT coalesce(max(used), 0) + 1 FROM agent_runs) \
                 WHERE uuid = $1",
                &[&uuid],
            )
            .map(drop)
    }

    fn forget_agents(&mut self, keep: i64) -> Result<(), postgres::Error> {
        self.0
            .execute(
                "DELETE FROM agent_runs WHERE used <= \
                 (SELECT used FROM agent_runs ORDER BY used DESC LIMIT 1 OFFSET $1)",
                &[&keep],
            )
            .map(drop)
    }
}
