//! Malformed bodies: each one is an error with an exact message that says what
//! is wrong and where, and the 400 answer built from it.

use notify_rules::model::{JobState, Material, StageState};
use notify_rules::protocol::{
    parse_agent_status, parse_notification, parse_stage_status, ProtocolError, Reader,
    MAX_BODY_BYTES,
};
use notify_rules::PluginResponse;
use notify_rules_test_kit::bad_payload;

fn stage_err(body: &str) -> String {
    parse_stage_status(body).unwrap_err().to_string()
}

fn any_err(body: &str) -> String {
    parse_notification(body).unwrap_err().to_string()
}

fn agent_err(body: &str) -> String {
    parse_agent_status(body).unwrap_err().to_string()
}

/// `depth` opening brackets, then as many closing ones.
fn nested(prefix: &str, open: &str, close: &str, depth: usize, suffix: &str) -> String {
    format!(
        "{prefix}{}{}{suffix}",
        open.repeat(depth),
        close.repeat(depth)
    )
}

#[test]
fn bad_payload_files() {
    let cases = [
        (
            "truncated.json",
            "invalid stage-status body at pipeline.build-cause[1] (line 10, column 7): EOF while parsing a string",
        ),
        (
            "missing-pipeline-name.json",
            "invalid stage-status body at pipeline.name (line 1, column 1652): missing field `name`",
        ),
        (
            "missing-stage-counter.json",
            "invalid stage-status body at pipeline.stage.counter (line 1, column 1657): missing field `counter`",
        ),
        (
            "counter-not-a-number.json",
            "invalid stage-status body at pipeline.stage.counter (line 1, column 874): invalid value: \
             string \"first\", expected a counter (a non-negative integer, as a string or a number)",
        ),
        (
            "empty-array.json",
            "invalid stage-status body (line 1, column 0): invalid type: sequence, expected a JSON object",
        ),
        ("empty.json", "invalid stage-status body (line 1, column 0): EOF while parsing a value"),
    ];
    for (file, expected) in cases {
        let body = bad_payload(file);
        assert_eq!(stage_err(&body), expected, "{file}");
        // The shape-detecting reader finds the same problem in a stage body.
        let via_notification = any_err(&body);
        if body.contains("pipeline") {
            assert_eq!(via_notification, expected, "{file}");
        }
    }
    assert_eq!(
        any_err(&bad_payload("empty.json")),
        "invalid notification body (line 1, column 0): EOF while parsing a value"
    );
    assert_eq!(
        any_err(&bad_payload("empty-array.json")),
        "invalid notification body (line 1, column 0): invalid type: sequence, expected a JSON object"
    );
}

