//! What kept a request from going as it should, as values: the HTTP receiver
//! logs their fields and GoCD gets their text, and neither reads the other's
//! rendering back.

use std::fmt;

use crate::protocol::PluginResponse;

/// One thing that went wrong while handling a notification.
///
/// ```
/// use notify_rules::plugin::Problem;
///
/// let p = Problem::NotDelivered {
///     target: "ops".into(),
///     reason: "HTTP 503".into(),
///     kept: true,
/// };
/// assert_eq!(p.target(), Some("ops"));
/// assert_eq!(p.reason(), "HTTP 503 (kept in the outbox to try again)");
/// assert_eq!(p.to_string(), "target `ops`: HTTP 503 (kept in the outbox to try again)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A delivery that did not go out.
    NotDelivered {
        /// The target it was for.
        target: String,
        /// Why, as the notifier said (secrets already hidden).
        reason: String,
        /// Whether it waits in the outbox to be tried again; otherwise the
        /// failure was permanent and it is not retried.
        kept: bool,
    },
    /// A delivery for a target with no notifier bound to it.
    NoNotifier {
        /// The target.
        target: String,
    },
    /// A waiting delivery that was given up: too old, the outbox full, or a
    /// permanent failure on a later try.
    GaveUp {
        /// The target it was for.
        target: String,
        /// Its idempotency key.
        key: String,
        /// Why it was given up.
        reason: String,
    },
    /// The state store could not be written after a notification was kept
    /// (an entry sent but not yet removed, say); what is delivered is not
    /// affected, though a delivery may be sent again.
    Store(String),
    /// The state store could not keep the notification at all: nothing was
    /// delivered or remembered, and the request is answered 503 so that the
    /// sender tries again.
    Unavailable(String),
}

impl Problem {
    /// The target the problem is about, if it is about one.
    pub fn target(&self) -> Option<&str> {
        match self {
            Problem::NotDelivered { target, .. }
            | Problem::NoNotifier { target }
            | Problem::GaveUp { target, .. } => Some(target),
            Problem::Store(_) | Problem::Unavailable(_) => None,
        }
    }

    /// What went wrong, without the target.
    pub fn reason(&self) -> String {
        match self {
            Problem::NotDelivered {
                reason, kept: true, ..
            } => format!("{reason} (kept in the outbox to try again)"),
            Problem::NotDelivered {
                reason,
                kept: false,
                ..
            } => format!("{reason} (permanent: not retried)"),
            Problem::NoNotifier { target } => format!("no notifier is bound to `{target}`"),
            Problem::GaveUp { key, reason, .. } => format!("gave up delivery {key}: {reason}"),
            Problem::Store(message) => message.clone(),
            Problem::Unavailable(message) => {
                format!("{message}; nothing was delivered: send the notification again")
            }
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.target() {
            Some(target) => write!(f, "target `{target}`: {}", self.reason()),
            None => f.write_str(&self.reason()),
        }
    }
}

/// What the plugin made of one notification: the problems, none when every
/// delivery went out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// Each problem, in the order met.
    pub problems: Vec<Problem>,
}

impl Answer {
    /// Whether every delivery went out and everything was remembered.
    pub fn is_success(&self) -> bool {
        self.problems.is_empty()
    }

    /// Whether the state store could not keep the notification, so that
    /// nothing was done and the sender should try again.
    pub fn is_unavailable(&self) -> bool {
        self.problems
            .iter()
            .any(|p| matches!(p, Problem::Unavailable(_)))
    }

    /// The answer GoCD expects: `{"status":"success"}`, or 200 with
    /// `{"status":"failure","messages":[...]}`, one message per problem;
    /// 503 when the state store could not keep the notification.
    pub fn response(&self) -> PluginResponse {
        if self.problems.is_empty() {
            PluginResponse::success()
        } else {
            let code = if self.is_unavailable() { 503 } else { 200 };
            PluginResponse::failure(code, self.problems.iter().map(Problem::to_string))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_problem_reads_as_gocd_shows_it() {
        let cases = [
            (
                Problem::NotDelivered {
                    target: "ops".into(),
                    reason: "HTTP 400".into(),
                    kept: false,
                },
                Some("ops"),
                "target `ops`: HTTP 400 (permanent: not retried)",
            ),
            (
                Problem::NoNotifier {
                    target: "audit".into(),
                },
                Some("audit"),
                "target `audit`: no notifier is bound to `audit`",
            ),
            (
                Problem::GaveUp {
                    target: "ops".into(),
                    key: "p/1/s/1/0/0".into(),
                    reason: "the outbox is full".into(),
                },
                Some("ops"),
                "target `ops`: gave up delivery p/1/s/1/0/0: the outbox is full",
            ),
            (
                Problem::Store("outbox.journal: cannot write: disk full".into()),
                None,
                "outbox.journal: cannot write: disk full",
            ),
        ];
        for (problem, target, text) in cases {
            assert_eq!(problem.target(), target);
            assert_eq!(problem.to_string(), text);
            if let Some(t) = target {
                assert_eq!(format!("target `{t}`: {}", problem.reason()), text);
            }
        }
    }

    #[test]
    fn an_answer_is_gocds_success_or_failure() {
        assert_eq!(Answer::default().response(), PluginResponse::success());
        let answer = Answer {
            problems: vec![Problem::Store("x".into())],
        };
        assert!(!answer.is_success());
        assert_eq!(
            answer.response(),
            PluginResponse::failure(200, ["x".to_owned()])
        );
    }
}
