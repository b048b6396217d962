//! What a [`Plugin`](crate::Plugin) remembers between notifications: the
//! completed runs of each stage (for `broken`, `fixed` and `still_failing`) and the
//! notifications already handled (so that a forwarder's retry delivers nothing
//! twice).
//!
//! The rules, from the rule language's specification:
//!
//! - a stage is known by its pipeline name and stage name, without regard to
//!   ASCII case (GoCD's names are case-insensitive);
//! - its runs are ordered by (pipeline counter, stage counter), so a re-run comes
//!   after the run it repeats;
//! - only `Passed` and `Failed` runs count: a cancelled run is skipped, and
//!   `Building` (or any other state) changes nothing;
//! - a notification that arrives late is compared with the run before it, and
//!   does not overwrite newer history;
//! - a notification seen before (same pipeline name and counter, stage name and
//!   counter, and state) is a [`Seen::Repeat`].
//!
//! [`HistoryState`] is this logic in memory, as the memory store keeps it;
//! the database stores of [`state`](crate::state) keep the same rules in
//! their tables.
//!
//! # Agents
//!
//! For `lost` and `back`, history keeps the newest agent-status handled for
//! each agent, and the agent-status notifications already handled:
//!
//! - an agent is known by its `uuid`, exactly as GoCD sends it;
//! - `lost`: `agent_state` is `LostContact` or `Missing`, and the previous
//!   agent-status handled for that agent had neither (or there was none);
//! - `back`: `agent_state` is `Idle` or `Building`, and the previous one was
//!   `LostContact` or `Missing`; every other state (`Unknown` included) is a
//!   previous state like any other;
//! - an agent-status seen before (same `uuid`, `agent_state`, `build_state`,
//!   `agent_config_state` and `transition_time`) is an [`AgentSeen::Repeat`];
//! - a **late** agent-status, whose `transition_time` is older than that of
//!   the newest one recorded for its agent, tells of a state the agent has
//!   already left: it is taken as handled (its repeat is a repeat) and makes
//!   the deliveries of rules that ask for neither `lost` nor `back`, but it
//!   makes no transition and leaves the agent's history as it is. Comparing
//!   it with the state before it instead would report a `lost` or `back` that
//!   newer notifications have already reported or undone. Without a
//!   `transition_time` on either side, the order they were handled in is all
//!   there is, and it is used; equal times are in order too.
//!
//! [`AgentHistoryState`] is this logic in memory; the database stores keep
//! the newest state of at most 10 000 agents too (the least recently
//! recorded forgotten), and their handled agent-status notifications for 30
//! days, 100 000 at most (bounds they enforce every 1024 notifications, in
//! one batch).
//!
//! ```
//! use notify_rules::history::{AgentHistoryState, AgentRun, AgentSeen};
//! use notify_rules::model::{AgentConfigState, AgentState, BuildState};
//! use notify_rules::AgentTransition::{Back, Lost};
//!
//! let mut history = AgentHistoryState::default();
//! let at = |s| chrono::DateTime::from_timestamp(s, 0);
//! let run = |state, s| AgentRun::new("a1", state, BuildState::Idle, AgentConfigState::Enabled, at(s));
//! assert_eq!(history.record(&run(AgentState::Idle, 1)), AgentSeen::New(None));
//! assert_eq!(history.record(&run(AgentState::LostContact, 2)), AgentSeen::New(Some(Lost)));
//! assert_eq!(history.record(&run(AgentState::LostContact, 2)), AgentSeen::Repeat);
//! assert_eq!(history.record(&run(AgentState::Idle, 3)), AgentSeen::New(Some(Back)));
//! ```
//!
//! ```
//! use notify_rules::history::{HistoryState, Seen, StageRun};
//! use notify_rules::model::StageState;
//! use notify_rules::Transition;
//!
//! let mut history = HistoryState::default();
//! let run = |counter, state| StageRun::new("api", counter, "test", 1, state);
//! assert_eq!(history.record(&run(1, StageState::Passed)), Seen::New(None));
//! assert_eq!(history.record(&run(2, StageState::Failed)), Seen::New(Some(Transition::Broken)));
//! assert_eq!(history.record(&run(2, StageState::Failed)), Seen::Repeat);
//! assert_eq!(history.record(&run(3, StageState::Passed)), Seen::New(Some(Transition::Fixed)));
//! ```

mod agent;
mod state;

use crate::model::{StageState, StageStatus};
use crate::rules::Transition;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) use agent::{decide as decide_agent, AGENTS_KEPT};
pub use agent::{AgentHistoryState, AgentRun, AgentSeen};
pub use state::HistoryState;

/// One notification, as history sees it. It borrows the names, so that
/// recording a notification copies nothing it does not keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRun<'a> {
    /// The pipeline's name.
    pub pipeline: &'a str,
    /// The pipeline run's counter.
    pub pipeline_counter: u64,
    /// The stage's name.
    pub stage: &'a str,
    /// The stage run's counter.
    pub stage_counter: u64,
    /// The state the notification reports.
    pub state: StageState,
}

impl<'a> StageRun<'a> {
    /// A run from its parts.
    pub fn new(
        pipeline: &'a str,
        pipeline_counter: u64,
        stage: &'a str,
        stage_counter: u64,
        state: StageState,
    ) -> Self {
        StageRun {
            pipeline,
            pipeline_counter,
            stage,
            stage_counter,
            state,
        }
    }

    /// The run a stage-status notification reports.
    pub fn of(status: &'a StageStatus) -> Self {
        let p = &status.pipeline;
        StageRun::new(
            &p.name,
            p.counter,
            &p.stage.name,
            p.stage.counter,
            p.stage.state.clone(),
        )
    }
}

/// What history says about a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Not seen before; the transition it makes, if it completes the stage and
    /// history knows one.
    New(Option<Transition>),
    /// Handled before: it makes no deliveries again.
    Repeat,
}

/// How much history is kept.
///
/// Memory stays bounded: besides these limits, runs are kept only for stages
/// that completed a `Passed` or `Failed` run (a `Building` notification adds
/// only a handled entry), and for at most 10 000 stages; past that the stage
/// used least recently is forgotten, and its next completed run is compared
/// with nothing, as a new stage's is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryLimits {
    /// Completed runs kept per stage (the newest ones); at least 1.
    pub runs_per_stage: usize,
    /// Handled notifications remembered for dropping repeats (the newest ones);
    /// at least 1.
    pub handled: usize,
}

impl Default for HistoryLimits {
    /// 50 runs per stage, 10 000 handled notifications.
    fn default() -> Self {
        HistoryLimits {
            runs_per_stage: 50,
            handled: 10_000,
        }
    }
}

#[cfg(test)]
pub(crate) mod agent_tests;
#[cfg(test)]
mod tests;
