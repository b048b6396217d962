//! Fields that a real sender may write in a form GoCD does not: read what can
//! be read, and note the rest as unreadable instead of refusing the body.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};

use super::context;

/// Skips a map or sequence a scalar was expected in, and notes it.
macro_rules! skip_compound {
    ($expected:expr, $none:expr) => {
        fn visit_seq<A: ::serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            while seq.next_element::<::serde::de::IgnoredAny>()?.is_some() {}
            $crate::model::wire::context::unreadable("[...]", $expected).map(|()| $none)
        }
        fn visit_map<A: ::serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            use ::serde::de::IgnoredAny;
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            $crate::model::wire::context::unreadable("{...}", $expected).map(|()| $none)
        }
    };
}
pub(crate) use skip_compound;

/// `null`, and `Some` around a value, for a field where `null` means `$null`.
macro_rules! null_is {
    ($null:expr) => {
        fn visit_none<E: ::serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok($null)
        }
        fn visit_unit<E: ::serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok($null)
        }
        fn visit_some<D: ::serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    };
}
pub(crate) use null_is;

/// Scalars of the wrong kind: noted as unreadable, read as `$none`.
macro_rules! unreadable_scalars {
    ($expected:expr, $none:expr; $($method:ident: $ty:ty),+) => {
        $(
            fn $method<E: ::serde::de::Error>(self, v: $ty) -> Result<Self::Value, E> {
                $crate::model::wire::context::unreadable(&v.to_string(), $expected)
                    .map(|()| $none)
            }
        )+
    };
}
pub(crate) use unreadable_scalars;

/// `bool` fields (`changed`, `is_elastic`): as [`opt_flag`], absent is `false`.
pub(crate) mod flag {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        super::opt_flag::deserialize(d).map(|v| v.unwrap_or(false))
    }
}

/// `Option<bool>` fields (`shallow-clone`): `true`/`false`, also as strings in
/// any case; `null` and `""` are `None`.
pub(crate) mod opt_flag {
    use super::*;

    const A_FLAG: &str = "true or false";

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<bool>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(A_FLAG)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Some(v))
            }
            null_is!(None);
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v.eq_ignore_ascii_case("true") {
                    Ok(Some(true))
                } else if v.eq_ignore_ascii_case("false") {
                    Ok(Some(false))
                } else if v.is_empty() {
                    Ok(None)
                } else {
                    context::unreadable(v, A_FLAG).map(|()| None)
                }
            }
            unreadable_scalars!(A_FLAG, None; visit_i64: i64, visit_u64: u64, visit_f64: f64);
            skip_compound!(A_FLAG, None);
        }
        d.deserialize_any(V)
    }
}

/// `Option<String>` fields: a string, `null`, or a number or `true`/`false`
/// kept as its JSON text (a label or group that a forwarder wrote unquoted).
pub(crate) mod opt_text {
    use super::*;

    const TEXT: &str = "text";

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<String>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or null")
            }
            null_is!(None);
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Some(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Some(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Some(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Some(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Some(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Some(v.to_string()))
            }
            skip_compound!(TEXT, None);
        }
        d.deserialize_any(V)
    }
}

/// The optional scalars a configuration struct holds, each read by its lenient
/// reader, so that one `deserialize_with` serves every field of a generated struct.
pub(crate) trait Lenient: Sized {
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

impl Lenient for Option<String> {
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        opt_text::deserialize(d)
    }
}

impl Lenient for Option<bool> {
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        opt_flag::deserialize(d)
    }
}

/// A field of any [`Lenient`] type.
pub(crate) fn deserialize<'de, D: Deserializer<'de>, T: Lenient>(d: D) -> Result<T, D::Error> {
    T::read(d)
}

#[cfg(test)]
mod tests {
    use chrono_tz::Tz;
    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Fields {
        #[serde(default, deserialize_with = "flag::deserialize")]
        flag: bool,
        #[serde(default, deserialize_with = "opt_text::deserialize")]
        text: Option<String>,
    }

    fn read(json: &str) -> (Fields, usize) {
        let (got, unreadable) =
            context::reading(Tz::UTC, None, || serde_json::from_str::<Fields>(json));
        (got.unwrap(), unreadable.len())
    }

    #[test]
    fn flags_and_text_take_what_senders_write() {
        let f = |flag, text: Option<&str>| Fields {
            flag,
            text: text.map(str::to_owned),
        };
        assert_eq!(read(r#"{"flag":true,"text":"a"}"#), (f(true, Some("a")), 0));
        assert_eq!(read(r#"{"flag":"TRUE","text":7}"#), (f(true, Some("7")), 0));
        assert_eq!(
            read(r#"{"flag":"false","text":false}"#),
            (f(false, Some("false")), 0)
        );
        assert_eq!(read(r#"{"flag":null,"text":null}"#), (f(false, None), 0));
        assert_eq!(read(r#"{}"#), (f(false, None), 0));
        assert_eq!(
            read(r#"{"flag":"yes","text":{"a":[1]}}"#),
            (f(false, None), 2)
        );
        assert_eq!(read(r#"{"flag":[true],"text":[]}"#), (f(false, None), 2));
        assert_eq!(read(r#"{"flag":1}"#), (f(false, None), 1));
    }
}
