//! Behaviour of `RuleSet::evaluate` on the sample payloads: every clause, `not`,
//! `stop`, rule order and every placeholder, asserting the exact deliveries.
//!
//! Each rule set is written once and checked both compiled (`rules!`) and
//! loaded at run time (`RuleSet::parse` of the same text).

use notify_rules::model::StageStatus;
use notify_rules::RuleSet;
use notify_rules_test_kit::{both, stage};

const PAYLOADS: [&str; 6] = [
    "v4-deploy-failed.json",
    "v4-test-scheduled.json",
    "stage-passed-docs.json",
    "stage-scheduled-docs.json",
    "v3-forwarded-cancelled.json",
    "wrapped-stage-passed.json",
];

fn all() -> Vec<StageStatus> {
    PAYLOADS.iter().map(|p| stage(p)).collect()
}

/// `(target, text)` of every delivery for every payload, in order, checking
/// that the compiled and the loaded rules agree.
fn run(sets: &(RuleSet, RuleSet), statuses: &[StageStatus]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for s in statuses {
        let a: Vec<_> = sets
            .0
            .evaluate(s)
            .iter()
            .map(|d| (d.target().to_owned(), d.text().to_owned()))
            .collect();
        let b: Vec<_> = sets
            .1
            .evaluate(s)
            .iter()
            .map(|d| (d.target().to_owned(), d.text().to_owned()))
            .collect();
        assert_eq!(
            a, b,
            "compiled and loaded rules disagree on {}",
            s.pipeline.name
        );
        out.extend(a);
    }
    out
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn pipeline_names_match_whole_and_without_regard_to_case() {
    let sets = both! {
        target t;
        on pipeline "DEPLOY-APP" => send(t, "exact {pipeline.name}");
        on pipeline "deploy" => send(t, "partial never matches");
        on pipeline "*-server" | "pipeline-?ame" => send(t, "glob {pipeline.name} #{pipeline.counter}");
        on pipeline regex("infra-.*|docs") => send(t, "regex {pipeline.name}");
        on pipeline regex("INFRA-TERRAFORM") => send(t, "regex is case-insensitive too");
    };
    assert_eq!(
        run(&sets, &all()),
        pairs(&[
            ("t", "exact deploy-app"),
            ("t", "glob api-server #318"),
            ("t", "glob pipeline-name #1"),
            ("t", "glob pipeline-name #9"),
            ("t", "regex infra-terraform"),
            ("t", "regex is case-insensitive too"),
        ])
    );
}

#[test]
fn a_verbose_regex_keeps_its_comment_to_itself() {
    // In `(?x)` mode a `#` comment runs to the end of the line; the anchors that
    // make a regex match the whole value must not be part of it.
    let sets = both! {
        target t;
        on pipeline regex("(?x) infra- .*   # every infrastructure pipeline") => send(t, "infra {pipeline.name}");
        on label regex("(?x) \\d+ # counters only") => send(t, "numbered {pipeline.label}");
    };
    assert_eq!(
        run(&sets, &all()),
        pairs(&[
            ("t", "numbered 42"),
            ("t", "numbered 7"),
            ("t", "infra infra-terraform"),
        ])
    );
}

#[test]
fn group_matches_and_a_null_group_matches_nothing() {
    let sets = both! {
        target t;
        on group "PRODUCTION" | "web" => send(t, "group {pipeline.group}");
        on group "*" => send(t, "any group: {pipeline.name}");
        on not group "*" => send(t, "no group: {pipeline.name} [{pipeline.group}]");
    };
    let mut statuses = vec![
        stage("v4-deploy-failed.json"),
        stage("v3-forwarded-cancelled.json"),
    ];
    let mut orphan = stage("stage-passed-docs.json");
    orphan.pipeline.group = None;
    statuses.push(orphan);
    assert_eq!(
        run(&sets, &statuses),
        pairs(&[
            ("t", "group production"),
            ("t", "any group: deploy-app"),
            ("t", "group web"),
            ("t", "any group: docs-site"),
            ("t", "no group: pipeline-name []"),
        ])
    );
}

#[test]
fn stage_and_label_differ_in_case_rules() {
    let sets = both! {
        target t;
        on stage "STAGEONE" => send(t, "stage {stage.name}");
        on label "1.4.*" => send(t, "label {pipeline.label}");
        on label "PIPELINE-LABEL" => send(t, "labels keep case, so never");
        on not label "*" => send(t, "no label on {pipeline.name}");
    };
    assert_eq!(
        run(&sets, &all()),
        pairs(&[
            ("t", "label 1.4.318"),
            ("t", "stage stageOne"),
            ("t", "no label on pipeline-name"),
            ("t", "no label on infra-terraform"),
        ])
    );
}

#[test]
fn branch_and_approved_by() {
    let sets = both! {
        target t;
        on branch "main" => send(t, "main: {pipeline.name}");
        on branch regex("release-[0-9.]+") => send(t, "release: {pipeline.name}");
        on branch "MAIN" => send(t, "branches keep case, so never");
        on approved_by "maria" | "ops-bot" => send(t, "by {stage.approved_by} ({stage.approval_type})");
        on approved_by "Maria" => send(t, "approvers keep case, so never");
    };
    assert_eq!(
        run(&sets, &all()),
        pairs(&[
            ("t", "main: deploy-app"),
            ("t", "release: api-server"),
            ("t", "by maria (manual)"),
            ("t", "by ops-bot (manual)"),
        ])
    );
}

#[test]
fn state_and_result() {
    let sets = both! {
        target t;
        on state Building | Failing => send(t, "{pipeline.name} {stage.state}");
        on state Cancelled => send(t, "{pipeline.name} cancelled");
        on result Passed => send(t, "{pipeline.name} {stage.result}");
        on result Failed state Failed => send(t, "{pipeline.name} failed");
        on state Unknown => send(t, "never");
    };
    assert_eq!(
        run(&sets, &all()),
        pairs(&[
            ("t", "deploy-app failed"),
            ("t", "api-server Building"),
            ("t", "pipeline-name Passed"),
            ("t", "pipeline-name Building"),
            ("t", "docs-site cancelled"),
            ("t", "infra-terraform Passed"),
        ])
    );
}

#[test]
fn an_unknown_state_matches_no_state_name_but_is_still_evaluated() {
    let sets = both! {
        target t;
        on state Building | Failing | Passed | Failed | Cancelled | Unknown => send(t, "named");
        on not state Building | Failing | Passed | Failed | Cancelled | Unknown => send(t, "{stage.state}");
        on any => send(t, "any");
    };
    let mut s = stage("v4-deploy-failed.json");
    s.pipeline.stage.state = notify_rules::model::StageState::Other("Paused".into());
    s.pipeline.stage.result = notify_rules::model::StageResult::Other("Later".into());
    assert_eq!(run(&sets, &[s]), pairs(&[("t", "Paused"), ("t", "any")]));
}

#[test]
fn jobs_by_name_and_result() {
    let sets = both! {
        target t;
        on job "DEPLOY-*" Failed => send(t, "failed: {jobs.failed}; passed: {jobs.passed}; all: {jobs.all}");
        on job "unit" => send(t, "has unit: {jobs.all}");
        on job "deploy-web" Cancelled | Unknown => send(t, "never");
        on job regex("plan-.*") Passed => send(t, "planned {jobs.passed}");
    };
    assert_eq!(
        run(&sets, &all()),
        pairs(&[
            (
                "t",
                "failed: deploy-worker; passed: deploy-web; all: deploy-web, deploy-worker"
            ),
            ("t", "has unit: unit, integration"),
            ("t", "planned plan-and-apply"),
        ])
    );
}

#[test]
fn transitions_never_match_without_history() {
    let sets = both! {
        target t;
        on broken => send(t, "broken");
        on fixed => send(t, "fixed");
        on still_failing => send(t, "still");
        on not broken state Failed => send(t, "{pipeline.name} [{transition}]");
    };
    assert_eq!(run(&sets, &all()), pairs(&[("t", "deploy-app []")]));
}

#[test]
fn not_negates_one_clause() {
    let sets = both! {
        target t;
        on not state Passed not stage "test" => send(t, "{pipeline.name}/{stage.name}");
    };
    assert_eq!(
        run(&sets, &all()),
        pairs(&[
            ("t", "deploy-app/deploy"),
            ("t", "pipeline-name/stageOne"),
            ("t", "docs-site/publish")
        ])
    );
}

#[test]
fn rules_fire_in_order_and_stop_ends_evaluation() {
    let sets = both! {
        target a, b;
        on any => send(b, "first {pipeline.name}");
        on pipeline "docs-site" | "pipeline-name" => stop;
        on any => send(a, "second {pipeline.name}"), send(b, "third {pipeline.name}");
        on state Failed => send(a, "fourth"), stop;
        on any => send(a, "after stop");
    };
    let statuses = [
        stage("v4-deploy-failed.json"),
        stage("v3-forwarded-cancelled.json"),
        stage("wrapped-stage-passed.json"),
    ];
    assert_eq!(
        run(&sets, &statuses),
        pairs(&[
            ("b", "first deploy-app"),
            ("a", "second deploy-app"),
            ("b", "third deploy-app"),
            ("a", "fourth"),
            ("b", "first docs-site"),
            ("b", "first infra-terraform"),
            ("a", "second infra-terraform"),
            ("b", "third infra-terraform"),
            ("a", "after stop"),
        ])
    );
}

#[test]
fn stop_alone_silences() {
    let sets = both! {
        target t;
        on pipeline regex("sandbox-.*") | "deploy-app" => stop;
        on any => send(t, "{pipeline.name}");
    };
    let statuses = [
        stage("v4-deploy-failed.json"),
        stage("v4-test-scheduled.json"),
    ];
    assert_eq!(run(&sets, &statuses), pairs(&[("t", "api-server")]));
}

#[test]
fn every_placeholder_renders() {
    let sets = both! {
        target t;
        on any => send(t, "{pipeline.name}|{pipeline.counter}|{pipeline.label}|{pipeline.group}|{stage.name}|{stage.counter}|{stage.state}|{stage.result}|{stage.approved_by}|{stage.approval_type}|{stage.create_time}|{stage.last_transition_time}|{stage.duration}|{jobs.failed}|{jobs.passed}|{jobs.all}|{material.type}|{material.url}|{material.branch}|{material.revision}|{transition}|{link}|{{braces}}");
    };
    let expected = [
        [
            "deploy-app",
            "42",
            "42",
            "production",
            "deploy",
            "1",
            "Failed",
            "Failed",
            "changes",
            "success",
            "2024-05-14T09:22:10.118Z",
            "2024-05-14T09:25:47.930Z",
            "3m 37s",
            "deploy-worker",
            "deploy-web",
            "deploy-web, deploy-worker",
            "pipeline",
            "",
            "",
            "build-app/117/package/1",
            "",
            "",
            "{braces}",
        ],
        [
            "api-server",
            "318",
            "1.4.318",
            "services",
            "test",
            "2",
            "Building",
            "Unknown",
            "maria",
            "manual",
            "2024-06-02T22:05:00.004Z",
            "",
            "",
            "",
            "",
            "unit, integration",
            "git",
            "https://git.example.org/api/server.git",
            "release-1.4",
            "3b1f0c9e2d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c",
            "",
            "",
            "{braces}",
        ],
        [
            "infra-terraform",
            "55",
            "",
            "platform",
            "apply",
            "1",
            "Passed",
            "Passed",
            "ops-bot",
            "manual",
            "2024-07-19T12:30:00.000Z",
            "2024-07-19T12:41:13.250Z",
            "11m 13s",
            "",
            "plan-and-apply",
            "plan-and-apply",
            "perforce",
            "perforce.example.org:1666",
            "",
            "90211",
            "",
            "",
            "{braces}",
        ],
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|f| ("t".to_owned(), f.join("|")))
        .collect();
    assert_eq!(
        run(
            &sets,
            &[
                stage("v4-deploy-failed.json"),
                stage("v4-test-scheduled.json"),
                stage("wrapped-stage-passed.json")
            ]
        ),
        expected
    );
}

#[test]
fn material_urls_never_show_credentials() {
    let sets = both! {
        target t;
        on any => send(t, "{material.url}");
    };
    let mut s = stage("stage-passed-docs.json");
    if let notify_rules::model::Material::Git(g) = &mut s.pipeline.build_cause[0].material {
        g.url = Some("https://deploy:s3cr3t-t0ken@git.example.org/app.git".into());
    }
    let out = run(&sets, &[s, stage("stage-passed-docs.json")]);
    assert_eq!(
        out,
        pairs(&[
            ("t", "https://git.example.org/app.git"),
            ("t", "http://gitrepo.com")
        ])
    );
    assert!(out
        .iter()
        .all(|(_, text)| !text.contains("s3cr3t") && !text.contains("******")));
}

#[test]
fn the_default_message_names_pipeline_stage_and_state() {
    let sets = both! {
        target t;
        on any => send(t);
    };
    assert_eq!(
        run(&sets, &[stage("v4-deploy-failed.json")]),
        pairs(&[("t", "deploy-app #42: stage deploy #1 Failed")])
    );
}

#[test]
fn links_need_the_server_address() {
    let (compiled, loaded) = both! {
        target t;
        on any => send(t, "{link}");
    };
    let s = stage("v4-deploy-failed.json");
    for rules in [&compiled, &loaded] {
        assert_eq!(rules.evaluate(&s)[0].text(), "");
        let d = rules.evaluate_with(&s, None, Some("https://ci.example.org/"));
        assert_eq!(
            d[0].text(),
            "https://ci.example.org/go/pipelines/deploy-app/42/deploy/1"
        );
    }
}

#[test]
fn transitions_match_when_history_supplies_them() {
    use notify_rules::Transition;
    let (compiled, loaded) = both! {
        target t;
        on broken => send(t, "{transition}");
        on fixed => send(t, "{transition}");
        on still_failing => send(t, "{transition}");
    };
    let s = stage("v4-deploy-failed.json");
    for rules in [&compiled, &loaded] {
        for (t, text) in [
            (Transition::Broken, "broken"),
            (Transition::Fixed, "fixed"),
            (Transition::StillFailing, "still failing"),
        ] {
            let d = rules.evaluate_with(&s, Some(t), None);
            assert_eq!(d.len(), 1);
            assert_eq!(d[0].text(), text);
            assert_eq!(d[0].transition(), Some(t));
        }
    }
}
