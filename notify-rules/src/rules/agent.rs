//! Evaluating agent rules (`on agent ...`) on agent-status notifications.

use std::sync::Arc;

use super::{AgentEval, AgentTransition, Delivery, Engine, RuleExplanation, RuleSet, Source};
use crate::model::AgentStatus;

impl RuleSet {
    /// The deliveries the agent rules make for one agent-status, in rule
    /// order, with no history: `lost` and `back` do not match and `{link}`
    /// renders empty. Stage rules never match an agent-status. The
    /// deliveries borrow `status` like [`RuleSet::evaluate`]'s.
    ///
    /// ```
    /// use notify_rules::{RuleSet, model::AgentStatus};
    ///
    /// let body = r#"{"uuid":"0b9e","host_name":"win-7","agent_state":"Idle",
    ///   "build_state":"Idle","agent_config_state":"Disabled"}"#;
    /// let agent: AgentStatus = serde_json::from_str(body).unwrap();
    /// let rules = RuleSet::parse(r#"target infra;
    ///     on agent host "WIN-*" config disabled => send(infra);
    ///     on agent lost => send(infra, "lost");
    ///     on state Failed => send(infra);"#).unwrap();
    /// let made = rules.evaluate_agent(&agent);
    /// assert_eq!(made.len(), 1);
    /// assert_eq!(made[0].text(), "Agent win-7: Idle, build Idle");
    /// assert_eq!(made[0].rule_index(), 0);
    /// ```
    pub fn evaluate_agent<'s>(&self, status: &'s AgentStatus) -> Vec<Delivery<'s>> {
        self.evaluate_agent_with(status, None, None)
    }

    /// Like [`RuleSet::evaluate_agent`], with the transition history found
    /// (`lost`, `back`) and the server address for `{link}`.
    ///
    /// ```
    /// use notify_rules::{RuleSet, AgentTransition, model::AgentStatus};
    ///
    /// let agent: AgentStatus = serde_json::from_str(r#"{"uuid":"0b9e","agent_state":"Idle"}"#).unwrap();
    /// let rules = RuleSet::parse("target ops; on agent back => send(ops, \"{transition}: {link}\");").unwrap();
    /// let made = rules.evaluate_agent_with(&agent, Some(AgentTransition::Back), Some("https://ci.example.org/go"));
    /// assert_eq!(made[0].text(), "back: https://ci.example.org/go/agents/0b9e/job_run_history");
    /// ```
    pub fn evaluate_agent_with<'s>(
        &self,
        status: &'s AgentStatus,
        transition: Option<AgentTransition>,
        server_url: Option<&str>,
    ) -> Vec<Delivery<'s>> {
        let made = self.run_agent(AgentEval::new_agent(status, transition, server_url));
        made.into_iter()
            .map(|d| d.rebind(Source::AgentBorrowed(status)))
            .collect()
    }

    /// Like [`RuleSet::evaluate_agent_with`], for an agent-status behind an
    /// [`Arc`]: each delivery holds a reference count of it, not a copy.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use notify_rules::{RuleSet, model::AgentStatus};
    ///
    /// let agent: Arc<AgentStatus> = Arc::new(serde_json::from_str(r#"{"uuid":"0b9e"}"#).unwrap());
    /// let rules = RuleSet::parse("target ops; on agent => send(ops);").unwrap();
    /// let d = rules.evaluate_agent_shared(&agent, None, None);
    /// assert!(std::ptr::eq(d[0].agent().unwrap(), &*agent));
    /// ```
    pub fn evaluate_agent_shared(
        &self,
        status: &Arc<AgentStatus>,
        transition: Option<AgentTransition>,
        server_url: Option<&str>,
    ) -> Vec<Delivery<'static>> {
        let mut ev = AgentEval::new_agent(status, transition, server_url);
        ev.source = Source::AgentShared(Arc::clone(status));
        self.run_agent(ev)
            .into_iter()
            .map(Delivery::into_owned)
            .collect()
    }

    fn run_agent<'s>(&self, mut ev: AgentEval<'s>) -> Vec<Delivery<'s>> {
        match &self.engine {
            Engine::Compiled(_, Some(f)) => f(&mut ev),
            Engine::Compiled(_, None) => {}
            Engine::Loaded(p) => p.run_agent(&mut ev),
        }
        ev.out
    }

    /// Whether some rule is an agent rule (`on agent ...`): then the plugin
    /// asks GoCD for `agent-status` notifications too.
    ///
    /// ```
    /// use notify_rules::RuleSet;
    /// assert!(RuleSet::parse("target ops; on agent => send(ops);").unwrap().has_agent_rules());
    /// assert!(!RuleSet::parse("target ops; on any => send(ops);").unwrap().has_agent_rules());
    /// ```
    pub fn has_agent_rules(&self) -> bool {
        self.agent_rule_count > 0
    }

    /// Like [`RuleSet::explain`], for the agent rules and an agent-status
    /// (with no history, so `lost` and `back` do not match).
    ///
    /// ```
    /// use notify_rules::{RuleSet, model::AgentStatus};
    ///
    /// let rules = RuleSet::parse("target ops;\non agent host \"win-*\" => send(ops);").unwrap();
    /// let agent: AgentStatus = serde_json::from_str(r#"{"uuid":"0b9e","host_name":"lin-1"}"#).unwrap();
    /// let why = rules.explain_agent(&agent).unwrap();
    /// assert_eq!(why[0].to_string(), r#"rule 1 (line 2): no match: `host "win-*"` saw agent.host_name = "lin-1""#);
    /// ```
    pub fn explain_agent(&self, status: &AgentStatus) -> Option<Vec<RuleExplanation>> {
        match &self.engine {
            Engine::Loaded(p) => Some(p.explain_agent(&AgentEval::new_agent(status, None, None))),
            Engine::Compiled(..) => None,
        }
    }
}
