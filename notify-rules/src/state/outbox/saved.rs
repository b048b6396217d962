//! A delivery as a database keeps it in the outbox, and how it is rebuilt.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::model::{AgentStatus, StageStatus};
use crate::rules::{Change, Delivery, Source};

/// What the `delivery` column holds, as JSON: enough to rebuild the delivery
/// with the same text, transition and idempotency key. A stage delivery keeps
/// its stage-status under `notification` (the form older versions wrote), an
/// agent delivery its agent-status under `agent`.
#[derive(Serialize, Deserialize)]
struct Saved {
    text: String,
    transition: Option<String>,
    rule: u32,
    action: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    notification: Option<StageStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    agent: Option<AgentStatus>,
    /// A reminder's or digest's tag (see `Delivery::retold`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tag: Option<String>,
}

/// The JSON a database keeps for a delivery.
pub(crate) fn to_json(d: &Delivery) -> String {
    let saved = Saved {
        text: d.text().to_owned(),
        transition: d.change().map(|t| t.as_str().to_owned()),
        rule: d.rule_index() as u32,
        action: d.action_index() as u32,
        // Material URLs may carry credentials (`https://deploy:pw@host/x.git?
        // private_token=..`): the database keeps them out. The key and the
        // text do not depend on them (the text was rendered, with URLs
        // redacted, when the rules ran).
        notification: d.status().map(StageStatus::redacted),
        agent: d.agent().cloned(),
        tag: d.tag().map(str::to_owned),
    };
    // A struct of strings, numbers and a model that serializes: cannot fail.
    serde_json::to_string(&saved).unwrap_or_default()
}

/// Rebuilds a delivery for `target` from [`to_json`]'s text.
pub(crate) fn from_json(target: &str, json: &str) -> Result<Delivery<'static>, serde_json::Error> {
    let saved: Saved = serde_json::from_str(json)?;
    let (source, agent) = match (saved.notification, saved.agent) {
        (Some(status), _) => (Source::Shared(Arc::new(status)), false),
        (None, Some(agent)) => (Source::AgentShared(Arc::new(agent)), true),
        (None, None) => {
            return Err(serde::de::Error::custom(
                "a saved delivery holds neither a `notification` nor an `agent`",
            ))
        }
    };
    let transition = saved
        .transition
        .as_deref()
        .and_then(|t| Change::from_str(t, agent));
    let delivery = Delivery::restored_from(
        target.to_owned(),
        saved.text.clone(),
        source,
        transition,
        saved.rule,
        saved.action,
    );
    Ok(match saved.tag {
        Some(tag) => delivery.retold(saved.text, Some(tag)),
        None => delivery,
    })
}

/// A stage-status as the time tables keep it (a reminder's notification):
/// redacted, as the outbox keeps one.
pub(crate) fn status_to_json(status: &StageStatus) -> String {
    serde_json::to_string(&status.redacted()).unwrap_or_default()
}

/// A stage-status read back from [`status_to_json`]'s text.
pub(crate) fn status_from_json(json: &str) -> Result<StageStatus, serde_json::Error> {
    serde_json::from_str(json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::test_support::status;
    use crate::rules::Transition;
    use crate::AgentTransition;

    const AGENT: &str = r#"{"uuid":"0b9e","host_name":"agent-7","is_elastic":true,"ip_address":"10.0.4.17",
      "operating_system":"Linux","free_space":"41.8 GB","agent_config_state":"Enabled",
      "agent_state":"LostContact","build_state":"Unknown","transition_time":"2024-05-14T10:02:33.871+0000"}"#;

    #[test]
    fn an_agent_delivery_comes_back_with_its_body_transition_and_key() {
        let agent: AgentStatus = serde_json::from_str(AGENT).unwrap();
        let rules = crate::RuleSet::parse(
            "target ops; on any => send(ops); on agent lost => send(ops, \"{agent.host_name} lost\");",
        )
        .unwrap();
        let d = rules
            .evaluate_agent_shared(&Arc::new(agent), Some(AgentTransition::Lost), None)
            .remove(0);
        let json = to_json(&d);
        assert!(!json.contains("\"notification\""), "{json}");
        let back = from_json("ops", &json).unwrap();
        assert_eq!(back, d);
        assert_eq!(back.agent(), d.agent());
        assert_eq!(back.agent_transition(), Some(AgentTransition::Lost));
        assert_eq!(back.idempotency_key(), d.idempotency_key());
        assert_eq!(back.text(), "agent-7 lost");
    }

    #[test]
    fn stage_entries_read_as_before() {
        let s = status("shop", 3, "deploy", 1, "Failed");
        // What earlier versions wrote: the stage-status under `notification`.
        let old = format!(
            r#"{{"text":"t","transition":"broken","rule":2,"action":1,"notification":{}}}"#,
            serde_json::to_string(&s).unwrap()
        );
        let d = from_json("ops", &old).unwrap();
        assert_eq!(d.status(), Some(&s));
        assert_eq!(d.transition(), Some(Transition::Broken));
        assert_eq!(d.idempotency_key(), "shop/3/deploy/1/Failed/r2a1/ops");
        assert_eq!(from_json("ops", &to_json(&d)).unwrap(), d);
        let neither = from_json(
            "ops",
            r#"{"text":"t","transition":null,"rule":0,"action":0}"#,
        );
        assert!(neither.unwrap_err().to_string().contains("neither"));
    }
}
