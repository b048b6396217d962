//! The history of agents, for `lost` and `back`, with the rules of the
//! [module documentation](crate::history#agents).

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use super::HistoryLimits;
use crate::model::{AgentConfigState, AgentState, AgentStatus, BuildState};
use crate::rules::AgentTransition;

/// One agent-status notification, as history sees it. It borrows the `uuid`,
/// so that recording a known agent copies nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRun<'a> {
    /// The agent's identifier.
    pub uuid: &'a str,
    /// What the agent is doing (`agent_state`).
    pub state: AgentState,
    /// The state of its current build (`build_state`).
    pub build_state: BuildState,
    /// Whether it is enabled (`agent_config_state`).
    pub config_state: AgentConfigState,
    /// When it changed state (`transition_time`), if GoCD said.
    pub transition_time: Option<DateTime<Utc>>,
}

impl<'a> AgentRun<'a> {
    /// A run from its parts.
    ///
    /// ```
    /// use notify_rules::history::AgentRun;
    /// use notify_rules::model::{AgentConfigState, AgentState, BuildState};
    ///
    /// let run = AgentRun::new("a1", AgentState::Idle, BuildState::Idle, AgentConfigState::Enabled, None);
    /// assert_eq!(run.uuid, "a1");
    /// ```
    pub fn new(
        uuid: &'a str,
        state: AgentState,
        build_state: BuildState,
        config_state: AgentConfigState,
        transition_time: Option<DateTime<Utc>>,
    ) -> Self {
        AgentRun {
            uuid,
            state,
            build_state,
            config_state,
            transition_time,
        }
    }

    /// The run an agent-status notification reports.
    pub fn of(status: &'a AgentStatus) -> Self {
        AgentRun::new(
            &status.uuid,
            status.agent_state.clone(),
            status.build_state.clone(),
            status.agent_config_state.clone(),
            status.transition_time,
        )
    }
}

/// What history says about an agent-status notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentSeen {
    /// Not seen before; `lost` or `back`, when it makes one.
    New(Option<AgentTransition>),
    /// Handled before: it makes no deliveries again.
    Repeat,
}

/// How an agent-status compares with the newest one recorded for its agent:
/// the transition it makes, and whether it becomes the newest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AgentDecision {
    pub(crate) transition: Option<AgentTransition>,
    /// `false` for a late notification: history stays as it is.
    pub(crate) newest: bool,
}

/// Whether an agent is out of contact in this state.
fn gone(state: &AgentState) -> bool {
    matches!(state, AgentState::LostContact | AgentState::Missing)
}

/// Decides `run` against the newest state recorded for its agent and that
/// state's `transition_time`, as the [module documentation](crate::history#agents) says. The
/// one decision every store makes, so that they cannot disagree.
pub(crate) fn decide(
    run: &AgentRun<'_>,
    last: Option<(&AgentState, Option<DateTime<Utc>>)>,
) -> AgentDecision {
    if let Some((_, Some(newest))) = last {
        if run.transition_time.is_some_and(|t| t < newest) {
            return AgentDecision {
                transition: None,
                newest: false,
            };
        }
    }
    let before_gone = last.is_some_and(|(state, _)| gone(state));
    let transition = match &run.state {
        s if gone(s) && !before_gone => Some(AgentTransition::Lost),
        AgentState::Idle | AgentState::Building if before_gone => Some(AgentTransition::Back),
        _ => None,
    };
    AgentDecision {
        transition,
        newest: true,
    }
}

/// A handled agent-status: every field that makes it the same notification.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct AgentKey {
    uuid: Arc<str>,
    state: AgentState,
    build_state: BuildState,
    config_state: AgentConfigState,
    transition_time: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
struct AgentLast {
    state: AgentState,
    transition_time: Option<DateTime<Utc>>,
    /// When the agent was last recorded, for forgetting the least recently
    /// used.
    used: u64,
}

/// How many agents have their newest state kept; past it the one recorded
/// least recently is forgotten.
pub(crate) const AGENTS_KEPT: usize = 10_000;

