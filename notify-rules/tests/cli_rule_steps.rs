//! `notify-rules test` with `steps`: a simulated clock that a case moves,
//! reminders and digests sent at their own times on the way, each delivery
//! with its `at`; the report of a case whose times are wrong; steps that
//! cannot be run.

use std::path::Path;
use std::process::{Command, Output};

use notify_rules_test_kit::{body, temp_dir_with};

const BIN: &str = env!("CARGO_BIN_EXE_notify-rules");

const RULES: &str = r#"target ops, audit, night;
window office = "Mon-Fri 08:00-18:00" in "Europe/Berlin";
on pipeline "api" broken => send(ops, "{pipeline.name} broke"),
    remind(ops, 4h, "{pipeline.name} still red for {since} ({reminder})");
on pipeline "web" state Failed => send(audit, "{pipeline.name} failed ({suppressed} more)") every 1h;
on pipeline "night" state Failed => send(night, "{pipeline.name} #{pipeline.counter} failed") during office;
on agent state LostContact => send(ops, "{agent.host_name} lost ({suppressed} more)") every 1h;
"#;

fn test(dir: &Path) -> Output {
    Command::new(BIN)
        .args(["test", "r.rules", "cases.toml"])
        .current_dir(dir)
        .output()
        .unwrap()
}

fn files(cases: &str) -> tempfile::TempDir {
    let bodies: Vec<(String, String)> = [
        ("api", 1, "Failed"),
        ("api", 2, "Passed"),
        ("web", 1, "Failed"),
        ("web", 2, "Failed"),
        ("web", 3, "Failed"),
        ("web", 4, "Failed"),
        ("night", 1, "Failed"),
        ("night", 2, "Failed"),
    ]
    .iter()
    .map(|(p, n, state)| (format!("{p}{n}.json"), body(p, *n, "test", 1, state)))
    .collect();
    // An agent that keeps losing contact: each a new notification.
    let agents: Vec<(String, String)> = (1..=3)
        .map(|n| {
            let body = format!(
                r#"{{"uuid":"0b9e","host_name":"agent-7","agent_state":"LostContact",
                "build_state":"Unknown","agent_config_state":"Enabled",
                "transition_time":"2025-01-06T09:0{n}:00.000+0000"}}"#
            );
            (format!("agent{n}.json"), body)
        })
        .collect();
    let mut all: Vec<(&str, &str)> = vec![("r.rules", RULES), ("cases.toml", cases)];
    all.extend(
        bodies
            .iter()
            .chain(&agents)
            .map(|(n, b)| (n.as_str(), b.as_str())),
    );
    temp_dir_with(&all)
}

const CASES: &str = r#"
[[case]]
name = "reminders every 4h until the fix"
steps = [
    { at = "2025-01-06T09:00:00Z", notification = "api1.json" },
    { at = "2025-01-06T17:30:00Z" },
    { at = "2025-01-06T18:00:00Z", notification = "api2.json" },
    { at = "2025-01-07T09:00:00Z" },
]
[[case.expect]]
target = "ops"
text = "api broke"
at = "2025-01-06T09:00:00Z"
[[case.expect]]
target = "ops"
text = "api still red for 4h 0m 0s (1)"
at = "2025-01-06T13:00:00Z"
[[case.expect]]
target = "ops"
text = "api still red for 8h 0m 0s (2)"
at = "2025-01-06T17:00:00Z"

[[case]]
name = "at most one an hour, with the count of those dropped"
steps = [
    { at = "2025-01-06T09:00:00Z", notification = "web1.json" },
    { at = "2025-01-06T09:10:00Z", notification = "web2.json" },
    { at = "2025-01-06T09:20:00Z", notification = "web3.json" },
    { at = "2025-01-06T11:00:00+01:00", notification = "web4.json" },
]
[[case.expect]]
target = "audit"
text = "web failed (0 more)"
[[case.expect]]
target = "audit"
text = "web failed (2 more)"
at = "2025-01-06T10:00:00Z"

