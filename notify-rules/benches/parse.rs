//! Typed parse of a stage-status body against a `serde_json::Value` parse of the
//! same bytes: the typed model should cost no more than the untyped tree, also
//! for a getsentry-wrapped body with Gson's dates read in a time zone.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use notify_rules::model::StageStatus;
use notify_rules::protocol::{Reader, Tz};

const BODY: &str = include_str!("data/v4-deploy-failed.json");
const GSON: &str = include_str!("data/wrapped-gson-failed.json");

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse v4-deploy-failed");
    group.throughput(Throughput::Bytes(BODY.len() as u64));
    group.bench_function("typed StageStatus", |b| {
        b.iter(|| serde_json::from_str::<StageStatus>(black_box(BODY)).unwrap())
    });
    group.bench_function("typed via protocol::parse_stage_status", |b| {
        b.iter(|| notify_rules::protocol::parse_stage_status(black_box(BODY)).unwrap())
    });
    group.bench_function("serde_json::Value", |b| {
        b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(BODY)).unwrap())
    });
    group.finish();

    let mut group = c.benchmark_group("parse wrapped-gson-failed");
    group.throughput(Throughput::Bytes(GSON.len() as u64));
    let berlin = Reader::new().time_zone(Tz::Europe__Berlin);
    group.bench_function("typed via protocol::Reader, Europe/Berlin", |b| {
        b.iter(|| berlin.notification(black_box(GSON)).unwrap())
    });
    group.bench_function("serde_json::Value", |b| {
        b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(GSON)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
