//! Recording one agent-status notification: its handled record, the agent's
//! history and its deliveries' outbox entries, in one transaction.

use super::*;
use crate::history::decide_agent;

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
        let time = rows::micros(run.transition_time);
        // One agent's notifications in order across replicas.
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&AGENT_LOCKS, &run.uuid],
        )
        .map_err(fail)?;
        let new = tx
            .execute(
                "INSERT INTO agent_handled \
                 (uuid, state, build_state, config_state, transition_time, at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                &[
                    &run.uuid,
                    &run.state.as_str(),
                    &run.build_state.as_str(),
                    &run.config_state.as_str(),
                    &time.unwrap_or(rows::NOT_SENT),
                    &now,
                ],
            )
            .map_err(fail)?
            == 1;
        if !new {
            tx.commit().map_err(fail)?;
            return Ok(Recorded::default());
        }
        // Past the limit, the oldest handled records go; by age too.
        tx.execute(
            "DELETE FROM agent_handled WHERE id <= (SELECT max(id) FROM agent_handled) - $1 \
             OR at < $2",
            &[&self.agent_handled_kept, &(now - HANDLED_KEPT_MS)],
        )
        .map_err(fail)?;
        let last = tx
            .query_opt(
                "SELECT state, transition_time FROM agent_runs WHERE uuid = $1",
                &[&run.uuid],
            )
            .map_err(fail)?
            .map(|r| rows::agent_last(r.get(0), r.get(1)));
        let decision = decide_agent(run, last.as_ref().map(|(s, t)| (s, *t)));
        // The newest state (or, for a late one, only the use) is stamped
        // with one more than any, so the least recently recorded is known.
        if decision.newest {
            tx.execute(
                "INSERT INTO agent_runs (uuid, state, transition_time, used) \
                     VALUES ($1, $2, $3, (SELECT coalesce(max(used), 0) + 1 FROM agent_runs)) ON CONFLICT (uuid) DO UPDATE SET \
                     state = excluded.state, transition_time = excluded.transition_time, \
                     used = excluded.used",
                &[&run.uuid, &run.state.as_str(), &time],
            )
            .map_err(fail)?;
            if last.is_none() {
                // A new agent: the least recently recorded past the limit go.
                tx.execute(
                    "DELETE FROM agent_runs WHERE used <= (SELECT used FROM agent_runs \
                     ORDER BY used DESC LIMIT 1 OFFSET $1)",
                    &[&self.agents_kept],
                )
                .map_err(fail)?;
            }
        } else {
            tx.execute(
                "UPDATE agent_runs SET used = (SELECT coalesce(max(used), 0) + 1 FROM agent_runs) \
                 WHERE uuid = $1",
                &[&run.uuid],
            )
            .map_err(fail)?;
        }
        let deliveries = evaluate(AgentSeen::New(decision.transition));
        self.write_ahead(tx, deliveries, now)
    }
}
