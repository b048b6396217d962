//! What the store keeps for a rule's time forms follows the rule, not its
//! place, across a reload (a plugin built again on the same SQLite file with
//! an edited rule file): a rule added above keeps its reminders and
//! throttles, a reworded message keeps them, a rule removed ends its
//! reminders instead of sending another rule's text. And a digest whose
//! first held message a later release wrote in a form this one cannot read
//! still goes out, as the first one it can.

use super::test_support::{body, Log};
use super::timed_tests::{built, sent, utc, Counted, HOUR};
use super::*;
use crate::state::State;
use crate::time::SimulatedClock;

const REMIND: &str = "target ops;\n\
    on broken => send(ops, \"{pipeline.name} broke\"), remind(ops, 1h, \"{pipeline.name} still red ({reminder})\");\n";

/// The same rule reworded, with a rule added above it.
const MOVED: &str = "target ops;\n\
    on stage \"lint\" => send(ops, \"lint\");\n\
    on broken => send(ops, \"{pipeline.name} broke!\"), remind(ops, 1h, \"{pipeline.name} is still red, reminder {reminder}\");\n";

/// The reminding rule gone; another in its place.
const GONE: &str = "target ops;\n\
    on stage \"lint\" state Failed => send(ops, \"lint\"), remind(ops, 1h, \"lint still red\");\n";

fn plugin(rules: &str, state: &State, clock: &SimulatedClock, log: &Log) -> Plugin {
    let rules = RuleSet::parse(rules).unwrap();
    built(rules, state, clock, log, &Counted::default())
}

#[test]
fn a_reminder_follows_its_rule_moved_by_a_reload_and_ends_with_it() {
    let (_dir, path) = super::test_support::temp_file("reload");
    let state = State::sqlite(&path);
    let (log, clock) = (
        Log::default(),
        SimulatedClock::at_ms(utc("2025-01-06T09:00")),
    );
    plugin(REMIND, &state, &clock, &log)
        .handle("stage-status", &body("api", 1, "test", 1, "Failed"));
    assert_eq!(sent(&log), ["ops: api broke"]);

    clock.advance(HOUR);
    let moved = plugin(MOVED, &state, &clock, &log);
    assert_eq!(moved.send_due().made, 1);
    assert_eq!(sent(&log), ["ops: api is still red, reminder 1"]);
    drop(moved);

    // Its rule gone: the reminder ends, and the rule now first (which has
    // a reminder of its own) does not speak for it.
    clock.advance(HOUR);
    let gone = plugin(GONE, &state, &clock, &log);
    assert_eq!(gone.time_counts().unwrap(), (1, 0));
    assert_eq!(gone.send_due().made, 0);
    assert!(sent(&log).is_empty());
    assert_eq!(gone.time_counts().unwrap(), (0, 0));
    clock.advance(HOUR * 4);
    assert_eq!(gone.send_due(), DueReport::default());
}

#[test]
fn a_throttle_follows_its_rule_moved_by_a_reload() {
    let every = "target ops;\non state Failed => send(ops, \"{pipeline.name} failed ({suppressed} more)\") every 1h;\n";
    let above = "target ops;\non stage \"lint\" => send(ops, \"lint\");\n\
                 on state Failed => send(ops, \"{pipeline.name} failed ({suppressed} more)\") every 1h;\n";
    let (_dir, path) = super::test_support::temp_file("reload-every");
    let state = State::sqlite(&path);
    let (log, clock) = (
        Log::default(),
        SimulatedClock::at_ms(utc("2025-01-06T09:00")),
    );
    let p = plugin(every, &state, &clock, &log);
    p.handle("stage-status", &body("api", 1, "test", 1, "Failed"));
    clock.advance(HOUR / 6);
    p.handle("stage-status", &body("api", 2, "test", 1, "Failed"));
    assert_eq!(sent(&log), ["ops: api failed (0 more)"]);
    drop(p);

    // Moved down by a reload: still within its hour, still held back, and
    // counted in the next one that goes.
    let p = plugin(above, &state, &clock, &log);
    clock.advance(HOUR / 6);
    p.handle("stage-status", &body("api", 3, "test", 1, "Failed"));
    assert!(sent(&log).is_empty());
    clock.advance(HOUR);
    p.handle("stage-status", &body("api", 4, "test", 1, "Failed"));
    assert_eq!(sent(&log), ["ops: api failed (2 more)"]);
}

#[test]
fn a_digest_goes_out_though_its_first_held_delivery_cannot_be_read_back() {
    let rules = "target ops;\nwindow w = \"daily 08:00-09:00\" in \"UTC\";\n\
                 on state Failed => send(ops, \"{pipeline.name} failed\") during w;\n";
    let (_dir, path) = super::test_support::temp_file("digest-unreadable");
    let state = State::sqlite(&path);
    let (log, clock) = (
        Log::default(),
        SimulatedClock::at_ms(utc("2025-01-06T10:00")),
    );
    let p = plugin(rules, &state, &clock, &log);
    p.handle("stage-status", &body("api", 1, "test", 1, "Failed"));
    assert!(sent(&log).is_empty());
    // Held before it, by a release whose deliveries this one cannot read.
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute(
        "INSERT INTO held (window_name, target, at, release_at, text, delivery) \
         SELECT window_name, target, at - 60000, release_at, 'web failed', '{\"v\":99' FROM held",
        [],
    )
    .unwrap();
    clock.advance(HOUR * 22);
    assert_eq!(p.send_due().made, 1);
    assert_eq!(
        sent(&log),
        ["ops: 2 messages held outside w since 2025-01-06 09:59\nweb failed\napi failed"]
    );
}
