//! A request whose notification the state store cannot keep is answered 503,
//! so that the forwarder sends it again, and nothing is acknowledged that is
//! not stored: the retry, once the store answers, is new and delivered once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use notify_rules::server::{Server, ServerOptions};
use notify_rules::state::State;
use notify_rules::{rules, Plugin};
use notify_rules_test_kit::notifier::counter;
use notify_rules_test_kit::{body, post, temp_dir};

#[test]
fn a_locked_store_is_answered_503_and_the_retry_is_delivered_once() {
    let dir = temp_dir();
    let path = dir.path().join("state.db");
    let sent = Arc::new(AtomicUsize::new(0));
    let plugin = Plugin::builder(rules! { target log; on any => send(log); })
        .notifier("log", counter(&sent))
        .state(State::sqlite(&path))
        .build()
        .unwrap();
    let options = ServerOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerOptions::default()
    };
    let running = Server::spawn(Arc::new(plugin), options).unwrap();
    let url = format!("http://{}/stage-status", running.local_addr());
    let notification = body("shop", 1, "deploy", 1, "Failed");

    // Another program holds the file's write lock for longer than a
    // request waits for it.
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let (code, answer) = post(&url, &notification);
    assert_eq!(code, 503, "{answer}");
    assert!(
        answer.contains("state.db: the file is locked by another program"),
        "{answer}"
    );
    assert!(answer.contains("send the notification again"), "{answer}");
    assert_eq!(sent.load(Ordering::SeqCst), 0);
    other.execute_batch("ROLLBACK").unwrap();
    // After a failure the store is left alone for a moment (200 ms, then
    // longer): the forwarder's retry comes after it.
    std::thread::sleep(Duration::from_millis(300));

    assert_eq!(
        post(&url, &notification),
        (200, r#"{"status":"success"}"#.to_owned())
    );
    assert_eq!(
        post(&url, &notification),
        (200, r#"{"status":"success"}"#.to_owned())
    );
    assert_eq!(sent.load(Ordering::SeqCst), 1);
    running.shutdown().unwrap();
}

#[test]
fn a_delivery_given_up_between_requests_is_counted_failed() {
    use std::time::{Duration, Instant};

    use notify_rules::plugin::RetryPolicy;
    use notify_rules::server::Metrics;
    use notify_rules::{Delivery, NotifyError};

    // Down for the request, then gone for good when the outbox tries again.
    let tries = Arc::new(AtomicUsize::new(0));
    let counted = tries.clone();
    let plugin = Plugin::builder(rules! { target log; on any => send(log); })
        .notifier("log", move |_: &Delivery| -> Result<(), NotifyError> {
            match counted.fetch_add(1, Ordering::SeqCst) {
                0 => Err("connection refused".into()),
                _ => Err(NotifyError::permanent("HTTP 404")),
            }
        })
        .retry(RetryPolicy {
            attempts: 1,
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let plugin = Arc::new(plugin);
    let metrics = Metrics::new();
    let options = ServerOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        outbox_flush_interval: Some(Duration::from_millis(50)),
        metrics: Some(metrics.clone()),
        ..ServerOptions::default()
    };
    let running = Server::spawn(plugin.clone(), options).unwrap();
    let url = format!("http://{}/stage-status", running.local_addr());
    let (code, answer) = post(&url, body("shop", 1, "deploy", 1, "Failed"));
    assert_eq!(code, 502, "{answer}");
    let end = Instant::now() + Duration::from_secs(5);
    while plugin.outbox_len() > 0 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(plugin.outbox_len(), 0, "never given up");
    let text = metrics.render(0);
    for line in [
        r#"notify_rules_deliveries_total{target="log",outcome="kept"} 1"#,
        r#"notify_rules_deliveries_total{target="log",outcome="failed"} 1"#,
    ] {
        assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
    }
    assert_eq!(tries.load(Ordering::SeqCst), 2);
    running.shutdown().unwrap();
}
