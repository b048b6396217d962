use super::*;

/// Milliseconds since 1970 of a UTC time written `2025-03-28T18:00`.
fn utc(text: &str) -> i64 {
    let dt: jiff::civil::DateTime = text.parse().unwrap();
    dt.to_zoned_datetime(TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_millisecond()
}

fn office() -> OpenHours {
    OpenHours::new("Mon-Fri 08:00-18:00", "Europe/Berlin").unwrap()
}

#[test]
fn office_hours_open_at_eight_in_berlin_before_the_change() {
    // Friday 2025-03-21 19:00 CET: closed; Monday 08:00 CET is 07:00 UTC.
    let w = office();
    let friday = utc("2025-03-21T18:00");
    assert!(!w.is_open(friday));
    assert_eq!(w.next_open(friday), Some(utc("2025-03-24T07:00")));
    assert!(w.is_open(utc("2025-03-24T07:00")));
    assert!(!w.is_open(utc("2025-03-24T06:59")));
}

#[test]
fn office_hours_open_at_eight_in_berlin_after_the_spring_change() {
    // Summer time starts on Sunday 2025-03-30: Monday 08:00 is 06:00 UTC.
    let w = office();
    let friday = utc("2025-03-28T18:00");
    assert_eq!(w.next_open(friday), Some(utc("2025-03-31T06:00")));
    assert!(w.is_open(utc("2025-03-31T06:00")));
    assert!(!w.is_open(utc("2025-03-31T05:59")));
    assert_eq!(w.show(utc("2025-03-31T06:00")), "2025-03-31 08:00");
}

#[test]
fn office_hours_open_at_eight_in_berlin_after_the_autumn_change() {
    // Winter time again on Sunday 2025-10-26: Monday 08:00 is 07:00 UTC.
    let w = office();
    let friday = utc("2025-10-24T17:00");
    assert!(!w.is_open(friday));
    assert_eq!(w.next_open(friday), Some(utc("2025-10-27T07:00")));
    // 17:59 CEST on Friday was still open.
    assert!(w.is_open(utc("2025-10-24T15:59")));
}

#[test]
fn closed_over_the_weekend() {
    let w = office();
    for t in ["2025-03-22T10:00", "2025-03-23T12:00", "2025-03-23T22:59"] {
        assert!(!w.is_open(utc(t)), "{t}");
        assert_eq!(w.next_open(utc(t)), Some(utc("2025-03-24T07:00")), "{t}");
    }
}

#[test]
fn a_part_past_midnight_belongs_to_the_day_it_starts() {
    let nights = OpenHours::new("daily 22:00-07:00", "UTC").unwrap();
    assert!(nights.is_open(utc("2025-01-06T23:00")));
    assert!(nights.is_open(utc("2025-01-07T06:59")));
    assert!(!nights.is_open(utc("2025-01-07T07:00")));
    assert!(!nights.is_open(utc("2025-01-07T21:59")));
    assert_eq!(
        nights.next_open(utc("2025-01-07T08:00")),
        Some(utc("2025-01-07T22:00"))
    );

    // Saturday night runs into Sunday, and not into Saturday morning.
    let saturday = OpenHours::new("Sat 22:00-02:00", "UTC").unwrap();
    assert!(saturday.is_open(utc("2025-01-12T01:00")), "Sunday 01:00");
    assert!(!saturday.is_open(utc("2025-01-11T01:00")), "Saturday 01:00");
    assert!(!saturday.is_open(utc("2025-01-12T23:00")), "Sunday 23:00");
    assert_eq!(
        saturday.next_open(utc("2025-01-12T03:00")),
        Some(utc("2025-01-18T22:00"))
    );
}

#[test]
fn an_opening_in_the_spring_gap_is_the_time_after_it() {
    // 02:30 does not exist in Berlin on 2025-03-30: it opens at 03:30 CEST.
    let w = OpenHours::new("daily 02:30-04:00", "Europe/Berlin").unwrap();
    let before = utc("2025-03-29T23:00");
    assert_eq!(w.next_open(before), Some(utc("2025-03-30T01:30")));
    assert!(w.is_open(utc("2025-03-30T01:30")));
}

#[test]
fn several_parts_open_at_the_first_that_comes() {
    let w = OpenHours::new("Mon-Fri 08:00-18:00, Sat 10:00-12:00", "UTC").unwrap();
    let friday_night = utc("2025-01-10T20:00");
    assert_eq!(w.next_open(friday_night), Some(utc("2025-01-11T10:00")));
    assert_eq!(
        w.next_open(utc("2025-01-11T12:00")),
        Some(utc("2025-01-13T08:00"))
    );
}

#[test]
fn a_bad_spec_or_zone_is_an_error_naming_it() {
    let e = OpenHours::new("Mon-Fri 08:00-18:00", "Europe/Berlinn").unwrap_err();
    assert!(e.to_string().contains("Europe/Berlinn"), "{e}");
    let e = OpenHours::new("Mon-Fri 08:00-25:00", "UTC").unwrap_err();
    assert!(e.to_string().contains("25:00"), "{e}");
}
