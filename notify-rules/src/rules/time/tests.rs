//! The time forms as the runtime answers them, for loaded and compiled rules.

use std::time::Duration;

use crate::model::{AgentStatus, StageStatus};
use crate::{RuleSet, Transition};

const BODY: &str = r#"{"pipeline":{"name":"api","counter":"7","build-cause":[],
  "stage":{"name":"test","counter":"2","state":"Failed","result":"Failed","jobs":[]}}}"#;

fn status() -> StageStatus {
    serde_json::from_str(BODY).unwrap()
}

#[test]
fn a_reminder_without_a_template_is_the_default_message_still_failing() {
    let rules = RuleSet::parse("target ops; on broken => remind(ops, 45m);").unwrap();
    let starts = rules.reminder_starts(&status(), Some(Transition::Broken));
    assert_eq!(starts.len(), 1);
    assert_eq!((starts[0].rule_index, starts[0].remind_index), (0, 0));
    assert!(!rules.timing(0).unwrap().reminds()[0].has_template());
    let text = rules.reminder_text(0, 0, &status(), Duration::from_secs(45 * 60), 1);
    assert_eq!(text, "api #7: stage test #2 Failed (still failing)");
    // A rule or action that does not exist has no text.
    assert_eq!(rules.reminder_text(0, 1, &status(), Duration::ZERO, 1), "");
    assert_eq!(rules.reminder_text(3, 0, &status(), Duration::ZERO, 1), "");
}

#[test]
fn reminder_texts_give_since_reminder_link_and_transition() {
    let rules = RuleSet::parse(
        "target ops; on state Failed => remind(ops, 1h, \"{since}|{reminder}|{transition}|{link}\");",
    )
    .unwrap();
    let text = rules.reminder_text_with(
        0,
        0,
        &status(),
        Duration::from_secs(2 * 3600 + 61),
        12,
        Some(Transition::StillFailing),
        Some("https://ci.example.org"),
    );
    assert_eq!(
        text,
        "2h 1m 1s|12|still failing|https://ci.example.org/go/pipelines/api/7/test/2"
    );
}

#[test]
fn suppressed_counts_in_stage_and_agent_rules_and_nowhere_else() {
    let rules = RuleSet::parse(
        "target ops;\non state Failed => send(ops, \"{suppressed}/{link}\"), send(ops) every 1h;\n\
         on agent => send(ops, \"{agent.uuid} +{suppressed}\") every 1m;",
    )
    .unwrap();
    let status = status();
    let made = rules.evaluate_with(&status, None, Some("http://ci"));
    assert_eq!(made[0].text(), "0/http://ci/go/pipelines/api/7/test/2");
    assert_eq!(rules.text_with_suppressed(&made[0], 4), "4/");
    assert_eq!(
        rules.text_with_suppressed_at(&made[0], 4, Some("http://ci")),
        "4/http://ci/go/pipelines/api/7/test/2"
    );
    // The default message has no `{suppressed}`: the text as it was.
    assert_eq!(rules.text_with_suppressed(&made[1], 4), made[1].text());
    let agent: AgentStatus = serde_json::from_str(r#"{"uuid":"a1","agent_state":"Idle"}"#).unwrap();
    let made = rules.evaluate_agent(&agent);
    assert_eq!(made[0].text(), "a1 +0");
    assert_eq!(rules.text_with_suppressed(&made[0], 9), "a1 +9");
    assert_eq!(
        rules.agent_timing(0).unwrap().every(),
        Some(Duration::from_secs(60))
    );
}

#[test]
fn rules_without_time_forms_have_none() {
    let rules = RuleSet::parse("target ops; on state Failed => send(ops);").unwrap();
    assert!(!rules.has_time_forms());
    assert!(rules.windows().is_empty() && rules.timing(0).is_none());
    assert!(rules.reminder_starts(&status(), None).is_empty());
    let compiled = crate::rules! { target ops; on state Failed => send(ops); };
    assert!(!compiled.has_time_forms());
    // A window alone is a time form: the plugin needs its clock for it.
    let rules = RuleSet::parse("window w = \"daily 01:00-02:00\" in \"UTC\";").unwrap();
    assert!(rules.has_time_forms());
}

#[test]
fn the_timed_evaluation_reports_reminders_beside_the_deliveries() {
    let rules = crate::rules! {
        target ops, qa;
        on state Failed => send(ops), remind(qa, 4h), remind(ops, 1d, "{since}");
        on any => send(qa);
    };
    let mut starts = Vec::new();
    let made = rules.evaluate_shared_timed(&std::sync::Arc::new(status()), None, None, &mut starts);
    assert_eq!(made.len(), 2);
    let got: Vec<(usize, usize, &str, u64)> = starts
        .iter()
        .map(|s| {
            (
                s.rule_index,
                s.remind_index,
                s.target.as_str(),
                s.after.as_secs(),
            )
        })
        .collect();
    assert_eq!(got, [(0, 0, "qa", 4 * 3600), (0, 1, "ops", 86_400)]);
    assert_eq!(
        rules.reminder_text(0, 1, &status(), Duration::from_secs(90), 1),
        "1m 30s"
    );
}

#[test]
fn explain_names_every_and_during() {
    let rules = RuleSet::parse(
        "target ops;\nwindow office = \"Mon-Fri 08:00-18:00\" in \"Europe/Berlin\";\n\
         on state Failed => send(ops) every 90m during office;\non any => send(ops) every 2h;",
    )
    .unwrap();
    let why = rules.explain(&status()).unwrap();
    assert_eq!(
        why[0].to_string(),
        "rule 1 (line 3): matched (every 90m during office)"
    );
    assert_eq!(why[1].to_string(), "rule 2 (line 4): matched (every 2h)");
}

#[test]
fn compiled_and_loaded_rules_have_the_same_identities() {
    let compiled = crate::rules! {
        target ops, qa;
        on state Failed => send(ops) every 1h;
        on broken => send(qa), remind(qa, 4h);
        on agent lost => send(ops) every 30m;
    };
    let loaded = RuleSet::parse(
        "target ops, qa;\n\
         on state Failed => send(ops) every 1h;\n\
         on broken => send(qa), remind(qa, 4h);\n\
         on agent lost => send(ops) every 30m;\n",
    )
    .unwrap();
    for i in 0..2 {
        let (c, l) = (compiled.timing(i).unwrap(), loaded.timing(i).unwrap());
        assert_eq!(c.identity(), l.identity(), "rule {i}");
    }
    assert_eq!(
        compiled.agent_timing(0).unwrap().identity(),
        loaded.agent_timing(0).unwrap().identity()
    );
    assert_ne!(
        loaded.timing(0).unwrap().identity(),
        loaded.timing(1).unwrap().identity()
    );
}
