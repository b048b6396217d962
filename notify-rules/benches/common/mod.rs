//! What the benches share: the twenty rules of `twenty` and `engines`, written
//! once with `rules!` and kept as text for `RuleSet::parse`.

use notify_rules::{rules, RuleSet};

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
