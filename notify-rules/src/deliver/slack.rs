//! The Slack incoming-webhook notifier.

use std::fmt;
use std::time::Duration;

use super::http::Poster;
use super::{show_duration, ConfigError, Notifier, NotifyError};
use crate::rules::Delivery;

/// Posts `{"text": "..."}` to a Slack incoming webhook. Mattermost's and Microsoft
/// Teams' Slack-compatible incoming webhooks take the same body.
///
/// `&`, `<` and `>` in the message are escaped as Slack asks (`&amp;`, `&lt;`,
/// `&gt;`), so text from a notification cannot turn into a mention or a link.
/// The webhook URL is a secret: it never shows in errors or `Debug` output.
///
/// ```
/// use notify_rules::deliver::Slack;
///
/// let slack = Slack::new("https://hooks.slack.com/services/T000/B000/XXXX")?;
/// assert!(!format!("{slack:?}").contains("XXXX"));
/// assert_eq!(Slack::body("a <b> & c"), r#"{"text":"a &lt;b&gt; &amp; c"}"#);
/// # Ok::<(), notify_rules::deliver::ConfigError>(())
/// ```
pub struct Slack {
    poster: Poster,
}

impl Slack {
    /// A notifier posting to the incoming webhook at `url`.
    pub fn new(url: &str) -> Result<Slack, ConfigError> {
        Ok(Slack {
            poster: Poster::new("slack", url)?,
        })
    }

    /// How long one request may take in all; 5 seconds unless set.
    pub fn timeout(mut self, timeout: Duration) -> Slack {
        self.poster.set_timeout(timeout);
        self
    }

    /// The JSON body posted for a message.
    pub fn body(text: &str) -> String {
        let mut escaped = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                '&' => escaped.push_str("&amp;"),
                '<' => escaped.push_str("&lt;"),
                '>' => escaped.push_str("&gt;"),
                c => escaped.push(c),
            }
        }
        serde_json::json!({ "text": escaped }).to_string()
    }
}

impl fmt::Debug for Slack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slack")
            .field("host", &self.poster.host())
            .field("url", &"<hidden>")
            .field("timeout", &show_duration(self.poster.timeout()))
            .finish()
    }
}

impl Notifier for Slack {
    fn send(&self, delivery: &Delivery) -> Result<(), NotifyError> {
        // Slack ignores an Idempotency-Key header; the body is all it reads.
        self.poster
            .post_json(Slack::body(delivery.text()).as_bytes(), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_only_what_slack_asks() {
        assert_eq!(
            Slack::body("<!channel> x&y \"q\" é"),
            r#"{"text":"&lt;!channel&gt; x&amp;y \"q\" é"}"#
        );
        assert_eq!(Slack::body(""), r#"{"text":""}"#);
    }
}
