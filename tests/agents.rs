//! Agent rules through a `Plugin`: `lost` and `back` from the agent's
//! history (by `uuid`), repeats that deliver nothing, the interest list, and
//! the same history in each store (memory, a SQLite file across a restart,
//! PostgreSQL).

use notify_rules::state::State;
use notify_rules::{rules, Plugin, PluginBuilder, RuleSet};
use notify_rules_test_kit::notifier::{take, text_recorder, Log};
use notify_rules_test_kit::{both, postgres, temp_dir, AgentBody, StageBody};

const SUCCESS: &str = r#"{"status":"success"}"#;

/// The same rules loaded and compiled: each test runs on both.
fn agent_rules() -> [RuleSet; 2] {
    let (compiled, loaded) = both! {
        target log;
        on agent lost => send(log, "lost {agent.host_name} {agent.state} {transition}");
        on agent back => send(log, "back {agent.host_name} {agent.state} {transition}");
        on state Failed => send(log, "stage {pipeline.name}");
    };
    [loaded, compiled]
}

struct Harness {
    plugin: Plugin,
    log: Log,
    /// Which rules, compiled or loaded, for the failure messages.
    rules: String,
}

impl Harness {
    fn new(rules: RuleSet, configure: impl FnOnce(PluginBuilder) -> PluginBuilder) -> Harness {
        let log = Log::default();
        let name = format!("{rules:?}");
        let builder = Plugin::builder(rules).notifier("log", text_recorder(&log));
        Harness {
            plugin: configure(builder).build().unwrap(),
            log,
            rules: name,
        }
    }

    /// Posts agent `uuid` in `state` at minute `minute`; what it delivered.
    fn agent(&self, uuid: &str, state: &str, minute: u32) -> Vec<String> {
        let body = AgentBody::new(uuid)
            .state(state)
            .at(&format!("2024-05-14T10:{minute:02}:00.000+0000"));
        let r = self.plugin.handle("agent-status", &body.to_string());
        assert_eq!((r.code, r.body.as_str()), (200, SUCCESS), "{body}");
        let made = take(&self.log);
        eprintln!("{}: {uuid} {state} at {minute}: {made:?}", self.rules);
        made
    }
}

/// The issue's sequence: one `lost` and one `back`, whatever comes between.
fn lost_once_back_once(h: &Harness) {
    assert_eq!(h.agent("a-1", "Idle", 1), [""; 0]);
    assert_eq!(h.agent("a-1", "Building", 2), [""; 0]);
    assert_eq!(
        h.agent("a-1", "LostContact", 3),
        ["lost agent-a-1 LostContact lost"]
    );
    // GoCD says it again later: still lost, not lost again.
    assert_eq!(h.agent("a-1", "LostContact", 4), [""; 0]);
    assert_eq!(h.agent("a-1", "Missing", 5), [""; 0]);
    assert_eq!(h.agent("a-1", "Idle", 6), ["back agent-a-1 Idle back"]);
    // A forwarder's retry of one already handled delivers nothing.
    assert_eq!(h.agent("a-1", "Idle", 6), [""; 0]);
    assert_eq!(h.agent("a-1", "LostContact", 3), [""; 0]);
}

#[test]
fn idle_building_lost_lost_missing_idle_is_one_lost_and_one_back() {
    for rules in agent_rules() {
        lost_once_back_once(&Harness::new(rules, |b| b));
    }
}

#[test]
fn each_agent_has_its_own_history() {
    for rules in agent_rules() {
        let h = Harness::new(rules, |b| b);
        assert_eq!(
            h.agent("a-1", "LostContact", 1),
            ["lost agent-a-1 LostContact lost"]
        );
        // Another agent's first word is compared with nothing of a-1's.
        assert_eq!(h.agent("b-2", "Idle", 2), [""; 0]);
        assert_eq!(
            h.agent("b-2", "Missing", 3),
            ["lost agent-b-2 Missing lost"]
        );
        assert_eq!(
            h.agent("a-1", "Building", 4),
            ["back agent-a-1 Building back"]
        );
        assert_eq!(
            h.agent("b-2", "Building", 5),
            ["back agent-b-2 Building back"]
        );
    }
}

#[test]
fn stage_and_agent_rules_keep_to_their_own_notifications() {
    for rules in agent_rules() {
        let h = Harness::new(rules, |b| b);
        let stage = StageBody::new("shop", 1).state("Failed").to_string();
        let r = h.plugin.handle("stage-status", &stage);
        assert_eq!(r.body, SUCCESS);
        assert_eq!(take(&h.log), ["stage shop"]);
        // An agent notification never matches `on state Failed`, nor a stage one
        // `on agent`.
        assert_eq!(
            h.agent("a-1", "LostContact", 1),
            ["lost agent-a-1 LostContact lost"]
        );
    }
}

