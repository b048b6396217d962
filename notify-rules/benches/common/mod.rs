//! What the benches share: the twenty rules of `twenty` and `engines`, written
//! once with `rules!` and kept as text for `RuleSet::parse`.

use std::sync::Arc;

use notify_rules::model::{JobResult, StageResult, StageState, StageStatus};
use notify_rules::protocol::{parse_notification, Notification, Received};
use notify_rules::{rules, Delivery, RuleSet};
use notify_rules_test_kit::payloads;

/// The body most benches evaluate: a failed deploy that makes four deliveries
/// under the twenty rules.
pub const BODY: &str = include_str!("../data/v4-deploy-failed.json");

macro_rules! twenty {
    ($($rules:tt)*) => {
        (rules! { $($rules)* }, stringify!($($rules)*))
    };
}

/// Twenty rules of the shapes people write, compiled, and their text.
pub fn twenty_rules() -> (RuleSet, &'static str) {
    twenty! {
        target ops, releases, audit, qa;
        on pipeline "build-*" stage "compile" state Failed => send(ops, "{pipeline.name} does not compile");
        on pipeline "api-server" stage "test" state Failed => send(qa, "{pipeline.name} tests failed: {jobs.failed}");
        on pipeline "api-gateway" stage "test" state Failed => send(qa, "{pipeline.name} tests failed: {jobs.failed}");
        on pipeline "web-*" stage "e2e" result Failed => send(qa, "e2e failed on {pipeline.name}");
        on pipeline regex("sandbox-.*") => stop;
        on pipeline "deploy-app" stage "smoke" state Failed => send(ops, "smoke failed");
        on group "staging" state Failed => send(ops, "staging {pipeline.name} failed");
        on group "release" state Passed => send(releases, "{pipeline.name} {pipeline.label} released");
        on pipeline "docs" => send(audit, "docs {stage.state}");
        on stage "package" job "sign" Failed => send(releases, "signing failed in {pipeline.name}");
        on stage "deploy" state Failed => send(ops, "Deploy of {pipeline.name} #{pipeline.counter} failed after {stage.duration}: {jobs.failed}");
        on stage "deploy" state Passed => send(releases, "Deployed {pipeline.name} #{pipeline.counter}");
        on group "production" approved_by "changes" state Failed => send(audit, "automatic deploy of {pipeline.name} failed");
        on group "production" approved_by "timer" => send(audit, "timer run");
        on label "hotfix-*" => send(releases, "hotfix {pipeline.label}");
        on branch "main" state Failed => send(ops, "main is red: {pipeline.name}");
        on job "deploy-db" Failed => send(ops, "database deploy failed");
        on state Cancelled => send(audit, "{pipeline.name} cancelled");
        on result Failed not group "sandbox" => send(audit, "{pipeline.name}/{stage.name} failed");
        on pipeline "legacy-*" => stop;
    }
}

