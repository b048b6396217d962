//! What the time forms keep in the store (reminders, throttle state, held
//! messages, silences), and how a notification's transaction and the
//! scheduler's tick use it. The memory store implements [`TimeStore`] in
//! `memory_time.rs`; the database stores share `decide_time.rs` (the
//! statements are `sql.rs`'s), each giving its transaction in
//! `sqlite/time.rs`, `postgres/time.rs`. The tables are the `v3.sql`
//! migrations.
//!
//! Times here are the plugin's clock's ([`Clock`](crate::time::Clock)), in
//! milliseconds since 1970, given by the caller: the outbox keeps the real
//! clock, the time forms a clock a test may move.

use super::{Recorded, StoreError};
use crate::history::{AgentRun, AgentSeen, Seen, StageRun};
use crate::model::StageStatus;
use crate::rules::Delivery;
use crate::time::{NewSilence, Silence};

/// How many due reminders (and held messages) one tick takes at most: the
/// rest wait for the next tick, so one tick's transaction stays short.
pub(crate) const TICK_LIMIT: i64 = 256;

/// Throttles not sent through for this long are forgotten: an elastic
/// agent's uuid is new for every job, so an agent rule's `every` would
/// otherwise keep a row per agent for ever. (An `every` longer than this
/// lets the next delivery through early.)
pub(crate) const THROTTLES_KEPT_MS: i64 = 90 * 24 * 3600 * 1000;

/// A reminder that a rule's `remind` started.
pub(crate) struct NewReminder {
    /// The stage, as [`subject`] names it.
    pub(crate) stage: String,
    pub(crate) rule: u32,
    pub(crate) remind: u32,
    pub(crate) target: String,
    /// When the rule fired.
    pub(crate) started: i64,
    /// Its interval, in milliseconds (at least 1).
    pub(crate) every: i64,
    /// The notification that started it, as the outbox keeps one.
    pub(crate) status: String,
}

/// A held message: a delivery made while its rule's window was closed.
pub(crate) struct NewHeld {
    pub(crate) window: String,
    pub(crate) target: String,
    /// When it was held.
    pub(crate) at: i64,
    /// When its window next opens: its digest is due then.
    pub(crate) release: i64,
    pub(crate) text: String,
    /// The delivery, as the outbox keeps one.
    pub(crate) delivery: String,
}

/// Something the tick found due.
pub(crate) enum Due {
    /// A reminder, its `n`-th (1, 2, ...), and its row.
    Reminder {
        id: i64,
        rule: u32,
        remind: u32,
        target: String,
        started: i64,
        n: u32,
        status: Box<StageStatus>,
    },
    /// The messages held for one target outside one window, oldest first,
    /// each with its time, text and delivery (the outbox's JSON).
    Digest {
        window: String,
        target: String,
        release: i64,
        held: Vec<(i64, String, String)>,
    },
}

/// The time forms' tables inside a notification's transaction.
pub(crate) trait TimeTx {
    /// Whether a delivery under this throttle goes out at `now`: `Some(n)`
    /// (`n` dropped since the last one, reset now), or `None` (dropped, and
    /// counted).
    fn throttle(
        &mut self,
        rule: u32,
        target: &str,
        subject: &str,
        now: i64,
        every: i64,
    ) -> Result<Option<u64>, StoreError>;
    /// Keeps a message for its window's digest.
    fn hold(&mut self, held: &NewHeld) -> Result<(), StoreError>;
    /// Starts a reminder; one of the same stage, rule, action and target
    /// already open goes on as it was.
    fn start_reminder(&mut self, reminder: &NewReminder) -> Result<(), StoreError>;
    /// Ends every reminder of a stage (it completed `Passed`).
    fn end_reminders(&mut self, stage: &str) -> Result<(), StoreError>;
    /// The silences active at `now`.
    fn silences(&mut self, now: i64) -> Result<Vec<Silence>, StoreError>;
}

/// What a notification's transaction runs after evaluating: the deliveries
/// to write ahead (some dropped, held or changed).
pub(crate) type TimeHook<'a> = &'a mut dyn FnMut(
    &mut dyn TimeTx,
    Vec<Delivery<'static>>,
) -> Result<Vec<Delivery<'static>>, StoreError>;

/// A notification to record with the time forms, and what evaluates it.
pub(crate) enum Notified<'a, 'r> {
    Stage(
        &'a StageRun<'r>,
        &'a mut dyn FnMut(Seen) -> Vec<Delivery<'static>>,
    ),
    Agent(
        &'a AgentRun<'r>,
        &'a mut dyn FnMut(AgentSeen) -> Vec<Delivery<'static>>,
    ),
}

