//! E-mail threads: every message about one pipeline run answers the run's
//! first message (`In-Reply-To`, `References`), so mail clients group them.
//! The first message's `Message-ID` is kept in the state store's key-value
//! area, so a restart or another replica threads under the same one.

use crate::deliver::context::run_key;
use crate::rules::Delivery;
use crate::state::KeyValue;
use crate::util::now_unix;

/// The space of the runs' first messages.
const SPACE: &str = "email-thread";
/// How long a run's first message is remembered: as long as Slack's.
const KEPT_SECS: u64 = 30 * 24 * 3600;

/// The `Message-ID` a message about `d`'s run replies to, `own` being its
/// own: `None` for the run's first message (the first to claim the run,
/// or a retry of it) and for an agent delivery. When the store cannot be
/// read the message goes out unthreaded rather than not at all.
pub(super) fn replies_to(kv: &KeyValue<'_>, d: &Delivery, own: &str) -> Option<String> {
    let key = run_key(d)?;
    let first = match kv.get(SPACE, &key) {
        Ok(Some(first)) => first,
        Ok(None) => {
            let until = now_unix().saturating_add(KEPT_SECS);
            match kv.insert_new(SPACE, &key, own.as_bytes(), Some(until)) {
                Ok(true) => return None,
                // Another message of the run claimed it first.
                Ok(false) => kv.get(SPACE, &key).ok().flatten()?,
                Err(e) => return unthreaded(&e),
            }
        }
        Err(e) => return unthreaded(&e),
    };
    let first = String::from_utf8(first).ok()?;
    (first != own).then_some(first)
}

fn unthreaded(e: &crate::state::StoreError) -> Option<String> {
    tracing::warn!(error = %e, "an e-mail goes out without its run's thread");
    None
}
