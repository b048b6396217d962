//! What the scheduler's tick costs (`Plugin::send_due`, which `serve` runs
//! every second) with 10 000 open reminders in a SQLite file.
//!
//! - `scheduler/tick_none_due`: nothing is due. Goal: under 1 ms. The tick
//!   reads through the due-time indexes (`EXISTS (... WHERE due <= ?)`,
//!   `SQLite`'s plan `SEARCH reminders USING COVERING INDEX reminders_due
//!   (due<?)`, checked by the store's test
//!   `the_tick_reads_through_the_due_time_indexes`), so its cost does not grow
//!   with the reminders that are not due.
//! - `scheduler/scan_none_due`: the same question with the index not used
//!   (`NOT INDEXED`), on the same file: what the tick would cost if it
//!   scanned every row.
//! - `scheduler/tick_one_due`: the clock moves a second per tick and one
//!   reminder is due each time (the 10 000 are spread over 10 000 s, each
//!   due again 10 000 s later): claimed, rendered, written to the outbox
//!   (synced), sent to a notifier that does nothing, and removed.
//!
//! Measured (`/work/quiet cargo bench -p notify-rules --features sqlite
//! --bench scheduler -- --warm-up-time 1 --measurement-time 3`, 2 shared
//! cores): `tick_none_due` 7.7 µs, `scan_none_due` 8.1 ms, `tick_one_due`
//! 282 µs (most of it the outbox write's sync); with the time tables'
//! statements shared by both databases and kept prepared: 2.9 µs, 5.2 to
//! 7.1 ms and 137 µs.
//!
//! The reminders are written straight into the table (a plugin recording
//! 10 000 notifications first would take a minute of syncs), after the
//! plugin has made the schema.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use notify_rules::state::State;
use notify_rules::time::SimulatedClock;
use notify_rules::{Delivery, NotifyError, Plugin, RuleSet};

const BODY: &str = include_str!("data/v4-deploy-failed.json");
const OPEN: i64 = 10_000;
/// 2025-01-06 00:00 UTC, in milliseconds.
const T0: i64 = 1_736_121_600_000;
/// Each reminder's interval: as many seconds as there are reminders.
const EVERY: i64 = OPEN * 1000;

fn nothing(d: &Delivery) -> Result<(), NotifyError> {
    black_box(d.text());
    Ok(())
}

fn scheduler(c: &mut Criterion) {
    // On the disk the program uses (beside the bench), not a tmpfs.
    let exe = std::env::current_exe().unwrap();
    let dir = tempfile::tempdir_in(exe.parent().unwrap()).unwrap();
    let path = dir.path().join("state.db");
    let rules = RuleSet::parse(
        "target ops;\non broken => send(ops), remind(ops, 10000s, \"{pipeline.name} still red ({reminder})\");",
    )
    .unwrap();
    // The store keeps a reminder under its rule's identity.
    let rule = rules.timing(0).unwrap().identity();
    let clock = SimulatedClock::at_ms(T0);
    let plugin = Plugin::builder(rules)
        .notifier("ops", nothing)
        .clock(clock.clone())
        .state(State::sqlite(&path))
        .build()
        .unwrap();
    let mut db = rusqlite::Connection::open(&path).unwrap();
    {
        let tx = db.transaction().unwrap();
        let mut insert = tx
            .prepare(
                "INSERT INTO reminders (stage, rule, remind, target, started, every, due, status) \
                 VALUES (?1, ?2, 0, 'ops', ?3, ?4, ?5, ?6)",
            )
            .unwrap();
        for i in 0..OPEN {
            let started = T0 - EVERY + 1000 * (i + 1);
            insert
                .execute(rusqlite::params![
                    format!("p-{i}/deploy"),
                    rule,
                    started,
                    EVERY,
                    started + EVERY,
                    BODY
                ])
                .unwrap();
        }
        drop(insert);
        tx.commit().unwrap();
    }
    let mut group = c.benchmark_group("scheduler");
    group.bench_function("tick_none_due", |b| {
        b.iter(|| {
            let report = plugin.send_due();
            assert_eq!(report.made, 0);
        })
    });
    group.bench_function("scan_none_due", |b| {
        b.iter(|| {
            let any: bool = db
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM reminders NOT INDEXED WHERE due <= ?1) \
                     OR EXISTS (SELECT 1 FROM held NOT INDEXED WHERE release_at <= ?1)",
                )
                .unwrap()
                .query_row([black_box(T0)], |r| r.get(0))
                .unwrap();
            assert!(!any);
        })
    });
    group.bench_function("tick_one_due", |b| {
        b.iter(|| {
            clock.advance(Duration::from_secs(1));
            let report = plugin.send_due();
            assert_eq!(report.made, 1, "{report:?}");
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = scheduler
}
criterion_main!(benches);
