//! Microsoft Teams, through a Workflows webhook ("Post to a channel when a
//! webhook request is received"): the message is an Adaptive Card.

use serde_json::{json, Value};

use super::{chat_notifier, cut, summary, Chat, Format, Tone, OPEN};
use crate::rules::Delivery;

/// Posts an [Adaptive Card](https://adaptivecards.io) (version 1.4) to a
/// Teams Workflows webhook, the successor of the retired Office 365
/// connectors:
///
/// ```json
/// {"type": "message", "attachments": [{
///   "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": null,
///   "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
///     "type": "AdaptiveCard", "version": "1.4",
///     "body": [
///       {"type": "Container", "style": "attention", "items": [{"type": "TextBlock",
///         "text": "deploy-app #42 · deploy #1: Failed", "weight": "bolder",
///         "color": "attention", "wrap": true}]},
///       {"type": "TextBlock", "text": "Deploy of deploy-app failed", "wrap": true},
///       {"type": "FactSet", "facts": [{"title": "Pipeline", "value": "deploy-app"}, ...]}],
///     "actions": [{"type": "Action.OpenUrl", "title": "Open in GoCD",
///       "url": "https://gocd.example.com/go/pipelines/deploy-app/42/deploy/1"}]}}]}
/// ```
///
/// The header's colour follows the state: `attention` (red) failed, `good`
/// (green) passed, `accent` (blue) building, `warning` (amber) cancelled.
/// [`Format::Text`] sends the card with the text alone. A body over 28 KB
/// (Teams' limit) has its text cut, ending in `… (cut)`.
///
/// ```
/// use std::sync::Arc;
/// use notify_rules::{Delivery, deliver::Teams, model::StageStatus};
///
/// let teams = Teams::new("https://example.webhook.office.com/workflows/s3cret")?
///     .server_url("https://gocd.example.com")?;
/// assert!(!format!("{teams:?}").contains("s3cret"));
/// let status: StageStatus = serde_json::from_str(r#"{"pipeline":{"name":"shop","counter":"3",
///   "stage":{"name":"deploy","counter":"1","state":"Failed","result":"Failed"}}}"#).unwrap();
/// let body = teams.message(&Delivery::new("ops", "shop failed", Arc::new(status)));
/// let card: serde_json::Value = serde_json::from_str(&body).unwrap();
/// let card = &card["attachments"][0]["content"];
/// assert_eq!(card["type"], "AdaptiveCard");
/// assert_eq!(card["body"][1]["text"], "shop failed");
/// assert_eq!(card["actions"][0]["url"], "https://gocd.example.com/go/pipelines/shop/3/deploy/1");
/// # Ok::<(), notify_rules::deliver::ConfigError>(())
/// ```
pub struct Teams {
    chat: Chat,
}

chat_notifier!(Teams, "teams", body);

/// Teams refuses a message over 28 KB; the body stays under it.
pub(crate) const BODY_MAX: usize = 28_000;

/// The schema's `Colors` and `ContainerStyle` for a tone (the two share these
/// names; `default` is in both).
fn style(tone: Tone) -> &'static str {
    match tone {
        Tone::Failed => "attention",
        Tone::Passed => "good",
        Tone::Building => "accent",
        Tone::Cancelled => "warning",
        Tone::Neutral => "default",
    }
}

fn body(delivery: &Delivery, format: Format, server: Option<&str>) -> String {
    let rich = match format {
        Format::Rich => Some(summary(delivery, server)),
        Format::Text => None,
    };
    cut::fit_body(delivery.text(), BODY_MAX, |text| {
        let said = json!({ "type": "TextBlock", "text": text, "wrap": true });
        let card = match &rich {
            None => card(vec![said], Vec::new()),
            Some(s) => {
                let header = json!({
                    "type": "Container",
                    "style": style(s.tone),
                    "items": [{
                        "type": "TextBlock",
                        "text": s.title,
                        "weight": "bolder",
                        "color": style(s.tone),
                        "wrap": true,
                    }],
                });
                let facts: Vec<Value> = s
                    .fields
                    .iter()
                    .map(|f| json!({ "title": f.name, "value": f.value }))
                    .collect();
                let actions = s
                    .link
                    .iter()
                    .map(|url| json!({ "type": "Action.OpenUrl", "title": OPEN, "url": url }))
                    .collect();
                let mut items = vec![header, said];
                if !facts.is_empty() {
                    items.push(json!({ "type": "FactSet", "facts": facts }));
                }
                card(items, actions)
            }
        };
        json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": card,
            }],
        })
    })
}

fn card(body: Vec<Value>, actions: Vec<Value>) -> Value {
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    });
    if !actions.is_empty() {
        card["actions"] = Value::Array(actions);
    }
    card
}
