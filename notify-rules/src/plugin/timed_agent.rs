//! An agent notification with silences and the agent rules' time forms
//! (`every`, `during`), in its transaction, as `timed.rs` does a stage's.
//! An agent has no stage: a silence holds its deliveries only when it is of
//! every pipeline (`*`) and names no stage
//! ([`Silence::holds_agent`](crate::time::Silence::holds_agent)), and its
//! throttles are named `agent:<uuid>`, apart from every stage's.

use std::cell::OnceCell;
use std::sync::Arc;

use super::{Plugin, Problem};
use crate::history::{AgentRun, AgentSeen};
use crate::model::AgentStatus;
use crate::rules::Delivery;
use crate::state::time::{agent_subject, Notified, TimeTx};

impl Plugin {
    pub(super) fn agent_status_timed(&self, status: Arc<AgentStatus>) -> Vec<Problem> {
        let timed_rules = self.rules.has_time_forms();
        let mut withheld = Vec::new();
        let mut evaluate = |seen: AgentSeen| match seen {
            AgentSeen::Repeat => Vec::new(),
            AgentSeen::New(transition) => {
                self.rules
                    .evaluate_agent_shared(&status, transition, self.server_url.as_deref())
            }
        };
        let mut hook = |tx: &mut dyn TimeTx, deliveries: Vec<Delivery<'static>>| {
            if deliveries.is_empty() {
                return Ok(deliveries);
            }
            // Most agent rule sets (no time forms, no silence) go through
            // untouched: nothing named, nothing copied.
            let now = self.timed.clock.now_ms();
            let silences = tx.silences(now)?;
            if silences.is_empty() && !timed_rules {
                return Ok(deliveries);
            }
            let named = OnceCell::new();
            let about = || named.get_or_init(|| agent_subject(&status.uuid)).as_str();
            // Only silences of every pipeline and no stage hold them.
            self.through_time(tx, deliveries, &silences, about, now, &mut withheld)
        };
        let recorded = self.store.record_timed(
            Notified::Agent(&AgentRun::of(&status), &mut evaluate),
            &mut hook,
        );
        self.timed.tell(&withheld);
        self.after_record(recorded)
    }
}
