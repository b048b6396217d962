//! When a rule's `window` is open, on the wall clock of its zone (daylight
//! saving included), and when it next opens.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use notify_rules_syntax::window::{WindowPart, WindowSpec};

/// A window's spec in its zone, ready to ask.
///
/// ```
/// use notify_rules::time::OpenHours;
///
/// let office = OpenHours::new("Mon-Fri 08:00-18:00", "Europe/Berlin").unwrap();
/// // Friday 2025-03-28 19:00 in Berlin (18:00 UTC): closed.
/// let friday_evening = 1_743_184_800_000;
/// assert!(!office.is_open(friday_evening));
/// // It opens on Monday at 08:00 in Berlin, summer time by then: 06:00 UTC.
/// assert_eq!(office.next_open(friday_evening), Some(1_743_400_800_000));
/// assert_eq!(office.show(1_743_400_800_000), "2025-03-31 08:00");
/// ```
#[derive(Debug, Clone)]
pub struct OpenHours {
    parts: Vec<WindowPart>,
    zone: TimeZone,
}

/// Why a window cannot be evaluated: its spec or its zone (the rule
/// checks catch both first; this is for a spec given by hand).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WindowError(String);

impl OpenHours {
    /// A window from its spec (`"Mon-Fri 08:00-18:00, Sat 10:00-12:00"`) and
    /// IANA zone.
    pub fn new(spec: &str, zone: &str) -> Result<OpenHours, WindowError> {
        let spec = notify_rules_syntax::window::parse(spec)
            .map_err(|e| WindowError(format!("window spec: {e}")))?;
        OpenHours::from_spec(&spec, zone)
    }

    /// A window from a spec already read.
    pub fn from_spec(spec: &WindowSpec, zone: &str) -> Result<OpenHours, WindowError> {
        let zone =
            TimeZone::get(zone).map_err(|e| WindowError(format!("time zone `{zone}`: {e}")))?;
        Ok(OpenHours {
            parts: spec.parts.clone(),
            zone,
        })
    }

    /// Whether the window is open at `at` (milliseconds since 1970).
    pub fn is_open(&self, at: i64) -> bool {
        let Ok(ts) = Timestamp::from_millisecond(at) else {
            return false;
        };
        let local = ts.to_zoned_datetime(self.zone.clone()).datetime();
        let day = local.weekday().to_monday_zero_offset() as u8;
        let minute = local.hour() as u16 * 60 + local.minute() as u16;
        self.parts.iter().any(|p| covers(p, day, minute))
    }

    /// The first opening after `after` (milliseconds since 1970): the
    /// start of a part, at its wall-clock time in the zone (in a gap of a
    /// daylight-saving change, the time after it). `None` for a window that
    /// never opens.
    pub fn next_open(&self, after: i64) -> Option<i64> {
        let ts = Timestamp::from_millisecond(after).ok()?;
        let today = ts.to_zoned_datetime(self.zone.clone()).date();
        let mut best: Option<i64> = None;
        // A week and a day covers every part's next start.
        for offset in -1..=8i64 {
            let Ok(date) = today.checked_add(Span::new().days(offset)) else {
                continue;
            };
            let day = date.weekday().to_monday_zero_offset() as u8;
            for p in self.parts.iter().filter(|p| on(p, day)) {
                let Some(at) = self.instant(date, p.start) else {
                    continue;
                };
                if at > after && best.is_none_or(|b| at < b) && self.is_open(at) {
                    best = Some(at);
                }
            }
        }
        best
    }

    /// `at` as `YYYY-MM-DD HH:MM` on the window's wall clock.
    pub fn show(&self, at: i64) -> String {
        match Timestamp::from_millisecond(at) {
            Ok(ts) => ts
                .to_zoned_datetime(self.zone.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string(),
            Err(_) => at.to_string(),
        }
    }

    /// The instant of `minute` after midnight on `date` in the zone.
    fn instant(&self, date: Date, minute: u16) -> Option<i64> {
        let time = Time::new((minute / 60).min(23) as i8, (minute % 60) as i8, 0, 0).ok()?;
        let ts = self
            .zone
            .to_ambiguous_timestamp(date.to_datetime(time))
            .compatible()
            .ok()?;
        Some(ts.as_millisecond())
    }
}

fn on(p: &WindowPart, day: u8) -> bool {
    p.days & (1 << day) != 0
}

/// Whether a part covers `minute` after midnight on weekday `day` (0:
/// Monday): a part that ends before it starts runs past midnight and belongs
/// to the day it starts; one that ends as it starts lasts a whole day.
fn covers(p: &WindowPart, day: u8, minute: u16) -> bool {
    if p.end > p.start {
        on(p, day) && minute >= p.start && minute < p.end
    } else {
        (on(p, day) && minute >= p.start) || (on(p, (day + 6) % 7) && minute < p.end)
    }
}

#[cfg(test)]
mod tests;
