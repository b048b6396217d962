//! Receivers on 127.0.0.1 that quote back what they were sent (the bearer token,
//! the path, the query, every header), as many do in their error answers: none
//! of it may reach the notifier's error or the plugin's answer.

use notify_rules::deliver::{Discord, GoogleChat, Slack, Teams, Webhook};
use notify_rules::{rules, Delivery, Notifier, Plugin, RuleSet};
use notify_rules_test_kit::Loopback;

/// Answers 401 to every request with an error quoting the request, the way
/// `invalid token <token> for path <last segment>` receivers do.
fn echo() -> Loopback {
    Loopback::start(|req| {
        let url = req.url().to_owned();
        let (path, query) = url.split_once('?').unwrap_or((&url, ""));
        let last = url.rsplit('/').next().unwrap_or_default();
        let mut token = String::new();
        let mut headers = String::new();
        for h in req.headers() {
            let value = h.value.as_str();
            if h.field.equiv("Authorization") {
                token = value.rsplit(' ').next().unwrap_or_default().to_owned();
            }
            headers.push_str(&format!(" {}={value}", h.field.as_str()));
        }
        let text = format!(
            r#"{{"error":"invalid token {token} for path {last}; path {path}; query {query}; value {}; headers{headers}"}}"#,
            query.rsplit('=').next().unwrap_or_default()
        );
        let _ = req.respond(tiny_http::Response::from_string(text).with_status_code(401));
    })
}

fn delivery() -> Delivery<'static> {
    let status = serde_json::from_str(
        r#"{"pipeline":{"name":"shop","counter":"3","group":"web","build-cause":[],
            "stage":{"name":"deploy","counter":"1","state":"Failed","result":"Failed","jobs":[]}}}"#,
    )
    .unwrap();
    let rules = RuleSet::parse(r#"target ops; on state Failed => send(ops, "failed");"#).unwrap();
    rules.evaluate(&status).remove(0).into_owned()
}

fn assert_hidden(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "`{secret}` shows in: {text}");
    }
}

#[test]
fn a_receiver_quoting_the_token_and_the_path_reveals_neither() {
    let echo = echo();
    let url = format!("http://127.0.0.1:{}/hooks/T0/B0/s3cr3tpath", echo.port);
    let hook = Webhook::new(&url)
        .unwrap()
        .header("Authorization", "Bearer t0kenvalue")
        .unwrap()
        .header("X-Api-Key", "k3yvalue")
        .unwrap();
    let e = hook.send(&delivery()).unwrap_err();
    let text = e.to_string();
    // The answer did reach the error, with what is not secret.
    assert!(
        text.contains("HTTP 401") && text.contains("invalid token"),
        "{text}"
    );
    assert_hidden(
        &text,
        &["s3cr3tpath", "t0kenvalue", "k3yvalue", "/hooks/T0"],
    );

    // Through a plugin: its answer to GoCD is what the server logs.
    let plugin = Plugin::builder(rules! {
        target ops;
        on state Failed => send(ops, "failed");
    })
    .notifier("ops", hook)
    .build()
    .unwrap();
    let body = r#"{"pipeline":{"name":"shop","counter":"3","group":"web","build-cause":[],
        "stage":{"name":"deploy","counter":"1","state":"Failed","result":"Failed","jobs":[]}}}"#;
    let answer = plugin.handle("stage-status", body);
    assert!(answer.body.contains("invalid token"), "{}", answer.body);
    assert_hidden(&answer.body, &["s3cr3tpath", "t0kenvalue", "k3yvalue"]);
}

#[test]
fn a_query_without_a_path_is_hidden() {
    let echo = echo();
    let hook = Webhook::new(&format!("http://127.0.0.1:{}?token=s3cr3tq", echo.port)).unwrap();
    let text = hook.send(&delivery()).unwrap_err().to_string();
    assert!(text.contains("invalid token"), "{text}");
    assert_hidden(&text, &["s3cr3tq", "token=s"]);
}

