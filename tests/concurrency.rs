//! Many threads through one `Plugin` with the durable store: no panic, history
//! consistent, every delivery made exactly once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use notify_rules::state::State;
use notify_rules::{rules, Delivery, NotifyError, Plugin};
use notify_rules_test_kit::{body, temp_dir};

const THREADS: u64 = 8;
const PER_THREAD: u64 = 500;
/// Every fifth notification of each thread is one all threads send.
const SHARED_EVERY: u64 = 5;

/// The state of run `pc` of a thread's own pipeline: runs of three failures and
/// three passes.
fn own_state(pc: u64) -> &'static str {
    if (pc / 3) % 2 == 0 {
        "Failed"
    } else {
        "Passed"
    }
}

/// The transition each own run makes, computed from the same sequence.
fn expected_transition(pc: u64) -> &'static str {
    let previous = (pc > 1).then(|| own_state(pc - 1));
    match (own_state(pc), previous) {
        ("Failed", None | Some("Passed")) => "broken",
        ("Failed", Some(_)) => "still failing",
        ("Passed", Some("Failed")) => "fixed",
        _ => "",
    }
}

#[test]
fn eight_threads_times_five_hundred_notifications_through_one_plugin() {
    let dir = temp_dir();
    let counts: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let sink = counts.clone();
    let plugin = Plugin::builder(rules! {
        target count;
        on any => send(count, "{pipeline.name}/{pipeline.counter}/{stage.state}/{transition}");
    })
    .notifier("count", move |d: &Delivery| -> Result<(), NotifyError> {
        *sink.lock().unwrap().entry(d.text().to_owned()).or_default() += 1;
        Ok(())
    })
    .state(State::sqlite(dir.path().join("state.db")))
    .build()
    .unwrap();

    std::thread::scope(|s| {
        for t in 0..THREADS {
            let plugin = &plugin;
            s.spawn(move || {
                let mut own = 0;
                for i in 0..PER_THREAD {
                    let body = if i % SHARED_EVERY == SHARED_EVERY - 1 {
                        let pc = i / SHARED_EVERY + 1;
                        let state = if pc % 2 == 0 { "Passed" } else { "Failed" };
                        body("shared", pc, "test", 1, state)
                    } else {
                        own += 1;
                        body(&format!("p{t}"), own, "test", 1, own_state(own))
                    };
                    let r = plugin.handle("stage-status", &body);
                    assert_eq!((r.code, r.body.as_str()), (200, r#"{"status":"success"}"#));
                }
            });
        }
    });

    let counts = counts.lock().unwrap();
    let shared_runs = PER_THREAD / SHARED_EVERY;
    let own_runs = PER_THREAD - shared_runs;
    assert_eq!(
        counts.len() as u64,
        THREADS * own_runs + shared_runs,
        "one delivery per distinct notification"
    );
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        repeated.is_empty(),
        "delivered more than once: {repeated:?}"
    );
    for t in 0..THREADS {
        for pc in 1..=own_runs {
            let text = format!("p{t}/{pc}/{}/{}", own_state(pc), expected_transition(pc));
            assert_eq!(counts.get(&text), Some(&1), "{text} missing");
        }
    }
    for pc in 1..=shared_runs {
        let state = if pc % 2 == 0 { "Passed" } else { "Failed" };
        let prefix = format!("shared/{pc}/{state}/");
        assert_eq!(
            counts.keys().filter(|k| k.starts_with(&prefix)).count(),
            1,
            "{prefix}"
        );
    }
    drop(plugin);

    // The file holds the same history: the next run of each pipeline makes
    // the transition that follows its last one.
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = seen.clone();
    let plugin = Plugin::builder(rules! {
        target count;
        on any => send(count, "{pipeline.name}/{pipeline.counter}/{stage.state}/{transition}");
    })
    .notifier("count", move |d: &Delivery| -> Result<(), NotifyError> {
        sink.lock().unwrap().push(d.text().to_owned());
        Ok(())
    })
    .state(State::sqlite(dir.path().join("state.db")))
    .build()
    .unwrap();
    let next = own_runs + 1;
    for t in 0..THREADS {
        plugin.handle(
            "stage-status",
            &body(&format!("p{t}"), next, "test", 1, own_state(next)),
        );
        // A repeat of one handled before the restart delivers nothing.
        plugin.handle(
            "stage-status",
            &body(&format!("p{t}"), 1, "test", 1, own_state(1)),
        );
    }
    let expected: Vec<String> = (0..THREADS)
        .map(|t| {
            format!(
                "p{t}/{next}/{}/{}",
                own_state(next),
                expected_transition(next)
            )
        })
        .collect();
    assert_eq!(*seen.lock().unwrap(), expected);
}
