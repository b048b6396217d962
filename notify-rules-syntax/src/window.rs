//! The spec of a `window NAME = "SPEC" in "ZONE";` item: pure data, read the
//! same way by the macros, by run-time loading and by the runtime that opens
//! and closes windows.

use std::fmt;

/// A window's spec: `"Mon-Fri 08:00-18:00, Sat 10:00-12:00"`, `"daily 22:00-07:00"`.
///
/// ```
/// use notify_rules_syntax::window::{parse, WindowPart};
///
/// let spec = parse("Mon-Fri 08:00-18:00, Sat 10:00-12:00").unwrap();
/// assert_eq!(spec.parts[0], WindowPart { days: 0b001_1111, start: 8 * 60, end: 18 * 60 });
/// assert_eq!(spec.parts[1], WindowPart { days: 0b010_0000, start: 600, end: 720 });
/// assert_eq!(spec.to_string(), "Mon-Fri 08:00-18:00, Sat 10:00-12:00");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WindowSpec {
    /// The comma-separated parts, in the order written.
    pub parts: Vec<WindowPart>,
}

/// One part of a spec: the days it starts on and its wall-clock times.
///
/// `days`: bit 0 = Monday ... bit 6 = Sunday; `start`/`end`: minutes after
/// midnight (`end` may be 1440 for `24:00`). `end < start` means it runs past
/// midnight and belongs to the day it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WindowPart {
    /// The days the part starts on, bit 0 = Monday ... bit 6 = Sunday.
    pub days: u8,
    /// Minutes after midnight when it opens.
    pub start: u16,
    /// Minutes after midnight when it closes; before `start` for a part that
    /// runs past midnight.
    pub end: u16,
}

/// Why a spec was refused: the part that is wrong and where it is in the
/// string (bytes of the spec as the program sees it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowSpecError {
    /// What is wrong, naming the part.
    pub message: String,
    /// How to write it.
    pub help: String,
    /// Byte offset of the first character of the wrong part.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
}

impl fmt::Display for WindowSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n  = help: {}", self.message, self.help)
    }
}

impl std::error::Error for WindowSpecError {}

/// The day names, Monday first: the bit of `DAYS[i]` is `1 << i`.
pub const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

const HELP: &str = "a window is one or more comma-separated parts `DAYS HH:MM-HH:MM`, \
     DAYS being a day (`Mon`..`Sun`), a range (`Mon-Fri`) or `daily`: \
     \"Mon-Fri 08:00-18:00, Sat 10:00-12:00\"";

/// Parses a spec; the first wrong part is the error.
///
/// ```
/// let e = notify_rules_syntax::window::parse("Mon-Fri 08:00-18:00, Sat 10:00-25:00").unwrap_err();
/// assert_eq!(e.message, "`25:00` is not a time of day");
/// assert_eq!(&"Mon-Fri 08:00-18:00, Sat 10:00-25:00"[e.start..e.end], "25:00");
/// ```
pub fn parse(spec: &str) -> Result<WindowSpec, WindowSpecError> {
    let mut parts = Vec::new();
    let mut at = 0;
    for piece in spec.split(',') {
        let start = at + (piece.len() - piece.trim_start().len());
        let text = piece.trim();
        parts.push(part(text, start)?);
        at += piece.len() + 1;
    }
    Ok(WindowSpec { parts })
}

fn error(message: String, help: &str, start: usize, text: &str) -> WindowSpecError {
    WindowSpecError {
        message,
        help: help.to_owned(),
        start,
        end: start + text.len().max(1),
    }
}

/// One part, `text` trimmed and found at byte `at`.
fn part(text: &str, at: usize) -> Result<WindowPart, WindowSpecError> {
    if text.is_empty() {
        return Err(WindowSpecError {
            message: "empty part in the window".into(),
            help: HELP.into(),
            start: at,
            end: at,
        });
    }
    let Some((days_text, times)) = text.split_once(char::is_whitespace) else {
        return Err(error(
            format!("`{text}` has no times: a part is `DAYS HH:MM-HH:MM`"),
            HELP,
            at,
            text,
        ));
    };
    let days = days(days_text, at)?;
    let times_at = at + text.len() - times.trim_start().len();
    let times = times.trim();
    let Some((from, to)) = times.split_once('-') else {
        return Err(error(
            format!("`{times}` is not a range of times"),
            "write the times as `HH:MM-HH:MM`, like `08:00-18:00`",
            times_at,
            times,
        ));
    };
    let start = time(
        from.trim(),
        times_at + (from.len() - from.trim_start().len()),
        false,
    )?;
    let to_at = times_at + from.len() + 1;
    let end = time(to.trim(), to_at + (to.len() - to.trim_start().len()), true)?;
    if start == end {
        return Err(error(
            format!("`{times}` opens and closes at the same time"),
            "a part needs some time between its opening and its closing; `00:00-24:00` is the whole day",
            times_at,
            times,
        ));
    }
    Ok(WindowPart { days, start, end })
}

