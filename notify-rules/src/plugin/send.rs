//! Making deliveries: retries, targets in parallel, and the outbox.
//!
//! Deliveries to one target are made in order; different targets do not wait on
//! each other. Starting a thread costs more than a notifier that answers in
//! microseconds (a channel, a counter), so each bound notifier keeps a running
//! average of how long it takes: targets whose notifier has been fast are served
//! on the calling thread, one after the other, and every other target gets a
//! thread of its own. A fast notifier that fails is not retried on the calling
//! thread: its deliveries move to a thread of their own, so that the backoff
//! does not hold up the others.
//!
//! Every fresh delivery is written to the outbox before its first try and leaves
//! it once sent, so a crash loses none; one whose idempotency key is already
//! waiting there is sent from the outbox only. Inside a request, at most
//! [`CLAIM_PER_TARGET`] waiting entries per target are tried, none after the
//! retry policy's `max_total`: the rest wait for the next request or
//! [`Plugin::flush_outbox`].

use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use smallvec::SmallVec;

use super::outcome::{Again, Outcome};
use super::{FlushReport, Plugin, Problem, RetryPolicy};
use crate::deliver::{Context, Notifier, NotifyError};
use crate::rules::Delivery;
use crate::state::{Claimed, StateStore, Waiting};
use crate::util::instant_after;

/// Below this average a notifier is served on the calling thread.
const FAST_NANOS: u64 = 200_000;
/// Not measured yet, or failed last time: treated as slow.
const UNKNOWN: u64 = u64::MAX;
/// Waiting entries tried per target within one request from GoCD.
pub(crate) const CLAIM_PER_TARGET: usize = 8;

/// A notifier bound to a target, with how long it has been taking.
pub(crate) struct Bound {
    notifier: Arc<dyn Notifier>,
    cost_nanos: AtomicU64,
}

impl Bound {
    pub(crate) fn new(notifier: Arc<dyn Notifier>) -> Bound {
        Bound {
            notifier,
            cost_nanos: AtomicU64::new(UNKNOWN),
        }
    }

    fn is_fast(&self) -> bool {
        self.cost_nanos.load(Ordering::Relaxed) < FAST_NANOS
    }

    /// One call to the notifier, lent the store's key-value area; a panic in
    /// it is a failure of that delivery, not of the plugin.
    fn send(&self, delivery: &Delivery, store: &dyn StateStore) -> Result<(), NotifyError> {
        let started = Instant::now();
        let context = Context::new(store);
        let result = match catch_unwind(AssertUnwindSafe(|| {
            self.notifier.send_with(delivery, &context)
        })) {
            Ok(result) => result,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".to_owned());
                Err(NotifyError::retryable(format!(
                    "the notifier panicked: {what}"
                )))
            }
        };
        let took = u64::try_from(started.elapsed().as_nanos()).unwrap_or(UNKNOWN - 1);
        let cost = match (&result, self.cost_nanos.load(Ordering::Relaxed)) {
            (Err(_), _) => UNKNOWN,
            (Ok(()), UNKNOWN) => took,
            (Ok(()), old) => (old / 4).saturating_mul(3).saturating_add(took / 4),
        };
        self.cost_nanos.store(cost, Ordering::Relaxed);
        result
    }

    /// Tries a delivery until it goes out, fails permanently, or the policy says
    /// stop. `previous` is the error of a try already made.
    fn send_with_retry(
        &self,
        delivery: &Delivery,
        store: &dyn StateStore,
        policy: &RetryPolicy,
        start: Instant,
        previous: Option<NotifyError>,
    ) -> Result<(), NotifyError> {
        let deadline = instant_after(start, policy.max_total);
        let mut tries = u32::from(previous.is_some());
        let mut last = previous;
        loop {
            if let Some(error) = last.take() {
                let backoff = policy
                    .first_backoff
                    .saturating_mul(1 << (tries - 1).min(16))
                    .min(policy.max_backoff);
                // A receiver that said when to come back (`Retry-After`) is
                // not asked sooner.
                let wait = error.wait().map_or(backoff, |asked| backoff.max(asked));
                if instant_after(Instant::now(), wait) >= deadline {
                    return Err(error);
                }
                std::thread::sleep(wait);
            }
            tries += 1;
            match self.send(delivery, store) {
                Ok(()) => return Ok(()),
                Err(e) if e.is_permanent() || tries >= policy.attempts => return Err(e),
                Err(e) => last = Some(e),
            }
        }
    }
}

/// The deliveries for one target, made in order.
struct Group<'p> {
    target: Cow<'p, str>,
    bound: Option<&'p Bound>,
    /// Fresh deliveries, already written to the outbox and claimed: nearly
    /// always one, kept in place.
    fresh: SmallVec<[Claimed; 1]>,
    /// The error of a try already made of the first fresh delivery.
    first_failed: Option<NotifyError>,
    waiting: Vec<Waiting>,
}

