//! Reminders and digests with several replicas on one PostgreSQL database:
//! replicas sharing a (simulated) clock tick at the same moments, on
//! threads of their own, and each reminder and each digest is sent once.

use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use notify_rules::state::State;
use notify_rules::time::SimulatedClock;
use notify_rules::{Delivery, NotifyError, Plugin, RuleSet};
use notify_rules_test_kit::{body, postgres};

const RULES: &str = r#"target ops, night;
window office = "Mon-Fri 08:00-18:00" in "Europe/Berlin";
on pipeline "api-*" broken => send(ops, "{pipeline.name} broke"),
    remind(ops, 1h, "{pipeline.name} still red ({reminder})");
on pipeline "night-*" state Failed => send(night, "{pipeline.name} failed") during office;
"#;

type Log = Arc<Mutex<Vec<String>>>;

fn replica(url: &str, clock: &SimulatedClock, log: &Log) -> Plugin {
    let mut builder = Plugin::builder(RuleSet::parse(RULES).unwrap())
        .clock(clock.clone())
        .state(State::postgres(url));
    for target in ["ops", "night"] {
        let log = log.clone();
        builder = builder.notifier(target, move |d: &Delivery| -> Result<(), NotifyError> {
            log.lock()
                .unwrap()
                .push(format!("{}: {}", d.target(), d.text()));
            Ok(())
        });
    }
    builder.build().unwrap()
}

#[test]
fn each_reminder_and_digest_is_sent_once_by_one_of_the_replicas() {
    let Some(url) = postgres::database("notify_rules_time_replicas") else {
        return;
    };
    // Friday 2025-01-10 19:00 in Berlin: the office window is closed.
    let clock = SimulatedClock::at(UNIX_EPOCH + Duration::from_secs(1_736_532_000));
    let log: Log = Arc::default();
    let replicas: Vec<Plugin> = (0..3).map(|_| replica(&url, &clock, &log)).collect();
    const STAGES: u64 = 12;
    for n in 0..STAGES {
        let r = &replicas[n as usize % 3];
        r.handle(
            "stage-status",
            &body(&format!("api-{n}"), 1, "test", 1, "Failed"),
        );
        r.handle(
            "stage-status",
            &body(&format!("night-{n}"), 1, "build", 1, "Failed"),
        );
    }
    assert_eq!(
        log.lock().unwrap().len() as u64,
        STAGES,
        "the night ones are held"
    );
    log.lock().unwrap().clear();

    // Three reminders each, the replicas ticking at once every hour; then
    // Monday 08:00 in Berlin, when the digest is due.
    let tick_all = || {
        std::thread::scope(|s| {
            for r in &replicas {
                s.spawn(move || {
                    let report = r.send_due();
                    assert!(report.problems.is_empty(), "{report:?}");
                });
            }
        });
    };
    for _ in 0..3 {
        clock.advance(Duration::from_secs(3600));
        tick_all();
        tick_all();
    }
    // 2025-01-13 07:00 UTC.
    clock.set(UNIX_EPOCH + Duration::from_secs(1_736_751_600));
    tick_all();
    tick_all();

    let mut sent = log.lock().unwrap().clone();
    sent.sort();
    let mut expected: Vec<String> = (0..STAGES)
        .flat_map(|n| (1..=3).map(move |k| format!("ops: api-{n} still red ({k})")))
        .collect();
    // The reminders missed over the weekend are not made up: one more,
    // from the time the clock jumped to.
    expected.extend((0..STAGES).map(|n| format!("ops: api-{n} still red (4)")));
    let mut digest = format!("night: {STAGES} messages held outside office since 2025-01-10 19:00");
    for n in 0..STAGES {
        digest.push_str(&format!("\nnight-{n} failed"));
    }
    expected.push(digest);
    expected.sort();
    assert_eq!(sent, expected);
}
