//! Where deliveries go: the [`Notifier`] trait, its error, and the notifiers this
//! crate ships (each behind a cargo feature that is on by default).
//!
//! | notifier | feature | sends |
//! |---|---|---|
//! | [`Console`] | `console` | one line per delivery on standard output |
//! | [`Webhook`] | `webhook` | a JSON POST with the target, the text and the notification |
//! | [`Slack`] | `slack` | the text and an attachment coloured by the state, to a Slack (or Mattermost) incoming webhook |
//! | [`Teams`] | `slack` | an Adaptive Card, to a Microsoft Teams Workflows webhook |
//! | [`GoogleChat`] | `slack` | the text and a card, to a Google Chat space's webhook |
//! | [`Discord`] | `slack` | an embed coloured by the state, to a Discord webhook |
//! | [`SlackApp`] | `slack` | Slack's Web API with a bot token: one message per pipeline run, updated or threaded |
//! | [`Email`] | `email` | an e-mail over SMTP |
//!
//! Any closure `Fn(&Delivery) -> Result<(), NotifyError> + Send + Sync` is a
//! notifier too:
//!
//! ```
//! use notify_rules::{Delivery, Notifier, NotifyError};
//!
//! let pager = |d: &Delivery| -> Result<(), NotifyError> {
//!     if d.text().is_empty() {
//!         return Err(NotifyError::permanent("empty message"));
//!     }
//!     Ok(())
//! };
//! fn takes(_: impl Notifier) {}
//! takes(pager);
//! ```
//!
//! Secrets in a notifier's configuration (webhook URLs, SMTP passwords) never show
//! in its `Debug` output nor in the errors it returns.

use std::fmt;

use crate::rules::Delivery;

pub use crate::failure::NotifyError;

#[cfg(feature = "console")]
mod console;
mod context;
#[cfg(feature = "email")]
mod email;
#[cfg(any(feature = "webhook", feature = "slack"))]
mod http;
#[cfg(feature = "slack")]
mod rich;
#[cfg(any(feature = "webhook", feature = "slack"))]
mod secrets;
#[cfg(feature = "slack")]
mod slack;
// The Slack app (Web API with a bot token), one message per run.
#[cfg(feature = "slack")]
mod slack_app;
#[cfg(any(feature = "email", feature = "server"))]
mod subject;
#[cfg(feature = "webhook")]
mod webhook;

#[cfg(feature = "console")]
pub use console::Console;
pub use context::Context;
#[cfg(feature = "email")]
pub use email::{Email, EmailBuilder, Security, Subject};
#[cfg(feature = "slack")]
pub use rich::{Discord, Format, GoogleChat, Teams};
#[cfg(feature = "slack")]
pub use slack::Slack;
#[cfg(feature = "slack")]
pub use slack_app::{PerRun, SlackApp, DEFAULT_API_URL};
#[cfg(feature = "webhook")]
pub use webhook::Webhook;

#[cfg(any(feature = "email", feature = "server"))]
pub(crate) use subject::SubjectTemplate;

/// Sends deliveries somewhere. Each target of a rule set is bound to one notifier
/// when the [`Plugin`](crate::Plugin) is built.
///
/// `send` may be called from several threads at once, and again with the same
/// delivery when an earlier try failed: a notifier that can should pass
/// [`Delivery::idempotency_key`] on so the receiver can drop repeats.
pub trait Notifier: Send + Sync {
    /// Sends one delivery. A [retryable](NotifyError::is_permanent) error makes
    /// the plugin try again later; a permanent one is reported and dropped
    /// (or kept, when [held](NotifyError::held)).
    fn send(&self, delivery: &Delivery) -> Result<(), NotifyError>;

    /// Sends one delivery with what the plugin offers besides it (its
    /// [`Context`]: the state store's key-value area). The plugin always
    /// calls this; by default it calls [`send`](Notifier::send), so a
    /// notifier that needs nothing more implements `send` alone. A
    /// notifier that wraps another forwards this method too.
    fn send_with(&self, delivery: &Delivery, context: &Context<'_>) -> Result<(), NotifyError> {
        let _ = context;
        self.send(delivery)
    }
}

