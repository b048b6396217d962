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
    Ok(Delivery::restored_from(
        target.to_owned(),
        saved.text,
        source,
        transition,
        saved.rule,
        saved.action,
    ))
}
