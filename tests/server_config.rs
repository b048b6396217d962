//! The sample configuration in `examples/` works with the example's rules, and
//! the server it describes answers.

use std::sync::Arc;

use notify_rules::server::config::Config;
use notify_rules::server::Server;
use notify_rules::RuleSet;

fn team_rules() -> RuleSet {
    RuleSet::parse(&std::fs::read_to_string("examples/rules/team.rules").unwrap()).unwrap()
}

fn env(name: &str) -> Option<String> {
    match name {
        "OPS_SLACK_URL" => Some("http://127.0.0.1:9/slack".to_owned()),
        "RELEASES_WEBHOOK_URL" => Some("http://127.0.0.1:9/releases".to_owned()),
        _ => None,
    }
}

#[test]
fn the_sample_configuration_sets_up_the_team_rules() {
    // A copy, so that its state file is made beside it and not in examples/.
    let dir = notify_rules_test_kit::temp_dir();
    let copy = dir.path().join("notify-rules.toml");
    std::fs::copy("examples/notify-rules.toml", &copy).unwrap();
    let config = Config::load(&copy).unwrap();
    assert_eq!(
        config.targets().collect::<Vec<_>>(),
        ["audit", "ops", "releases"]
    );
    let setup = config.setup_with_env(team_rules(), env).unwrap();
    assert_eq!(setup.options.listen.to_string(), "127.0.0.1:8154");
    assert!(setup.options.secret.is_none());
    assert!(
        setup.plugin.state_is_durable(),
        "the sample keeps its state"
    );
    assert!(dir.path().join("notify-rules.db").exists());

    // The same plugin behind a server on a free port answers GoCD's first question.
    let options = notify_rules::server::ServerOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..setup.options
    };
    let running = Server::spawn(Arc::new(setup.plugin), options).unwrap();
    let mut resp = ureq::post(format!(
        "http://{}/notifications-interested-in",
        running.local_addr()
    ))
    .send_empty()
    .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp
        .body_mut()
        .read_to_string()
        .unwrap()
        .contains("stage-status"));
    running.shutdown().unwrap();
}

#[test]
fn the_sample_configuration_names_each_missing_variable() {
    let config = Config::load("examples/notify-rules.toml").unwrap();
    let err = config.setup_with_env(team_rules(), |_| None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "examples/notify-rules.toml: target `ops`: environment variable OPS_SLACK_URL (url_env) is not set\n\
         examples/notify-rules.toml: target `releases`: environment variable RELEASES_WEBHOOK_URL (url_env) is not set"
    );
}

/// Every problem of `slack-app` targets at once, and the token in none.
#[test]
fn slack_app_targets_say_what_they_need_without_the_token() {
    let rules = || RuleSet::parse("target a, b, c; on any => send(a), send(b), send(c);").unwrap();
    let env = |name: &str| match name {
        "T_BAD" => Some("xoxb-s3cr3t with space".to_owned()),
        "T_GOOD" => Some("xoxb-s3cr3t".to_owned()),
        _ => None,
    };
    let setup = |text: &str| {
        Config::parse(text, "c.toml")
            .and_then(|c| c.setup_with_env(rules(), env).map(drop))
            .unwrap_err()
            .to_string()
    };
    // What the file shows.
    let err = setup(
        "[targets.a]\nkind = \"slack-app\"\nurl_env = \"X\"\n\
         [targets.b]\nkind = \"console\"\n[targets.c]\nkind = \"console\"\n",
    );
    for said in [
        "`url_env` is not a setting of kind slack-app",
        "needs `token_env`",
        "needs `channel`",
    ] {
        assert!(err.contains(said), "{said} not in: {err}");
    }
    // What the notifiers refuse, every one.
    let err = setup(
        "[state]\nstore = \"memory\"\n[targets.a]\nkind = \"console\"\n\
         [targets.b]\nkind = \"slack-app\"\ntoken_env = \"T_BAD\"\nchannel = \"C1\"\n\
         [targets.c]\nkind = \"slack-app\"\ntoken_env = \"T_GOOD\"\nchannel = \"C2\"\n\
         api_url = \"ftp://example.com\"\n",
    );
    for said in [
        "target `b`",
        "the bot token holds spaces",
        "target `c`",
        "`api_url`",
    ] {
        assert!(err.contains(said), "{said} not in: {err}");
    }
    assert!(!err.contains("s3cr3t"), "{err}");

    let text = "[targets.a]\nkind = \"slack-app\"\ntoken_env = \"T\"\nchannel = \"C1\"\n\
                per_run = \"sometimes\"\n";
    let err = Config::parse(text, "c.toml").unwrap_err().to_string();
    assert!(err.contains("`thread`, `update`, `off`"), "{err}");

    let text = "[state]\nstore = \"memory\"\n\
                [targets.a]\nkind = \"slack-app\"\ntoken_env = \"T_GOOD\"\nchannel = \"C1\"\n\
                per_run = \"update\"\n[targets.b]\nkind = \"console\"\n[targets.c]\nkind = \"console\"\n";
    let setup = Config::parse(text, "c.toml")
        .unwrap()
        .setup_with_env(rules(), env)
        .unwrap();
    assert!(!setup.plugin.state_is_durable());
}