#[test]
fn bodies_of_no_known_shape() {
    assert_eq!(
        any_err(&bad_payload("neither-stage-nor-agent.json")),
        "invalid notification body: expected a stage-status body (with `pipeline`), an agent-status body \
         (with `uuid` or `agent_state`) or a wrapper {\"type\":\"stage\" or \"agent\",\"data\":{...}}"
    );
    assert_eq!(
        any_err(&bad_payload("unknown-wrapper-type.json")),
        "invalid notification body at type (line 1, column 18): invalid value: string \"pipeline\", \
         expected \"stage\" or \"agent\""
    );
    assert_eq!(
        any_err(r#"{"data":{}}"#),
        "invalid notification body at type (line 1, column 11): missing field `type`"
    );
    assert_eq!(
        any_err(r#"{"type":"stage"}"#),
        "invalid stage-status body at data (line 1, column 16): missing field `data`"
    );
    assert_eq!(
        any_err(r#"{"type":"agent","data":{"agent_state":"Idle"}}"#),
        "invalid agent-status body at data.uuid (line 1, column 45): missing field `uuid`"
    );
    assert_eq!(
        any_err("{} x"),
        "invalid notification body (line 1, column 4): trailing characters"
    );
    assert_eq!(
        stage_err(
            r#"{"pipeline":{"name":"p","counter":"1","stage":{"name":"s","counter":"1","state":"Passed","result":"Passed"}}} x"#
        ),
        "invalid stage-status body (line 1, column 111): trailing characters"
    );
}

#[test]
fn wrong_types_name_the_field() {
    assert_eq!(
        stage_err(r#"{"pipeline":[]}"#),
        "invalid stage-status body at pipeline (line 1, column 12): invalid type: sequence, expected a JSON object"
    );
    assert_eq!(
        stage_err(r#"{"pipeline":{"name":"p","counter":"1","build-cause":{},"stage":{}}}"#),
        "invalid stage-status body at pipeline.build-cause (line 1, column 54): invalid type: map, \
         expected an array of JSON objects"
    );
    assert_eq!(
        stage_err(r#"{"pipeline":{"name":"p","counter":-3,"stage":{}}}"#),
        "invalid stage-status body at pipeline.counter (line 1, column 36): invalid value: integer `-3`, \
         expected a counter (a non-negative integer, as a string or a number)"
    );
    assert_eq!(
        stage_err(r#"{"pipeline":{"name":"p","counter":"1","stage":{"name":"s","counter":[]}}}"#),
        "invalid stage-status body at pipeline.stage.counter (line 1, column 70): invalid type: sequence, \
         expected a counter (a non-negative integer, as a string or a number)"
    );
}

/// What a field that cannot be read turned into, and what was said of it.
fn unreadable(body: &str) -> Vec<String> {
    let read = Reader::new()
        .notification(body)
        .unwrap_or_else(|e| panic!("{e}"));
    read.unreadable.iter().map(|f| f.to_string()).collect()
}

#[test]
fn fields_that_cannot_be_read_are_absent_and_named() {
    let body = bad_payload("bad-date.json");
    let status = parse_stage_status(&body).unwrap();
    assert_eq!(status.pipeline.stage.jobs[1].complete_time, None);
    assert_eq!(status.pipeline.stage.jobs[1].state, JobState::Completed);
    assert!(status.pipeline.stage.jobs[0].complete_time.is_some());
    assert_eq!(
        unreadable(&body),
        ["pipeline.stage.jobs[1].complete-time: could not read \"yesterday\" as a date; taken as absent"]
    );

    let body = bad_payload("wrong-type-changed.json");
    assert!(!parse_stage_status(&body).unwrap().pipeline.build_cause[0].changed);
    assert_eq!(
        unreadable(&body),
        ["pipeline.build-cause[0].changed: could not read \"yes\" as true or false; taken as absent"]
    );

    let body = r#"{"pipeline":{"name":"p","counter":"1","build-cause":[{"material":{"type":"git",
      "git-configuration":{"shallow-clone":"no","url":"https://h/r.git"}},"changed":true}],
      "stage":{"name":"s","counter":"1","state":7,"result":{"a":1},"previous-stage-counter":"x",
      "create-time":12,"jobs":[{"name":"j","schedule-time":[1,2]}]}}}"#;
    let status = parse_stage_status(body).unwrap();
    let stage = &status.pipeline.stage;
    assert_eq!(stage.state, StageState::Unknown);
    assert_eq!(stage.previous_stage_counter, None);
    assert_eq!(
        status.pipeline.build_cause[0].material.url(),
        Some("https://h/r.git")
    );
    assert_eq!(
        unreadable(body),
        [
            "pipeline.build-cause[0].material.git-configuration.shallow-clone: could not read \"no\" as true or false; taken as absent",
            "pipeline.stage.state: could not read \"7\" as a state or result name; taken as absent",
            "pipeline.stage.result: could not read \"{...}\" as a state or result name; taken as absent",
            "pipeline.stage.previous-stage-counter: could not read \"x\" as a counter; taken as absent",
            "pipeline.stage.create-time: could not read \"12\" as a date; taken as absent",
            "pipeline.stage.jobs[0].schedule-time: could not read \"[...]\" as a date; taken as absent",
        ]
    );

    // In a wrapper, the path is the body's own.
    assert_eq!(
        unreadable(
            r#"{"data":{"uuid":"u","is_elastic":"no","agent_state":"idle"},"type":"agent"}"#
        ),
        ["data.is_elastic: could not read \"no\" as true or false; taken as absent"]
    );
    assert!(
        !parse_agent_status(r#"{"uuid":"u","is_elastic":"no"}"#)
            .unwrap()
            .is_elastic
    );

    // A material with no `type` is one of no known kind.
    let body = r#"{"pipeline":{"name":"p","counter":"1","build-cause":[{"material":{}}],"stage":{"name":"s","counter":"1"}}}"#;
    let status = parse_stage_status(body).unwrap();
    assert_eq!(
        status.pipeline.build_cause[0].material,
        Material::Other {
            kind: String::new(),
            raw: serde_json::json!({})
        }
    );
    assert!(unreadable(body).is_empty());
}

#[test]
fn past_the_located_ones_fields_are_still_counted() {
    let jobs: Vec<String> = (0..20)
        .map(|i| format!(r#"{{"name":"j{i}","complete-time":"never"}}"#))
        .collect();
    let body = format!(
        r#"{{"pipeline":{{"name":"p","counter":"1","stage":{{"name":"s","counter":"1","jobs":[{}]}}}}}}"#,
        jobs.join(",")
    );
    let read = Reader::new().stage_status(&body).unwrap();
    assert_eq!(read.value.pipeline.stage.jobs.len(), 20);
    assert_eq!(read.unreadable.len(), 20);
    for (i, field) in read.unreadable.iter().enumerate() {
        let expected = if i < notify_rules::protocol::MAX_LOCATED {
            format!("pipeline.stage.jobs[{i}].complete-time")
        } else {
            String::new()
        };
        assert_eq!(field.path(), expected);
        assert_eq!(field.value(), "never");
    }
    assert!(read.unreadable[19]
        .to_string()
        .starts_with("a field: could not read"));
}

#[test]
fn errors_hide_credentials_and_stay_short() {
    let err =
        parse_stage_status(r#"{"pipeline":{"name":"p","counter":"https://bob:hunter2@h/x"}}"#)
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid stage-status body at pipeline.counter (line 1, column 59): invalid value: string \"https://h/x\", \
         expected a counter (a non-negative integer, as a string or a number)"
    );
    let long = format!(
        r#"{{"pipeline":{{"name":"p","counter":"{}"}}}}"#,
        "9x".repeat(100_000)
    );
    let err = parse_stage_status(&long).unwrap_err();
    assert_eq!(err.message().chars().count(), 303);
    assert!(
        err.message().starts_with("invalid value: string \"9x9x")
            && err.message().ends_with("x9...")
    );
}

#[test]
fn deep_nesting_is_an_error_everywhere() {
    const DEPTH: usize = 100_000;
    let top = nested("", "[", "]", DEPTH, "");
    let sequence = "invalid type: sequence, expected a JSON object";
    assert_eq!(
        stage_err(&top),
        format!("invalid stage-status body (line 1, column 0): {sequence}")
    );
    assert_eq!(
        agent_err(&top),
        format!("invalid agent-status body (line 1, column 0): {sequence}")
    );
    assert_eq!(
        any_err(&top),
        format!("invalid notification body (line 1, column 0): {sequence}")
    );

    let stage = nested(
        r#"{"pipeline":{"name":"p","counter":"1","stage":"#,
        "[",
        "]",
        DEPTH,
        "}}",
    );
    let expected =
        format!("invalid stage-status body at pipeline.stage (line 1, column 46): {sequence}");
    assert_eq!(stage_err(&stage), expected);
    assert_eq!(any_err(&stage), expected);

    // Values kept as JSON meet serde_json's recursion limit.
    let material = nested(
        r#"{"pipeline":{"name":"p","counter":"1","build-cause":[{"material":{"type":"fossil","x":"#,
        "[",
        "]",
        DEPTH,
        "}}]}}",
    );
    let err = parse_stage_status(&material).unwrap_err();
    assert_eq!(err.message(), "recursion limit exceeded");
    assert_eq!((err.line(), err.column()), (Some(1), Some(209)));
    assert!(err
        .path()
        .unwrap()
        .starts_with("pipeline.build-cause[0].material.x[0][0]"));
    assert_eq!(any_err(&material), err.to_string());
    let data = nested(
        r#"{"pipeline":{"name":"p","counter":"1","build-cause":[{"material":{"type":"git"},"modifications":[{"data":{"k":"#,
        "{\"k\":",
        "}",
        DEPTH,
        "}}]}]}}",
    );
    assert_eq!(
        parse_stage_status(&data).unwrap_err().message(),
        "recursion limit exceeded"
    );

    // Values skipped are skipped without recursion: a deep unknown key is fine.
    let ignored = nested(
        r#"{"pipeline":{"name":"p","counter":"1","extra":"#,
        "[",
        "]",
        DEPTH,
        r#","stage":{"name":"s","counter":"1","state":"Passed","result":"Passed"}}}"#,
    );
    assert_eq!(parse_stage_status(&ignored).unwrap().pipeline.name, "p");
    assert_eq!(
        any_err(&nested(r#"{"other":"#, "[", "]", DEPTH, "}")),
        any_err("{}")
    );

    // The wrapper's first pass reads `type` and skips `data` without recursion.
    let wrapped = nested(r#"{"data":"#, "[", "]", DEPTH, r#","type":"stage"}"#);
    assert_eq!(
        any_err(&wrapped),
        format!("invalid stage-status body at data (line 1, column 8): {sequence}")
    );
    let bad_type = nested(r#"{"type":"#, "[", "]", DEPTH, r#","data":{}}"#);
    assert_eq!(
        any_err(&bad_type),
        "invalid notification body at type (line 1, column 8): invalid type: sequence, expected \"stage\" or \"agent\""
    );
    // A state is skipped without recursion too, and read as unreadable.
    let agent = nested(r#"{"uuid":"u","agent_state":"#, "[", "]", DEPTH, "}");
    let read = Reader::new().agent_status(&agent).unwrap();
    assert_eq!(
        read.value.agent_state,
        notify_rules::model::AgentState::Unknown
    );
    assert_eq!(read.unreadable.len(), 1);
    assert_eq!(read.unreadable[0].path(), "agent_state");
    assert_eq!(unreadable(&agent), [read.unreadable[0].to_string()]);
}

#[test]
fn junk_and_size_limit() {
    let ten_mb = "x".repeat(10 * 1024 * 1024);
    for (err, kind) in [
        (parse_stage_status(&ten_mb).unwrap_err(), "stage-status"),
        (parse_agent_status(&ten_mb).unwrap_err(), "agent-status"),
        (parse_notification(&ten_mb).unwrap_err(), "notification"),
    ] {
        assert_eq!(
            err.to_string(),
            format!(
                "invalid {kind} body: the body is 10485760 bytes, more than the 8388608 accepted"
            )
        );
        assert_eq!((err.path(), err.line(), err.column()), (None, None, None));
    }
    // At the limit, junk is read (and refused) by the JSON reader.
    let at_limit = "\u{1F600}".repeat(MAX_BODY_BYTES / 4);
    assert_eq!(
        stage_err(&at_limit),
        "invalid stage-status body (line 1, column 1): expected value"
    );
    assert_eq!(
        any_err(&at_limit),
        "invalid notification body (line 1, column 1): expected value"
    );
    let over = format!("{at_limit} ");
    assert!(stage_err(&over).ends_with("the body is 8388609 bytes, more than the 8388608 accepted"));
}

#[test]
fn bad_request_and_unknown_request_answers() {
    let err: ProtocolError =
        parse_stage_status(&bad_payload("missing-pipeline-name.json")).unwrap_err();
    let answer = PluginResponse::bad_request(&err);
    assert_eq!(answer.code, 400);
    assert_eq!(
        answer.body,
        r#"{"status":"failure","messages":["invalid stage-status body at pipeline.name (line 1, column 1652): missing field `name`"]}"#
    );
    let answer = PluginResponse::unknown_request("stage-stat");
    assert_eq!(answer.code, 400);
    let v: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(v["status"], "failure");
    assert!(v["messages"][0]
        .as_str()
        .unwrap()
        .starts_with("unknown request \"stage-stat\"; this plugin answers"));
    assert_eq!(err.body_kind(), "stage-status");
}
