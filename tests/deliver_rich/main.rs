//! The rich messages of the chat notifiers (Slack, Teams, Google Chat,
//! Discord), posted to receivers on 127.0.0.1 through a `Plugin`, and each
//! body checked against the shape its service documents (`shapes`).

mod check;
mod shapes;

use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::Duration;

use notify_rules::deliver::{Discord, Format, GoogleChat, Slack, Teams};
use notify_rules::{rules, Delivery, Notifier, Plugin};
use notify_rules_test_kit::{agent, payload, stage, Loopback};
use serde_json::Value;

const GOCD: &str = "https://gocd.example.com/go";
const STAGE_LINK: &str = "https://gocd.example.com/go/pipelines/deploy-app/42/deploy/1";

/// The one body a receiver got, as JSON.
fn one(got: &Receiver<(String, String)>) -> Value {
    let (_, body) = got.recv_timeout(Duration::from_secs(5)).expect("a request");
    assert!(got.try_recv().is_err(), "one request only");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON: {e}: {body}"))
}

fn assert_shape(kind: &str, problems: Vec<String>, body: &Value) {
    let shown: String = body.to_string().chars().take(2000).collect();
    assert!(problems.is_empty(), "{kind}: {problems:#?}\n{shown}");
}

#[test]
fn each_kind_posts_the_shape_its_service_documents_for_a_failed_stage() {
    let receivers: Vec<(Loopback, Receiver<(String, String)>)> =
        (0..4).map(|_| Loopback::recording(200)).collect();
    let url = |i: usize| receivers[i].0.url("/hook/s3cr3t");
    let plugin = Plugin::builder(rules! {
        target slack, teams, chat, discord;
        on state Failed => send(slack, "Deploy of {pipeline.name} <failed> & {transition}"),
                           send(teams, "Deploy of {pipeline.name} failed"),
                           send(chat, "Deploy of {pipeline.name} failed <users/all>"),
                           send(discord, "Deploy of {pipeline.name} failed @everyone");
    })
    .notifier(
        "slack",
        Slack::new(&url(0)).unwrap().server_url(GOCD).unwrap(),
    )
    .notifier(
        "teams",
        Teams::new(&url(1)).unwrap().server_url(GOCD).unwrap(),
    )
    .notifier(
        "chat",
        GoogleChat::new(&url(2)).unwrap().server_url(GOCD).unwrap(),
    )
    .notifier(
        "discord",
        Discord::new(&url(3)).unwrap().server_url(GOCD).unwrap(),
    )
    .build()
    .unwrap();
    let r = plugin.handle("stage-status", &payload("v4-deploy-failed.json"));
    assert_eq!((r.code, r.body.as_str()), (200, r#"{"status":"success"}"#));

    let title = "deploy-app #42 · deploy #1: Failed";
    let v = one(&receivers[0].1);
    assert_shape("slack", shapes::slack(&v), &v);
    assert_eq!(
        v["text"],
        "Deploy of deploy-app &lt;failed&gt; &amp; broken"
    );
    let a = &v["attachments"][0];
    assert_eq!(a["color"], "#d0021b");
    assert_eq!(
        (&a["title"], &a["fallback"]),
        (&title.into(), &title.into())
    );
    assert_eq!(a["title_link"], STAGE_LINK);
    let fields: Vec<(&str, &str)> = a["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["title"].as_str().unwrap(), f["value"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [
            ("State", "Failed (broken)"),
            ("Pipeline", "deploy-app"),
            ("Stage", "deploy"),
            ("Counter", "42 / 1"),
            ("Failed jobs", "deploy-worker"),
        ]
    );

    let v = one(&receivers[1].1);
    assert_shape("teams", shapes::teams(&v), &v);
    let card = &v["attachments"][0]["content"];
    assert_eq!(card["body"][0]["style"], "attention");
    assert_eq!(card["body"][0]["items"][0]["text"], title);
    assert_eq!(card["body"][0]["items"][0]["color"], "attention");
    assert_eq!(card["body"][1]["text"], "Deploy of deploy-app failed");
    assert_eq!(card["body"][2]["facts"][3]["title"], "Counter");
    assert_eq!(card["body"][2]["facts"][3]["value"], "42 / 1");
    assert_eq!(card["actions"][0]["url"], STAGE_LINK);

    let v = one(&receivers[2].1);
    assert_shape("google-chat", shapes::google_chat(&v), &v);
    assert_eq!(v["text"], "Deploy of deploy-app failed <\u{200B}users/all>");
    let card = &v["cardsV2"][0]["card"];
    assert_eq!(card["header"]["title"], title);
    let widgets = card["sections"][0]["widgets"].as_array().unwrap();
    assert_eq!(
        widgets[0]["decoratedText"],
        serde_json::json!({"topLabel": "State", "text": "<font color=\"#d0021b\">Failed (broken)</font>"})
    );
    assert_eq!(widgets[1]["decoratedText"]["text"], "deploy-app");
    let button = &widgets.last().unwrap()["buttonList"]["buttons"][0];
    assert_eq!(button["onClick"]["openLink"]["url"], STAGE_LINK);

    let v = one(&receivers[3].1);
    assert_shape("discord", shapes::discord(&v), &v);
    let embed = &v["embeds"][0];
    assert_eq!(embed["color"], 0xD0021B);
    assert_eq!(embed["title"], title);
    assert_eq!(embed["url"], STAGE_LINK);
    assert_eq!(
        embed["description"],
        "Deploy of deploy-app failed @everyone"
    );
    assert_eq!(v["allowed_mentions"]["parse"], serde_json::json!([]));
    assert_eq!(embed["fields"][4]["name"], "Failed jobs");
    assert_eq!(embed["fields"][4]["inline"], false);
}

/// One notifier of each kind posting to `url`, in `format`, with links.
fn all_kinds(url: &str, format: Format) -> Vec<(&'static str, Box<dyn Notifier>)> {
    vec![
        (
            "slack",
            Box::new(
                Slack::new(url)
                    .unwrap()
                    .format(format)
                    .server_url(GOCD)
                    .unwrap(),
            ),
        ),
        (
            "teams",
            Box::new(
                Teams::new(url)
                    .unwrap()
                    .format(format)
                    .server_url(GOCD)
                    .unwrap(),
            ),
        ),
        (
            "google-chat",
            Box::new(
                GoogleChat::new(url)
                    .unwrap()
                    .format(format)
                    .server_url(GOCD)
                    .unwrap(),
            ),
        ),
        (
            "discord",
            Box::new(
                Discord::new(url)
                    .unwrap()
                    .format(format)
                    .server_url(GOCD)
                    .unwrap(),
            ),
        ),
    ]
}

fn shape_of(kind: &str, v: &Value) -> Vec<String> {
    match kind {
        "slack" => shapes::slack(v),
        "teams" => shapes::teams(v),
        "google-chat" => shapes::google_chat(v),
        _ => shapes::discord(v),
    }
}

#[test]
fn an_agent_delivery_shows_the_agent_and_links_its_page() {
    let (receiver, got) = Loopback::recording(204);
    let lost = Arc::new(agent("agent-lost-contact.json"));
    let d = Delivery::new_agent("ops", "Agent lost", lost.clone());
    let page = format!(
        "https://gocd.example.com/go/agents/{}/job_run_history",
        lost.uuid
    );
    let host = lost.host_name.clone().unwrap();
    for (kind, notifier) in all_kinds(&receiver.url("/hook"), Format::Rich) {
        notifier.send(&d).unwrap_or_else(|e| panic!("{kind}: {e}"));
        let v = one(&got);
        assert_shape(kind, shape_of(kind, &v), &v);
        let text = v.to_string();
        assert!(text.contains(&page), "{kind}: {text}");
        assert!(
            text.contains(&format!("Agent {host}: LostContact")),
            "{kind}: {text}"
        );
        assert!(
            text.contains("\"Agent\"") && text.contains(&format!("\"{host}\"")),
            "{kind}: {text}"
        );
    }
}

#[test]
fn format_text_sends_the_text_alone() {
    let (receiver, got) = Loopback::recording(200);
    let d = Delivery::new(
        "ops",
        "shop <b> failed",
        Arc::new(stage("v4-deploy-failed.json")),
    );
    let mut bodies = Vec::new();
    for (kind, notifier) in all_kinds(&receiver.url("/hook"), Format::Text) {
        notifier.send(&d).unwrap_or_else(|e| panic!("{kind}: {e}"));
        let v = one(&got);
        assert_shape(kind, shape_of(kind, &v), &v);
        assert!(!v.to_string().contains("pipelines"), "{kind}: {v}");
        bodies.push(v);
    }
    assert_eq!(
        bodies[0],
        serde_json::json!({"text": "shop &lt;b&gt; failed"})
    );
    let card = &bodies[1]["attachments"][0]["content"];
    assert_eq!(
        card["body"],
        serde_json::json!([{"type": "TextBlock", "text": "shop <b> failed", "wrap": true}])
    );
    assert!(card.get("actions").is_none(), "{card}");
    assert_eq!(
        bodies[2],
        serde_json::json!({"text": "shop <\u{200B}b> failed"})
    );
    assert_eq!(
        bodies[3],
        serde_json::json!({"content": "shop <b> failed", "allowed_mentions": {"parse": []}})
    );
}

#[test]
fn long_messages_are_cut_under_each_limit_with_a_marker_never_refused() {
    const MARKER: &str = "… (cut)";
    let (receiver, got) = Loopback::recording(200);
    // Characters of one, two, three and four bytes, and JSON escapes.
    let text = "a é € 😀 \"q\" \\ & <\n".repeat(6000);
    let d = Delivery::new(
        "ops",
        text.clone(),
        Arc::new(stage("v4-deploy-failed.json")),
    );
    for format in [Format::Rich, Format::Text] {
        for (kind, notifier) in all_kinds(&receiver.url("/hook"), format) {
            notifier.send(&d).unwrap_or_else(|e| panic!("{kind}: {e}"));
            let (_, raw) = got.recv_timeout(Duration::from_secs(5)).unwrap();
            let v: Value = serde_json::from_str(&raw).unwrap();
            assert_shape(kind, shape_of(kind, &v), &v);
            let sent = match kind {
                "slack" => v["text"].as_str(),
                "teams" => v["attachments"][0]["content"]["body"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|e| e["wrap"] == true && e.get("color").is_none())
                    .and_then(|e| e["text"].as_str()),
                "google-chat" => v["text"].as_str(),
                _ => v["embeds"][0]["description"]
                    .as_str()
                    .or(v["content"].as_str()),
            }
            .unwrap_or_else(|| panic!("{kind}: no text in {raw}"));
            assert!(sent.ends_with(MARKER), "{kind} {format:?}");
            match kind {
                "slack" => assert!(sent.chars().count() <= 40_000),
                "teams" => assert!(raw.len() <= 28_000, "{kind}: {}", raw.len()),
                "google-chat" => assert!(raw.len() <= 32_000, "{kind}: {}", raw.len()),
                _ => assert!(sent.chars().count() <= 4096),
            }
            // As much as the limit allows is kept, not a token amount.
            assert!(sent.len() > 1500, "{kind} {format:?}: {}", sent.len());
        }
    }
}

#[test]
fn configured_targets_link_to_the_gocd_server_and_keep_their_format() {
    use notify_rules::server::config::Config;

    let (teams, teams_got) = Loopback::recording(202);
    let (chat, chat_got) = Loopback::recording(200);
    let config = Config::parse(
        r#"
[gocd]
server_url = "https://gocd.example.com/go"

[state]
store = "memory"

[targets.teams]
kind = "teams"
url_env = "TEAMS_URL"

[targets.chat]
kind = "google-chat"
url_env = "CHAT_URL"
format = "text"
"#,
        "notify-rules.toml",
    )
    .unwrap();
    let urls = [
        ("TEAMS_URL", teams.url("/workflows/s3cr3t")),
        ("CHAT_URL", chat.url("/v1/spaces/A/messages?token=s3cr3t")),
    ];
    let setup = config
        .setup_with_env(
            rules! { target teams, chat; on state Failed => send(teams), send(chat, "{pipeline.name} failed"); },
            |name| urls.iter().find(|(n, _)| *n == name).map(|(_, u)| u.clone()),
        )
        .unwrap();
    let r = setup
        .plugin
        .handle("stage-status", &payload("v4-deploy-failed.json"));
    assert_eq!(r.body, r#"{"status":"success"}"#);
    let v = one(&teams_got);
    assert_shape("teams", shapes::teams(&v), &v);
    assert_eq!(
        v["attachments"][0]["content"]["actions"][0]["url"],
        STAGE_LINK
    );
    assert_eq!(
        one(&chat_got),
        serde_json::json!({"text": "deploy-app failed"})
    );
}

#[test]
fn the_shape_checks_catch_what_each_service_refuses() {
    use serde_json::json;

    let slack = json!({"text": "x", "attachments": [{"color": "red", "colour": "#fff",
        "fields": [{"title": "State"}]}]});
    assert_eq!(
        shapes::slack(&slack),
        [
            "attachments[0]: `colour` is not a documented property",
            "attachments[0].color: \"red\" is no colour",
            "attachments[0].fields[0]: `value` is required",
            "attachments[0].fields[0].value: not a string",
            "attachments[0].fields[0].short: not a boolean",
        ]
    );
    let teams = json!({"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive",
        "content": {"type": "AdaptiveCard", "msteams": {}, "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "body": [{"type": "Container", "style": "danger", "items": []},
                     {"type": "FactSet", "facts": [{"title": "a"}]},
                     {"type": "TextBlock", "text": "t", "color": "red"}],
            "actions": [{"type": "Action.OpenUrl"}]}}]});
    let problems = shapes::teams(&teams);
    for want in [
        "attachments[0].content: `version` is required",
        "attachments[0].content: `msteams` is not a documented property",
        "attachments[0].content.body[0].style: \"danger\" is none of",
        "attachments[0].content.body[1].facts[0]: `value` is required",
        "attachments[0].content.body[2].color: \"red\" is none of",
        "attachments[0].content.actions[0]: `url` is required",
    ] {
        assert!(
            problems.iter().any(|p| p.starts_with(want)),
            "{want}: {problems:#?}"
        );
    }
    let chat = json!({"text": "x", "cardsV2": [{"card": {"sections": [{"widgets": [
        {"decoratedText": {"text": "a"}, "buttonList": {"buttons": []}},
        {"buttonList": {"buttons": [{"text": "Open", "onClick": {"openLink": {}}}]}}]}]}}]});
    let problems = shapes::google_chat(&chat);
    for want in [
        "cardsV2[0]: `cardId` is required",
        "cardsV2[0].card.sections[0].widgets[0]: a widget is one of its kinds",
        "cardsV2[0].card.sections[0].widgets[1].buttonList.buttons[0].onClick.openLink: `url` is required",
    ] {
        assert!(problems.iter().any(|p| p.starts_with(want)), "{want}: {problems:#?}");
    }
    let long = "x".repeat(1025);
    let discord = json!({"embeds": [{"title": "t", "color": "#ff0000", "fields": [
        {"name": "a", "value": ""}, {"name": "b", "value": long}]}]});
    let problems = shapes::discord(&discord);
    for want in [
        "allowed_mentions: not an object",
        "embeds[0].color: not an integer colour",
        "embeds[0].fields[0].value: empty",
        "embeds[0].fields[1].value: 1025 characters, over 1024",
    ] {
        assert!(
            problems.iter().any(|p| p.starts_with(want)),
            "{want}: {problems:#?}"
        );
    }
}
