//! `notify-rules check`, `explain` and `run`, run as the built program, with
//! their exact output on small cases; what `outbox` and `silence` refuse.

use std::process::Command;

use notify_rules_test_kit::temp_dir_with;
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_notify-rules");

const RULES: &str = r#"target ops;
on stage "test" => send(ops, "test {stage.state}");
on broken => send(ops, "{pipeline.name} broke");
on state Failed => send(ops, "{pipeline.name} #{pipeline.counter} failed");
on any => stop;
on any => send(ops, "never");
"#;

const FAILED: &str = r#"{"pipeline":{"name":"shop","counter":"3","group":null,"label":null,"build-cause":[],
  "stage":{"name":"deploy","counter":"1","state":"Failed","result":"Failed","jobs":[]}}}"#;

/// Runs the program on `files` in a fresh directory; its standard output,
/// once it has exited 0 with nothing on standard error.
fn succeeds(files: &[(&str, &str)], command: &str) -> String {
    let (code, out, err) = run(&temp_dir_with(files), command);
    assert_eq!((code, err.as_str()), (0, ""), "{command}: {out}");
    out
}

/// Runs the program with `command`'s words as arguments in `dir` (a fresh
/// directory holding the test's files, so the output names them by their short
/// paths); exit code, standard output, standard error.
fn run(dir: &TempDir, command: &str) -> (i32, String, String) {
    run_args(dir, &command.split_whitespace().collect::<Vec<_>>())
}

/// As [`run`], with the arguments one by one.
fn run_args(dir: &TempDir, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(dir.path())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn check_clean_files() {
    let files = [
        ("a.rules", RULES),
        ("b.rules", "target x;\non any => send(x);\n"),
    ];
    assert_eq!(
        succeeds(&files, "check a.rules b.rules"),
        "a.rules: ok, 5 rules\nb.rules: ok, 1 rule\n"
    );
}

#[test]
fn check_reports_every_error_with_line_column_and_caret() {
    let bad = "target ops;\non stage \"deploy\" state Faild => send(ops);\non state Passed resultt Passed => send(ops);\n";
    let d = temp_dir_with(&[("bad.rules", bad), ("good.rules", RULES)]);
    let (code, out, err) = run(&d, "check bad.rules good.rules missing.rules");
    assert_eq!(code, 1);
    assert_eq!(err, "");
    assert_eq!(
        out,
        "bad.rules:2:25: unknown state `Faild`\n\
         on stage \"deploy\" state Faild => send(ops);\n\
         \x20                       ^^^^^\n\
         help: did you mean `Failed`?\n\
         bad.rules:3:17: unknown clause `resultt`\n\
         on state Passed resultt Passed => send(ops);\n\
         \x20               ^^^^^^^\n\
         help: did you mean `result`?\n\
         bad.rules: 2 errors\n\
         good.rules: ok, 5 rules\n\
         missing.rules: cannot read: No such file or directory (os error 2)\n"
    );
}

#[test]
fn check_needs_a_file() {
    let d = temp_dir_with(&[]);
    let (code, _, err) = run(&d, "check");
    assert_eq!(code, 2);
    assert!(err.contains("<FILES>..."), "{err}");
}

#[test]
fn explain_says_why_each_rule_did_or_did_not_match() {
    let wrapped = format!(r#"{{"type":"stage","data":{FAILED}}}"#);
    let d = temp_dir_with(&[
        ("team.rules", RULES),
        ("failed.json", FAILED),
        ("wrapped.json", &wrapped),
    ]);
    let expected = "rule 1 (line 2): no match: `stage \"test\"` saw stage.name = \"deploy\"\n\
                    rule 2 (line 3): no match: `broken` saw no transition (no history)\n\
                    rule 3 (line 4): matched\n\
                    rule 4 (line 5): matched, and stops later rules\n\
                    rule 5 (line 6): not tried: an earlier rule stopped\n\
                    1 delivery:\n\
                    \x20 ops: shop #3 failed\n";
    for payload in ["failed.json", "wrapped.json"] {
        let (code, out, err) = run(&d, &format!("explain team.rules {payload}"));
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (0, expected, ""),
            "{payload}"
        );
    }
}

#[test]
fn explain_with_no_deliveries_and_with_an_agent_body_and_no_agent_rule() {
    let passed = FAILED.replace("\"Failed\"", "\"Passed\"");
    let agent = r#"{"uuid":"a-1","host_name":"h","agent_config_state":"Enabled","agent_state":"Idle","build_state":"Idle"}"#;
    let rules = "target ops;\non state Failed => send(ops);\n";
    let d = temp_dir_with(&[
        ("r.rules", rules),
        ("passed.json", &passed),
        ("agent.json", agent),
    ]);
    let (code, out, _) = run(&d, "explain r.rules passed.json");
    assert_eq!(
        (code, out.as_str()),
        (
            0,
            "rule 1 (line 2): no match: `state Failed` saw stage.state = Passed\nno deliveries\n"
        )
    );
    // Stage rules are not tried on an agent body: there is no agent rule.
    let (code, out, _) = run(&d, "explain r.rules agent.json");
    assert_eq!((code, out.as_str()), (0, "no deliveries\n"));
}

const AGENT_RULES: &str = r#"target ops, infra;
on agent lost => send(ops, "{agent.host_name} lost contact");
on agent host "build-*" state LostContact => send(infra);
on agent not elastic config Disabled => send(infra, "{agent.host_name} disabled");
on state Failed => send(ops);
"#;

const AGENT_LOST: &str = r#"{"uuid":"0b9e","host_name":"build-agent-07","is_elastic":false,
  "agent_config_state":"Enabled","agent_state":"LostContact","build_state":"Unknown",
  "transition_time":"2024-05-14T10:02:33.871+0000"}"#;

