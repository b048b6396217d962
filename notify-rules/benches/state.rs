//! What a durable store costs a notification.
//!
//! - `sqlite/handle_one_delivery`: `Plugin::handle` of a notification it has
//!   not seen, making one delivery through a notifier that does nothing, with
//!   the state in a SQLite file: one transaction (history, handled record,
//!   outbox entry) synced to disk, then the entry removed.
//! - `sqlite/bare_insert`: the floor it is compared with, on the same disk in
//!   the same run: one `INSERT` of a row per transaction, synced the same way
//!   (WAL, `synchronous = FULL`). Goal: `handle_one_delivery` at least half
//!   that rate.
//! - `postgres/replicas_1` and `postgres/replicas_3` (when
//!   `NOTIFY_RULES_TEST_POSTGRES` names a server): notifications per second
//!   through one plugin, and spread over three plugins (replicas, each with its
//!   own connections) posting at once, all on one database; the
//!   notifications are of 64 pipelines in turn, so that the lock each stage
//!   takes does not put them all in one line.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use notify_rules::state::State;
use notify_rules::{rules, Delivery, NotifyError, Plugin};

const BODY: &str = include_str!("data/v4-deploy-failed.json");

/// A notification no plugin of this run has seen.
fn fresh(counter: &AtomicU64) -> String {
    let n = counter.fetch_add(1, Ordering::Relaxed);
    BODY.replacen(r#""counter":"42""#, &format!(r#""counter":"{n}""#), 1)
}

/// Pipelines the PostgreSQL bench spreads its notifications over: each
/// stage's lock serializes its own notifications across replicas, so one
/// pipeline alone would measure that lock, not the replicas.
const PIPELINES: u64 = 64;

/// A notification no plugin of this run has seen, of one of [`PIPELINES`]
/// pipelines in turn.
fn spread(counter: &AtomicU64) -> String {
    let n = counter.fetch_add(1, Ordering::Relaxed);
    BODY.replacen(r#""counter":"42""#, &format!(r#""counter":"{n}""#), 1)
        .replacen(
            r#""name":"deploy-app""#,
            &format!(r#""name":"deploy-app-{}""#, n % PIPELINES),
            1,
        )
}

fn nothing(d: &Delivery) -> Result<(), NotifyError> {
    black_box(d.text());
    Ok(())
}

fn plugin(state: State) -> Plugin {
    Plugin::builder(
        rules! { target ops; on any => send(ops, "{pipeline.name} #{pipeline.counter}"); },
    )
    .notifier("ops", nothing)
    .state(state)
    .build()
    .unwrap()
}

fn sqlite(c: &mut Criterion) {
    // Beside the bench's own program, in the target directory (wherever
    // CARGO_TARGET_DIR puts it): on the disk the tests and the program use,
    // not a tmpfs that would make syncs free.
    let exe = std::env::current_exe().unwrap();
    let dir = tempfile::tempdir_in(exe.parent().unwrap()).unwrap();
    let mut group = c.benchmark_group("sqlite");
    group.throughput(Throughput::Elements(1));
    let counter = AtomicU64::new(1);
    let p = plugin(State::sqlite(dir.path().join("state.db")));
    group.bench_function("handle_one_delivery", |b| {
        b.iter(|| {
            let r = p.handle("stage-status", &fresh(&counter));
            assert_eq!(r.code, 200);
        })
    });
    let db = rusqlite::Connection::open(dir.path().join("bare.db")).unwrap();
    let _: String = db
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .unwrap();
    db.pragma_update(None, "synchronous", "FULL").unwrap();
    db.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        .unwrap();
    group.bench_function("bare_insert", |b| {
        b.iter(|| {
            db.prepare_cached("INSERT INTO t (v) VALUES (?1)")
                .unwrap()
                .execute([black_box("a row of some length, like a key")])
                .unwrap();
        })
    });
    group.finish();
}

fn postgres(c: &mut Criterion) {
    // A database of its own, made afresh (skipped, with a note, without a
    // server).
    let Some(url) = notify_rules_test_kit::postgres::database("notify_rules_bench") else {
        return;
    };
    let replicas: Vec<Plugin> = (0..3)
        .map(|_| plugin(State::postgres(url.clone())))
        .collect();
    let counter = AtomicU64::new(1);
    let mut group = c.benchmark_group("postgres");
    group.throughput(Throughput::Elements(1));
    for n in [1, 3] {
        group.bench_function(format!("replicas_{n}"), |b| {
            b.iter_custom(|iters| {
                let started = Instant::now();
                std::thread::scope(|s| {
                    for p in &replicas[..n] {
                        let counter = &counter;
                        s.spawn(move || {
                            for _ in 0..iters.div_ceil(n as u64) {
                                assert_eq!(p.handle("stage-status", &spread(counter)).code, 200);
                            }
                        });
                    }
                });
                started.elapsed()
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = sqlite, postgres
}
criterion_main!(benches);
