//! Evaluates the team's rule file (compiled in with `rules_file!`) on one GoCD
//! stage-status or agent-status body, raw or wrapped by a webhook forwarder,
//! and prints the deliveries it would make.
//!
//! ```text
//! cargo run --example team -- tests/payloads/v4-deploy-failed.json
//! cargo run --example team -- tests/payloads/agent-lost-contact.json
//! ```

use std::process::ExitCode;

use notify_rules::{protocol, rules_file, RuleSet};

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: team <notification.json>");
        return ExitCode::from(2);
    };
    let body = match std::fs::read_to_string(&path) {
        Ok(body) => body,
        Err(e) => {
            eprintln!("cannot read {}: {e}", path.to_string_lossy());
            return ExitCode::FAILURE;
        }
    };
    // Raw GoCD bodies and the webhook forwarders' `{"type","data"}` wrapper alike.
    let notification = match protocol::parse_notification(&body) {
        Ok(received) => received.notification,
        Err(e) => {
            eprintln!("{}: {e}", path.to_string_lossy());
            return ExitCode::FAILURE;
        }
    };
    let rules: RuleSet = rules_file!("examples/rules/team.rules");
    // No history here: `lost` and `back` need the one a `Plugin` keeps
    // (`notify-rules run` shows them), so only the other agent rules match.
    let deliveries = match &notification {
        protocol::Notification::Stage(status) => rules.evaluate(status),
        protocol::Notification::Agent(agent) => rules.evaluate_agent(agent),
        protocol::Notification::EmptyAgent => {
            println!("agent-status with no fields (the getsentry forwarder's), nothing to deliver");
            return ExitCode::SUCCESS;
        }
    };
    if deliveries.is_empty() {
        println!("no deliveries");
    }
    for d in &deliveries {
        println!("{}: {}", d.target(), d.text());
    }
    ExitCode::SUCCESS
}
