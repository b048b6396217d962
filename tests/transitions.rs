//! `broken`, `fixed` and `still_failing` through a `Plugin`: which transitions fire
//! for runs that pass, fail, are re-run, cancelled, arrive late or twice, and
//! across a restart with the durable store.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use notify_rules::{rules, Delivery, NotifyError, Plugin, PluginBuilder, RuleSet};

fn transition_rules() -> RuleSet {
    rules! {
        target log;
        on stage "test" broken => send(log, "broken {pipeline.counter}/{stage.counter}");
        on stage "test" fixed => send(log, "fixed {pipeline.counter}/{stage.counter}");
        on stage "test" still_failing => send(log, "still failing {pipeline.counter}/{stage.counter}");
    }
}

struct Harness {
    plugin: Plugin,
    log: Arc<Mutex<Vec<String>>>,
}

impl Harness {
    fn new(configure: impl FnOnce(PluginBuilder) -> PluginBuilder) -> Harness {
        Harness::with_rules(transition_rules(), configure)
    }

    /// Rules that send to `log`.
    fn with_rules(
        rules: RuleSet,
        configure: impl FnOnce(PluginBuilder) -> PluginBuilder,
    ) -> Harness {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        let builder = Plugin::builder(rules).notifier(
            "log",
            move |d: &Delivery| -> Result<(), NotifyError> {
                sink.lock().unwrap().push(d.text().to_owned());
                Ok(())
            },
        );
        Harness {
            plugin: configure(builder).build().unwrap(),
            log,
        }
    }

