//! `notify-rules serve` run as a service: `/healthz` and `/readyz` (not
//! ready while another program holds the SQLite file's lock), `/metrics`
//! with exact counts after a known sequence of notifications, the summary
//! line at start, `--log-format json` read line by line, and SIGHUP with a
//! broken rule file (the old rules stay) then a good one (the new rules
//! answer).

use std::path::Path;
use std::process::Command;

use notify_rules::server::Secret;
use notify_rules_test_kit::serve::{self, Serving};
use notify_rules_test_kit::{body, post_with, temp_dir_with};

const BIN: &str = env!("CARGO_BIN_EXE_notify-rules");

const RULES: &str = "target ops;\non state Failed => send(ops, \"{pipeline.name} failed\");\n";

fn serve(dir: &Path, extra: &[&str]) -> Command {
    let mut cmd = serve::command(BIN, dir);
    cmd.args(extra).env("RUST_LOG", "info");
    cmd
}

const SUCCESS: &str = r#"{"status":"success"}"#;

#[test]
fn readiness_fails_while_the_state_file_is_locked_and_health_does_not() {
    let config = "[state]\npath = \"state.db\"\n[targets.ops]\nkind = \"console\"\n";
    let dir = temp_dir_with(&[("r.rules", RULES), ("c.toml", config)]);
    let server = Serving::start(serve(dir.path(), &[]));
    assert_eq!(server.get("/healthz"), (200, "ok\n".to_owned()));
    assert_eq!(
        server.get("/readyz"),
        (
            200,
            "ready: 1 rules loaded, the state store answers\n".to_owned()
        )
    );

    // Another program holds the write lock: a notification could not be
    // kept, so the server is not ready, and says why within its wait.
    let other = rusqlite::Connection::open(dir.path().join("state.db")).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let started = std::time::Instant::now();
    let (code, answer) = server.get("/readyz");
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    assert_eq!(code, 503, "{answer}");
    assert!(answer.starts_with("not ready: the state store"), "{answer}");
    assert_eq!(server.get("/healthz").0, 200);

    other.execute_batch("ROLLBACK").unwrap();
    // The check still waiting on the lock ends as soon as it is free.
    let ready = (0..50).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        server.get("/readyz").0 == 200
    });
    assert!(ready, "not ready again after the lock was released");
    let stopped = server.stop();
    assert!(stopped.status.success(), "{}", stopped.log);
    assert!(stopped.log.contains("not ready"), "{}", stopped.log);
}

/// The lines of `/metrics` that start with `name`, sorted (the order of a
/// metric's series is not fixed).
fn lines<'t>(text: &'t str, name: &str) -> Vec<&'t str> {
    let mut lines: Vec<&str> = text.lines().filter(|l| l.starts_with(name)).collect();
    lines.sort_unstable();
    lines
}

fn sorted<const N: usize>(mut lines: [&str; N]) -> [&str; N] {
    lines.sort_unstable();
    lines
}

