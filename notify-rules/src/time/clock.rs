//! The plugin's clock: the real one, or a simulated one that a test moves.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What the time forms (reminders, throttles, windows, silences) read the
/// time from: the system's clock (the default, and `notify-rules serve`'s),
/// or a [`SimulatedClock`] that only moves when told to.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use notify_rules::time::{Clock, SimulatedClock};
///
/// let real = Clock::real();
/// assert!(real.now_ms() > 1_700_000_000_000);
///
/// let simulated = SimulatedClock::at(UNIX_EPOCH + Duration::from_secs(1_736_150_400));
/// let clock = Clock::from(simulated.clone());
/// simulated.advance(Duration::from_secs(60));
/// assert_eq!(clock.now_ms(), 1_736_150_460_000);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Clock {
    simulated: Option<SimulatedClock>,
}

impl Clock {
    /// The system's clock.
    pub fn real() -> Clock {
        Clock::default()
    }

    /// Milliseconds since 1970.
    pub fn now_ms(&self) -> i64 {
        match &self.simulated {
            Some(s) => s.now_ms(),
            None => system_ms(),
        }
    }

    /// Whether this is a simulated clock.
    pub fn is_simulated(&self) -> bool {
        self.simulated.is_some()
    }
}

impl From<SimulatedClock> for Clock {
    fn from(simulated: SimulatedClock) -> Clock {
        Clock {
            simulated: Some(simulated),
        }
    }
}

/// A clock that stands still until it is moved: for tests of reminders,
/// throttles and windows that must not wait, and for `notify-rules test`.
/// Clones share one time, so a test keeps a clone to move the plugin's.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use notify_rules::time::SimulatedClock;
/// use notify_rules::{rules, Delivery, NotifyError, Plugin};
///
/// let clock = SimulatedClock::at(UNIX_EPOCH + Duration::from_secs(1_736_150_400));
/// let plugin = Plugin::builder(rules! { target ops; on state Failed => send(ops); })
///     .notifier("ops", |_: &Delivery| -> Result<(), NotifyError> { Ok(()) })
///     .clock(clock.clone())
///     .build()?;
/// clock.advance(Duration::from_secs(4 * 3600));
/// assert_eq!(plugin.now(), UNIX_EPOCH + Duration::from_secs(1_736_150_400 + 4 * 3600));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct SimulatedClock {
    ms: Arc<AtomicI64>,
}

impl SimulatedClock {
    /// A clock standing at `time`.
    pub fn at(time: SystemTime) -> SimulatedClock {
        SimulatedClock {
            ms: Arc::new(AtomicI64::new(to_ms(time))),
        }
    }

    /// A clock standing at `ms` milliseconds since 1970.
    pub fn at_ms(ms: i64) -> SimulatedClock {
        SimulatedClock {
            ms: Arc::new(AtomicI64::new(ms)),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(by))
            })
            .ok();
    }

    /// Sets the clock to `time` (forward or back).
    pub fn set(&self, time: SystemTime) {
        self.ms.store(to_ms(time), Ordering::SeqCst);
    }

    /// Sets the clock to `ms` milliseconds since 1970.
    pub fn set_ms(&self, ms: i64) {
        self.ms.store(ms, Ordering::SeqCst);
    }

    /// The time it stands at.
    pub fn now(&self) -> SystemTime {
        from_ms(self.now_ms())
    }

    /// The time it stands at, in milliseconds since 1970.
    pub fn now_ms(&self) -> i64 {
        self.ms.load(Ordering::SeqCst)
    }
}

/// The system's time in milliseconds since 1970.
pub(crate) fn system_ms() -> i64 {
    to_ms(SystemTime::now())
}

/// A time as milliseconds since 1970 (before 1970: negative).
pub(crate) fn to_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// Milliseconds since 1970 as a time.
pub(crate) fn from_ms(ms: i64) -> SystemTime {
    if ms >= 0 {
        UNIX_EPOCH + Duration::from_millis(ms as u64)
    } else {
        UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
    }
}
