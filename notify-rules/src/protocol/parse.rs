//! Reading request bodies into the typed model.
//!
//! Everything goes through serde_json's reader, whose recursion limit turns
//! absurdly nested input into an error; values that are skipped are skipped by
//! its iterative skipper. Nothing here builds a `serde_json::Value` of the body.

use std::fmt;

use chrono_tz::Tz;
use serde::de::{self, DeserializeSeed, Deserializer, Visitor};
use serde::Deserialize;

use super::sniff::{Kind, Shape, Sniff};
use super::{ProtocolError, Read, Reader, AGENT_STATUS, MAX_BODY_BYTES, STAGE_STATUS};
use crate::model::wire::context::{self, UnreadableField, LOCATING, MAX_LOCATED};
use crate::model::wire::object::Object;
use crate::model::{AgentStatus, StageStatus};

/// What [`parse_notification`] calls a body before it knows its kind.
const NOTIFICATION: &str = "notification";

/// Reads a `stage-status` body, with dates that carry no offset in UTC. A
/// field that cannot be read is absent and logged at warn; [`Reader`] returns
/// them instead, and takes the GoCD server's time zone.
///
/// ```
/// use notify_rules::protocol::parse_stage_status;
///
/// let err = parse_stage_status(r#"{"pipeline":{"counter":"1"}}"#).unwrap_err();
/// assert_eq!(err.to_string(), "invalid stage-status body at pipeline.name (line 1, column 27): missing field `name`");
/// ```
pub fn parse_stage_status(body: &str) -> Result<StageStatus, ProtocolError> {
    Reader::new().stage_status(body).map(Read::logged)
}

/// Reads an `agent-status` body, GoCD's flat one or `{"agent":{...}}`; see
/// [`parse_stage_status`].
pub fn parse_agent_status(body: &str) -> Result<AgentStatus, ProtocolError> {
    Reader::new().agent_status(body).map(Read::logged)
}

/// A notification of either kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Notification {
    /// A stage changed state.
    Stage(StageStatus),
    /// An agent changed state.
    Agent(AgentStatus),
    /// An agent changed state, but the body says nothing of it: the getsentry
    /// forwarder sends `{"data":{},"type":"agent"}` for every agent event, as
    /// it looks for an `agent` key that GoCD's flat body does not have. There
    /// is nothing to evaluate; it is answered with success.
    EmptyAgent,
}

impl Notification {
    /// The request name this kind of body comes with: `stage-status` or
    /// `agent-status`.
    pub fn request_name(&self) -> &'static str {
        match self {
            Notification::Stage(_) => STAGE_STATUS,
            Notification::Agent(_) | Notification::EmptyAgent => AGENT_STATUS,
        }
    }
}

/// A notification read by [`parse_notification`], and how it came.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The notification.
    pub notification: Notification,
    /// Whether it came in a `{"type":..,"data":..}` wrapper (the getsentry
    /// webhook forwarder's form) rather than as GoCD's body itself.
    pub wrapped: bool,
}

/// Reads a body whose kind is not known from a request name, as a webhook
/// receiver gets them: GoCD's stage-status body (it has `pipeline`), its
/// agent-status body (it has `uuid` or `agent_state`, or is `{"agent":{...}}`),
/// or either inside the getsentry forwarder's wrapper
/// `{"type":"stage"|"agent","data":{...}}`, keys in any order. Dates without
/// an offset are UTC, and unreadable fields logged; see [`Reader`].
///
/// ```
/// use notify_rules::protocol::{parse_notification, Notification};
///
/// let got = parse_notification(r#"{"type":"agent","data":{"uuid":"a1","agent_config_state":"Enabled",
///   "agent_state":"Idle","build_state":"Idle"}}"#).unwrap();
/// assert!(got.wrapped);
/// assert!(matches!(got.notification, Notification::Agent(a) if a.uuid == "a1"));
///
/// let got = parse_notification(r#"{"data":{},"type":"agent"}"#).unwrap();
/// assert_eq!(got.notification, Notification::EmptyAgent);
///
/// let err = parse_notification(r#"{"type":"build","data":{}}"#).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     r#"invalid notification body at type (line 1, column 15): invalid value: string "build", expected "stage" or "agent""#
/// );
/// ```
pub fn parse_notification(body: &str) -> Result<Received, ProtocolError> {
    Reader::new().notification(body).map(Read::logged)
}

