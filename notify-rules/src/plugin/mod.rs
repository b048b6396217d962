//! The plugin: answers GoCD's notification requests, keeps history, delivers.
//!
//! ```
//! use notify_rules::{rules, Delivery, NotifyError, Plugin};
//!
//! let plugin = Plugin::builder(rules! {
//!     target ops;
//!     on state Failed => send(ops, "{pipeline.name} failed");
//! })
//! .notifier("ops", |d: &Delivery| -> Result<(), NotifyError> {
//!     println!("{}", d.text());
//!     Ok(())
//! })
//! .build()?;
//!
//! let answer = plugin.handle("notifications-interested-in", "");
//! assert_eq!(answer.code, 200);
//! assert_eq!(answer.body, r#"{"notifications":["stage-status"]}"#);
//! # Ok::<(), notify_rules::plugin::BuildError>(())
//! ```

mod answer;
mod builder;
// On SQLite files: the durable store the tests restart on.
#[cfg(all(test, feature = "sqlite"))]
mod durable_tests;
mod outcome;
mod problem;
mod send;
mod timed;
mod timed_agent;
// Reminders, throttles, digests and silences on a simulated clock.
#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;
#[cfg(all(test, feature = "sqlite"))]
mod timed_tests;
// The same for agent rules, and digests that silences thin.
#[cfg(all(test, feature = "sqlite"))]
mod timed_agent_tests;
// What the store keeps for a rule follows it across a reload.
#[cfg(all(test, feature = "sqlite"))]
mod timed_reload_tests;

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use foldhash::HashMap;

use crate::model::{AgentStatus, StageStatus};
use crate::protocol::{Notification, PluginResponse, Reader, Request};
use crate::rules::RuleSet;
use crate::state::{KeyValue, Recorded, StateStore, StoreError};

pub use crate::state::outbox::OutboxPolicy;
pub use builder::{server_url_problem, BuildError, BuildProblem, PluginBuilder};
pub use problem::{Answer, Problem};
pub use timed::{DueReport, Silences, Withheld};

/// How a failed delivery is retried while GoCD waits for the answer.
///
/// Each try waits twice as long as the one before, from `first_backoff` up to
/// `max_backoff`; no try starts after `max_total` from the start of the request.
/// Deliveries to different targets are made at the same time, so one slow
/// receiver does not hold up the others. Every delivery is written to the outbox
/// before its first try and leaves it once sent, so a crash loses none; one
/// still failing after this stays there. Waiting outbox entries are tried within
/// the same `max_total`, a few per target per request; the rest wait for the
/// next request or [`Plugin::flush_outbox`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included; at least 1.
    pub attempts: u32,
    /// The wait before the second try.
    pub first_backoff: Duration,
    /// The longest wait between two tries.
    pub max_backoff: Duration,
    /// No try starts later than this after the request came in.
    pub max_total: Duration,
}

impl Default for RetryPolicy {
    /// 3 tries, waiting 200 ms then 400 ms, within 10 s.
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            first_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(2),
            max_total: Duration::from_secs(10),
        }
    }
}

/// What [`Plugin::flush_outbox`] did, as values (which target, why), so
/// that a caller can count them by target; `Display` says it in words.
///
/// ```
/// use notify_rules::plugin::{FlushReport, Problem};
///
/// let report = FlushReport {
///     delivered: 1,
///     failed: vec![Problem::NotDelivered { target: "ops".into(), reason: "HTTP 503".into(), kept: true }],
///     pending: 1,
///     ..FlushReport::default()
/// };
/// assert_eq!(
///     report.to_string(),
///     "1 delivered, 1 failed, 0 given up, 1 waiting\n  target `ops`: HTTP 503 (kept in the outbox to try again)"
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlushReport {
    /// Deliveries sent and removed from the outbox.
    pub delivered: usize,
    /// Deliveries that failed again and still wait (each a
    /// [`Problem::NotDelivered`] naming its target), and the state store's
    /// errors ([`Problem::Store`]).
    pub failed: Vec<Problem>,
    /// Deliveries still waiting afterwards.
    pub pending: usize,
    /// Deliveries given up (a permanent failure, too old, or no notifier
    /// any more), each a [`Problem::GaveUp`].
    pub given_up: Vec<Problem>,
}