#[test]
fn the_interest_list_names_agent_status_only_with_agent_rules() {
    for rules in agent_rules() {
        let with = Harness::new(rules, |b| b);
        let r = with.plugin.handle("notifications-interested-in", "");
        assert_eq!(
            (r.code, r.body.as_str()),
            (200, r#"{"notifications":["stage-status","agent-status"]}"#)
        );
    }
    let without = Harness::new(rules! { target log; on state Failed => send(log); }, |b| b);
    let r = without.plugin.handle("notifications-interested-in", "");
    assert_eq!(r.body, r#"{"notifications":["stage-status"]}"#);
    // Agent bodies are still read and answered, and make nothing.
    assert_eq!(without.agent("a-1", "LostContact", 1), [""; 0]);
}

#[test]
fn link_goes_to_the_agents_job_history() {
    let (compiled, loaded) = both! { target log; on agent => send(log, "{link}"); };
    for rules in [loaded, compiled] {
        let h = Harness::new(rules, |b| b.server_url("https://gocd.example.com/"));
        assert_eq!(
            h.agent("c0ffee", "Idle", 1),
            ["https://gocd.example.com/go/agents/c0ffee/job_run_history"]
        );
    }
}

#[test]
fn sqlite_keeps_the_agent_history_across_a_restart() {
    let dir = temp_dir();
    let db = dir.path().join("state.db");
    let [loaded, _] = agent_rules();
    let h = Harness::new(loaded.clone(), |b| b.state(State::sqlite(&db)));
    lost_once_back_once(&h);
    assert_eq!(
        h.agent("a-1", "LostContact", 7),
        ["lost agent-a-1 LostContact lost"]
    );
    drop(h);
    let h = Harness::new(loaded, |b| b.state(State::sqlite(&db)));
    // The process that knew a-1 was lost is gone; the file still knows.
    assert_eq!(h.agent("a-1", "LostContact", 7), [""; 0]);
    assert_eq!(h.agent("a-1", "Idle", 8), ["back agent-a-1 Idle back"]);
}

#[test]
fn postgres_keeps_the_agent_history_between_plugins() {
    let Some(url) = postgres::database("agents_history") else {
        return;
    };
    // Two plugins on one database: two replicas behind a load balancer.
    let [loaded, compiled] = agent_rules();
    let a = Harness::new(compiled, |b| b.state(State::postgres(url.clone())));
    let b = Harness::new(loaded, |b| b.state(State::postgres(url.clone())));
    assert_eq!(a.agent("a-1", "Idle", 1), [""; 0]);
    assert_eq!(
        b.agent("a-1", "LostContact", 2),
        ["lost agent-a-1 LostContact lost"]
    );
    // The same notification at the other replica: handled already.
    assert_eq!(a.agent("a-1", "LostContact", 2), [""; 0]);
    assert_eq!(a.agent("a-1", "Missing", 3), [""; 0]);
    assert_eq!(b.agent("a-1", "Idle", 4), ["back agent-a-1 Idle back"]);
}

#[test]
fn an_agent_delivery_that_failed_waits_in_the_sqlite_outbox_across_a_restart() {
    use std::sync::atomic::AtomicBool;
    use std::sync::{Arc, Mutex};

    use notify_rules::plugin::RetryPolicy;
    use notify_rules::{Delivery, NotifyError};

    let dir = temp_dir();
    let db = dir.path().join("state.db");
    let [loaded, _] = agent_rules();
    let once = RetryPolicy {
        attempts: 1,
        ..RetryPolicy::default()
    };
    let down = Arc::new(AtomicBool::new(true));
    let log = Log::default();
    let plugin = Plugin::builder(loaded.clone())
        .notifier(
            "log",
            notify_rules_test_kit::notifier::switchable(&log, &down),
        )
        .retry(once)
        .state(State::sqlite(&db))
        .build()
        .unwrap();
    let lost = AgentBody::new("a-1").state("LostContact").to_string();
    let r = plugin.handle("agent-status", &lost);
    assert_eq!(r.code, 200);
    assert!(r.body.contains("connection refused"), "{}", r.body);
    assert_eq!(plugin.outbox_len(), 1);
    drop(plugin);

    // Another process, the receiver back: the entry is sent with the agent
    // it is about, once.
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let record = seen.clone();
    let plugin = Plugin::builder(loaded)
        .notifier("log", move |d: &Delivery| -> Result<(), NotifyError> {
            let agent = d.agent().expect("an agent delivery");
            record
                .lock()
                .unwrap()
                .push((agent.uuid.clone(), d.text().to_owned()));
            Ok(())
        })
        .state(State::sqlite(&db))
        .build()
        .unwrap();
    assert_eq!(plugin.outbox_len(), 1);
    assert_eq!(plugin.flush_outbox().delivered, 1);
    assert_eq!(plugin.flush_outbox().delivered, 0);
    assert_eq!(
        *seen.lock().unwrap(),
        [(
            "a-1".to_owned(),
            "lost agent-a-1 LostContact lost".to_owned()
        )]
    );
    // And the notification posted again is a repeat: nothing more.
    assert_eq!(plugin.handle("agent-status", &lost).body, SUCCESS);
    assert_eq!(seen.lock().unwrap().len(), 1);
}
