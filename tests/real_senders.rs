//! Bodies in the shapes real GoCD servers, plugins and forwarders send (see
//! `docs/compatibility.md`), each read with its exact values: Gson's dates in
//! the GoCD server's time zone across both daylight-saving changes, values in
//! any case, getsentry's agent wrappers, sparse bodies, escapes and key order,
//! and a date that cannot be read in a notification that is still delivered.

use chrono::{DateTime, Duration, Utc};
use notify_rules::model::{
    AgentConfigState, AgentState, BuildState, JobResult, JobState, Material, StageResult,
    StageState, StageStatus,
};
use notify_rules::protocol::{Notification, Read, Reader, Received, Tz};
use notify_rules::{rules, Plugin};
use notify_rules_test_kit::notifier::{text_recorder, Log};
use notify_rules_test_kit::payload;

fn read_in(zone: Tz, name: &str) -> Read<Received> {
    Reader::new()
        .time_zone(zone)
        .notification(&payload(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn stage_in(zone: Tz, name: &str) -> StageStatus {
    let read = read_in(zone, name);
    assert!(read.unreadable.is_empty(), "{name}: {:?}", read.unreadable);
    match read.value.notification {
        Notification::Stage(s) => s,
        other => panic!("{name}: {other:?}"),
    }
}

fn berlin(name: &str) -> StageStatus {
    stage_in(Tz::Europe__Berlin, name)
}

fn utc(s: &str) -> Option<DateTime<Utc>> {
    Some(
        DateTime::parse_from_rfc3339(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .with_timezone(&Utc),
    )
}

fn failed(s: &StageStatus) -> Vec<&str> {
    s.pipeline
        .stage
        .failed_jobs()
        .map(|j| j.name.as_str())
        .collect()
}

#[test]
fn gson_dates_before_the_spring_change_are_winter_time_and_after_it_summer_time() {
    let s = berlin("own-wrapped-gson-jdk9-failed.json");
    let (p, stage) = (&s.pipeline, &s.pipeline.stage);
    assert_eq!(
        (p.name.as_str(), p.counter, p.group.as_deref()),
        ("billing-api", 318, Some("payments"))
    );
    assert_eq!((stage.name.as_str(), stage.counter), ("integration", 2));
    assert_eq!(
        (&stage.state, &stage.result),
        (&StageState::Failed, &StageResult::Failed)
    );
    assert_eq!(failed(&s), ["ledger-replay"]);
    // 01:59:30 CET (+01:00), then the clocks went from 02:00 to 03:00 CEST.
    assert_eq!(stage.create_time, utc("2025-03-30T00:59:30Z"));
    assert_eq!(stage.last_transition_time, utc("2025-03-30T01:01:10Z"));
    assert_eq!(stage.duration(), Some(Duration::seconds(100)));
    assert_eq!(stage.jobs[0].complete_time, utc("2025-03-30T01:00:45Z"));
    assert_eq!(
        p.build_cause[0].modifications[0].modified_time,
        utc("2025-03-29T22:52:40Z")
    );
    // Read as UTC, the same text is an hour longer: the zone matters.
    let as_utc = stage_in(Tz::UTC, "own-wrapped-gson-jdk9-failed.json");
    assert_eq!(
        as_utc.pipeline.stage.create_time,
        utc("2025-03-30T01:59:30Z")
    );
    assert_eq!(
        as_utc.pipeline.stage.duration(),
        Some(Duration::seconds(3700))
    );
}

#[test]
fn gson_dates_in_the_autumn_hour_that_came_twice_are_its_first_pass() {
    let s = berlin("own-wrapped-gson-narrow-nbsp.json");
    let stage = &s.pipeline.stage;
    assert_eq!(
        (s.pipeline.name.as_str(), s.pipeline.counter),
        ("search-indexer", 77)
    );
    assert_eq!((stage.name.as_str(), stage.counter), ("publish", 1));
    assert_eq!(stage.state, StageState::Passed);
    assert!(failed(&s).is_empty());
    // 26 October 2025: 02:30 came at 00:30 UTC (CEST) and again at 01:30 (CET).
    assert_eq!(stage.create_time, utc("2025-10-26T00:30:00Z"));
    assert_eq!(stage.last_transition_time, utc("2025-10-26T00:45:30Z"));
    assert_eq!(stage.duration(), Some(Duration::seconds(930)));
    assert_eq!(
        s.pipeline.build_cause[0].modifications[0].modified_time,
        utc("2025-10-25T21:10:00Z")
    );
    assert_eq!(stage.approved_by.as_deref(), Some("dana"));
}

#[test]
fn a_no_break_space_and_values_in_lower_case() {
    let s = berlin("own-wrapped-gson-nbsp-escaped.json");
    let stage = &s.pipeline.stage;
    assert_eq!(
        (s.pipeline.name.as_str(), s.pipeline.counter, stage.counter),
        ("mobile-app", 12, 1)
    );
    assert_eq!(
        (&stage.state, &stage.result),
        (&StageState::Building, &StageResult::Unknown)
    );
    assert_eq!(stage.create_time, utc("2025-07-04T08:05:09Z"));
    assert_eq!(
        (&stage.jobs[0].state, &stage.jobs[0].result),
        (&JobState::Building, &JobResult::Unknown)
    );
    assert_eq!(stage.jobs[1].result, JobResult::Failed);
    assert_eq!(failed(&s), ["ios"]);
    // Written back in GoCD's spelling.
    let wire = serde_json::to_value(&s).unwrap();
    assert_eq!(wire["pipeline"]["stage"]["state"], "Building");
    assert_eq!(wire["pipeline"]["stage"]["jobs"][1]["result"], "Failed");
}

#[test]
fn jdk8_dates_without_the_comma_as_the_kzrbill_webhooker_sends() {
    let s = berlin("own-gson-jdk8-building.json");
    let stage = &s.pipeline.stage;
    assert_eq!(
        (s.pipeline.name.as_str(), s.pipeline.counter),
        ("docs-site", 205)
    );
    assert_eq!((stage.name.as_str(), stage.counter), ("render", 3));
    assert_eq!(
        (&stage.state, &stage.result),
        (&StageState::Building, &StageResult::Unknown)
    );
    // November: Berlin is back on CET, an hour ahead of UTC.
    assert_eq!(stage.create_time, utc("2024-11-03T13:15:07Z"));
    assert_eq!(stage.jobs[0].schedule_time, utc("2024-11-03T13:15:07Z"));
    assert_eq!(stage.jobs[0].complete_time, None);
    assert_eq!(
        s.pipeline.build_cause[0].modifications[0].modified_time,
        utc("2024-11-02T21:03:59Z")
    );
}

#[test]
fn iso_dates_in_the_jvms_offset_ignore_the_zone() {
    for zone in [Tz::UTC, Tz::Europe__Berlin, Tz::Asia__Tokyo] {
        let s = stage_in(zone, "own-wrapped-iso-jvm-offset.json");
        let stage = &s.pipeline.stage;
        assert_eq!(
            (s.pipeline.name.as_str(), s.pipeline.counter),
            ("etl-nightly", 1044)
        );
        assert_eq!(
            (&stage.state, &stage.result),
            (&StageState::Cancelled, &StageResult::Cancelled)
        );
        assert_eq!(stage.create_time, utc("2025-06-12T03:00:00.004Z"));
        assert_eq!(stage.last_transition_time, utc("2025-06-12T03:41:17.912Z"));
        assert_eq!(stage.jobs[0].result, JobResult::Cancelled);
        // The forwarder drops previous-stage fields and the label.
        assert_eq!(
            (
                stage.previous_stage_name.as_deref(),
                stage.previous_stage_counter
            ),
            (None, None)
        );
        assert_eq!(s.pipeline.label, None);
        assert_eq!(
            s.pipeline.trigger().and_then(|c| c.revision()),
            Some("etl-extract/981/dump/1")
        );
    }
}

#[test]
fn getsentrys_agent_wrappers() {
    let read = read_in(Tz::UTC, "own-wrapped-agent-empty.json");
    assert_eq!(read.value.notification, Notification::EmptyAgent);
    assert!(read.value.wrapped);
    assert_eq!(read.value.notification.request_name(), "agent-status");

    let read = read_in(Tz::UTC, "own-agent-nested-lowercase.json");
    assert!(read.unreadable.is_empty());
    assert!(!read.value.wrapped);
    let Notification::Agent(agent) = read.value.notification else {
        panic!("{:?}", read.value.notification)
    };
    assert_eq!(agent.uuid, "7a3d5c1e-2b4f-4e6a-8c9d-0f1e2a3b4c5d");
    assert_eq!(agent.host_name.as_deref(), Some("build-agent-04"));
    assert_eq!(agent.free_space.as_deref(), Some("93,2 GB"));
    assert_eq!(agent.agent_config_state, AgentConfigState::Enabled);
    assert_eq!(agent.agent_state, AgentState::LostContact);
    assert_eq!(agent.build_state, BuildState::Building);
    assert_eq!(agent.transition_time, utc("2025-02-03T06:41:09.552Z"));
    let wire = serde_json::to_value(&agent).unwrap();
    assert_eq!(
        (
            &wire["agent_config_state"],
            &wire["agent_state"],
            &wire["build_state"]
        ),
        (
            &serde_json::json!("Enabled"),
            &serde_json::json!("LostContact"),
            &serde_json::json!("Building")
        )
    );

    // The same nested body inside the wrapper, and through the request name.
    let inner = payload("own-agent-nested-lowercase.json");
    let wrapped = format!(r#"{{"type":"agent","data":{inner}}}"#);
    let read = Reader::new().notification(&wrapped).unwrap();
    assert!(read.value.wrapped);
    assert_eq!(read.value.notification, Notification::Agent(agent.clone()));
    assert_eq!(Reader::new().agent_status(&inner).unwrap().value, agent);
}

#[test]
fn an_empty_material_blank_data_and_escaped_slashes() {
    let s = berlin("own-sparse-empty-material.json");
    let causes = &s.pipeline.build_cause;
    assert_eq!(
        causes[0].material,
        Material::Other {
            kind: String::new(),
            raw: serde_json::json!({})
        }
    );
    assert_eq!(causes[0].revision(), Some("r1911"));
    assert!(causes[0].modifications[0].data.is_empty());
    assert_eq!(
        causes[1].material.url(),
        Some("https://svn.example.net/repo/trunk")
    );
    let Material::Svn(svn) = &causes[1].material else {
        panic!("{:?}", causes[1].material)
    };
    assert_eq!(svn.check_externals, Some(false));
    assert_eq!(s.pipeline.stage.approved_by.as_deref(), Some("timer"));
    // v1's literal `Z` is UTC, whatever the zone.
    assert_eq!(s.pipeline.stage.create_time, utc("2015-06-02T09:00:00Z"));
    let wire = serde_json::to_value(&s).unwrap();
    assert_eq!(
        wire["pipeline"]["build-cause"][0]["material"],
        serde_json::json!({})
    );
}

#[test]
fn sparse_stages_and_jobs_are_read_with_what_they_have() {
    let s = berlin("own-sparse-no-build-cause.json");
    assert!(s.pipeline.build_cause.is_empty());
    let stage = &s.pipeline.stage;
    // State and result as sent, even when they disagree.
    assert_eq!(
        (&stage.state, &stage.result),
        (&StageState::Passed, &StageResult::Unknown)
    );
    assert_eq!(stage.last_transition_time, None);
    let daily = &stage.jobs[0];
    assert_eq!(
        (&daily.state, &daily.result, daily.assign_time),
        (&JobState::Completed, &JobResult::Unknown, None)
    );
    assert_eq!(daily.complete_time, utc("2024-12-01T06:04:00Z"));
    assert_eq!(stage.jobs[1].agent_uuid, None);
    assert_eq!(stage.jobs[1].result, JobResult::Passed);

    let s = berlin("own-sparse-stage-fields.json");
    let stage = &s.pipeline.stage;
    assert_eq!(s.pipeline.group, None);
    assert_eq!(
        (
            stage.approval_type.as_deref(),
            stage.approved_by.as_deref(),
            stage.create_time
        ),
        (None, None, None)
    );
    assert_eq!(
        (&stage.state, &stage.result),
        (&StageState::Unknown, &StageResult::Unknown)
    );
    assert_eq!(
        (
            stage.jobs[0].name.as_str(),
            &stage.jobs[0].state,
            &stage.jobs[0].result
        ),
        ("daily", &JobState::Scheduled, &JobResult::Unknown)
    );
    assert_eq!(
        s.pipeline.trigger().and_then(|c| c.revision()),
        Some("ingest/88/load/1")
    );
}

#[test]
fn keys_in_any_order_and_gsons_html_escapes() {
    let s = berlin("own-keys-any-order.json");
    assert_eq!(
        (s.pipeline.name.as_str(), s.pipeline.counter),
        ("tools<lint>", 8)
    );
    assert_eq!(failed(&s), ["lint&test"]);
    assert_eq!(
        s.pipeline.build_cause[0].material.url(),
        Some("https://git.example.net/tools/lint.git?ref=main")
    );
    assert_eq!(
        s.pipeline.build_cause[0].material.fingerprint(),
        Some("ff00")
    );
}

/// A plugin that tells `ops` of every failure, recording what it sends.
fn recording_plugin(zone: Tz) -> (Plugin, Log) {
    let sent = Log::default();
    let plugin = Plugin::builder(rules! {
        target ops;
        on state Failed => send(ops, "{pipeline.name} {stage.name} failed at {stage.create_time}: {jobs.failed}");
    })
    .notifier("ops", text_recorder(&sent))
    .time_zone(zone)
    .build()
    .unwrap();
    (plugin, sent)
}

#[test]
fn a_failure_with_an_unreadable_date_is_still_delivered() {
    let text = payload("own-unreadable-date-failed.json");
    let read = Reader::new().stage_status(&text).unwrap();
    let paths: Vec<_> = read.unreadable.iter().map(|f| f.path()).collect();
    assert_eq!(
        paths,
        [
            "pipeline.stage.last-transition-time",
            "pipeline.stage.jobs[0].complete-time"
        ]
    );
    assert_eq!(read.unreadable[0].value(), "test-last-transition-time");
    assert_eq!(read.value.pipeline.stage.last_transition_time, None);

    let (plugin, sent) = recording_plugin(Tz::UTC);
    let answer = plugin.handle("stage-status", &text);
    assert_eq!(
        (answer.code, answer.body.as_str()),
        (200, r#"{"status":"success"}"#)
    );
    assert_eq!(
        *sent.lock().unwrap(),
        ["storefront deploy failed at 2025-01-20T16:00:00.000Z: rollout"]
    );
}

#[test]
fn the_plugin_reads_gson_dates_in_its_time_zone() {
    let text = payload("own-wrapped-gson-jdk9-failed.json");
    let Notification::Stage(status) = Reader::new()
        .notification(&text)
        .unwrap()
        .value
        .notification
    else {
        panic!()
    };
    // Through the request name, the body is GoCD's own: the wrapper's data.
    let data =
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&text).unwrap()["data"])
            .unwrap();
    for (zone, created) in [
        (Tz::Europe__Berlin, "2025-03-30T00:59:30.000Z"),
        (Tz::America__New_York, "2025-03-30T05:59:30.000Z"),
    ] {
        let (plugin, sent) = recording_plugin(zone);
        assert_eq!(plugin.reader().zone(), zone);
        assert_eq!(plugin.handle("stage-status", &data).code, 200);
        // A second plugin, handed the notification already read.
        let (typed, typed_sent) = recording_plugin(zone);
        let read = typed.reader().notification(&text).unwrap();
        assert_eq!(typed.handle_notification(read.value.notification).code, 200);
        let expected = format!("billing-api integration failed at {created}: ledger-replay");
        assert_eq!(*sent.lock().unwrap(), *typed_sent.lock().unwrap());
        assert_eq!(*sent.lock().unwrap(), [expected]);
    }
    assert_eq!(
        status.pipeline.stage.create_time,
        utc("2025-03-30T01:59:30Z")
    );
}

#[test]
fn an_empty_agent_event_is_a_success_that_delivers_nothing() {
    let (plugin, sent) = recording_plugin(Tz::UTC);
    for _ in 0..2 {
        let read = plugin
            .reader()
            .notification(&payload("own-wrapped-agent-empty.json"))
            .unwrap();
        let answer = plugin.handle_notification(read.value.notification);
        assert_eq!(
            (answer.code, answer.body.as_str()),
            (200, r#"{"status":"success"}"#)
        );
    }
    assert!(sent.lock().unwrap().is_empty());
}
