//! What the database stores share: how a stage is named in their tables, how
//! a transition is told from the run before, what an outbox row becomes.

use chrono::{DateTime, Utc};

use super::{GaveUp, StoreError, Waiting, WaitingEntry};
use crate::model::{AgentState, StageState};
use crate::rules::Transition;
use crate::state::outbox::saved;

/// Handled records older than this are forgotten: a forwarder retries within
/// minutes, and GoCD does not send a stage's notification again a month on.
pub(crate) const HANDLED_KEPT_MS: i64 = 30 * 24 * 3600 * 1000;

/// How often (in notifications recorded) old handled records are pruned.
pub(crate) const PRUNE_EVERY: u64 = 1024;

/// Agent-status notifications kept as handled (besides for at most
/// [`HANDLED_KEPT_MS`]): a repeat comes within minutes, and elastic agents
/// make a new `uuid` per job.
pub(crate) const AGENT_HANDLED_KEPT: i64 = 100_000;

/// `agent_handled.transition_time` of an agent-status that had none: the
/// column is in a unique key, where NULLs would never be alike.
pub(crate) const NOT_SENT: i64 = i64::MIN;

/// A `transition_time` as the tables keep it: microseconds since 1970.
pub(crate) fn micros(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(|t| t.timestamp_micros())
}

/// The newest state of an agent read back from `agent_runs`.
pub(crate) fn agent_last(state: &str, time: Option<i64>) -> (AgentState, Option<DateTime<Utc>>) {
    (
        AgentState::from_wire(state),
        time.and_then(DateTime::from_timestamp_micros),
    )
}

/// A stage in the tables: `pipeline/stage` in lower case (GoCD's names are
/// case-insensitive and cannot hold `/`).
pub(crate) fn stage_key(pipeline: &str, stage: &str) -> String {
    // The time tables name stages the same way, in every store.
    super::time::subject(pipeline, stage)
}

/// Whether the run passed, for the states that count in history.
pub(crate) fn passed(state: &StageState) -> Option<bool> {
    match state {
        StageState::Passed => Some(true),
        StageState::Failed => Some(false),
        _ => None,
    }
}

/// The transition a completed run makes after the one before it.
pub(crate) fn transition(passed: bool, previous: Option<bool>) -> Option<Transition> {
    match (passed, previous) {
        (false, None | Some(true)) => Some(Transition::Broken),
        (false, Some(false)) => Some(Transition::StillFailing),
        (true, Some(false)) => Some(Transition::Fixed),
        (true, None | Some(true)) => None,
    }
}

/// An outbox row read back: a delivery to send, or, when the stored delivery
/// cannot be read any more, a reason to give it up.
pub(crate) fn waiting(id: i64, key: String, target: String, json: &str) -> Result<Waiting, GaveUp> {
    match saved::from_json(&target, json) {
        Ok(delivery) => Ok(Waiting {
            id: id as u64,
            delivery,
        }),
        Err(e) => Err(GaveUp {
            target,
            key,
            reason: format!("the stored delivery cannot be read: {e}"),
        }),
    }
}

/// A row of `outbox list`; times in milliseconds in the table, seconds here.
pub(crate) fn entry(
    key: String,
    target: String,
    attempts: i64,
    last_error: Option<String>,
    next_ms: i64,
) -> WaitingEntry {
    WaitingEntry {
        key,
        target,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        last_error,
        next_attempt: u64::try_from(next_ms / 1000).unwrap_or(0),
    }
}

/// A schema newer than this build knows: refused, saying so.
pub(crate) fn newer_schema(place: &str, found: i64, known: usize) -> StoreError {
    StoreError::lasting(
        place,
        format!(
            "its schema is version {found}, newer than this notify-rules knows ({known}): it was \
             written by a newer release; run that release, or give this one another store"
        ),
    )
}

/// Milliseconds as a store keeps a duration.
pub(crate) fn ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// An outbox entry's id: its idempotency key's FNV-1a hash (64 bits, the
/// published constants), less its lowest bit so that it is a positive
/// 64-bit integer. Fixed here rather than taken from a hasher whose output
/// may change between releases: the ids are kept in the database.
pub(crate) fn outbox_id(key: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h >> 1) as i64
}

/// The id tried after `id` when another key has it.
pub(crate) fn next_id(id: i64) -> i64 {
    id.wrapping_add(1) & i64::MAX
}

/// The entries one claim takes, from the due rows `(id, key, target,
/// delivery)` oldest first: at most `per_target` for each target; those that
/// cannot be read any more are given up.
#[derive(Default)]
pub(crate) struct Picked {
    pub(crate) claimed: Vec<Waiting>,
    /// The ids to lease, those of `claimed`.
    pub(crate) leased: Vec<i64>,
    /// The ids to delete, those given up.
    pub(crate) unreadable: Vec<i64>,
    pub(crate) gave_up: Vec<GaveUp>,
}

pub(crate) fn pick(due: Vec<(i64, String, String, String)>, per_target: usize) -> Picked {
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    let mut picked = Picked::default();
    for (id, key, target, json) in due {
        let count = counts.entry(target.clone()).or_insert(0);
        if *count >= per_target {
            continue;
        }
        match waiting(id, key, target, &json) {
            Ok(w) => {
                *count += 1;
                picked.leased.push(id);
                picked.claimed.push(w);
            }
            Err(gave_up) => {
                picked.unreadable.push(id);
                picked.gave_up.push(gave_up);
            }
        }
    }
    picked
}
