//! Rule evaluation speed.
//!
//! - `twenty`: 20 rules written with `rules!` against the same rules written by
//!   hand as `if`/`match` code on the borrowed notification, returning (target,
//!   text) pairs (goal: ratio at most 1.10). Neither copies the notification.
//! - `scale`: rule sets of 10, 1 000 and 10 000 rules with distinct exact pipeline
//!   names (goal: 10 000 rules cost at most 3 times what 10 cost).
//! - `engines`: the 20 rules compiled against the same text loaded at run time
//!   with `RuleSet::parse` (goal: compiled at least 3 times faster), on a
//!   stream of notifications mixed the way a GoCD server sends them, on one that
//!   makes four deliveries, and on one that matches nothing.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use notify_rules::model::{StageResult, StageState, StageStatus};
use notify_rules::{rules_file, RuleSet};

mod common;
use common::{by_hand, stage_payloads, stream, texts, twenty_rules, BODY};

fn twenty(c: &mut Criterion) {
    let status: StageStatus = serde_json::from_str(BODY).unwrap();
    let (compiled, text) = twenty_rules();
    let loaded = RuleSet::parse(text).unwrap();
    // A comparison is only fair if all three do the same work: on every
    // stage body of the tests, and on every notification of the stream.
    let day = stream(&status, 100);
    let mut bodies = stage_payloads();
    bodies.extend(day.iter().map(|s| ("stream".to_owned(), (**s).clone())));
    for (name, s) in &bodies {
        let hand = by_hand(s);
        let want: Vec<(&str, &str)> = hand.iter().map(|(t, m)| (*t, m.as_str())).collect();
        assert_eq!(
            texts(&compiled.evaluate(s)),
            want,
            "{name}: compiled against by hand"
        );
        assert_eq!(
            texts(&loaded.evaluate(s)),
            want,
            "{name}: loaded against by hand"
        );
    }
    assert_eq!(by_hand(&status).len(), 4);

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
