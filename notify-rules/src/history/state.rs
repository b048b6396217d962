//! The history itself, with no locking and no storage.
//!
//! A stage is known by one shared string, `pipeline\0stage` in lower case (GoCD
//! names cannot hold `\0`); the handled set and the run lists share it, so that
//! recording a notification of a known stage allocates nothing.
//!
//! Memory is bounded: at most [`HistoryLimits::handled`] handled notifications,
//! and run lists only for stages that completed a `Passed` or `Failed` run, at
//! most [`STAGES_KEPT`] of them with [`HistoryLimits::runs_per_stage`] runs each;
//! past that the stage used least recently is forgotten (its next completed run
//! is compared with nothing, as for a new stage).

use std::collections::VecDeque;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::sync::Arc;

use super::{HistoryLimits, Seen, StageRun};
use crate::model::StageState;
use crate::rules::Transition;

/// A handled notification: its stage, counters and state.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct HandledKey {
    stage: Arc<str>,
    pipeline_counter: u64,
    stage_counter: u64,
    state: StageState,
}

#[derive(Debug, Default, Clone)]
struct StageRuns {
    /// Completed runs, sorted by (pipeline counter, stage counter); `true` for
    /// passed.
    runs: VecDeque<((u64, u64), bool)>,
    /// Older runs were dropped to keep within the limit: nothing is known about
    /// what came before the oldest kept run.
    trimmed: bool,
    /// When the stage was last used, for forgetting the least recently used.
    used: u64,
}

/// How many stages have their runs kept; past it the one used least recently is
/// forgotten.
pub(crate) const STAGES_KEPT: usize = 10_000;

/// The history of every stage, and the notifications already handled, with the
/// logic described in the [module documentation](crate::history). Bounded by
/// [`HistoryLimits`].
#[derive(Debug, Clone)]
pub struct HistoryState {
    limits: HistoryLimits,
    stages: HashMap<Arc<str>, StageRuns>,
    handled: HashSet<HandledKey>,
    handled_order: VecDeque<HandledKey>,
    /// Reused to build a stage's key for a look-up.
    scratch: String,
    /// Counts uses of stages, for `StageRuns::used`.
    clock: u64,
    max_stages: usize,
}

impl Default for HistoryState {
    fn default() -> Self {
        HistoryState::new(HistoryLimits::default())
    }
}

impl HistoryState {
    /// An empty history.
    pub fn new(limits: HistoryLimits) -> Self {
        let limits = HistoryLimits {
            runs_per_stage: limits.runs_per_stage.max(1),
            handled: limits.handled.max(1),
        };
        HistoryState {
            limits,
            stages: HashMap::new(),
            handled: HashSet::new(),
            handled_order: VecDeque::new(),
            scratch: String::new(),
            clock: 0,
            max_stages: STAGES_KEPT,
        }
    }

    /// Keeps runs for at most `n` stages instead of [`STAGES_KEPT`].
    #[cfg(test)]
    pub(crate) fn with_max_stages(mut self, n: usize) -> Self {
        self.max_stages = n.max(1);
        self
    }

    /// How many stages have runs kept.
    #[cfg(test)]
    pub(crate) fn stages_len(&self) -> usize {
        self.stages.len()
    }

    /// The runs of a stage, made when it first completes a run and marked used;
    /// makes room by forgetting the stage used least recently.
    fn stage_runs(&mut self, key: &Arc<str>) -> &mut StageRuns {
        self.clock += 1;
        let used = self.clock;
        if !self.stages.contains_key(key) && self.stages.len() >= self.max_stages {
            let oldest = self
                .stages
                .iter()
                .min_by_key(|(_, s)| s.used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.stages.remove(&oldest);
            }
        }
        let stage = self.stages.entry(key.clone()).or_default();
        stage.used = used;
        stage
    }

    /// The shared key of a stage: the one its runs use when it has any, so a
    /// known stage costs no allocation.
    fn stage_key(&mut self, pipeline: &str, stage: &str) -> Arc<str> {
        self.scratch.clear();
        self.scratch
            .extend(pipeline.chars().map(|c| c.to_ascii_lowercase()));
        self.scratch.push('\0');
        self.scratch
            .extend(stage.chars().map(|c| c.to_ascii_lowercase()));
        if let Some((key, _)) = self.stages.get_key_value(self.scratch.as_str()) {
            return key.clone();
        }
        Arc::from(self.scratch.as_str())
    }

    /// Records a notification and says what it is.
    pub fn record(&mut self, run: &StageRun<'_>) -> Seen {
        let stage = self.stage_key(run.pipeline, run.stage);
        let key = HandledKey {
            stage: stage.clone(),
            pipeline_counter: run.pipeline_counter,
            stage_counter: run.stage_counter,
            state: run.state.clone(),
        };
        if self.handled.contains(&key) {
            return Seen::Repeat;
        }
        self.remember_handled(key);
        let passed = match run.state {
            StageState::Passed => true,
            StageState::Failed => false,
            // Building, Failing, Cancelled and states this crate does not know
            // leave history alone.
            _ => return Seen::New(None),
        };
        let at = (run.pipeline_counter, run.stage_counter);
        let limit = self.limits.runs_per_stage;
        let stage = self.stage_runs(&stage);
        let idx = stage.runs.partition_point(|(k, _)| *k < at);
        if stage.trimmed && idx == 0 {
            // Older than every run kept: what came before it was forgotten, so
            // no transition can be told, and newer history stays as it is.
            return Seen::New(None);
        }
        let previous = idx.checked_sub(1).map(|i| stage.runs[i].1);
        insert_run(stage, at, passed, limit);
        Seen::New(match (passed, previous) {
            (false, None | Some(true)) => Some(Transition::Broken),
            (false, Some(false)) => Some(Transition::StillFailing),
            (true, Some(false)) => Some(Transition::Fixed),
            (true, None | Some(true)) => None,
        })
    }

    fn remember_handled(&mut self, key: HandledKey) {
        self.handled.insert(key.clone());
        self.handled_order.push_back(key);
        while self.handled_order.len() > self.limits.handled {
            if let Some(old) = self.handled_order.pop_front() {
                self.handled.remove(&old);
            }
        }
    }

    /// The completed runs kept for a stage, oldest first, as
    /// `(pipeline counter, stage counter, passed)`.
    pub fn runs(&self, pipeline: &str, stage: &str) -> Vec<(u64, u64, bool)> {
        let key = format!(
            "{}\0{}",
            pipeline.to_ascii_lowercase(),
            stage.to_ascii_lowercase()
        );
        self.stages
            .get(key.as_str())
            .map(|s| s.runs.iter().map(|((pc, sc), p)| (*pc, *sc, *p)).collect())
            .unwrap_or_default()
    }

    /// How many handled notifications are remembered.
    pub fn handled_len(&self) -> usize {
        self.handled_order.len()
    }
}

/// Puts a run in its place (replacing one with the same counters), then drops
/// the oldest past the limit.
fn insert_run(stage: &mut StageRuns, at: (u64, u64), passed: bool, limit: usize) {
    let idx = stage.runs.partition_point(|(k, _)| *k < at);
    match stage.runs.get_mut(idx) {
        Some((k, p)) if *k == at => *p = passed,
        _ => stage.runs.insert(idx, (at, passed)),
    }
    while stage.runs.len() > limit {
        stage.runs.pop_front();
        stage.trimmed = true;
    }
}