#[test]
fn explain_and_run_evaluate_agent_rules_on_agent_bodies() {
    let wrapped = format!(r#"{{"type":"agent","data":{AGENT_LOST}}}"#);
    let files = [
        ("r.rules", AGENT_RULES),
        ("lost.json", AGENT_LOST),
        ("wrapped.json", wrapped.as_str()),
    ];
    for payload in ["lost.json", "wrapped.json"] {
        // No history in `explain`: `lost` cannot be known.
        assert_eq!(
            succeeds(&files, &format!("explain r.rules {payload}")),
            "rule 1 (line 2): no match: `lost` saw no transition (no history)\n\
             rule 2 (line 3): matched\n\
             rule 3 (line 4): no match: `config Disabled` saw agent.config_state = Enabled\n\
             1 delivery:\n\
             \x20 infra: Agent build-agent-07: LostContact, build Unknown\n",
            "{payload}"
        );
        // `run` goes through a plugin, whose history has not heard of the
        // agent before: lost.
        assert_eq!(
            succeeds(&files, &format!("run r.rules {payload}")),
            "[ops] build-agent-07 lost contact\n[infra] Agent build-agent-07: LostContact, build Unknown\n",
            "{payload}"
        );
    }
    // A stage body tries the stage rule alone, numbered as the file counts.
    let files = [("r.rules", AGENT_RULES), ("failed.json", FAILED)];
    assert_eq!(
        succeeds(&files, "explain r.rules failed.json"),
        "rule 4 (line 5): matched\n1 delivery:\n\x20 ops: shop #3: stage deploy #1 Failed\n"
    );
}

#[test]
fn explain_and_run_refuse_bad_inputs() {
    let d = temp_dir_with(&[
        ("r.rules", RULES),
        ("bad.rules", "target ops;\non state Faild => send(ops);\n"),
        ("bad.json", "{\"pipeline\":"),
    ]);
    let (code, out, err) = run(&d, "explain r.rules bad.json");
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.starts_with("bad.json: invalid "), "{err}");
    assert!(err.contains("line 1"), "{err}");
    let (code, out, err) = run(&d, "run bad.rules nothing.json");
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        "bad.rules:2:10: unknown state `Faild`\non state Faild => send(ops);\n         ^^^^^\nhelp: did you mean `Failed`?\n\
         bad.rules: 1 error\n\
         nothing.json: cannot read: No such file or directory (os error 2)\n"
    );
}

#[test]
fn run_delivers_through_the_console_with_history() {
    // A plugin keeps history: a first failure is `broken`, unlike in `explain`.
    assert_eq!(
        succeeds(
            &[("team.rules", RULES), ("failed.json", FAILED)],
            "run team.rules failed.json"
        ),
        "[ops] shop broke\n[ops] shop #3 failed\n"
    );
}

#[test]
fn run_prints_in_rule_order_across_targets() {
    // Each target is delivered on its own thread; the lines still follow the rules.
    let rules = r#"target ops, releases, audit;
on state Failed => send(ops, "1 ops"), send(audit, "2 audit");
on any => send(releases, "3 releases");
on any => send(audit, "4 audit"), send(ops, "5 ops");
"#;
    let d = temp_dir_with(&[("r.rules", rules), ("failed.json", FAILED)]);
    for _ in 0..5 {
        let (code, out, err) = run(&d, "run r.rules failed.json");
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (
                0,
                "[ops] 1 ops\n[audit] 2 audit\n[releases] 3 releases\n[audit] 4 audit\n[ops] 5 ops\n",
                ""
            )
        );
    }
}