/// [`Reader::notification`].
pub(super) fn read_notification(body: &str, zone: Tz) -> Result<Read<Received>, ProtocolError> {
    check_size(NOTIFICATION, body)?;
    // A first, cheap pass looks only at the top-level keys (and those of
    // `data`); the second reads the body as the kind found. The shape survives
    // a failed first pass, so a syntax error deep in a stage body is still
    // reported with its field path.
    let mut shape = Shape::default();
    let mut de = serde_json::Deserializer::from_str(body);
    let sniffed = Sniff(&mut shape)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    let Some(kind) = shape.kind() else {
        return Err(match sniffed {
            Err(e) => ProtocolError::from_json(NOTIFICATION, None, &e),
            Ok(()) => ProtocolError::new(
                NOTIFICATION,
                None,
                None,
                "expected a stage-status body (with `pipeline`), an agent-status body (with `uuid` or \
                 `agent_state`) or a wrapper {\"type\":\"stage\" or \"agent\",\"data\":{...}}",
            ),
        });
    };
    let stage = |read: Read<StageStatus>| read.map(Notification::Stage);
    let agent = |read: Read<AgentStatus>| read.map(Notification::Agent);
    let read = match kind {
        Kind::Stage => read_as(STAGE_STATUS, body, zone).map(stage),
        Kind::Agent => read_as(AGENT_STATUS, body, zone).map(agent),
        Kind::NestedAgent => {
            read_as::<Nested>(AGENT_STATUS, body, zone).map(|r| agent(r.map(|n| n.agent)))
        }
        Kind::WrappedStage => read_as::<Wrapped<StageStatus>>(STAGE_STATUS, body, zone)
            .map(|r| stage(r.map(|w| w.data))),
        Kind::WrappedAgent => read_as::<Wrapped<AgentStatus>>(AGENT_STATUS, body, zone)
            .map(|r| agent(r.map(|w| w.data))),
        Kind::WrappedNestedAgent => read_as::<Wrapped<Nested>>(AGENT_STATUS, body, zone)
            .map(|r| agent(r.map(|w| w.data.agent))),
        Kind::WrappedEmptyAgent => Ok(Read {
            value: Notification::EmptyAgent,
            unreadable: Vec::new(),
        }),
        // Read again for the error, which then points at `type` with its place.
        Kind::BadWrapper => parse_as::<WrapperType>(NOTIFICATION, body).and_then(|_| {
            Err(ProtocolError::new(
                NOTIFICATION,
                Some("type".into()),
                None,
                "expected \"stage\" or \"agent\"",
            ))
        }),
    };
    let wrapped = matches!(
        kind,
        Kind::WrappedStage
            | Kind::WrappedAgent
            | Kind::WrappedNestedAgent
            | Kind::WrappedEmptyAgent
    );
    match (read, sniffed) {
        (Ok(read), Ok(())) => Ok(read.map(|notification| Received {
            notification,
            wrapped,
        })),
        (Err(e), _) => Err(e),
        // Both passes use one reader, so the second fails wherever the first
        // did; should it not, the first pass's error still stands.
        (Ok(_), Err(e)) => Err(ProtocolError::from_json(NOTIFICATION, None, &e)),
    }
}

/// Reads the whole body as `T` with dates without offset in `zone`, and finds
/// the path of each field that could not be read.
pub(super) fn read_as<'a, T: Deserialize<'a>>(
    kind: &'static str,
    body: &'a str,
    zone: Tz,
) -> Result<Read<T>, ProtocolError> {
    let (value, mut unreadable) = context::reading(zone, None, || parse_as::<T>(kind, body));
    let value = value?;
    locate::<T>(body, zone, &mut unreadable);
    Ok(Read { value, unreadable })
}

/// The fast read does not track paths, as bodies with unreadable fields are
/// rare: each such field is found by reading again with path tracking, that
/// field turned into an error.
fn locate<'a, T: Deserialize<'a>>(body: &'a str, zone: Tz, fields: &mut [UnreadableField]) {
    for (index, field) in fields.iter_mut().enumerate().take(MAX_LOCATED) {
        let (failed, _) = context::reading(zone, Some(index), || {
            let mut de = serde_json::Deserializer::from_str(body);
            serde_path_to_error::deserialize::<_, Object<T>>(&mut de).err()
        });
        if let Some(e) = failed.filter(|e| e.inner().to_string().starts_with(LOCATING)) {
            field.path = e.path().to_string();
        }
    }
}

fn check_size(kind: &'static str, body: &str) -> Result<(), ProtocolError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ProtocolError::too_large(kind, body.len(), MAX_BODY_BYTES));
    }
    Ok(())
}

/// Reads the whole body as `T`. The field path of an error is found by reading
/// again with path tracking, which roughly halves the speed of a read: bodies
/// that are fine, nearly all of them, do not pay for it.
fn parse_as<'a, T: Deserialize<'a>>(kind: &'static str, body: &'a str) -> Result<T, ProtocolError> {
    check_size(kind, body)?;
    let mut de = serde_json::Deserializer::from_str(body);
    // Through `Object`, so an array at the top is "expected a JSON object".
    if let Ok(Object(value)) = Object::<T>::deserialize(&mut de) {
        if de.end().is_ok() {
            return Ok(value);
        }
    }
    let mut de = serde_json::Deserializer::from_str(body);
    let Object(value) = serde_path_to_error::deserialize::<_, Object<T>>(&mut de)
        .map_err(|e| ProtocolError::from_tracked(kind, &e))?;
    de.end()
        .map_err(|e| ProtocolError::from_json(kind, None, &e))?;
    // Both reads see the same bytes with the same reader, so the second fails
    // where the first did; this is only reached if that ever stops being so.
    Ok(value)
}

/// `{"agent":{...}}`: the agent body as getsentry's and GoCD's skeleton
/// plugin's tests write it.
#[derive(Deserialize)]
struct Nested {
    #[serde(deserialize_with = "crate::model::wire::object::deserialize")]
    agent: AgentStatus,
}

/// The getsentry wrapper; its `type` was checked by the first pass.
#[derive(Deserialize)]
#[serde(bound = "T: Deserialize<'de>")]
struct Wrapped<T> {
    #[serde(deserialize_with = "crate::model::wire::object::deserialize")]
    data: T,
}

/// Only for the error about a wrapper's `type`.
#[derive(Deserialize)]
struct WrapperType {
    #[serde(rename = "type")]
    _kind: KnownType,
}

struct KnownType;

impl<'de> Deserialize<'de> for KnownType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KnownType;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"stage\" or \"agent\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KnownType, E> {
                match v {
                    "stage" | "agent" => Ok(KnownType),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
        }
        d.deserialize_str(V)
    }
}
