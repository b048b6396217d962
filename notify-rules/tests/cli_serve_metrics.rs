//! `/metrics` of `notify-rules serve` against webhook receivers on loopback
//! that answer 500: what waits in the outbox per target (SQLite), the
//! classic Prometheus format by default and OpenMetrics when asked for, and
//! every failure counted, whether a request, the outbox's flush or the
//! scheduler's reminders met it.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use notify_rules_test_kit::serve::{self, Serving};
use notify_rules_test_kit::{body, temp_dir_with, Flaky};
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_notify-rules");

/// One try per delivery; the state in `s.db`. `flush` is the outbox's
/// flush interval (`0s`: none).
fn config(flush: &str) -> String {
    format!(
        "[retry]\nattempts = 1\n[outbox]\nflush_interval = \"{flush}\"\n[state]\npath = \"s.db\"\n\
         [targets.hook]\nkind = \"webhook\"\nurl_env = \"T_HOOK_URL\"\n"
    )
}

/// The value of the series `series` (its name and labels) in `text`.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

fn deliveries(server: &Serving, target: &str, outcome: &str) -> f64 {
    let (code, text) = server.get("/metrics");
    assert_eq!(code, 200, "{text}");
    let series =
        format!("notify_rules_deliveries_total{{target=\"{target}\",outcome=\"{outcome}\"}}");
    value(&text, &series).unwrap_or_else(|| panic!("no {series} in\n{text}"))
}

