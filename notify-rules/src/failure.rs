//! How a delivery failed: [`NotifyError`], made by the notifiers and kept by
//! the stores (whether to try again, when, whether to keep it for a person).
//! A module of its own below both, so that the state stores need nothing of
//! the notifiers (`deliver` re-exports it, as does the crate's root).

use std::fmt;

/// Why a delivery could not be sent.
///
/// An error is *retryable* (the receiver was down, slow, or overloaded: trying
/// again later may work) unless made with [`NotifyError::permanent`] (the receiver
/// refused the message: trying again will not help). Errors made from a string are
/// retryable.
///
/// ```
/// use notify_rules::NotifyError;
///
/// let e: NotifyError = "connection refused".into();
/// assert!(!e.is_permanent());
/// assert_eq!(e.to_string(), "connection refused");
/// assert!(NotifyError::permanent("HTTP 404").is_permanent());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct NotifyError {
    message: String,
    permanent: bool,
    /// Kept in the outbox though permanent (see [`NotifyError::held`]).
    held: bool,
    /// How long the receiver asked to be left alone (HTTP `Retry-After`).
    retry_after: Option<std::time::Duration>,
}

impl NotifyError {
    /// A failure that may go away: the delivery is tried again.
    pub fn retryable(message: impl Into<String>) -> Self {
        NotifyError {
            message: message.into(),
            permanent: false,
            held: false,
            retry_after: None,
        }
    }

    /// A failure that will not go away by trying again: the delivery is reported
    /// and dropped.
    pub fn permanent(message: impl Into<String>) -> Self {
        NotifyError {
            message: message.into(),
            permanent: true,
            held: false,
            retry_after: None,
        }
    }

    /// A failure that trying again cannot mend until a person does
    /// something (a revoked token, a bot not invited to its channel): the
    /// delivery is not retried, but it is reported and *kept* in the outbox,
    /// listed by `notify-rules outbox list`, until `notify-rules outbox
    /// retry` makes it due again (or it is older than the outbox keeps
    /// anything, and is given up). It is [permanent](Self::is_permanent):
    /// nothing tries it in a loop.
    ///
    /// ```
    /// use notify_rules::NotifyError;
    ///
    /// let e = NotifyError::held("Slack refused the token (invalid_auth)");
    /// assert!(e.is_permanent() && e.is_held());
    /// assert!(!NotifyError::permanent("HTTP 404").is_held());
    /// ```
    pub fn held(message: impl Into<String>) -> Self {
        NotifyError {
            held: true,
            ..NotifyError::permanent(message)
        }
    }

    /// The same error, with the receiver's word on when to try again (an
    /// HTTP `Retry-After`): the plugin waits at least that long before the
    /// next try, within its retry policy, and the outbox too.
    ///
    /// ```
    /// use std::time::Duration;
    /// use notify_rules::NotifyError;
    ///
    /// let e = NotifyError::retryable("HTTP 429").retry_after(Duration::from_secs(1));
    /// assert_eq!(e.wait(), Some(Duration::from_secs(1)));
    /// ```
    pub fn retry_after(mut self, wait: std::time::Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// How long the receiver asked to wait before the next try, if it said.
    pub fn wait(&self) -> Option<std::time::Duration> {
        self.retry_after
    }

    /// Whether the delivery is kept in the outbox, untried, until someone
    /// retries it (see [`NotifyError::held`]).
    pub fn is_held(&self) -> bool {
        self.held
    }

    /// Whether trying again is pointless.
    pub fn is_permanent(&self) -> bool {
        self.permanent
    }

    /// The reason, as shown to people.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for NotifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for NotifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotifyError")
            .field("message", &self.message)
            .field("permanent", &self.permanent)
            .field("held", &self.held)
            .field("retry_after", &self.retry_after)
            .finish()
    }
}

impl std::error::Error for NotifyError {}

impl From<String> for NotifyError {
    fn from(message: String) -> Self {
        NotifyError::retryable(message)
    }
}

impl From<&str> for NotifyError {
    fn from(message: &str) -> Self {
        NotifyError::retryable(message)
    }
}
