//! What the plugin adds to rule evaluation: `Plugin::handle` (parse, history,
//! evaluate, deliver, answer) with a notifier that does nothing, against parsing
//! and `RuleSet::evaluate` alone. Goal: history and delivery add at most 30 %.
//!
//! Each iteration handles a notification the plugin has not seen (distinct
//! pipeline counters, more of them than the plugin remembers), so history is
//! consulted and updated every time instead of answering "repeat".
//!
//! - `one_target`: the notification makes one delivery.
//! - `two_targets`: it makes deliveries to two targets; their notifiers are fast,
//!   so the plugin makes both on the calling thread (see `plugin/send.rs`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use notify_rules::history::HistoryLimits;
use notify_rules::state::State;
use notify_rules::{protocol, rules, Delivery, NotifyError, Plugin, RuleSet};

const BODY: &str = include_str!("data/v4-deploy-failed.json");
/// Distinct notifications cycled through; the plugin remembers fewer, so none
/// is a repeat when it comes round again.
const DISTINCT: usize = 4096;

fn bodies() -> Vec<String> {
    (0..DISTINCT)
        .map(|i| {
            BODY.replacen(
                r#""counter":"42""#,
                &format!(r#""counter":"{}""#, 1000 + i),
                1,
            )
        })
        .collect()
}

fn one_target() -> RuleSet {
    rules! {
        target ops, releases, audit;
        on pipeline regex("sandbox-.*") => stop;
        on pipeline "api-*" stage "test" broken => send(ops, "{pipeline.name} broke: {jobs.failed}");
        on pipeline "api-*" stage "test" fixed => send(ops, "{pipeline.name} is green again");
        on group "release" branch "main" state Passed | Failed => send(releases);
        on stage "deploy" state Failed => send(ops, "Deploy failed: {pipeline.name} #{pipeline.counter} {transition}");
        on stage "deploy" state Cancelled => send(audit);
    }
}

fn two_targets() -> RuleSet {
    rules! {
        target ops, releases, audit;
        on pipeline regex("sandbox-.*") => stop;
        on pipeline "api-*" stage "test" broken => send(ops, "{pipeline.name} broke: {jobs.failed}");
        on pipeline "api-*" stage "test" fixed => send(ops, "{pipeline.name} is green again");
        on group "release" branch "main" state Passed | Failed => send(releases);
        on stage "deploy" state Failed => send(ops, "Deploy failed: {pipeline.name} #{pipeline.counter} {transition}");
        on state Failed | Cancelled => send(audit);
    }
}

fn nothing(d: &Delivery) -> Result<(), NotifyError> {
    black_box(d.text());
    Ok(())
}

fn plugin(rules: RuleSet) -> Plugin {
    let mut builder = Plugin::builder(rules.clone());
    for target in rules.targets() {
        builder = builder.notifier(target, nothing);
    }
    builder
        .state(State::memory_with_limits(HistoryLimits {
            runs_per_stage: 50,
            handled: DISTINCT / 2,
        }))
        .build()
        .unwrap()
}

fn compare(c: &mut Criterion, name: &str, rules: RuleSet) {
    let bodies = bodies();
    let mut group = c.benchmark_group(name);
    let mut i = 0;
    group.bench_function("parse_and_evaluate", |b| {
        b.iter(|| {
            i = (i + 1) % DISTINCT;
            let status = protocol::parse_stage_status(black_box(&bodies[i])).unwrap();
            // Dropped in the loop, as `handle` drops its own.
            black_box(&rules.evaluate(&status));
        })
    });
    let plugin = plugin(rules.clone());
    let mut i = 0;
    group.bench_function("plugin_handle", |b| {
        b.iter(|| {
            i = (i + 1) % DISTINCT;
            let r = plugin.handle("stage-status", black_box(&bodies[i]));
            debug_assert_eq!(r.body, r#"{"status":"success"}"#);
            black_box(r)
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    compare(c, "one_target", one_target());
    compare(c, "two_targets", two_targets());
}

criterion_group! {
    name = handle;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = benches
}
criterion_main!(handle);
