//! Serde glue for GoCD's wire forms: counters as strings or numbers, dates in
//! several styles, values in any case, and `""`/`null` for "not set".

pub(crate) mod context;
pub(crate) mod date;
pub(crate) mod lenient;

pub(crate) use lenient::{flag, opt_text};

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Serializer;

pub(crate) mod counter {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        d.deserialize_any(CounterVisitor)
    }

    pub(super) struct CounterVisitor;

    impl Visitor<'_> for CounterVisitor {
        type Value = u64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a counter (a non-negative integer, as a string or a number)")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
            v.trim()
                .parse()
                .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
        }
    }
}

/// Counters that may be missing (`previous-stage-counter`): one that cannot be
/// read is noted and absent, since the notification is still one without it.
pub(crate) mod opt_counter {
    use super::lenient::{null_is, skip_compound, unreadable_scalars};
    use super::*;

    const A_COUNTER: &str = "a counter";

    pub(crate) fn serialize<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_u64(*v),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<u64>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a counter or null")
            }
            null_is!(None);
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Some(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                match u64::try_from(v) {
                    Ok(v) => Ok(Some(v)),
                    Err(_) => context::unreadable(&v.to_string(), A_COUNTER).map(|()| None),
                }
            }
            unreadable_scalars!(A_COUNTER, None; visit_f64: f64, visit_bool: bool);
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v.trim().is_empty() {
                    return Ok(None);
                }
                match v.trim().parse() {
                    Ok(v) => Ok(Some(v)),
                    Err(_) => context::unreadable(v, A_COUNTER).map(|()| None),
                }
            }
            skip_compound!(A_COUNTER, None);
        }
        d.deserialize_any(V)
    }
}

pub(crate) mod string_map {
    use super::*;
    use serde::{Deserialize, Serialize};

    pub(crate) fn serialize<S: Serializer>(
        v: &BTreeMap<String, String>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }

    /// `null` reads as an empty map; plugin values that are not strings are kept
    /// as their JSON text rather than refused.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, String>, D::Error> {
        let raw: Option<BTreeMap<String, serde_json::Value>> = Option::deserialize(d)?;
        Ok(raw
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect())
    }
}

/// A struct read from a JSON object only. serde's derived structs also take an
/// array of their fields in order, which no GoCD body uses and which turns a
/// wrong type into a confusing error about the first field; read through this,
/// an array is "expected a JSON object".
pub(crate) mod object {
    use std::marker::PhantomData;

    use serde::de::value::MapAccessDeserializer;
    use serde::de::{MapAccess, SeqAccess};
    use serde::Deserialize;

    use super::*;

    struct ObjectVisitor<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(MapAccessDeserializer::new(map))
        }
    }

    /// One object.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        d.deserialize_map(ObjectVisitor(PhantomData))
    }

    /// An element read through [`deserialize`].
    pub(crate) struct Object<T>(pub(crate) T);

    impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            deserialize(d).map(Object)
        }
    }

    /// An array of objects; `null` reads as empty, like a missing array.
    pub(crate) fn vec<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Vec<T>, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of JSON objects")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Vec<T>, E> {
                Ok(Vec::new())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
                // Capped: the size hint comes from the input.
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(Object(item)) = seq.next_element()? {
                    out.push(item);
                }
                Ok(out)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}
