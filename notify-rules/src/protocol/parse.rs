//! Reading request bodies into the typed model.
//!
//! Everything goes through serde_json's reader, whose recursion limit turns
//! absurdly nested input into an error; values that are skipped are skipped by
//! its iterative skipper. Nothing here builds a `serde_json::Value` of the body.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::{ProtocolError, AGENT_STATUS, MAX_BODY_BYTES, STAGE_STATUS};
use crate::model::wire::object::Object;
use crate::model::{AgentStatus, StageStatus};

/// What [`parse_notification`] calls a body before it knows its kind.
const NOTIFICATION: &str = "notification";

/// Reads a `stage-status` body.
///
/// ```
/// use notify_rules::protocol::parse_stage_status;
///
/// let err = parse_stage_status(r#"{"pipeline":{"counter":"1"}}"#).unwrap_err();
/// assert_eq!(err.to_string(), "invalid stage-status body at pipeline.name (line 1, column 27): missing field `name`");
/// ```
pub fn parse_stage_status(body: &str) -> Result<StageStatus, ProtocolError> {
    parse_as(STAGE_STATUS, body)
}

/// Reads an `agent-status` body.
pub fn parse_agent_status(body: &str) -> Result<AgentStatus, ProtocolError> {
    parse_as(AGENT_STATUS, body)
}

/// A notification of either kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Notification {
    /// A stage changed state.
    Stage(StageStatus),
    /// An agent changed state.
    Agent(AgentStatus),
}

impl Notification {
    /// The request name this kind of body comes with: `stage-status` or
    /// `agent-status`.
    pub fn request_name(&self) -> &'static str {
        match self {
            Notification::Stage(_) => STAGE_STATUS,
            Notification::Agent(_) => AGENT_STATUS,
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
/// agent-status body (it has `uuid` or `agent_state`), or either inside the
/// getsentry forwarder's wrapper `{"type":"stage"|"agent","data":{...}}`.
///
/// ```
/// use notify_rules::protocol::{parse_notification, Notification};
///
/// let got = parse_notification(r#"{"type":"agent","data":{"uuid":"a1","agent_config_state":"Enabled",
///   "agent_state":"Idle","build_state":"Idle"}}"#).unwrap();
/// assert!(got.wrapped);
/// assert!(matches!(got.notification, Notification::Agent(a) if a.uuid == "a1"));
///
/// let err = parse_notification(r#"{"type":"build","data":{}}"#).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     r#"invalid notification body at type (line 1, column 15): invalid value: string "build", expected "stage" or "agent""#
/// );
/// ```
pub fn parse_notification(body: &str) -> Result<Received, ProtocolError> {
    check_size(NOTIFICATION, body)?;
    // A first, cheap pass looks only at the top-level keys; the second reads
    // the body as the kind found. The shape survives a failed first pass, so a
    // syntax error deep in a stage body is still reported with its field path.
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
    let read = match kind {
        Kind::Stage => parse_as(STAGE_STATUS, body).map(|s| (Notification::Stage(s), false)),
        Kind::Agent => parse_as(AGENT_STATUS, body).map(|a| (Notification::Agent(a), false)),
        Kind::WrappedStage => parse_as::<Wrapped<StageStatus>>(STAGE_STATUS, body)
            .map(|w| (Notification::Stage(w.data), true)),
        Kind::WrappedAgent => parse_as::<Wrapped<AgentStatus>>(AGENT_STATUS, body)
            .map(|w| (Notification::Agent(w.data), true)),
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
    match (read, sniffed) {
        (Ok((notification, wrapped)), Ok(())) => Ok(Received {
            notification,
            wrapped,
        }),
        (Err(e), _) => Err(e),
        // Both passes use one reader, so the second fails wherever the first
        // did; should it not, the first pass's error still stands.
        (Ok(_), Err(e)) => Err(ProtocolError::from_json(NOTIFICATION, None, &e)),
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
    WrappedStage,
    WrappedAgent,
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
    agent: bool,
    data: bool,
    wrapper_type: Option<TypeValue>,
}

impl Shape {
    fn kind(&self) -> Option<Kind> {
        if self.pipeline {
            return Some(Kind::Stage);
        }
        let wrapper = match self.wrapper_type {
            Some(TypeValue::Stage) => Kind::WrappedStage,
            Some(TypeValue::Agent) => Kind::WrappedAgent,
            Some(TypeValue::Other) | None => Kind::BadWrapper,
        };
        if self.data {
            Some(wrapper)
        } else if self.agent {
            Some(Kind::Agent)
        } else if self.wrapper_type.is_some() {
            Some(wrapper)
        } else {
            None
        }
    }
}

/// A top-level key that tells the shape.
enum TopKey {
    Pipeline,
    AgentKey,
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
                TopKey::Data => self.0.data = true,
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