/// Where a group runs.
#[derive(Clone, Copy, PartialEq)]
enum On {
    /// On the calling thread, among others: no retry here.
    Shared,
    /// On a thread of its own (or alone on the calling thread).
    Own,
}

impl<'p> Group<'p> {
    /// Whether the group is served on the calling thread among others: its
    /// notifier has been fast, or it has none (nothing to wait for).
    fn is_fast(&self) -> bool {
        self.bound.is_none_or(Bound::is_fast)
    }

    /// Makes the group's deliveries; on a shared thread, returns what is left
    /// when a delivery needs retrying.
    /// `deadline`, when set, is the time after which waiting entries are left
    /// for another time.
    fn run(
        self,
        out: &mut Outcome,
        outbox: &dyn StateStore,
        policy: &RetryPolicy,
        start: Instant,
        deadline: Option<Instant>,
        on: On,
    ) -> Option<Group<'p>> {
        let Some(bound) = self.bound else {
            for c in &self.fresh {
                out.problems.push(Problem::NoNotifier {
                    target: c.delivery.target().to_owned(),
                });
                if let Some(id) = c.id {
                    out.io(outbox.delivered(id));
                }
            }
            let reason = format!("no notifier is bound to `{}`", self.target);
            for c in self.waiting {
                let error = NotifyError::permanent(reason.clone());
                out.settled(outbox.failed(c.id, &error), false);
            }
            return None;
        };
        let mut target_down = false;
        let mut previous = self.first_failed;
        let mut fresh = self.fresh.into_iter();
        while let Some(c) = fresh.next() {
            let d = &c.delivery;
            let result = match on {
                On::Own => bound.send_with_retry(d, outbox, policy, start, previous.take()),
                On::Shared => match bound.send(d, outbox) {
                    Err(e) if !e.is_permanent() && policy.attempts > 1 => {
                        let rest = std::iter::once(c).chain(fresh).collect();
                        let spill = Group {
                            target: self.target,
                            bound: self.bound,
                            fresh: rest,
                            first_failed: Some(e),
                            waiting: self.waiting,
                        };
                        return Some(spill);
                    }
                    other => other,
                },
            };
            let error = match result {
                Ok(()) => {
                    if let Some(id) = c.id {
                        out.io(outbox.delivered(id));
                    }
                    continue;
                }
                Err(error) => error,
            };
            // A held failure is not tried again, but it is kept.
            let kept = !error.is_permanent() || error.is_held();
            out.problems.push(Problem::NotDelivered {
                target: d.target().to_owned(),
                reason: error.to_string(),
                kept,
            });
            match (kept, c.id) {
                (false, Some(id)) => out.io(outbox.delivered(id)),
                (false, None) => {}
                (true, Some(id)) => out.settled(outbox.failed(id, &error), true),
                (true, None) => out.settled(outbox.keep(d, &error), true),
            }
            target_down |= !error.is_permanent();
        }
        for c in self.waiting {
            let id = c.id;
            // One failure says the receiver is still down: the rest wait for
            // another time instead of each costing a time-out now. Past the
            // deadline GoCD is kept waiting no longer.
            if target_down || deadline.is_some_and(|d| Instant::now() >= d) {
                out.io(outbox.release(id));
                continue;
            }
            match bound.send(&c.delivery, outbox) {
                Ok(()) => {
                    out.delivered += 1;
                    out.io(outbox.delivered(id));
                }
                Err(error) => {
                    target_down = !error.is_permanent();
                    // One given up is reported as such by the store, once.
                    if !error.is_permanent() || error.is_held() {
                        out.failed.push(Again {
                            key: c.delivery.idempotency_key(),
                            problem: Problem::NotDelivered {
                                target: c.delivery.target().to_owned(),
                                reason: error.to_string(),
                                kept: true,
                            },
                        });
                    }
                    out.settled(outbox.failed(id, &error), false);
                }
            }
        }
        None
    }

    /// Runs the group on a thread of its own, or alone on the calling one.
    fn run_alone(
        self,
        outbox: &dyn StateStore,
        policy: &RetryPolicy,
        start: Instant,
        deadline: Option<Instant>,
    ) -> Outcome {
        let mut out = Outcome::default();
        // Only a shared group hands deliveries back.
        let _ = self.run(&mut out, outbox, policy, start, deadline, On::Own);
        out
    }
}

impl Plugin {
    /// Makes fresh deliveries (written ahead and claimed by the store) and
    /// tries the outbox entries that are due; returns the problems for the
    /// answer.
    pub(super) fn deliver(&self, fresh: Vec<Claimed>) -> Vec<Problem> {
        let out = self.run(fresh, false);
        self.failed_again(out.failed);
        let mut problems = out.problems;
        problems.extend(out.gave_up);
        problems
    }

    /// Tries the outbox entries that are due, on a request with nothing else to
    /// deliver.
    pub(super) fn flush_due(&self) -> Vec<Problem> {
        self.deliver(Vec::new())
    }

