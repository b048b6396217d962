use std::time::Duration;

use super::schema::parse_duration;
use super::*;
use crate::RuleSet;

const RULES: &str = "target ops, audit, hook, mail; on state Failed => send(ops), send(audit), send(hook), send(mail);";

const FULL: &str = r#"
[server]
listen = "127.0.0.1:9100"
secret_env = "T_SECRET"
max_body_bytes = 4096
request_timeout = "2s"

[gocd]
server_url = "https://gocd.example.com"

[retry]
attempts = 1

[outbox]
flush_interval = "5s"

[state]
store = "memory"

[targets.ops]
kind = "slack"
url_env = "T_OPS_URL"
timeout = "500ms"

[targets.audit]
kind = "console"

[targets.hook]
kind = "webhook"
url_env = "T_HOOK_URL"
headers = { "X-Team" = "ops" }
header_envs = { "Authorization" = "T_HOOK_AUTH" }

[targets.mail]
kind = "email"
host = "127.0.0.1"
port = 2525
security = "plain"
user = "gocd"
password_env = "T_SMTP_PASSWORD"
from = "GoCD <gocd@example.com>"
to = ["ops@example.com"]
subject = "[{stage.state}] {pipeline.name}"
"#;

fn env(name: &str) -> Option<String> {
    match name {
        "T_SECRET" => Some("shared-secret-value".into()),
        "T_OPS_URL" => Some("https://hooks.example.com/services/T000/B000/XXXX".into()),
        "T_HOOK_URL" => Some("https://user:pw@hooks.example.com/in".into()),
        "T_HOOK_AUTH" => Some("Bearer hook-token-value".into()),
        "T_SMTP_PASSWORD" => Some("smtp-password-value".into()),
        _ => None,
    }
}

fn rules() -> RuleSet {
    RuleSet::parse(RULES).unwrap()
}

#[test]
fn a_full_file_builds_the_plugin_and_options() {
    let config = Config::parse(FULL, "etc/notify-rules.toml").unwrap();
    assert_eq!(config.listen(), Some("127.0.0.1:9100".parse().unwrap()));
    assert_eq!(
        config.targets().collect::<Vec<_>>(),
        ["audit", "hook", "mail", "ops"]
    );
    let setup = config.setup_with_env(rules(), env).unwrap();
    assert_eq!(setup.options.listen, "127.0.0.1:9100".parse().unwrap());
    assert_eq!(setup.options.max_body_bytes, 4096);
    assert_eq!(setup.options.request_timeout, Duration::from_secs(2));
    assert!(setup.options.secret.is_some());
    assert_eq!(
        setup.options.outbox_flush_interval,
        Some(Duration::from_secs(5))
    );
    let shown = format!("{setup:?}");
    for secret in [
        "shared-secret-value",
        "XXXX",
        "hook-token-value",
        "smtp-password-value",
        ":pw@",
    ] {
        assert!(!shown.contains(secret), "{secret} shows in {shown}");
    }
}

