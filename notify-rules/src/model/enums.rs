//! State and result enums that keep values they do not know.
//!
//! GoCD may add values in a later server; a reader that refused them would drop
//! the whole notification, so each enum has an `Other(String)` variant that keeps
//! the text and writes it back unchanged. Values are read in any ASCII case
//! (GoCD's own tests and docs write `enabled`, `building`; real servers
//! `Enabled`, `Building`) and written back in GoCD's spelling. A field that is
//! missing or `null` is `Unknown`; one that is not a string is noted as
//! unreadable (see `wire::context`) and `Unknown` too.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::wire::lenient::{null_is, skip_compound, unreadable_scalars};

macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this crate does not know, kept as it was sent.
            Other(String),
        }

        impl $name {
            /// The value as GoCD writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Other(s) => s,
                }
            }

            /// Reads a wire value, in any ASCII case; anything unknown becomes
            /// [`Self::Other`], kept as it was sent.
            pub fn from_wire(s: &str) -> Self {
                match s {
                    $( $wire => Self::$variant, )+
                    _ => {
                        $( if s.eq_ignore_ascii_case($wire) {
                            return Self::$variant;
                        } )+
                        Self::Other(s.to_owned())
                    }
                }
            }
        }

        impl Default for $name {
            /// `Unknown`: what a missing or `null` value reads as.
            fn default() -> Self {
                Self::Unknown
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!("a string (", stringify!($name), ")"))
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        Ok($name::from_wire(v))
                    }
                    null_is!($name::Unknown);
                    unreadable_scalars!(
                        STATE, $name::Unknown;
                        visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64
                    );
                    skip_compound!(STATE, $name::Unknown);
                }
                deserializer.deserialize_any(V)
            }
        }
    };
}

/// What an enum's value should have been, for [`context::unreadable`].
const STATE: &str = "a state or result name";

open_enum! {
    /// The state of a stage (`.pipeline.stage.state`).
    ///
    /// ```
    /// use notify_rules::model::StageState;
    /// assert_eq!(StageState::from_wire("Failed"), StageState::Failed);
    /// assert_eq!(StageState::from_wire("Paused"), StageState::Other("Paused".into()));
    /// ```
    StageState {
        /// Scheduled, re-run, or running.
        Building = "Building",
        /// Running, with a job already failed.
        Failing = "Failing",
        /// Completed, every job passed.
        Passed = "Passed",
        /// Completed, some job failed.
        Failed = "Failed",
        /// Completed by cancellation.
        Cancelled = "Cancelled",
        /// GoCD does not know.
        Unknown = "Unknown",
    }
}

open_enum! {
    /// The result of a stage (`.pipeline.stage.result`).
    StageResult {
        /// Every job passed.
        Passed = "Passed",
        /// Some job failed.
        Failed = "Failed",
        /// The stage was cancelled.
        Cancelled = "Cancelled",
        /// Not known yet (while building).
        Unknown = "Unknown",
    }
}

open_enum! {
    /// The state of a job (`jobs[].state`).
    JobState {
        /// Not known.
        Unknown = "Unknown",
        /// Waiting for an agent.
        Scheduled = "Scheduled",
        /// Given to an agent.
        Assigned = "Assigned",
        /// The agent is preparing the work.
        Preparing = "Preparing",
        /// Running.
        Building = "Building",
        /// Uploading artifacts.
        Completing = "Completing",
        /// Done.
        Completed = "Completed",
        /// Dropped.
        Discontinued = "Discontinued",
        /// Scheduled again.
        Rescheduled = "Rescheduled",
        /// Paused.
        Paused = "Paused",
        /// Waiting.
        Waiting = "Waiting",
    }
}

open_enum! {
    /// The result of a job (`jobs[].result`).
    JobResult {
        /// The job passed.
        Passed = "Passed",
        /// The job failed.
        Failed = "Failed",
        /// The job was cancelled.
        Cancelled = "Cancelled",
        /// Not known yet.
        Unknown = "Unknown",
    }
}

open_enum! {
    /// Whether an agent is enabled (`agent_config_state`).
    AgentConfigState {
        /// Waiting for approval.
        Pending = "Pending",
        /// Enabled.
        Enabled = "Enabled",
        /// Disabled.
        Disabled = "Disabled",
        /// Not sent, or not readable.
        Unknown = "Unknown",
    }
}

open_enum! {
    /// What an agent is doing (`agent_state`).
    AgentState {
        /// Idle.
        Idle = "Idle",
        /// Running a job.
        Building = "Building",
        /// The server lost contact with it.
        LostContact = "LostContact",
        /// Missing.
        Missing = "Missing",
        /// Not known.
        Unknown = "Unknown",
    }
}

open_enum! {
    /// The state of an agent's current build (`build_state`).
    BuildState {
        /// No build.
        Idle = "Idle",
        /// Building.
        Building = "Building",
        /// The build was cancelled.
        Cancelled = "Cancelled",
        /// Not known.
        Unknown = "Unknown",
    }
}
