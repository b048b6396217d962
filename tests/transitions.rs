//! `broken`, `fixed` and `still_failing` through a `Plugin`: which transitions fire
//! for runs that pass, fail, are re-run, cancelled, arrive late or twice, and
//! across a restart with the durable store.

use notify_rules::state::State;
use notify_rules::{rules, Plugin, PluginBuilder, RuleSet};
use notify_rules_test_kit::notifier::{take, text_recorder, Log};
use notify_rules_test_kit::{payload, temp_dir, StageBody};

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
    log: Log,
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
        let log = Log::default();
        let builder = Plugin::builder(rules).notifier("log", text_recorder(&log));
        Harness {
            plugin: configure(builder).build().unwrap(),
            log,
        }
    }

    /// Sends one notification; returns what it delivered.
    fn run(&self, pipeline: &str, pc: u64, sc: u64, state: &str) -> Vec<String> {
        let body = StageBody::new(pipeline, pc)
            .stage("test", sc)
            .state(state)
            .last_transition_time("");
        let r = self.plugin.handle("stage-status", &body.to_string());
        assert_eq!((r.code, r.body.as_str()), (200, r#"{"status":"success"}"#));
        take(&self.log)
    }
}

fn memory() -> Harness {
    Harness::new(|b| b)
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
    let dir = temp_dir();
    let h = Harness::new(|b| b.state(State::sqlite(dir.path().join("state.db"))));
    assert_eq!(h.run("api", 1, 1, "Passed"), [""; 0]);
    assert_eq!(h.run("api", 2, 1, "Failed"), ["broken 2/1"]);
    drop(h);

    let h = Harness::new(|b| b.state(State::sqlite(dir.path().join("state.db"))));
    // The forwarder retries a notification from before the restart: a repeat.
    assert_eq!(h.run("api", 2, 1, "Failed"), [""; 0]);
    assert_eq!(h.run("api", 3, 1, "Failed"), ["still failing 3/1"]);
    assert_eq!(h.run("api", 4, 1, "Passed"), ["fixed 4/1"]);
    drop(h);

    // In memory, a restart forgets: the same failure counts as broken.
    let h = memory();
    assert_eq!(h.run("api", 3, 1, "Failed"), ["broken 3/1"]);

    // Another file is another history.
    let h = Harness::new(|b| b.state(State::sqlite(dir.path().join("other.db"))));
    assert_eq!(h.run("api", 5, 1, "Failed"), ["broken 5/1"]);
}

#[test]
fn evaluate_without_history_never_matches_transitions() {
    let status = serde_json::from_str(&payload("v4-deploy-failed.json")).unwrap();
    let rules = rules! { target log; on broken => send(log); on any => send(log, "any"); };
    let texts: Vec<String> = rules
        .evaluate(&status)
        .iter()
        .map(|d| d.text().to_owned())
        .collect();
    assert_eq!(texts, ["any"]);
}
