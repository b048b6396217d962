//! Each service's documented message shape, checked by hand (no network in
//! tests): the keys an object may have, the keys it must have, the values an
//! enum takes, and the limits. Each function returns every problem it finds.

use serde_json::Value;

use crate::check::Check;

/// A Slack incoming-webhook body: `text` and secondary attachments
/// (api.slack.com/reference/messaging/attachments), which Mattermost's
/// incoming webhooks take too.
pub fn slack(body: &Value) -> Vec<String> {
    const ATTACHMENT: &[&str] = &[
        "fallback",
        "color",
        "pretext",
        "author_name",
        "author_link",
        "author_icon",
        "title",
        "title_link",
        "text",
        "fields",
        "image_url",
        "thumb_url",
        "footer",
        "footer_icon",
        "ts",
        "mrkdwn_in",
        "actions",
        "blocks",
    ];
    let mut c = Check::new();
    c.object("", body, &["text"], &["attachments", "blocks"]);
    c.string("text", &body["text"], 40_000);
    let attachments = if body["attachments"].is_null() {
        &[][..]
    } else {
        c.array("attachments", &body["attachments"])
    };
    for (i, a) in attachments.iter().enumerate() {
        let path = format!("attachments[{i}]");
        c.object(&path, a, &[], ATTACHMENT);
        let color = a["color"].as_str().unwrap_or_default();
        let hex = color.len() == 7
            && color.starts_with('#')
            && color[1..].chars().all(|d| d.is_ascii_hexdigit());
        if !hex && !["good", "warning", "danger"].contains(&color) {
            c.fail(&format!("{path}.color"), format!("{color:?} is no colour"));
        }
        for key in ["fallback", "title", "title_link"] {
            if !a[key].is_null() {
                c.string(&format!("{path}.{key}"), &a[key], 40_000);
            }
        }
        for (j, f) in c
            .array(&format!("{path}.fields"), &a["fields"])
            .iter()
            .enumerate()
        {
            let path = format!("{path}.fields[{j}]");
            c.object(&path, f, &["title", "value"], &["short"]);
            c.string(&format!("{path}.title"), &f["title"], 40_000);
            c.string(&format!("{path}.value"), &f["value"], 40_000);
            if !f["short"].is_boolean() {
                c.fail(&format!("{path}.short"), "not a boolean");
            }
        }
    }
    c.done()
}

