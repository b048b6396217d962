//! Dates as GoCD and its forwarders write them, and GoCD's pattern to write
//! them back.
//!
//! Read: `yyyy-MM-dd'T'HH:mm:ss[.SSS]` with `+0000`, `+02:00` or `Z` (v1/v2
//! local time with a literal `Z`, taken as UTC since nothing better is known);
//! the same without an offset; and Gson's default `Date` format, US locale,
//! which the getsentry forwarder and the kzrbill webhooker send:
//! `Aug 28, 2024, 9:30:19 PM` (JDK 9+, with a plain, narrow no-break or
//! no-break space before the marker) and `Dec 13, 2017 4:06:00 PM` (JDK 8).
//! A date without an offset is the GoCD server's local time, in the zone the
//! read was given (see [`super::context`]).

use std::fmt;

use chrono::offset::LocalResult;
use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use serde::de::{self, Deserializer, Visitor};
use serde::Serializer;

use super::context;
use super::lenient::{null_is, skip_compound, unreadable_scalars};

/// GoCD's date pattern, `yyyy-MM-dd'T'HH:mm:ss.SSSZ`.
pub(crate) const GOCD_DATE: &str = "%Y-%m-%dT%H:%M:%S%.3f%z";

/// Gson's default patterns, US locale, after the space before AM/PM is made
/// a plain one: JDK 9 and later, then JDK 8.
const GSON_DATES: [&str; 2] = ["%b %d, %Y, %I:%M:%S %p", "%b %d, %Y %I:%M:%S %p"];

/// A date as written: an instant, or a wall-clock time with no offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stamp {
    Instant(DateTime<Utc>),
    Local(NaiveDateTime),
}

/// Reads a date in any of the forms above, a local one in `zone`.
///
/// The result is cut to whole milliseconds, GoCD's precision and the most its
/// pattern writes, so whatever is read is written back unchanged.
pub(crate) fn parse_date(s: &str, zone: Tz) -> Option<DateTime<Utc>> {
    // The hand readers first: each declines the other's form at its first
    // bytes, while chrono's interpreter costs as much to decline as to read.
    let d = match parse_fast(s.as_bytes())
        .or_else(|| parse_gson_fast(s.trim()).map(Stamp::Local))
        .or_else(|| parse_slow(s))
        .or_else(|| parse_gson(s).map(Stamp::Local))?
    {
        Stamp::Instant(d) => d,
        Stamp::Local(local) => at_zone(local, zone)?,
    };
    let nanos = d.timestamp_subsec_nanos();
    d.with_nanosecond(nanos - nanos % 1_000_000)
}

/// The instant a wall-clock time stands for in `zone`. A time the clocks
/// passed twice (daylight saving ending) is the first of the two; a time they
/// skipped (daylight saving starting) is read with the offsets on each side
/// of the gap, and the earlier instant taken.
fn at_zone(local: NaiveDateTime, zone: Tz) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(d) => Some(d.with_timezone(&Utc)),
        LocalResult::Ambiguous(earlier, _) => Some(earlier.with_timezone(&Utc)),
        LocalResult::None => {
            // Offsets change at most twice a year, and never twice in a day.
            let day = Duration::days(1);
            [
                local.checked_sub_signed(day)?,
                local.checked_add_signed(day)?,
            ]
            .iter()
            .filter_map(|probe| {
                let offset = zone.offset_from_utc_datetime(probe).fix();
                local.checked_sub_signed(Duration::seconds(offset.local_minus_utc().into()))
            })
            .min()
            .map(|n| n.and_utc())
        }
    }
}

/// Every ISO form chrono knows; used when the fast path declines.
fn parse_slow(s: &str) -> Option<Stamp> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(Stamp::Instant(d.with_timezone(&Utc)));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(d) = DateTime::<FixedOffset>::parse_from_str(s, fmt) {
            return Some(Stamp::Instant(d.with_timezone(&Utc)));
        }
    }
    let (naive, utc) = match s.strip_suffix('Z') {
        Some(naive) => (naive, true),
        None => (s, false),
    };
    let n = NaiveDateTime::parse_from_str(naive, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    Some(if utc {
        Stamp::Instant(n.and_utc())
    } else {
        Stamp::Local(n)
    })
}