    /// Sends one notification; returns what it delivered.
    fn run(&self, pipeline: &str, pc: u64, sc: u64, state: &str) -> Vec<String> {
        let result = if matches!(state, "Passed" | "Failed" | "Cancelled") {
            state
        } else {
            "Unknown"
        };
        let body = serde_json::json!({"pipeline": {"name": pipeline, "counter": pc.to_string(), "label": null,
            "group": "g", "build-cause": [], "stage": {"name": "test", "counter": sc.to_string(),
            "approval-type": "success", "approved-by": "changes", "state": state, "result": result,
            "create-time": "2024-05-14T09:22:10.118+0000", "last-transition-time": "", "jobs": []}}});
        let r = self.plugin.handle("stage-status", &body.to_string());
        assert_eq!((r.code, r.body.as_str()), (200, r#"{"status":"success"}"#));
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

fn memory() -> Harness {
    Harness::new(|b| b)
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "notify-rules-transitions-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn pass_fail_fail_rerun_pass_with_a_cancel_between() {
    let h = memory();
    assert_eq!(h.run("api", 1, 1, "Building"), [""; 0]);
    assert_eq!(h.run("api", 1, 1, "Passed"), [""; 0]);
    assert_eq!(h.run("api", 2, 1, "Failed"), ["broken 2/1"]);
    assert_eq!(h.run("api", 3, 1, "Cancelled"), [""; 0]);
    // The cancelled run is skipped: compared with run 2, which failed.
    assert_eq!(h.run("api", 4, 1, "Failing"), [""; 0]);
    assert_eq!(h.run("api", 4, 1, "Failed"), ["still failing 4/1"]);
    // A re-run of the stage in run 4 comes after the run it repeats.
    assert_eq!(h.run("api", 4, 2, "Building"), [""; 0]);
    assert_eq!(h.run("api", 4, 2, "Passed"), ["fixed 4/2"]);
    assert_eq!(h.run("api", 5, 1, "Passed"), [""; 0]);
    assert_eq!(h.run("api", 6, 1, "Failed"), ["broken 6/1"]);
}

#[test]
fn each_stage_has_its_own_history_and_names_ignore_case() {
    let h = memory();
    assert_eq!(h.run("api", 1, 1, "Failed"), ["broken 1/1"]);
    assert_eq!(h.run("web", 1, 1, "Passed"), [""; 0]);
    assert_eq!(h.run("web", 2, 1, "Failed"), ["broken 2/1"]);
    assert_eq!(h.run("API", 2, 1, "Passed"), ["fixed 2/1"]);
}

#[test]
fn a_late_notification_is_compared_with_the_run_before_it_and_overwrites_nothing() {
    let h = memory();
    assert_eq!(h.run("api", 1, 1, "Passed"), [""; 0]);
    assert_eq!(h.run("api", 3, 1, "Failed"), ["broken 3/1"]);
    // Run 2 arrives late: compared with run 1.
    assert_eq!(h.run("api", 2, 1, "Failed"), ["broken 2/1"]);
    // Run 4 is compared with run 3, still the latest.
    assert_eq!(h.run("api", 4, 1, "Passed"), ["fixed 4/1"]);
    // A late pass between two failures is fixed (compared with run 5); the
    // failure after it is compared with run 7, still the latest.
    assert_eq!(h.run("api", 5, 1, "Failed"), ["broken 5/1"]);
    assert_eq!(h.run("api", 7, 1, "Failed"), ["still failing 7/1"]);
    assert_eq!(h.run("api", 6, 1, "Passed"), ["fixed 6/1"]);
    assert_eq!(h.run("api", 8, 1, "Failed"), ["still failing 8/1"]);
}

#[test]
fn a_duplicate_delivers_nothing_and_answers_success() {
    let h = memory();
    assert_eq!(h.run("api", 1, 1, "Failed"), ["broken 1/1"]);
    assert_eq!(h.run("api", 1, 1, "Failed"), [""; 0]);
    assert_eq!(h.run("Api", 1, 1, "Failed"), [""; 0]);
    // A re-run of the stage (another stage counter) is another notification.
    assert_eq!(h.run("api", 1, 2, "Failed"), ["still failing 1/2"]);
}

#[test]
fn the_same_run_in_another_state_is_another_notification() {
    let h = Harness::with_rules(
        rules! { target log; on any => send(log, "{stage.state} {pipeline.counter}/{stage.counter}"); },
        |b| b,
    );
    assert_eq!(h.run("api", 1, 1, "Building"), ["Building 1/1"]);
    assert_eq!(h.run("api", 1, 1, "Building"), [""; 0]);
    // Same counters, another state: not a repeat.
    assert_eq!(h.run("api", 1, 1, "Failed"), ["Failed 1/1"]);
    assert_eq!(h.run("api", 1, 1, "Failed"), [""; 0]);
    assert_eq!(h.run("API", 1, 1, "Building"), [""; 0]);
}

#[test]
fn the_durable_store_keeps_history_across_a_restart() {
    let dir = temp_dir("restart");
    let h = Harness::new(|b| b.state_dir(&dir));
    assert_eq!(h.run("api", 1, 1, "Passed"), [""; 0]);
    assert_eq!(h.run("api", 2, 1, "Failed"), ["broken 2/1"]);
    drop(h);

    let h = Harness::new(|b| b.state_dir(&dir));
    // The forwarder retries a notification from before the restart: a repeat.
    assert_eq!(h.run("api", 2, 1, "Failed"), [""; 0]);
    assert_eq!(h.run("api", 3, 1, "Failed"), ["still failing 3/1"]);
    assert_eq!(h.run("api", 4, 1, "Passed"), ["fixed 4/1"]);
    drop(h);

    // In memory, a restart forgets: the same failure counts as broken.
    let h = memory();
    assert_eq!(h.run("api", 3, 1, "Failed"), ["broken 3/1"]);

    let h = Harness::new(|b| b.history_file(dir.join("history.journal")));
    assert_eq!(h.run("api", 5, 1, "Failed"), ["broken 5/1"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn evaluate_without_history_never_matches_transitions() {
    let body = std::fs::read_to_string(format!(
        "{}/tests/payloads/v4-deploy-failed.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let status = serde_json::from_str(&body).unwrap();
    let rules = rules! { target log; on broken => send(log); on any => send(log, "any"); };
    let texts: Vec<String> = rules
        .evaluate(&status)
        .iter()
        .map(|d| d.text().to_owned())
        .collect();
    assert_eq!(texts, ["any"]);
}
