//! The Slack incoming-webhook notifier.

use super::rich::{self, chat_notifier, Chat};

/// Posts to a Slack incoming webhook (or a Mattermost one, which takes the
/// same body): the rule's text, and an attachment coloured by the state (red
/// failed, green passed, blue building, amber cancelled, grey otherwise) with
/// the pipeline, stage, counters and failed jobs as fields, or the agent's
/// host and states, and a link to the stage or agent when
/// [`server_url`](Slack::server_url) is set:
///
/// ```json
/// {"text": "Deploy of deploy-app failed",
///  "attachments": [{"fallback": "deploy-app #42 · deploy #1: Failed", "color": "#d0021b",
///    "title": "deploy-app #42 · deploy #1: Failed",
///    "title_link": "https://gocd.example.com/go/pipelines/deploy-app/42/deploy/1",
///    "fields": [{"title": "State", "value": "Failed", "short": true}, ...]}]}
/// ```
///
/// [`Format::Text`](super::Format::Text) posts `{"text": ...}` alone (what
/// [`Slack::body`] makes). `&`, `<` and `>` in the message and the fields are
/// escaped as Slack asks (`&amp;`, `&lt;`, `&gt;`), so text from a
/// notification cannot turn into a mention or a link. A text over Slack's
/// 40 000 characters is cut, ending in `… (cut)`. The webhook URL is a
/// secret: it never shows in errors or `Debug` output.
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
    chat: Chat,
}

chat_notifier!(Slack, "slack", rich::slack::body);

impl Slack {
    /// The JSON body posted for a message in plain text.
    pub fn body(text: &str) -> String {
        serde_json::json!({ "text": rich::escape(text) }).to_string()
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
