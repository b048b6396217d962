//! The history itself, with no locking and no storage.
//!
//! A stage is known by one shared string, `pipeline\0stage` in lower case (GoCD
//! names cannot hold `\0`); the handled record and the run lists share it, so that
//! recording a notification of a known stage allocates nothing.
//!
//! Recording is on every notification's path, so the names are hashed once:
//! the handled record's hash is made from the stage's and the counters, and
//! both tables keep their entries' hashes, so nothing is hashed again to look
//! up, grow or forget. The handled notifications are a ring, the oldest
//! overwritten first, with a table of their places in it: one copy of each
//! and no list of them to follow.
//!
//! Memory is bounded: at most [`HistoryLimits::handled`] handled notifications,
//! and run lists only for stages that completed a `Passed` or `Failed` run, at
//! most [`STAGES_KEPT`] of them with [`HistoryLimits::runs_per_stage`] runs each;
//! past that the stage used least recently is forgotten (its next completed run
//! is compared with nothing, as for a new stage).

use std::collections::VecDeque;
use std::hash::BuildHasher;
use std::sync::Arc;

use foldhash::fast::RandomState;
use hashbrown::HashTable;

use super::{HistoryLimits, Seen, StageRun};
use crate::model::StageState;
use crate::rules::Transition;

/// A handled notification: its stage, counters and state, and its hash.
#[derive(Debug, Clone)]
struct Handled {
    hash: u64,
    stage: Arc<str>,
    pipeline_counter: u64,
    stage_counter: u64,
    state: StageState,
}

/// A stage with completed runs, under its key and that key's hash.
#[derive(Debug, Clone)]
struct Stage {
    key: Arc<str>,
    hash: u64,
    runs: StageRuns,
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
    /// Seeded at random, as std's maps are.
    hasher: RandomState,
    stages: HashTable<Stage>,
    /// The handled notifications: the one numbered `n` (counting from 0 in
    /// the order handled) is at `n % limits.handled`, so the newest
    /// overwrites the oldest once the ring is full.
    handled: Vec<Handled>,
    /// The number the next handled notification gets.
    next_handled: u64,
    /// The numbers of the handled notifications, by their hash.
    handled_index: HashTable<u64>,
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
            hasher: RandomState::default(),
            stages: HashTable::new(),
            handled: Vec::new(),
            next_handled: 0,
            handled_index: HashTable::new(),
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
    fn stage_runs(&mut self, hash: u64, key: &Arc<str>) -> &mut StageRuns {
        self.clock += 1;
        let used = self.clock;
        let stages = match self.stages.find_entry(hash, |s| s.key == *key) {
            Ok(found) => {
                let stage = &mut found.into_mut().runs;
                stage.used = used;
                return stage;
            }
            Err(absent) => absent.into_table(),
        };
        if stages.len() >= self.max_stages {
            let oldest = stages
                .iter()
                .min_by_key(|s| s.runs.used)
                .map(|s| (s.hash, s.key.clone()));
            if let Some((hash, key)) = oldest {
                if let Ok(found) = stages.find_entry(hash, |s| Arc::ptr_eq(&s.key, &key)) {
                    found.remove();
                }
            }
        }
        let stage = Stage {
            key: key.clone(),
            hash,
            runs: StageRuns {
                used,
                ..StageRuns::default()
            },
        };
        &mut stages
            .insert_unique(hash, stage, |s| s.hash)
            .into_mut()
            .runs
    }

