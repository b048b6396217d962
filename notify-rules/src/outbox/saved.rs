//! What the outbox file holds, and how a delivery is rebuilt from it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::Entry;
use crate::model::StageStatus;
use crate::rules::{Delivery, Transition};

/// What the file holds: a delivery waiting, or one that left the outbox.
#[derive(Serialize, Deserialize)]
pub(super) enum Line {
    #[serde(rename = "add")]
    Add(Box<Saved>),
    #[serde(rename = "done")]
    Done(String),
}

#[derive(Serialize, Deserialize)]
pub(super) struct Saved {
    pub(super) key: String,
    target: String,
    text: String,
    transition: Option<String>,
    rule: u32,
    action: u32,
    added: u64,
    attempts: u32,
    /// When to try next, in seconds since the epoch; files from before it was
    /// kept say 0 (due at once).
    #[serde(default)]
    next: u64,
    notification: StageStatus,
}

fn transition_from(text: Option<&str>) -> Option<Transition> {
    [
        Transition::Broken,
        Transition::Fixed,
        Transition::StillFailing,
    ]
    .into_iter()
    .find(|t| Some(t.as_str()) == text)
}

/// Rebuilds a saved delivery with the same rule and action, so its text,
/// transition and idempotency key are what they were.
pub(super) fn restore(saved: Box<Saved>) -> (Delivery<'static>, u64, u32, u64) {
    let Saved {
        target,
        text,
        transition,
        rule,
        action,
        added,
        attempts,
        next,
        notification,
        ..
    } = *saved;
    let transition = transition_from(transition.as_deref());
    let delivery = Delivery::restored(
        target,
        text,
        Arc::new(notification),
        transition,
        rule,
        action,
    );
    (delivery, added, attempts, next)
}

pub(super) fn saved_line(entry: &Entry) -> Line {
    let d = &entry.delivery;
    Line::Add(Box::new(Saved {
        key: entry.key.clone(),
        target: d.target().to_owned(),
        text: d.text().to_owned(),
        transition: d.transition().map(|t| t.as_str().to_owned()),
        rule: d.rule_index() as u32,
        action: d.action_index() as u32,
        added: entry.added_unix,
        attempts: entry.attempts,
        next: entry.next_unix,
        // Material URLs may carry credentials (`https://deploy:pw@host/x.git?
        // private_token=..`): the file keeps them out. The key and the text do
        // not depend on them (the text was rendered, with URLs redacted, when
        // the rules ran).
        notification: d.status().redacted(),
    }))
}
