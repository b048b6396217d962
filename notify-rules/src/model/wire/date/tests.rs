use super::*;

fn utc(s: &str) -> Option<DateTime<Utc>> {
    parse_date(s, Tz::UTC)
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
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
        let fast = parse_fast(s.as_bytes());
        assert!(fast.is_some(), "{s}");
        assert_eq!(fast, parse_slow(s), "{s}");
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
        "Aug 28, 2024, 9:30:19 PM",
    ] {
        assert_eq!(parse_fast(s.as_bytes()), None, "{s}");
    }
}

#[test]
fn dates_are_cut_to_milliseconds_and_written_back_unchanged() {
    let d = utc("2013-02-11T16:42:19.123456789+0100").unwrap();
    assert_eq!(format_date(&d), "2013-02-11T15:42:19.123+0000");
    assert_eq!(utc(&format_date(&d)), Some(d));
    for d in [
        d,
        DateTime::from_timestamp_millis(-62_135_596_800_000).unwrap(),
        DateTime::<Utc>::MAX_UTC,
    ] {
        assert_eq!(GocdDate(&d).to_string(), d.format(GOCD_DATE).to_string());
    }
    let leap = utc("2016-12-31T23:59:60.5Z").unwrap();
    assert_eq!(format_date(&leap), "2016-12-31T23:59:60.500+0000");
    assert_eq!(utc(&format_date(&leap)), Some(leap));
    assert_eq!(utc("yesterday"), None);
}

#[test]
fn gson_dates_in_every_jdk_form_are_local_time() {
    let berlin = Tz::Europe__Berlin;
    for s in [
        "Aug 28, 2024, 9:30:19 PM",
        "Aug 28, 2024, 9:30:19\u{202f}PM",
        "Aug 28, 2024, 9:30:19\u{a0}PM",
        "Aug 28, 2024 9:30:19 PM",
        "aug 28, 2024, 09:30:19 pm",
    ] {
        assert_eq!(
            parse_date(s, Tz::UTC),
            Some(at("2024-08-28T21:30:19Z")),
            "{s:?}"
        );
        // Summer in Berlin: two hours ahead of UTC.
        assert_eq!(
            parse_date(s, berlin),
            Some(at("2024-08-28T19:30:19Z")),
            "{s:?}"
        );
    }
    assert_eq!(
        parse_date("Dec 13, 2017 4:06:00 PM", berlin),
        Some(at("2017-12-13T15:06:00Z"))
    );
    assert_eq!(
        parse_date("Jan 1, 2025, 12:00:00 AM", Tz::UTC),
        Some(at("2025-01-01T00:00:00Z"))
    );
    assert_eq!(
        parse_date("Jan 1, 2025, 12:00:00 PM", Tz::UTC),
        Some(at("2025-01-01T12:00:00Z"))
    );
    for s in [
        "Aug 32, 2024, 9:30:19 PM",
        "Aug 28, 2024, 13:30:19 PM",
        "Agu 28, 2024, 9:30:19 PM",
    ] {
        assert_eq!(parse_date(s, berlin), None, "{s:?}");
    }
}

#[test]
fn the_hand_read_gson_form_agrees_with_chrono() {
    let chrono = |s: &str| {
        let plain = s.replace(['\u{202f}', '\u{a0}'], " ");
        GSON_DATES
            .iter()
            .find_map(|fmt| NaiveDateTime::parse_from_str(&plain, fmt).ok())
    };
    for s in [
        "Aug 28, 2024, 9:30:19 PM",
        "Aug 28, 2024, 9:30:19\u{202f}PM",
        "Dec 13, 2017 4:06:00 AM",
        "Jan 1, 2025, 12:00:00 AM",
        "Jan 1, 2025, 12:59:59 PM",
        "Feb 29, 2024, 11:00:00 PM",
    ] {
        let fast = parse_gson_fast(s);
        assert!(fast.is_some(), "{s:?}");
        assert_eq!(fast, chrono(s), "{s:?}");
    }
    // Declined by hand, left to chrono: which reads or refuses them.
    for s in [
        "aug 28, 2024, 9:30:19 pm",
        "Aug 28 2024 9:30:19 PM",
        "Feb 30, 2024, 1:00:00 AM",
        "Aug 28, 2024, 13:30:19 PM",
        "Aug 28, 2024, 0:30:19 AM",
        "Aug 28, 2024, 9:30:19PM",
        "Aug 28, 2024, 9:30:19 PM ",
        "Aug 28, 2024, 9:30 PM",
    ] {
        assert_eq!(parse_gson_fast(s), None, "{s:?}");
    }
}

#[test]
fn an_iso_date_without_offset_is_local_and_one_with_an_offset_is_not() {
    let tokyo = Tz::Asia__Tokyo;
    assert_eq!(
        parse_date("2024-05-14T09:22:10.118", tokyo),
        Some(at("2024-05-14T00:22:10.118Z"))
    );
    assert_eq!(
        parse_date("2024-05-14T09:22:10.118Z", tokyo),
        Some(at("2024-05-14T09:22:10.118Z"))
    );
    assert_eq!(
        parse_date("2024-05-14T09:22:10.118-05:00", tokyo),
        Some(at("2024-05-14T14:22:10.118Z"))
    );
}

#[test]
fn daylight_saving_changes_take_the_earlier_instant() {
    let berlin = Tz::Europe__Berlin;
    // 27 October 2024: 03:00 CEST became 02:00 CET, so 2:30 came twice.
    assert_eq!(
        parse_date("Oct 27, 2024, 2:30:00 AM", berlin),
        Some(at("2024-10-27T00:30:00Z"))
    );
    // Either side of the change.
    assert_eq!(
        parse_date("Oct 27, 2024, 1:59:59 AM", berlin),
        Some(at("2024-10-26T23:59:59Z"))
    );
    assert_eq!(
        parse_date("Oct 27, 2024, 3:00:00 AM", berlin),
        Some(at("2024-10-27T02:00:00Z"))
    );
    // 31 March 2024: 02:00 CET became 03:00 CEST, so 2:30 never came; read
    // as CEST it is 00:30 UTC, as CET 01:30 UTC.
    assert_eq!(
        parse_date("Mar 31, 2024, 2:30:00 AM", berlin),
        Some(at("2024-03-31T00:30:00Z"))
    );
    assert_eq!(
        parse_date("Mar 31, 2024, 1:30:00 AM", berlin),
        Some(at("2024-03-31T00:30:00Z"))
    );
    assert_eq!(
        parse_date("Mar 31, 2024, 3:30:00 AM", berlin),
        Some(at("2024-03-31T01:30:00Z"))
    );
}

#[test]
fn local_times_at_the_ends_of_the_calendar_do_not_panic() {
    for zone in [Tz::UTC, Tz::Pacific__Kiritimati, Tz::Etc__GMTPlus12] {
        let _ = parse_date("+262142-12-31T23:59:59", zone);
        let _ = parse_date("9999-12-31T23:59:59.999", zone);
        let _ = parse_date("0000-01-01T00:00:00", zone);
    }
}