    pub(super) fn run_outbox(&self, force: bool) -> FlushReport {
        let out = self.run(Vec::new(), force);
        let mut failed: Vec<Problem> = out.failed.into_iter().map(|a| a.problem).collect();
        // Store errors have nowhere else to go.
        failed.extend(out.problems);
        FlushReport {
            delivered: out.delivered,
            failed,
            given_up: out.gave_up,
            pending: 0,
        }
    }

    fn run(&self, begun: Vec<Claimed>, force: bool) -> Outcome {
        let start = Instant::now();
        let mut total = Outcome::default();
        // A flush has no GoCD request waiting on it; a request does.
        let (per_target, deadline) = if force {
            (usize::MAX, None)
        } else {
            (
                CLAIM_PER_TARGET,
                Some(instant_after(start, self.retry.max_total)),
            )
        };
        let waiting = match self.store.claim(force, per_target) {
            Ok(claim) => {
                total
                    .gave_up
                    .extend(claim.expired.into_iter().map(Problem::from));
                // A fresh entry whose lease is already over (a lease of
                // zero) is claimed again here: it is sent once, as fresh.
                let mut waiting = claim.claimed;
                waiting.retain(|w| !begun.iter().any(|c| c.id == Some(w.id)));
                waiting
            }
            Err(e) => {
                total.problems.push(Problem::Store(e.to_string()));
                Vec::new()
            }
        };
        // Two targets at most make no allocation.
        let mut groups: SmallVec<[Group<'_>; 2]> = SmallVec::new();
        for c in begun {
            let i = self.group_of(&mut groups, c.delivery.target());
            groups[i].fresh.push(c);
        }
        for c in waiting {
            let i = self.group_of(&mut groups, c.delivery.target());
            groups[i].waiting.push(c);
        }
        let (outbox, policy) = (&*self.store, &self.retry);
        if groups.len() <= 1 {
            // Nobody to hold up.
            for g in groups {
                total.merge(g.run_alone(outbox, policy, start, deadline));
            }
            return total;
        }
        if groups.iter().all(Group::is_fast) {
            // The usual case: every target is served here, one after the
            // other, and no thread is started unless a delivery must be retried.
            let mut rest = groups.into_iter();
            while let Some(g) = rest.next() {
                let spill = g.run(&mut total, outbox, policy, start, deadline, On::Shared);
                if let Some(spill) = spill {
                    // From here on as below: the retried target on a thread
                    // of its own, the others still here.
                    self.threaded(vec![spill], rest.collect(), start, deadline, &mut total);
                    break;
                }
            }
            return total;
        }
        let (shared, own): (Vec<Group<'_>>, Vec<Group<'_>>) =
            groups.into_iter().partition(Group::is_fast);
        self.threaded(own, shared, start, deadline, &mut total);
        total
    }

    /// The group of `target` in `groups`, added when it has none yet.
    fn group_of<'p>(&'p self, groups: &mut SmallVec<[Group<'p>; 2]>, target: &str) -> usize {
        if let Some(i) = groups.iter().position(|g| g.target == target) {
            return i;
        }
        let (target, bound) = match self.notifiers.get_key_value(target) {
            Some((name, bound)) => (Cow::Borrowed(name.as_str()), Some(bound)),
            None => (Cow::Owned(target.to_owned()), None),
        };
        groups.push(Group {
            target,
            bound,
            fresh: SmallVec::new(),
            first_failed: None,
            waiting: Vec::new(),
        });
        groups.len() - 1
    }

    /// Runs each group of `own` on a thread of its own and those of `shared`
    /// one after the other on the calling thread (a shared one that must be
    /// retried moves to a thread of its own); with no shared group, the
    /// calling thread takes one of `own` itself.
    fn threaded<'p>(
        &'p self,
        mut own: Vec<Group<'p>>,
        shared: Vec<Group<'p>>,
        start: Instant,
        deadline: Option<Instant>,
        total: &mut Outcome,
    ) {
        let (outbox, policy) = (&*self.store, &self.retry);
        let mine = if shared.is_empty() { own.pop() } else { None };
        std::thread::scope(|scope| {
            let mut handles: Vec<_> = own
                .into_iter()
                .map(|g| scope.spawn(move || g.run_alone(outbox, policy, start, deadline)))
                .collect();
            for g in shared {
                if let Some(rest) = g.run(total, outbox, policy, start, deadline, On::Shared) {
                    handles
                        .push(scope.spawn(move || rest.run_alone(outbox, policy, start, deadline)));
                }
            }
            if let Some(g) = mine {
                total.merge(g.run_alone(outbox, policy, start, deadline));
            }
            for h in handles {
                // `Bound::send` catches notifier panics; a panic here would be a
                // bug in this module, and is reported rather than spread.
                match h.join() {
                    Ok(o) => total.merge(o),
                    Err(_) => total.problems.push(Problem::Store(
                        "internal error: a delivery thread panicked".to_owned(),
                    )),
                }
            }
        });
    }
}
