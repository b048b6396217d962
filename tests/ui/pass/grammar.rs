// Every clause, pattern kind, action and placeholder of the grammar in `rules!`.
use notify_rules::model::StageStatus;
use notify_rules::{rules, RuleSet};

fn is_big_run(s: &StageStatus) -> bool {
    s.pipeline.counter > 40
}

fn main() {
    let rules: RuleSet = rules! {
        /* block comment */
        target ops, releases;
        target audit;

        on pipeline "deploy-app" stage "deploy" state Failed => send(ops, "Deploy of {pipeline.name} #{pipeline.counter} failed: {jobs.failed}");
        on group "production" | "release" label regex(r"\d+") branch "main" result Passed | Failed => send(releases);
        on approved_by "changes" | "timer" not job "lint*" Failed => send(audit, "{stage.approved_by} {stage.approval_type}");
        on job "deploy-*" Passed | Cancelled => send(audit, "{jobs.passed}");
        on job regex("deploy-(web|worker)") => send(audit, "{jobs.all}");
        on broken => send(ops, "{transition}: {link}");
        on fixed => send(ops, "{transition}");
        on still_failing => send(ops, "{{still}} {transition}");
        on if is_big_run => send(ops, "big {pipeline.counter}");
        on if |s: &StageStatus| s.pipeline.stage.jobs.len() > 1 stage "deploy" => send(ops, "many jobs");
        on pipeline r#"sandbox-*"# | "scratch-??" => stop;
        on any => send(audit, "{stage.create_time} {stage.last_transition_time} {stage.duration} {material.type} {material.url} {material.branch} {material.revision} {stage.result} {stage.state} {stage.name} {stage.counter} {pipeline.label} {pipeline.group}"), stop;
        on state Building | Failing | Passed | Failed | Cancelled | Unknown => send(ops);
    };
    assert_eq!(rules.targets(), ["ops", "releases", "audit"]);
    assert!(rules.uses_link());
    assert_eq!(rules.len(), 13);
}
