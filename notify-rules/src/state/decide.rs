//! What a database store decides about a notification, once for both: the
//! handled record, the history read and written, the transition. Each store
//! gives only its SQL, through [`StageTables`] and [`AgentTables`], inside
//! the notification's transaction.

use super::rows::{self, NOT_SENT};
use crate::history::{decide_agent, AgentRun, AgentSeen, Seen, StageRun};

/// A stage's tables (`handled`, `stage_runs`, `stages`) in one transaction.
/// Stages are [`rows::stage_key`]s; counters are as the tables keep them.
pub(crate) trait StageTables {
    type Error;
    /// Takes the handled record; `false` when it was there already.
    fn take_handled(
        &mut self,
        stage: &str,
        at: (i64, i64),
        state: &str,
        now: i64,
    ) -> Result<bool, Self::Error>;
    /// Whether the run before `at` passed, if one is kept.
    fn previous(&mut self, stage: &str, at: (i64, i64)) -> Result<Option<bool>, Self::Error>;
    /// Whether runs of the stage were dropped past the limit.
    fn is_trimmed(&mut self, stage: &str) -> Result<bool, Self::Error>;
    /// Keeps a completed run (replacing one at the same counters).
    fn put_run(&mut self, stage: &str, at: (i64, i64), passed: bool) -> Result<(), Self::Error>;
    /// Drops all but the newest `keep` runs; how many went.
    fn trim(&mut self, stage: &str, keep: i64) -> Result<usize, Self::Error>;
    /// Notes that runs of the stage were dropped.
    fn mark_trimmed(&mut self, stage: &str) -> Result<(), Self::Error>;
}

fn counter(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Records a stage-status: `None` for a repeat, else what history says, as
/// [`HistoryState`](crate::history::HistoryState) says it.
pub(crate) fn stage<T: StageTables>(
    tables: &mut T,
    run: &StageRun<'_>,
    runs_per_stage: i64,
    now: i64,
) -> Result<Option<Seen>, T::Error> {
    let stage = rows::stage_key(run.pipeline, run.stage);
    let at = (counter(run.pipeline_counter), counter(run.stage_counter));
    if !tables.take_handled(&stage, at, run.state.as_str(), now)? {
        return Ok(None);
    }
    let Some(passed) = rows::passed(&run.state) else {
        return Ok(Some(Seen::New(None)));
    };
    let previous = tables.previous(&stage, at)?;
    if previous.is_none() && tables.is_trimmed(&stage)? {
        // Older than every run kept: what came before it was forgotten, so
        // no transition can be told, and newer history stays as it is.
        return Ok(Some(Seen::New(None)));
    }
    tables.put_run(&stage, at, passed)?;
    if tables.trim(&stage, runs_per_stage)? > 0 {
        tables.mark_trimmed(&stage)?;
    }
    Ok(Some(Seen::New(rows::transition(passed, previous))))
}

/// The agent tables (`agent_handled`, `agent_runs`) in one transaction.
/// Times are [`rows::micros`].
pub(crate) trait AgentTables {
    type Error;
    /// Takes the handled record (`time` [`NOT_SENT`] when there is none);
    /// `false` when it was there already.
    fn take_handled(
        &mut self,
        run: &AgentRun<'_>,
        time: i64,
        now: i64,
    ) -> Result<bool, Self::Error>;
    /// Forgets all but the newest `keep` handled records, and those from
    /// before `before`.
    fn forget_handled(&mut self, keep: i64, before: i64) -> Result<(), Self::Error>;
    /// The newest state kept for the agent, and its time.
    fn last(&mut self, uuid: &str) -> Result<Option<(String, Option<i64>)>, Self::Error>;
    /// Makes `state` the newest of the agent, as used last of all.
    fn put_last(&mut self, uuid: &str, state: &str, time: Option<i64>) -> Result<(), Self::Error>;
    /// Marks the agent used last of all.
    fn touch(&mut self, uuid: &str) -> Result<(), Self::Error>;
    /// Forgets all but the `keep` agents used last.
    fn forget_agents(&mut self, keep: i64) -> Result<(), Self::Error>;
}

/// How much agent history a database store keeps.
#[derive(Clone, Copy)]
pub(crate) struct AgentLimits {
    pub(crate) agents: i64,
    pub(crate) handled: i64,
}

/// Records an agent-status: `None` for a repeat, else what history says, as
/// [`AgentHistoryState`](crate::history::AgentHistoryState) says it.
pub(crate) fn agent<T: AgentTables>(
    tables: &mut T,
    run: &AgentRun<'_>,
    limits: AgentLimits,
    now: i64,
) -> Result<Option<AgentSeen>, T::Error> {
    let time = rows::micros(run.transition_time);
    if !tables.take_handled(run, time.unwrap_or(NOT_SENT), now)? {
        return Ok(None);
    }
    tables.forget_handled(limits.handled, now - rows::HANDLED_KEPT_MS)?;
    let last = tables
        .last(run.uuid)?
        .map(|(state, t)| rows::agent_last(&state, t));
    let decision = decide_agent(run, last.as_ref().map(|(s, t)| (s, *t)));
    if decision.newest {
        tables.put_last(run.uuid, run.state.as_str(), time)?;
        if last.is_none() {
            tables.forget_agents(limits.agents)?;
        }
    } else {
        tables.touch(run.uuid)?;
    }
    Ok(Some(AgentSeen::New(decision.transition)))
}
