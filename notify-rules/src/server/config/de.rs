//! Reading the file into its schema through a deserializer of our own, so that
//! every message about a value is written here and none quotes it.
//!
//! `toml` parses the text into a tree of values with their places; this module
//! walks that tree for serde. Its error type gets serde's problems as they are
//! found (an unknown setting, a value of the wrong type, a word that is not one
//! of a setting's choices) and words them itself: a string put in the wrong
//! place is never repeated, since it may be a secret (`kind =
//! "https://hooks.slack.com/..."`, `headers = "Bearer ..."`). Nothing rewrites
//! serde's or toml's wording, which could change under it.

use std::fmt::{self, Display};
use std::ops::Range;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, Expected, IntoDeserializer, MapAccess,
    SeqAccess, Unexpected, Visitor,
};
use toml::de::{DeString, DeTable, DeValue};
use toml::Spanned;

use super::checks::{hidden_variant, unknown_setting};

/// What is wrong with the file, and where (bytes of the text).
#[derive(Debug)]
pub(super) struct DeError {
    pub(super) message: String,
    pub(super) span: Option<Range<usize>>,
}

impl DeError {
    /// The error at `span`, unless a deeper value already placed it.
    fn at(mut self, span: Range<usize>) -> Self {
        if self.span.is_none() {
            self.span = Some(span);
        }
        self
    }
}

impl Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: Display>(message: T) -> Self {
        DeError {
            message: message.to_string(),
            span: None,
        }
    }

    fn invalid_type(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Self::custom(format_args!(
            "invalid type: {}, expected {expected}",
            Unquoted(unexpected)
        ))
    }

    fn invalid_value(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Self::custom(format_args!(
            "invalid value: {}, expected {expected}",
            Unquoted(unexpected)
        ))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Self::custom(hidden_variant(variant, expected))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Self::custom(unknown_setting(field, expected))
    }

    fn missing_field(field: &'static str) -> Self {
        Self::custom(format_args!("missing setting `{field}`"))
    }

    fn duplicate_field(field: &'static str) -> Self {
        Self::custom(format_args!("`{field}` is set twice"))
    }
}

/// What serde found instead of what it expected, without the value when it is
/// text (a string could be a secret); numbers and booleans are shown.
struct Unquoted<'a>(Unexpected<'a>);

impl Display for Unquoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Unexpected::Str(_) | Unexpected::Char(_) => f.write_str("a string"),
            Unexpected::Bytes(_) => f.write_str("bytes"),
            other => Display::fmt(&other, f),
        }
    }
}

/// Reads the whole file. Syntax errors are toml's, whose messages describe the
/// syntax and never quote the text.
pub(super) fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, DeError> {
    let root = DeTable::parse(text).map_err(|e| DeError {
        message: e.message().to_owned(),
        span: e.span(),
    })?;
    let span = root.span();
    let root = Spanned::new(span, DeValue::Table(root.into_inner()));
    T::deserialize(Node(&root))
}

/// One value of the file, with its place.
struct Node<'a, 'i>(&'a Spanned<DeValue<'i>>);

impl<'de> Deserializer<'de> for Node<'_, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let span = self.0.span();
        match self.0.get_ref() {
            DeValue::String(s) => visitor.visit_str(s),
            DeValue::Integer(n) => {
                if let Ok(n) = i64::from_str_radix(n.as_str(), n.radix()) {
                    visitor.visit_i64(n)
                } else if let Ok(n) = u64::from_str_radix(n.as_str(), n.radix()) {
                    visitor.visit_u64(n)
                } else {
                    Err(de::Error::custom("the number is too large"))
                }
            }
            DeValue::Float(x) => match x.as_str().parse() {
                Ok(x) => visitor.visit_f64(x),
                Err(_) => Err(de::Error::custom("the number is too large")),
            },
            DeValue::Boolean(b) => visitor.visit_bool(*b),
            DeValue::Datetime(_) => Err(de::Error::invalid_type(
                Unexpected::Other("a date"),
                &visitor,
            )),
            DeValue::Array(items) => visitor.visit_seq(Items(items.iter())),
            DeValue::Table(table) => visitor.visit_map(Entries {
                entries: table.iter(),
                value: None,
            }),
        }
        .map_err(|e| e.at(span))
    }

    /// A value that is there is `Some`: a setting left out never reaches a
    /// deserializer.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let span = self.0.span();
        visitor.visit_some(self).map_err(|e| e.at(span))
    }

    /// A choice (`kind = "slack"`) is a string naming a unit variant.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.0.get_ref() {
            DeValue::String(s) => {
                let span = self.0.span();
                let word: &str = s;
                visitor
                    .visit_enum(word.into_deserializer())
                    .map_err(|e: DeError| e.at(span))
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

/// The values of an array.
struct Items<'a, 'i>(std::slice::Iter<'a, Spanned<DeValue<'i>>>);

impl<'de> SeqAccess<'de> for Items<'_, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        self.0
            .next()
            .map(|item| seed.deserialize(Node(item)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// The settings of a table; a key's problem (an unknown setting) is placed at
/// the key.
struct Entries<'a, 'i, I> {
    entries: I,
    value: Option<&'a Spanned<DeValue<'i>>>,
}

impl<'de, 'a, 'i: 'a, I> MapAccess<'de> for Entries<'a, 'i, I>
where
    I: Iterator<Item = (&'a Spanned<DeString<'i>>, &'a Spanned<DeValue<'i>>)>,
{
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        let name: &str = key.get_ref();
        seed.deserialize(name.into_deserializer())
            .map(Some)
            .map_err(|e: DeError| e.at(key.span()))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        match self.value.take() {
            Some(value) => seed.deserialize(Node(value)),
            None => Err(de::Error::custom("a value was read before its key")),
        }
    }
}
