//! Agent rule evaluation speed.
//!
//! - `agent`: ten agent rules written with `rules!` against the same rules
//!   written by hand as `if` code on the borrowed agent-status, rendering with
//!   `format!` and returning (target, text) pairs (goal: ratio at most 1.10).
//!   Neither copies the notification. Both are first checked to make the same
//!   deliveries, on every agent body of the tests and every transition.
//! - `agent_plugin/handle`: the same ten rules through `Plugin::handle`
//!   (parse, the agent's history, evaluate, the time step, deliver to
//!   notifiers that do nothing) on a memory store, each iteration an agent
//!   the plugin does not remember: what an agent rule set without time
//!   forms pays per notification (the time step must cost it nothing).

use std::hint::black_box;

use chrono::SecondsFormat;
use criterion::{criterion_group, criterion_main, Criterion};
use notify_rules::history::HistoryLimits;
use notify_rules::model::{AgentConfigState, AgentState, AgentStatus, BuildState};
use notify_rules::protocol::{parse_notification, Notification, Received};
use notify_rules::state::State;
use notify_rules::{rules, AgentTransition, Delivery, NotifyError, Plugin, RuleSet};
use notify_rules_test_kit::payloads;

/// An agent that lost contact: three deliveries under the ten rules.
const BODY: &str = r#"{"uuid":"0b9e6c1a-7d42-4f0e-9a55-3c2e8d71b6aa","host_name":"build-agent-07","is_elastic":false,
 "ip_address":"10.0.4.17","operating_system":"Ubuntu 22.04.4 LTS","free_space":"41.8 GB",
 "agent_config_state":"Enabled","agent_state":"LostContact","build_state":"Unknown",
 "transition_time":"2024-05-14T10:02:33.871+0000"}"#;

fn ten_rules() -> RuleSet {
    rules! {
        target ops, infra, audit;
        on agent lost => send(ops, "Agent {agent.host_name} ({agent.ip_address}) lost contact");
        on agent back => send(ops, "Agent {agent.host_name} is back");
        on agent host "win-*" config Disabled => send(infra);
        on agent not elastic build_state Cancelled => send(infra, "build cancelled on {agent.host_name}");
        on agent state Missing => send(infra, "{agent.host_name} is missing");
        on agent os "*windows*" state LostContact => send(infra, "windows agent {agent.host_name} down");
        on agent host "build-agent-*" state LostContact | Missing => send(infra, "{agent.host_name} ({agent.uuid}) down since {agent.transition_time}");
        on agent elastic => stop;
        on agent config Pending => send(audit, "{agent.host_name} waits for approval");
        on agent => send(audit);
    }
}

/// The ten rules as a person would write them without the library.
fn by_hand(a: &AgentStatus, t: Option<AgentTransition>) -> Vec<(&'static str, String)> {
    fn starts_ci(s: &str, prefix: &str) -> bool {
        s.len() >= prefix.len()
            && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    }
    fn contains_ci(s: &str, middle: &str) -> bool {
        s.as_bytes()
            .windows(middle.len())
            .any(|w| w.eq_ignore_ascii_case(middle.as_bytes()))
    }
    let host = a.host_name.as_deref().unwrap_or("");
    let state = &a.agent_state;
    let mut out = Vec::new();
    if t == Some(AgentTransition::Lost) {
        let ip = a.ip_address.as_deref().unwrap_or("");
        out.push(("ops", format!("Agent {host} ({ip}) lost contact")));
    }
    if t == Some(AgentTransition::Back) {
        out.push(("ops", format!("Agent {host} is back")));
    }
    let default = || format!("Agent {host}: {}, build {}", state, a.build_state);
    if a.host_name.as_deref().is_some_and(|h| starts_ci(h, "win-"))
        && a.agent_config_state == AgentConfigState::Disabled
    {
        out.push(("infra", default()));
    }
    if !a.is_elastic && a.build_state == BuildState::Cancelled {
        out.push(("infra", format!("build cancelled on {host}")));
    }
    if *state == AgentState::Missing {
        out.push(("infra", format!("{host} is missing")));
    }
    let os = a.operating_system.as_deref();
    if os.is_some_and(|o| contains_ci(o, "windows")) && *state == AgentState::LostContact {
        out.push(("infra", format!("windows agent {host} down")));
    }
    if a.host_name
        .as_deref()
        .is_some_and(|h| starts_ci(h, "build-agent-"))
        && matches!(state, AgentState::LostContact | AgentState::Missing)
    {
        let since = a
            .transition_time
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
            .unwrap_or_default();
        out.push(("infra", format!("{host} ({}) down since {since}", a.uuid)));
    }
    if a.is_elastic {
        return out;
    }
    if a.agent_config_state == AgentConfigState::Pending {
        out.push(("audit", format!("{host} waits for approval")));
    }
    out.push(("audit", default()));
    out
}

