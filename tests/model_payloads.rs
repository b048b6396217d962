//! Every body in `tests/payloads/` parses and survives serialize-then-parse, and
//! the serialized form is GoCD's wire form. Individual payloads are then checked
//! for what they were written to show.

use chrono::{DateTime, Duration, TimeZone, Utc};
use notify_rules::model::{
    AgentConfigState, AgentState, AgentStatus, BuildState, JobResult, JobState, StageResult,
    StageState, StageStatus,
};
use notify_rules::protocol::{parse_notification, parse_stage_status, Notification};
use notify_rules_test_kit::{agent, payloads, read, stage};
use serde_json::Value;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// `2024-05-14T09:22:10.118+0000`, or `""` for a date not set.
fn is_gocd_date(s: &str) -> bool {
    let b = s.as_bytes();
    s.is_empty()
        || (b.len() == 28
            && s.ends_with("+0000")
            && b.iter().enumerate().all(|(i, c)| match i {
                4 | 7 => *c == b'-',
                10 => *c == b'T',
                13 | 16 => *c == b':',
                19 => *c == b'.',
                23 => *c == b'+',
                _ => c.is_ascii_digit(),
            }))
}

const DATE_KEYS: &[&str] = &[
    "modified-time",
    "create-time",
    "last-transition-time",
    "schedule-time",
    "assign-time",
    "complete-time",
];

/// Walks a serialized stage body: dash-case keys everywhere GoCD names them
/// (plugin-defined maps excepted), counters as strings, dates in GoCD's pattern.
fn check_stage_wire(name: &str, v: &Value) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                assert!(
                    !k.contains('_') && !k.chars().any(|c| c.is_ascii_uppercase()),
                    "{name}: key {k:?} is not dash-case"
                );
                if k == "counter" {
                    assert!(
                        child.as_str().is_some_and(|s| s.parse::<u64>().is_ok()),
                        "{name}: counter {child}"
                    );
                }
                if DATE_KEYS.contains(&k.as_str()) {
                    assert!(
                        child.as_str().is_some_and(is_gocd_date),
                        "{name}: {k} = {child}"
                    );
                }
                // Plugin-defined maps and unknown materials keep their own keys.
                let plugin_defined = matches!(
                    k.as_str(),
                    "data"
                        | "repository-configuration"
                        | "package-configuration"
                        | "scm-configuration"
                ) || (k == "material"
                    && child.get("type").and_then(Value::as_str) == Some("fossil"));
                if !plugin_defined {
                    check_stage_wire(name, child);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| check_stage_wire(name, i)),
        _ => {}
    }
}

#[test]
fn every_payload_parses_and_round_trips() {
    let all = payloads();
    assert!(all.len() >= 27, "{} payloads", all.len());
    let mut stages = 0;
    for (name, body) in &all {
        let received = parse_notification(body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            received.wrapped,
            name.starts_with("wrapped-") || name.starts_with("own-wrapped-"),
            "{name}"
        );
        match received.notification {
            Notification::Stage(status) => {
                stages += 1;
                let wire = serde_json::to_string(&status).unwrap();
                let again: StageStatus = serde_json::from_str(&wire).unwrap();
                assert_eq!(again, status, "{name}");
                // The typed entry point agrees with the shape-detecting one.
                if !received.wrapped {
                    assert_eq!(parse_stage_status(body).unwrap(), status, "{name}");
                }
                check_stage_wire(name, &serde_json::from_str(&wire).unwrap());
            }
            Notification::Agent(a) => {
                let wire = serde_json::to_value(&a).unwrap();
                assert_eq!(
                    serde_json::from_value::<AgentStatus>(wire.clone()).unwrap(),
                    a,
                    "{name}"
                );
                assert!(
                    wire["transition_time"].as_str().is_some_and(is_gocd_date),
                    "{name}"
                );
                assert!(
                    wire.as_object().unwrap().keys().all(|k| !k.contains('-')),
                    "{name}"
                );
            }
            Notification::EmptyAgent => {
                assert!(name.starts_with("own-wrapped-agent-empty"), "{name}");
            }
        }
    }
    assert!(stages >= 20);
}