/// A Teams Workflows body: one attachment holding an Adaptive Card, checked
/// against the required properties, the properties and the enums of the
/// official schema (adaptivecards.io, version 1.5, which 1.4 cards satisfy)
/// for the elements a card of ours holds.
pub fn teams(body: &Value) -> Vec<String> {
    const COLORS: &[&str] = &[
        "default",
        "dark",
        "light",
        "accent",
        "good",
        "warning",
        "attention",
    ];
    const CONTAINER_STYLES: &[&str] = &[
        "default",
        "emphasis",
        "good",
        "attention",
        "warning",
        "accent",
    ];
    const ELEMENT: &[&str] = &[
        "fallback",
        "height",
        "separator",
        "spacing",
        "id",
        "isVisible",
        "requires",
    ];
    let mut c = Check::new();
    c.object("", body, &["type", "attachments"], &[]);
    c.one_of("type", &body["type"], &["message"]);
    let attachments = c.array("attachments", &body["attachments"]);
    if attachments.len() != 1 {
        c.fail(
            "attachments",
            format!("{} attachments, not 1", attachments.len()),
        );
    }
    for (i, a) in attachments.iter().enumerate() {
        let path = format!("attachments[{i}]");
        c.object(&path, a, &["contentType", "content"], &["contentUrl"]);
        c.one_of(
            &format!("{path}.contentType"),
            &a["contentType"],
            &["application/vnd.microsoft.card.adaptive"],
        );
        let card = &a["content"];
        let path = format!("{path}.content");
        c.object(
            &path,
            card,
            &["type", "version"],
            &[
                "$schema",
                "body",
                "actions",
                "fallbackText",
                "selectAction",
                "speak",
                "lang",
                "minHeight",
                "rtl",
                "verticalContentAlignment",
                "backgroundImage",
                "refresh",
                "authentication",
            ],
        );
        c.one_of(&format!("{path}.type"), &card["type"], &["AdaptiveCard"]);
        c.one_of(
            &format!("{path}.version"),
            &card["version"],
            &["1.4", "1.5"],
        );
        c.one_of(
            &format!("{path}.$schema"),
            &card["$schema"],
            &["http://adaptivecards.io/schemas/adaptive-card.json"],
        );
        let mut elements: Vec<(String, &Value)> = c
            .array(&format!("{path}.body"), &card["body"])
            .iter()
            .enumerate()
            .map(|(j, e)| (format!("{path}.body[{j}]"), e))
            .collect();
        while let Some((path, e)) = elements.pop() {
            let allowed = |own: &[&'static str]| [own, ELEMENT].concat();
            match e["type"].as_str() {
                Some("TextBlock") => {
                    let props = allowed(&[
                        "type",
                        "color",
                        "fontType",
                        "horizontalAlignment",
                        "isSubtle",
                        "maxLines",
                        "size",
                        "weight",
                        "wrap",
                        "style",
                    ]);
                    c.object(&path, e, &["text"], &props);
                    c.string(&format!("{path}.text"), &e["text"], usize::MAX);
                    if !e["color"].is_null() {
                        c.one_of(&format!("{path}.color"), &e["color"], COLORS);
                    }
                    if !e["weight"].is_null() {
                        c.one_of(
                            &format!("{path}.weight"),
                            &e["weight"],
                            &["default", "lighter", "bolder"],
                        );
                    }
                }
                Some("Container") => {
                    let props = allowed(&[
                        "type",
                        "actions",
                        "selectAction",
                        "style",
                        "verticalContentAlignment",
                        "bleed",
                        "backgroundImage",
                        "minHeight",
                        "rtl",
                    ]);
                    c.object(&path, e, &["items"], &props);
                    if !e["style"].is_null() {
                        c.one_of(&format!("{path}.style"), &e["style"], CONTAINER_STYLES);
                    }
                    for (k, item) in c
                        .array(&format!("{path}.items"), &e["items"])
                        .iter()
                        .enumerate()
                    {
                        elements.push((format!("{path}.items[{k}]"), item));
                    }
                }
                Some("FactSet") => {
                    c.object(&path, e, &["facts"], &allowed(&["type"]));
                    for (k, f) in c
                        .array(&format!("{path}.facts"), &e["facts"])
                        .iter()
                        .enumerate()
                    {
                        let path = format!("{path}.facts[{k}]");
                        c.object(&path, f, &["title", "value"], &[]);
                        c.string(&format!("{path}.title"), &f["title"], usize::MAX);
                        c.string(&format!("{path}.value"), &f["value"], usize::MAX);
                    }
                }
                other => c.fail(
                    &path,
                    format!("element type {other:?} is not one a card of ours holds"),
                ),
            }
        }
        if !card["actions"].is_null() {
            for (j, action) in c
                .array(&format!("{path}.actions"), &card["actions"])
                .iter()
                .enumerate()
            {
                let path = format!("{path}.actions[{j}]");
                c.object(
                    &path,
                    action,
                    &["type", "url"],
                    &[
                        "title",
                        "iconUrl",
                        "id",
                        "style",
                        "fallback",
                        "tooltip",
                        "isEnabled",
                        "mode",
                        "requires",
                    ],
                );
                c.one_of(
                    &format!("{path}.type"),
                    &action["type"],
                    &["Action.OpenUrl"],
                );
                c.string(&format!("{path}.url"), &action["url"], usize::MAX);
            }
        }
    }
    c.done()
}

/// A Google Chat message: `text` and `cardsV2` (developers.google.com/chat:
/// Card, CardHeader, Section, DecoratedText, ButtonList, OnClick, OpenLink).
pub fn google_chat(body: &Value) -> Vec<String> {
    let mut c = Check::new();
    c.object("", body, &[], &["text", "cardsV2"]);
    if !body["text"].is_null() {
        c.string("text", &body["text"], usize::MAX);
    }
    if body["cardsV2"].is_null() {
        return c.done();
    }
    for (i, card) in c.array("cardsV2", &body["cardsV2"]).iter().enumerate() {
        let path = format!("cardsV2[{i}]");
        c.object(&path, card, &["cardId", "card"], &[]);
        c.string(&format!("{path}.cardId"), &card["cardId"], usize::MAX);
        let inner = &card["card"];
        let path = format!("{path}.card");
        c.object(
            &path,
            inner,
            &[],
            &[
                "header",
                "sections",
                "cardActions",
                "name",
                "fixedFooter",
                "displayStyle",
                "peekCardHeader",
                "sectionDividerStyle",
            ],
        );
        if !inner["header"].is_null() {
            let h = &inner["header"];
            c.object(
                &format!("{path}.header"),
                h,
                &["title"],
                &["subtitle", "imageType", "imageUrl", "imageAltText"],
            );
            c.string(&format!("{path}.header.title"), &h["title"], usize::MAX);
        }
        let mut widgets = 0;
        for (j, section) in c
            .array(&format!("{path}.sections"), &inner["sections"])
            .iter()
            .enumerate()
        {
            let path = format!("{path}.sections[{j}]");
            c.object(
                &path,
                section,
                &["widgets"],
                &[
                    "header",
                    "collapsible",
                    "uncollapsibleWidgetsCount",
                    "collapseControl",
                ],
            );
            for (k, w) in c
                .array(&format!("{path}.widgets"), &section["widgets"])
                .iter()
                .enumerate()
            {
                widgets += 1;
                let path = format!("{path}.widgets[{k}]");
                let kinds: Vec<&String> = w
                    .as_object()
                    .map(|m| m.keys().collect())
                    .unwrap_or_default();
                if kinds.len() != 1 {
                    c.fail(
                        &path,
                        format!("a widget is one of its kinds, not {kinds:?}"),
                    );
                }
                if let Some(d) = w.get("decoratedText") {
                    c.object(
                        &format!("{path}.decoratedText"),
                        d,
                        &["text"],
                        &[
                            "topLabel",
                            "bottomLabel",
                            "startIcon",
                            "icon",
                            "wrapText",
                            "button",
                            "switchControl",
                            "endIcon",
                            "onClick",
                        ],
                    );
                } else if let Some(list) = w.get("buttonList") {
                    c.object(&format!("{path}.buttonList"), list, &["buttons"], &[]);
                    for (m, b) in c
                        .array(&format!("{path}.buttonList.buttons"), &list["buttons"])
                        .iter()
                        .enumerate()
                    {
                        let path = format!("{path}.buttonList.buttons[{m}]");
                        c.object(
                            &path,
                            b,
                            &["text", "onClick"],
                            &["icon", "color", "disabled", "altText", "type"],
                        );
                        c.object(
                            &format!("{path}.onClick"),
                            &b["onClick"],
                            &["openLink"],
                            &[],
                        );
                        let link = &b["onClick"]["openLink"];
                        c.object(
                            &format!("{path}.onClick.openLink"),
                            link,
                            &["url"],
                            &["openAs", "onClose"],
                        );
                    }
                } else {
                    c.fail(&path, "a widget of a kind a card of ours does not hold");
                }
            }
        }
        // "You can add up to 100 widgets per card."
        if widgets > 100 {
            c.fail(&path, format!("{widgets} widgets, over 100"));
        }
    }
    c.done()
}

/// A Discord webhook body: `content` or `embeds` (discord.com/developers:
/// Execute Webhook, Embed Object and its limits), `allowed_mentions`.
pub fn discord(body: &Value) -> Vec<String> {
    const EMBED: &[&str] = &[
        "title",
        "type",
        "description",
        "url",
        "timestamp",
        "color",
        "footer",
        "image",
        "thumbnail",
        "video",
        "provider",
        "author",
        "fields",
    ];
    let mut c = Check::new();
    c.object(
        "",
        body,
        &[],
        &[
            "content",
            "embeds",
            "allowed_mentions",
            "username",
            "avatar_url",
            "tts",
        ],
    );
    if body["content"].is_null() && body["embeds"].is_null() {
        c.fail("", "neither `content` nor `embeds`");
    }
    if !body["content"].is_null() {
        c.string("content", &body["content"], 2000);
    }
    c.object(
        "allowed_mentions",
        &body["allowed_mentions"],
        &["parse"],
        &["roles", "users", "replied_user"],
    );
    let mut total = 0;
    let embeds = if body["embeds"].is_null() {
        &[][..]
    } else {
        c.array("embeds", &body["embeds"])
    };
    if embeds.len() > 10 {
        c.fail("embeds", "more than 10");
    }
    let mut count = |v: &Value| total += v.as_str().map_or(0, |s| s.chars().count());
    for (i, e) in embeds.iter().enumerate() {
        let path = format!("embeds[{i}]");
        c.object(&path, e, &[], EMBED);
        c.string(&format!("{path}.title"), &e["title"], 256);
        count(&e["title"]);
        if !e["description"].is_null() {
            c.string(&format!("{path}.description"), &e["description"], 4096);
            count(&e["description"]);
        }
        if e["color"].as_u64().is_none_or(|rgb| rgb > 0xFF_FF_FF) {
            c.fail(&format!("{path}.color"), "not an integer colour");
        }
        let fields = c.array(&format!("{path}.fields"), &e["fields"]);
        if fields.len() > 25 {
            c.fail(&format!("{path}.fields"), "more than 25");
        }
        for (j, f) in fields.iter().enumerate() {
            let path = format!("{path}.fields[{j}]");
            c.object(&path, f, &["name", "value"], &["inline"]);
            c.string(&format!("{path}.name"), &f["name"], 256);
            c.string(&format!("{path}.value"), &f["value"], 1024);
            for key in ["name", "value"] {
                if f[key].as_str() == Some("") {
                    c.fail(&format!("{path}.{key}"), "empty");
                }
                count(&f[key]);
            }
        }
    }
    if total > 6000 {
        c.fail("embeds", format!("{total} characters in all, over 6000"));
    }
    c.done()
}