#[test]
fn run_with_no_deliveries_and_link() {
    let passed = FAILED.replace("\"Failed\"", "\"Passed\"");
    let rules = "target ops;\non state Passed => send(ops, \"{pipeline.name}: {link}\");\n";
    let d = temp_dir_with(&[
        ("r.rules", rules),
        ("passed.json", &passed),
        ("failed.json", FAILED),
    ]);
    let (code, out, _) = run(
        &d,
        "run --server-url https://gocd.example.com r.rules failed.json",
    );
    assert_eq!((code, out.as_str()), (0, "no deliveries\n"));
    let (code, out, _) = run(
        &d,
        "run --server-url https://gocd.example.com r.rules passed.json",
    );
    assert_eq!(code, 0);
    assert!(
        out.starts_with("[ops] shop: https://gocd.example.com/go/pipelines/shop/3/deploy/1"),
        "{out}"
    );
    let (code, out, err) = run(&d, "run r.rules passed.json");
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(
        err.starts_with("r.rules: ") && err.contains("{link}"),
        "{err}"
    );
}

#[test]
fn run_and_explain_read_gson_dates_in_the_time_zone_given() {
    const GSON: &str = r#"{"data":{"pipeline":{"name":"shop","counter":"4","build-cause":[],
      "stage":{"name":"deploy","counter":"1","state":"failed","result":"failed",
      "create-time":"Jan 15, 2025, 9:00:00 AM","last-transition-time":"test-last-transition-time",
      "jobs":[{"name":"web","state":"Completed","result":"Failed"}]}}},"type":"stage"}"#;
    let rules = "target ops;\non state Failed => send(ops, \"{pipeline.name} {stage.create_time} {jobs.failed}\");\n";
    let d = temp_dir_with(&[("r.rules", rules), ("gson.json", GSON)]);
    let unreadable = "warning: gson.json: pipeline.stage.last-transition-time: could not read \
        \"test-last-transition-time\" as a date; taken as absent\n";
    // The wrapper's data, so the path is its own.
    let unreadable_wrapped = unreadable.replace(": pipeline.", ": data.pipeline.");
    for (zone, created) in [
        (None, "2025-01-15T09:00:00.000Z"),
        (Some("Europe/Berlin"), "2025-01-15T08:00:00.000Z"),
        (Some("america/new_york"), "2025-01-15T14:00:00.000Z"),
    ] {
        let mut args = vec!["run", "r.rules", "gson.json"];
        args.extend(zone.iter().flat_map(|z| ["--time-zone", *z]));
        let (code, out, err) = run_args(&d, &args);
        assert_eq!(
            (code, out, err),
            (
                0,
                format!("[ops] shop {created} web\n"),
                unreadable_wrapped.clone()
            ),
            "{zone:?}"
        );
    }
    let (code, out, _) = run(&d, "explain r.rules gson.json --time-zone Asia/Tokyo");
    assert_eq!(code, 0);
    assert!(
        out.ends_with("1 delivery:\n  ops: shop 2025-01-15T00:00:00.000Z web\n"),
        "{out}"
    );
    let (code, out, err) = run(&d, "run r.rules gson.json --time-zone Europe/Berln");
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains("`Europe/Berln` is not an IANA time zone; did you mean `Europe/Berlin`?"),
        "{err}"
    );
}

#[test]
fn outbox_and_silence_commands_refuse_a_memory_store_and_unknown_targets() {
    let memory = "[state]\nstore = \"memory\"\n[targets.ops]\nkind = \"console\"\n";
    let sqlite = "[state]\npath = \"s.db\"\n[targets.ops]\nkind = \"console\"\n";
    let dir = temp_dir_with(&[("m.toml", memory), ("s.toml", sqlite)]);
    // A memory store lives inside `serve`: a command would work on an
    // empty one of its own and say it did.
    for command in [
        "outbox list --config m.toml",
        "silence list --config m.toml",
    ] {
        let (code, out, err) = run(&dir, command);
        assert_eq!((code, out.as_str()), (1, ""), "{command}: {err}");
        assert!(
            err.contains("set `[state] store` to sqlite or postgres"),
            "{command}: {err}"
        );
    }
    let add = [
        "silence",
        "add",
        "--config",
        "s.toml",
        "--pipeline",
        "api-*",
        "--for",
        "1h",
        "--comment",
        "x",
    ];
    let (code, out, err) = run_args(&dir, &[&add[..], &["--target", "opz"]].concat());
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert_eq!(
        err,
        "notify-rules: --target `opz` is not a target of s.toml (did you mean `ops`?)\n"
    );
    let (code, out, err) = run_args(&dir, &[&add[..], &["--target", "ops"]].concat());
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    assert_eq!(out, "1\n");
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let config = "[state]\npath = \"s.db\"\n[targets.ops]\nkind = \"console\"\n";
    let dir = temp_dir_with(&[("s.toml", config)]);
    let mut child = Command::new(BIN)
        .args(["silence", "list", "--config", "s.toml"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Closed before the program writes (it opens the store first).
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{err}");
}
