//! Randomized: notifications spread over three replicas of one PostgreSQL
//! database, some posted to two replicas at once, deliver exactly what one
//! process delivers for the same notifications in the same order.

use std::sync::{Arc, Mutex};

use notify_rules::state::State;
use notify_rules::{rules, Delivery, NotifyError, Plugin, RuleSet};
use notify_rules_test_kit::{body, postgres};
use proptest::prelude::*;

fn rules() -> RuleSet {
    rules! {
        target log;
        on any => send(log, "{pipeline.name} {pipeline.counter}/{stage.counter} {stage.state} {transition}");
    }
}

type Log = Arc<Mutex<Vec<String>>>;

fn plugin(state: State, log: &Log) -> Plugin {
    let log = log.clone();
    Plugin::builder(rules())
        .notifier("log", move |d: &Delivery| -> Result<(), NotifyError> {
            log.lock().unwrap().push(d.text().to_owned());
            Ok(())
        })
        .state(state)
        .build()
        .unwrap()
}

/// A notification: pipeline, counter, stage counter, state; the replica it
/// goes to, and whether a second replica gets it at the same time.
type Step = (usize, u64, u64, usize, usize, bool);

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (
            0..2usize,
            1..6u64,
            1..3u64,
            0..4usize,
            0..3usize,
            any::<bool>(),
        ),
        1..25,
    )
}

const STATES: [&str; 4] = ["Passed", "Failed", "Building", "Cancelled"];

#[test]
fn interleavings_over_replicas_deliver_what_one_process_does() {
    let Some(url) = postgres::database("notify_rules_interleave") else {
        return;
    };
    let shared: Log = Arc::default();
    let replicas: Vec<Plugin> = (0..3)
        .map(|_| plugin(State::postgres(url.clone()), &shared))
        .collect();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 12,
        ..ProptestConfig::default()
    });
    let case = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(&steps(), |steps| {
            // Each case its own pipelines, so that cases do not share history.
            let case = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            shared.lock().unwrap().clear();
            let alone: Log = Arc::default();
            let one = plugin(State::memory(), &alone);
            for (p, pc, sc, st, r, twice) in steps {
                let body = body(&format!("c{case}p{p}"), pc, "test", sc, STATES[st]);
                one.handle("stage-status", &body);
                std::thread::scope(|s| {
                    let first = s.spawn(|| replicas[r].handle("stage-status", &body));
                    if twice {
                        replicas[(r + 1) % 3].handle("stage-status", &body);
                    }
                    first.join().unwrap();
                });
            }
            let mut got = shared.lock().unwrap().clone();
            let mut want = alone.lock().unwrap().clone();
            got.sort();
            want.sort();
            prop_assert_eq!(got, want);
            Ok(())
        })
        .unwrap();
}
