//! The HTTP server end to end: a real server on an ephemeral loopback port,
//! a real HTTP client, every sample payload raw and wrapped, signatures in both
//! header styles, and every kind of bad request.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify_rules::server::{Running, Secret, Server, ServerOptions};
use notify_rules::{Delivery, NotifyError, Plugin, RuleSet};
use notify_rules_test_kit::notifier::{failing, recorder, sorted, Log};
use notify_rules_test_kit::payload;
use serde_json::Value;

const RULES: &str = r#"
target ops, audit, broken;
on state Failed => send(ops, "{pipeline.name}/{stage.name} failed");
on any => send(audit, "{pipeline.name} {stage.name} {stage.state}");
on pipeline "fail-me" => send(broken);
"#;

const SUCCESS: &str = r#"{"status":"success"}"#;

struct Harness {
    running: Running,
    log: Log,
    agent: ureq::Agent,
}

fn options() -> ServerOptions {
    ServerOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerOptions::default()
    }
}

fn start(options: ServerOptions) -> Harness {
    let log = Log::default();
    let plugin = Plugin::builder(RuleSet::parse(RULES).unwrap())
        .notifier("ops", recorder(&log))
        .notifier("audit", recorder(&log))
        .notifier("broken", failing(NotifyError::permanent("receiver down")))
        .build()
        .unwrap();
    let running = Server::spawn(Arc::new(plugin), options).unwrap();
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into();
    Harness {
        running,
        log,
        agent,
    }
}

impl Harness {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.running.local_addr())
    }

    fn post(&self, path: &str, body: impl AsRef<[u8]>, headers: &[(&str, &str)]) -> (u16, String) {
        let mut req = self
            .agent
            .post(self.url(path))
            .header("content-type", "application/json");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let mut resp = req.send(body.as_ref()).unwrap();
        let status = resp.status().as_u16();
        let body = resp.body_mut().read_to_string().unwrap();
        (status, body)
    }

    fn deliveries(&self) -> Vec<String> {
        sorted(&self.log)
    }
}

/// Every sample body, with its name and its kind (`stage` or `agent`).
fn payloads() -> Vec<(String, String, &'static str)> {
    let out: Vec<_> = notify_rules_test_kit::payloads()
        .into_iter()
        .map(|(name, body)| {
            let v: Value = serde_json::from_str(&body).unwrap();
            let inner = v.get("data").unwrap_or(&v);
            let kind = if inner.get("pipeline").is_some() {
                "stage"
            } else {
                "agent"
            };
            (name, body, kind)
        })
        .collect();
    assert!(out.len() >= 7, "the sample payloads are missing: {out:?}");
    out
}

fn wrap(kind: &str, body: &str) -> String {
    let data: Value = serde_json::from_str(body).unwrap();
    serde_json::json!({ "type": kind, "data": data }).to_string()
}

fn is_wrapped(body: &str) -> bool {
    serde_json::from_str::<Value>(body)
        .unwrap()
        .get("data")
        .is_some()
}

#[test]
fn every_payload_raw_and_wrapped_on_every_path_it_fits() {
    for (name, body, kind) in payloads() {
        // One server per form, so the plugin's repeat detection does not hide
        // the second form's deliveries.
        let raw_root = start(options());
        let (code, answer) = raw_root.post("/", &body, &[]);
        assert_eq!((code, answer.as_str()), (200, SUCCESS), "{name} on /");

        let by_path = start(options());
        let (code, answer) = by_path.post(&format!("/{kind}-status"), &body, &[]);
        assert_eq!(
            (code, answer.as_str()),
            (200, SUCCESS),
            "{name} on /{kind}-status"
        );
        assert_eq!(
            by_path.deliveries(),
            raw_root.deliveries(),
            "{name}: / and /{kind}-status differ"
        );

        if !is_wrapped(&body) {
            let wrapped = start(options());
            let (code, answer) = wrapped.post("/", wrap(kind, &body), &[]);
            assert_eq!(
                (code, answer.as_str()),
                (200, SUCCESS),
                "{name} wrapped on /"
            );
            assert_eq!(
                wrapped.deliveries(),
                raw_root.deliveries(),
                "{name}: raw and wrapped differ"
            );
        }
        if kind == "agent" {
            assert_eq!(
                raw_root.deliveries(),
                Vec::<String>::new(),
                "{name}: agents make no deliveries"
            );
        }
    }
}

