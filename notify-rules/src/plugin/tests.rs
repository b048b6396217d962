use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::test_support::{body, recorder, rules, switchable, Log};
use super::*;
use crate::deliver::NotifyError;
use crate::rules::Delivery;

fn quick() -> RetryPolicy {
    RetryPolicy {
        attempts: 2,
        first_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
        max_total: Duration::from_secs(5),
    }
}

/// The plugin of `rules()` with both targets recorded in `log`.
fn recording(log: &Log) -> Plugin {
    Plugin::builder(rules())
        .notifier("ops", recorder(log))
        .notifier("audit", recorder(log))
        .build()
        .unwrap()
}

fn json(r: &PluginResponse) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap()
}

#[test]
fn answers_every_request_name() {
    let log = Log::default();
    let p = recording(&log);
    let r = p.handle("notifications-interested-in", "");
    assert_eq!(
        (r.code, r.body.as_str()),
        (200, r#"{"notifications":["stage-status"]}"#)
    );
    assert_eq!(
        p.handle("go.plugin-settings.get-configuration", "").body,
        "{}"
    );
    assert!(
        json(&p.handle("go.plugin-settings.get-view", ""))["template"]
            .as_str()
            .unwrap()
            .contains("configured")
    );
    assert_eq!(
        p.handle(
            "go.plugin-settings.validate-configuration",
            r#"{"plugin-settings":{}}"#
        )
        .body,
        "[]"
    );
    assert_eq!(
        p.handle("go.plugin-settings.plugin-settings-changed", "{}")
            .body,
        r#"{"status":"success"}"#
    );
    let r = p.handle("stage-statuss", "{}");
    assert_eq!(r.code, 400);
    let v = json(&r);
    assert_eq!(v["status"], "failure");
    assert!(
        v["messages"][0].as_str().unwrap().contains("stage-statuss"),
        "{v}"
    );
}

#[test]
fn a_bad_body_is_a_400_saying_what() {
    let p = recording(&Log::default());
    for (name, bad) in [
        ("stage-status", "{\"pipeline\": 3}"),
        ("stage-status", "not json"),
        ("agent-status", "[]"),
    ] {
        let r = p.handle(name, bad);
        assert_eq!(r.code, 400, "{name} {bad}");
        let v = json(&r);
        assert_eq!(v["status"], "failure");
        assert!(v["messages"][0].as_str().unwrap().contains(name), "{v}");
    }
}

#[test]
fn transitions_reach_the_rules_and_repeats_deliver_nothing() {
    let log = Log::default();
    let p = recording(&log);
    let mut each = Vec::new();
    for (pc, state) in [(1, "Passed"), (2, "Failed"), (2, "Failed"), (3, "Failed")] {
        let r = p.handle("stage-status", &body("api", pc, "test", 1, state));
        assert_eq!(r.body, r#"{"status":"success"}"#);
        // Targets are served in parallel: order within one notification is free.
        let mut got = std::mem::take(&mut *log.lock().unwrap());
        got.sort();
        each.push(got);
    }
    assert_eq!(
        each,
        [
            vec!["ops: api Passed "],
            vec!["audit: broken", "ops: api Failed broken"],
            vec![],
            vec!["ops: api Failed still failing"]
        ]
    );
}

#[test]
fn build_names_every_problem() {
    let e = Plugin::builder(rules())
        .notifier("pager", recorder(&Log::default()))
        .server_url("https://u:p@h")
        .build()
        .unwrap_err();
    let text = e.to_string();
    assert_eq!(e.problems().len(), 3, "{text}");
    for part in [
        "`ops` has no notifier",
        "`audit` has no notifier",
        "bound to `pager`, which no `target` line declares",
        "must not hold a user or password",
    ] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
    assert!(!text.contains("u:p@"));
}

#[test]
fn a_failing_target_is_reported_kept_and_delivered_once_later() {
    let log = Log::default();
    let down = Arc::new(AtomicBool::new(true));
    let audit = switchable(&log, &down);
    let p = Plugin::builder(rules())
        .notifier("ops", recorder(&log))
        .notifier("audit", audit)
        .retry(quick())
        .outbox_policy(OutboxPolicy {
            first_retry_after: Duration::ZERO,
            ..OutboxPolicy::default()
        })
        .build()
        .unwrap();
    let r = p.handle("stage-status", &body("api", 1, "test", 1, "Failed"));
    let v = json(&r);
    assert_eq!((r.code, &v["status"]), (200, &serde_json::json!("failure")));
    let messages = v["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{v}");
    assert!(
        messages[0]
            .as_str()
            .unwrap()
            .starts_with("target `audit`: connection refused"),
        "{v}"
    );
    assert_eq!(*log.lock().unwrap(), ["ops: api Failed broken"]);
    assert_eq!(p.outbox_len(), 1);

    // Still down: the flush fails and keeps it.
    let report = p.flush_outbox();
    assert_eq!(
        (report.delivered, report.failed.len(), report.pending),
        (0, 1, 1),
        "{report}"
    );

    // Back up: the next request delivers it, and nothing delivers it again.
    down.store(false, Ordering::SeqCst);
    let r = p.handle("stage-status", &body("api", 2, "test", 1, "Building"));
    assert_eq!(r.body, r#"{"status":"success"}"#);
    assert_eq!(p.outbox_len(), 0);
    assert_eq!(p.flush_outbox(), FlushReport::default());
    let log = log.lock().unwrap();
    assert_eq!(
        log.iter().filter(|l| l.starts_with("audit")).count(),
        1,
        "{log:?}"
    );
}

#[test]
fn permanent_failures_and_panics_are_reported() {
    let p = Plugin::builder(rules())
        .notifier("ops", |_: &Delivery| -> Result<(), NotifyError> {
            Err(NotifyError::permanent("HTTP 404"))
        })
        .notifier("audit", |_: &Delivery| -> Result<(), NotifyError> {
            panic!("boom")
        })
        .retry(quick())
        .build()
        .unwrap();
    let v = json(&p.handle("stage-status", &body("api", 1, "test", 1, "Failed")));
    let messages: Vec<&str> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 2, "{v}");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`ops`: HTTP 404 (permanent")),
        "{v}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`audit`: the notifier panicked: boom")),
        "{v}"
    );
    // Only the retryable one waits.
    assert_eq!(p.outbox_len(), 1);
}

#[test]
fn plugins_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Plugin>();
}
