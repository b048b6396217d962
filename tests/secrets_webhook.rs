//! What a webhook receiver on 127.0.0.1 gets when the notification's material
//! URL carries a user, a password and a token: the body must hold none of them,
//! while the rest of the notification stays usable.

use std::sync::mpsc;

use notify_rules::deliver::Webhook;
use notify_rules::model::StageStatus;
use notify_rules::{Notifier, RuleSet};
use notify_rules_test_kit::Loopback;
use serde_json::Value;

const STATUS: &str = r#"{"pipeline":{"name":"shop","counter":"3","group":"web","label":"3",
  "build-cause":[{"material":{"type":"git","git-configuration":
      {"url":"https://ci:t0ken@git.example.org/x.git?private_token=abc","branch":"main"}},
    "changed":true,"modifications":[{"revision":"0a1b2c","data":{}}]}],
  "stage":{"name":"deploy","counter":"1","state":"Failed","result":"Failed","jobs":[]}}}"#;

#[test]
fn the_posted_json_holds_no_material_credentials() {
    let (posted, bodies) = mpsc::channel();
    let receiver = Loopback::start(move |mut req| {
        let mut body = String::new();
        req.as_reader().read_to_string(&mut body).expect("a body");
        let _ = req.respond(tiny_http::Response::empty(204));
        let _ = posted.send(body);
    });

    let status: StageStatus = serde_json::from_str(STATUS).unwrap();
    let rules =
        RuleSet::parse(r#"target ops; on state Failed => send(ops, "{pipeline.name} failed");"#)
            .unwrap();
    let deliveries = rules.evaluate(&status);
    assert_eq!(deliveries.len(), 1);
    let hook = Webhook::new(&receiver.url("/hook")).unwrap();
    hook.send(&deliveries[0]).expect("the receiver answers 204");
    drop(receiver);
    let body = bodies.recv().expect("one request");
    assert!(bodies.try_recv().is_err(), "only one request");

    for secret in ["t0ken", "abc", "ci:"] {
        assert!(!body.contains(secret), "`{secret}` was posted: {body}");
    }
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["text"], "shop failed");
    let cause = &v["notification"]["pipeline"]["build-cause"][0];
    assert_eq!(
        cause["material"]["git-configuration"]["url"],
        "https://git.example.org/x.git?private_token=******"
    );
    assert_eq!(cause["material"]["git-configuration"]["branch"], "main");
    assert_eq!(cause["modifications"][0]["revision"], "0a1b2c");
    // The delivery itself still holds the notification as GoCD sent it.
    assert_eq!(
        deliveries[0].status().unwrap().pipeline.build_cause[0]
            .material
            .url(),
        Some("https://ci:t0ken@git.example.org/x.git?private_token=abc")
    );
}
