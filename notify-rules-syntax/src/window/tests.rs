use super::*;

fn part(days: u8, start: u16, end: u16) -> WindowPart {
    WindowPart { days, start, end }
}

#[test]
fn days_ranges_and_daily() {
    let spec = parse("daily 22:00-07:00").unwrap();
    assert_eq!(spec.parts, [part(0x7f, 22 * 60, 7 * 60)]);
    let spec = parse(" sun 00:00-24:00 ,Fri-Mon 20:30-06:15").unwrap();
    assert_eq!(
        spec.parts,
        [
            part(1 << 6, 0, 1440),
            part(0b111_0001, 20 * 60 + 30, 6 * 60 + 15)
        ]
    );
    assert_eq!(spec.to_string(), "Sun 00:00-24:00, Fri-Mon 20:30-06:15");
    assert_eq!(parse(&spec.to_string()).unwrap(), spec);
}

#[test]
fn days_that_are_no_range_write_one_part_each() {
    let spec = WindowSpec {
        parts: vec![part(0b101, 60, 120)],
    };
    assert_eq!(spec.to_string(), "Mon 01:00-02:00, Wed 01:00-02:00");
}

#[test]
fn errors_name_the_part_and_its_place() {
    let cases = [
        (
            "Mon-Fry 08:00-18:00",
            "`Fry` is not a day",
            "Fry",
            Some("did you mean `Fri`?"),
        ),
        (
            "Mon-Fri 8:00-18:00",
            "`8:00` is not a time of day",
            "8:00",
            None,
        ),
        (
            "Mon 08:00-24:01",
            "`24:01` is not a time of day",
            "24:01",
            None,
        ),
        (
            "Mon 24:00-08:00",
            "`24:00` is not a time of day",
            "24:00",
            None,
        ),
        (
            "Mon 08:00",
            "`08:00` is not a range of times",
            "08:00",
            None,
        ),
        (
            "Mon",
            "`Mon` has no times: a part is `DAYS HH:MM-HH:MM`",
            "Mon",
            None,
        ),
        (
            "Mon 08:00-08:00",
            "`08:00-08:00` opens and closes at the same time",
            "08:00-08:00",
            None,
        ),
        ("Mon 08:00-09:00, ", "empty part in the window", "", None),
    ];
    for (spec, message, part, help) in cases {
        let e = parse(spec).unwrap_err();
        assert_eq!(e.message, message, "{spec}");
        assert_eq!(&spec[e.start..e.end], part, "{spec}");
        if let Some(help) = help {
            assert_eq!(e.help, help);
        }
    }
}

#[test]
fn zones_come_from_the_bundled_database() {
    assert_eq!(zone("UTC").unwrap(), "UTC");
    assert_eq!(zone("America/New_York").unwrap(), "America/New_York");
    let (_, help) = zone("Amerika/New_York").unwrap_err();
    assert_eq!(help, "did you mean `America/New_York`?");
    let (message, help) = zone("Mars/Olympus").unwrap_err();
    assert_eq!(message, "unknown time zone `Mars/Olympus`");
    assert!(help.contains("IANA"));
}
