//! `notify-rules test RULES CASES`: cases that pass, and cases that fail with
//! the exact report (each failing case by name, expected and actual
//! deliveries side by side, exit 1); history across a case's notifications
//! (`broken`, `fixed`, repeats) and none between cases.

use std::path::Path;
use std::process::{Command, Output};

use notify_rules_test_kit::{body, temp_dir_with};

const BIN: &str = env!("CARGO_BIN_EXE_notify-rules");

const RULES: &str = "target ops, audit;\n\
    on stage \"test\" broken => send(ops, \"{pipeline.name} #{pipeline.counter} broke\");\n\
    on stage \"test\" fixed => send(ops, \"{pipeline.name} is green again\");\n\
    on state Failed => send(audit, \"{pipeline.name}/{stage.name} {stage.state}\");\n";

fn test(dir: &Path) -> Output {
    Command::new(BIN)
        .args(["test", "r.rules", "cases/c.toml"])
        .current_dir(dir)
        .output()
        .unwrap()
}

fn files(cases: &str) -> tempfile::TempDir {
    let failed1 = body("api", 1, "test", 1, "Failed");
    let failed2 = body("api", 2, "test", 1, "Failed");
    let passed3 = body("api", 3, "test", 1, "Passed");
    temp_dir_with(&[
        ("r.rules", RULES),
        ("cases/c.toml", cases),
        ("cases/failed1.json", &failed1),
        ("cases/failed2.json", &failed2),
        ("cases/passed3.json", &passed3),
    ])
}

const PASSING: &str = r#"
[[case]]
name = "a first failure is broken"
notifications = ["failed1.json"]
[[case.expect]]
target = "ops"
text = "api #1 broke"
[[case.expect]]
target = "audit"
text = "api/test Failed"

[[case]]
name = "a second failure is not broken again, a repeat delivers nothing, a pass is fixed"
notifications = ["failed1.json", "failed2.json", "failed2.json", "passed3.json"]
[[case.expect]]
target = "ops"
text = "api #1 broke"
[[case.expect]]
target = "audit"
text = "api/test Failed"
[[case.expect]]
target = "audit"
text = "api/test Failed"
[[case.expect]]
target = "ops"
text = "api is green again"

[[case]]
name = "history does not carry over from another case: a pass alone is no fix"
notifications = ["passed3.json"]
"#;

#[test]
fn passing_cases_say_ok_each_and_exit_0() {
    let dir = files(PASSING);
    let out = test(dir.path());
    assert_eq!(String::from_utf8(out.stderr).unwrap(), "");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "ok: a first failure is broken\n\
         ok: a second failure is not broken again, a repeat delivers nothing, a pass is fixed\n\
         ok: history does not carry over from another case: a pass alone is no fix\n\
         3 cases: 3 passed, 0 failed\n"
    );
    assert_eq!(out.status.code(), Some(0));
}

const FAILING: &str = r#"
[[case]]
name = "passes"
notifications = ["passed3.json"]

[[case]]
name = "wrong text and a delivery missing"
notifications = ["failed1.json", "failed2.json"]
[[case.expect]]
target = "ops"
text = "api #1 is broken"
[[case.expect]]
target = "audit"
text = "api/test Failed"

[[case]]
name = "expects nothing"
notifications = ["failed2.json"]
"#;

#[test]
fn failing_cases_are_named_with_expected_and_actual_side_by_side_and_exit_1() {
    let dir = files(FAILING);
    let out = test(dir.path());
    assert_eq!(String::from_utf8(out.stderr).unwrap(), "");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "ok: passes\n\
         FAIL: wrong text and a delivery missing\n\
         \x20   expected               | actual\n\
         \x20 ! ops: api #1 is broken  | ops: api #1 broke\n\
         \x20   audit: api/test Failed | audit: api/test Failed\n\
         \x20 ! (nothing)              | audit: api/test Failed\n\
         FAIL: expects nothing\n\
         \x20   expected  | actual\n\
         \x20 ! (nothing) | ops: api #2 broke\n\
         \x20 ! (nothing) | audit: api/test Failed\n\
         3 cases: 1 passed, 2 failed\n"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_bad_case_file_or_a_missing_notification_is_an_error_with_its_place() {
    let dir = files("[[case]]\nname = \"x\"\nnotifications = [\"failed1.json\"]\nexpected = []\n");
    let out = test(dir.path());
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("cases/c.toml: TOML parse error at line 4, column 1"),
        "{err}"
    );
    assert!(err.contains("unknown field `expected`"), "{err}");

    let dir = files("[[case]]\nname = \"x\"\nnotifications = [\"nowhere.json\"]\n");
    let out = test(dir.path());
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("cases/nowhere.json: cannot read:"), "{err}");

    // `at` needs the simulated clock of `steps`.
    let dir = files("[[case]]\nname = \"at nine\"\nnotifications = [\"failed1.json\"]\n[[case.expect]]\ntarget = \"ops\"\ntext = \"x\"\nat = \"2025-01-06T09:00:00Z\"\n");
    let out = test(dir.path());
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("case `at nine`: the expectation for `ops` has `at`, which needs `steps`"),
        "{err}"
    );
}
