//! Making deliveries: retries, one thread per target, and the outbox.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Instant;

use super::{FlushReport, Plugin, RetryPolicy};
use crate::deliver::{Notifier, NotifyError};
use crate::outbox::{Claimed, GaveUp, Outbox};
use crate::rules::Delivery;

/// The deliveries for one target, made in order on one thread.
struct Group {
    target: String,
    notifier: Option<Arc<dyn Notifier>>,
    fresh: Vec<Delivery>,
    waiting: Vec<Claimed>,
}

/// What a run of deliveries came to.
#[derive(Default)]
struct Outcome {
    /// One message per fresh delivery that could not be sent.
    messages: Vec<String>,
    report: FlushReport,
}

impl Outcome {
    fn merge(&mut self, other: Outcome) {
        self.messages.extend(other.messages);
        self.report.delivered += other.report.delivered;
        self.report.failed.extend(other.report.failed);
        self.report.gave_up.extend(other.report.gave_up);
    }
}

fn gave_up_message(g: &GaveUp) -> String {
    format!(
        "target `{}`: gave up delivery {}: {}",
        g.target, g.key, g.reason
    )
}

/// One call to a notifier; a panic in it is a failure of that delivery, not of
/// the plugin.
fn send_once(notifier: &dyn Notifier, delivery: &Delivery) -> Result<(), NotifyError> {
    match catch_unwind(AssertUnwindSafe(|| notifier.send(delivery))) {
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
    }
}

/// Tries a delivery until it goes out, fails permanently, or the policy says stop.
fn send_with_retry(
    notifier: &dyn Notifier,
    delivery: &Delivery,
    policy: &RetryPolicy,
    start: Instant,
) -> Result<(), NotifyError> {
    let deadline = start + policy.max_total;
    let mut attempt = 1;
    loop {
        let error = match send_once(notifier, delivery) {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        if error.is_permanent() || attempt >= policy.attempts {
            return Err(error);
        }
        let wait = policy
            .first_backoff
            .saturating_mul(1 << (attempt - 1).min(16))
            .min(policy.max_backoff);
        if Instant::now() + wait >= deadline {
            return Err(error);
        }
        std::thread::sleep(wait);
        attempt += 1;
    }
}

impl Group {
    fn run(self, outbox: &Outbox, policy: &RetryPolicy, start: Instant) -> Outcome {
        let mut out = Outcome::default();
        let Some(notifier) = self.notifier else {
            let reason = format!("no notifier is bound to `{}`", self.target);
            for d in &self.fresh {
                out.messages
                    .push(format!("target `{}`: {reason}", d.target()));
            }
            for c in self.waiting {
                let (gave_up, io) = outbox.failed(c.id, &NotifyError::permanent(reason.clone()));
                out.report
                    .gave_up
                    .extend(gave_up.as_ref().map(gave_up_message));
                out.messages.extend(io);
            }
            return out;
        };
        let mut target_down = false;
        for d in &self.fresh {
            let Err(error) = send_with_retry(&*notifier, d, policy, start) else {
                continue;
            };
            if error.is_permanent() {
                out.messages.push(format!(
                    "target `{}`: {error} (permanent: not retried)",
                    d.target()
                ));
                continue;
            }
            target_down = true;
            let (gave_up, io) = outbox.add(d);
            out.messages.push(format!(
                "target `{}`: {error} (kept in the outbox to try again)",
                d.target()
            ));
            out.messages.extend(gave_up.iter().map(gave_up_message));
            out.messages.extend(io);
        }
        for c in self.waiting {
            // One failure says the receiver is still down: the rest wait for
            // another time instead of each costing a time-out now.
            if target_down {
                outbox.release(c.id);
                continue;
            }
            match send_once(&*notifier, &c.delivery) {
                Ok(()) => {
                    out.report.delivered += 1;
                    out.messages.extend(outbox.delivered(c.id));
                }
                Err(error) => {
                    target_down = !error.is_permanent();
                    out.report
                        .failed
                        .push(format!("target `{}`: {error}", c.delivery.target()));
                    let (gave_up, io) = outbox.failed(c.id, &error);
                    out.report
                        .gave_up
                        .extend(gave_up.as_ref().map(gave_up_message));
                    out.messages.extend(io);
                }
            }
        }
        out
    }
}

impl Plugin {
    /// Makes fresh deliveries and tries the outbox entries that are due; returns
    /// the messages for the answer.
    pub(super) fn deliver(&self, fresh: Vec<Delivery>) -> Vec<String> {
        let out = self.run(fresh, false);
        let mut messages = out.messages;
        messages.extend(out.report.gave_up);
        messages
    }

    /// Tries the outbox entries that are due, on a request with nothing else to
    /// deliver; only what is given up is worth an answer's message.
    pub(super) fn flush_due(&self) -> Vec<String> {
        self.deliver(Vec::new())
    }

    pub(super) fn run_outbox(&self, force: bool) -> FlushReport {
        let out = self.run(Vec::new(), force);
        let mut report = out.report;
        // File errors have nowhere else to go.
        report.failed.extend(out.messages);
        report
    }

    fn run(&self, fresh: Vec<Delivery>, force: bool) -> Outcome {
        let start = Instant::now();
        let (waiting, expired, io) = self.outbox.claim(force);
        if fresh.is_empty() && waiting.is_empty() && expired.is_empty() && io.is_none() {
            return Outcome::default();
        }
        let mut groups: Vec<Group> = Vec::new();
        let group_of = |target: &str, groups: &mut Vec<Group>| -> usize {
            if let Some(i) = groups.iter().position(|g| g.target == target) {
                return i;
            }
            groups.push(Group {
                target: target.to_owned(),
                notifier: self.notifiers.get(target).cloned(),
                fresh: Vec::new(),
                waiting: Vec::new(),
            });
            groups.len() - 1
        };
        for d in fresh {
            let i = group_of(d.target(), &mut groups);
            groups[i].fresh.push(d);
        }
        for c in waiting {
            let i = group_of(c.delivery.target(), &mut groups);
            groups[i].waiting.push(c);
        }
        let mut total = Outcome::default();
        total
            .report
            .gave_up
            .extend(expired.iter().map(gave_up_message));
        total.messages.extend(io);
        let mut groups = groups.into_iter();
        let Some(first) = groups.next() else {
            return total;
        };
        let rest: Vec<Group> = groups.collect();
        let (outbox, policy) = (&self.outbox, &self.retry);
        if rest.is_empty() {
            // One target: no thread to start.
            total.merge(first.run(outbox, policy, start));
            return total;
        }
        std::thread::scope(|scope| {
            let handles: Vec<_> = rest
                .into_iter()
                .map(|g| scope.spawn(move || g.run(outbox, policy, start)))
                .collect();
            total.merge(first.run(outbox, policy, start));
            for h in handles {
                // `Group::run` catches notifier panics; a panic here would be a
                // bug in this module, and is reported rather than spread.
                match h.join() {
                    Ok(o) => total.merge(o),
                    Err(_) => total
                        .messages
                        .push("internal error: a delivery thread panicked".to_owned()),
                }
            }
        });
        total
    }
}
