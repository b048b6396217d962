// Every clause, pattern kind and placeholder of agent rules in `rules!`.
use notify_rules::model::AgentStatus;
use notify_rules::{rules, RuleSet};

fn is_big_disk(a: &AgentStatus) -> bool {
    a.free_space.as_deref().is_some_and(|f| f.ends_with("TB"))
}

fn main() {
    let rules: RuleSet = rules! {
        target ops, infra;

        on agent lost => send(ops, "Agent {agent.host_name} ({agent.ip_address}) lost contact");
        on agent back => send(ops, "Agent {agent.host_name} is {transition}: {link}");
        on agent host "win-*" | regex("mac-.*") config Disabled | pending => send(infra);
        on agent not elastic build_state Cancelled | Idle => send(infra, "{agent.uuid} {agent.os} {agent.free_space}");
        on agent ip "10.0.*" os "*linux*" state Idle | Building | LostContact | Missing | Unknown => send(infra, "{agent.state} {agent.build_state} {agent.config_state} {agent.elastic} {agent.transition_time}");
        on agent if is_big_disk not config Enabled => stop;
        on agent if |a: &AgentStatus| a.is_elastic => send(ops);
        on agent => send(infra);
        on any => send(ops);
    };
    assert_eq!(rules.targets(), ["ops", "infra"]);
    assert!(rules.uses_link());
    assert!(rules.has_agent_rules());
    assert_eq!(rules.len(), 9);
}
