//! The chat kinds' settings: `teams`, `google-chat`, `discord`, and `format`
//! on them and on `slack`.

use super::*;
use crate::RuleSet;

fn rules() -> RuleSet {
    RuleSet::parse("target a, b, c, d; on any => send(a), send(b), send(c), send(d);").unwrap()
}

#[test]
fn the_chat_kinds_take_a_url_a_format_and_a_timeout() {
    let text = r#"
[gocd]
server_url = "https://gocd.example.com"

[state]
store = "memory"

[targets.a]
kind = "teams"
url_env = "A_URL"
format = "text"
timeout = "2s"

[targets.b]
kind = "google-chat"
url_env = "B_URL"

[targets.c]
kind = "discord"
url_env = "C_URL"
format = "rich"

[targets.d]
kind = "slack"
url_env = "D_URL"
format = "text"
"#;
    let config = Config::parse(text, "c.toml").unwrap();
    assert_eq!(
        config.target_kinds(),
        ["a (teams)", "b (google-chat)", "c (discord)", "d (slack)"]
    );
    let setup = config
        .setup_with_env(rules(), |name| {
            Some(format!("https://hooks.example.com/{name}/s3cret"))
        })
        .unwrap();
    let shown = format!("{:?}", setup.plugin);
    assert!(!shown.contains("s3cret"), "{shown}");
}

#[test]
fn a_format_is_one_of_two_words_and_only_for_the_chat_kinds() {
    let err = Config::parse(
        "[targets.a]\nkind = \"discord\"\nurl_env = \"U\"\nformat = \"html\"\n",
        "c.toml",
    )
    .unwrap_err();
    assert_eq!(
        err.problems(),
        ["line 4, column 10: unknown variant: the value (not shown, as it may be a secret), expected `rich` or `text`"]
    );
    let text = r#"
[targets.a]
kind = "webhook"
url_env = "U"
format = "text"

[targets.b]
kind = "teams"

[targets.c]
kind = "google-chat"
timeout = "5s"
"#;
    let err = Config::parse(text, "c.toml").unwrap_err();
    assert_eq!(
        err.problems(),
        [
            "target `a`: `format` is not a setting of kind webhook; it takes url_env, headers, header_envs, timeout",
            "target `b`: kind teams needs `url_env`",
            "target `c`: kind google-chat needs `url_env`",
        ]
    );
}

#[test]
fn a_missing_url_variable_is_named_for_each_chat_kind() {
    let text = "[targets.a]\nkind = \"teams\"\nurl_env = \"A_URL\"\n\
                [targets.b]\nkind = \"google-chat\"\nurl_env = \"B_URL\"\n\
                [targets.c]\nkind = \"discord\"\nurl_env = \"C_URL\"\n\
                [targets.d]\nkind = \"slack\"\nurl_env = \"D_URL\"\n";
    let err = Config::parse(text, "c.toml")
        .unwrap()
        .setup_with_env(rules(), |_| None)
        .unwrap_err();
    let problems = err.problems();
    for (target, var) in [
        ("a", "A_URL"),
        ("b", "B_URL"),
        ("c", "C_URL"),
        ("d", "D_URL"),
    ] {
        let want = format!("target `{target}`: environment variable {var} (url_env) is not set");
        assert!(problems.contains(&want), "{problems:?}");
    }
}