/// What the plugin made of something the tick found due.
pub(crate) enum Rendered {
    /// The delivery to write ahead.
    Deliver(Delivery<'static>),
    /// Nothing this time (silenced): a reminder's next one stays due.
    Skip,
    /// A reminder whose rule is gone (the rules were reloaded since): it
    /// ends, in the tick's transaction.
    End,
}

/// Renders what the tick found due, with the silences active then (read in
/// the tick's transaction, and only when something is due).
pub(crate) type Render<'a> = &'a mut dyn FnMut(Due, &[Silence]) -> Rendered;

/// The time forms' side of a state store.
pub(crate) trait TimeStore {
    /// Records a notification as [`StateStore::record`](super::StateStore::record)
    /// (a stage's) or [`StateStore::record_agent`](super::StateStore::record_agent)
    /// (an agent's) does, running `hook` on the deliveries in the same
    /// transaction.
    fn record_timed(
        &self,
        run: Notified<'_, '_>,
        hook: TimeHook<'_>,
    ) -> Result<Recorded, StoreError>;

    /// Takes what is due at `now` (reminders, moved on to their next time;
    /// held messages whose window has opened), renders it and writes it
    /// ahead to the outbox, claimed for the caller, in one transaction;
    /// with several replicas, only one takes each. Nothing due costs a read
    /// through the due-time indexes.
    fn tick(&self, now: i64, render: Render<'_>) -> Result<Recorded, StoreError>;

    /// Open reminders and held messages, for tests and `explain`.
    fn time_counts(&self) -> Result<(usize, usize), StoreError>;

    /// When the next reminder or digest is due, if any: a simulated clock
    /// (`notify-rules test`) is moved to each in turn.
    fn next_due(&self) -> Result<Option<i64>, StoreError>;

    /// Adds a silence; its id.
    fn silence_add(&self, silence: &NewSilence, now: i64) -> Result<u64, StoreError>;
    /// The silences active at `now`, oldest first.
    fn silences(&self, now: i64) -> Result<Vec<Silence>, StoreError>;
    /// Ends a silence now; whether it was active.
    fn silence_expire(&self, id: u64, now: i64) -> Result<bool, StoreError>;
}

/// Held messages taken from the store, in the order taken, as one digest
/// per window and target, each oldest first.
pub(crate) fn digests(held: impl IntoIterator<Item = NewHeld>) -> Vec<Due> {
    let mut digests: Vec<Due> = Vec::new();
    for h in held {
        let found = digests.iter_mut().find_map(|d| match d {
            Due::Digest {
                window,
                target,
                held,
                ..
            } if *window == h.window && *target == h.target => Some(held),
            _ => None,
        });
        match found {
            Some(held) => held.push((h.at, h.text, h.delivery)),
            None => digests.push(Due::Digest {
                window: h.window,
                target: h.target,
                release: h.release,
                held: vec![(h.at, h.text, h.delivery)],
            }),
        }
    }
    for d in &mut digests {
        if let Due::Digest { held, .. } = d {
            held.sort_by_key(|h| h.0);
        }
    }
    digests
}

/// What a tick took, as deliveries (the reminders, then one digest per
/// window and target) and the ids of the reminders to end (the memory
/// store's tick ends the same way).
pub(crate) fn rendered(
    mut due: Vec<Due>,
    held: Vec<NewHeld>,
    silences: &[Silence],
    render: Render<'_>,
) -> (Vec<Delivery<'static>>, Vec<i64>) {
    due.extend(digests(held));
    let mut deliveries = Vec::with_capacity(due.len());
    let mut ended = Vec::new();
    for d in due {
        let id = match d {
            Due::Reminder { id, .. } => Some(id),
            Due::Digest { .. } => None,
        };
        match render(d, silences) {
            Rendered::Deliver(d) => deliveries.push(d),
            Rendered::Skip => {}
            Rendered::End => ended.extend(id),
        }
    }
    (deliveries, ended)
}

/// An agent as the throttles name it: `agent:` and its uuid, apart from
/// every stage's `pipeline/stage` (a pipeline's name has no `:`).
pub(crate) fn agent_subject(uuid: &str) -> String {
    format!("agent:{uuid}")
}

/// A stage as the time tables name it: `pipeline/stage` in lower case (as
/// the history's tables do).
pub(crate) fn subject(pipeline: &str, stage: &str) -> String {
    let mut key = String::with_capacity(pipeline.len() + stage.len() + 1);
    key.extend(pipeline.chars().map(|c| c.to_ascii_lowercase()));
    key.push('/');
    key.extend(stage.chars().map(|c| c.to_ascii_lowercase()));
    key
}

/// A reminder's next due time after the one at `due`: `every` later, or
/// `every` from now when the store was down past it (no burst of catching up).
pub(crate) fn next_due(due: i64, every: i64, now: i64) -> i64 {
    let next = due.saturating_add(every.max(1));
    if next <= now {
        now.saturating_add(every.max(1))
    } else {
        next
    }
}

/// The longest a silence may last, so an end in milliseconds cannot overflow.
pub(crate) fn silence_end(now: i64, lasts: std::time::Duration) -> i64 {
    now.saturating_add(i64::try_from(lasts.as_millis()).unwrap_or(i64::MAX))
}