#[test]
fn metrics_count_notifications_deliveries_and_signatures_exactly() {
    let config =
        "[server]\nsecret_env = \"T_SECRET\"\n[state]\nstore = \"sqlite\"\npath = \"s.db\"\n\
                  [targets.ops]\nkind = \"console\"\n";
    let dir = temp_dir_with(&[("r.rules", RULES), ("c.toml", config)]);
    let mut cmd = serve(dir.path(), &[]);
    cmd.env("T_SECRET", "metrics-s3cret");
    let server = Serving::start(cmd);
    let secret = Secret::new("metrics-s3cret");
    let url = format!("http://{}/stage-status", server.addr);
    let signed = |body: &str| {
        let sig = secret.sign(body.as_bytes());
        post_with(&url, body, &[("x-gocd-signature", &sig)])
    };
    let failed = body("shop", 1, "deploy", 1, "Failed");
    assert_eq!(signed(&failed), (200, SUCCESS.to_owned()));
    // A repeat: answered, nothing delivered again.
    assert_eq!(signed(&failed), (200, SUCCESS.to_owned()));
    assert_eq!(
        signed(&body("shop", 2, "deploy", 1, "Passed")),
        (200, SUCCESS.to_owned())
    );
    assert_eq!(signed("{\"not\": \"gocd\"}").0, 400);
    assert_eq!(post_with(&url, &failed, &[]).0, 401);
    assert_eq!(
        post_with(&url, &failed, &[("x-gocd-signature", "00")]).0,
        401
    );
    assert_eq!(server.get("/nowhere").0, 404);

    let (code, text) = server.get("/metrics");
    assert_eq!(code, 200, "{text}");
    assert_eq!(
        lines(
            &text,
            "notify_rules_notifications_total{kind=\"stage-status\""
        ),
        sorted([
            "notify_rules_notifications_total{kind=\"stage-status\",outcome=\"ok\"} 3",
            "notify_rules_notifications_total{kind=\"stage-status\",outcome=\"failed\"} 0",
            "notify_rules_notifications_total{kind=\"stage-status\",outcome=\"unavailable\"} 0",
            "notify_rules_notifications_total{kind=\"stage-status\",outcome=\"refused\"} 0",
            "notify_rules_notifications_total{kind=\"stage-status\",outcome=\"timeout\"} 0",
        ])
    );
    assert_eq!(
        lines(&text, "notify_rules_notifications_total{kind=\"unknown\""),
        ["notify_rules_notifications_total{kind=\"unknown\",outcome=\"refused\"} 3"]
    );
    assert_eq!(
        lines(&text, "notify_rules_deliveries_total"),
        sorted([
            "notify_rules_deliveries_total{target=\"ops\",outcome=\"sent\"} 1",
            "notify_rules_deliveries_total{target=\"ops\",outcome=\"failed\"} 0",
            "notify_rules_deliveries_total{target=\"ops\",outcome=\"kept\"} 0",
            "notify_rules_deliveries_total{target=\"ops\",outcome=\"suppressed\"} 0",
            "notify_rules_deliveries_total{target=\"ops\",outcome=\"held\"} 0",
            "notify_rules_deliveries_total{target=\"ops\",outcome=\"silenced\"} 0",
        ])
    );
    assert_eq!(
        lines(&text, "notify_rules_signature_failures_total"),
        [
            "notify_rules_signature_failures_total{reason=\"missing\"} 1",
            "notify_rules_signature_failures_total{reason=\"wrong\"} 1",
        ]
    );
    assert_eq!(
        lines(&text, "notify_rules_outbox_waiting"),
        ["notify_rules_outbox_waiting{target=\"\"} 0"]
    );
    assert_eq!(
        lines(&text, "notify_rules_delivery_duration_seconds_count"),
        ["notify_rules_delivery_duration_seconds_count{target=\"ops\"} 1"]
    );
    // Each path and status its own series; unknown paths as `other`.
    let requests = lines(&text, "notify_rules_request_duration_seconds_count");
    for expected in [
        "{path=\"/stage-status\",status=\"200\"} 3",
        "{path=\"/stage-status\",status=\"400\"} 1",
        "{path=\"/stage-status\",status=\"401\"} 2",
        "{path=\"other\",status=\"404\"} 1",
    ] {
        let line = format!("notify_rules_request_duration_seconds_count{expected}");
        assert!(requests.contains(&line.as_str()), "{line}: {requests:?}");
    }
    assert_eq!(
        lines(&text, "notify_rules_rules "),
        ["notify_rules_rules 1"]
    );
    assert!(!text.contains("shop"), "a pipeline name in a label: {text}");
    assert!(!text.contains("metrics-s3cret"));
    let stopped = server.stop();
    assert!(stopped.status.success(), "{}", stopped.log);
}