#[test]
fn deliveries_are_the_rules_and_a_repeat_makes_none() {
    let h = start(options());
    let body = payload("v4-deploy-failed.json");
    assert_eq!(h.post("/", &body, &[]), (200, SUCCESS.to_owned()));
    assert_eq!(
        h.deliveries(),
        [
            "audit: deploy-app deploy Failed",
            "ops: deploy-app/deploy failed"
        ]
    );
    // A forwarder's retry: answered success, delivered nothing again.
    assert_eq!(
        h.post("/stage-status", wrap("stage", &body), &[]),
        (200, SUCCESS.to_owned())
    );
    assert_eq!(h.deliveries().len(), 2);
}

#[test]
fn a_failed_delivery_answers_502_with_the_plugin_body() {
    let h = start(options());
    let body = payload("v4-deploy-failed.json");
    let body = body.replacen("\"deploy-app\"", "\"fail-me\"", 1);
    let (code, answer) = h.post("/", &body, &[]);
    assert_eq!(code, 502, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["status"], "failure");
    let messages = answer["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{answer}");
    let message = messages[0].as_str().unwrap();
    assert!(
        message.contains("broken") && message.contains("receiver down"),
        "{message}"
    );
    // The other targets still got theirs.
    assert_eq!(
        h.deliveries(),
        ["audit: fail-me deploy Failed", "ops: fail-me/deploy failed"]
    );
}

#[test]
fn interested_in_lists_stage_status() {
    let h = start(options());
    let (code, answer) = h.post("/notifications-interested-in", "", &[]);
    assert_eq!(code, 200);
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert!(
        answer["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "stage-status"),
        "{answer}"
    );
}

fn signed() -> (Harness, Secret) {
    let secret = Secret::new("s3cret-for-tests");
    (
        start(ServerOptions {
            secret: Some(secret.clone()),
            ..options()
        }),
        secret,
    )
}

#[test]
fn signatures_in_both_header_styles_are_accepted() {
    let (h, secret) = signed();
    let body = payload("v4-test-scheduled.json");
    let sig = secret.sign(body.as_bytes());
    assert_eq!(
        h.post("/", &body, &[("x-gocd-signature", &sig)]),
        (200, SUCCESS.to_owned())
    );
    let body = payload("v4-deploy-failed.json");
    let hub = format!("sha256={}", secret.sign(body.as_bytes()));
    assert_eq!(
        h.post("/stage-status", &body, &[("X-Hub-Signature", &hub)]),
        (200, SUCCESS.to_owned())
    );
    assert_eq!(h.deliveries().len(), 3);
    let empty = secret.sign(b"");
    assert_eq!(
        h.post(
            "/notifications-interested-in",
            "",
            &[("x-gocd-signature", &empty)]
        )
        .0,
        200
    );
}

#[test]
fn unsigned_and_wrongly_signed_requests_get_401_and_deliver_nothing() {
    let (h, secret) = signed();
    let body = payload("v4-deploy-failed.json");
    let other = secret.sign(b"another body");
    let wrong_key = Secret::new("not-the-secret").sign(body.as_bytes());
    // (case, headers, the start of the message)
    type Case<'a> = (&'a str, Vec<(&'a str, String)>, &'a str);
    let cases: [Case; 6] = [
        ("unsigned", vec![], "missing signature"),
        (
            "gocd, other body",
            vec![("x-gocd-signature", other.clone())],
            "wrong signature in x-gocd-signature",
        ),
        (
            "gocd, other key",
            vec![("x-gocd-signature", wrong_key.clone())],
            "wrong signature in x-gocd-signature",
        ),
        (
            "gocd, not hex",
            vec![("x-gocd-signature", "nothex".into())],
            "wrong signature in x-gocd-signature",
        ),
        (
            "hub, other key",
            vec![("X-Hub-Signature", format!("sha256={wrong_key}"))],
            "wrong signature in X-Hub-Signature",
        ),
        (
            "hub, no prefix",
            vec![("X-Hub-Signature", secret.sign(body.as_bytes()))],
            "wrong signature in X-Hub-Signature",
        ),
    ];
    for (case, headers, expected) in cases {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (code, answer) = h.post("/", &body, &headers);
        assert_eq!(code, 401, "{case}: {answer}");
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer["status"], "failure", "{case}");
        let message = answer["messages"][0].as_str().unwrap();
        assert!(message.starts_with(expected), "{case}: {message}");
        assert!(!message.contains("s3cret-for-tests"), "{case}: {message}");
    }
    // The signature is checked before the body is read as JSON.
    assert_eq!(h.post("/", "{not json", &[]).0, 401);
    assert_eq!(h.deliveries(), Vec::<String>::new());
}

