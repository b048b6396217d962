//! Values out of range, values of the wrong form, and messages that must say
//! every problem without quoting what could be a secret.

use super::*;
use crate::RuleSet;

fn problems(text: &str) -> Vec<String> {
    match Config::parse(text, "c.toml") {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.problems().to_vec(),
    }
}

fn env(name: &str) -> Option<String> {
    match name {
        "T_BAD_URL" => Some("ftp://hooks.example.com/in".into()),
        "T_BAD_AUTH" => Some("Bearer tok\nen-value".into()),
        "T_GOOD" => Some("x".into()),
        _ => None,
    }
}

#[test]
fn durations_beyond_what_the_server_can_wait_are_refused_naming_the_range() {
    let text = r#"
[server]
request_timeout = 18446744073709551615

[outbox]
flush_interval = "2d"

[retry]
attempts = 101
first_backoff = "61m"
max_backoff = "18446744073709551615s"
max_total = 18446744073709551615

[targets.ops]
kind = "slack"
url_env = "OPS"
timeout = 0
"#;
    assert_eq!(
        problems(text),
        [
            "[server] request_timeout must be from 1s to 1h (it is 18446744073709551615s)",
            "[outbox] flush_interval must be from 0 to 1d (it is 2d)",
            "[retry] first_backoff must be from 0 to 1h (it is 61m)",
            "[retry] max_backoff must be from 0 to 1h (it is 18446744073709551615s)",
            "[retry] max_total must be from 0 to 1h (it is 18446744073709551615s)",
            "target `ops`: timeout must be from 1ms to 1h (it is 0)",
            "[retry] attempts must be from 1 to 100 (it is 101)",
        ]
    );
}

#[test]
fn a_zero_request_timeout_is_refused() {
    assert_eq!(
        problems("[server]\nrequest_timeout = 0\n"),
        ["[server] request_timeout must be from 1s to 1h (it is 0)"]
    );
    // The bounds themselves are taken.
    Config::parse(
        "[server]\nrequest_timeout = \"1h\"\n[outbox]\nflush_interval = \"1d\"\n[retry]\nattempts = 100\nmax_total = 3600\n",
        "c.toml",
    )
    .unwrap();
}

#[test]
fn max_body_bytes_above_what_the_parser_takes_is_refused() {
    let over = crate::protocol::MAX_BODY_BYTES + 1;
    assert_eq!(
        problems(&format!("[server]\nmax_body_bytes = {over}\n")),
        [format!(
            "[server] max_body_bytes must be from 1 to {} (it is {over})",
            crate::protocol::MAX_BODY_BYTES
        )]
    );
    assert_eq!(
        problems("[server]\nmax_body_bytes = 0\n"),
        ["[server] max_body_bytes must be from 1 to 8388608 (it is 0)"]
    );
}

#[test]
fn max_connections_is_read_and_checked() {
    let config = Config::parse(
        "[server]\nmax_connections = 12\n[state]\nstore = \"memory\"\n",
        "c.toml",
    )
    .unwrap();
    let setup = config
        .setup_with_env(RuleSet::parse("").unwrap(), env)
        .unwrap();
    assert_eq!(setup.options.max_connections, 12);
    assert_eq!(
        problems("[server]\nmax_connections = 0\n"),
        ["[server] max_connections must be from 1 to 100000 (it is 0)"]
    );
}

#[test]
fn negative_and_fractional_durations_say_how_to_write_one() {
    let shown = problems("[server]\nrequest_timeout = -5\n").join("\n");
    assert!(
        shown.starts_with("line 2, column 19: a duration cannot be negative (-5); write one such as 500ms, 30s or 2m"),
        "{shown}"
    );
    let shown = problems("[server]\nrequest_timeout = 1.5\n").join("\n");
    assert!(
        shown.starts_with("line 2, column 19: a duration is not a fractional number (1.5)")
            && shown.contains("1500ms"),
        "{shown}"
    );
    assert!(!shown.contains("untagged"), "{shown}");
    let shown = problems("[server]\nrequest_timeout = true\n").join("\n");
    assert!(shown.contains("a duration such as 500ms"), "{shown}");
}