impl fmt::Display for FlushReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} delivered, {} failed, {} given up, {} waiting",
            self.delivered,
            self.failed.len(),
            self.given_up.len(),
            self.pending
        )?;
        for m in self.failed.iter().chain(&self.given_up) {
            write!(f, "\n  {m}")?;
        }
        Ok(())
    }
}

/// Answers GoCD's notification requests with a [`RuleSet`]: keeps history for
/// `broken`, `fixed` and `still_failing`, drops repeated notifications, delivers
/// through the bound [`Notifier`](crate::Notifier)s with retries, and keeps what could not be
/// delivered in an outbox to try again.
///
/// `Plugin` is `Send + Sync`: share it (in an `Arc`, or by reference) between the
/// threads that receive requests.
pub struct Plugin {
    rules: RuleSet,
    /// Hashed with foldhash: looked up for every target of every
    /// notification, and the names are the program's, not an attacker's.
    notifiers: HashMap<String, send::Bound>,
    server_url: Option<String>,
    reader: Reader,
    store: Box<dyn StateStore>,
    retry: RetryPolicy,
    /// Whether an empty agent body has been explained in the log yet.
    told_empty_agent: AtomicBool,
    /// The clock, the windows, who is told what was withheld (`timed.rs`).
    timed: timed::Timed,
    /// Told of waiting deliveries that failed again during a notification
    /// or the scheduler's tick (`send.rs`).
    told_failed_again: Option<ProblemSink>,
}

/// Told of one problem met out of any answer's sight.
pub(crate) type ProblemSink = Arc<dyn Fn(&Problem) + Send + Sync>;

impl Plugin {
    /// Starts building a plugin for these rules.
    pub fn builder(rules: RuleSet) -> PluginBuilder {
        PluginBuilder::new(rules)
    }

    /// Answers one request from GoCD (or a forwarder).
    ///
    /// - `notifications-interested-in`: 200, `{"notifications":["stage-status"]}`,
    ///   with `"agent-status"` as well when some rule is an agent rule.
    /// - `stage-status`: 200 and `{"status":"success"}` when every delivery went
    ///   out; 200 and `{"status":"failure","messages":[...]}` with one message per
    ///   delivery that could not be sent, naming its target and the reason (the
    ///   others are still made, and the failed ones kept in the outbox). A
    ///   notification handled before answers success and delivers nothing; one
    ///   whose delivery already waits in the outbox (a repeat history forgot)
    ///   sends that entry, not a second copy.
    /// - `agent-status`: like `stage-status`, for the agent rules; `lost` and
    ///   `back` come from the agent's history (by `uuid`), and a notification
    ///   handled before delivers nothing again.
    /// - `go.plugin-settings.*`: the plugin has no settings in GoCD (it is
    ///   configured in code), and says so.
    /// - a body that cannot be read: 400, with what is wrong and where.
    /// - an unknown request name: 400, naming it.
    pub fn handle(&self, request_name: &str, body: &str) -> PluginResponse {
        match Request::from_name(request_name) {
            Some(Request::NotificationsInterestedIn) => {
                answer::interested_in(self.rules.has_agent_rules())
            }
            Some(Request::StageStatus) => match self.reader.stage_status(body) {
                Ok(read) => self.handle_notification(Notification::Stage(read.logged())),
                Err(e) => answer::bad_body(&e),
            },
            Some(Request::AgentStatus) => match self.reader.agent_status(body) {
                Ok(read) => self.handle_notification(Notification::Agent(read.logged())),
                Err(e) => answer::bad_body(&e),
            },
            Some(Request::GetConfiguration) => answer::settings_configuration(),
            Some(Request::GetView) => answer::settings_view(),
            Some(Request::ValidateConfiguration) => answer::settings_validation(),
            Some(Request::PluginSettingsChanged) => PluginResponse::success(),
            None => answer::unknown_request(request_name),
        }
    }

