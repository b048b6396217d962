//! Build notifications for GoCD, with rules checked when your program compiles.
//!
//! ```
//! use notify_rules::{rules, model::StageStatus};
//!
//! let rules = rules! {
//!     target ops;
//!     on stage "deploy" state Failed => send(ops, "Deploy of {pipeline.name} failed");
//! };
//! let body = r#"{"pipeline":{"name":"shop","counter":"3","build-cause":[],
//!   "stage":{"name":"deploy","counter":"1","state":"Failed","result":"Failed","jobs":[]}}}"#;
//! let status: StageStatus = serde_json::from_str(body).unwrap();
//! let deliveries = rules.evaluate(&status);
//! assert_eq!(deliveries[0].target(), "ops");
//! assert_eq!(deliveries[0].text(), "Deploy of shop failed");
//! ```
//!
//! The same language can live in a rule file compiled in with
//! [`rules_file!`], or be loaded when the program starts with
//! [`RuleSet::parse`]. The language reference is `docs/rule-language.md` in the
//! repository.
//!
//! A [`Plugin`] puts the pieces together the way GoCD expects: it reads a
//! request, keeps the history that `broken`, `fixed` and `still_failing` need,
//! delivers through the [`Notifier`] bound to each target (with retries and a
//! durable outbox), and answers with a [`PluginResponse`]:
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
//! .build()
//! .unwrap();
//!
//! let body = r#"{"pipeline":{"name":"shop","counter":"3","build-cause":[],
//!   "stage":{"name":"deploy","counter":"1","state":"Failed","result":"Failed","jobs":[]}}}"#;
//! let answer = plugin.handle("stage-status", body);
//! assert_eq!((answer.code, answer.body.as_str()), (200, r#"{"status":"success"}"#));
//! ```
//!
//! | module | what it holds |
//! |---|---|
//! | [`model`] | GoCD's stage-status and agent-status bodies as types |
//! | [`protocol`] | request names, reading bodies, the answers GoCD reads |
//! | [`deliver`] | the notifiers: console, HTTP webhook, chat services (Slack, Teams, Google Chat, Discord), e-mail |
//! | [`history`] | the rules of the run history behind transitions |
//! | [`state`] | where history, outbox and handled notifications are kept: memory, SQLite, PostgreSQL |
//! | [`plugin`] | [`Plugin`] and its builder, retries and the outbox |
//! | [`time`] | the plugin's clock, silences, windows |
//!
//! Cargo features: `console`, `webhook`, `slack`, `email` (the notifiers, all on
//! by default), `sqlite` and `postgres` (the database state stores), `server`
//! (the HTTP receiver for GoCD's webhook forwarders, with `sqlite`) and `cli`
//! (the `notify-rules` program, with both stores).
#![warn(missing_docs)]

pub mod deliver;
mod failure;
pub mod history;
pub mod model;
pub mod plugin;
pub mod protocol;
mod rules;
pub mod state;
pub mod time;
mod util;

/// Compiles rules written in Rust source into an expression of type [`RuleSet`].
///
/// Every rule is checked when the program compiles: unknown states, results,
/// clause words and placeholders, undeclared targets, regular expressions that do
/// not compile, rules that can never match. `if` guards take a `fn(&StageStatus)
/// -> bool` (a path, or a closure that captures nothing).
///
/// ```
/// use notify_rules::{rules, model::StageStatus};
///
/// fn from_release_branch(s: &StageStatus) -> bool {
///     s.pipeline.build_cause.iter().any(|c| c.material.branch().is_some_and(|b| b.starts_with("release-")))
/// }
///
/// let rules = rules! {
///     target ops, releases;
///     on stage "deploy" state Failed => send(ops, "Deploy of {pipeline.name} failed");
///     on if from_release_branch state Passed => send(releases);
/// };
/// assert_eq!(rules.targets(), ["ops", "releases"]);
/// ```
#[macro_export]
macro_rules! rules {
    ($($rules:tt)*) => {
        $crate::__private::rules_impl! { [$crate] $($rules)* }
    };
}

/// Compiles a rule file into an expression of type [`RuleSet`].
///
/// The path is relative to the directory of the calling crate's `Cargo.toml`;
/// editing the file rebuilds the crate. An error in the file is reported as
/// `message --> path:line:col` with the line quoted.
///
/// ```
/// // notify-rules/rules/example.rules:
/// //     target ops;
/// //     on stage "deploy" state Failed => send(ops, "Deploy of {pipeline.name} failed");
/// let rules = notify_rules::rules_file!("rules/example.rules");
/// assert_eq!(rules.targets(), ["ops"]);
/// ```
#[macro_export]
macro_rules! rules_file {
    ($($path:tt)*) => {
        $crate::__private::rules_file_impl! { [$crate] $($path)* }
    };
}
pub use deliver::{Notifier, NotifyError};
pub use plugin::{Plugin, PluginBuilder};
pub use protocol::PluginResponse;
pub use rules::time::{Remind, ReminderStart, RuleTiming, Window};
pub use rules::{
    AgentTransition, Delivery, Outcome, RuleExplanation, RuleSet, RuleSetError, Transition,
};

#[doc(hidden)]
pub mod __private;
#[cfg(feature = "server")]
pub mod server;
