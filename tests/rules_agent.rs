//! Behaviour of agent rules (`on agent ...`) on the sample agent bodies: every
//! clause, `not`, patterns, `stop`, every placeholder, `{link}`,
//! `{transition}` and the default message, asserting the exact deliveries.
//!
//! Each rule set is written once and checked both compiled (`rules!`) and
//! loaded at run time (`RuleSet::parse` of the same text).

use std::sync::Arc;

use notify_rules::model::{AgentState, AgentStatus};
use notify_rules::{rules, AgentTransition, Delivery, RuleSet};
use notify_rules_test_kit::{agent, both, stage};

/// The agent bodies, in this order: lost contact (build-agent-07, 10.0.4.17,
/// Ubuntu, Enabled, not elastic); unknown states (elastic-k8s-17, elastic);
/// wrapped (mac-mini-3, Building, no IP); lower-case values (build-agent-04,
/// lostcontact, building, enabled).
const PAYLOADS: [&str; 4] = [
    "agent-lost-contact.json",
    "own-agent-unknown-enums.json",
    "own-wrapped-agent.json",
    "own-agent-nested-lowercase.json",
];

fn all() -> Vec<AgentStatus> {
    PAYLOADS.iter().map(|p| agent(p)).collect()
}

fn pairs(made: &[Delivery<'_>]) -> Vec<(String, String)> {
    made.iter()
        .map(|d| (d.target().to_owned(), d.text().to_owned()))
        .collect()
}

/// `(target, text)` of every delivery for every body, with `transition` and
/// `server`, checking that the compiled and the loaded rules agree.
fn run_with(
    sets: &(RuleSet, RuleSet),
    agents: &[AgentStatus],
    transition: Option<AgentTransition>,
    server: Option<&str>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for a in agents {
        let x = pairs(&sets.0.evaluate_agent_with(a, transition, server));
        let y = pairs(&sets.1.evaluate_agent_with(a, transition, server));
        assert_eq!(x, y, "compiled and loaded rules disagree on {}", a.uuid);
        out.extend(x);
    }
    out
}

fn run(sets: &(RuleSet, RuleSet), agents: &[AgentStatus]) -> Vec<(String, String)> {
    run_with(sets, agents, None, None)
}

fn texts(out: Vec<(String, String)>) -> Vec<String> {
    out.into_iter().map(|(_, t)| t).collect()
}

#[test]
fn host_ip_and_os_match_patterns() {
    let sets = both! {
        target t;
        on agent host "BUILD-agent-*" => send(t, "host {agent.host_name}");
        on agent host regex("mac-.*") | "elastic-k8s-17" => send(t, "host2 {agent.host_name}");
        on agent ip "10.0.*" => send(t, "ip {agent.ip_address}");
        on agent ip "10.0.4.17" => send(t, "exact ip");
        on agent os "*linux*" => send(t, "os {agent.os}");
        on agent os "mac os x" => send(t, "mac {agent.os}");
    };
    assert_eq!(
        texts(run(&sets, &all())),
        [
            "host build-agent-07",
            "ip 10.0.4.17",
            "exact ip",
            "host2 elastic-k8s-17",
            "os Alpine Linux 3.20",
            "host2 mac-mini-3",
            "mac Mac OS X",
            "host build-agent-04",
            "os Debian GNU/Linux 12",
        ]
    );
}

#[test]
fn ip_patterns_match_case() {
    let sets = both! {
        target t;
        on agent ip regex("10[.]8[.].*") => send(t, "re");
        on agent not ip "*" => send(t, "no ip");
    };
    assert_eq!(texts(run(&sets, &all())), ["re", "no ip"]);
}

#[test]
fn states_build_states_and_config_states_read_in_any_case() {
    let sets = both! {
        target t;
        on agent state LostContact | missing => send(t, "gone {agent.uuid}");
        on agent state building build_state BUILDING => send(t, "busy {agent.host_name}");
        on agent build_state Unknown => send(t, "build unknown {agent.host_name}");
        on agent config enabled => send(t, "enabled {agent.host_name}");
        on agent not config Enabled | Disabled | Pending => send(t, "config {agent.config_state}");
        on agent state Unknown => send(t, "state unknown");
    };
    assert_eq!(
        texts(run(&sets, &all())),
        [
            "gone 0b9e6c1a-7d42-4f0e-9a55-3c2e8d71b6aa",
            "build unknown build-agent-07",
            "enabled build-agent-07",
            // Hibernating, Draining and Quarantined are none of the names.
            "config Quarantined",
            "busy mac-mini-3",
            "enabled mac-mini-3",
            "gone 7a3d5c1e-2b4f-4e6a-8c9d-0f1e2a3b4c5d",
            "enabled build-agent-04",
        ]
    );
}

#[test]
fn elastic_not_and_stop() {
    let sets = both! {
        target a, b;
        on agent elastic => send(a, "elastic {agent.elastic}"), stop;
        on agent not elastic host "mac-*" => send(b, "mac {agent.elastic}");
        on agent => send(a), send(b);
    };
    let out = run(&sets, &all());
    assert_eq!(
        out,
        [
            ("a", "Agent build-agent-07: LostContact, build Unknown"),
            ("b", "Agent build-agent-07: LostContact, build Unknown"),
            ("a", "elastic true"),
            ("b", "mac false"),
            ("a", "Agent mac-mini-3: Building, build Building"),
            ("b", "Agent mac-mini-3: Building, build Building"),
            ("a", "Agent build-agent-04: LostContact, build Building"),
            ("b", "Agent build-agent-04: LostContact, build Building"),
        ]
        .map(|(t, x)| (t.to_owned(), x.to_owned()))
    );
}

#[test]
fn lost_and_back_match_only_with_their_transition() {
    let sets = both! {
        target ops;
        on agent lost => send(ops, "{agent.host_name} lost contact ({transition})");
        on agent back => send(ops, "{agent.host_name} is back ({transition})");
        on agent not lost not back => send(ops, "no change [{transition}]");
    };
    let one = [agent("agent-lost-contact.json")];
    assert_eq!(texts(run(&sets, &one)), ["no change []"]);
    assert_eq!(
        texts(run_with(&sets, &one, Some(AgentTransition::Lost), None)),
        ["build-agent-07 lost contact (lost)"]
    );
    assert_eq!(
        texts(run_with(&sets, &one, Some(AgentTransition::Back), None)),
        ["build-agent-07 is back (back)"]
    );
    // Without history, `evaluate_agent` never matches them.
    assert_eq!(pairs(&sets.1.evaluate_agent(&one[0])).len(), 1);
}

#[test]
fn every_placeholder_renders() {
    let sets = both! {
        target t;
        on agent => send(t, "{agent.uuid}|{agent.host_name}|{agent.ip_address}|{agent.os}|{agent.free_space}|{agent.state}|{agent.build_state}|{agent.config_state}|{agent.elastic}|{agent.transition_time}|{transition}|{link}");
    };
    let agents = [
        agent("agent-lost-contact.json"),
        agent("own-wrapped-agent.json"),
    ];
    assert_eq!(
        texts(run_with(
            &sets,
            &agents,
            Some(AgentTransition::Lost),
            Some("https://ci.example.org/go/")
        )),
        [
            "0b9e6c1a-7d42-4f0e-9a55-3c2e8d71b6aa|build-agent-07|10.0.4.17|Ubuntu 22.04.4 LTS|41.8 GB|LostContact|Unknown|Enabled|false|2024-05-14T10:02:33.871Z|lost|https://ci.example.org/go/agents/0b9e6c1a-7d42-4f0e-9a55-3c2e8d71b6aa/job_run_history",
            "c0ffee00-1111-2222-3333-444455556666|mac-mini-3||Mac OS X|120.5 GB|Building|Building|Enabled|false|2024-08-01T10:00:05.123Z|lost|https://ci.example.org/go/agents/c0ffee00-1111-2222-3333-444455556666/job_run_history",
        ]
    );
    // No server address: `{link}` is empty.
    let none = texts(run(&sets, &agents[..1]));
    assert!(
        none[0].ends_with("|false|2024-05-14T10:02:33.871Z||"),
        "{none:?}"
    );
}

#[test]
fn guards_take_the_agent_status() {
    let compiled = rules! {
        target t;
        on agent if |a: &AgentStatus| a.free_space.as_deref() == Some("41.8 GB") => send(t, "low disk");
        on agent not elastic if |a: &AgentStatus| a.agent_state == AgentState::Building => send(t, "building");
    };
    let out: Vec<String> = all()
        .iter()
        .flat_map(|a| pairs(&compiled.evaluate_agent(a)))
        .map(|(_, t)| t)
        .collect();
    assert_eq!(out, ["low disk", "building"]);
}

#[test]
fn stage_and_agent_rules_never_match_the_other_kind() {
    let sets = both! {
        target t;
        on any => send(t, "stage {pipeline.name}");
        on agent => send(t, "agent {agent.host_name}");
        on state Failed => send(t, "failed");
    };
    let s = stage("v4-deploy-failed.json");
    let a = agent("agent-lost-contact.json");
    for rules in [&sets.0, &sets.1] {
        assert!(rules.has_agent_rules());
        assert_eq!(rules.len(), 3);
        let made = rules.evaluate(&s);
        assert_eq!(pairs(&made).len(), 2);
        assert!(made.iter().all(|d| d.agent().is_none()));
        let made = rules.evaluate_agent(&a);
        assert_eq!(
            pairs(&made),
            [("t".to_owned(), "agent build-agent-07".to_owned())]
        );
        // Agent rules count from 0 among themselves.
        assert_eq!(made[0].rule_index(), 0);
        assert!(std::ptr::eq(made[0].agent().unwrap(), &a));
        assert!(made[0].status().is_none());
    }
    let stage_only = RuleSet::parse("target t; on any => send(t);").unwrap();
    assert!(!stage_only.has_agent_rules());
    assert!(stage_only.evaluate_agent(&a).is_empty());
}

#[test]
fn shared_agent_deliveries_share_the_body_and_keep_their_key() {
    let sets = both! {
        target ops, audit;
        on agent lost => send(ops, "{agent.host_name} lost"), send(audit, "{agent.host_name} lost");
    };
    let a = Arc::new(agent("agent-lost-contact.json"));
    for rules in [&sets.0, &sets.1] {
        let made = rules.evaluate_agent_shared(&a, Some(AgentTransition::Lost), None);
        assert_eq!(made.len(), 2);
        assert!(made.iter().all(|d| std::ptr::eq(d.agent().unwrap(), &*a)));
        assert!(made.iter().all(|d| !d.is_borrowed()));
        assert_eq!(made[1].agent_transition(), Some(AgentTransition::Lost));
        assert_eq!(made[1].transition(), None);
        assert_eq!(
            made[1].idempotency_key(),
            "agent/0b9e6c1a-7d42-4f0e-9a55-3c2e8d71b6aa/LostContact/Unknown/Enabled/1715680953871/r0a1/audit"
        );
        // Owned from borrowed: copied once, same delivery.
        let borrowed = rules.evaluate_agent_with(&a, Some(AgentTransition::Lost), None);
        let owned: Vec<Delivery<'static>> =
            borrowed.into_iter().map(Delivery::into_owned).collect();
        assert_eq!(owned, made);
    }
}

#[test]
fn explain_says_why_each_agent_rule_did_or_did_not_match() {
    let rules = RuleSet::parse(
        "target t;\n\
         on agent host \"win-*\" => send(t);\n\
         on agent not elastic state Idle => send(t);\n\
         on agent lost => send(t);\n\
         on agent config Enabled => stop;\n\
         on agent => send(t);",
    )
    .unwrap();
    let why = rules
        .explain_agent(&agent("agent-lost-contact.json"))
        .unwrap();
    let lines: Vec<String> = why.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            r#"rule 1 (line 2): no match: `host "win-*"` saw agent.host_name = "build-agent-07""#,
            "rule 2 (line 3): no match: `state Idle` saw agent.state = LostContact",
            "rule 3 (line 4): no match: `lost` saw no transition (no history)",
            "rule 4 (line 5): matched, and stops later rules",
            "rule 5 (line 6): not tried: an earlier rule stopped",
        ]
    );
    let elastic = rules
        .explain_agent(&agent("own-agent-unknown-enums.json"))
        .unwrap();
    assert_eq!(
        elastic[1].to_string(),
        "rule 2 (line 3): no match: `not elastic` saw agent.elastic = true"
    );
    let compiled = rules! { target t; on agent => send(t); };
    assert!(compiled
        .explain_agent(&agent("agent-lost-contact.json"))
        .is_none());
}