    /// Answers a notification already read, as [`handle`](Self::handle)
    /// does once it has read the body: for a receiver that reads bodies
    /// itself to tell their kind (with [`reader`](Self::reader), so dates
    /// are read in the same zone).
    pub fn handle_notification(&self, notification: Notification) -> PluginResponse {
        self.answer(notification).response()
    }

    /// Like [`handle_notification`](Self::handle_notification), with the
    /// problems as values: which target, why, whether the delivery was kept.
    ///
    /// ```
    /// use notify_rules::plugin::Problem;
    /// use notify_rules::protocol::parse_notification;
    /// use notify_rules::{rules, Delivery, NotifyError, Plugin};
    ///
    /// let plugin = Plugin::builder(rules! { target ops; on any => send(ops); })
    ///     .notifier("ops", |_: &Delivery| -> Result<(), NotifyError> {
    ///         Err(NotifyError::permanent("HTTP 404"))
    ///     })
    ///     .build()?;
    /// let body = r#"{"pipeline":{"name":"p","counter":"1","stage":{"name":"s","counter":"1"}}}"#;
    /// let answer = plugin.answer(parse_notification(body)?.notification);
    /// assert_eq!(
    ///     answer.problems,
    ///     [Problem::NotDelivered { target: "ops".into(), reason: "HTTP 404".into(), kept: false }]
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn answer(&self, notification: Notification) -> Answer {
        let problems = match notification {
            Notification::Stage(status) => self.stage_status(status),
            Notification::Agent(status) => self.agent_status(status),
            Notification::EmptyAgent => {
                self.tell_empty_agent();
                self.flush_due()
            }
        };
        Answer { problems }
    }

    /// How this plugin reads bodies: the GoCD server's time zone, from
    /// [`PluginBuilder::time_zone`].
    pub fn reader(&self) -> Reader {
        self.reader
    }

    /// Said once at info, since it is true of every agent event the
    /// forwarder sends, and then at debug.
    fn tell_empty_agent(&self) {
        const EMPTY_AGENT: &str = "an agent-status notification with no fields: the getsentry \
            forwarder drops GoCD's agent fields, so its agent events say only that some agent \
            changed; nothing to deliver (post GoCD's agent body itself to evaluate agent rules)";
        if self.told_empty_agent.swap(true, Ordering::Relaxed) {
            tracing::debug!("{EMPTY_AGENT}");
        } else {
            tracing::info!("{EMPTY_AGENT}");
        }
    }

    fn stage_status(&self, status: StageStatus) -> Vec<Problem> {
        // Shared, so the deliveries point at this notification instead of
        // each evaluation copying it. History, the handled record, the time
        // forms and the deliveries' outbox entries are kept in one
        // transaction, before the first delivery is tried (`timed.rs`).
        self.stage_status_timed(Arc::new(status))
    }

    fn agent_status(&self, status: AgentStatus) -> Vec<Problem> {
        // With no agent rule there is nothing to decide: an agent pool's
        // state changes then cost no write to the store.
        if !self.rules.has_agent_rules() {
            return self.flush_due();
        }
        // History, the handled record, silences and the agent rules' `every`
        // and `during`, and the outbox entries in one transaction
        // (`timed_agent.rs`).
        self.agent_status_timed(Arc::new(status))
    }

    /// Delivers what a notification's transaction wrote ahead.
    fn after_record(&self, recorded: Result<Recorded, StoreError>) -> Vec<Problem> {
        match recorded {
            // Nearly always nothing was given up to make room.
            Ok(recorded) if recorded.gave_up.is_empty() => self.deliver(recorded.fresh),
            Ok(recorded) => {
                let mut problems: Vec<Problem> =
                    recorded.gave_up.into_iter().map(Problem::from).collect();
                problems.extend(self.deliver(recorded.fresh));
                problems
            }
            // Nothing was kept, so nothing is acknowledged: the sender is
            // told to try again.
            Err(e) => vec![Problem::Unavailable(e.to_string())],
        }
    }

