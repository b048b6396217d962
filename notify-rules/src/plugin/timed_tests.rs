//! The time forms on a simulated clock, in memory and in a SQLite file:
//! reminders until a fix (across a restart), throttle counts, digests at a
//! window's opening (over a weekend, across a daylight-saving change), and
//! silences that start and expire.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::test_support::{body, recorder, Log};
use super::*;
use crate::model::StageState;
use crate::rules::time::build::{RuleTimeMeta, TimeMeta, WindowMeta};
use crate::rules::{Eval, Meta, Transition};
use crate::state::State;
use crate::time::{NewSilence, SimulatedClock};

static META: Meta = Meta {
    targets: &["ops", "audit", "night"],
    uses_link: false,
    rule_count: 3,
};

static TIME: TimeMeta = TimeMeta {
    windows: &[WindowMeta {
        name: "office",
        parts: &[(0b001_1111, 8 * 60, 18 * 60)],
        zone: "Europe/Berlin",
    }],
    stage: &[
        RuleTimeMeta {
            rule: 0,
            identity: 0x11,
            every: 0,
            during: None,
            reminds: &[(
                "ops",
                4 * 3600,
                "{pipeline.name} still red for {since} (reminder {reminder})",
                true,
            )],
            suppressed: &[],
        },
        RuleTimeMeta {
            rule: 1,
            identity: 0x22,
            every: 3600,
            during: None,
            reminds: &[],
            suppressed: &[(0, "{pipeline.name}/{stage.name} failed ({suppressed} more)")],
        },
        RuleTimeMeta {
            rule: 2,
            identity: 0x33,
            every: 0,
            during: Some(0),
            reminds: &[],
            suppressed: &[],
        },
    ],
    agent: &[],
    counts: (3, 0),
};

/// The rules the compiler would make of
///
/// ```text
/// window office = "Mon-Fri 08:00-18:00" in "Europe/Berlin";
/// on pipeline "api" broken => send(ops, "{pipeline.name} broke"),
///     remind(ops, 4h, "{pipeline.name} still red for {since} (reminder {reminder})");
/// on pipeline "web" state Failed => send(audit, "{pipeline.name}/{stage.name} failed ({suppressed} more)") every 1h;
/// on pipeline "night" state Failed => send(night, "{pipeline.name}/{pipeline.counter} failed") during office;
/// ```
fn timed_rules() -> RuleSet {
    RuleSet::__compiled(&META, |ev: &mut Eval<'_>| {
        let p = &ev.status.pipeline;
        let failed = p.stage.state == StageState::Failed;
        match p.name.as_str() {
            "api" if ev.transition == Some(Transition::Broken) => {
                let text = format!("{} broke", p.name);
                ev.send(0, 0, "ops", text);
                ev.remind(0, 0);
            }
            "web" if failed => {
                let text = format!("{}/{} failed (0 more)", p.name, p.stage.name);
                ev.send(1, 0, "audit", text);
            }
            "night" if failed => {
                let text = format!("{}/{} failed", p.name, p.counter);
                ev.send(2, 0, "night", text);
            }
            _ => {}
        }
    })
    .__with_time(&TIME)
}

/// Milliseconds since 1970 of a UTC time written `2025-01-06T09:00`.
fn utc(text: &str) -> i64 {
    let dt: jiff::civil::DateTime = text.parse().unwrap();
    dt.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_millisecond()
}

type Counted = Arc<Mutex<Vec<(String, Withheld)>>>;

fn plugin(state: &State, clock: &SimulatedClock, log: &Log, counted: &Counted) -> Plugin {
    let counted = counted.clone();
    Plugin::builder(timed_rules())
        .notifier("ops", recorder(log))
        .notifier("audit", recorder(log))
        .notifier("night", recorder(log))
        .clock(clock.clone())
        .state(state.clone())
        .on_withheld(move |t, w| counted.lock().unwrap().push((t.to_owned(), w)))
        .build()
        .unwrap()
}

