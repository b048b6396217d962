//! Building a [`Plugin`]: binding targets to notifiers and choosing the stores.

use std::fmt;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::send::Bound;
use super::timed::{Timed, Withheld, WithheldSink};
use super::{Plugin, Problem, ProblemSink, RetryPolicy};
use crate::deliver::Notifier;
use crate::protocol::{Reader, Tz};
use crate::rules::RuleSet;
use crate::state::outbox::OutboxPolicy;
// The check lives beside the links it guards (`deliver` needs it too).
use crate::rules::link::check_server_url;
use crate::state::{State, StoreError};
use crate::time::{Clock, OpenHours};

/// Configures a [`Plugin`]; [`PluginBuilder::build`] checks everything at once.
///
/// ```
/// use notify_rules::{rules, Plugin};
///
/// let err = Plugin::builder(rules! {
///     target ops, audit;
///     on any => send(ops, "{pipeline.name}: {link}"), send(audit);
/// })
/// .build()
/// .unwrap_err();
/// let text = err.to_string();
/// assert!(text.contains("`ops` has no notifier"));
/// assert!(text.contains("`audit` has no notifier"));
/// assert!(text.contains("{link}"));
/// ```
pub struct PluginBuilder {
    rules: RuleSet,
    notifiers: Vec<(String, Arc<dyn Notifier>)>,
    server_url: Option<String>,
    reader: Reader,
    state: State,
    outbox_policy: OutboxPolicy,
    retry: RetryPolicy,
    clock: Clock,
    withheld: Option<WithheldSink>,
    failed_again: Option<ProblemSink>,
}

/// Why a [`Plugin`] could not be built: every problem found, one per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", show_all(.problems))]
pub struct BuildError {
    problems: Vec<BuildProblem>,
}

impl BuildError {
    /// Each problem, in the order found.
    pub fn list(&self) -> &[BuildProblem] {
        &self.problems
    }

    /// Each problem's message, in the order found.
    pub fn problems(&self) -> Vec<String> {
        self.problems.iter().map(ToString::to_string).collect()
    }
}

fn show_all(problems: &[BuildProblem]) -> String {
    match problems {
        [one] => format!("the plugin cannot be built: {one}"),
        all => {
            let mut text = format!("the plugin cannot be built ({} problems):", all.len());
            for p in all {
                text.push_str(&format!("\n  - {p}"));
            }
            text
        }
    }
}

/// One reason a [`Plugin`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildProblem {
    /// A target the rules declare has no notifier; `bound` names the targets
    /// that have one though the rules do not declare them (the likely typos).
    #[error(
        "target `{target}` has no notifier: bind one with `.notifier(\"{target}\", ...)`{}",
        bound_elsewhere(.bound)
    )]
    NoNotifier {
        /// The target without a notifier.
        target: String,
        /// Targets with a notifier that no `target` line declares.
        bound: Vec<String>,
    },
    /// The rules use `{link}` and no server address was given.
    #[error(
        "the rules use `{{link}}`, which needs the GoCD server's address: call `.server_url(\"https://gocd.example.com\")`"
    )]
    NoServerUrl,
    /// The server address cannot be used; the phrase is
    /// [`server_url_problem`]'s, and the address is never quoted.
    #[error("the server address {0}: it is shown in messages")]
    ServerUrl(&'static str),
    /// The state store could not be opened (or its schema is newer than
    /// this build knows).
    #[error("{0}")]
    State(StoreError),
    /// A window of the rules cannot be evaluated (its zone is not in the
    /// bundled database).
    #[error("{0}")]
    Window(String),
}

fn bound_elsewhere(bound: &[String]) -> String {
    if bound.is_empty() {
        return String::new();
    }
    let names: Vec<String> = bound.iter().map(|t| format!("`{t}`")).collect();
    format!(
        " (notifiers are bound to {}, which no `target` line declares)",
        names.join(", ")
    )
}

impl PluginBuilder {
    pub(super) fn new(rules: RuleSet) -> Self {
        PluginBuilder {
            rules,
            notifiers: Vec::new(),
            server_url: None,
            reader: Reader::new(),
            state: State::memory(),
            outbox_policy: OutboxPolicy::default(),
            retry: RetryPolicy::default(),
            clock: Clock::real(),
            withheld: None,
            failed_again: None,
        }
    }

    /// The clock the time forms read (reminders, `every`, `during`,
    /// silences): the system's by default; a
    /// [`SimulatedClock`](crate::time::SimulatedClock) for tests, moved by
    /// hand (see [`Plugin::send_due`]).
    pub fn clock(mut self, clock: impl Into<Clock>) -> Self {
        self.clock = clock.into();
        self
    }