/// The newest state of every agent, and the agent-status notifications
/// already handled, with the logic of the
/// [module documentation](crate::history#agents). Bounded: at most
/// [`HistoryLimits::handled`] handled notifications (the newest), and at
/// most 10 000 agents, past which the agent recorded least recently is
/// forgotten (its next agent-status is compared with nothing, as a new
/// agent's is).
///
/// ```
/// use notify_rules::history::{AgentHistoryState, AgentRun, AgentSeen};
/// use notify_rules::model::{AgentConfigState, AgentState, BuildState};
/// use notify_rules::AgentTransition::{Back, Lost};
///
/// let mut history = AgentHistoryState::default();
/// let at = |minute: u32| Some(chrono::DateTime::from_timestamp(i64::from(minute) * 60, 0).unwrap());
/// let run = |state, minute| AgentRun::new("a1", state, BuildState::Idle, AgentConfigState::Enabled, at(minute));
/// assert_eq!(history.record(&run(AgentState::Idle, 1)), AgentSeen::New(None));
/// assert_eq!(history.record(&run(AgentState::LostContact, 2)), AgentSeen::New(Some(Lost)));
/// assert_eq!(history.record(&run(AgentState::LostContact, 2)), AgentSeen::Repeat);
/// assert_eq!(history.record(&run(AgentState::Missing, 3)), AgentSeen::New(None));
/// // Late: minute 1 is older than minute 3, so it changes nothing.
/// assert_eq!(history.record(&run(AgentState::Building, 1)), AgentSeen::New(None));
/// assert_eq!(history.record(&run(AgentState::Idle, 4)), AgentSeen::New(Some(Back)));
/// ```
#[derive(Debug, Clone)]
pub struct AgentHistoryState {
    handled_limit: usize,
    agents: HashMap<Arc<str>, AgentLast>,
    handled: HashSet<AgentKey>,
    handled_order: VecDeque<AgentKey>,
    /// Counts records, for `AgentLast::used`.
    clock: u64,
    max_agents: usize,
}

impl Default for AgentHistoryState {
    fn default() -> Self {
        AgentHistoryState::new(HistoryLimits::default())
    }
}

impl AgentHistoryState {
    /// An empty history, remembering at most `limits.handled` handled
    /// agent-status notifications (`runs_per_stage` is for stages only).
    pub fn new(limits: HistoryLimits) -> Self {
        AgentHistoryState {
            handled_limit: limits.handled.max(1),
            agents: HashMap::new(),
            handled: HashSet::new(),
            handled_order: VecDeque::new(),
            clock: 0,
            max_agents: AGENTS_KEPT,
        }
    }

    /// Keeps at most `n` agents instead of 10 000.
    #[cfg(test)]
    pub(crate) fn with_max_agents(mut self, n: usize) -> Self {
        self.max_agents = n.max(1);
        self
    }

    /// Records an agent-status notification and says what it is.
    pub fn record(&mut self, run: &AgentRun<'_>) -> AgentSeen {
        let uuid: Arc<str> = match self.agents.get_key_value(run.uuid) {
            Some((known, _)) => known.clone(),
            None => Arc::from(run.uuid),
        };
        let key = AgentKey {
            uuid: uuid.clone(),
            state: run.state.clone(),
            build_state: run.build_state.clone(),
            config_state: run.config_state.clone(),
            transition_time: run.transition_time,
        };
        if self.handled.contains(&key) {
            return AgentSeen::Repeat;
        }
        self.remember_handled(key);
        let last = self
            .agents
            .get(run.uuid)
            .map(|a| (&a.state, a.transition_time));
        let decision = decide(run, last);
        self.clock += 1;
        let used = self.clock;
        if decision.newest {
            if !self.agents.contains_key(run.uuid) && self.agents.len() >= self.max_agents {
                self.forget_least_recent();
            }
            self.agents.insert(
                uuid,
                AgentLast {
                    state: run.state.clone(),
                    transition_time: run.transition_time,
                    used,
                },
            );
        } else if let Some(agent) = self.agents.get_mut(run.uuid) {
            agent.used = used;
        }
        AgentSeen::New(decision.transition)
    }

    fn forget_least_recent(&mut self) {
        let oldest = self
            .agents
            .iter()
            .min_by_key(|(_, a)| a.used)
            .map(|(k, _)| k.clone());
        if let Some(oldest) = oldest {
            self.agents.remove(&oldest);
        }
    }

    fn remember_handled(&mut self, key: AgentKey) {
        self.handled.insert(key.clone());
        self.handled_order.push_back(key);
        while self.handled_order.len() > self.handled_limit {
            if let Some(old) = self.handled_order.pop_front() {
                self.handled.remove(&old);
            }
        }
    }

    /// The newest state recorded for an agent, with its `transition_time`.
    ///
    /// ```
    /// use notify_rules::history::{AgentHistoryState, AgentRun};
    /// use notify_rules::model::{AgentConfigState, AgentState, BuildState};
    ///
    /// let mut history = AgentHistoryState::default();
    /// assert_eq!(history.last("a1"), None);
    /// history.record(&AgentRun::new("a1", AgentState::Missing, BuildState::Idle, AgentConfigState::Enabled, None));
    /// assert_eq!(history.last("a1"), Some((&AgentState::Missing, None)));
    /// ```
    pub fn last(&self, uuid: &str) -> Option<(&AgentState, Option<DateTime<Utc>>)> {
        self.agents.get(uuid).map(|a| (&a.state, a.transition_time))
    }

    /// How many agents have a state kept.
    pub fn agents_len(&self) -> usize {
        self.agents.len()
    }

    /// How many handled agent-status notifications are remembered.
    pub fn handled_len(&self) -> usize {
        self.handled_order.len()
    }
}