    /// Records a notification and says what it is.
    pub fn record(&mut self, run: &StageRun<'_>) -> Seen {
        self.scratch.clear();
        self.scratch.push_str(run.pipeline);
        self.scratch.push('\0');
        self.scratch.push_str(run.stage);
        self.scratch.make_ascii_lowercase();
        let key = self.scratch.as_str();
        let stage_hash = self.hasher.hash_one(key);
        let hash = self.hasher.hash_one((
            stage_hash,
            run.pipeline_counter,
            run.stage_counter,
            &run.state,
        ));
        let (handled, ring) = (&self.handled, self.limits.handled as u64);
        let seen = self.handled_index.find(hash, |&n| {
            let h = &handled[(n % ring) as usize];
            h.hash == hash
                && h.pipeline_counter == run.pipeline_counter
                && h.stage_counter == run.stage_counter
                && h.state == run.state
                && *h.stage == *key
        });
        if seen.is_some() {
            return Seen::Repeat;
        }
        // The key its runs use when the stage has any, so a known stage
        // costs no allocation.
        let stage = match self.stages.find(stage_hash, |s| *s.key == *key) {
            Some(s) => s.key.clone(),
            None => Arc::from(key),
        };
        self.remember_handled(Handled {
            hash,
            stage: stage.clone(),
            pipeline_counter: run.pipeline_counter,
            stage_counter: run.stage_counter,
            state: run.state.clone(),
        });
        let passed = match run.state {
            StageState::Passed => true,
            StageState::Failed => false,
            // Building, Failing, Cancelled and states this crate does not know
            // leave history alone.
            _ => return Seen::New(None),
        };
        let at = (run.pipeline_counter, run.stage_counter);
        let limit = self.limits.runs_per_stage;
        let stage = self.stage_runs(stage_hash, &stage);
        let idx = match stage.runs.back() {
            // Runs mostly come in order: the newest goes last, with no search.
            Some((newest, _)) if *newest < at => stage.runs.len(),
            _ => stage.runs.partition_point(|(k, _)| *k < at),
        };
        if stage.trimmed && idx == 0 {
            // Older than every run kept: what came before it was forgotten, so
            // no transition can be told, and newer history stays as it is.
            return Seen::New(None);
        }
        let previous = idx.checked_sub(1).map(|i| stage.runs[i].1);
        insert_run(stage, idx, at, passed, limit);
        Seen::New(match (passed, previous) {
            (false, None | Some(true)) => Some(Transition::Broken),
            (false, Some(false)) => Some(Transition::StillFailing),
            (true, Some(false)) => Some(Transition::Fixed),
            (true, None | Some(true)) => None,
        })
    }

    /// Puts a handled notification in the ring, in the place of the oldest
    /// once it is full.
    fn remember_handled(&mut self, entry: Handled) {
        let ring = self.limits.handled as u64;
        let n = self.next_handled;
        self.next_handled += 1;
        let hash = entry.hash;
        let place = (n % ring) as usize;
        if place == self.handled.len() {
            self.handled.push(entry);
        } else {
            let oldest = n - ring;
            let old_hash = self.handled[place].hash;
            if let Ok(found) = self.handled_index.find_entry(old_hash, |&m| m == oldest) {
                found.remove();
            }
            self.handled[place] = entry;
        }
        let handled = &self.handled;
        self.handled_index
            .insert_unique(hash, n, |&m| handled[(m % ring) as usize].hash);
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
            .find(self.hasher.hash_one(key.as_str()), |s| *s.key == *key)
            .map(|s| {
                let runs = s.runs.runs.iter();
                runs.map(|((pc, sc), p)| (*pc, *sc, *p)).collect()
            })
            .unwrap_or_default()
    }

    /// How many handled notifications are remembered.
    pub fn handled_len(&self) -> usize {
        self.handled.len()
    }
}

/// Puts a run in its place `idx` (replacing one with the same counters), then
/// drops the oldest past the limit.
fn insert_run(stage: &mut StageRuns, idx: usize, at: (u64, u64), passed: bool, limit: usize) {
    match stage.runs.get_mut(idx) {
        Some((k, p)) if *k == at => *p = passed,
        _ => stage.runs.insert(idx, (at, passed)),
    }
    while stage.runs.len() > limit {
        stage.runs.pop_front();
        stage.trimmed = true;
    }
}
