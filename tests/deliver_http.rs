//! The webhook and Slack notifiers against a real HTTP server on 127.0.0.1, through
//! a `Plugin`: what the receivers get, what the plugin answers when a receiver is
//! down, slow or failing, and the outbox delivering exactly once when it is back.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify_rules::deliver::{Slack, Webhook};
use notify_rules::plugin::{OutboxPolicy, RetryPolicy};
use notify_rules::state::State;
use notify_rules::{rules, Plugin};
use notify_rules_test_kit::{body, closed_port, messages, payload, temp_dir, Loopback};
use serde_json::Value;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Answer(u16),
    /// Never answer: the client's time-out has to end the request.
    Hold,
}

#[derive(Debug, Clone)]
struct Got {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: String,
    answered: Option<u16>,
}

struct Receiver {
    server: Loopback,
    got: Arc<Mutex<Vec<Got>>>,
    mode: Arc<Mutex<Mode>>,
}

impl Receiver {
    fn start(mode: Mode) -> Receiver {
        Receiver::on(
            TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1"),
            mode,
        )
    }

    fn on(listener: TcpListener, mode: Mode) -> Receiver {
        let port = listener.local_addr().expect("an address").port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let mode = Arc::new(Mutex::new(mode));
        let mut held = Vec::new();
        let server = Loopback::on(listener, {
            let (got, mode) = (got.clone(), mode.clone());
            move |mut req| {
                let mut body = String::new();
                let _ = req.as_reader().read_to_string(&mut body);
                let headers = req
                    .headers()
                    .iter()
                    .map(|h| {
                        (
                            h.field.as_str().as_str().to_ascii_lowercase(),
                            h.value.as_str().to_owned(),
                        )
                    })
                    .collect();
                let mode = *mode.lock().unwrap();
                let answered = match mode {
                    Mode::Answer(code) => Some(code),
                    Mode::Hold => None,
                };
                got.lock().unwrap().push(Got {
                    method: req.method().as_str().to_owned(),
                    path: req.url().to_owned(),
                    headers,
                    body,
                    answered,
                });
                match mode {
                    Mode::Answer(code) => {
                        // An error page quoting a URL, as some proxies do:
                        // it must not reach the plugin's messages as is.
                        let text = if code == 200 {
                            "ok".to_owned()
                        } else {
                            format!("failed, see http://127.0.0.1:{port}/hook/s3cr3t")
                        };
                        let _ = req
                            .respond(tiny_http::Response::from_string(text).with_status_code(code));
                    }
                    Mode::Hold => held.push(req),
                }
            }
        });
        Receiver { server, got, mode }
    }

    fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    /// Requests answered with success: deliveries that went through.
    fn delivered(&self) -> Vec<Got> {
        self.got()
            .into_iter()
            .filter(|g| g.answered == Some(200))
            .collect()
    }
}

fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 2,
        first_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(5),
        max_total: Duration::from_secs(5),
    }
}

const TIMEOUT: Duration = Duration::from_millis(300);

