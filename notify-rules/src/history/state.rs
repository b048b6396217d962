//! The history itself, with no locking and no storage.

use std::collections::{HashMap, HashSet, VecDeque};

use serde::{Deserialize, Serialize};

use super::{HistoryLimits, Seen, StageRun};
use crate::model::StageState;
use crate::rules::Transition;

/// A stage's identity: pipeline and stage name, lower-cased.
type StageKey = (String, String);

/// A handled notification's identity: lower-cased names, counters, state.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct HandledKey(String, u64, String, u64, String);

#[derive(Debug, Default, Clone)]
struct StageRuns {
    /// Completed runs, sorted by (pipeline counter, stage counter); `true` for
    /// passed.
    runs: VecDeque<((u64, u64), bool)>,
    /// Older runs were dropped to keep within the limit: nothing is known about
    /// what came before the oldest kept run.
    trimmed: bool,
}

/// The history of every stage, and the notifications already handled, with the
/// logic described in the [module documentation](crate::history). Bounded by
/// [`HistoryLimits`].
#[derive(Debug, Clone)]
pub struct HistoryState {
    limits: HistoryLimits,
    stages: HashMap<StageKey, StageRuns>,
    handled: HashSet<HandledKey>,
    handled_order: VecDeque<HandledKey>,
}

impl Default for HistoryState {
    fn default() -> Self {
        HistoryState::new(HistoryLimits::default())
    }
}

/// One line of a durable store's file. A journal is a sequence of `Record`s; a
/// compacted snapshot is `Handled`, `Run` and `Trimmed` lines that rebuild the
/// same state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Line {
    #[serde(rename = "rec")]
    Record(String, u64, String, u64, String),
    #[serde(rename = "h")]
    Handled(HandledKey),
    #[serde(rename = "run")]
    Run(String, String, u64, u64, bool),
    #[serde(rename = "trim")]
    Trimmed(String, String),
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
        }
    }

    /// Records a notification and says what it is.
    pub fn record(&mut self, run: &StageRun) -> Seen {
        let key = HandledKey(
            run.pipeline.to_ascii_lowercase(),
            run.pipeline_counter,
            run.stage.to_ascii_lowercase(),
            run.stage_counter,
            run.state.as_str().to_owned(),
        );
        if self.handled.contains(&key) {
            return Seen::Repeat;
        }
        let stage_key = (key.0.clone(), key.2.clone());
        self.remember_handled(key);
        let passed = match run.state {
            StageState::Passed => true,
            StageState::Failed => false,
            // Building, Failing, Cancelled and states this crate does not know
            // leave history alone.
            _ => return Seen::New(None),
        };
        let at = (run.pipeline_counter, run.stage_counter);
        let stage = self.stages.entry(stage_key).or_default();
        let idx = stage.runs.partition_point(|(k, _)| *k < at);
        if stage.trimmed && idx == 0 {
            // Older than every run kept: what came before it was forgotten, so
            // no transition can be told, and newer history stays as it is.
            return Seen::New(None);
        }
        let previous = idx.checked_sub(1).map(|i| stage.runs[i].1);
        match stage.runs.get_mut(idx) {
            Some((k, p)) if *k == at => *p = passed,
            _ => stage.runs.insert(idx, (at, passed)),
        }
        while stage.runs.len() > self.limits.runs_per_stage {
            stage.runs.pop_front();
            stage.trimmed = true;
        }
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
        self.stages
            .get(&(pipeline.to_ascii_lowercase(), stage.to_ascii_lowercase()))
            .map(|s| s.runs.iter().map(|((pc, sc), p)| (*pc, *sc, *p)).collect())
            .unwrap_or_default()
    }

    /// How many handled notifications are remembered.
    pub fn handled_len(&self) -> usize {
        self.handled_order.len()
    }

    pub(crate) fn record_line(run: &StageRun) -> Line {
        Line::Record(
            run.pipeline.clone(),
            run.pipeline_counter,
            run.stage.clone(),
            run.stage_counter,
            run.state.as_str().to_owned(),
        )
    }

    /// Lines that rebuild this state exactly, limits and order included.
    pub(crate) fn snapshot(&self) -> Vec<Line> {
        let mut lines: Vec<Line> = self
            .handled_order
            .iter()
            .cloned()
            .map(Line::Handled)
            .collect();
        let mut stages: Vec<_> = self.stages.iter().collect();
        stages.sort_by(|a, b| a.0.cmp(b.0));
        for ((p, s), runs) in stages {
            if runs.trimmed {
                lines.push(Line::Trimmed(p.clone(), s.clone()));
            }
            for ((pc, sc), passed) in &runs.runs {
                lines.push(Line::Run(p.clone(), s.clone(), *pc, *sc, *passed));
            }
        }
        lines
    }

    /// How many lines [`HistoryState::snapshot`] would write.
    pub(crate) fn snapshot_len(&self) -> usize {
        self.handled_order.len()
            + self
                .stages
                .values()
                .map(|s| s.runs.len() + usize::from(s.trimmed))
                .sum::<usize>()
    }

    pub(crate) fn apply(&mut self, line: Line) {
        match line {
            Line::Record(p, pc, s, sc, state) => {
                self.record(&StageRun::new(
                    &p,
                    pc,
                    &s,
                    sc,
                    StageState::from_wire(&state),
                ));
            }
            Line::Handled(key) => {
                if !self.handled.contains(&key) {
                    self.remember_handled(key);
                }
            }
            Line::Run(p, s, pc, sc, passed) => {
                let stage = self
                    .stages
                    .entry((p.to_ascii_lowercase(), s.to_ascii_lowercase()))
                    .or_default();
                let idx = stage.runs.partition_point(|(k, _)| *k < (pc, sc));
                match stage.runs.get_mut(idx) {
                    Some((k, v)) if *k == (pc, sc) => *v = passed,
                    _ => stage.runs.insert(idx, ((pc, sc), passed)),
                }
                while stage.runs.len() > self.limits.runs_per_stage {
                    stage.runs.pop_front();
                    stage.trimmed = true;
                }
            }
            Line::Trimmed(p, s) => {
                self.stages
                    .entry((p.to_ascii_lowercase(), s.to_ascii_lowercase()))
                    .or_default()
                    .trimmed = true;
            }
        }
    }
}