/// `Mon`, `Mon-Fri` or `daily` at byte `at`.
fn days(text: &str, at: usize) -> Result<u8, WindowSpecError> {
    if text.eq_ignore_ascii_case("daily") {
        return Ok(0b111_1111);
    }
    let day = |name: &str, start: usize| -> Result<usize, WindowSpecError> {
        DAYS.iter()
            .position(|d| d.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let near = crate::suggest::suggest(name, DAYS.iter().copied().chain(["daily"]));
                let help = match near {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => "days are `Mon`, `Tue`, `Wed`, `Thu`, `Fri`, `Sat` and `Sun`, \
                             a range like `Mon-Fri`, or `daily`"
                        .into(),
                };
                error(format!("`{name}` is not a day"), &help, start, name)
            })
    };
    match text.split_once('-') {
        None => Ok(1 << day(text, at)?),
        Some((a, b)) => {
            let first = day(a, at)?;
            let last = day(b, at + a.len() + 1)?;
            // A range may wrap over the weekend: `Fri-Mon`.
            let mut bits = 0u8;
            let mut d = first;
            loop {
                bits |= 1 << d;
                if d == last {
                    break;
                }
                d = (d + 1) % 7;
            }
            Ok(bits)
        }
    }
}

/// `HH:MM` at byte `at`; `24:00` only as an end.
fn time(text: &str, at: usize, is_end: bool) -> Result<u16, WindowSpecError> {
    let bad = || {
        error(
            format!("`{text}` is not a time of day"),
            "write times as `HH:MM` on a 24-hour clock, from `00:00` to `23:59` (`24:00` as an end)",
            at,
            text,
        )
    };
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return Err(bad());
    }
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    match (h, m) {
        (24, 0) if is_end => Ok(24 * 60),
        (0..=23, 0..=59) => Ok(h * 60 + m),
        _ => Err(bad()),
    }
}

impl fmt::Display for WindowSpec {
    /// The spec in normal form: `Mon-Fri 08:00-18:00, Sat 10:00-12:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.parts.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl fmt::Display for WindowPart {
    /// `Mon-Fri 08:00-18:00`, `daily 22:00-07:00`, `Fri-Mon 20:00-06:00`;
    /// days that are no range are written as one part each, so the text
    /// parses back to the same days.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.days & 0b111_1111;
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        let times = format!("{}-{}", hm(self.start), hm(self.end));
        if days == 0b111_1111 {
            return write!(f, "daily {times}");
        }
        // A run of days, over the weekend too: it starts at a day whose
        // previous day is not in the set, and covers every day it has.
        let has = |d: usize| days & (1 << (d % 7)) != 0;
        let first = (0..7).find(|&d| has(d) && !has(d + 6));
        if let Some(first) = first {
            let len = (0..7).take_while(|i| has(first + i)).count();
            if len == days.count_ones() as usize {
                let last = (first + len - 1) % 7;
                return if len == 1 {
                    write!(f, "{} {times}", DAYS[first])
                } else {
                    write!(f, "{}-{} {times}", DAYS[first], DAYS[last])
                };
            }
        }
        let mut sep = "";
        for d in (0..7).filter(|&d| has(d)) {
            write!(f, "{sep}{} {times}", DAYS[d])?;
            sep = ", ";
        }
        Ok(())
    }
}

/// The IANA name of a window's zone, as the bundled database spells it
/// (names are read without regard to ASCII case), or why it is refused: the
/// message and a "did you mean" when a known name is close.
///
/// ```
/// use notify_rules_syntax::window::zone;
///
/// assert_eq!(zone("europe/berlin").unwrap(), "Europe/Berlin");
/// let (message, help) = zone("Europe/Berln").unwrap_err();
/// assert_eq!(message, "unknown time zone `Europe/Berln`");
/// assert_eq!(help, "did you mean `Europe/Berlin`?");
/// ```
pub fn zone(name: &str) -> Result<String, (String, String)> {
    let db = jiff::tz::db();
    if let Ok(tz) = db.get(name) {
        if let Some(canonical) = tz.iana_name() {
            return Ok(canonical.to_owned());
        }
    }
    let names: Vec<_> = db.available().collect();
    let near = crate::suggest::suggest(name, names.iter().map(|n| n.as_str()));
    let help = match near {
        Some(near) => format!("did you mean `{near}`?"),
        None => "a zone is an IANA name such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\""
            .into(),
    };
    Err((format!("unknown time zone `{name}`"), help))
}

#[cfg(test)]
mod tests;
