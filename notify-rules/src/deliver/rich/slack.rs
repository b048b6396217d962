//! Slack's message body: the text, and a secondary attachment with the
//! state's colour, the fields and a link (Slack's "legacy" attachments, which
//! Mattermost's incoming webhooks take too, where it does not take blocks).

use serde_json::{json, Value};

use super::{cut, escape, summary, Format};
use crate::rules::Delivery;

/// Slack shows at most 40 000 characters of a message's text, and cuts the
/// rest without a word.
pub(crate) const TEXT_MAX: usize = 40_000;

/// The message's text, escaped and within Slack's limit.
pub(crate) fn text(delivery: &Delivery) -> String {
    cut::chars_entities(&escape(delivery.text()), TEXT_MAX).into_owned()
}

/// The attachment for a delivery: `fallback` (the summary, for clients that
/// show no attachments), `color`, `title`, `title_link` (the stage's or the
/// agent's page, when `server_url` is set) and `fields` (`title`, `value`,
/// `short`), every text escaped. `server_url` is an address that
/// `check_server_url` took (the notifiers' `server_url` checks it).
pub(crate) fn attachment(delivery: &Delivery, server_url: Option<&str>) -> Value {
    let s = summary(delivery, server_url);
    let title = escape(&s.title);
    let fields: Vec<Value> = s
        .fields
        .iter()
        .map(|f| json!({ "title": f.name, "value": escape(&f.value), "short": f.short }))
        .collect();
    let mut attachment = json!({
        "fallback": title,
        "color": s.tone.hex(),
        "title": title,
        "fields": fields,
    });
    if let Some(link) = s.link {
        attachment["title_link"] = Value::String(link);
    }
    attachment
}

/// The body posted to an incoming webhook: `{"text": ...}`, with the
/// attachment unless the format is plain text. `text` stays at the top level
/// either way: it is what notifications and Mattermost show first.
pub(crate) fn body(delivery: &Delivery, format: Format, server: Option<&str>) -> String {
    let text = text(delivery);
    match format {
        Format::Text => json!({ "text": text }),
        Format::Rich => json!({ "text": text, "attachments": [attachment(delivery, server)] }),
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::test_support::status;
    use std::sync::Arc;

    #[test]
    fn a_long_text_is_cut_within_the_limit_without_breaking_an_entity() {
        let text = "a&b".repeat(20_000);
        let d = Delivery::new("ops", text, Arc::new(status("api", 1, "test", 1, "Failed")));
        let v: Value = serde_json::from_str(&body(&d, Format::Text, None)).unwrap();
        let sent = v["text"].as_str().unwrap();
        assert!(sent.chars().count() <= TEXT_MAX);
        assert!(sent.ends_with(cut::MARKER), "{}", &sent[sent.len() - 20..]);
        let kept = sent.trim_end_matches(cut::MARKER);
        assert!(kept.ends_with("a&amp;b") || kept.ends_with('a') || kept.ends_with("&amp;"));
    }
}
