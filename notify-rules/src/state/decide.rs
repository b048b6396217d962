//! What a database store does in a notification's transaction, once for
//! both: the handled record, the history read and written, the transition,
//! the outbox entries written ahead, a failure counted, the prune. Each store
//! gives only its transaction, through [`Sql`], and the statements are
//! [`sql`](super::sql)'s.

use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};

use super::rows::{self, ms, HANDLED_KEPT_MS, NOT_SENT, PRUNE_EVERY};
use super::sql::{self, Sql, Val};
use super::{now_ms, Claimed, GaveUp, Recorded, StoreError};
use crate::failure::NotifyError;
use crate::history::{decide_agent, AgentRun, AgentSeen, Seen, StageRun, AGENTS_KEPT};
use crate::rules::Delivery;
use crate::state::outbox::{saved, OutboxPolicy};
use Val::{Int, OptBool, OptInt, Text};

/// What a database store keeps in the process, besides its connections.
pub(crate) struct Shared {
    pub(crate) policy: OutboxPolicy,
    /// Agents whose newest state is kept.
    pub(crate) agents_kept: i64,
    /// Agent-status notifications kept as handled.
    pub(crate) agent_handled_kept: i64,
    /// Notifications between prunes.
    pub(crate) prune_every: u64,
    /// The last time stamped, for [`Shared::stamp`].
    last_stamp: AtomicI64,
    /// Deliveries waiting, as far as this process has seen.
    pub(crate) waiting: AtomicUsize,
    recorded: AtomicU64,
}

impl Shared {
    pub(crate) fn new(policy: OutboxPolicy) -> Shared {
        Shared {
            policy,
            agents_kept: AGENTS_KEPT as i64,
            agent_handled_kept: rows::AGENT_HANDLED_KEPT,
            prune_every: PRUNE_EVERY,
            last_stamp: AtomicI64::new(0),
            waiting: AtomicUsize::new(0),
            recorded: AtomicU64::new(0),
        }
    }

    /// Now in milliseconds, made later than any stamp before it: rows are
    /// ordered by their stamps (the oldest forgotten first, outbox entries
    /// tried in the order made) with no counter kept in the database.
    pub(crate) fn stamp(&self) -> i64 {
        let now = now_ms();
        let last = self
            .last_stamp
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
                Some(now.max(last.saturating_add(1)))
            })
            .unwrap_or(now);
        now.max(last.saturating_add(1))
    }

    pub(crate) fn lease_end(&self, now: i64) -> i64 {
        now.saturating_add(ms(self.policy.lease))
    }

    /// Entries added and gone, once their transaction committed.
    pub(crate) fn settle(&self, added: usize, gone: usize) {
        self.waiting
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |w| {
                Some((w + added).saturating_sub(gone))
            })
            .ok();
    }

    /// How many deliveries wait: `counted` now, when the count could be
    /// made (other processes add and remove entries too), else as last seen.
    pub(crate) fn waiting_now<E>(&self, counted: Result<i64, E>) -> usize {
        if let Ok(n) = counted {
            let n = usize::try_from(n).unwrap_or(0);
            self.waiting.store(n, Ordering::Relaxed);
        }
        self.waiting.load(Ordering::Relaxed)
    }

    /// Whether this notification's transaction prunes.
    fn prunes_now(&self) -> bool {
        let n = self.recorded.fetch_add(1, Ordering::Relaxed);
        n % self.prune_every == self.prune_every - 1
    }
}

/// What the work in a database store's `in_tx` fails with: the database's
/// own error `E` (which the store words with its file or database), or the
/// time forms' (which names it already).
pub(crate) enum TxError<E> {
    Db(E),
    Store(StoreError),
}

impl<E> From<E> for TxError<E> {
    fn from(e: E) -> TxError<E> {
        TxError::Db(e)
    }
}

/// What a notification's transaction wrote: settle it with
/// [`Shared::settle`] once committed.
#[derive(Default)]
pub(crate) struct Written {
    pub(crate) recorded: Recorded,
    pub(crate) added: usize,
}

