//! Which Slack message belongs to which pipeline run, in the state store's
//! key-value area, so that a restart or another replica finds it; and how
//! two replicas agree on who posts a run's first message.
//!
//! The slot of a run (target, pipeline, pipeline counter) is claimed with
//! an atomic insert ("posting by this delivery until t") before the first
//! message is posted, and holds the message's `channel` and `ts` once it
//! is. A delivery that finds the slot claimed by another waits a little for
//! the `ts`, and otherwise fails retryably: the outbox tries it again, and
//! then it updates (or replies to) the message. A claim whose poster died
//! ends with its expiry.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::api::Posted;
use crate::deliver::NotifyError;
use crate::state::{KeyValue, StoreError};
use crate::util::now_unix;

/// The space of the run slots.
const SPACE: &str = "slack-app";
/// The space of the replies made, by delivery, so that a delivery tried
/// again after its reply went out does not reply twice.
const REPLIES: &str = "slack-app-reply";
/// How long a run's message is remembered: runs are rarely still going, or
/// re-run, a month on.
pub(super) const KEPT: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long a reply is remembered: longer than the outbox keeps anything.
const REPLY_KEPT: Duration = Duration::from_secs(2 * 24 * 3600);
/// How often a claimed slot is looked at while waiting for its `ts`.
const POLL: Duration = Duration::from_millis(100);

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Slot {
    Posted { channel: String, ts: String },
    Posting { by: String, until: u64 },
}

/// Who is to post a run's first message.
pub(super) enum First {
    /// This delivery: its slot is claimed.
    Mine,
    /// It is posted already.
    Existing(Posted),
}

fn store_error(e: StoreError) -> NotifyError {
    NotifyError::retryable(format!("cannot remember the run's Slack message: {e}"))
}

fn read(kv: &KeyValue<'_>, key: &str) -> Result<Option<Option<Slot>>, NotifyError> {
    let value = kv.get(SPACE, key).map_err(store_error)?;
    Ok(value.map(|v| serde_json::from_slice(&v).ok()))
}

fn encode(slot: &Slot) -> Vec<u8> {
    // Strings and a number: cannot fail.
    serde_json::to_vec(slot).unwrap_or_default()
}

/// Claims the run's slot for the delivery `me`, or finds its message;
/// waits at most `wait` for another poster's `ts`. A claim holds for
/// `claim`.
pub(super) fn first_or_existing(
    kv: &KeyValue<'_>,
    key: &str,
    me: &str,
    claim: Duration,
    wait: Duration,
) -> Result<First, NotifyError> {
    let deadline = std::time::Instant::now() + wait;
    loop {
        match read(kv, key)? {
            Some(Some(Slot::Posted { channel, ts })) => {
                return Ok(First::Existing(Posted { channel, ts }))
            }
            // An earlier try of this very delivery, which the outbox lets
            // no one else make at the same time.
            Some(Some(Slot::Posting { by, .. })) if by == me => return Ok(First::Mine),
            Some(Some(Slot::Posting { .. })) => {}
            Some(None) => {
                tracing::warn!(key, "an unreadable Slack message slot is replaced");
                let until = now_unix().saturating_add(claim.as_secs());
                let mine = encode(&Slot::Posting {
                    by: me.to_owned(),
                    until,
                });
                kv.put(SPACE, key, &mine, Some(until))
                    .map_err(store_error)?;
                return Ok(First::Mine);
            }
            None => {
                let until = now_unix().saturating_add(claim.as_secs());
                let mine = encode(&Slot::Posting {
                    by: me.to_owned(),
                    until,
                });
                if kv
                    .insert_new(SPACE, key, &mine, Some(until))
                    .map_err(store_error)?
                {
                    return Ok(First::Mine);
                }
                // Taken in between: look again at once.
                continue;
            }
        }
        if std::time::Instant::now() >= deadline {
            return Err(NotifyError::retryable(
                "the run's first Slack message is being posted elsewhere (another replica, or \
                 another delivery): tried again once it is",
            )
            .retry_after(Duration::from_secs(1)));
        }
        std::thread::sleep(POLL);
    }
}

/// The run's message is `posted`: later deliveries update or reply to it.
pub(super) fn remember(kv: &KeyValue<'_>, key: &str, posted: &Posted) {
    let slot = Slot::Posted {
        channel: posted.channel.clone(),
        ts: posted.ts.clone(),
    };
    let until = now_unix().saturating_add(KEPT.as_secs());
    if let Err(e) = kv.put(SPACE, key, &encode(&slot), Some(until)) {
        // The message went out: failing the delivery would post it again.
        // The claim runs out, and the run's next delivery posts a new one.
        tracing::warn!(error = %e, key, "the Slack message of a run could not be remembered");
    }
}

/// The first post failed: the slot is let go, if it is still this
/// delivery's, so that another may post at once.
pub(super) fn let_go(kv: &KeyValue<'_>, key: &str, me: &str) {
    if let Ok(Some(Some(Slot::Posting { by, .. }))) = read(kv, key) {
        if by == me {
            let _ = kv.remove(SPACE, key);
        }
    }
}

/// Whether the delivery `me` has made its reply already.
pub(super) fn replied(kv: &KeyValue<'_>, me: &str) -> Result<bool, NotifyError> {
    Ok(kv.get(REPLIES, me).map_err(store_error)?.is_some())
}

/// The delivery `me` has made its reply, `ts`.
pub(super) fn reply_made(kv: &KeyValue<'_>, me: &str, ts: &str) {
    let until = now_unix().saturating_add(REPLY_KEPT.as_secs());
    if let Err(e) = kv.put(REPLIES, me, ts.as_bytes(), Some(until)) {
        tracing::warn!(error = %e, "a Slack reply could not be remembered");
    }
}
