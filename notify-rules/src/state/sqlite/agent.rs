//! Recording one agent-status notification: its handled record, the agent's
//! history and its deliveries' outbox entries, in one transaction.

use super::*;
use crate::history::decide_agent;

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
        let time = rows::micros(run.transition_time);
        let new = tx
            .prepare_cached(
                "INSERT INTO agent_handled \
                 (uuid, state, build_state, config_state, transition_time, at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
            )
            .and_then(|mut s| {
                s.execute(params![
                    run.uuid,
                    run.state.as_str(),
                    run.build_state.as_str(),
                    run.config_state.as_str(),
                    time.unwrap_or(rows::NOT_SENT),
                    now
                ])
            })
            .map_err(fail)?
            == 1;
        if !new {
            return Ok(Recorded::default());
        }
        // Past the limit, the oldest handled records go; by age too.
        tx.prepare_cached(
            "DELETE FROM agent_handled WHERE id <= (SELECT max(id) FROM agent_handled) - ?1 \
             OR at < ?2",
        )
        .and_then(|mut s| s.execute(params![self.agent_handled_kept, now - HANDLED_KEPT_MS]))
        .map_err(fail)?;
        let last: Option<(String, Option<i64>)> = tx
            .prepare_cached("SELECT state, transition_time FROM agent_runs WHERE uuid = ?1")
            .and_then(|mut s| {
                s.query_row([run.uuid], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(fail)?;
        let last = last.map(|(state, t)| rows::agent_last(&state, t));
        let decision = decide_agent(run, last.as_ref().map(|(s, t)| (s, *t)));
        // The newest state (or, for a late one, only the use) is stamped
        // with one more than any, so the least recently recorded is known.
        if decision.newest {
            tx.prepare_cached(
                "INSERT INTO agent_runs (uuid, state, transition_time, used) \
                 VALUES (?1, ?2, ?3, (SELECT coalesce(max(used), 0) + 1 FROM agent_runs)) ON CONFLICT DO UPDATE SET \
                 state = excluded.state, transition_time = excluded.transition_time, \
                 used = excluded.used",
            )
            .and_then(|mut s| s.execute(params![run.uuid, run.state.as_str(), time]))
            .map_err(fail)?;
            if last.is_none() {
                // A new agent: the least recently recorded past the limit go.
                tx.prepare_cached(
                    "DELETE FROM agent_runs WHERE used <= (SELECT used FROM agent_runs \
                     ORDER BY used DESC LIMIT 1 OFFSET ?1)",
                )
                .and_then(|mut s| s.execute([self.agents_kept]))
                .map_err(fail)?;
            }
        } else {
            tx.prepare_cached(
                "UPDATE agent_runs SET used = (SELECT coalesce(max(used), 0) + 1 FROM agent_runs) \
                 WHERE uuid = ?1",
            )
            .and_then(|mut s| s.execute([run.uuid]))
            .map_err(fail)?;
        }
        let deliveries = evaluate(AgentSeen::New(decision.transition));
        self.write_ahead(tx, deliveries, now)
    }
}
