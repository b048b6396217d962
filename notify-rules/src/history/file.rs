//! History kept in a file, so that it survives a restart.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::journal::{wants_compaction, Journal};
use crate::util::lock;

use super::state::{HistoryState, Line};
use super::{Failure, HistoryError, HistoryLimits, HistoryStore, Recorded, Seen, StageRun};

/// History in a file that survives a restart.
///
/// Every notification is appended to the file and synced to disk before
/// [`record`](HistoryStore::record) returns; the file is rewritten atomically
/// (written aside, then renamed over) when it has grown well past what the
/// history needs, and when it is opened.
///
/// One process at a time may use a file: opening takes an exclusive lock on
/// `<file>.lock` next to it (held until the history is dropped, and let go by
/// the system if the process dies), and opening a file held elsewhere is an
/// error naming it. On Unix the file and its lock are made readable by their
/// owner only (mode 0600).
///
/// ```
/// use notify_rules::history::{FileHistory, HistoryStore, Seen, StageRun};
/// use notify_rules::model::StageState;
///
/// let path = std::env::temp_dir().join(format!("doc-history-{}.journal", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let history = FileHistory::open(&path)?;
/// history.record(&StageRun::new("api", 1, "test", 1, StageState::Failed));
/// drop(history);
///
/// let history = FileHistory::open(&path)?;
/// let again = history.record(&StageRun::new("api", 1, "test", 1, StageState::Failed));
/// assert_eq!(again.seen, Seen::Repeat);
/// // While it is open, nobody else may open the file.
/// let e = FileHistory::open(&path).unwrap_err();
/// assert!(e.to_string().contains("in use"));
/// # drop(history);
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), notify_rules::history::HistoryError>(())
/// ```
pub struct FileHistory {
    inner: Mutex<Inner>,
    path: PathBuf,
}

struct Inner {
    state: HistoryState,
    journal: Journal,
}

impl FileHistory {
    /// Opens the history in `path` (created if missing), with the default limits.
    pub fn open(path: impl AsRef<Path>) -> Result<FileHistory, HistoryError> {
        FileHistory::open_with_limits(path, HistoryLimits::default())
    }

    /// Opens the history in `path` (created if missing), keeping at most what
    /// `limits` allows.
    pub fn open_with_limits(
        path: impl AsRef<Path>,
        limits: HistoryLimits,
    ) -> Result<FileHistory, HistoryError> {
        let path = path.as_ref();
        let (mut journal, lines) =
            Journal::open::<Line>(path, "history").map_err(|e| HistoryError(Failure::Open(e)))?;
        let mut state = HistoryState::new(limits);
        for line in lines {
            state.apply(line);
        }
        journal
            .rewrite(state.snapshot())
            .map_err(|e| HistoryError(Failure::Open(e)))?;
        Ok(FileHistory {
            inner: Mutex::new(Inner { state, journal }),
            path: path.to_owned(),
        })
    }

    /// The file the history is kept in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The completed runs kept for a stage, oldest first, as
    /// `(pipeline counter, stage counter, passed)`.
    pub fn runs(&self, pipeline: &str, stage: &str) -> Vec<(u64, u64, bool)> {
        lock(&self.inner).state.runs(pipeline, stage)
    }
}

impl HistoryStore for FileHistory {
    fn record(&self, run: &StageRun<'_>) -> Recorded {
        let mut inner = lock(&self.inner);
        let seen = inner.state.record(run);
        if seen == Seen::Repeat {
            return seen.into();
        }
        let Inner { state, journal } = &mut *inner;
        let mut result = journal.append(&HistoryState::record_line(run));
        if result.is_ok() && wants_compaction(journal.appended(), state.snapshot_len()) {
            result = journal.rewrite(state.snapshot());
        }
        Recorded {
            seen,
            error: result.err().map(|e| HistoryError(Failure::Save(e))),
        }
    }
}

impl fmt::Debug for FileHistory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileHistory")
            .field("path", &self.path)
            .finish()
    }
}
