//! Reading request bodies into the typed model.
//!
//! Everything goes through serde_json's reader, whose recursion limit turns
//! absurdly nested input into an error; values that are skipped are skipped by
//! its iterative skipper. Nothing here builds a `serde_json::Value` of the body.

use std::fmt;

use chrono_tz::Tz;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

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

/// What the top-level keys say the body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Stage,
    Agent,
    NestedAgent,
    WrappedStage,
    WrappedAgent,
    WrappedNestedAgent,
    WrappedEmptyAgent,
    /// A wrapper whose `type` is missing, not a string, or not a known one.
    BadWrapper,
}

/// The wrapper's `type` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TypeValue {
    Stage,
    Agent,
    Other,
}

#[derive(Debug, Default)]
struct Shape {
    pipeline: bool,
    /// `uuid` or `agent_state`: GoCD's flat agent body.
    agent: bool,
    /// An `agent` key holding the agent body.
    nested_agent: bool,
    /// What `data` holds, when it is there.
    data: Option<DataShape>,
    wrapper_type: Option<TypeValue>,
}

/// The keys of a wrapper's `data`, as far as they tell the shape.
#[derive(Debug, Default, Clone, Copy)]
struct DataShape {
    /// An object with no keys at all.
    empty: bool,
    /// `uuid` or `agent_state`.
    agent: bool,
    /// `agent`, and so a nested agent body.
    nested_agent: bool,
}

impl Shape {
    fn kind(&self) -> Option<Kind> {
        if self.pipeline {
            return Some(Kind::Stage);
        }
        let wrapper = match (self.wrapper_type, self.data) {
            (Some(TypeValue::Stage), _) => Kind::WrappedStage,
            (Some(TypeValue::Agent), Some(data)) if data.empty => Kind::WrappedEmptyAgent,
            (Some(TypeValue::Agent), Some(data)) if data.nested_agent && !data.agent => {
                Kind::WrappedNestedAgent
            }
            (Some(TypeValue::Agent), _) => Kind::WrappedAgent,
            (Some(TypeValue::Other) | None, _) => Kind::BadWrapper,
        };
        if self.data.is_some() {
            Some(wrapper)
        } else if self.agent {
            Some(Kind::Agent)
        } else if self.wrapper_type.is_some() {
            Some(wrapper)
        } else if self.nested_agent {
            Some(Kind::NestedAgent)
        } else {
            None
        }
    }
}

/// A top-level key that tells the shape.
enum TopKey {
    Pipeline,
    AgentKey,
    Agent,
    Type,
    Data,
    Other,
}

impl<'de> Deserialize<'de> for TopKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = TopKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TopKey, E> {
                Ok(match v {
                    "pipeline" => TopKey::Pipeline,
                    "uuid" | "agent_state" => TopKey::AgentKey,
                    "agent" => TopKey::Agent,
                    "type" => TopKey::Type,
                    "data" => TopKey::Data,
                    _ => TopKey::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// Reads any value, noting whether it is the string `stage` or `agent`;
/// arrays and objects are skipped without recursion.
impl<'de> Deserialize<'de> for TypeValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TypeValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TypeValue, E> {
                Ok(match v {
                    "stage" => TypeValue::Stage,
                    "agent" => TypeValue::Agent,
                    _ => TypeValue::Other,
                })
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<TypeValue, E> {
                Ok(TypeValue::Other)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<TypeValue, E> {
                Ok(TypeValue::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<TypeValue, E> {
                Ok(TypeValue::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<TypeValue, E> {
                Ok(TypeValue::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<TypeValue, E> {
                Ok(TypeValue::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TypeValue, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TypeValue::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TypeValue, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(TypeValue::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// The first pass: notes the top-level keys into a [`Shape`] that outlives an
/// error.
struct Sniff<'s>(&'s mut Shape);

impl<'de> DeserializeSeed<'de> for Sniff<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Sniff<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<TopKey>()? {
            // Noted before the value is read, so the shape is known even when
            // the value turns out broken.
            match key {
                TopKey::Pipeline => self.0.pipeline = true,
                TopKey::AgentKey => self.0.agent = true,
                TopKey::Agent => self.0.nested_agent = true,
                TopKey::Data => {
                    self.0.data = Some(DataShape::default());
                    self.0.data = Some(map.next_value::<DataShape>()?);
                    continue;
                }
                TopKey::Type => {
                    self.0.wrapper_type = Some(TypeValue::Other);
                    self.0.wrapper_type = Some(map.next_value()?);
                    continue;
                }
                TopKey::Other => {}
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

/// Reads `data`'s keys into a [`DataShape`]; values, and a `data` that is not
/// an object, are skipped without recursion.
impl<'de> Deserialize<'de> for DataShape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DataShape;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DataShape, A::Error> {
                let mut shape = DataShape {
                    empty: true,
                    ..DataShape::default()
                };
                while let Some(key) = map.next_key::<TopKey>()? {
                    shape.empty = false;
                    match key {
                        TopKey::AgentKey => shape.agent = true,
                        TopKey::Agent => shape.nested_agent = true,
                        _ => {}
                    }
                    map.next_value::<IgnoredAny>()?;
                }
                Ok(shape)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<DataShape, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(DataShape::default())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<DataShape, E> {
                Ok(DataShape::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<DataShape, E> {
                Ok(DataShape::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<DataShape, E> {
                Ok(DataShape::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<DataShape, E> {
                Ok(DataShape::default())
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<DataShape, E> {
                Ok(DataShape::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<DataShape, E> {
                Ok(DataShape::default())
            }
        }
        d.deserialize_any(V)
    }
}