#[test]
fn oversized_bodies_get_413() {
    let h = start(ServerOptions {
        max_body_bytes: 16 * 1024,
        ..options()
    });
    let body = format!(
        "{{\"pipeline\":{{\"name\":\"{}\"}}}}",
        "x".repeat(20 * 1024)
    );
    let (code, answer) = h.post("/", &body, &[]);
    assert_eq!(code, 413, "{answer}");
    assert_eq!(
        answer,
        r#"{"status":"failure","messages":["body too large: this server takes at most 16384 bytes"]}"#
    );
    // A body just under the limit is read (and refused for what it is).
    let (code, _) = h.post("/", " ".repeat(16 * 1024 - 2) + "{}", &[]);
    assert_eq!(code, 400);
}

#[test]
fn malformed_bodies_get_400_saying_what_and_where() {
    let h = start(options());
    let expect_400 = |path: &str, body: &[u8], needle: &str| {
        let (code, answer) = h.post(path, body, &[]);
        assert_eq!(code, 400, "{body:?}: {answer}");
        let v: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(v["status"], "failure");
        let message = v["messages"][0].as_str().unwrap();
        assert!(
            message.contains(needle),
            "{:?}: {message}",
            String::from_utf8_lossy(body)
        );
    };
    expect_400("/", b"", "line 1");
    expect_400("/", b"[]", "invalid notification body");
    expect_400(
        "/",
        br#"{"pipeline":{"name":"x","counter":"1","stage":"#,
        "line 1",
    );
    expect_400("/", br#"{"hello":"world"}"#, "expected a stage-status body");
    expect_400(
        "/",
        br#"{"type":"build","data":{}}"#,
        "invalid notification body at type",
    );
    expect_400(
        "/stage-status",
        br#"{"pipeline":{"name":"x","counter":"one","build-cause":[],"stage":{"name":"s","counter":"1","state":"Passed","result":"Passed","jobs":[]}}}"#,
        "pipeline.counter",
    );
    expect_400("/", b"\xff\xfe{}", "not UTF-8");
    let agent = payload("agent-lost-contact.json");
    expect_400(
        "/stage-status",
        agent.as_bytes(),
        "/stage-status takes stage-status bodies, and this body is agent-status",
    );
    let stage = payload("v4-deploy-failed.json");
    expect_400(
        "/agent-status",
        stage.as_bytes(),
        "/agent-status takes agent-status bodies",
    );
    let deep = "[".repeat(100_000);
    expect_400("/", deep.as_bytes(), "invalid notification body");
    assert_eq!(h.deliveries(), Vec::<String>::new());
}

#[test]
fn unknown_paths_get_404_and_other_methods_405() {
    let h = start(options());
    let (code, answer) = h.post("/stage", "{}", &[]);
    assert_eq!(code, 404);
    assert_eq!(
        answer,
        r#"{"status":"failure","messages":["unknown path /stage; this server answers POST /, POST /stage-status, POST /agent-status, POST /notifications-interested-in"]}"#
    );
    let mut resp = h.agent.get(h.url("/stage-status")).call().unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(resp.headers().get("allow").unwrap(), "POST");
    assert!(resp
        .body_mut()
        .read_to_string()
        .unwrap()
        .contains("/stage-status takes POST, not GET"));
}

/// Posts the failed-deploy sample to a server built by the test itself.
fn post_deploy_failed(running: &Running) -> (u16, String) {
    notify_rules_test_kit::post(
        &format!("http://{}/", running.local_addr()),
        payload("v4-deploy-failed.json"),
    )
}

#[test]
fn a_slow_delivery_times_out_with_504_and_shutdown_waits_for_it() {
    let (release, released) = mpsc::channel::<()>();
    let released = Mutex::new(released);
    let finished = Arc::new(Mutex::new(false));
    let done = finished.clone();
    let rules = RuleSet::parse("target slow; on any => send(slow);").unwrap();
    let plugin = Plugin::builder(rules)
        .notifier("slow", move |_: &Delivery| -> Result<(), NotifyError> {
            // Blocks until the test lets it go: no clock decides the outcome.
            let _ = released.lock().unwrap().recv();
            *done.lock().unwrap() = true;
            Ok(())
        })
        .build()
        .unwrap();
    let options = ServerOptions {
        request_timeout: Duration::from_millis(200),
        ..options()
    };
    let running = Server::spawn(Arc::new(plugin), options).unwrap();
    let (code, answer) = post_deploy_failed(&running);
    assert_eq!(code, 504, "{answer}");
    assert!(answer.contains("no answer within 200 ms"), "{answer}");
    assert!(!*finished.lock().unwrap());

    let stopping = std::thread::spawn({
        let finished = finished.clone();
        move || {
            running.shutdown().unwrap();
            // Read the moment shutdown returns: the delivery must be done.
            *finished.lock().unwrap()
        }
    });
    release.send(()).unwrap();
    assert!(
        stopping.join().unwrap(),
        "shutdown returned before the delivery in flight finished"
    );
}

#[test]
fn the_outbox_is_tried_again_without_waiting_for_a_notification() {
    let tries = Arc::new(Mutex::new(0u32));
    let counted = tries.clone();
    let (delivered, was_delivered) = mpsc::channel::<()>();
    let delivered = Mutex::new(delivered);
    let rules =
        RuleSet::parse("target flaky; on any => send(flaky, \"{pipeline.name}\");").unwrap();
    let plugin = Plugin::builder(rules)
        .notifier("flaky", move |_: &Delivery| -> Result<(), NotifyError> {
            let mut n = counted.lock().unwrap();
            *n += 1;
            if *n == 1 {
                return Err(NotifyError::retryable("receiver restarting"));
            }
            let _ = delivered.lock().unwrap().send(());
            Ok(())
        })
        .retry(notify_rules::plugin::RetryPolicy {
            attempts: 1,
            ..Default::default()
        })
        .build()
        .unwrap();
    let plugin = Arc::new(plugin);
    let options = ServerOptions {
        outbox_flush_interval: Some(Duration::from_millis(20)),
        ..options()
    };
    let running = Server::spawn(plugin.clone(), options).unwrap();
    let (code, answer) = post_deploy_failed(&running);
    assert_eq!(code, 502, "{answer}");
    assert!(answer.contains("receiver restarting"), "{answer}");
    assert_eq!(plugin.outbox_len(), 1);
    // No other request comes: only the server's own flush can deliver it. The
    // bound only keeps a broken flush from hanging the test.
    was_delivered
        .recv_timeout(Duration::from_secs(60))
        .expect("the outbox was not flushed");
    running.shutdown().unwrap();
    assert_eq!(plugin.outbox_len(), 0);
    assert_eq!(*tries.lock().unwrap(), 2, "one failed try, one delivery");
}

#[test]
fn a_client_that_never_finishes_its_headers_is_disconnected() {
    use std::io::{Read, Write};

    let h = start(ServerOptions {
        request_timeout: Duration::from_millis(200),
        ..options()
    });
    let mut stream = std::net::TcpStream::connect(h.running.local_addr()).unwrap();
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: appli")
        .unwrap();
    // The bound only keeps a server that never closes from hanging the test.
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut got = Vec::new();
    let closed = stream.read_to_end(&mut got);
    assert!(
        closed.is_ok(),
        "the server did not close the connection: {closed:?}"
    );
    let got = String::from_utf8_lossy(&got);
    assert!(got.is_empty() || got.starts_with("HTTP/1.1 408"), "{got}");
    // The server still serves everyone else.
    assert_eq!(h.post("/notifications-interested-in", "", &[]).0, 200);
}