#[test]
fn json_logs_are_one_object_per_line_with_the_summary_and_no_secret() {
    let config = "[server]\nsecret_env = \"T_SECRET\"\n[state]\nstore = \"memory\"\n\
                  [targets.ops]\nkind = \"webhook\"\nurl_env = \"T_HOOK\"\n";
    let dir = temp_dir_with(&[("r.rules", RULES), ("c.toml", config)]);
    let mut cmd = serve(dir.path(), &["--log-format", "json"]);
    cmd.env("T_SECRET", "json-s3cret")
        .env("T_HOOK", "http://127.0.0.1:9/hook-s3cret");
    let server = Serving::start(cmd);
    assert_eq!(server.get("/healthz").0, 200);
    let stopped = server.stop();
    assert!(stopped.status.success(), "{}", stopped.log);
    assert!(!stopped.log.contains("s3cret"), "{}", stopped.log);
    let events: Vec<serde_json::Value> = stopped
        .log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    for event in &events {
        assert!(event["level"].is_string(), "{event}");
        assert!(event["timestamp"].is_string(), "{event}");
        assert!(event["fields"]["message"].is_string(), "{event}");
    }
    let summary = &events[0]["fields"];
    assert!(
        summary["message"]
            .as_str()
            .unwrap()
            .starts_with("notify-rules "),
        "{summary}"
    );
    assert_eq!(summary["rules"], 1, "{summary}");
    assert_eq!(summary["targets"], "ops (webhook)", "{summary}");
    assert_eq!(summary["state"], "memory", "{summary}");
    assert!(summary["listen"]
        .as_str()
        .unwrap()
        .starts_with("127.0.0.1:"));
    assert_eq!(summary["hash"].as_str().unwrap().len(), 12, "{summary}");
    let messages: Vec<&str> = events
        .iter()
        .filter_map(|e| e["fields"]["message"].as_str())
        .collect();
    assert!(messages.contains(&"listening"), "{messages:?}");
    assert!(messages.contains(&"stopped"), "{messages:?}");
}

#[test]
fn sighup_keeps_the_old_rules_on_an_error_and_takes_good_new_ones() {
    let config = "[state]\npath = \"s.db\"\n[targets.ops]\nkind = \"console\"\n";
    let dir = temp_dir_with(&[("r.rules", RULES), ("c.toml", config)]);
    let mut server = Serving::start(serve(dir.path(), &[]));
    let first = server.log.clone();
    assert!(first.contains("rules=1"), "{first}");

    std::fs::write(
        dir.path().join("r.rules"),
        "target ops;\non state Faild => send(ops, \"{pipeline.name} broke\");\n",
    )
    .unwrap();
    server.signal("HUP");
    let refused = server.log_until("stay");
    assert!(
        refused.contains("r.rules:2:10: unknown state `Faild`"),
        "{refused}"
    );
    assert_eq!(
        server.post("/", body("shop", 1, "deploy", 1, "Failed")),
        (200, SUCCESS.to_owned())
    );

    std::fs::write(
        dir.path().join("r.rules"),
        "target ops;\non state Passed => send(ops, \"{pipeline.name} passed\");\non state Failed => send(ops, \"{pipeline.name} broke\");\n",
    )
    .unwrap();
    // A setting only a restart applies: the reload says so, and goes on.
    std::fs::write(
        dir.path().join("c.toml"),
        format!("{config}[outbox]\nflush_interval = \"5s\"\n"),
    )
    .unwrap();
    server.signal("HUP");
    let reloaded = server.log_until("reloaded");
    assert!(reloaded.contains("rules=2"), "{reloaded}");
    let warned = reloaded
        .lines()
        .find(|l| l.contains("only a restart applies it"))
        .unwrap_or_else(|| panic!("{reloaded}"));
    assert!(warned.contains("[outbox] flush_interval"), "{warned}");
    assert_eq!(
        server.post("/", body("shop", 2, "deploy", 1, "Failed")),
        (200, SUCCESS.to_owned())
    );
    assert_eq!(
        server.post("/", body("shop", 3, "deploy", 1, "Passed")),
        (200, SUCCESS.to_owned())
    );
    assert_eq!(
        server
            .get("/metrics")
            .1
            .lines()
            .find(|l| l.starts_with("notify_rules_reloads_total{reason=\"done\"}")),
        Some("notify_rules_reloads_total{reason=\"done\"} 1")
    );
    let stopped = server.stop();
    assert!(stopped.status.success(), "{}", stopped.log);
    // The console target writes to standard output: the old rules answered
    // the first, the new ones the others.
    assert_eq!(
        stopped.stdout,
        "[ops] shop failed\n[ops] shop broke\n[ops] shop passed\n"
    );
}
