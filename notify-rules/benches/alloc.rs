//! Memory: what one `RuleSet::evaluate` allocates on the notification that
//! makes four deliveries under the twenty rules, counted by a global allocator
//! that wraps the system's; beside it, what the same rules written by hand
//! allocate, and the average over the mixed stream of `rules`. Printed before
//! the timings, for the compiled and the loaded rule set.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use criterion::{criterion_group, criterion_main, Criterion};
use notify_rules::model::StageStatus;
use notify_rules::RuleSet;

mod common;

/// The system allocator, counting the calls that take memory and the bytes
/// they ask for (a `realloc` counts its new size).
struct Counting;

static CALLS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to `System` unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        CALLS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size(), Relaxed);
        // SAFETY: the caller's contract for `alloc` is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        CALLS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size, Relaxed);
        // SAFETY: as for `dealloc`, and `new_size` is the caller's to choose.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations and bytes that one call of `f` asks for.
fn measure(mut f: impl FnMut()) -> (usize, usize) {
    let (calls, bytes) = (CALLS.load(Relaxed), BYTES.load(Relaxed));
    f();
    (CALLS.load(Relaxed) - calls, BYTES.load(Relaxed) - bytes)
}

fn memory(c: &mut Criterion) {
    let status: StageStatus = serde_json::from_str(common::BODY).unwrap();
    let (compiled, text) = common::twenty_rules();
    let loaded = RuleSet::parse(text).unwrap();
    let day = common::stream(&status, 100);
    // The counts compare equal work: the same messages on every body.
    for (name, s) in common::stage_payloads() {
        let hand = common::by_hand(&s);
        let want: Vec<(&str, &str)> = hand.iter().map(|(t, m)| (*t, m.as_str())).collect();
        assert_eq!(common::texts(&compiled.evaluate(&s)), want, "{name}");
    }
    let (calls, bytes) = measure(|| drop(black_box(common::by_hand(black_box(&status)))));
    println!("memory: by hand, 4 deliveries: {calls} allocations, {bytes} bytes per call");
    for (name, rules) in [("compiled", &compiled), ("loaded", &loaded)] {
        let made = rules.evaluate(&status);
        assert_eq!(made.len(), 4, "{name}: the four-delivery notification");
        drop(made);
        let (calls, bytes) = measure(|| drop(black_box(rules.evaluate(black_box(&status)))));
        println!("memory: {name}, 4 deliveries: {calls} allocations, {bytes} bytes per evaluate");
        let (calls, bytes) = measure(|| {
            for s in &day {
                drop(black_box(rules.evaluate(black_box(s))));
            }
        });
        let n = day.len() as f64;
        println!(
            "memory: {name}, stream: {:.2} allocations, {:.1} bytes per evaluate",
            calls as f64 / n,
            bytes as f64 / n
        );
    }
    let mut g = c.benchmark_group("memory");
    g.bench_function("compiled, 4 deliveries", |b| {
        b.iter(|| compiled.evaluate(black_box(&status)))
    });
    g.finish();
}

criterion_group!(benches, memory);
criterion_main!(benches);