#[test]
fn unknown_enum_values_are_kept() {
    let s = stage("own-unknown-enums.json");
    assert_eq!(s.pipeline.stage.state, StageState::Other("Paused".into()));
    assert_eq!(
        s.pipeline.stage.result,
        StageResult::Other("Skipped".into())
    );
    assert_eq!(
        s.pipeline.stage.jobs[0].state,
        JobState::Other("Suspended".into())
    );
    assert_eq!(
        s.pipeline.stage.jobs[0].result,
        JobResult::Other("Inconclusive".into())
    );
    let wire = serde_json::to_value(&s).unwrap();
    assert_eq!(wire["pipeline"]["stage"]["state"], "Paused");
    assert_eq!(
        wire["pipeline"]["stage"]["jobs"][0]["result"],
        "Inconclusive"
    );

    let a = agent("own-agent-unknown-enums.json");
    assert_eq!(
        a.agent_config_state,
        AgentConfigState::Other("Quarantined".into())
    );
    assert_eq!(a.agent_state, AgentState::Other("Hibernating".into()));
    assert_eq!(a.build_state, BuildState::Other("Draining".into()));
    assert!(a.is_elastic);
}

#[test]
fn dates_null_empty_or_missing_are_none() {
    let s = stage("own-dates-null-empty-missing.json");
    let st = &s.pipeline.stage;
    assert_eq!((st.create_time, st.last_transition_time), (None, None));
    assert_eq!(
        (s.pipeline.label.as_deref(), s.pipeline.group.as_deref()),
        (None, None)
    );
    assert_eq!(
        s.pipeline.build_cause[0].modifications[0].modified_time,
        None
    );
    assert!(s.pipeline.build_cause[0].modifications[0].data.is_empty());
    for j in &st.jobs {
        assert_eq!(
            (
                j.schedule_time,
                j.assign_time,
                j.complete_time,
                j.agent_uuid.as_deref()
            ),
            (None, None, None, None)
        );
    }
    assert_eq!(st.approved_by.as_deref(), Some(""));
    assert_eq!(
        (st.previous_stage_name.as_deref(), st.previous_stage_counter),
        (None, None)
    );
    assert_eq!(st.duration(), None);
}

#[test]
fn gson_escapes_are_decoded() {
    let s = stage("own-gson-escapes.json");
    assert_eq!(s.pipeline.label.as_deref(), Some("5-<beta>"));
    assert_eq!(s.pipeline.group.as_deref(), Some("search & ranking"));
    let m = &s.pipeline.build_cause[0].material;
    assert_eq!(
        m.url(),
        Some("https://git.example.com/q.git?ref=main&depth=1")
    );
    assert_eq!(m.branch(), Some("it's-main"));
    assert_eq!(s.pipeline.stage.approved_by.as_deref(), Some("o'brien"));
    assert_eq!(s.pipeline.stage.jobs[0].name, "<named>");
    assert_eq!(
        s.pipeline.build_cause[0].modifications[0].data["note"],
        "a=b"
    );
}

#[test]
fn every_date_style_reads_as_utc() {
    let v1 = stage("own-v1-literal-z.json");
    assert_eq!(
        v1.pipeline.stage.create_time,
        Some(utc("2013-02-11T16:43:00Z"))
    );
    assert_eq!(v1.pipeline.stage.duration(), Some(Duration::seconds(432)));
    assert_eq!(v1.pipeline.label, None);
    assert_eq!(v1.pipeline.stage.jobs[0].assign_time, None);

    let colon = stage("own-offset-colon.json");
    assert_eq!(
        colon.pipeline.stage.create_time,
        Some(utc("2024-08-01T10:00:00Z"))
    );
    assert_eq!(
        colon.pipeline.stage.last_transition_time,
        Some(utc("2024-08-01T10:10:00.500Z"))
    );
    assert_eq!(
        colon.pipeline.build_cause[0].modifications[0].modified_time,
        Some(utc("2024-08-01T09:59:00Z"))
    );

    let compact = stage("own-offset-compact.json");
    assert_eq!(
        compact.pipeline.stage.create_time,
        Some(utc("2024-08-01T10:00:00Z"))
    );
    assert_eq!(
        compact.pipeline.stage.last_transition_time,
        Some(utc("2024-08-01T10:10:00.500Z"))
    );
    assert_eq!(
        compact.pipeline.stage.duration(),
        Some(Duration::milliseconds(600_500))
    );
    let wire = serde_json::to_value(&compact).unwrap();
    assert_eq!(
        wire["pipeline"]["stage"]["last-transition-time"],
        "2024-08-01T10:10:00.500+0000"
    );

    let wrapped = stage("wrapped-stage-passed.json");
    assert_eq!(
        wrapped.pipeline.stage.create_time,
        Some(Utc.with_ymd_and_hms(2024, 7, 19, 12, 30, 0).unwrap())
    );
}

