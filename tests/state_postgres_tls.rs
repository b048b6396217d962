//! The PostgreSQL store over TLS, against the test server (which takes TLS
//! with a certificate from its own CA, see `.ci/with-postgres`), and the
//! refusal of a password in clear off this machine.

use notify_rules::state::{PostgresTls, State};
use notify_rules::{rules, Plugin, RuleSet};
use notify_rules_test_kit::notifier::{text_recorder, Log};
use notify_rules_test_kit::{body, postgres};

fn rules() -> RuleSet {
    rules! {
        target log;
        on state Failed => send(log, "{pipeline.name} {stage.state}");
    }
}

fn plugin(state: State, log: &Log) -> Result<Plugin, String> {
    Plugin::builder(rules())
        .notifier("log", text_recorder(log))
        .state(state)
        .build()
        .map_err(|e| e.to_string())
}

#[test]
fn require_with_the_server_s_ca_connects_over_tls_and_records() {
    let (Some(url), Some(ca)) = (postgres::database("tls_require"), postgres::ca_file()) else {
        return;
    };
    let tls = PostgresTls::default().ca_file(&ca);
    let log = Log::default();
    let replica = plugin(
        State::postgres_with_tls(format!("{url}?sslmode=require"), tls),
        &log,
    )
    .unwrap();
    let failed = body("deploy", 7, "test", 1, "Failed");
    assert_eq!(replica.handle("stage-status", &failed).code, 200);
    assert_eq!(*log.lock().unwrap(), ["deploy Failed"]);
    // Recorded in the database: the same notification again is handled.
    assert_eq!(replica.handle("stage-status", &failed).code, 200);
    assert_eq!(log.lock().unwrap().len(), 1);
    let (tls, all) = postgres::sessions("tls_require");
    assert!(all > 0 && tls == all, "{tls} of {all} sessions over TLS");
}

#[test]
fn a_certificate_not_from_a_trusted_ca_is_refused_without_the_password() {
    let Some(url) = postgres::database("tls_unknown_ca") else {
        return;
    };
    // The public roots: the test server's CA is not among them.
    let err = plugin(
        State::postgres(format!("{url}?sslmode=require")),
        &Log::default(),
    )
    .unwrap_err();
    assert!(
        err.contains("the server's certificate is refused (UnknownIssuer)"),
        "{err}"
    );
    assert!(err.contains("[state] ca_file"), "{err}");
    assert!(err.contains("127.0.0.1:"), "{err}");
    assert!(!err.contains(&postgres::password(&url)), "{err}");
}

#[test]
fn a_password_in_clear_off_this_machine_is_refused_before_connecting() {
    // A documentation address (TEST-NET-1): refused before any connection,
    // so nothing is sent to it.
    let url = "postgres://u:hunter2@192.0.2.1/db?sslmode=disable";
    let err = plugin(State::postgres(url), &Log::default()).unwrap_err();
    assert!(
        err.contains(
            "state store 192.0.2.1:5432: sslmode=disable would send the password in clear"
        ),
        "{err}"
    );
    assert!(err.contains("[state] allow_plaintext = true"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn a_certificate_for_another_name_is_refused_naming_both() {
    let (Some(url), Some(ca)) = (postgres::database("tls_other_name"), postgres::ca_file()) else {
        return;
    };
    // The server as another name, reached at its address without a look-up:
    // its certificate is for 127.0.0.1 and localhost only.
    let Some(renamed) = url
        .contains("@127.0.0.1:")
        .then(|| url.replace("@127.0.0.1:", "@db.notify-rules.invalid:"))
    else {
        eprintln!("note: the test server is not at 127.0.0.1: skipping");
        return;
    };
    let state = State::postgres_with_tls(
        format!("{renamed}?sslmode=require&hostaddr=127.0.0.1"),
        PostgresTls::default().ca_file(&ca),
    );
    let err = plugin(state, &Log::default()).unwrap_err();
    assert!(
        err.contains("state store db.notify-rules.invalid:"),
        "{err}"
    );
    assert!(
        err.contains("the server's certificate is refused (certificate not valid for name \"db.notify-rules.invalid\""),
        "{err}"
    );
    assert!(
        err.contains(&format!("trusted: the CA file {}", ca.display())),
        "{err}"
    );
    assert!(!err.contains(&postgres::password(&url)), "{err}");
}
