//! Retry and outbox policies at the edges of what a `Duration` holds: a
//! configuration saying "wait for ever" must never panic the plugin.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use notify_rules::plugin::{OutboxPolicy, RetryPolicy};
use notify_rules::{rules, Delivery, Plugin};
use notify_rules_test_kit::notifier::flaky;
use notify_rules_test_kit::{closed_port, Loopback};

const FAILED: &str = r#"{"pipeline":{"name":"shop","counter":"3","group":"web","build-cause":[],
    "stage":{"name":"deploy","counter":"1","state":"Failed","result":"Failed","jobs":[]}}}"#;

#[test]
fn a_retry_policy_without_end_retries_without_panicking() {
    let tries = Arc::new(AtomicUsize::new(0));
    let plugin = Plugin::builder(rules! {
        target ops;
        on state Failed => send(ops, "failed");
    })
    .notifier("ops", flaky(1, &tries))
    .retry(RetryPolicy {
        attempts: 2,
        first_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
        max_total: Duration::MAX,
    })
    .build()
    .unwrap();
    let answer = plugin.handle("stage-status", FAILED);
    assert_eq!(answer.body, r#"{"status":"success"}"#);
    assert_eq!(tries.load(Ordering::SeqCst), 2);
}

#[test]
fn endless_backoffs_and_outbox_waits_do_not_panic() {
    let (ops, audit) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let plugin = Plugin::builder(rules! {
        target ops, audit;
        on state Failed => send(ops, "failed");
        on state Failed => send(audit, "failed");
    })
    .notifier("ops", flaky(usize::MAX, &ops))
    .notifier("audit", flaky(usize::MAX, &audit))
    .retry(RetryPolicy {
        attempts: u32::MAX,
        first_backoff: Duration::MAX,
        max_backoff: Duration::MAX,
        max_total: Duration::MAX,
    })
    .outbox_policy(OutboxPolicy {
        first_retry_after: Duration::MAX,
        max_retry_after: Duration::MAX,
        max_age: Duration::MAX,
        capacity: usize::MAX,
        lease: Duration::MAX,
    })
    .build()
    .unwrap();
    // A wait past any deadline is not waited: each target is tried once.
    let answer = plugin.handle("stage-status", FAILED);
    assert!(
        answer.body.contains("target `ops`: down"),
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("target `audit`: down"),
        "{}",
        answer.body
    );
    assert_eq!(plugin.outbox_len(), 2);
    // Not due for ever; a flush tries them anyway.
    plugin.handle("stage-status", FAILED);
    let report = plugin.flush_outbox();
    assert_eq!(report.pending, 2, "{report}");
    assert_eq!(ops.load(Ordering::SeqCst), 2);
    assert_eq!(audit.load(Ordering::SeqCst), 2);
}

#[test]
fn a_webhook_without_time_limit_still_posts() {
    let receiver = Loopback::start(|req| {
        let _ = req.respond(tiny_http::Response::empty(204));
    });
    let hook = notify_rules::deliver::Webhook::new(&receiver.url("/hook"))
        .unwrap()
        .timeout(Duration::MAX);
    let status = serde_json::from_str(FAILED).unwrap();
    let d = Delivery::new("ops", "failed", Arc::new(status));
    use notify_rules::Notifier;
    hook.send(&d).expect("the receiver answers 204");
}

#[test]
fn an_email_without_time_limit_fails_without_panicking() {
    // Bound but not listening: the connection is refused at once.
    let closed = closed_port();
    let email = notify_rules::deliver::Email::builder("127.0.0.1")
        .port(closed.port)
        .security(notify_rules::deliver::Security::Plain)
        .from("gocd@example.org")
        .to("ops@example.org")
        .timeout(Duration::MAX)
        .build()
        .unwrap();
    let status = serde_json::from_str(FAILED).unwrap();
    let d = Delivery::new("ops", "failed", Arc::new(status));
    use notify_rules::Notifier;
    let e = email.send(&d).unwrap_err();
    assert!(!e.is_permanent(), "{e}");
}