fn sent(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

/// Each test on a memory store and on a SQLite file.
fn stores() -> Vec<(State, Option<tempfile::TempDir>)> {
    let (dir, path) = super::test_support::temp_file("timed");
    vec![(State::memory(), None), (State::sqlite(path), Some(dir))]
}

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn reminders_come_every_4h_until_the_stage_passes() {
    for (state, _dir) in stores() {
        let (log, counted) = (Log::default(), Counted::default());
        let clock = SimulatedClock::at_ms(utc("2025-01-06T09:00"));
        let p = plugin(&state, &clock, &log, &counted);
        p.handle("stage-status", &body("api", 1, "test", 1, "Failed"));
        assert_eq!(sent(&log), ["ops: api broke"]);
        clock.advance(HOUR * 3);
        assert_eq!(p.send_due(), DueReport::default(), "not due yet");
        clock.advance(HOUR);
        assert_eq!(p.send_due().made, 1);
        assert_eq!(sent(&log), ["ops: api still red for 4h 0m 0s (reminder 1)"]);
        // Still failing: the reminders go on, and no second one starts.
        p.handle("stage-status", &body("api", 2, "test", 1, "Failed"));
        clock.advance(HOUR * 4);
        p.send_due();
        assert_eq!(sent(&log), ["ops: api still red for 8h 0m 0s (reminder 2)"]);
        assert_eq!(p.time_counts().unwrap(), (1, 0));
        // The fix ends them.
        p.handle("stage-status", &body("api", 3, "test", 1, "Passed"));
        assert_eq!(p.time_counts().unwrap(), (0, 0));
        clock.advance(HOUR * 12);
        assert_eq!(p.send_due(), DueReport::default());
        assert!(sent(&log).is_empty(), "{state:?}");
        assert_eq!(p.next_due().unwrap(), None);
    }
}

#[test]
fn reminders_survive_a_restart_and_none_is_sent_twice() {
    let (_dir, path) = super::test_support::temp_file("restart");
    let state = State::sqlite(&path);
    let (log, counted) = (Log::default(), Counted::default());
    let clock = SimulatedClock::at_ms(utc("2025-01-06T09:00"));
    plugin(&state, &clock, &log, &counted)
        .handle("stage-status", &body("api", 1, "test", 1, "Failed"));
    assert_eq!(sent(&log), ["ops: api broke"]);

    clock.advance(HOUR * 4);
    {
        let p = plugin(&state, &clock, &log, &counted);
        assert_eq!(p.send_due().made, 1);
    }
    // Another start at the same time sends nothing again.
    let p = plugin(&state, &clock, &log, &counted);
    assert_eq!(p.send_due(), DueReport::default());
    assert_eq!(sent(&log), ["ops: api still red for 4h 0m 0s (reminder 1)"]);
    clock.advance(HOUR * 4);
    p.send_due();
    assert_eq!(sent(&log), ["ops: api still red for 8h 0m 0s (reminder 2)"]);
    drop(p);

    // The fix comes to a restarted plugin: no more.
    let p = plugin(&state, &clock, &log, &counted);
    p.handle("stage-status", &body("api", 2, "test", 1, "Passed"));
    clock.advance(HOUR * 8);
    assert_eq!(p.send_due(), DueReport::default());
    assert!(sent(&log).is_empty());
}

#[test]
fn a_throttle_drops_and_counts_until_its_time_is_over() {
    for (state, _dir) in stores() {
        let (log, counted) = (Log::default(), Counted::default());
        let clock = SimulatedClock::at_ms(utc("2025-01-06T09:00"));
        let p = plugin(&state, &clock, &log, &counted);
        p.handle("stage-status", &body("web", 1, "test", 1, "Failed"));
        for (n, minutes) in [(2, 10), (3, 20), (4, 30)] {
            clock.advance(Duration::from_secs(600));
            p.handle("stage-status", &body("web", n, "test", 1, "Failed"));
            assert!(minutes < 60);
        }
        // Another stage has a throttle of its own.
        p.handle("stage-status", &body("web", 4, "deploy", 1, "Failed"));
        assert_eq!(
            sent(&log),
            [
                "audit: web/test failed (0 more)",
                "audit: web/deploy failed (0 more)"
            ]
        );
        clock.advance(HOUR);
        p.handle("stage-status", &body("web", 5, "test", 1, "Failed"));
        assert_eq!(sent(&log), ["audit: web/test failed (3 more)"]);
        // The count starts again.
        clock.advance(HOUR);
        p.handle("stage-status", &body("web", 6, "test", 1, "Failed"));
        assert_eq!(sent(&log), ["audit: web/test failed (0 more)"]);
        let suppressed = counted.lock().unwrap().clone();
        assert_eq!(
            suppressed,
            vec![("audit".to_owned(), Withheld::Suppressed); 3]
        );
    }
}

#[test]
fn messages_held_over_the_weekend_go_out_as_one_digest_when_the_window_opens() {
    for (state, _dir) in stores() {
        let (log, counted) = (Log::default(), Counted::default());
        // Friday 2025-03-21 19:00 in Berlin (winter time).
        let clock = SimulatedClock::at_ms(utc("2025-03-21T18:00"));
        let p = plugin(&state, &clock, &log, &counted);
        p.handle("stage-status", &body("night", 1, "build", 1, "Failed"));
        clock.advance(HOUR * 30);
        p.handle("stage-status", &body("night", 2, "build", 1, "Failed"));
        assert!(sent(&log).is_empty());
        assert_eq!(p.time_counts().unwrap(), (0, 2));
        // Monday 07:59 in Berlin: still closed.
        clock.set_ms(utc("2025-03-24T06:59"));
        assert_eq!(p.send_due(), DueReport::default());
        assert_eq!(
            p.next_due().unwrap(),
            Some(crate::time::from_ms(utc("2025-03-24T07:00")))
        );
        clock.set_ms(utc("2025-03-24T07:00"));
        assert_eq!(p.send_due().made, 1);
        assert_eq!(
            sent(&log),
            ["night: 2 messages held outside office since 2025-03-21 19:00\nnight/1 failed\nnight/2 failed"]
        );
        // Open now: sent as usual.
        p.handle("stage-status", &body("night", 3, "build", 1, "Failed"));
        assert_eq!(sent(&log), ["night: night/3 failed"]);
        assert_eq!(p.time_counts().unwrap(), (0, 0));
        let held = counted.lock().unwrap().clone();
        assert_eq!(held, vec![("night".to_owned(), Withheld::Held); 2]);
    }
}

#[test]
fn a_digest_opens_at_eight_in_berlin_across_the_daylight_saving_change() {
    for (state, _dir) in stores() {
        let (log, counted) = (Log::default(), Counted::default());
        // Friday 2025-03-28 19:00 CET; summer time starts on Sunday.
        let clock = SimulatedClock::at_ms(utc("2025-03-28T18:00"));
        let p = plugin(&state, &clock, &log, &counted);
        p.handle("stage-status", &body("night", 7, "build", 1, "Failed"));
        clock.set_ms(utc("2025-03-31T05:59"));
        assert_eq!(p.send_due(), DueReport::default(), "07:59 CEST");
        clock.set_ms(utc("2025-03-31T06:00"));
        assert_eq!(p.send_due().made, 1);
        assert_eq!(
            sent(&log),
            ["night: 1 message held outside office since 2025-03-28 19:00\nnight/7 failed"]
        );
    }
}

#[test]
fn silences_start_and_expire() {
    for (state, _dir) in stores() {
        let (log, counted) = (Log::default(), Counted::default());
        let clock = SimulatedClock::at_ms(utc("2025-01-06T09:00"));
        let p = plugin(&state, &clock, &log, &counted);
        let id = p
            .silences()
            .add(&NewSilence {
                pipeline: "we*".into(),
                stage: Some("test".into()),
                target: None,
                lasts: HOUR * 2,
                comment: "flaky tests".into(),
            })
            .unwrap();
        p.handle("stage-status", &body("web", 1, "test", 1, "Failed"));
        p.handle("stage-status", &body("web", 1, "deploy", 1, "Failed"));
        assert_eq!(sent(&log), ["audit: web/deploy failed (0 more)"]);
        assert_eq!(p.silences().list().unwrap()[0].id, id);
        // Over by its time.
        clock.advance(HOUR * 2);
        assert!(p.silences().list().unwrap().is_empty());
        p.handle("stage-status", &body("web", 2, "test", 1, "Failed"));
        assert_eq!(sent(&log), ["audit: web/test failed (0 more)"]);

        // Ended by hand: a reminder it held is sent again when next due.
        let id = p
            .silences()
            .add(&NewSilence {
                pipeline: "api".into(),
                stage: None,
                target: Some("ops".into()),
                lasts: HOUR * 24,
                comment: "migration".into(),
            })
            .unwrap();
        p.handle("stage-status", &body("api", 1, "test", 1, "Failed"));
        clock.advance(HOUR * 4);
        assert_eq!(p.send_due().made, 0);
        assert!(sent(&log).is_empty());
        assert!(p.silences().expire(id).unwrap());
        assert!(!p.silences().expire(id).unwrap(), "already over");
        clock.advance(HOUR * 4);
        p.send_due();
        assert_eq!(sent(&log), ["ops: api still red for 8h 0m 0s (reminder 2)"]);
        let silenced: Vec<_> = counted
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, w)| *w == Withheld::Silenced)
            .cloned()
            .collect();
        assert_eq!(
            silenced,
            [
                ("audit".to_owned(), Withheld::Silenced),
                ("ops".to_owned(), Withheld::Silenced),
                ("ops".to_owned(), Withheld::Silenced)
            ]
        );
    }
}
