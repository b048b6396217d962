use std::sync::Arc;

use super::*;
use crate::model::{AgentStatus, StageStatus};
use crate::plugin::test_support::status;

fn with_jobs(state: &str, jobs: &str) -> StageStatus {
    serde_json::from_str(&format!(
        r#"{{"pipeline":{{"name":"shop","counter":"7","label":"1.4.7","build-cause":[],
          "stage":{{"name":"test","counter":"2","state":"{state}","result":"Unknown","jobs":[{jobs}]}}}}}}"#
    ))
    .unwrap()
}

#[test]
fn each_state_has_its_tone() {
    for (state, tone) in [
        ("Failed", Tone::Failed),
        ("Failing", Tone::Failed),
        ("Passed", Tone::Passed),
        ("Building", Tone::Building),
        ("Cancelled", Tone::Cancelled),
        ("Unknown", Tone::Neutral),
        ("Paused", Tone::Neutral),
    ] {
        let d = Delivery::new("ops", "x", Arc::new(status("p", 1, "s", 1, state)));
        assert_eq!(summary(&d, None).tone, tone, "{state}");
    }
    // An unknown state with a result takes the result's.
    let mut s = status("p", 1, "s", 1, "Unknown");
    s.pipeline.stage.result = StageResult::Failed;
    let d = Delivery::new("ops", "x", Arc::new(s));
    assert_eq!(summary(&d, None).tone, Tone::Failed);
    assert_eq!(Tone::Failed.hex(), "#d0021b");
    assert_eq!(Tone::Cancelled.rgb(), 0xF2A900);
}

#[test]
fn a_stage_shows_its_state_names_counters_label_and_failed_jobs() {
    let s = with_jobs(
        "Failed",
        r#"{"name":"unit","result":"Failed"},{"name":"lint","result":"Passed"},
           {"name":"e2e","result":"Failed"}"#,
    );
    let d = Delivery::new("ops", "x", Arc::new(s));
    let sum = summary(&d, Some("https://gocd.example.com"));
    assert_eq!(sum.title, "shop #7 · test #2: Failed");
    let shown: Vec<(&str, &str, bool)> = sum
        .fields
        .iter()
        .map(|f| (f.name, f.value.as_str(), f.short))
        .collect();
    assert_eq!(
        shown,
        [
            ("State", "Failed", true),
            ("Pipeline", "shop", true),
            ("Stage", "test", true),
            ("Counter", "7 / 2", true),
            ("Label", "1.4.7", true),
            ("Failed jobs", "unit, e2e", false),
        ]
    );
    assert_eq!(
        sum.link.as_deref(),
        Some("https://gocd.example.com/go/pipelines/shop/7/test/2")
    );
    // Without failed jobs, or with a label equal to the counter, neither shows.
    let d = Delivery::new("ops", "x", Arc::new(status("p", 3, "s", 1, "Passed")));
    let sum = summary(&d, None);
    let names: Vec<&str> = sum.fields.iter().map(|f| f.name).collect();
    assert_eq!(names, ["State", "Pipeline", "Stage", "Counter"]);
    assert_eq!(sum.link, None);
}

#[test]
fn long_values_are_cut() {
    let jobs: Vec<String> = (0..400)
        .map(|i| format!(r#"{{"name":"job-{i}","result":"Failed"}}"#))
        .collect();
    let d = Delivery::new("ops", "x", Arc::new(with_jobs("Failed", &jobs.join(","))));
    let sum = summary(&d, None);
    let failed = &sum.fields.last().unwrap().value;
    assert_eq!(failed.chars().count(), JOBS_MAX);
    assert!(failed.starts_with("job-0, job-1") && failed.ends_with(cut::MARKER));
}

#[test]
fn an_agent_shows_its_host_states_address_and_page() {
    let agent: AgentStatus = serde_json::from_str(
        r#"{"uuid":"0b9e","host_name":"agent-7","ip_address":"10.0.4.17",
          "agent_config_state":"Enabled","agent_state":"LostContact","build_state":"Unknown"}"#,
    )
    .unwrap();
    let d = Delivery::new_agent("ops", "lost", Arc::new(agent.clone()));
    let sum = summary(&d, Some("https://gocd.example.com/go"));
    assert_eq!(sum.tone, Tone::Failed);
    assert_eq!(sum.title, "Agent agent-7: LostContact");
    let shown: Vec<(&str, &str)> = sum
        .fields
        .iter()
        .map(|f| (f.name, f.value.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            ("State", "LostContact"),
            ("Agent", "agent-7"),
            ("Build", "Unknown"),
            ("Config", "Enabled"),
            ("IP address", "10.0.4.17"),
        ]
    );
    assert_eq!(
        sum.link.as_deref(),
        Some("https://gocd.example.com/go/agents/0b9e/job_run_history")
    );
    for (state, build, config, tone) in [
        ("Idle", "Idle", "Enabled", Tone::Passed),
        ("Building", "Building", "Enabled", Tone::Building),
        ("Building", "Cancelled", "Enabled", Tone::Cancelled),
        ("Missing", "Unknown", "Enabled", Tone::Failed),
        ("Idle", "Idle", "Disabled", Tone::Neutral),
    ] {
        let mut a = agent.clone();
        a.agent_state = AgentState::from_wire(state);
        a.build_state = BuildState::from_wire(build);
        a.agent_config_state = AgentConfigState::from_wire(config);
        a.host_name = None;
        let d = Delivery::new_agent("ops", "x", Arc::new(a));
        let sum = summary(&d, None);
        assert_eq!(sum.tone, tone, "{state} {build} {config}");
        assert_eq!(sum.title, format!("Agent 0b9e: {state}"));
    }
}

#[test]
fn a_server_address_with_secrets_is_refused_unquoted() {
    let e = crate::deliver::Teams::new("https://example.com/hook")
        .unwrap()
        .server_url("https://ci:s3cret@gocd.example.com")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("teams notifier: the GoCD server address must not hold"),
        "{e}"
    );
    assert!(!e.contains("s3cret"), "{e}");
    let ok = crate::deliver::Discord::new("https://example.com/hook")
        .unwrap()
        .server_url("https://gocd.example.com/go/")
        .unwrap();
    let shown = format!("{ok:?}");
    assert!(
        shown.contains("gocd.example.com/go") && !shown.contains("/hook"),
        "{shown}"
    );
}
