//! `Plugin::handle` for every request name, bad bodies, and building a plugin.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use notify_rules::deliver::Console;
use notify_rules::state::State;
use notify_rules::{rules, Plugin, RuleSet};
use notify_rules_test_kit::notifier::{accept, counter};
use notify_rules_test_kit::{payload, temp_dir};
use serde_json::Value;

fn plugin() -> Plugin {
    Plugin::builder(rules! { target ops; on state Failed => send(ops); })
        .notifier("ops", accept)
        .build()
        .unwrap()
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap()
}

#[test]
fn every_request_name_has_an_answer() {
    let p = plugin();
    let r = p.handle("notifications-interested-in", "");
    assert_eq!(
        (r.code, json(&r.body)),
        (200, serde_json::json!({"notifications": ["stage-status"]}))
    );
    let r = p.handle("stage-status", &payload("v4-deploy-failed.json"));
    assert_eq!((r.code, r.body.as_str()), (200, r#"{"status":"success"}"#));
    let r = p.handle("agent-status", &payload("agent-lost-contact.json"));
    assert_eq!((r.code, r.body.as_str()), (200, r#"{"status":"success"}"#));
    let r = p.handle("go.plugin-settings.get-configuration", "");
    assert_eq!((r.code, json(&r.body)), (200, serde_json::json!({})));
    let r = p.handle("go.plugin-settings.get-view", "");
    assert_eq!(r.code, 200);
    assert!(json(&r.body)["template"].is_string());
    let r = p.handle(
        "go.plugin-settings.validate-configuration",
        r#"{"plugin-settings":{}}"#,
    );
    assert_eq!((r.code, json(&r.body)), (200, serde_json::json!([])));
    let r = p.handle("go.plugin-settings.plugin-settings-changed", "{}");
    assert_eq!((r.code, r.body.as_str()), (200, r#"{"status":"success"}"#));
}

#[test]
fn an_unknown_request_is_a_400_naming_it() {
    let r = plugin().handle("go.cd.bogus", "{}");
    assert_eq!(r.code, 400);
    let v = json(&r.body);
    assert_eq!(v["status"], "failure");
    let m = v["messages"][0].as_str().unwrap();
    assert!(
        m.contains("go.cd.bogus") && m.contains("stage-status"),
        "{m}"
    );
}

#[test]
fn a_bad_body_is_a_400_saying_what_and_where() {
    let p = plugin();
    let bad_counter = r#"{"pipeline":{"name":"shop","counter":"3","build-cause":[],
      "stage":{"name":"deploy","counter":"x","state":"Failed","result":"Failed","jobs":[]}}}"#;
    for (name, body, place) in [
        ("stage-status", "{\"pipeline\":", "line 1"),
        ("stage-status", bad_counter, "line 2"),
        ("stage-status", "", "line 1"),
        ("agent-status", "[1]", "line 1"),
    ] {
        let r = p.handle(name, body);
        assert_eq!(r.code, 400, "{name} {body}");
        let v = json(&r.body);
        assert_eq!(v["status"], "failure");
        let m = v["messages"][0].as_str().unwrap();
        assert!(
            m.contains(name) && m.contains(place),
            "{name} {body:?}: {m}"
        );
    }
}

#[test]
fn building_names_every_problem() {
    let rules =
        RuleSet::parse("target ops, audit; on any => send(ops, \"{link}\"), send(audit);").unwrap();
    let e = Plugin::builder(rules)
        .notifier("pager", Console::stdout())
        .build()
        .unwrap_err();
    let text = e.to_string();
    assert_eq!(e.problems().len(), 3, "{text}");
    assert!(text.contains("target `ops` has no notifier"), "{text}");
    assert!(text.contains("target `audit` has no notifier"), "{text}");
    assert!(
        text.contains("notifiers are bound to `pager`, which no `target` line declares"),
        "{text}"
    );
    assert!(text.contains("{link}"), "{text}");

    let rules = RuleSet::parse("target ops; on any => send(ops, \"{link}\");").unwrap();
    let p = Plugin::builder(rules)
        .notifier("ops", accept)
        .server_url("https://gocd.example.com")
        .build();
    assert!(p.is_ok());
}

#[test]
fn a_notifier_for_a_target_the_rules_do_not_declare_is_kept_unused() {
    // One set of notifiers can serve several rule sets.
    let (used, unused) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let plugin = Plugin::builder(rules! { target ops; on any => send(ops); })
        .notifier("ops", counter(&used))
        .notifier("releases", counter(&unused))
        .build()
        .unwrap();
    let answer = plugin.handle("stage-status", &payload("v4-deploy-failed.json"));
    assert_eq!(
        (answer.code, answer.body.as_str()),
        (200, r#"{"status":"success"}"#)
    );
    assert_eq!(used.load(Ordering::SeqCst), 1);
    assert_eq!(unused.load(Ordering::SeqCst), 0);
}

#[test]
fn a_store_that_cannot_be_opened_is_a_build_error() {
    let dir = temp_dir();
    let path = dir.path().join("state.db");
    std::fs::write(
        &path,
        "not a database, but some text long enough to be read as one\n",
    )
    .unwrap();
    let e = Plugin::builder(rules! { target ops; on any => send(ops); })
        .notifier("ops", accept)
        .state(State::sqlite(&path))
        .build()
        .unwrap_err();
    let text = e.to_string();
    assert!(text.contains("state.db: not a SQLite database"), "{e}");
}

#[test]
fn a_plugin_is_shared_between_threads() {
    fn check<T: Send + Sync>(_: &T) {}
    let p = plugin();
    check(&p);
    let debug = format!("{p:?}");
    assert!(debug.contains("ops"), "{debug}");
}