/// The twenty rules as a person would write them without the library: tests
/// on the borrowed notification, messages made with `format!`, and (target,
/// text) pairs out. Nothing of the notification is copied.
pub fn by_hand(s: &StageStatus) -> Vec<(&'static str, String)> {
    // `*` patterns on names compared without regard to case.
    fn starts_ci(s: &str, prefix: &str) -> bool {
        s.len() >= prefix.len()
            && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    }
    let p = &s.pipeline;
    let st = &p.stage;
    let name = p.name.as_str();
    let mut out = Vec::new();
    let failed_jobs = || {
        st.failed_jobs()
            .map(|j| j.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let group_is = |g: &str| {
        p.group
            .as_deref()
            .is_some_and(|x| x.eq_ignore_ascii_case(g))
    };
    let stage_is = |n: &str| st.name.eq_ignore_ascii_case(n);
    let job_failed = |n: &str| {
        st.jobs
            .iter()
            .any(|j| j.name.eq_ignore_ascii_case(n) && j.result == JobResult::Failed)
    };
    let failed = st.state == StageState::Failed;
    let label = p.label.as_deref().unwrap_or("");

    if starts_ci(name, "build-") && stage_is("compile") && failed {
        out.push(("ops", format!("{name} does not compile")));
    }
    if name.eq_ignore_ascii_case("api-server") && stage_is("test") && failed {
        out.push(("qa", format!("{name} tests failed: {}", failed_jobs())));
    }
    if name.eq_ignore_ascii_case("api-gateway") && stage_is("test") && failed {
        out.push(("qa", format!("{name} tests failed: {}", failed_jobs())));
    }
    if starts_ci(name, "web-") && stage_is("e2e") && st.result == StageResult::Failed {
        out.push(("qa", format!("e2e failed on {name}")));
    }
    if starts_ci(name, "sandbox-") {
        return out;
    }
    if name.eq_ignore_ascii_case("deploy-app") && stage_is("smoke") && failed {
        out.push(("ops", "smoke failed".to_owned()));
    }
    if group_is("staging") && failed {
        out.push(("ops", format!("staging {name} failed")));
    }
    if group_is("release") && st.state == StageState::Passed {
        out.push(("releases", format!("{name} {label} released")));
    }
    if name.eq_ignore_ascii_case("docs") {
        out.push(("audit", format!("docs {}", st.state.as_str())));
    }
    if stage_is("package") && job_failed("sign") {
        out.push(("releases", format!("signing failed in {name}")));
    }
    if stage_is("deploy") && failed {
        let took = match st.duration().map(|d| d.num_seconds().max(0)) {
            Some(s) if s >= 3600 => format!("{}h {}m {}s", s / 3600, s % 3600 / 60, s % 60),
            Some(s) if s >= 60 => format!("{}m {}s", s / 60, s % 60),
            Some(s) => format!("{s}s"),
            None => String::new(),
        };
        out.push((
            "ops",
            format!(
                "Deploy of {name} #{} failed after {took}: {}",
                p.counter,
                failed_jobs()
            ),
        ));
    }
    if stage_is("deploy") && st.state == StageState::Passed {
        out.push(("releases", format!("Deployed {name} #{}", p.counter)));
    }
    let by = st.approved_by.as_deref();
    if group_is("production") && by == Some("changes") && failed {
        out.push(("audit", format!("automatic deploy of {name} failed")));
    }
    if group_is("production") && by == Some("timer") {
        out.push(("audit", "timer run".to_owned()));
    }
    if label.starts_with("hotfix-") {
        out.push(("releases", format!("hotfix {label}")));
    }
    if failed
        && p.build_cause
            .iter()
            .any(|c| c.material.branch() == Some("main"))
    {
        out.push(("ops", format!("main is red: {name}")));
    }
    if job_failed("deploy-db") {
        out.push(("ops", "database deploy failed".to_owned()));
    }
    if st.state == StageState::Cancelled {
        out.push(("audit", format!("{name} cancelled")));
    }
    if st.result == StageResult::Failed && !group_is("sandbox") {
        out.push(("audit", format!("{name}/{} failed", st.name)));
    }
    if starts_ci(name, "legacy-") {
        return out;
    }
    out
}

/// Every stage-status body in `tests/payloads/`, as the protocol reads it.
pub fn stage_payloads() -> Vec<(String, StageStatus)> {
    payloads()
        .into_iter()
        .filter_map(|(name, text)| match parse_notification(&text) {
            Ok(Received {
                notification: Notification::Stage(s),
                ..
            }) => Some((name, s)),
            _ => None,
        })
        .collect()
}

/// What a rule set made, as (target, text) pairs.
pub fn texts<'d>(made: &'d [Delivery<'_>]) -> Vec<(&'d str, &'d str)> {
    made.iter().map(|d| (d.target(), d.text())).collect()
}

/// A deterministic stream of notifications as a GoCD server sends them: every
/// stage run announces `Building` and then how it ended, most runs pass, and
/// the pipelines and stages are a mix that some rules are about and most are
/// not.
pub fn stream(base: &StageStatus, len: usize) -> Vec<Arc<StageStatus>> {
    const PIPELINES: [(&str, &str); 10] = [
        ("deploy-app", "production"),
        ("api-server", "services"),
        ("api-gateway", "services"),
        ("web-shop", "frontend"),
        ("build-tools", "internal"),
        ("sandbox-lab", "sandbox"),
        ("docs", "internal"),
        ("billing", "staging"),
        ("legacy-crm", "release"),
        ("search-index", "release"),
    ];
    const STAGES: [&str; 7] = [
        "compile", "test", "e2e", "package", "deploy", "smoke", "lint",
    ];
    // A fixed linear congruential sequence: the same stream on every run.
    let mut seed: u64 = 0x5eed;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize % n
    };
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let (name, group) = PIPELINES[next(PIPELINES.len())];
        let mut s = base.clone();
        s.pipeline.name = name.to_owned();
        s.pipeline.group = Some(group.to_owned());
        s.pipeline.stage.name = STAGES[next(STAGES.len())].to_owned();
        s.pipeline.stage.approved_by = Some(["changes", "timer", "alice"][next(3)].to_owned());
        let mut building = s.clone();
        building.pipeline.stage.state = StageState::Building;
        building.pipeline.stage.result = StageResult::Unknown;
        out.push(Arc::new(building));
        // Of 20 runs, 15 pass, 4 fail and 1 is cancelled.
        let (state, result) = match next(20) {
            0..=14 => (StageState::Passed, StageResult::Passed),
            15..=18 => (StageState::Failed, StageResult::Failed),
            _ => (StageState::Cancelled, StageResult::Cancelled),
        };
        s.pipeline.stage.state = state;
        s.pipeline.stage.result = result;
        out.push(Arc::new(s));
    }
    out.truncate(len);
    out
}