impl<F> Notifier for F
where
    F: Fn(&Delivery) -> Result<(), NotifyError> + Send + Sync,
{
    fn send(&self, delivery: &Delivery) -> Result<(), NotifyError> {
        self(delivery)
    }
}

/// A notifier's configuration was not usable. The message never repeats a
/// secret (a URL or a password) it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    notifier: &'static str,
    message: String,
}

impl ConfigError {
    #[cfg(any(feature = "webhook", feature = "slack", feature = "email"))]
    pub(crate) fn new(notifier: &'static str, message: impl Into<String>) -> Self {
        ConfigError {
            notifier,
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} notifier: {}", self.notifier, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Removes every occurrence of each secret from a text, and any URL at all, since
/// an error from a library can quote the address it was given.
#[cfg(any(feature = "webhook", feature = "slack", feature = "email"))]
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets {
        if secret.len() >= 4 {
            out = out.replace(secret, "<hidden>");
        }
    }
    scrub_urls(&out)
}

/// `5s`, `250ms`: a time-out as configured, for `Debug` output and errors.
#[cfg(any(feature = "webhook", feature = "slack", feature = "email"))]
pub(crate) fn show_duration(d: std::time::Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[cfg(any(feature = "webhook", feature = "slack", feature = "email"))]
fn scrub_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let next = ["http://", "https://", "smtp://", "smtps://"]
            .iter()
            .filter_map(|scheme| rest.find(scheme))
            .min();
        let Some(start) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..start]);
        out.push_str("<url hidden>");
        let tail = &rest[start..];
        // A password may hold a quote or a space: the URL runs at least to
        // the `@` before its host.
        let after = tail.find("://").map_or(0, |i| i + 3);
        let host = after + crate::model::redact::userinfo_len(&tail[after..]).unwrap_or(0);
        let end = tail[host..]
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ')' | ']' | ',')
            })
            .map_or(tail.len(), |e| host + e);
        rest = &tail[end..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_make_retryable_errors() {
        let a: NotifyError = String::from("down").into();
        let b: NotifyError = "down".into();
        assert_eq!(a, b);
        assert!(!a.is_permanent());
        assert_eq!(a.message(), "down");
    }

    #[test]
    fn closures_are_notifiers() {
        use std::sync::Arc;
        let status = crate::plugin::test_support::status("api", 1, "test", 1, "Failed");
        let d = Delivery::new("ops", "hello", Arc::new(status));
        let n =
            |d: &Delivery| -> Result<(), NotifyError> { Err(format!("no {}", d.target()).into()) };
        assert_eq!(n.send(&d).unwrap_err().to_string(), "no ops");
        let boxed: Box<dyn Notifier> = Box::new(n);
        assert!(boxed.send(&d).is_err());
    }

    #[cfg(any(feature = "webhook", feature = "slack", feature = "email"))]
    #[test]
    fn durations_show_briefly() {
        use std::time::Duration;
        assert_eq!(show_duration(Duration::from_secs(5)), "5s");
        assert_eq!(show_duration(Duration::from_millis(250)), "250ms");
    }

    #[test]
    fn scrub_hides_secrets_and_urls() {
        let s = scrub(
            "error sending to https://hooks.example.com/T000/B000/XXXX: pass s3cret! refused",
            &["s3cret!"],
        );
        assert_eq!(s, "error sending to <url hidden> pass <hidden> refused");
        assert_eq!(scrub("(http://u:p@h/x) ok", &[]), "(<url hidden>) ok");
        assert_eq!(scrub("nothing here", &["abc"]), "nothing here");
        assert_eq!(
            scrub("at smtp://u:pa ss\"w@h:25/x, refused", &[]),
            "at <url hidden>, refused"
        );
    }
}
