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
//! Two stores keep it: [`MemoryHistory`] (the default) and [`FileHistory`], which
//! survives a restart. Both hold a [`HistoryState`] and are safe to share between
//! threads; another store (a database, say) can wrap a `HistoryState` the same way.
//!
//! ```
//! use notify_rules::history::{HistoryStore, MemoryHistory, Seen, StageRun};
//! use notify_rules::model::StageState;
//! use notify_rules::Transition;
//!
//! let history = MemoryHistory::new();
//! let run = |counter, state| StageRun::new("api", counter, "test", 1, state);
//! assert_eq!(history.record(&run(1, StageState::Passed)).seen, Seen::New(None));
//! assert_eq!(history.record(&run(2, StageState::Failed)).seen, Seen::New(Some(Transition::Broken)));
//! assert_eq!(history.record(&run(2, StageState::Failed)).seen, Seen::Repeat);
//! assert_eq!(history.record(&run(3, StageState::Passed)).seen, Seen::New(Some(Transition::Fixed)));
//! ```

mod file;
mod state;

use std::sync::Mutex;

use crate::journal::JournalError;
use crate::model::{StageState, StageStatus};
use crate::rules::Transition;
use crate::util::lock;

pub use file::FileHistory;
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

/// The answer of [`HistoryStore::record`]: what history says, and whether the
/// store failed to keep it (the answer is still right for this notification).
#[derive(Debug)]
pub struct Recorded {
    /// What history says about the notification.
    pub seen: Seen,
    /// Set when a durable store could not save the notification.
    pub error: Option<HistoryError>,
}

impl From<Seen> for Recorded {
    fn from(seen: Seen) -> Self {
        Recorded { seen, error: None }
    }
}

/// Keeps stage history for a [`Plugin`](crate::Plugin).
///
/// `record` must be atomic: when two threads record the same notification at
/// once, exactly one of them gets [`Seen::New`].
pub trait HistoryStore: Send + Sync {
    /// Records a notification and says what it is.
    fn record(&self, run: &StageRun<'_>) -> Recorded;
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

/// A durable history store could not read or write its file.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct HistoryError(#[from] Failure);

/// What [`HistoryError`] holds, private so that the file behind it may change.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    #[error("history file {0}")]
    Open(#[source] JournalError),
    #[error("could not save history: {0}")]
    Save(#[source] JournalError),
}

/// History in memory: the default store. It is lost when the program stops.
#[derive(Debug, Default)]
pub struct MemoryHistory {
    state: Mutex<HistoryState>,
}

impl MemoryHistory {
    /// An empty history with the default limits.
    pub fn new() -> Self {
        MemoryHistory::default()
    }

    /// An empty history with the given limits.
    pub fn with_limits(limits: HistoryLimits) -> Self {
        MemoryHistory {
            state: Mutex::new(HistoryState::new(limits)),
        }
    }

    /// The completed runs kept for a stage, oldest first, as
    /// `(pipeline counter, stage counter, passed)`.
    pub fn runs(&self, pipeline: &str, stage: &str) -> Vec<(u64, u64, bool)> {
        lock(&self.state).runs(pipeline, stage)
    }
}

impl HistoryStore for MemoryHistory {
    fn record(&self, run: &StageRun<'_>) -> Recorded {
        lock(&self.state).record(run).into()
    }
}

#[cfg(test)]
mod tests;