#[test]
fn an_unknown_section_is_named_with_the_sections_there_are() {
    let shown = problems("[serverr]\nlisten = \"127.0.0.1:1\"\n").join("\n");
    assert_eq!(
        shown,
        "line 1, column 2: unknown section `[serverr]`; the sections are `server`, `gocd`, `state`, `outbox`, `retry`, `targets`"
    );
    let shown = problems("[server]\nlisen = \"127.0.0.1:1\"\n").join("\n");
    assert!(
        shown.starts_with(
            "line 2, column 1: unknown setting `lisen`; the settings here are `listen`,"
        ),
        "{shown}"
    );
    assert!(!shown.contains("secrets"), "{shown}");
}

#[test]
fn an_unknown_kind_that_could_be_a_secret_is_not_quoted() {
    let text = "[targets.ops]\nkind = \"https://hooks.slack.com/services/T0/B0/s3cr3t\"\n";
    let shown = problems(text).join("\n");
    assert!(
        !shown.contains("s3cr3t") && !shown.contains("hooks.slack"),
        "{shown}"
    );
    assert!(
        shown.starts_with("line 2, column 8: unknown variant: the value (not shown, as it may be a secret), expected one of `console`"),
        "{shown}"
    );
    for secret in ["xoxb-1234567890-abcdefghijkl", "s3cr3t", "hunter2"] {
        let shown = problems(&format!("[targets.ops]\nkind = \"{secret}\"\n")).join("\n");
        assert!(!shown.contains(secret), "{shown}");
        let shown = problems(&format!("[state]\nstore = \"{secret}\"\n")).join("\n");
        assert!(!shown.contains(secret), "{shown}");
    }
    // A likely typo of a kind is shown, with the kind meant.
    let shown = problems("[targets.ops]\nkind = \"Slak\"\n").join("\n");
    assert!(
        shown.contains("unknown variant `Slak`, expected one of `console`, `webhook`, `slack`, `email`, `teams`, `google-chat`, `discord`, `slack-app`")
            && shown.ends_with("; did you mean `slack`?"),
        "{shown}"
    );
}

#[test]
fn an_address_that_could_be_a_secret_is_not_quoted() {
    let shown = problems("[server]\nlisten = \"https://user:hunter2@host\"\n").join("\n");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        shown.contains("is not an address such as 127.0.0.1:8154"),
        "{shown}"
    );
    let shown = problems("[server]\nlisten = \"localhost:80\"\n").join("\n");
    assert!(
        shown.contains("`localhost:80` is not an address"),
        "{shown}"
    );
}

#[test]
fn a_bad_url_and_a_bad_header_are_both_reported() {
    let text = r#"
[targets.hook]
kind = "webhook"
url_env = "T_BAD_URL"
header_envs = { "Authorization" = "T_BAD_AUTH", "X-Ok" = "T_GOOD" }
headers = { "Bad Name" = "v" }
"#;
    let config = Config::parse(text, "c.toml").unwrap();
    let rules = RuleSet::parse("target hook; on any => send(hook);").unwrap();
    let err = config.setup_with_env(rules, env).unwrap_err();
    let problems = err.problems();
    assert_eq!(problems.len(), 3, "{problems:#?}");
    for p in problems {
        assert!(p.starts_with("target `hook`: "), "{p}");
        assert!(!p.contains("tok") && !p.contains("en-value"), "{p}");
    }
}

#[test]
fn a_credential_written_in_the_file_as_a_header_is_refused_without_its_value() {
    let text = r#"
[targets.hook]
kind = "webhook"
url_env = "T_URL"
headers = { "Authorization" = "Bearer inl1ne-s3cret", "X-Api-Key" = "k3y-v4lue", "Cookie" = "c00kie", "X-Team" = "ops" }
"#;
    let shown = problems(text);
    assert_eq!(shown.len(), 3, "{shown:#?}");
    for (p, header) in shown.iter().zip(["Authorization", "Cookie", "X-Api-Key"]) {
        assert!(
            p.contains(&format!(
                "`headers.{header}` would keep a credential in the file"
            )),
            "{p}"
        );
        assert!(p.contains("`header_envs`"), "{p}");
        for value in ["inl1ne", "k3y-v4lue", "c00kie"] {
            assert!(!p.contains(value), "{p}");
        }
    }
}
