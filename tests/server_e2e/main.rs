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

mod deliveries;
mod requests;
mod timing;

const RULES: &str = r#"
target ops, audit, broken;
on state Failed => send(ops, "{pipeline.name}/{stage.name} failed");
on any => send(audit, "{pipeline.name} {stage.name} {stage.state}");
on pipeline "fail-me" => send(broken);
on agent => send(audit, "agent {agent.host_name} {agent.state}");
on agent lost => send(ops, "{agent.host_name} lost contact");
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
