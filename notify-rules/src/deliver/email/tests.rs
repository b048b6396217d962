use super::*;
use crate::plugin::test_support::status;
use std::sync::Arc;

#[test]
fn every_configuration_problem_is_named() {
    let e = Email::builder(" ")
        .to("not an address")
        .subject(Subject::Template("{nope}".into()))
        .build()
        .unwrap_err();
    let text = e.to_string();
    for part in ["host is empty", "no sender", "`not an address`", "{nope}"] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
    let e = Email::builder("h").from("a@b.c").build().unwrap_err();
    assert!(e.to_string().contains("no recipient"), "{e}");
}

#[test]
fn subjects_render() {
    let d = Delivery::new(
        "ops",
        "Deploy failed\nmore",
        Arc::new(status("shop", 3, "deploy", 2, "Failed")),
    );
    let email = |subject| {
        Email::builder("localhost")
            .security(Security::Plain)
            .from("gocd@example.com")
            .to("ops@example.com")
            .subject(subject)
            .build()
            .unwrap()
    };
    assert_eq!(email(Subject::FirstLine).subject_for(&d), "Deploy failed");
    assert_eq!(email(Subject::Fixed("GoCD".into())).subject_for(&d), "GoCD");
    let t = email(Subject::Template("{{{target}}} {pipeline.name}#{pipeline.counter} {stage.name}/{stage.counter} {stage.state}{transition}".into()));
    assert_eq!(t.subject_for(&d), "{ops} shop#3 deploy/2 Failed");
    // Every placeholder of the rule templates, with the same renderer.
    let t = email(Subject::Template(
        "[{pipeline.group}] {pipeline.label} {stage.result} in {stage.duration}".into(),
    ));
    assert_eq!(t.subject_for(&d), "[g] 3 Failed in 3m 37s");
    // An agent delivery has no stage to fill a stage template with: its
    // subject names the host and its states.
    let agent = serde_json::from_str(
        r#"{"uuid":"0b9e","host_name":"agent-7","agent_state":"Missing","build_state":"Idle"}"#,
    )
    .unwrap();
    let a = Delivery::new_agent("ops", "agent-7 is missing\nsince 10:00", Arc::new(agent));
    assert_eq!(t.subject_for(&a), "Agent agent-7: Missing, build Idle");
    assert_eq!(
        email(Subject::FirstLine).subject_for(&a),
        "agent-7 is missing"
    );
}

#[test]
fn subject_templates_are_checked_as_rule_templates() {
    let build = |subject: &str| {
        Email::builder("localhost")
            .security(Security::Plain)
            .from("gocd@example.com")
            .to("ops@example.com")
            .subject(Subject::Template(subject.into()))
            .build()
    };
    assert!(build("{pipeline.name} {{x}}").is_ok());
    let unclosed = build("{pipeline.name").unwrap_err().to_string();
    assert!(
        unclosed.contains("the subject: unclosed `{` in the message template"),
        "{unclosed}"
    );
    let unmatched = build("a } b").unwrap_err().to_string();
    assert!(
        unmatched.contains("the subject: unmatched `}` in the message template"),
        "{unmatched}"
    );
    let typo = build("{stage.stat}").unwrap_err().to_string();
    assert!(
        typo.contains("unknown placeholder `{stage.stat}`")
            && typo.contains("did you mean `{stage.state}`?"),
        "{typo}"
    );
}

#[test]
fn message_ids_are_always_valid() {
    assert_eq!(
        message_id("shop/3/deploy/1/Failed/r0a0/ops"),
        "<shop/3/deploy/1/Failed/r0a0/ops@notify-rules>"
    );
    assert_eq!(message_id("a b<c>@é"), "<a_b_c___@notify-rules>");
}

#[test]
fn debug_hides_the_password() {
    let b = Email::builder("smtp.example.com")
        .credentials("gocd", "hunter22")
        .from("a@b.c")
        .to("d@e.f");
    assert!(!format!("{b:?}").contains("hunter22"));
    let e = b.build().unwrap();
    let shown = format!("{e:?}");
    assert!(
        !shown.contains("hunter22") && shown.contains("gocd"),
        "{shown}"
    );
}

#[test]
fn an_unreachable_server_is_retryable() {
    let e = Email::builder("127.0.0.1")
        .port(9)
        .security(Security::Plain)
        .credentials("u", "hunter22")
        .timeout(Duration::from_millis(500))
        .from("a@b.c")
        .to("d@e.f")
        .build()
        .unwrap();
    let d = Delivery::new(
        "ops",
        "x",
        Arc::new(status("shop", 3, "deploy", 2, "Failed")),
    );
    let err = e.send(&d).unwrap_err();
    assert!(!err.is_permanent(), "{err:?}");
    assert!(err.to_string().contains("127.0.0.1:9"), "{err}");
    assert!(!err.to_string().contains("hunter22"));
}

#[test]
fn plain_with_a_login_is_only_for_this_machine() {
    let build = |host: &str, login: bool| {
        let b = Email::builder(host)
            .security(Security::Plain)
            .from("gocd@example.com")
            .to("ops@example.com");
        let b = if login {
            b.credentials("gocd", "s3cret-pw")
        } else {
            b
        };
        b.build()
    };
    for host in [
        "smtp.example.com",
        "10.0.0.5",
        "localhost.example.com",
        "[2001:db8::1]",
    ] {
        let e = build(host, true).unwrap_err().to_string();
        assert!(
            e.contains("password in clear") && e.contains(host) && e.contains("StartTls"),
            "{e}"
        );
        assert!(!e.contains("s3cret-pw"), "{e}");
        // Without a login there is no password to give away.
        assert!(build(host, false).is_ok(), "{host}");
    }
    for host in [
        "localhost",
        "LOCALHOST.",
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "[::1]",
        "::ffff:127.0.0.1",
    ] {
        assert!(build(host, true).is_ok(), "{host}");
    }
    let tls = Email::builder("smtp.example.com")
        .security(Security::StartTls)
        .credentials("gocd", "s3cret-pw")
        .from("gocd@example.com")
        .to("ops@example.com")
        .build();
    assert!(tls.is_ok());
}
