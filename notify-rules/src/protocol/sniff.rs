//! The first, cheap pass over a body of unknown kind: its top-level keys, and
//! those of a wrapper's `data`, say what it is. Values are skipped without
//! recursion, so the pass costs little and survives any nesting.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// What the top-level keys say the body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
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
pub(super) struct Shape {
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
    pub(super) fn kind(&self) -> Option<Kind> {
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
pub(super) struct Sniff<'s>(pub(super) &'s mut Shape);

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