/// Waits until `outcome` of `hook` has reached `n` (at most 8 s); its value.
fn wait_for(server: &Serving, outcome: &str, n: f64) -> f64 {
    let end = Instant::now() + Duration::from_secs(8);
    loop {
        let now = deliveries(server, "hook", outcome);
        if now >= n || Instant::now() > end {
            return now;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn outbox_retry(dir: &Path) {
    let out = Command::new(BIN)
        .args(["outbox", "retry", "--all", "--config", "c.toml"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

/// The lines of `text` that start with `start`, sorted.
fn lines<'t>(text: &'t str, start: &str) -> Vec<&'t str> {
    let mut lines: Vec<&str> = text.lines().filter(|l| l.starts_with(start)).collect();
    lines.sort_unstable();
    lines
}

#[test]
fn what_waits_is_shown_per_target_in_either_format() {
    let rules = "target a, b, c;\n\
        on state Failed => send(a), send(b);\n\
        on state Passed => send(a);\n\
        on state Cancelled => send(c);\n";
    let config =
        "[retry]\nattempts = 1\n[outbox]\nflush_interval = \"0s\"\n[state]\npath = \"s.db\"\n\
                  [targets.a]\nkind = \"webhook\"\nurl_env = \"T_A\"\n\
                  [targets.b]\nkind = \"webhook\"\nurl_env = \"T_B\"\n\
                  [targets.c]\nkind = \"console\"\n";
    let dir = temp_dir_with(&[("r.rules", rules), ("c.toml", config)]);
    let receiver = Flaky::down();
    let mut cmd = serve::command(BIN, dir.path());
    cmd.env("T_A", receiver.url()).env("T_B", receiver.url());
    let server = Serving::start(cmd);
    assert_eq!(
        server
            .post("/stage-status", body("shop", 1, "deploy", 1, "Failed"))
            .0,
        502
    );
    assert_eq!(
        server
            .post("/stage-status", body("shop", 2, "deploy", 1, "Passed"))
            .0,
        502
    );

    let (code, content_type, text) = server.get_with("/metrics", &[]);
    assert_eq!(code, 200, "{text}");
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    assert_eq!(
        lines(&text, "notify_rules_outbox_waiting"),
        [
            "notify_rules_outbox_waiting{target=\"\"} 3",
            "notify_rules_outbox_waiting{target=\"a\"} 2",
            "notify_rules_outbox_waiting{target=\"b\"} 1",
            "notify_rules_outbox_waiting{target=\"c\"} 0",
        ]
    );
    for line in [
        "# TYPE notify_rules_outbox_waiting gauge",
        "# TYPE notify_rules_deliveries_total counter",
        "# TYPE notify_rules_notifications_total counter",
        "# TYPE notify_rules_delivery_duration_seconds histogram",
        "notify_rules_deliveries_total{target=\"a\",outcome=\"kept\"} 2",
        "notify_rules_deliveries_total{target=\"b\",outcome=\"kept\"} 1",
    ] {
        assert_eq!(lines(&text, line), [line], "{text}");
    }
    assert!(
        !text.contains("# EOF") && !text.contains("# UNIT"),
        "{text}"
    );

    let prometheus =
        "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let (code, content_type, open) = server.get_with("/metrics", &[("accept", prometheus)]);
    assert_eq!(code, 200, "{open}");
    assert_eq!(
        content_type,
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    assert!(open.ends_with("# EOF\n"), "{open}");
    assert_eq!(
        lines(&open, "# TYPE notify_rules_deliveries"),
        ["# TYPE notify_rules_deliveries counter"]
    );
    assert_eq!(
        lines(&open, "notify_rules_outbox_waiting"),
        lines(&text, "notify_rules_outbox_waiting")
    );

    // Delivered: each count is made again when scraped.
    receiver.set_up(true);
    outbox_retry(dir.path());
    let (code, answer) = server.post("/stage-status", body("shop", 3, "build", 1, "Building"));
    assert_eq!(code, 200, "{answer}");
    let (_, text) = server.get("/metrics");
    assert_eq!(
        lines(&text, "notify_rules_outbox_waiting"),
        [
            "notify_rules_outbox_waiting{target=\"\"} 0",
            "notify_rules_outbox_waiting{target=\"a\"} 0",
            "notify_rules_outbox_waiting{target=\"b\"} 0",
            "notify_rules_outbox_waiting{target=\"c\"} 0",
        ]
    );
    let stopped = server.stop();
    assert!(stopped.status.success(), "{}", stopped.log);
}

/// `serve` of `rules` with [`config`]`(flush)` and its webhook on a
/// receiver that is down, after a first notification (run 1 of
/// `shop/deploy`, failed) whose delivery it kept.
fn down_after_one(rules: &str, flush: &str) -> (TempDir, Flaky, Serving) {
    let dir = temp_dir_with(&[("r.rules", rules), ("c.toml", &config(flush))]);
    let receiver = Flaky::down();
    let server = serve::with_hook(BIN, dir.path(), &receiver.url());
    let (code, answer) = server.post("/stage-status", body("shop", 1, "deploy", 1, "Failed"));
    assert_eq!(code, 502, "{answer}");
    assert_eq!(deliveries(&server, "hook", "kept"), 1.0);
    (dir, receiver, server)
}

const ON_FAILED: &str = "target hook;\non state Failed => send(hook);\n";

#[test]
fn a_waiting_delivery_that_fails_again_in_a_request_is_logged_and_counted_failed() {
    let (dir, receiver, mut server) = down_after_one(ON_FAILED, "0s");
    assert_eq!(deliveries(&server, "hook", "failed"), 0.0);

    // Due now; a notification that sends nothing tries it, and its answer
    // is about itself.
    outbox_retry(dir.path());
    let (code, answer) = server.post("/stage-status", body("shop", 2, "deploy", 1, "Passed"));
    assert_eq!((code, answer.as_str()), (200, r#"{"status":"success"}"#));
    let logged = server.log_until("a waiting delivery failed again");
    let line = logged.lines().last().unwrap();
    assert!(line.contains("target=\"hook\""), "{line}");
    assert!(line.contains("key=\"shop/1/deploy/1/Failed/"), "{line}");
    assert!(line.contains("HTTP 500"), "{line}");
    assert!(
        !line.contains(&receiver.url()),
        "the webhook's address: {line}"
    );
    assert_eq!(deliveries(&server, "hook", "failed"), 1.0);
    assert_eq!(deliveries(&server, "hook", "kept"), 1.0);
    let stopped = server.stop();
    assert!(stopped.status.success(), "{}", stopped.log);
}

#[test]
fn a_waiting_delivery_that_fails_again_in_a_flush_is_counted_failed() {
    let (_dir, _receiver, server) = down_after_one(ON_FAILED, "1s");
    assert!(wait_for(&server, "failed", 1.0) >= 1.0, "no flush counted");
    assert_eq!(deliveries(&server, "hook", "kept"), 1.0);
    let stopped = server.stop();
    assert!(stopped.status.success(), "{}", stopped.log);
}

#[test]
fn reminders_that_fail_are_counted_kept_and_those_sent_sent() {
    let rules = "target hook;\n\
        on stage \"deploy\" broken => send(hook, \"{pipeline.name} broke\"),\n\
            remind(hook, 2s, \"{pipeline.name} still red ({reminder})\");\n";
    let (_dir, receiver, server) = down_after_one(rules, "0s");
    // The first reminder is made by the scheduler, fails and is kept.
    assert_eq!(wait_for(&server, "kept", 2.0), 2.0);
    assert_eq!(deliveries(&server, "hook", "failed"), 0.0);

    receiver.set_up(true);
    assert!(wait_for(&server, "sent", 1.0) >= 1.0, "no reminder sent");
    let texts = receiver.texts();
    assert!(
        texts.iter().any(|t| t.starts_with("shop still red")),
        "{texts:?}"
    );
    let stopped = server.stop();
    assert!(stopped.status.success(), "{}", stopped.log);
}