fn counter(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Records a stage-status and writes ahead what `evaluate` makes of it,
/// once `after` has run on it in the same transaction (the time forms'
/// throttles, holds and reminders: [`TimeStore`](super::time::TimeStore)),
/// so that what it keeps and what is written ahead commit together.
pub(crate) fn record_stage<T: Sql, E: From<T::Error>>(
    t: &mut T,
    s: &Shared,
    run: &StageRun<'_>,
    evaluate: &mut dyn FnMut(Seen) -> Vec<Delivery<'static>>,
    after: impl FnOnce(&mut T, Vec<Delivery<'static>>) -> Result<Vec<Delivery<'static>>, E>,
) -> Result<Written, E> {
    let now = s.stamp();
    let Some(seen) = stage(t, run, now)? else {
        return Ok(Written::default());
    };
    prune_if_due(t, s, now)?;
    let deliveries = after(t, evaluate(seen))?;
    Ok(write_ahead(t, s, deliveries, now)?)
}

/// What [`record_stage`] and [`record_agent`] run after `evaluate` when there are no time forms:
/// nothing.
pub(crate) fn as_made<T: Sql>(
    _: &mut T,
    deliveries: Vec<Delivery<'static>>,
) -> Result<Vec<Delivery<'static>>, T::Error> {
    Ok(deliveries)
}

/// Records an agent-status and writes ahead what `evaluate` makes of it,
/// once `after` has run on it in the same transaction (as for a stage: the
/// agent rules' throttles and holds, silences).
pub(crate) fn record_agent<T: Sql, E: From<T::Error>>(
    t: &mut T,
    s: &Shared,
    run: &AgentRun<'_>,
    evaluate: &mut dyn FnMut(AgentSeen) -> Vec<Delivery<'static>>,
    after: impl FnOnce(&mut T, Vec<Delivery<'static>>) -> Result<Vec<Delivery<'static>>, E>,
) -> Result<Written, E> {
    let now = s.stamp();
    let Some(seen) = agent(t, run, now)? else {
        return Ok(Written::default());
    };
    prune_if_due(t, s, now)?;
    let deliveries = after(t, evaluate(seen))?;
    Ok(write_ahead(t, s, deliveries, now)?)
}

/// A stage-status: `None` for a repeat, else what history says, as
/// [`HistoryState`](crate::history::HistoryState) says it. One row is
/// written, on its stage's page, unless a run of the same counters changes.
fn stage<T: Sql>(t: &mut T, run: &StageRun<'_>, now: i64) -> Result<Option<Seen>, T::Error> {
    let stage = rows::stage_key(run.pipeline, run.stage);
    let (pc, sc) = (counter(run.pipeline_counter), counter(run.stage_counter));
    let state = run.state.as_str();
    let passed = rows::passed(&run.state);
    let key = [Text(&stage), Int(pc), Int(sc), Text(state)];
    let take = [key[0], key[1], key[2], key[3], OptBool(passed), Int(now)];
    if t.exec(sql::TAKE_STAGE, &take)? == 0 {
        return Ok(None);
    }
    let Some(passed) = passed else {
        return Ok(Some(Seen::New(None)));
    };
    let previous = t.bool(sql::PREVIOUS, &key[..3])?;
    if previous.is_none() && t.bool(sql::IS_TRIMMED, &key[..1])?.is_some() {
        // Older than every run kept: what came before it was forgotten, so
        // no transition can be told, and newer history stays as it is.
        t.exec(sql::OUT_OF_HISTORY, &key)?;
        return Ok(Some(Seen::New(None)));
    }
    t.exec(sql::SUPERSEDE, &key)?;
    Ok(Some(Seen::New(rows::transition(passed, previous))))
}

/// An agent-status: `None` for a repeat, else what history says, as
/// [`AgentHistoryState`](crate::history::AgentHistoryState) says it.
fn agent<T: Sql>(t: &mut T, run: &AgentRun<'_>, now: i64) -> Result<Option<AgentSeen>, T::Error> {
    let time = rows::micros(run.transition_time);
    let take = [
        Text(run.uuid),
        Text(run.state.as_str()),
        Text(run.build_state.as_str()),
        Text(run.config_state.as_str()),
        Int(time.unwrap_or(NOT_SENT)),
        Int(now),
    ];
    if t.exec(sql::TAKE_AGENT, &take)? == 0 {
        return Ok(None);
    }
    let last = t
        .text_int(sql::AGENT_LAST, &[Text(run.uuid)])?
        .map(|(state, t)| rows::agent_last(&state, t));
    let decision = decide_agent(run, last.as_ref().map(|(s, t)| (s, *t)));
    if decision.newest {
        let put = [
            Text(run.uuid),
            Text(run.state.as_str()),
            OptInt(time),
            Int(now),
        ];
        t.exec(sql::AGENT_PUT, &put)?;
    } else {
        t.exec(sql::AGENT_TOUCH, &[Int(now), Text(run.uuid)])?;
    }
    Ok(Some(AgentSeen::New(decision.transition)))
}

/// Every [`Shared::prune_every`] notifications: what is past its age or its
/// count goes, in one batch (each a scan: no index is kept for it on every
/// write).
fn prune_if_due<T: Sql>(t: &mut T, s: &Shared, now: i64) -> Result<(), T::Error> {
    if !s.prunes_now() {
        return Ok(());
    }
    let before = Int(now - HANDLED_KEPT_MS);
    t.exec(sql::MARK_TRIMMED, &[before])?;
    t.exec(sql::PRUNE_STAGES, &[before])?;
    t.exec(
        sql::PRUNE_AGENT_HANDLED,
        &[before, Int(s.agent_handled_kept)],
    )?;
    t.exec(sql::PRUNE_AGENTS, &[Int(s.agents_kept)])?;
    t.exec(
        sql::PRUNE_THROTTLES,
        &[Int(now - super::time::THROTTLES_KEPT_MS)],
    )?;
    Ok(())
}

/// Writes ahead the deliveries a notification (or the scheduler's tick)
/// made, claimed for the caller.
pub(crate) fn write_ahead<T: Sql>(
    t: &mut T,
    s: &Shared,
    deliveries: Vec<Delivery<'static>>,
    now: i64,
) -> Result<Written, T::Error> {
    let mut written = Written::default();
    let capacity = s.policy.capacity;
    if !deliveries.is_empty() && s.waiting.load(Ordering::Relaxed) + deliveries.len() > capacity {
        let waiting = t.int(sql::OUTBOX_COUNT, &[])?.unwrap_or(0);
        let over = (waiting as usize + deliveries.len()).saturating_sub(capacity.max(1));
        if over > 0 {
            let gone = t.texts(T::MAKE_ROOM, &[Int(now), Int(over as i64)])?;
            written.recorded.gave_up = gone
                .into_iter()
                .map(|(target, key)| GaveUp {
                    target,
                    key,
                    reason: "the outbox is full".into(),
                })
                .collect();
        }
    }
    let lease = s.lease_end(now);
    for delivery in deliveries {
        let json = saved::to_json(&delivery);
        let entry = Entry {
            key: &delivery.idempotency_key(),
            target: delivery.target(),
            json: &json,
            added: s.stamp(),
            lease,
        };
        let id = match put(t, &entry, now, true)? {
            Put::Added(id) => {
                written.added += 1;
                id
            }
            // The key waits already (a repeat history forgot): that entry is
            // sent, not a second copy.
            Put::Leased(id) => id,
            // ... unless another claim holds it.
            Put::Held => continue,
        };
        written.recorded.fresh.push(Claimed {
            id: Some(id as u64),
            delivery,
        });
    }
    Ok(written)
}

/// An outbox entry to write.
struct Entry<'a> {
    key: &'a str,
    target: &'a str,
    json: &'a str,
    added: i64,
    lease: i64,
}

enum Put {
    Added(i64),
    /// The key was waiting already, and is leased now.
    Leased(i64),
    /// The key was waiting already, under another claim (or, when not
    /// leasing, at all).
    Held,
}

/// Puts an entry at its key's id (see `v1.sql`), or finds its key there.
fn put<T: Sql>(t: &mut T, e: &Entry<'_>, now: i64, lease: bool) -> Result<Put, T::Error> {
    let mut id = rows::outbox_id(e.key);
    loop {
        let row = [
            Int(id),
            Text(e.key),
            Text(e.target),
            Text(e.json),
            Int(e.added),
            Int(e.lease),
        ];
        if t.exec(sql::OUTBOX_INSERT, &row)? == 1 {
            return Ok(Put::Added(id));
        }
        match t.text_int(sql::OUTBOX_KEY, &[Int(id)])? {
            Some((key, _)) if key == e.key => {
                let leased =
                    lease && t.exec(sql::OUTBOX_LEASE, &[Int(e.lease), Int(id), Int(now)])? == 1;
                return Ok(if leased { Put::Leased(id) } else { Put::Held });
            }
            // Another key's id (a hash collision): the next one.
            Some(_) => id = rows::next_id(id),
            // Gone since (another replica sent it): put again.
            None => {}
        }
    }
}

/// A claimed entry failed: it waits longer, or is given up when the failure
/// is permanent.
pub(crate) fn failed<T: Sql>(
    t: &mut T,
    policy: &OutboxPolicy,
    id: u64,
    error: &NotifyError,
) -> Result<Vec<GaveUp>, T::Error> {
    let id = Int(i64::try_from(id).unwrap_or(i64::MAX));
    // A held failure is permanent too, but kept for `outbox retry`.
    if error.is_permanent() && !error.is_held() {
        let gone = t.texts(sql::OUTBOX_GIVE_UP, &[id])?;
        return Ok(gone
            .into_iter()
            .map(|(target, key)| GaveUp {
                target,
                key,
                reason: format!("{error} (permanent)"),
            })
            .collect());
    }
    let reason = crate::state::outbox::last_error(error);
    if let Some(attempts) = t.int(sql::OUTBOX_ATTEMPT, &[Text(&reason), id])? {
        let wait = policy.after_failure(u32::try_from(attempts).unwrap_or(u32::MAX), error);
        t.exec(
            sql::OUTBOX_WAIT,
            &[Int(now_ms().saturating_add(ms(wait))), id],
        )?;
    }
    Ok(Vec::new())
}

/// Keeps a delivery tried without being written ahead, as a failed entry;
/// nothing when its key waits already. Whether it was added.
pub(crate) fn keep<T: Sql>(
    t: &mut T,
    s: &Shared,
    delivery: &Delivery<'static>,
    error: &NotifyError,
) -> Result<(bool, Vec<GaveUp>), T::Error> {
    let now = s.stamp();
    let json = saved::to_json(delivery);
    let entry = Entry {
        key: &delivery.idempotency_key(),
        target: delivery.target(),
        json: &json,
        added: now,
        lease: s.lease_end(now),
    };
    match put(t, &entry, now, false)? {
        Put::Added(id) => Ok((true, failed(t, &s.policy, id as u64, error)?)),
        Put::Leased(_) | Put::Held => Ok((false, Vec::new())),
    }
}