/// Every agent-status body in `tests/payloads/`, as the protocol reads it.
fn agent_payloads() -> Vec<(String, AgentStatus)> {
    payloads()
        .into_iter()
        .filter_map(|(name, text)| match parse_notification(&text) {
            Ok(Received {
                notification: Notification::Agent(a),
                ..
            }) => Some((name, a)),
            _ => None,
        })
        .collect()
}

fn agent(c: &mut Criterion) {
    let status: AgentStatus = serde_json::from_str(BODY).unwrap();
    let compiled = ten_rules();
    let mut bodies = agent_payloads();
    bodies.push(("bench body".into(), status.clone()));
    let transitions = [
        None,
        Some(AgentTransition::Lost),
        Some(AgentTransition::Back),
    ];
    for (name, a) in &bodies {
        for t in transitions {
            let made = compiled.evaluate_agent_with(a, t, None);
            let got: Vec<(&str, &str)> = made.iter().map(|d| (d.target(), d.text())).collect();
            let hand = by_hand(a, t);
            let want: Vec<(&str, &str)> = hand.iter().map(|(t, m)| (*t, m.as_str())).collect();
            assert_eq!(got, want, "{name} {t:?}: compiled against by hand");
        }
    }
    let lost = Some(AgentTransition::Lost);
    assert_eq!(by_hand(&status, lost).len(), 3);

    let mut g = c.benchmark_group("agent");
    g.bench_function("rules!", |b| {
        b.iter(|| compiled.evaluate_agent_with(black_box(&status), black_box(lost), None))
    });
    g.bench_function("by hand", |b| {
        b.iter(|| by_hand(black_box(&status), black_box(lost)))
    });
    g.finish();
}

/// Distinct agents cycled through; the plugin remembers fewer.
const DISTINCT: usize = 4096;

fn nothing(d: &Delivery) -> Result<(), NotifyError> {
    black_box(d.text());
    Ok(())
}

fn agent_plugin(c: &mut Criterion) {
    let rules = ten_rules();
    let mut builder = Plugin::builder(rules.clone());
    for target in rules.targets() {
        builder = builder.notifier(target, nothing);
    }
    let plugin = builder
        .state(State::memory_with_limits(HistoryLimits {
            runs_per_stage: 50,
            handled: DISTINCT / 2,
        }))
        .build()
        .unwrap();
    let bodies: Vec<String> = (0..DISTINCT)
        .map(|i| BODY.replace("0b9e6c1a", &format!("{i:08x}")))
        .collect();
    let mut g = c.benchmark_group("agent_plugin");
    let mut i = 0;
    g.bench_function("handle", |b| {
        b.iter(|| {
            i = (i + 1) % DISTINCT;
            let r = plugin.handle("agent-status", black_box(&bodies[i]));
            debug_assert_eq!(r.body, r#"{"status":"success"}"#);
            black_box(r)
        })
    });
    g.finish();
}

criterion_group!(benches, agent, agent_plugin);
criterion_main!(benches);
