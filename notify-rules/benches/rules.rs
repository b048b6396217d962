//! Rule evaluation speed.
//!
//! - `twenty`: 20 rules written with `rules!` against the same rules written by
//!   hand as `if`/`match` code (goal: ratio at most 1.10).
//! - `scale`: rule sets of 10, 1 000 and 10 000 rules with distinct exact pipeline
//!   names (goal: 10 000 rules cost at most 3 times what 10 cost).
//! - `engines`: the 20 rules compiled against the same text loaded at run time
//!   with `RuleSet::parse` (goal: compiled at least 3 times faster), on a
//!   stream of notifications mixed the way a GoCD server sends them, on one that
//!   makes four deliveries, and on one that matches nothing.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use notify_rules::model::{JobResult, StageResult, StageState, StageStatus};
use notify_rules::{rules, rules_file, Delivery, RuleSet};

const BODY: &str = include_str!("data/v4-deploy-failed.json");

macro_rules! twenty {
    ($($rules:tt)*) => {
        (rules! { $($rules)* }, stringify!($($rules)*))
    };
}

fn twenty_rules() -> (RuleSet, &'static str) {
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

/// The same 20 rules, written by hand as a careful person would.
fn by_hand(s: &StageStatus) -> Vec<Delivery> {
    let p = &s.pipeline;
    let st = &p.stage;
    let name = p.name.as_str();
    let mut out = Vec::new();
    let mut shared: Option<Arc<StageStatus>> = None;
    let mut send = |target: &'static str, text: String| {
        let status = shared.get_or_insert_with(|| Arc::new(s.clone())).clone();
        out.push(Delivery::new(target, text, status));
    };
    let failed_jobs = || {
        st.failed_jobs()
            .map(|j| j.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let group = p.group.as_deref();
    let lower = name.to_ascii_lowercase();
    let stage = st.name.to_ascii_lowercase();
    let failed = st.state == StageState::Failed;

    if lower.starts_with("build-") && stage == "compile" && failed {
        send("ops", format!("{name} does not compile"));
    }
    if lower == "api-server" && stage == "test" && failed {
        send("qa", format!("{name} tests failed: {}", failed_jobs()));
    }
    if lower == "api-gateway" && stage == "test" && failed {
        send("qa", format!("{name} tests failed: {}", failed_jobs()));
    }
    if lower.starts_with("web-") && stage == "e2e" && st.result == StageResult::Failed {
        send("qa", format!("e2e failed on {name}"));
    }
    if lower.starts_with("sandbox-") {
        return out;
    }
    if lower == "deploy-app" && stage == "smoke" && failed {
        send("ops", "smoke failed".to_owned());
    }
    if group.is_some_and(|g| g.eq_ignore_ascii_case("staging")) && failed {
        send("ops", format!("staging {name} failed"));
    }
    if group.is_some_and(|g| g.eq_ignore_ascii_case("release")) && st.state == StageState::Passed {
        send(
            "releases",
            format!("{name} {} released", p.label.as_deref().unwrap_or("")),
        );
    }
    if lower == "docs" {
        send("audit", format!("docs {}", st.state));
    }
    if stage == "package"
        && st
            .jobs
            .iter()
            .any(|j| j.name.eq_ignore_ascii_case("sign") && j.result == JobResult::Failed)
    {
        send("releases", format!("signing failed in {name}"));
    }
    if stage == "deploy" && failed {
        let secs = st.duration().map(|d| d.num_seconds()).unwrap_or(0);
        send(
            "ops",
            format!(
                "Deploy of {name} #{} failed after {}m {}s: {}",
                p.counter,
                secs / 60,
                secs % 60,
                failed_jobs()
            ),
        );
    }
    if stage == "deploy" && st.state == StageState::Passed {
        send("releases", format!("Deployed {name} #{}", p.counter));
    }
    let production = group.is_some_and(|g| g.eq_ignore_ascii_case("production"));
    if production && st.approved_by.as_deref() == Some("changes") && failed {
        send("audit", format!("automatic deploy of {name} failed"));
    }
    if production && st.approved_by.as_deref() == Some("timer") {
        send("audit", "timer run".to_owned());
    }
    if p.label.as_deref().is_some_and(|l| l.starts_with("hotfix-")) {
        send(
            "releases",
            format!("hotfix {}", p.label.as_deref().unwrap_or("")),
        );
    }
    if failed
        && p.build_cause
            .iter()
            .any(|c| c.material.branch() == Some("main"))
    {
        send("ops", format!("main is red: {name}"));
    }
    if st
        .jobs
        .iter()
        .any(|j| j.name.eq_ignore_ascii_case("deploy-db") && j.result == JobResult::Failed)
    {
        send("ops", "database deploy failed".to_owned());
    }
    if st.state == StageState::Cancelled {
        send("audit", format!("{name} cancelled"));
    }
    if st.result == StageResult::Failed && !group.is_some_and(|g| g.eq_ignore_ascii_case("sandbox"))
    {
        send("audit", format!("{name}/{} failed", st.name));
    }
    out
}

/// A deterministic stream of notifications as a GoCD server sends them: every
/// stage run announces `Building` and then how it ended, most runs pass, and
/// the pipelines and stages are a mix that some rules are about and most are
/// not.
fn stream(base: &StageStatus, len: usize) -> Vec<Arc<StageStatus>> {
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

fn texts(d: &[Delivery]) -> Vec<(&str, &str)> {
    d.iter().map(|d| (d.target(), d.text())).collect()
}

fn twenty(c: &mut Criterion) {
    let status: StageStatus = serde_json::from_str(BODY).unwrap();
    let (compiled, text) = twenty_rules();
    let loaded = RuleSet::parse(text).unwrap();
    // A comparison is only fair if all three do the same work.
    let expected = by_hand(&status);
    assert_eq!(expected.len(), 4);
    assert_eq!(texts(&compiled.evaluate(&status)), texts(&expected));
    assert_eq!(texts(&loaded.evaluate(&status)), texts(&expected));

    let mut g = c.benchmark_group("twenty");
    g.bench_function("rules!", |b| {
        b.iter(|| compiled.evaluate(black_box(&status)))
    });
    g.bench_function("by hand", |b| b.iter(|| by_hand(black_box(&status))));
    g.finish();

    // Rendering and delivering four messages costs both engines the same; a
    // notification no rule matches shows the cost of deciding alone.
    let mut quiet = status.clone();
    quiet.pipeline.name = "billing".to_owned();
    quiet.pipeline.group = Some("internal".to_owned());
    quiet.pipeline.stage.state = StageState::Building;
    quiet.pipeline.stage.result = StageResult::Unknown;
    assert!(compiled.evaluate(&quiet).is_empty() && loaded.evaluate(&quiet).is_empty());
    // A hundred notifications stay in cache, as a notification the plugin has
    // just parsed does; with 1 000 both engines mostly wait on memory.
    let day = stream(&status, 100);
    let mut made = 0;
    for s in &day {
        let (c, l) = (
            compiled.evaluate_shared(s, None, None),
            loaded.evaluate_shared(s, None, None),
        );
        assert_eq!(texts(&c), texts(&l));
        made += c.len();
    }
    // Say what the stream holds, so its figure can be read.
    println!(
        "stream: {} notifications, {made} deliveries ({:.2} each)",
        day.len(),
        made as f64 / day.len() as f64
    );
    let mut g = c.benchmark_group("engines");
    g.throughput(Throughput::Elements(day.len() as u64));
    g.bench_function("compiled, stream", |b| {
        b.iter(|| {
            for s in &day {
                black_box(compiled.evaluate_shared(black_box(s), None, None));
            }
        })
    });
    g.bench_function("loaded, stream", |b| {
        b.iter(|| {
            for s in &day {
                black_box(loaded.evaluate_shared(black_box(s), None, None));
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("engines");
    g.bench_function("compiled, 4 deliveries", |b| {
        b.iter(|| compiled.evaluate(black_box(&status)))
    });
    g.bench_function("loaded, 4 deliveries", |b| {
        b.iter(|| loaded.evaluate(black_box(&status)))
    });
    let shared = Arc::new(status.clone());
    g.bench_function("compiled, 4 deliveries, shared", |b| {
        b.iter(|| compiled.evaluate_shared(black_box(&shared), None, None))
    });
    g.bench_function("loaded, 4 deliveries, shared", |b| {
        b.iter(|| loaded.evaluate_shared(black_box(&shared), None, None))
    });
    g.bench_function("compiled, no match", |b| {
        b.iter(|| compiled.evaluate(black_box(&quiet)))
    });
    g.bench_function("loaded, no match", |b| {
        b.iter(|| loaded.evaluate(black_box(&quiet)))
    });
    g.finish();
}

fn scale(c: &mut Criterion) {
    let sets: [(usize, RuleSet); 3] = [
        (10, rules_file!("benches/rules/scale-10.rules")),
        (1_000, rules_file!("benches/rules/scale-1000.rules")),
        (10_000, rules_file!("benches/rules/scale-10000.rules")),
    ];
    let mut status: StageStatus = serde_json::from_str(BODY).unwrap();
    // A name that one rule of every set holds, so each evaluation makes a delivery.
    status.pipeline.name = "svc-00005".to_owned();
    let mut g = c.benchmark_group("scale");
    for (n, rules) in &sets {
        assert_eq!(rules.len(), n + 1);
        assert_eq!(rules.evaluate(&status).len(), 1);
        g.bench_function(format!("{n} rules"), |b| {
            b.iter(|| rules.evaluate(black_box(&status)))
        });
    }
    g.finish();
}

criterion_group!(benches, twenty, scale);
criterion_main!(benches);
