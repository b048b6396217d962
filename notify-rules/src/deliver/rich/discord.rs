//! Discord, through a channel's webhook: an embed coloured by the state.

use serde_json::{json, Value};

use super::{chat_notifier, cut, summary, Chat, Format};
use crate::rules::Delivery;

/// Posts to a Discord webhook an embed coloured by the state, with the text
/// as its description:
///
/// ```json
/// {"embeds": [{"title": "deploy-app #42 · deploy #1: Failed",
///   "description": "Deploy of deploy-app failed", "color": 13632027,
///   "url": "https://gocd.example.com/go/pipelines/deploy-app/42/deploy/1",
///   "fields": [{"name": "State", "value": "Failed", "inline": true}, ...]}],
///  "allowed_mentions": {"parse": []}}
/// ```
///
/// `allowed_mentions` is empty so that no text (a name from the
/// notification) can ping anyone. [`Format::Text`] sends the text as
/// `content` alone. Discord's limits are kept: 2 000 characters of
/// `content`, 256 of a title, 4 096 of a description, 25 fields and 6 000
/// characters in all; a longer text is cut, ending in `… (cut)`.
///
/// ```
/// use notify_rules::deliver::Discord;
///
/// let discord = Discord::new("https://discord.com/api/webhooks/123/s3cret")?;
/// assert!(!format!("{discord:?}").contains("s3cret"));
/// # Ok::<(), notify_rules::deliver::ConfigError>(())
/// ```
pub struct Discord {
    chat: Chat,
}

chat_notifier!(Discord, "discord", body);

/// The most characters of `content`.
pub(crate) const CONTENT_MAX: usize = 2000;
/// The most characters of an embed's title.
pub(crate) const TITLE_MAX: usize = 256;
/// The most characters of an embed's description.
pub(crate) const DESCRIPTION_MAX: usize = 4096;
/// The most fields of an embed.
pub(crate) const FIELDS_MAX: usize = 25;
/// The most characters of an embed's title, description, field names and
/// values together.
pub(crate) const TOTAL_MAX: usize = 6000;

fn body(delivery: &Delivery, format: Format, server: Option<&str>) -> String {
    let Format::Rich = format else {
        return json!({
            "content": cut::chars(delivery.text(), CONTENT_MAX),
            "allowed_mentions": { "parse": [] },
        })
        .to_string();
    };
    let s = summary(delivery, server);
    let title = cut::chars(&s.title, TITLE_MAX);
    let mut used = title.chars().count();
    let fields: Vec<Value> = s
        .fields
        .iter()
        .take(FIELDS_MAX)
        .map(|f| {
            used += f.name.chars().count() + f.value.chars().count();
            json!({ "name": f.name, "value": f.value, "inline": f.short })
        })
        .collect();
    let room = DESCRIPTION_MAX.min(TOTAL_MAX.saturating_sub(used));
    let description = cut::chars(delivery.text(), room);
    let mut embed = json!({ "title": title, "color": s.tone.rgb(), "fields": fields });
    // Discord refuses an empty description.
    if !description.is_empty() {
        embed["description"] = Value::String(description.into_owned());
    }
    if let Some(url) = s.link {
        embed["url"] = Value::String(url);
    }
    json!({ "embeds": [embed], "allowed_mentions": { "parse": [] } }).to_string()
}