    /// Tries every delivery in the outbox now, whatever its wait, one try each
    /// (deliveries to a target that fails are not tried further this time).
    pub fn flush_outbox(&self) -> FlushReport {
        let mut report = self.run_outbox(true);
        report.pending = self.store.waiting_len();
        report
    }

    /// How many deliveries wait in the outbox.
    pub fn outbox_len(&self) -> usize {
        self.store.waiting_len()
    }

    /// How many deliveries wait in the outbox for each target that has
    /// any, counted in the state store now (a database's count includes
    /// what other replicas and `notify-rules outbox` did): what `/metrics`
    /// shows as `notify_rules_outbox_waiting{target}`.
    ///
    /// ```
    /// use notify_rules::{rules, Delivery, NotifyError, Plugin};
    ///
    /// let plugin = Plugin::builder(rules! { target ops; target audit; on any => send(ops), send(audit); })
    ///     .notifier("ops", |_: &Delivery| -> Result<(), NotifyError> { Err("connection refused".into()) })
    ///     .notifier("audit", |_: &Delivery| -> Result<(), NotifyError> { Ok(()) })
    ///     .retry(notify_rules::plugin::RetryPolicy { attempts: 1, ..Default::default() })
    ///     .build()?;
    /// let body = r#"{"pipeline":{"name":"p","counter":"1","stage":{"name":"s","counter":"1"}}}"#;
    /// plugin.handle("stage-status", body);
    /// assert_eq!(plugin.outbox_by_target()?, [("ops".to_owned(), 1)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn outbox_by_target(&self) -> Result<Vec<(String, usize)>, StoreError> {
        self.store.waiting_by_target()
    }

    /// Whether the state is kept in a database, so that what the outbox
    /// holds outlives the process.
    pub fn state_is_durable(&self) -> bool {
        self.store.is_durable()
    }

    /// The key-value area of the state store ([`KeyValue`]), where what
    /// outlives one notification but is neither history, outbox nor a time
    /// form is kept (the Slack app's message of each run, e-mail threads),
    /// each kind in a `space` of its own. Notifiers are lent the same area
    /// in [`Notifier::send_with`](crate::Notifier::send_with).
    ///
    /// ```
    /// use notify_rules::{rules, Plugin};
    ///
    /// let plugin = Plugin::builder(rules! { target ops; })
    ///     .notifier("ops", |_: &notify_rules::Delivery| Ok(()))
    ///     .build()?;
    /// let kv = plugin.kv();
    /// kv.put("slack-ts", "deploy/42/ops", b"1700000000.000100", None)?;
    /// assert_eq!(kv.get("slack-ts", "deploy/42/ops")?.as_deref(), Some(&b"1700000000.000100"[..]));
    /// kv.remove("slack-ts", "deploy/42/ops")?;
    /// assert_eq!(kv.get("slack-ts", "deploy/42/ops")?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn kv(&self) -> KeyValue<'_> {
        KeyValue::new(&*self.store)
    }

    /// The targets the rules declare, each bound to a notifier.
    pub fn targets(&self) -> &[String] {
        self.rules.targets()
    }

    /// The rules this plugin evaluates.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Whether the state store answers a write now, as recording a
    /// notification needs (a readiness check); it may block as long as the
    /// store waits for a lock or a connection.
    ///
    /// ```
    /// use notify_rules::{Plugin, RuleSet};
    ///
    /// let plugin = Plugin::builder(RuleSet::parse("")?).build()?;
    /// assert!(plugin.check_store().is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_store(&self) -> Result<(), StoreError> {
        // One small row, replaced each time and expiring, in a space of its
        // own: a write, since a store whose reads still work may not take
        // notifications (a SQLite file whose lock another program holds).
        let soon = crate::util::now_unix() + 600;
        self.store.put("readiness", "check", b"", Some(soon))
    }
}

impl fmt::Debug for Plugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut targets: Vec<&String> = self.notifiers.keys().collect();
        targets.sort();
        f.debug_struct("Plugin")
            .field("rules", &self.rules)
            .field("targets", &targets)
            .field("server_url", &self.server_url)
            .field("time_zone", &self.reader.zone())
            .field("state_is_durable", &self.store.is_durable())
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}