#[test]
fn user_information_query_values_and_slack_paths_are_hidden() {
    let echo = echo();
    let hook = Webhook::new(&format!(
        "http://deploy:hunter2x@127.0.0.1:{}/x/y?ref=main&key=qv4lue",
        echo.port
    ))
    .unwrap();
    let text = hook.send(&delivery()).unwrap_err().to_string();
    assert!(text.contains("invalid token"), "{text}");
    // ureq sends the user information as a Basic Authorization header, which
    // the receiver quotes too.
    assert_hidden(&text, &["hunter2x", "deploy:", "qv4lue", "ZGVwbG95"]);

    let slack = Slack::new(&format!(
        "http://127.0.0.1:{}/services/T000/B000/XXXXslacktoken",
        echo.port
    ))
    .unwrap();
    let text = slack.send(&delivery()).unwrap_err().to_string();
    assert!(text.contains("invalid token"), "{text}");
    assert_hidden(&text, &["XXXXslacktoken", "/services/T000"]);
}

#[test]
fn the_chat_kinds_hide_their_webhook_paths_and_tokens() {
    let echo = echo();
    let base = format!("http://127.0.0.1:{}", echo.port);
    let notifiers: Vec<(Box<dyn Notifier>, &str)> = vec![
        (
            Box::new(
                Teams::new(&format!(
                    "{base}/workflows/abc/triggers/manual/paths/invoke?sig=t3amssig"
                ))
                .unwrap(),
            ),
            "t3amssig",
        ),
        (
            Box::new(
                GoogleChat::new(&format!(
                    "{base}/v1/spaces/AAA/messages?key=k3y&token=gch4ttoken"
                ))
                .unwrap(),
            ),
            "gch4ttoken",
        ),
        (
            Box::new(Discord::new(&format!("{base}/api/webhooks/123/d1scordtoken")).unwrap()),
            "d1scordtoken",
        ),
    ];
    for (notifier, secret) in notifiers {
        let text = notifier.send(&delivery()).unwrap_err().to_string();
        assert!(
            text.contains("HTTP 401") && text.contains("invalid token"),
            "{text}"
        );
        assert_hidden(&text, &[secret, "/paths/invoke", "/api/webhooks/123"]);
    }
}

#[test]
fn a_payload_error_quoting_a_url_with_quotes_or_spaces_hides_the_credential() {
    let plugin = Plugin::builder(rules! {
        target ops;
        on state Failed => send(ops, "failed");
    })
    .notifier("ops", |_: &Delivery| Ok(()))
    .build()
    .unwrap();
    for counter in [
        r#"https://bob:hun\"ter2@git.example.org/x.git"#,
        "https://bob:hunter2 with space@git.example.org/x.git",
    ] {
        let body = format!(
            r#"{{"pipeline":{{"name":"shop","counter":"{counter}","group":"web","build-cause":[],
            "stage":{{"name":"deploy","counter":"1","state":"Failed","result":"Failed","jobs":[]}}}}}}"#
        );
        let answer = plugin.handle("stage-status", &body);
        assert_eq!(answer.code, 400, "{}", answer.body);
        assert!(answer.body.contains("counter"), "{}", answer.body);
        assert_hidden(&answer.body, &["hunter2", "hun", "ter2", "bob", "space@"]);
    }
}

#[test]
fn a_slack_app_token_shows_in_no_error_and_no_debug() {
    use notify_rules::deliver::SlackApp;

    let token = "xoxb_9999_s3cr3tbottoken";
    // A receiver quoting the token in a 401, and one naming it as its error.
    let quoting = echo();
    let naming = Loopback::start(move |req| {
        let text = format!(r#"{{"ok":false,"error":"{token}"}}"#);
        let _ = req.respond(tiny_http::Response::from_string(text));
    });
    for api in [quoting.url("/api"), naming.url("/api")] {
        let app = SlackApp::new(token, "C0123")
            .unwrap()
            .api_url(&api)
            .unwrap();
        assert_hidden(&format!("{app:?}"), &[token]);
        let e = app.send(&delivery()).unwrap_err();
        assert_hidden(&e.to_string(), &[token]);
        assert_hidden(&format!("{e:?}"), &[token]);
    }
    let e = SlackApp::new("xoxb bad token", "C0123").unwrap_err();
    assert_hidden(&e.to_string(), &["xoxb bad token", "bad token"]);
}