/// Gson's default format through chrono's format interpreter, the judge of
/// what [`parse_gson_fast`] declines (other cases, stray spaces).
fn parse_gson(s: &str) -> Option<NaiveDateTime> {
    let plain: String = s
        .trim()
        .chars()
        .map(|c| match c {
            '\u{202f}' | '\u{a0}' => ' ',
            c => c,
        })
        .collect();
    GSON_DATES
        .iter()
        .find_map(|fmt| NaiveDateTime::parse_from_str(&plain, fmt).ok())
}

/// Gson's default format, `MMM d, y[,] h:mm:ss a`, read by hand: the
/// getsentry forwarder writes a date per job in it.
fn parse_gson_fast(s: &str) -> Option<NaiveDateTime> {
    /// Up to `max` digits, and what follows them.
    fn digits(s: &str, max: usize) -> Option<(u32, &str)> {
        let n = s.bytes().take(max).take_while(u8::is_ascii_digit).count();
        Some((s.get(..n).filter(|d| !d.is_empty())?.parse().ok()?, &s[n..]))
    }
    let month = MONTHS.iter().position(|m| s.get(..3) == Some(*m))? as u32 + 1;
    let (day, rest) = digits(s.get(3..)?.strip_prefix(' ')?, 2)?;
    let (year, rest) = digits(rest.strip_prefix(", ")?, 4)?;
    let rest = rest.strip_prefix(',').unwrap_or(rest).strip_prefix(' ')?;
    let (hour, rest) = digits(rest, 2)?;
    let (minute, rest) = digits(rest.strip_prefix(':')?, 2)?;
    let (second, rest) = digits(rest.strip_prefix(':')?, 2)?;
    let marker = [" ", "\u{202f}", "\u{a0}"]
        .iter()
        .find_map(|space| rest.strip_prefix(space))?;
    let pm = match marker {
        "AM" => false,
        "PM" => true,
        _ => return None,
    };
    if !(1..=12).contains(&hour) || minute > 59 || second > 59 {
        return None;
    }
    let hour = hour % 12 + if pm { 12 } else { 0 };
    NaiveDate::from_ymd_opt(year as i32, month, day)?.and_hms_opt(hour, minute, second)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `yyyy-MM-ddTHH:mm:ss[.f{1,9}][Z|±HHmm|±HH:mm]`, the forms GoCD and its
/// forwarders send, without chrono's format interpreter: a notification has a
/// date per job, and this is most of the cost of reading one. Anything else
/// returns `None` for the slow paths to judge.
fn parse_fast(b: &[u8]) -> Option<Stamp> {
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
    let local = date.and_time(NaiveTime::from_hms_nano_opt(hour, min, sec, nanos)?);
    let offset_secs: i32 = match &b[i..] {
        [] => return Some(Stamp::Local(local)),
        [b'Z'] => 0,
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
    let utc = local.checked_sub_signed(Duration::seconds(i64::from(offset_secs)))?;
    Some(Stamp::Instant(utc.and_utc()))
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

/// `Option<DateTime<Utc>>` fields: `""` and `null` are "not set"; a value
/// that is no date is noted as unreadable and read as `None`.
pub(crate) fn serialize<S: Serializer>(v: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(d) => s.collect_str(&GocdDate(d)),
        // GoCD sends a date that is not set yet as "", not null.
        None => s.serialize_str(""),
    }
}

/// See [`serialize`].
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    d.deserialize_any(DateVisitor)
}

const A_DATE: &str = "a date";

struct DateVisitor;

impl<'de> Visitor<'de> for DateVisitor {
    type Value = Option<DateTime<Utc>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a date like 2024-05-14T09:22:10.118+0000, \"\" or null")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.trim().is_empty() {
            return Ok(None);
        }
        match parse_date(v, context::zone()) {
            Some(d) => Ok(Some(d)),
            None => context::unreadable(v, A_DATE).map(|()| None),
        }
    }
    null_is!(None);
    unreadable_scalars!(A_DATE, None; visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64);
    skip_compound!(A_DATE, None);
}

#[cfg(test)]
mod tests;