#[test]
fn counters_may_be_numbers() {
    let s = stage("own-counters-as-numbers.json");
    assert_eq!((s.pipeline.counter, s.pipeline.stage.counter), (12, 1));
    let wire = serde_json::to_value(&s).unwrap();
    assert_eq!(
        (
            &wire["pipeline"]["counter"],
            &wire["pipeline"]["stage"]["counter"]
        ),
        (&"12".into(), &"1".into())
    );
}

#[test]
fn v3_body_has_no_fingerprint_or_previous_stage() {
    let s = stage("own-v3-no-fingerprint.json");
    assert_eq!(s.pipeline.build_cause[0].material.fingerprint(), None);
    assert_eq!(
        (
            s.pipeline.stage.previous_stage_name.as_deref(),
            s.pipeline.stage.previous_stage_counter
        ),
        (None, None)
    );
    let v4 = stage("v4-deploy-failed.json");
    assert_eq!(
        v4.pipeline.stage.previous_stage_name.as_deref(),
        Some("prepare")
    );
    assert_eq!(v4.pipeline.stage.previous_stage_counter, Some(1));
    assert_eq!(
        serde_json::to_value(&v4).unwrap()["pipeline"]["stage"]["previous-stage-counter"],
        1
    );
}

#[test]
fn wrapped_bodies_in_any_key_order() {
    let r = read("own-wrapped-agent.json");
    assert!(r.wrapped);
    let Notification::Agent(a) = r.notification else {
        panic!()
    };
    assert_eq!(
        (a.host_name.as_deref(), a.ip_address.as_deref()),
        (Some("mac-mini-3"), None)
    );
    assert_eq!(a.transition_time, Some(utc("2024-08-01T10:00:05.123Z")));
    assert_eq!(a.agent_state, AgentState::Building);

    let r = read("own-wrapped-stage-data-first.json");
    assert!(r.wrapped);
    let Notification::Stage(s) = r.notification else {
        panic!()
    };
    assert_eq!(
        (s.pipeline.name.as_str(), s.pipeline.stage.state.clone()),
        ("wrapped", StageState::Failing)
    );
    assert_eq!(s.pipeline.trigger(), None);

    let raw = read("agent-lost-contact.json");
    assert!(!raw.wrapped);
    assert_eq!(raw.notification.request_name(), "agent-status");
}

#[test]
fn five_hundred_jobs() {
    let s = stage("own-500-jobs.json");
    let st = &s.pipeline.stage;
    assert_eq!(st.jobs.len(), 500);
    let failed: Vec<&str> = st.failed_jobs().map(|j| j.name.as_str()).collect();
    assert_eq!(
        failed,
        [
            "shard-007",
            "shard-057",
            "shard-107",
            "shard-157",
            "shard-207",
            "shard-257",
            "shard-307",
            "shard-357",
            "shard-407",
            "shard-457"
        ]
    );
    assert_eq!(st.passed_jobs().count(), 490);
    assert_eq!(
        st.jobs[499].agent_uuid.as_deref(),
        Some("00000000-0000-4000-8000-000000000499")
    );
    assert_eq!(st.duration(), Some(Duration::minutes(49)));
}

#[test]
fn trigger_and_revision() {
    let v4 = stage("v4-deploy-failed.json");
    let t = v4.pipeline.trigger().unwrap();
    assert_eq!(
        (t.material.kind(), t.revision()),
        ("pipeline", Some("build-app/117/package/1"))
    );
    // No material changed: the first one stands in.
    let docs = stage("stage-scheduled-docs.json");
    let t = docs.pipeline.trigger().unwrap();
    assert_eq!(
        t.revision(),
        Some("8f60b12439840e5a0a4d464379dd3a48881008b4")
    );
    assert_eq!(docs.pipeline.stage.duration(), None);
    let failed: Vec<&str> = v4
        .pipeline
        .stage
        .failed_jobs()
        .map(|j| j.name.as_str())
        .collect();
    assert_eq!(failed, ["deploy-worker"]);
    assert_eq!(
        v4.pipeline.stage.duration(),
        Some(Duration::milliseconds(217_812))
    );
}
