//! A delivery as a database keeps it in the outbox, and how it is rebuilt.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::model::StageStatus;
use crate::rules::{Delivery, Transition};

/// What the `delivery` column holds, as JSON: enough to rebuild the delivery
/// with the same text, transition and idempotency key.
#[derive(Serialize, Deserialize)]
struct Saved {
    text: String,
    transition: Option<String>,
    rule: u32,
    action: u32,
    notification: StageStatus,
}

/// The JSON a database keeps for a delivery.
pub(crate) fn to_json(d: &Delivery) -> String {
    let saved = Saved {
        text: d.text().to_owned(),
        transition: d.transition().map(|t| t.as_str().to_owned()),
        rule: d.rule_index() as u32,
        action: d.action_index() as u32,
        // Material URLs may carry credentials (`https://deploy:pw@host/x.git?
        // private_token=..`): the database keeps them out. The key and the
        // text do not depend on them (the text was rendered, with URLs
        // redacted, when the rules ran).
        notification: d.status().redacted(),
    };
    // A struct of strings, numbers and a model that serializes: cannot fail.
    serde_json::to_string(&saved).unwrap_or_default()
}

/// Rebuilds a delivery for `target` from [`to_json`]'s text.
pub(crate) fn from_json(target: &str, json: &str) -> Result<Delivery<'static>, serde_json::Error> {
    let saved: Saved = serde_json::from_str(json)?;
    let transition = [
        Transition::Broken,
        Transition::Fixed,
        Transition::StillFailing,
    ]
    .into_iter()
    .find(|t| Some(t.as_str()) == saved.transition.as_deref());
    Ok(Delivery::restored(
        target.to_owned(),
        saved.text,
        Arc::new(saved.notification),
        transition,
        saved.rule,
        saved.action,
    ))
}
