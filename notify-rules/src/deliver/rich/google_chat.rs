//! Google Chat, through a space's incoming webhook: the text, and a card
//! (`cardsV2`) with the fields and a button to the stage.

use serde_json::{json, Value};

use super::{chat_notifier, cut, escape, summary, Chat, Format, OPEN};
use crate::rules::Delivery;

/// Posts to a Google Chat space's incoming webhook: the text, and a card in
/// the `cardsV2` form:
///
/// ```json
/// {"text": "Deploy of deploy-app failed",
///  "cardsV2": [{"cardId": "gocd-stage", "card": {
///    "header": {"title": "deploy-app #42 · deploy #1: Failed", "subtitle": "GoCD"},
///    "sections": [{"widgets": [
///      {"decoratedText": {"topLabel": "State", "text": "<font color=\"#d0021b\">Failed</font>"}},
///      {"decoratedText": {"topLabel": "Pipeline", "text": "deploy-app"}}, ...,
///      {"buttonList": {"buttons": [{"text": "Open in GoCD", "onClick": {"openLink":
///        {"url": "https://gocd.example.com/go/pipelines/deploy-app/42/deploy/1"}}}]}}]}]}}]}
/// ```
///
/// The state is written in its colour (red failed, green passed, blue
/// building, amber cancelled, grey otherwise). Card text is Google Chat's
/// HTML subset, so `&`, `<` and `>` from the notification are escaped there;
/// in the text, a `<` is followed by a zero-width space, so that a name
/// cannot make a mention (`<users/all>`). [`Format::Text`] sends
/// `{"text": ...}` alone. A body over 32 000 bytes (Google Chat's limit) has
/// its text cut, ending in `… (cut)`.
///
/// ```
/// use notify_rules::deliver::{Format, GoogleChat};
///
/// let chat = GoogleChat::new("https://chat.googleapis.com/v1/spaces/AAA/messages?key=k&token=s3cret")?
///     .format(Format::Text);
/// assert!(!format!("{chat:?}").contains("s3cret"));
/// # Ok::<(), notify_rules::deliver::ConfigError>(())
/// ```
pub struct GoogleChat {
    chat: Chat,
}

chat_notifier!(GoogleChat, "google-chat", body);

/// Google Chat takes messages of at most 32 000 bytes.
pub(crate) const BODY_MAX: usize = 32_000;

/// What ends the text before a `<`: invisible, and enough for Google Chat not
/// to read `<users/all>` as a mention.
const ZERO_WIDTH_SPACE: char = '\u{200B}';

/// The text, with no mention or link syntax left in it.
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        out.push(c);
        if c == '<' {
            out.push(ZERO_WIDTH_SPACE);
        }
    }
    out
}

fn body(delivery: &Delivery, format: Format, server: Option<&str>) -> String {
    let text = plain(delivery.text());
    let Format::Rich = format else {
        return cut::fit_body(&text, BODY_MAX, |t| json!({ "text": t }));
    };
    let s = summary(delivery, server);
    let mut widgets: Vec<Value> = s
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let value = escape(&f.value);
            // The first field is the state, which takes the state's colour.
            let value = if i == 0 {
                format!("<font color=\"{}\">{value}</font>", s.tone.hex())
            } else {
                value
            };
            json!({ "decoratedText": { "topLabel": f.name, "text": value } })
        })
        .collect();
    if let Some(url) = &s.link {
        widgets.push(json!({ "buttonList": { "buttons": [
            { "text": OPEN, "onClick": { "openLink": { "url": url } } }
        ] } }));
    }
    let card_id = if delivery.agent().is_some() {
        "gocd-agent"
    } else {
        "gocd-stage"
    };
    let mut card = json!({ "header": { "title": s.title, "subtitle": "GoCD" } });
    if !widgets.is_empty() {
        card["sections"] = json!([{ "widgets": widgets }]);
    }
    cut::fit_body(
        &text,
        BODY_MAX,
        |t| json!({ "text": t, "cardsV2": [{ "cardId": card_id, "card": card }] }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_mention_gets_through_the_text() {
        assert_eq!(plain("a <users/all> b"), "a <\u{200B}users/all> b");
    }
}
