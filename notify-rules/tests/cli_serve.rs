//! `notify-rules serve` as the built program: it refuses to start on a bad rule
//! file or a missing environment variable, saying exactly what and where; and
//! it serves, then stops cleanly on SIGTERM.

use std::path::Path;
use std::process::Command;

use notify_rules_test_kit::serve::{self, Serving, Stopped};
use notify_rules_test_kit::{payload, temp_dir_with};

const BIN: &str = env!("CARGO_BIN_EXE_notify-rules");

fn serve(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("serve")
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG");
    cmd
}

const CONSOLE: &str = "[targets.ops]\nkind = \"console\"\n";

/// Serves `r.rules` with `c.toml` from `dir` on a free port, logging at info;
/// posts each `(path, body)`, each answered success; stops the server with
/// SIGTERM, which it must end on cleanly.
fn serve_posts_and_stop(dir: &Path, posts: &[(&str, String)]) -> Stopped {
    let mut cmd = serve::command(BIN, dir);
    cmd.env("RUST_LOG", "info");
    let server = Serving::start(cmd);
    for (path, body) in posts {
        assert_eq!(
            server.post(path, body),
            (200, r#"{"status":"success"}"#.to_owned()),
            "{path} {body}"
        );
    }
    let stopped = server.stop();
    assert!(
        stopped.status.success(),
        "{:?}: {}",
        stopped.status,
        stopped.log
    );
    stopped
}

#[test]
fn a_rule_file_with_errors_stops_the_start_with_every_line_and_column() {
    let rules =
        "target ops;\non stage \"deploy\" state Faild => send(ops);\non any => sendd(ops);\n";
    let d = temp_dir_with(&[("team.rules", rules), ("c.toml", CONSOLE)]);
    let out = serve(
        d.path(),
        &[
            "--rules",
            "team.rules",
            "--config",
            "c.toml",
            "--listen",
            "127.0.0.1:0",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with(
            "team.rules:2:25: unknown state `Faild`\n\
             on stage \"deploy\" state Faild => send(ops);\n\
             \x20                       ^^^^^\n\
             help: did you mean `Failed`?\n\
             team.rules:3:11: "
        ),
        "{err}"
    );
    assert!(
        err.ends_with("team.rules: 2 errors\nnotify-rules: not starting\n"),
        "{err}"
    );
}

#[test]
fn a_missing_environment_variable_stops_the_start_naming_it_and_its_target() {
    let config = "[server]\nsecret_env = \"NR_TEST_UNSET_SECRET\"\n\n[targets.ops]\nkind = \"slack\"\nurl_env = \"NR_TEST_UNSET_SLACK_URL\"\n";
    let d = temp_dir_with(&[
        ("r.rules", "target ops;\non any => send(ops);\n"),
        ("c.toml", config),
    ]);
    let out = serve(d.path(), &["--rules", "r.rules", "--config", "c.toml"])
        .env_remove("NR_TEST_UNSET_SECRET")
        .env_remove("NR_TEST_UNSET_SLACK_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "c.toml: [server]: environment variable NR_TEST_UNSET_SECRET (secret_env) is not set\n\
         c.toml: target `ops`: environment variable NR_TEST_UNSET_SLACK_URL (url_env) is not set\n\
         notify-rules: not starting\n"
    );
}

#[test]
fn a_bad_config_and_bad_rules_are_both_reported() {
    let d = temp_dir_with(&[
        ("r.rules", "target ops;\non state Faild => send(ops);\n"),
        ("c.toml", "[targets.ops]\nkind = \"consol\"\n"),
    ]);
    let out = serve(d.path(), &["--rules", "r.rules", "--config", "c.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("r.rules:2:10: unknown state `Faild`\n"),
        "{err}"
    );
    assert!(
        err.contains("c.toml: line 2, column 8: unknown variant `consol`"),
        "{err}"
    );
    assert!(err.ends_with("notify-rules: not starting\n"), "{err}");
}

#[test]
fn serves_then_stops_on_sigterm() {
    let rules = "target ops;\non state Failed => send(ops, \"{pipeline.name} failed\");\n";
    let d = temp_dir_with(&[("r.rules", rules), ("c.toml", CONSOLE)]);
    let body = r#"{"pipeline":{"name":"shop","counter":"3","build-cause":[],
      "stage":{"name":"deploy","counter":"1","state":"Failed","result":"Failed","jobs":[]}}}"#;
    let Stopped {
        stdout: out, log, ..
    } = serve_posts_and_stop(d.path(), &[("/stage-status", body.to_owned())]);
    assert_eq!(out, "[ops] shop failed\n");
    assert!(log.contains("SIGTERM: shutting down"), "{log}");
    assert!(log.contains("stopped"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "no colours in a log that is not a terminal: {log}"
    );
}

#[test]
fn an_unknown_time_zone_stops_the_start_with_the_zone_meant() {
    let config = format!("[gocd]\ntime_zone = \"Europe/Berln\"\n\n{CONSOLE}");
    let d = temp_dir_with(&[
        ("r.rules", "target ops;\non any => send(ops);\n"),
        ("c.toml", &config),
    ]);
    let out = serve(d.path(), &["--rules", "r.rules", "--config", "c.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "c.toml: [gocd] time_zone `Europe/Berln` is not an IANA time zone; did you mean `Europe/Berlin`?\n\
         notify-rules: not starting\n"
    );
}

/// What real forwarders post, in their own shapes: getsentry's wrapper with
/// Gson's dates in the server's zone, its empty agent events, and a body with
/// a date no one can read; each answered 2xx, and delivered where it should.
#[test]
fn serves_what_real_forwarders_send() {
    let rules = "target ops;\n\
        on state Failed => send(ops, \"{pipeline.name} failed, created {stage.create_time}: {jobs.failed}\");\n";
    let config = format!("[gocd]\ntime_zone = \"Europe/Berlin\"\n\n{CONSOLE}");
    let d = temp_dir_with(&[("r.rules", rules), ("c.toml", &config)]);
    let posts = [
        ("/", "own-wrapped-gson-jdk9-failed.json"),
        ("/stage-status", "own-unreadable-date-failed.json"),
        ("/", "own-wrapped-agent-empty.json"),
        ("/agent-status", "own-wrapped-agent-empty.json"),
        ("/agent-status", "own-agent-nested-lowercase.json"),
    ]
    .map(|(path, name)| (path, payload(name)));
    let Stopped {
        stdout: out, log, ..
    } = serve_posts_and_stop(d.path(), &posts);
    assert_eq!(
        out,
        "[ops] billing-api failed, created 2025-03-30T00:59:30.000Z: ledger-replay\n\
         [ops] storefront failed, created 2025-01-20T16:00:00.000Z: rollout\n"
    );
    let warned: Vec<&str> = log.lines().filter(|l| l.contains(" WARN ")).collect();
    assert!(
        warned.iter().any(|l| l.contains(
            "path=\"pipeline.stage.last-transition-time\" value=\"test-last-transition-time\""
        )),
        "{log}"
    );
    assert!(
        warned
            .iter()
            .any(|l| l.contains("path=\"pipeline.stage.jobs[0].complete-time\"")),
        "{log}"
    );
    // Two empty agent events, explained once.
    let explained = log
        .lines()
        .filter(|l| {
            l.contains(" INFO ") && l.contains("the getsentry forwarder drops GoCD's agent fields")
        })
        .count();
    assert_eq!(explained, 1, "{log}");
}