#[test]
fn every_missing_variable_is_named_with_its_target() {
    let config = Config::parse(FULL, "notify-rules.toml").unwrap();
    let err = config
        .setup_with_env(rules(), |name| {
            if name == "T_HOOK_AUTH" {
                Some(String::new())
            } else {
                None
            }
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "notify-rules.toml: [server]: environment variable T_SECRET (secret_env) is not set\n\
         notify-rules.toml: target `hook`: environment variable T_HOOK_URL (url_env) is not set\n\
         notify-rules.toml: target `hook`: environment variable T_HOOK_AUTH (header_envs.Authorization) is empty\n\
         notify-rules.toml: target `mail`: environment variable T_SMTP_PASSWORD (password_env) is not set\n\
         notify-rules.toml: target `ops`: environment variable T_OPS_URL (url_env) is not set"
    );
}

#[test]
fn targets_must_match_the_rules_both_ways() {
    let config = Config::parse(
        "[targets.ops]\nkind = \"console\"\n[targets.extra]\nkind = \"console\"\n",
        "c.toml",
    )
    .unwrap();
    let rules = RuleSet::parse("target ops, audit; on any => send(ops), send(audit);").unwrap();
    let err = config.setup_with_env(rules, env).unwrap_err();
    assert_eq!(
        err.problems(),
        [
            "target `audit` is declared by the rules but has no [targets.audit] table",
            "[targets.extra]: the rules declare no target `extra` (they declare ops, audit)",
        ]
    );
}

#[test]
fn link_without_a_server_url_is_refused_by_the_plugin() {
    let config = Config::parse(
        "[state]\nstore = \"memory\"\n[targets.ops]\nkind = \"console\"\n",
        "c.toml",
    )
    .unwrap();
    let rules = RuleSet::parse("target ops; on any => send(ops, \"{link}\");").unwrap();
    let err = config.setup_with_env(rules, env).unwrap_err();
    assert!(
        err.to_string().starts_with("c.toml: ") && err.to_string().contains("{link}"),
        "{err}"
    );
}

#[test]
fn toml_errors_say_where() {
    let err = Config::parse(
        "[targets.ops]\nkind = \"slack\"\nurl_evn = \"X\"\n",
        "c.toml",
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("c.toml: line 3, column 1: unknown setting `url_evn`"),
        "{text}"
    );

    let err = Config::parse("[targets.ops]\nkind = \"slackk\"\n", "c.toml").unwrap_err();
    assert!(
        err.to_string().contains("line 2") && err.to_string().contains("unknown variant `slackk`"),
        "{err}"
    );

    let err = Config::parse("[server]\nlisten = \"localhost\"\n", "c.toml").unwrap_err();
    assert!(
        err.to_string()
            .contains("`localhost` is not an address such as 127.0.0.1:8154"),
        "{err}"
    );

    let err = Config::parse("[server]\nrequest_timeout = \"soon\"\n", "c.toml").unwrap_err();
    assert!(
        err.to_string()
            .contains("`soon` is not a duration such as 500ms, 30s or 2m"),
        "{err}"
    );
}

#[test]
fn settings_must_fit_the_kind() {
    let text = r#"
[targets.ops]
kind = "console"
url_env = "X"

[targets.mail]
kind = "email"
user = "u"

[history]
store = "file"

[state]
store = "postgres"

[retry]
attempts = 0
"#;
    let err = Config::parse(text, "c.toml").unwrap_err();
    assert_eq!(
        err.problems(),
        [
            "target `mail`: kind email needs `host`",
            "target `mail`: kind email needs `from`",
            "target `mail`: kind email needs `to`",
            "target `mail`: `user` and `password_env` go together",
            "target `ops`: `url_env` is not a setting of kind console; it takes none",
            "[history] is no longer read: history is kept in the state store: [state] store = \"sqlite\" (the default, with path = \"notify-rules.db\"), \"postgres\" or \"memory\"",
            "[state] store = \"postgres\" needs `url_env`, the environment variable holding postgres://user:password@host:port/db",
            #[cfg(not(feature = "postgres"))]
            "[state] store = \"postgres\" is not in this build (it needs the cargo feature `postgres`)",
            "[retry] attempts must be from 1 to 100 (it is 0)",
        ]
    );
}

#[test]
fn durations() {
    assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
    assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
    assert_eq!(parse_duration(" 2m "), Some(Duration::from_secs(120)));
    assert_eq!(parse_duration("2 min"), Some(Duration::from_secs(120)));
    assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
    assert_eq!(parse_duration("1d"), Some(Duration::from_secs(86_400)));
    for bad in ["", "s", "10", "-1s", "1,5s", "99999999999999999999s"] {
        assert_eq!(parse_duration(bad), None, "{bad}");
    }
    // humantime's other forms read, and a week is beyond every setting's range.
    assert_eq!(parse_duration("1h 30m"), Some(Duration::from_secs(5400)));
    assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
    assert_eq!(parse_duration("1w"), Some(Duration::from_secs(7 * 86_400)));
    let err = Config::parse("[outbox]\nflush_interval = \"1w\"\n", "c.toml").unwrap_err();
    assert_eq!(
        err.problems(),
        ["[outbox] flush_interval must be from 0 to 1d (it is 7d)"]
    );
    let text = "[server]\nrequest_timeout = 7\n[outbox]\nflush_interval = 0\n[state]\nstore = \"memory\"\n";
    let config = Config::parse(text, "c.toml").unwrap();
    let setup = config
        .setup_with_env(RuleSet::parse("").unwrap(), env)
        .unwrap();
    assert_eq!(setup.options.request_timeout, Duration::from_secs(7));
    assert_eq!(setup.options.outbox_flush_interval, None);
}

#[test]
fn relative_store_paths_are_taken_from_the_config_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify-rules.toml");
    std::fs::write(
        &path,
        "[state]\npath = \"state/notify.db\"\n[outbox]\nlease = \"5s\"\n",
    )
    .unwrap();
    let config = Config::load(&path).unwrap();
    let setup = config
        .setup_with_env(RuleSet::parse("").unwrap(), env)
        .unwrap();
    assert!(setup.plugin.state_is_durable());
    assert!(dir.path().join("state/notify.db").exists());

    // The old settings say what replaced them.
    let err = Config::parse("[outbox]\npath = \"o.journal\"\n", "c.toml").unwrap_err();
    assert_eq!(
        err.problems(),
        ["[outbox] path is no longer read: the outbox is kept in the state store: [state] path = \"notify-rules.db\" (a SQLite file, the default)"]
    );
    let err = Config::parse(
        "[state]\nstore = \"memory\"\npath = \"x.db\"\nurl_env = \"U\"\n",
        "c.toml",
    )
    .unwrap_err();
    assert_eq!(
        err.problems(),
        [
            "[state] `path` is only for store = \"sqlite\"",
            "[state] `url_env` is only for store = \"postgres\""
        ]
    );

    let err = Config::load(dir.path().join("missing.toml")).unwrap_err();
    assert!(
        err.to_string()
            .contains("missing.toml: cannot read the file"),
        "{err}"
    );
}

