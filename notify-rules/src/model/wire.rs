//! Serde glue for GoCD's wire forms: counters as strings or numbers, dates in
//! several offset styles, and `""`/`null` for "not set".

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::Serializer;

/// GoCD's date pattern, `yyyy-MM-dd'T'HH:mm:ss.SSSZ`.
pub(crate) const GOCD_DATE: &str = "%Y-%m-%dT%H:%M:%S%.3f%z";

/// Parses a GoCD date: `+0000`, `+02:00`, `Z` (v1/v2 local time with a literal
/// `Z`, taken as UTC since nothing better is known), with or without fraction.
///
/// The result is cut to whole milliseconds, GoCD's precision and the most its
/// pattern writes, so whatever is read is written back unchanged.
pub(crate) fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let d = parse_fast(s.as_bytes()).or_else(|| parse_slow(s))?;
    let nanos = d.timestamp_subsec_nanos();
    d.with_nanosecond(nanos - nanos % 1_000_000)
}

/// Every form chrono knows; used when the fast path declines.
fn parse_slow(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(d) = DateTime::<FixedOffset>::parse_from_str(s, fmt) {
            return Some(d.with_timezone(&Utc));
        }
    }
    let naive = s.strip_suffix('Z').unwrap_or(s);
    NaiveDateTime::parse_from_str(naive, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

/// `yyyy-MM-ddTHH:mm:ss[.f{1,9}][Z|±HHmm|±HH:mm]`, the forms GoCD and its
/// forwarders send, without chrono's format interpreter: a notification has a
/// date per job, and this is most of the cost of reading one. Anything else
/// returns `None` for the slow path to judge.
fn parse_fast(b: &[u8]) -> Option<DateTime<Utc>> {
    fn num(b: &[u8], from: usize, len: usize) -> Option<u32> {
        let digits = b.get(from..from + len)?;
        digits.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    }
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(b, 0, 4)? as i32, num(b, 5, 2)?, num(b, 8, 2)?)?;
    let (hour, min, sec) = (num(b, 11, 2)?, num(b, 14, 2)?, num(b, 17, 2)?);
    let mut i = 19;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b'.') {
        let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        nanos = num(b, i + 1, digits)? * 10u32.pow(9 - digits as u32);
        i += 1 + digits;
    }
    let offset_secs: i32 = match &b[i..] {
        [] | [b'Z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest {
                [_, _, b':', _, _] => (num(rest, 0, 2)?, num(rest, 3, 2)?),
                [_, _, _, _] => (num(rest, 0, 2)?, num(rest, 2, 2)?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let secs = (h * 3600 + m * 60) as i32;
            if *sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return None,
    };
    let local = date.and_time(NaiveTime::from_hms_nano_opt(hour, min, sec, nanos)?);
    let utc = local.checked_sub_signed(chrono::Duration::seconds(i64::from(offset_secs)))?;
    Some(utc.and_utc())
}

/// Writes a date in GoCD's pattern.
#[cfg(test)]
pub(crate) fn format_date(d: &DateTime<Utc>) -> String {
    GocdDate(d).to_string()
}

/// A date shown in GoCD's pattern, written field by field rather than through
/// chrono's format interpreter, which costs more than the rest of a job.
pub(crate) struct GocdDate<'a>(pub(crate) &'a DateTime<Utc>);

impl fmt::Display for GocdDate<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if !(0..=9999).contains(&d.year()) {
            return write!(f, "{}", d.format(GOCD_DATE));
        }
        // chrono keeps a leap second as second 59 with a nanosecond past 1e9.
        let (second, nanos) = match d.nanosecond() {
            n if n >= 1_000_000_000 => (60, n - 1_000_000_000),
            n => (d.second(), n),
        };
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+0000",
            d.year(),
            d.month(),
            d.day(),
            d.hour(),
            d.minute(),
            second,
            nanos / 1_000_000
        )
    }
}

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

pub(crate) mod opt_counter {
    use super::*;

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
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Some(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                counter::CounterVisitor.visit_i64(v).map(Some)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v.is_empty() {
                    return Ok(None);
                }
                counter::CounterVisitor.visit_str(v).map(Some)
            }
        }
        d.deserialize_any(V)
    }
}

pub(crate) mod date {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        v: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.collect_str(&GocdDate(d)),
            // GoCD sends a date that is not set yet as "", not null.
            None => s.serialize_str(""),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<DateTime<Utc>>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date like 2024-05-14T09:22:10.118+0000, \"\" or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v.trim().is_empty() {
                    return Ok(None);
                }
                parse_date(v)
                    .map(Some)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fast_and_slow(s: &str) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        (parse_fast(s.as_bytes()), parse_slow(s))
    }

    #[test]
    fn fast_path_agrees_with_chrono() {
        for s in [
            "2024-05-14T09:22:10.118+0000",
            "2024-05-14T09:22:10.118-0530",
            "2024-07-19T14:22:01.000+02:00",
            "2013-02-11T16:42:19Z",
            "2013-02-11T16:42:19",
            "2013-02-11T16:42:19.5Z",
            "2013-02-11T16:42:19.123456789+0100",
            "2024-02-29T23:59:59.999-23:59",
            "0001-01-01T00:00:00.000+0000",
            "9999-12-31T23:59:59.999+0000",
        ] {
            let (fast, slow) = fast_and_slow(s);
            assert!(fast.is_some(), "{s}");
            assert_eq!(fast, slow, "{s}");
        }
    }

    #[test]
    fn fast_path_declines_what_it_does_not_know() {
        for s in [
            "",
            "2024-05-14",
            "2024-05-14 09:22:10+0000",
            "2024-13-14T09:22:10+0000",
            "2023-02-29T09:22:10+0000",
            "2024-05-14T24:22:10+0000",
            "2024-05-14T09:22:10.+0000",
            "2024-05-14T09:22:10.1234567890+0000",
            "2024-05-14T09:22:10+000",
            "2024-05-14T09:22:10+2400",
            "2024-05-14T09:22:10+00:60",
            "2024-05-14T09:22:10 ",
            "2024-05-14T09:22:1x",
            "２０２４-05-14T09:22:10Z",
            "+10000-05-14T09:22:10Z",
        ] {
            assert_eq!(parse_fast(s.as_bytes()), None, "{s}");
        }
    }

    #[test]
    fn dates_are_cut_to_milliseconds_and_written_back_unchanged() {
        let d = parse_date("2013-02-11T16:42:19.123456789+0100").unwrap();
        assert_eq!(format_date(&d), "2013-02-11T15:42:19.123+0000");
        assert_eq!(parse_date(&format_date(&d)), Some(d));
        for d in [
            d,
            DateTime::from_timestamp_millis(-62_135_596_800_000).unwrap(),
            DateTime::<Utc>::MAX_UTC,
        ] {
            assert_eq!(GocdDate(&d).to_string(), d.format(GOCD_DATE).to_string());
        }
        let leap = parse_date("2016-12-31T23:59:60.5Z").unwrap();
        assert_eq!(format_date(&leap), "2016-12-31T23:59:60.500+0000");
        assert_eq!(parse_date(&format_date(&leap)), Some(leap));
        assert_eq!(parse_date("yesterday"), None);
    }
}
