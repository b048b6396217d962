//! What a run of deliveries came to ([`Outcome`]), and what becomes of the
//! waiting entries that failed again: the answer is about its own
//! notification, so they are logged and told instead.

use super::{Plugin, Problem};
use crate::state::{GaveUp, StoreError};

/// What a run of deliveries came to.
#[derive(Default)]
pub(super) struct Outcome {
    /// One per fresh delivery that could not be sent, and the store's errors.
    pub(super) problems: Vec<Problem>,
    /// Waiting entries sent.
    pub(super) delivered: usize,
    /// Waiting entries that failed again and still wait.
    pub(super) failed: Vec<Again>,
    /// Waiting entries given up.
    pub(super) gave_up: Vec<Problem>,
}

impl Outcome {
    pub(super) fn merge(&mut self, other: Outcome) {
        append(&mut self.problems, other.problems);
        self.delivered += other.delivered;
        if self.failed.is_empty() {
            self.failed = other.failed;
        } else {
            self.failed.extend(other.failed);
        }
        append(&mut self.gave_up, other.gave_up);
    }

    /// A store error, if there was one.
    pub(super) fn io(&mut self, io: Result<(), StoreError>) {
        if let Err(e) = io {
            self.problems.push(Problem::Store(e.to_string()));
        }
    }

    /// What settling a failed entry came to; `answered` puts what was given
    /// up in the answer rather than in the flush report.
    pub(super) fn settled(&mut self, settled: Result<Vec<GaveUp>, StoreError>, answered: bool) {
        match settled {
            Ok(gave_up) => {
                let gave_up = gave_up.into_iter().map(Problem::from);
                if answered {
                    self.problems.extend(gave_up);
                } else {
                    self.gave_up.extend(gave_up);
                }
            }
            Err(e) => self.problems.push(Problem::Store(e.to_string())),
        }
    }
}

/// A waiting entry that failed again and still waits: its key, for the
/// log, and what went wrong.
pub(super) struct Again {
    pub(super) key: String,
    pub(super) problem: Problem,
}

/// `into.extend(from)`, taking `from` whole when `into` is empty: both are
/// empty for nearly every notification.
fn append(into: &mut Vec<Problem>, from: Vec<Problem>) {
    if into.is_empty() {
        *into = from;
    } else {
        into.extend(from);
    }
}

impl From<GaveUp> for Problem {
    fn from(g: GaveUp) -> Problem {
        Problem::GaveUp {
            target: g.target,
            key: g.key,
            reason: g.reason,
        }
    }
}

impl Plugin {
    /// Waiting entries of earlier notifications that failed again while
    /// this one was handled: logged and told
    /// ([`PluginBuilder::on_failed_again`](super::PluginBuilder::on_failed_again)),
    /// but not in the answer, which is about this notification (GoCD shows
    /// it on this pipeline's page) and would otherwise fail for as long as
    /// an unrelated target is down. Given-up entries are in the answer.
    pub(super) fn failed_again(&self, failed: Vec<Again>) {
        for Again { key, problem } in failed {
            let target = problem.target().unwrap_or_default();
            let reason = problem.reason();
            tracing::warn!(target, key, reason, "a waiting delivery failed again");
            if let Some(told) = &self.told_failed_again {
                told(&problem);
            }
        }
    }
}
