//! The silences of a store, for `notify-rules silence add|list|expire`
//! beside a running `serve`.

use std::fmt;

use super::{State, StateStore, StoreError};
use crate::time::{Clock, NewSilence, Silence};

/// The silences of a store ([`State::silences`]), on the system's clock.
///
/// ```
/// use std::time::Duration;
/// use notify_rules::state::State;
/// use notify_rules::time::NewSilence;
///
/// let dir = std::env::temp_dir().join(format!("doc-silences-{}", std::process::id()));
/// let silences = State::sqlite(dir.join("notify-rules.db")).silences()?;
/// let id = silences.add(&NewSilence {
///     pipeline: "api-*".into(),
///     stage: None,
///     target: None,
///     lasts: Duration::from_secs(2 * 3600),
///     comment: "database migration".into(),
/// })?;
/// assert_eq!(silences.list()?[0].id, id);
/// assert!(silences.expire(id)?);
/// assert!(silences.list()?.is_empty());
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SilenceOps {
    store: Box<dyn StateStore>,
    clock: Clock,
}

impl State {
    /// The silences of this store, to add, list or end while a server may
    /// be using it too. A memory store is refused, as by
    /// [`outbox`](State::outbox); a plugin's own silences are
    /// [`Plugin::silences`](crate::Plugin::silences).
    pub fn silences(&self) -> Result<SilenceOps, StoreError> {
        Ok(SilenceOps {
            store: self.open_beside("silences")?,
            clock: Clock::real(),
        })
    }
}

impl SilenceOps {
    /// Adds a silence from now; its id.
    pub fn add(&self, silence: &NewSilence) -> Result<u64, StoreError> {
        self.store.silence_add(silence, self.clock.now_ms())
    }

    /// The silences active now, oldest first.
    pub fn list(&self) -> Result<Vec<Silence>, StoreError> {
        self.store.silences(self.clock.now_ms())
    }

    /// Ends a silence now; whether it was active.
    pub fn expire(&self, id: u64) -> Result<bool, StoreError> {
        self.store.silence_expire(id, self.clock.now_ms())
    }
}

impl fmt::Debug for SilenceOps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SilenceOps").finish_non_exhaustive()
    }
}
