//! Reading bodies with the GoCD server's time zone, and telling the caller
//! which fields could not be read.

use chrono_tz::Tz;

use super::parse::{read_as, read_notification};
use super::{ProtocolError, Received, UnreadableField, AGENT_STATUS, STAGE_STATUS};
use crate::model::{AgentStatus, StageStatus};

/// How request bodies are read. Gson's default dates (`Aug 28, 2024, 9:30:19
/// PM`, what the getsentry forwarder sent until 2025) and ISO dates without
/// an offset are the GoCD server's local time; only the user knows its zone,
/// so it is a setting here, UTC when not set.
///
/// ```
/// use notify_rules::protocol::{Reader, Tz};
///
/// let body = r#"{"pipeline":{"name":"p","counter":"1","stage":{"name":"s","counter":"1",
///   "state":"failed","create-time":"Aug 28, 2024, 9:30:19 PM"}}}"#;
/// let read = Reader::new().time_zone(Tz::Europe__Berlin).stage_status(body).unwrap();
/// let stage = &read.value.pipeline.stage;
/// assert_eq!(stage.state, notify_rules::model::StageState::Failed);
/// assert_eq!(stage.create_time.unwrap().to_rfc3339(), "2024-08-28T19:30:19+00:00");
/// assert!(read.unreadable.is_empty());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reader {
    zone: Zone,
}

/// [`Tz`] has no `Default`; UTC is the zone when none is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Zone(Tz);

impl Default for Zone {
    fn default() -> Self {
        Zone(Tz::UTC)
    }
}

/// What a [`Reader`] read, and the fields it could not read: each one was
/// taken as absent (or `Unknown`, or `false`) and the rest of the body kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Read<T> {
    /// The notification.
    pub value: T,
    /// The fields that could not be read, in the order of the body.
    pub unreadable: Vec<UnreadableField>,
}

impl<T> Read<T> {
    /// The same fields with the value made into another.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Read<U> {
        Read {
            value: f(self.value),
            unreadable: self.unreadable,
        }
    }

    /// The value, each unreadable field logged at warn (target
    /// `notify_rules::protocol`, with the field's `path`).
    pub fn logged(self) -> T {
        for field in &self.unreadable {
            tracing::warn!(
                path = field.path(),
                value = field.value(),
                expected = field.expected(),
                "{field}"
            );
        }
        self.value
    }
}

impl Reader {
    /// A reader that takes dates without an offset as UTC.
    pub fn new() -> Self {
        Reader::default()
    }

    /// Dates without an offset are local time in `zone`. Daylight saving is
    /// honoured; a local time that came twice is the first, one that was
    /// skipped is read with the offsets on each side and the earlier instant
    /// taken.
    pub fn time_zone(self, zone: Tz) -> Self {
        Reader { zone: Zone(zone) }
    }

    /// The zone dates without an offset are read in.
    pub fn zone(&self) -> Tz {
        self.zone.0
    }

    /// Reads a `stage-status` body.
    pub fn stage_status(&self, body: &str) -> Result<Read<StageStatus>, ProtocolError> {
        read_as(STAGE_STATUS, body, self.zone())
    }

    /// Reads an `agent-status` body: GoCD's flat one, or `{"agent":{...}}`.
    pub fn agent_status(&self, body: &str) -> Result<Read<AgentStatus>, ProtocolError> {
        match read_notification(body, self.zone()) {
            Ok(Read {
                value:
                    Received {
                        notification: super::Notification::Agent(agent),
                        wrapped: false,
                    },
                unreadable,
            }) => Ok(Read {
                value: agent,
                unreadable,
            }),
            // Anything else is read as the flat body, for its error.
            _ => read_as(AGENT_STATUS, body, self.zone()),
        }
    }

    /// Reads a body of either kind, raw or wrapped, as
    /// [`parse_notification`](super::parse_notification) does.
    pub fn notification(&self, body: &str) -> Result<Read<Received>, ProtocolError> {
        read_notification(body, self.zone())
    }
}

/// The IANA time zone with this name (`Europe/Berlin`, `UTC`), in any case.
/// The error says what is wrong, and which zone was likely meant.
///
/// ```
/// use notify_rules::protocol::{time_zone, Tz};
///
/// assert_eq!(time_zone("Europe/Berlin"), Ok(Tz::Europe__Berlin));
/// assert_eq!(time_zone("europe/berlin"), Ok(Tz::Europe__Berlin));
/// assert_eq!(
///     time_zone("Europe/Berln").unwrap_err(),
///     "`Europe/Berln` is not an IANA time zone; did you mean `Europe/Berlin`?"
/// );
/// ```
pub fn time_zone(name: &str) -> Result<Tz, String> {
    if let Ok(zone) = name.parse::<Tz>() {
        return Ok(zone);
    }
    if let Some(zone) = chrono_tz::TZ_VARIANTS
        .iter()
        .find(|z| z.name().eq_ignore_ascii_case(name))
    {
        return Ok(*zone);
    }
    let lower = name.to_ascii_lowercase();
    let nearest = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|z| {
            (
                strsim::levenshtein(&z.name().to_ascii_lowercase(), &lower),
                z,
            )
        })
        .min_by_key(|(distance, _)| *distance)
        .filter(|(distance, _)| *distance <= 3.max(name.len() / 4));
    Err(match nearest {
        Some((_, zone)) => format!(
            "`{name}` is not an IANA time zone; did you mean `{}`?",
            zone.name()
        ),
        None => format!(
            "`{name}` is not an IANA time zone; write one such as `Europe/Berlin`, `America/New_York` or `UTC`"
        ),
    })
}
