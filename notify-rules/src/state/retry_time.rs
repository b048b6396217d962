//! The time forms' operations through [`Retrying`]: held back like the
//! others while the store is left alone.

use super::retry::Retrying;
use super::time::{Notified, Render, TimeHook, TimeStore};
use super::{Recorded, StoreError};
use crate::time::{NewSilence, Silence};

impl TimeStore for Retrying {
    fn record_timed(
        &self,
        run: Notified<'_, '_>,
        hook: TimeHook<'_>,
    ) -> Result<Recorded, StoreError> {
        self.gated(|s| s.record_timed(run, hook))
    }

    fn tick(&self, now: i64, render: Render<'_>) -> Result<Recorded, StoreError> {
        self.gated(|s| s.tick(now, render))
    }

    fn time_counts(&self) -> Result<(usize, usize), StoreError> {
        self.gated(|s| s.time_counts())
    }

    fn next_due(&self) -> Result<Option<i64>, StoreError> {
        self.gated(|s| s.next_due())
    }

    fn silence_add(&self, silence: &NewSilence, now: i64) -> Result<u64, StoreError> {
        self.gated(|s| s.silence_add(silence, now))
    }

    fn silences(&self, now: i64) -> Result<Vec<Silence>, StoreError> {
        self.gated(|s| s.silences(now))
    }

    fn silence_expire(&self, id: u64, now: i64) -> Result<bool, StoreError> {
        self.gated(|s| s.silence_expire(id, now))
    }
}
