//! Requests the server refuses: unsigned or wrongly signed, too large,
//! malformed, on an unknown path or with another method.

use super::*;

fn signed() -> (Harness, Secret) {
    let secret = Secret::new("s3cret-for-tests");
    (
        start(ServerOptions {
            secret: Some(secret.clone()),
            ..options()
        }),
        secret,
    )
}

#[test]
fn signatures_in_both_header_styles_are_accepted() {
    let (h, secret) = signed();
    let body = payload("v4-test-scheduled.json");
    let sig = secret.sign(body.as_bytes());
    assert_eq!(
        h.post("/", &body, &[("x-gocd-signature", &sig)]),
        (200, SUCCESS.to_owned())
    );
    let body = payload("v4-deploy-failed.json");
    let hub = format!("sha256={}", secret.sign(body.as_bytes()));
    assert_eq!(
        h.post("/stage-status", &body, &[("X-Hub-Signature", &hub)]),
        (200, SUCCESS.to_owned())
    );
    assert_eq!(h.deliveries().len(), 3);
    let empty = secret.sign(b"");
    assert_eq!(
        h.post(
            "/notifications-interested-in",
            "",
            &[("x-gocd-signature", &empty)]
        )
        .0,
        200
    );
}

#[test]
fn unsigned_and_wrongly_signed_requests_get_401_and_deliver_nothing() {
    let (h, secret) = signed();
    let body = payload("v4-deploy-failed.json");
    let other = secret.sign(b"another body");
    let wrong_key = Secret::new("not-the-secret").sign(body.as_bytes());
    // (case, headers, the start of the message)
    type Case<'a> = (&'a str, Vec<(&'a str, String)>, &'a str);
    let cases: [Case<'_>; 6] = [
        ("unsigned", vec![], "missing signature"),
        (
            "gocd, other body",
            vec![("x-gocd-signature", other.clone())],
            "wrong signature in x-gocd-signature",
        ),
        (
            "gocd, other key",
            vec![("x-gocd-signature", wrong_key.clone())],
            "wrong signature in x-gocd-signature",
        ),
        (
            "gocd, not hex",
            vec![("x-gocd-signature", "nothex".into())],
            "wrong signature in x-gocd-signature",
        ),
        (
            "hub, other key",
            vec![("X-Hub-Signature", format!("sha256={wrong_key}"))],
            "wrong signature in X-Hub-Signature",
        ),
        (
            "hub, no prefix",
            vec![("X-Hub-Signature", secret.sign(body.as_bytes()))],
            "wrong signature in X-Hub-Signature",
        ),
    ];
    for (case, headers, expected) in cases {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (code, answer) = h.post("/", &body, &headers);
        assert_eq!(code, 401, "{case}: {answer}");
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer["status"], "failure", "{case}");
        let message = answer["messages"][0].as_str().unwrap();
        assert!(message.starts_with(expected), "{case}: {message}");
        assert!(!message.contains("s3cret-for-tests"), "{case}: {message}");
    }
    // The signature is checked before the body is read as JSON.
    assert_eq!(h.post("/", "{not json", &[]).0, 401);
    assert_eq!(h.deliveries(), Vec::<String>::new());
}

#[test]
fn oversized_bodies_get_413() {
    let h = start(ServerOptions {
        max_body_bytes: 16 * 1024,
        ..options()
    });
    let body = format!(
        "{{\"pipeline\":{{\"name\":\"{}\"}}}}",
        "x".repeat(20 * 1024)
    );
    let (code, answer) = h.post("/", &body, &[]);
    assert_eq!(code, 413, "{answer}");
    assert_eq!(
        answer,
        r#"{"status":"failure","messages":["body too large: this server takes at most 16384 bytes"]}"#
    );
    // A body just under the limit is read (and refused for what it is).
    let (code, _) = h.post("/", " ".repeat(16 * 1024 - 2) + "{}", &[]);
    assert_eq!(code, 400);
}

#[test]
fn malformed_bodies_get_400_saying_what_and_where() {
    let h = start(options());
    let expect_400 = |path: &str, body: &[u8], needle: &str| {
        let (code, answer) = h.post(path, body, &[]);
        assert_eq!(code, 400, "{body:?}: {answer}");
        let v: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(v["status"], "failure");
        let message = v["messages"][0].as_str().unwrap();
        assert!(
            message.contains(needle),
            "{:?}: {message}",
            String::from_utf8_lossy(body)
        );
    };
    expect_400("/", b"", "line 1");
    expect_400("/", b"[]", "invalid notification body");
    expect_400(
        "/",
        br#"{"pipeline":{"name":"x","counter":"1","stage":"#,
        "line 1",
    );
    expect_400("/", br#"{"hello":"world"}"#, "expected a stage-status body");
    expect_400(
        "/",
        br#"{"type":"build","data":{}}"#,
        "invalid notification body at type",
    );
    expect_400(
        "/stage-status",
        br#"{"pipeline":{"name":"x","counter":"one","build-cause":[],"stage":{"name":"s","counter":"1","state":"Passed","result":"Passed","jobs":[]}}}"#,
        "pipeline.counter",
    );
    expect_400("/", b"\xff\xfe{}", "not UTF-8");
    let agent = payload("agent-lost-contact.json");
    expect_400(
        "/stage-status",
        agent.as_bytes(),
        "/stage-status takes stage-status bodies, and this body is agent-status",
    );
    let stage = payload("v4-deploy-failed.json");
    expect_400(
        "/agent-status",
        stage.as_bytes(),
        "/agent-status takes agent-status bodies",
    );
    let deep = "[".repeat(100_000);
    expect_400("/", deep.as_bytes(), "invalid notification body");
    assert_eq!(h.deliveries(), Vec::<String>::new());
}

#[test]
fn unknown_paths_get_404_and_other_methods_405() {
    let h = start(options());
    let (code, answer) = h.post("/stage", "{}", &[]);
    assert_eq!(code, 404);
    assert_eq!(
        answer,
        r#"{"status":"failure","messages":["unknown path /stage; this server answers POST /, POST /stage-status, POST /agent-status, POST /notifications-interested-in, GET /healthz, GET /readyz, GET /metrics"]}"#
    );
    let (code, answer) = h.post("/healthz", "", &[]);
    assert_eq!(code, 405);
    assert!(answer.contains("/healthz takes GET, not POST"), "{answer}");
    let mut resp = h.agent.get(h.url("/stage-status")).call().unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(resp.headers().get("allow").unwrap(), "POST");
    assert!(resp
        .body_mut()
        .read_to_string()
        .unwrap()
        .contains("/stage-status takes POST, not GET"));
}
