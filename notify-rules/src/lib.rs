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
#![warn(missing_docs)]

pub mod deliver;
pub mod history;
pub mod model;
mod outbox;
pub mod plugin;
pub mod protocol;
mod rules;

pub use notify_rules_macros::{rules, rules_file};
pub use protocol::PluginResponse;
pub use rules::{Delivery, RuleSet, RuleSetError, Transition};
pub use deliver::{Notifier, NotifyError};
pub use plugin::{Plugin, PluginBuilder};

#[doc(hidden)]
pub mod __private;
