use super::{check_server_url, BuildProblem};
use crate::{Plugin, RuleSet};

#[test]
fn problems_are_typed_and_say_the_same_as_their_messages() {
    let rules = RuleSet::parse("target ops; on any => send(ops, \"{link}\");").unwrap();
    let e = Plugin::builder(rules.clone())
        .notifier("opz", |_: &crate::Delivery| Ok(()))
        .build()
        .unwrap_err();
    assert_eq!(
        e.list(),
        [
            BuildProblem::NoNotifier {
                target: "ops".into(),
                bound: vec!["opz".into()],
            },
            BuildProblem::NoServerUrl,
        ]
    );
    let messages: Vec<String> = e.list().iter().map(ToString::to_string).collect();
    assert_eq!(e.problems(), messages);
    assert_eq!(
        messages[0],
        "target `ops` has no notifier: bind one with `.notifier(\"ops\", ...)` (notifiers are bound to `opz`, which no `target` line declares)"
    );
    let e = Plugin::builder(rules)
        .notifier("ops", |_: &crate::Delivery| Ok(()))
        .server_url("https://ci:s3cret@gocd.example.com")
        .build()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the plugin cannot be built: the server address must not hold a user or password (`user:pass@`): it is shown in messages"
    );
}

#[test]
fn addresses_are_kept_as_the_url_crate_writes_them() {
    for (given, kept) in [
        (
            "  https://GoCD.Example.com/go/  ",
            "https://gocd.example.com/go",
        ),
        ("https://gocd.example.com:443", "https://gocd.example.com"),
        ("http://[::1]:8153", "http://[::1]:8153"),
    ] {
        assert_eq!(check_server_url(given).unwrap(), kept, "{given}");
    }
}

#[test]
fn server_addresses_are_checked_without_being_repeated() {
    assert_eq!(
        check_server_url("https://gocd.example.com/").unwrap(),
        "https://gocd.example.com"
    );
    assert_eq!(
        check_server_url("http://h:8153/ci").unwrap(),
        "http://h:8153/ci"
    );
    for ok in [
        "https://[::1]:8154/go",
        "http://[fe80::1]",
        "https://ci_host.internal:443",
        "http://127.0.0.1:8153/go/",
    ] {
        assert!(check_server_url(ok).is_ok(), "{ok}");
    }
    for bad in [
        "gocd.example.com",
        "ftp://h",
        "https://admin:pw@h",
        "https://",
    ] {
        let e = check_server_url(bad).unwrap_err();
        assert!(!e.contains("pw@"), "{e}");
    }
    for (bad, named) in [
        ("https://h/go?token=s3cr3t", "query string"),
        ("https://h?token=s3cr3t", "query string"),
        ("https://h/go#s3cr3t", "fragment"),
        ("https://exa mple.com", "host name"),
        ("https://gocd.example.com/my pipelines", "spaces"),
        ("https://[::1", "host name"),
        ("https://[::1]:99999", "port from 1 to 65535"),
        ("https://h:99999", "port from 1 to 65535"),
        ("https://h:", "port from 1 to 65535"),
        ("https://h:0", "port from 1 to 65535"),
    ] {
        let e = check_server_url(bad).unwrap_err();
        assert!(e.contains(named), "{e}");
        assert!(!e.contains("s3cr3t"), "{e}");
    }
}