#[test]
fn the_subject_is_a_rule_template_checked_when_the_file_is_read() {
    let mail = "[targets.mail]\nkind = \"email\"\nhost = \"h\"\nfrom = \"f@example.com\"\nto = [\"t@example.com\"]\n";
    let err = Config::parse(
        &format!("{mail}subject = \"[{{stage.state}}] {{pipline.name}}\"\n"),
        "c.toml",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "c.toml: target `mail`: subject: unknown placeholder `{pipline.name}`\n  = help: did you mean `{pipeline.name}`?"
    );
    let ConfigProblem::Subject { target, error } = &err.list()[0] else {
        panic!("{err:?}");
    };
    assert_eq!((target.as_str(), error.offset, error.end), ("mail", 16, 30));
    let source = std::error::Error::source(&err.list()[0]).unwrap();
    assert_eq!(source.to_string(), error.to_string());

    // Every placeholder of the rules is there, and `{target}`.
    Config::parse(
        &format!("{mail}subject = \"{{target}}: {{stage.result}} {{jobs.failed}}\"\n"),
        "c.toml",
    )
    .unwrap();
    // A subject without `{` is used as it is.
    Config::parse(&format!("{mail}subject = \"GoCD }}\"\n"), "c.toml").unwrap();
}

#[test]
fn the_postgres_tls_settings_are_for_postgres_only() {
    let err = Config::parse(
        "[state]\nstore = \"sqlite\"\nca_file = \"ca.pem\"\nallow_plaintext = true\n",
        "c.toml",
    )
    .unwrap_err();
    assert_eq!(
        err.problems(),
        [
            "[state] `ca_file` is only for store = \"postgres\"",
            "[state] `allow_plaintext` is only for store = \"postgres\""
        ]
    );
}

#[cfg(feature = "postgres")]
#[test]
fn the_ca_file_is_read_beside_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::parse(
        "[state]\nstore = \"postgres\"\nurl_env = \"U\"\nca_file = \"db-ca.pem\"\n",
        dir.path().join("c.toml"),
    )
    .unwrap();
    let url = "postgres://u:hunter2@127.0.0.1:1/db?sslmode=require";
    let state = config.state_from(&mut |_, _| Some(url.into())).unwrap();
    // Read when the store opens, before any connection.
    let err = state.outbox().unwrap_err().to_string();
    let ca = dir.path().join("db-ca.pem");
    assert!(
        err.starts_with(&format!(
            "state store 127.0.0.1:1: the CA file {}: cannot be read",
            ca.display()
        )),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}