[[case]]
name = "held over the weekend, one digest on Monday at 08:00 in Berlin"
steps = [
    { at = "2025-01-10T18:30:00Z", notification = "night1.json" },
    { at = "2025-01-11T12:00:00Z", notification = "night2.json" },
    { at = "2025-01-13T12:00:00Z" },
]
[[case.expect]]
target = "night"
text = "2 messages held outside office since 2025-01-10 19:30\nnight #1 failed\nnight #2 failed"
at = "2025-01-13T07:00:00Z"

[[case]]
name = "an agent lost at most once an hour"
steps = [
    { at = "2025-01-06T09:00:00Z", notification = "agent1.json" },
    { at = "2025-01-06T09:20:00Z", notification = "agent2.json" },
    { at = "2025-01-06T10:05:00Z", notification = "agent3.json" },
]
[[case.expect]]
target = "ops"
text = "agent-7 lost (0 more)"
at = "2025-01-06T09:00:00Z"
[[case.expect]]
target = "ops"
text = "agent-7 lost (1 more)"
at = "2025-01-06T10:05:00Z"
"#;

#[test]
fn reminders_throttles_and_digests_are_tested_on_a_simulated_clock() {
    let dir = files(CASES);
    let out = test(dir.path());
    assert_eq!(String::from_utf8(out.stderr).unwrap(), "");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "ok: reminders every 4h until the fix\n\
         ok: at most one an hour, with the count of those dropped\n\
         ok: held over the weekend, one digest on Monday at 08:00 in Berlin\n\
         ok: an agent lost at most once an hour\n\
         4 cases: 4 passed, 0 failed\n"
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_delivery_at_another_time_fails_its_case_showing_both_times() {
    let dir = files(
        r#"
[[case]]
name = "the reminder is expected an hour early"
steps = [
    { at = "2025-01-06T09:00:00Z", notification = "api1.json" },
    { at = "2025-01-06T13:30:00Z" },
]
[[case.expect]]
target = "ops"
text = "api broke"
[[case.expect]]
target = "ops"
text = "api still red for 4h 0m 0s (1)"
at = "2025-01-06T12:00:00Z"
"#,
    );
    let out = test(dir.path());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "FAIL: the reminder is expected an hour early\n\
         \x20   expected                                                      | actual\n\
         \x20   ops: api broke                                                | ops: api broke (at 2025-01-06T09:00:00Z)\n\
         \x20 ! ops: api still red for 4h 0m 0s (1) (at 2025-01-06T12:00:00Z) | ops: api still red for 4h 0m 0s (1) (at 2025-01-06T13:00:00Z)\n\
         1 case: 0 passed, 1 failed\n"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn steps_that_cannot_run_are_errors_with_their_place() {
    for (cases, expected) in [
        (
            "[[case]]\nname = \"back\"\nsteps = [{ at = \"2025-01-06T09:00:00Z\" }, { at = \"2025-01-06T08:00:00Z\" }]\n",
            "cases.toml: case `back`: step 2: `at = \"2025-01-06T08:00:00Z\"` is before the step above it",
        ),
        (
            "[[case]]\nname = \"when\"\nsteps = [{ at = \"Monday\" }]\n",
            "cases.toml: case `when`: step 1: `at = \"Monday\"` is not a time like \"2025-01-06T09:00:00Z\"",
        ),
        (
            "[[case]]\nname = \"both\"\nnotifications = [\"api1.json\"]\nsteps = [{ at = \"2025-01-06T09:00:00Z\" }]\n",
            "cases.toml: case `both`: has both `notifications` and `steps`",
        ),
        (
            "[[case]]\nname = \"no time\"\nsteps = [{ notification = \"api1.json\" }]\n",
            "missing field `at`",
        ),
    ] {
        let dir = files(cases);
        let out = test(dir.path());
        assert_eq!(out.status.code(), Some(1), "{cases}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(expected), "{err}");
    }
}
