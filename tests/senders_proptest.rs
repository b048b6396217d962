//! Generated bodies in the forms real senders write: Gson's default dates in
//! every JDK's spelling, in a time zone, and state and result values in any
//! ASCII case. Each reads as the instant and the variant meant, and survives
//! serialize-then-parse.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use notify_rules::model::{JobResult, JobState, StageResult, StageState, StageStatus};
use notify_rules::protocol::{Reader, Tz};
use notify_rules_test_kit::gen::{JOB_STATES, RESULTS, STAGE_STATES};
use proptest::prelude::*;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// How each JDK's Gson writes a `Date` in the US locale.
#[derive(Debug, Clone, Copy)]
enum Jdk {
    /// `Dec 13, 2017 4:06:00 PM`
    Eight,
    /// `Aug 28, 2024, 9:30:19 PM`
    Nine,
    /// `Aug 28, 2024, 9:30:19\u{202f}PM`
    Twenty,
    /// The same with a no-break space, as some locales' data has it.
    NoBreak,
}

fn gson(local: NaiveDateTime, jdk: Jdk) -> String {
    let (pm, hour) = local.hour12();
    let (comma, space) = match jdk {
        Jdk::Eight => ("", ' '),
        Jdk::Nine => (",", ' '),
        Jdk::Twenty => (",", '\u{202f}'),
        Jdk::NoBreak => (",", '\u{a0}'),
    };
    format!(
        "{} {}, {}{comma} {hour}:{:02}:{:02}{space}{}",
        MONTHS[local.month0() as usize],
        local.day(),
        local.year(),
        local.minute(),
        local.second(),
        if pm { "PM" } else { "AM" }
    )
}

fn local_time() -> impl Strategy<Value = NaiveDateTime> {
    // 1971 to 2099: the years GoCD servers have run in and will.
    (0i64..4_102_444_800 - 31_536_000).prop_map(|s| {
        DateTime::from_timestamp(s + 31_536_000, 0)
            .unwrap()
            .naive_utc()
    })
}

fn zone() -> impl Strategy<Value = Tz> {
    proptest::sample::select(vec![
        Tz::UTC,
        Tz::Europe__Berlin,
        Tz::America__New_York,
        Tz::Australia__Sydney,
        Tz::Asia__Kolkata,
        Tz::America__Sao_Paulo,
        Tz::Pacific__Chatham,
    ])
}

fn jdk() -> impl Strategy<Value = Jdk> {
    prop_oneof![
        Just(Jdk::Eight),
        Just(Jdk::Nine),
        Just(Jdk::Twenty),
        Just(Jdk::NoBreak)
    ]
}

/// A known value with each letter's case chosen at random.
fn any_case(known: &'static [&'static str]) -> impl Strategy<Value = (String, &'static str)> {
    (
        proptest::sample::select(known),
        proptest::collection::vec(any::<bool>(), 16),
    )
        .prop_map(|(word, upper)| {
            let cased = word
                .chars()
                .zip(upper.iter().cycle())
                .map(|(c, up)| {
                    if *up {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect();
            (cased, word)
        })
}

fn body(created: &str, state: &str, result: &str, job_state: &str, job_result: &str) -> String {
    let stage = serde_json::json!({
        "pipeline": {
            "name": "p", "counter": "3", "build-cause": [],
            "stage": {
                "name": "s", "counter": "1", "state": state, "result": result,
                "create-time": created,
                "jobs": [{"name": "j", "schedule-time": created, "state": job_state, "result": job_result}]
            }
        }
    });
    serde_json::json!({"data": stage, "type": "stage"}).to_string()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn gson_dates_are_the_local_time_in_the_zone(local in local_time(), zone in zone(), jdk in jdk()) {
        let text = gson(local, jdk);
        let read = Reader::new()
            .time_zone(zone)
            .notification(&body(&text, "Passed", "Passed", "Completed", "Passed"))
            .unwrap();
        prop_assert!(read.unreadable.is_empty(), "{text:?}: {:?}", read.unreadable);
        let notify_rules::protocol::Notification::Stage(status) = read.value.notification else {
            panic!("not a stage");
        };
        let got = status.pipeline.stage.create_time.expect("a date");
        prop_assert_eq!(status.pipeline.stage.jobs[0].schedule_time, Some(got));
        match zone.from_local_datetime(&local).earliest() {
            // A time that exists, once or twice: the first instant it names.
            Some(expected) => prop_assert_eq!(got, expected.with_timezone(&Utc), "{:?}", text),
            // One the clocks skipped: an instant within the gap's width of it.
            None => {
                let back = got.with_timezone(&zone).naive_local();
                prop_assert!((back - local).num_minutes().abs() <= 120, "{text:?} -> {got}");
            }
        }
        // Written back in GoCD's pattern, it reads as the same instant in any zone.
        let again: StageStatus = serde_json::from_str(&serde_json::to_string(&status).unwrap()).unwrap();
        prop_assert_eq!(again, status);
    }

    #[test]
    fn values_in_any_case_are_the_variants_meant(
        (state, state_word) in any_case(STAGE_STATES),
        (result, result_word) in any_case(RESULTS),
        (job_state, job_state_word) in any_case(JOB_STATES),
        (job_result, job_result_word) in any_case(RESULTS),
    ) {
        let text = body("2024-05-14T09:22:10.118+0000", &state, &result, &job_state, &job_result);
        let read = Reader::new().notification(&text).unwrap();
        let notify_rules::protocol::Notification::Stage(status) = read.value.notification else {
            panic!("not a stage");
        };
        let stage = &status.pipeline.stage;
        prop_assert_eq!(&stage.state, &StageState::from_wire(state_word));
        prop_assert_eq!(&stage.result, &StageResult::from_wire(result_word));
        prop_assert_eq!(&stage.jobs[0].state, &JobState::from_wire(job_state_word));
        prop_assert_eq!(&stage.jobs[0].result, &JobResult::from_wire(job_result_word));
        prop_assert!(!matches!(stage.state, StageState::Other(_)));
        let wire = serde_json::to_value(&status).unwrap();
        prop_assert_eq!(&wire["pipeline"]["stage"]["state"], state_word);
        prop_assert_eq!(&wire["pipeline"]["stage"]["jobs"][0]["result"], job_result_word);
        let again: StageStatus = serde_json::from_value(wire).unwrap();
        prop_assert_eq!(again, status);
    }
}

#[test]
fn the_generator_writes_what_gson_writes() {
    let t = NaiveDate::from_ymd_opt(2024, 8, 28)
        .unwrap()
        .and_hms_opt(21, 30, 19)
        .unwrap();
    assert_eq!(gson(t, Jdk::Nine), "Aug 28, 2024, 9:30:19 PM");
    assert_eq!(gson(t, Jdk::Twenty), "Aug 28, 2024, 9:30:19\u{202f}PM");
    let t = NaiveDate::from_ymd_opt(2017, 12, 13)
        .unwrap()
        .and_hms_opt(0, 6, 0)
        .unwrap();
    assert_eq!(gson(t, Jdk::Eight), "Dec 13, 2017 12:06:00 AM");
}