    /// Told of every delivery withheld (dropped by `every`, held by
    /// `during`, silenced), with its target: what the server counts in its
    /// metrics.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use notify_rules::plugin::Withheld;
    /// use notify_rules::{rules, Plugin};
    ///
    /// let suppressed = Arc::new(AtomicUsize::new(0));
    /// let count = suppressed.clone();
    /// let plugin = Plugin::builder(rules! { target ops; on state Failed => send(ops); })
    ///     .notifier("ops", |_: &notify_rules::Delivery| Ok(()))
    ///     .on_withheld(move |_target: &str, w: Withheld| {
    ///         if w == Withheld::Suppressed {
    ///             count.fetch_add(1, Ordering::Relaxed);
    ///         }
    ///     })
    ///     .build()?;
    /// # drop(plugin);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_withheld(mut self, told: impl Fn(&str, Withheld) + Send + Sync + 'static) -> Self {
        self.withheld = Some(Arc::new(told));
        self
    }

    /// Told of each delivery waiting in the outbox (from an earlier
    /// notification) that was tried again while a notification or the
    /// scheduler's reminders and digests were handled, and failed again:
    /// a [`Problem::NotDelivered`] naming its target, still waiting. It is
    /// not in that notification's answer, which is about its own
    /// deliveries; the server counts it as `failed`.
    /// [`Plugin::flush_outbox`] reports its own in
    /// [`FlushReport::failed`](super::FlushReport::failed).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// use notify_rules::plugin::{OutboxPolicy, Problem, RetryPolicy};
    /// use notify_rules::{rules, Delivery, NotifyError, Plugin};
    ///
    /// let told = Arc::new(Mutex::new(Vec::new()));
    /// let seen = told.clone();
    /// let plugin = Plugin::builder(rules! { target ops; on state Failed => send(ops); })
    ///     .notifier("ops", |_: &Delivery| -> Result<(), NotifyError> { Err("HTTP 503".into()) })
    ///     .retry(RetryPolicy { attempts: 1, ..RetryPolicy::default() })
    ///     // Waiting entries are due again at once.
    ///     .outbox_policy(OutboxPolicy { first_retry_after: Duration::ZERO, ..OutboxPolicy::default() })
    ///     .on_failed_again(move |p: &Problem| seen.lock().unwrap().push(p.to_string()))
    ///     .build()?;
    /// let body = |n: u32, state: &str| {
    ///     format!(r#"{{"pipeline":{{"name":"p","counter":"{n}","stage":{{"name":"s","counter":"1","state":"{state}"}}}}}}"#)
    /// };
    /// assert_eq!(plugin.handle("stage-status", &body(1, "Failed")).code, 200);
    /// // Nothing to send for this one, but the waiting delivery is tried again.
    /// let passed = plugin.handle("stage-status", &body(2, "Passed"));
    /// assert_eq!(passed.body, r#"{"status":"success"}"#);
    /// assert_eq!(*told.lock().unwrap(), ["target `ops`: HTTP 503 (kept in the outbox to try again)"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_failed_again(mut self, told: impl Fn(&Problem) + Send + Sync + 'static) -> Self {
        self.failed_again = Some(Arc::new(told));
        self
    }

    /// Binds a target the rules declare to a notifier. Binding a target again
    /// replaces the earlier notifier.
    pub fn notifier(mut self, target: &str, notifier: impl Notifier + 'static) -> Self {
        self.notifiers.retain(|(t, _)| t != target);
        self.notifiers.push((target.to_owned(), Arc::new(notifier)));
        self
    }

    /// The GoCD server's address, such as `https://gocd.example.com` (a
    /// trailing `/go`, as the browser shows it, is fine), for `{link}`. It must
    /// not hold a user name or password: it goes into messages.
    pub fn server_url(mut self, url: &str) -> Self {
        self.server_url = Some(url.to_owned());
        self
    }

    /// The GoCD server's time zone, for dates written without an offset
    /// (Gson's default format, which the getsentry forwarder sent until 2025);
    /// UTC when not set. See [`Reader::time_zone`].
    ///
    /// ```
    /// use notify_rules::{protocol::Tz, rules, Plugin};
    ///
    /// let plugin = Plugin::builder(rules! { target ops; })
    ///     .notifier("ops", |_: &notify_rules::Delivery| Ok(()))
    ///     .time_zone(Tz::Europe__Berlin)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(plugin.reader().zone(), Tz::Europe__Berlin);
    /// ```
    pub fn time_zone(mut self, zone: Tz) -> Self {
        self.reader = self.reader.time_zone(zone);
        self
    }

    /// Where the history, the outbox and the handled record are kept:
    /// [`State::memory`] (the default), a SQLite file ([`State::sqlite`]),
    /// or a PostgreSQL database several replicas share
    /// ([`State::postgres`]). The store is opened, and its schema made or
    /// migrated, by [`build`](PluginBuilder::build).
    ///
    /// ```
    /// use notify_rules::state::State;
    /// use notify_rules::{rules, Delivery, NotifyError, Plugin};
    ///
    /// let dir = std::env::temp_dir().join(format!("doc-builder-state-{}", std::process::id()));
    /// let plugin = Plugin::builder(rules! { target ops; on any => send(ops); })
    ///     .notifier("ops", |_: &Delivery| -> Result<(), NotifyError> {
    ///         Err(NotifyError::retryable("down"))
    ///     })
    ///     .state(State::sqlite(dir.join("notify-rules.db")))
    ///     .build()?;
    /// let body = r#"{"pipeline":{"name":"p","counter":"1","stage":{"name":"s","counter":"1"}}}"#;
    /// plugin.handle("stage-status", body);
    /// assert_eq!(plugin.outbox_len(), 1);
    /// drop(plugin);
    ///
    /// // Still there after a restart, and not made again by a repeat.
    /// let again = Plugin::builder(rules! { target ops; on any => send(ops); })
    ///     .notifier("ops", |_: &Delivery| -> Result<(), NotifyError> { Ok(()) })
    ///     .state(State::sqlite(dir.join("notify-rules.db")))
    ///     .build()?;
    /// assert_eq!(again.outbox_len(), 1);
    /// assert_eq!(again.flush_outbox().delivered, 1);
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn state(mut self, state: State) -> Self {
        self.state = state;
        self
    }

    /// How deliveries are retried while GoCD waits.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How the outbox retries and how long it keeps deliveries.
    pub fn outbox_policy(mut self, policy: OutboxPolicy) -> Self {
        self.outbox_policy = policy;
        self
    }

    /// Checks the configuration and opens the stores. Fails, naming every problem:
    /// a declared target with no notifier, `{link}` with no server address, a
    /// bad server address (not `http://` or `https://`, or holding a user,
    /// password, query or fragment, which would show in every message), or a
    /// state store that cannot be opened. A notifier bound to a target the rules
    /// do not declare is kept unused.
    pub fn build(self) -> Result<Plugin, BuildError> {
        let mut problems = Vec::new();
        let declared = self.rules.targets();
        // A notifier for a target these rules do not declare is allowed (one set
        // of notifiers can serve several rule sets), but when a declared target
        // lacks one, such names are the likely typos, so they are shown.
        let bound: Vec<String> = self
            .notifiers
            .iter()
            .filter(|(t, _)| !declared.contains(t))
            .map(|(t, _)| t.clone())
            .collect();
        for target in declared {
            if !self.notifiers.iter().any(|(t, _)| t == target) {
                problems.push(BuildProblem::NoNotifier {
                    target: target.clone(),
                    bound: bound.clone(),
                });
            }
        }
        let server_url = match &self.server_url {
            Some(url) => match check_server_url(url) {
                Ok(url) => Some(url),
                Err(problem) => {
                    problems.push(BuildProblem::ServerUrl(problem));
                    None
                }
            },
            None => {
                if self.rules.uses_link() {
                    problems.push(BuildProblem::NoServerUrl);
                }
                None
            }
        };
        // The rule checks have made sure of every spec and zone.
        let mut windows = Vec::new();
        for w in self.rules.windows() {
            match OpenHours::from_spec(w.spec(), w.zone()) {
                Ok(hours) => windows.push((w.name().to_owned(), hours)),
                Err(e) => {
                    problems.push(BuildProblem::Window(format!("window `{}`: {e}", w.name())))
                }
            }
        }
        let store = match self.state.open(self.outbox_policy) {
            Ok(store) => Some(store),
            Err(e) => {
                problems.push(BuildProblem::State(e));
                None
            }
        };
        match (store, problems.is_empty()) {
            (Some(store), true) => Ok(Plugin {
                rules: self.rules,
                notifiers: self
                    .notifiers
                    .into_iter()
                    .map(|(t, n)| (t, Bound::new(n)))
                    .collect::<foldhash::HashMap<_, _>>(),
                server_url,
                reader: self.reader,
                store,
                retry: RetryPolicy {
                    attempts: self.retry.attempts.max(1),
                    ..self.retry
                },
                told_empty_agent: AtomicBool::new(false),
                timed: Timed {
                    clock: self.clock,
                    windows,
                    withheld: self.withheld,
                },
                told_failed_again: self.failed_again,
            }),
            _ => Err(BuildError { problems }),
        }
    }
}

