//! What the configuration's errors show, and what they never show: secrets
//! written in the file, strings in the wrong place, places in characters.

use super::checks::is_env_name;
use super::*;

#[test]
fn a_secret_written_in_the_file_is_named_but_never_repeated() {
    let text =
        "[targets.ops]\nkind = \"slack\"\n  url = \"https://hooks.slack.com/services/SECRET\"\n";
    let err = Config::parse(text, "c.toml").unwrap_err();
    let shown = err.to_string();
    assert!(
        !shown.contains("SECRET") && !shown.contains("hooks.slack"),
        "{shown}"
    );
    assert!(
        shown.starts_with("c.toml: line 3, column 3: unknown setting `url`"),
        "{shown}"
    );
    assert!(
        shown.contains("set `url_env` to the name of the environment variable"),
        "{shown}"
    );
    assert!(!format!("{err:?}").contains("SECRET"));

    let text = "[targets.mail]\nkind = \"email\"\npassword = \"hunter2\"\n";
    let shown = Config::parse(text, "c.toml").unwrap_err().to_string();
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        shown.starts_with("c.toml: line 3, column 1: unknown setting `password`")
            && shown.contains("`password_env`"),
        "{shown}"
    );

    // `token_env` is the slack-app's: named as the place for a token.
    let text = "[targets.hook]\nkind = \"webhook\"\ntoken = \"tok-123\"\n";
    let shown = Config::parse(text, "c.toml").unwrap_err().to_string();
    assert!(!shown.contains("tok-123"), "{shown}");
    assert!(
        shown.contains("unknown setting `token`") && shown.contains("set `token_env`"),
        "{shown}"
    );
    // No `secret_env` setting in a target: the general advice.
    let text = "[targets.hook]\nkind = \"webhook\"\nsecret = \"tok-123\"\n";
    let shown = Config::parse(text, "c.toml").unwrap_err().to_string();
    assert!(!shown.contains("tok-123"), "{shown}");
    assert!(
        shown.contains("unknown setting `secret`") && shown.contains("`*_env` settings"),
        "{shown}"
    );

    // A secret where a table belongs: serde would quote the string.
    let text = "[targets.hook]\nkind = \"webhook\"\nheaders = \"Bearer tok-456\"\n";
    let shown = Config::parse(text, "c.toml").unwrap_err().to_string();
    assert!(!shown.contains("tok-456"), "{shown}");
    assert!(
        shown.contains("line 3") && shown.contains("a string"),
        "{shown}"
    );

    // A broken line: the message says what is wrong there, not what it holds.
    let text =
        "[targets.ops]\nkind = \"slack\"\nurl_env = \"https://hooks.example.com/T0/B0/XXXX\n";
    let shown = Config::parse(text, "c.toml").unwrap_err().to_string();
    assert!(!shown.contains("XXXX"), "{shown}");
    assert!(shown.starts_with("c.toml: line 3, column "), "{shown}");
}

#[test]
fn places_are_lines_and_columns_in_characters() {
    // The syntax crate's `line_col`, which the rule files' errors use too.
    use notify_rules_syntax::line_col;
    assert_eq!(line_col("", 0), (1, 1));
    assert_eq!(line_col("ab\ncd", 4), (2, 2));
    assert_eq!(line_col("é = 1\nx", 3), (1, 3));
    assert_eq!(line_col("é = 1\nx", 7), (2, 1));
    // Inside a character, or past the end: never a panic.
    assert_eq!(line_col("é", 1), (1, 1));
    assert_eq!(line_col("ab", 99), (1, 3));

    let err =
        Config::parse("# é\nretry = { \"ü\" = 1, attempts = \"x\" }\n", "c.toml").unwrap_err();
    assert_eq!(
        err.to_string(),
        "c.toml: line 2, column 31: invalid type: a string, expected u32"
    );
}