#[test]
fn webhook_and_slack_receive_what_the_rules_say() {
    let hook = Receiver::start(Mode::Answer(200));
    let chat = Receiver::start(Mode::Answer(200));
    let plugin = Plugin::builder(rules! {
        target hook, chat;
        on state Failed => send(hook, "{pipeline.name} #{pipeline.counter} {transition}"),
                           send(chat, "<b>{pipeline.name}</b> & co failed: {link}");
    })
    .notifier(
        "hook",
        Webhook::new(&hook.url("/hook/s3cr3t"))
            .unwrap()
            .header("Authorization", "Bearer t0ken")
            .unwrap()
            .timeout(TIMEOUT),
    )
    .notifier(
        "chat",
        Slack::new(&chat.url("/services/T0/B0/s3cr3t"))
            .unwrap()
            .timeout(TIMEOUT),
    )
    .server_url("https://gocd.example.com/")
    .build()
    .unwrap();

    let r = plugin.handle("stage-status", &payload("v4-deploy-failed.json"));
    assert_eq!((r.code, r.body.as_str()), (200, r#"{"status":"success"}"#));

    let got = hook.got();
    assert_eq!(got.len(), 1, "{got:?}");
    let g = &got[0];
    assert_eq!(
        (g.method.as_str(), g.path.as_str()),
        ("POST", "/hook/s3cr3t")
    );
    assert_eq!(g.headers["content-type"], "application/json");
    assert_eq!(g.headers["authorization"], "Bearer t0ken");
    let v: Value = serde_json::from_str(&g.body).unwrap();
    assert_eq!(v["target"], "hook");
    assert_eq!(v["text"], "deploy-app #42 broken");
    assert_eq!(v["transition"], "broken");
    assert_eq!(
        v["idempotency_key"].as_str().unwrap(),
        g.headers["idempotency-key"]
    );
    assert_eq!(
        g.headers["idempotency-key"],
        "deploy-app/42/deploy/1/Failed/r0a0/hook"
    );
    assert_eq!(v["notification"]["pipeline"]["name"], "deploy-app");
    assert_eq!(v["notification"]["pipeline"]["counter"], "42");
    assert_eq!(v["notification"]["pipeline"]["stage"]["state"], "Failed");

    let got = chat.got();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].path, "/services/T0/B0/s3cr3t");
    assert_eq!(got[0].headers["content-type"], "application/json");
    let v: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(
        v["text"],
        "&lt;b&gt;deploy-app&lt;/b&gt; &amp; co failed: https://gocd.example.com/go/pipelines/deploy-app/42/deploy/1"
    );
    // The attachment in the state's colour (tests/deliver_rich has the rest);
    // the notifier was given no server address, so it has no link.
    assert_eq!(v["attachments"][0]["color"], "#d0021b");
    assert!(v["attachments"][0].get("title_link").is_none(), "{v}");

    // The forwarder retries the same notification: nothing is sent again.
    let r = plugin.handle("stage-status", &payload("v4-deploy-failed.json"));
    assert_eq!(r.body, r#"{"status":"success"}"#);
    assert_eq!((hook.got().len(), chat.got().len()), (1, 1));
}

#[test]
fn down_slow_and_failing_receivers_are_named_others_still_get_theirs_and_the_outbox_delivers_once()
{
    let good = Receiver::start(Mode::Answer(200));
    let failing = Receiver::start(Mode::Answer(500));
    let slow = Receiver::start(Mode::Hold);
    let down_port = closed_port();
    let plugin = Plugin::builder(rules! {
        target good, failing, slow, down;
        on any => send(good), send(failing), send(slow), send(down);
    })
    .notifier(
        "good",
        Webhook::new(&good.url("/")).unwrap().timeout(TIMEOUT),
    )
    .notifier(
        "failing",
        Webhook::new(&failing.url("/hook/s3cr3t"))
            .unwrap()
            .timeout(TIMEOUT),
    )
    .notifier(
        "slow",
        Slack::new(&slow.url("/hook/s3cr3t"))
            .unwrap()
            .timeout(TIMEOUT),
    )
    .notifier(
        "down",
        Webhook::new(&format!("http://127.0.0.1:{}/hook/s3cr3t", down_port.port))
            .unwrap()
            .timeout(TIMEOUT),
    )
    .retry(quick_retry())
    .build()
    .unwrap();

    let r = plugin.handle("stage-status", &body("shop", 7, "deploy", 1, "Failed"));
    assert_eq!(r.code, 200);
    assert!(
        r.body.starts_with(r#"{"status":"failure","messages":["#),
        "{}",
        r.body
    );
    let mut m = messages(&r.body);
    m.sort();
    assert_eq!(m.len(), 3, "{m:?}");
    assert!(
        m[0].starts_with("target `down`: ") && m[0].contains("refused the connection"),
        "{}",
        m[0]
    );
    assert!(
        m[1].starts_with("target `failing`: the receiver answered HTTP 500"),
        "{}",
        m[1]
    );
    assert!(
        m[2].starts_with("target `slow`: no answer within 300ms"),
        "{}",
        m[2]
    );
    for message in &m {
        assert!(!message.contains("s3cr3t"), "a secret leaked: {message}");
        assert!(message.contains("kept in the outbox"), "{message}");
    }
    assert_eq!(good.delivered().len(), 1);
    assert_eq!(failing.got().len(), 2, "retried once");
    assert_eq!(plugin.outbox_len(), 3);

    // Everyone is back.
    failing.set(Mode::Answer(200));
    slow.set(Mode::Answer(200));
    // The receiver comes up on the port that refused.
    let down = Receiver::on(down_port.listen(), Mode::Answer(200));
    let report = plugin.flush_outbox();
    assert_eq!((report.delivered, report.pending), (3, 0), "{report}");
    assert!(
        report.failed.is_empty() && report.given_up.is_empty(),
        "{report}"
    );

    // Nothing is delivered twice: not by another flush, nor by the forwarder's retry.
    assert_eq!(plugin.flush_outbox().delivered, 0);
    let r = plugin.handle("stage-status", &body("shop", 7, "deploy", 1, "Failed"));
    assert_eq!(r.body, r#"{"status":"success"}"#);
    for (name, receiver) in [
        ("good", &good),
        ("failing", &failing),
        ("slow", &slow),
        ("down", &down),
    ] {
        let delivered = receiver.delivered();
        assert_eq!(delivered.len(), 1, "{name}: {delivered:?}");
    }
    // The webhook's retries carry the same key, so a receiver can drop a repeat.
    let keys: Vec<String> = failing
        .got()
        .iter()
        .map(|g| g.headers["idempotency-key"].clone())
        .collect();
    assert_eq!(keys.len(), 3);
    assert!(
        keys.iter()
            .all(|k| *k == "shop/7/deploy/1/Failed/r0a1/failing"),
        "{keys:?}"
    );
}

#[test]
fn a_durable_outbox_keeps_its_wait_across_a_restart_and_delivers_once() {
    let dir = temp_dir();
    let closed = closed_port();
    let port = closed.port;
    let make = || {
        Plugin::builder(rules! { target ops; on state Failed => send(ops, "{pipeline.name} #{pipeline.counter} failed"); })
            .notifier("ops", Webhook::new(&format!("http://127.0.0.1:{port}/gocd")).unwrap().timeout(TIMEOUT))
            .retry(quick_retry())
            .outbox_policy(OutboxPolicy { first_retry_after: Duration::from_secs(3600), ..OutboxPolicy::default() })
            .state(State::sqlite(dir.path().join("state.db")))
            .build()
            .unwrap()
    };
    let plugin = make();
    let r = plugin.handle("stage-status", &body("shop", 1, "deploy", 1, "Failed"));
    assert_eq!(messages(&r.body).len(), 1, "{}", r.body);
    // Not due yet within this process: a request does not retry it.
    let r = plugin.handle("stage-status", &body("shop", 2, "deploy", 1, "Building"));
    assert_eq!(r.body, r#"{"status":"success"}"#);
    assert_eq!(plugin.outbox_len(), 1);
    drop(plugin);

    let receiver = Receiver::on(closed.listen(), Mode::Answer(200));
    let plugin = make();
    assert_eq!(plugin.outbox_len(), 1, "the outbox survived the restart");
    // Its wait survived too: the next request delivers only its own.
    let r = plugin.handle("stage-status", &body("shop", 2, "deploy", 1, "Failed"));
    assert_eq!(r.body, r#"{"status":"success"}"#);
    assert_eq!(plugin.outbox_len(), 1);
    assert_eq!(receiver.delivered().len(), 1);
    // The forwarder's retry of the first is a repeat (the history is in the
    // state directory too); a flush delivers what waited.
    let r = plugin.handle("stage-status", &body("shop", 1, "deploy", 1, "Failed"));
    assert_eq!(r.body, r#"{"status":"success"}"#);
    assert_eq!(plugin.flush_outbox().delivered, 1);
    assert_eq!(plugin.outbox_len(), 0);
    let mut texts: Vec<String> = receiver
        .delivered()
        .iter()
        .map(|g| {
            serde_json::from_str::<Value>(&g.body).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    texts.sort();
    assert_eq!(texts, ["shop #1 failed", "shop #2 failed"]);
    drop(plugin);

    // And after another restart, nothing is sent again.
    let plugin = make();
    assert_eq!(plugin.outbox_len(), 0);
    assert_eq!(plugin.flush_outbox().delivered, 0);
    assert_eq!(receiver.delivered().len(), 2);
}