/// Why a GoCD server address cannot be used for `{link}`, without quoting it.
///
/// The address is written into every message that uses `{link}`, so a user,
/// password or token in it (in the authority, a query string or a fragment)
/// would go out with each one. The answer is a phrase to follow the caller's own
/// name for the setting; `None` means the address is fine.
///
/// ```
/// use notify_rules::plugin::server_url_problem;
///
/// assert_eq!(server_url_problem("https://gocd.example.com/go"), None);
/// assert_eq!(
///     server_url_problem("https://ci:secret@gocd.example.com"),
///     Some("must not hold a user or password (`user:pass@`)")
/// );
/// ```
pub fn server_url_problem(url: &str) -> Option<&'static str> {
    check_server_url(url).err()
}

impl fmt::Debug for PluginBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginBuilder")
            .field("rules", &self.rules)
            .field(
                "targets",
                &self.notifiers.iter().map(|(t, _)| t).collect::<Vec<_>>(),
            )
            .field(
                "server_url",
                &self
                    .server_url
                    .as_ref()
                    .map(|u| check_server_url(u).unwrap_or_else(|_| "<invalid>".to_owned())),
            )
            .field("state", &self.state)
            .field("retry", &self.retry)
            .finish()
    }
}

#[cfg(test)]
mod tests;
