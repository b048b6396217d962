//! Time at run time: the plugin's [`Clock`], [`Silence`]s, and (with the
//! rule language's `window`) when a window is open.
//!
//! The rules' time forms (`remind`, `every`, `during`, see the rule
//! language's section "Time") are kept in the state store: reminders due,
//! what a throttle dropped, messages held outside a window, silences. A
//! [`Plugin`](crate::Plugin) applies them on its clock; its
//! [`send_due`](crate::Plugin::send_due) sends the reminders and digests
//! that are due (`notify-rules serve` calls it every second).

mod clock;
mod silence;
mod window;

pub(crate) use clock::from_ms;
pub use clock::{Clock, SimulatedClock};
pub use silence::{NewSilence, Silence};
pub use window::{OpenHours, WindowError};