#[test]
fn strings_in_the_wrong_place_are_never_quoted() {
    for (text, expected) in [
        (
            r#"headers = "a\"b\\""#,
            "invalid type: a string, expected a map",
        ),
        (
            r#"to = "ops@example.com""#,
            "invalid type: a string, expected a sequence",
        ),
        (r#"port = "s3cr3t""#, "invalid type: a string, expected u16"),
        (
            r#"security = "s3cr3t-tls""#,
            "unknown variant: the value (not shown, as it may be a secret), expected one of `starttls`, `tls`, `plain`",
        ),
        (r#"to = ["a", 'x'"#, ""),
    ] {
        let text = format!("[targets.mail]\nkind = \"email\"\n{text}\n");
        let err = Config::parse(&text, "c.toml").unwrap_err();
        let shown = err.to_string();
        assert!(shown.starts_with("c.toml: line 3, column "), "{shown}");
        assert!(shown.ends_with(expected), "{shown}");
        for secret in ["a\\\"b", "ops@", "s3cr3t", "'x'"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
    // Numbers are shown: they say which is out of range.
    let err =
        Config::parse("[targets.mail]\nkind = \"email\"\nport = 70000\n", "c.toml").unwrap_err();
    assert_eq!(
        err.to_string(),
        "c.toml: line 3, column 8: invalid value: integer `70000`, expected u16"
    );
}

#[test]
fn env_settings_must_hold_variable_names() {
    let text = r#"
[server]
secret_env = "s3cr3t value"

[targets.ops]
kind = "slack"
url_env = "https://hooks.slack.com/services/T0/B0/XXXX"

[targets.hook]
kind = "webhook"
url_env = "HOOK_URL"
header_envs = { "Authorization" = "Bearer tok-789" }

[targets.mail]
kind = "email"
host = "h"
from = "f@example.com"
to = ["t@example.com"]
user = "u"
password_env = "hunter2!"
"#;
    let err = Config::parse(text, "c.toml").unwrap_err();
    let shown = err.to_string();
    for secret in ["s3cr3t", "XXXX", "tok-789", "hunter2"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    let tail = "must be the name of an environment variable (letters, digits and `_`), not the secret itself";
    assert_eq!(
        err.problems(),
        [
            format!("[server]: `secret_env` {tail}"),
            format!("target `hook`: `header_envs.Authorization` {tail}"),
            format!("target `mail`: `password_env` {tail}"),
            format!("target `ops`: `url_env` {tail}"),
        ]
    );
    assert!(is_env_name("_A1") && is_env_name("ops_url"));
    assert!(!is_env_name("") && !is_env_name("1A") && !is_env_name("A-B"));
}

#[test]
fn the_server_url_is_an_address_only() {
    for (url, says) in [
        ("https://ci:pw@gocd.example.com", "user or password"),
        ("https://gocd.example.com/?token=pw", "query"),
        ("https://gocd.example.com/#pw", "fragment"),
        ("gocd.example.com/pw", "https://"),
    ] {
        let text = format!("[gocd]\nserver_url = \"{url}\"\n");
        let err = Config::parse(&text, "c.toml").unwrap_err();
        let shown = err.to_string();
        assert!(shown.starts_with("c.toml: [gocd] server_url "), "{shown}");
        assert!(shown.contains(says) && !shown.contains("pw"), "{shown}");
    }
    Config::parse(
        "[gocd]\nserver_url = \"http://127.0.0.1:8153/\"\n",
        "c.toml",
    )
    .unwrap();
}

#[test]
fn problems_are_typed_and_say_the_same_as_their_messages() {
    let err = Config::parse(
        "[state]\nstore = \"postgres\"\n[retry]\nattempts = 0\n",
        "c.toml",
    )
    .unwrap_err();
    assert_eq!(err.path(), "c.toml");
    assert_eq!(
        err.list(),
        [
            ConfigProblem::StateNeedsUrl,
            #[cfg(not(feature = "postgres"))]
            ConfigProblem::StoreNotBuilt("postgres"),
            ConfigProblem::OutOfRange {
                setting: "[retry] attempts".into(),
                min: "1".into(),
                max: "100".into(),
                value: "0".into(),
            },
        ]
    );
    let messages: Vec<String> = err.list().iter().map(ToString::to_string).collect();
    assert_eq!(err.problems(), messages);
}
