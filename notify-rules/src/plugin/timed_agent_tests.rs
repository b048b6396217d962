//! The agent rules' `every` and `during`, and silences, on a simulated
//! clock in memory and in a SQLite file (one on PostgreSQL when a server is
//! given): an agent flapping under a throttle, agent messages in a window's
//! digest, which silences hold an agent's delivery, and digests that a
//! silence set since thins or stops.

use std::time::Duration;

use super::test_support::{body, Log};
use super::timed_tests::{built, sent, stores, utc, Counted, HOUR};
use super::*;
use crate::state::State;
use crate::time::{NewSilence, SimulatedClock};

const RULES: &str = r#"target ops, infra, night;
window office = "Mon-Fri 08:00-18:00" in "Europe/Berlin";
on agent state LostContact => send(ops, "{agent.host_name} lost ({suppressed} more)") every 1h;
on agent state Missing => send(night, "{agent.host_name} missing") during office;
on agent back => send(infra, "{agent.host_name} back");
on pipeline "nightly" state Failed => send(night, "{pipeline.name} failed") during office;
"#;

/// An agent-status body; `n` makes its transition time, so each is a new
/// notification.
fn agent(uuid: &str, state: &str, n: u32) -> String {
    serde_json::json!({
        "uuid": uuid, "host_name": uuid, "agent_state": state, "build_state": "Idle",
        "agent_config_state": "Enabled",
        "transition_time": format!("2024-05-14T10:{:02}:{:02}.000+0000", n / 60, n % 60),
    })
    .to_string()
}

fn plugin(state: &State, clock: &SimulatedClock, log: &Log, counted: &Counted) -> Plugin {
    built(RuleSet::parse(RULES).unwrap(), state, clock, log, counted)
}

fn silence(pipeline: &str, stage: Option<&str>, target: Option<&str>) -> NewSilence {
    NewSilence {
        pipeline: pipeline.into(),
        stage: stage.map(Into::into),
        target: target.map(Into::into),
        lasts: HOUR * 2,
        comment: "maintenance".into(),
    }
}

fn withheld(counted: &Counted) -> Vec<(String, Withheld)> {
    std::mem::take(&mut *counted.lock().unwrap())
}

/// An agent flapping between lost and back for an hour: one `lost` to ops
/// in the hour, the next one counting what was dropped; another agent has a
/// throttle of its own, and a rule without `every` is not throttled.
fn a_flapping_agent_is_throttled(p: &Plugin, clock: &SimulatedClock, log: &Log, c: &Counted) {
    let mut n = 0;
    let mut flap = |state: &str| {
        n += 1;
        p.handle("agent-status", &agent("a1", state, n));
    };
    flap("Idle");
    for _ in 0..3 {
        flap("LostContact");
        clock.advance(Duration::from_secs(600));
        flap("Idle");
    }
    p.handle("agent-status", &agent("a2", "LostContact", 1));
    assert_eq!(
        sent(log),
        [
            "ops: a1 lost (0 more)",
            "infra: a1 back",
            "infra: a1 back",
            "infra: a1 back",
            "ops: a2 lost (0 more)"
        ]
    );
    assert_eq!(
        withheld(c),
        vec![("ops".to_owned(), Withheld::Suppressed); 2]
    );
    clock.advance(HOUR);
    flap("LostContact");
    assert_eq!(sent(log), ["ops: a1 lost (2 more)"]);
    // The count starts again.
    clock.advance(HOUR);
    flap("Idle");
    flap("LostContact");
    assert_eq!(sent(log), ["infra: a1 back", "ops: a1 lost (0 more)"]);
}

#[test]
fn an_agent_rules_every_throttles_per_agent_and_counts_what_it_dropped() {
    for (state, _dir) in stores() {
        let (log, counted) = (Log::default(), Counted::default());
        let clock = SimulatedClock::at_ms(utc("2025-01-06T09:00"));
        let p = plugin(&state, &clock, &log, &counted);
        a_flapping_agent_is_throttled(&p, &clock, &log, &counted);
    }
}

#[test]
fn agent_messages_held_outside_the_window_go_out_in_its_digest() {
    for (state, _dir) in stores() {
        let (log, counted) = (Log::default(), Counted::default());
        // Friday 2025-03-21 19:00 in Berlin: the office window is closed.
        let clock = SimulatedClock::at_ms(utc("2025-03-21T18:00"));
        let p = plugin(&state, &clock, &log, &counted);
        p.handle("agent-status", &agent("b1", "Missing", 1));
        clock.advance(HOUR * 30);
        p.handle("agent-status", &agent("b2", "Missing", 1));
        assert!(sent(&log).is_empty());
        assert_eq!(p.time_counts().unwrap(), (0, 2));
        assert_eq!(
            withheld(&counted),
            vec![("night".to_owned(), Withheld::Held); 2]
        );
        // Monday 08:00 in Berlin.
        clock.set_ms(utc("2025-03-24T07:00"));
        assert_eq!(p.send_due().made, 1);
        assert_eq!(
            sent(&log),
            ["night: 2 messages held outside office since 2025-03-21 19:00\nb1 missing\nb2 missing"]
        );
        // Open now: sent as usual.
        p.handle("agent-status", &agent("b3", "Missing", 1));
        assert_eq!(sent(&log), ["night: b3 missing"]);
    }
}

#[test]
fn only_a_silence_of_every_pipeline_and_no_stage_holds_an_agents_delivery() {
    for (state, _dir) in stores() {
        let (log, counted) = (Log::default(), Counted::default());
        let clock = SimulatedClock::at_ms(utc("2025-01-06T09:00"));
        let p = plugin(&state, &clock, &log, &counted);
        let s = p.silences();
        // About stage runs: agents' deliveries go through.
        s.add(&silence("api-*", None, None)).unwrap();
        s.add(&silence("*", Some("test"), None)).unwrap();
        p.handle("agent-status", &agent("c1", "LostContact", 1));
        assert_eq!(sent(&log), ["ops: c1 lost (0 more)"]);
        assert!(withheld(&counted).is_empty());

        // Every pipeline, no stage, to ops: holds c2's to ops, not to infra.
        let id = s.add(&silence("*", None, Some("ops"))).unwrap();
        p.handle("agent-status", &agent("c2", "Idle", 1));
        p.handle("agent-status", &agent("c2", "LostContact", 2));
        p.handle("agent-status", &agent("c2", "Idle", 3));
        assert_eq!(sent(&log), ["infra: c2 back"]);
        assert_eq!(withheld(&counted), [("ops".to_owned(), Withheld::Silenced)]);
        // A silenced delivery is not throttled: once over, the next goes.
        assert!(s.expire(id).unwrap());
        p.handle("agent-status", &agent("c2", "LostContact", 4));
        assert_eq!(sent(&log), ["ops: c2 lost (0 more)"]);

        // One with no target holds them all, until it ends by its time.
        s.add(&silence("*", None, None)).unwrap();
        p.handle("agent-status", &agent("c3", "Idle", 1));
        p.handle("agent-status", &agent("c3", "LostContact", 2));
        p.handle("agent-status", &agent("c3", "Idle", 3));
        assert!(sent(&log).is_empty());
        assert_eq!(
            withheld(&counted),
            [
                ("ops".to_owned(), Withheld::Silenced),
                ("infra".to_owned(), Withheld::Silenced)
            ]
        );
        clock.advance(HOUR * 2);
        p.handle("agent-status", &agent("c3", "LostContact", 4));
        assert_eq!(sent(&log), ["ops: c3 lost (0 more)"]);
    }
}

#[test]
fn a_silence_set_since_leaves_its_messages_out_of_the_digest() {
    for (state, _dir) in stores() {
        let (log, counted) = (Log::default(), Counted::default());
        // Friday 2025-03-21 19:00 in Berlin.
        let clock = SimulatedClock::at_ms(utc("2025-03-21T18:00"));
        let p = plugin(&state, &clock, &log, &counted);
        p.handle("stage-status", &body("nightly", 1, "build", 1, "Failed"));
        clock.advance(HOUR);
        p.handle("agent-status", &agent("d1", "Missing", 1));
        clock.advance(HOUR);
        p.handle("stage-status", &body("nightly", 2, "build", 1, "Failed"));
        assert_eq!(
            withheld(&counted),
            vec![("night".to_owned(), Withheld::Held); 3]
        );
        // Monday 08:00 in Berlin, a silence of the nightly pipeline on: the
        // digest is the agent's message alone, and the two left out count.
        clock.set_ms(utc("2025-03-24T06:00"));
        let id = p
            .silences()
            .add(&NewSilence {
                lasts: HOUR * 48,
                ..silence("night*", None, None)
            })
            .unwrap();
        clock.set_ms(utc("2025-03-24T07:00"));
        assert_eq!(p.send_due().made, 1);
        assert_eq!(
            sent(&log),
            ["night: 1 message held outside office since 2025-03-21 20:00\nd1 missing"]
        );
        assert_eq!(
            withheld(&counted),
            vec![("night".to_owned(), Withheld::Silenced); 2]
        );
        assert!(p.silences().expire(id).unwrap());

        // A digest all of whose messages are silenced is not sent.
        clock.set_ms(utc("2025-03-24T19:00"));
        p.handle("stage-status", &body("nightly", 3, "build", 1, "Failed"));
        assert_eq!(withheld(&counted), [("night".to_owned(), Withheld::Held)]);
        clock.set_ms(utc("2025-03-25T06:00"));
        p.silences()
            .add(&silence("nightly", Some("build"), None))
            .unwrap();
        clock.set_ms(utc("2025-03-25T07:00"));
        assert_eq!(p.send_due().made, 0);
        assert!(sent(&log).is_empty());
        assert_eq!(
            withheld(&counted),
            [("night".to_owned(), Withheld::Silenced)]
        );
        assert_eq!(p.time_counts().unwrap(), (0, 0), "taken all the same");
    }
}

#[cfg(feature = "postgres")]
#[test]
fn an_agent_rules_every_and_silences_on_postgres() {
    let Some(url) = notify_rules_test_kit::postgres::database("unit_agent_time") else {
        return;
    };
    let state = State::postgres(url);
    let (log, counted) = (Log::default(), Counted::default());
    let clock = SimulatedClock::at_ms(utc("2025-01-06T09:00"));
    let p = plugin(&state, &clock, &log, &counted);
    a_flapping_agent_is_throttled(&p, &clock, &log, &counted);
    let id = p.silences().add(&silence("*", None, Some("ops"))).unwrap();
    clock.advance(HOUR);
    p.handle("agent-status", &agent("a1", "LostContact", 99));
    assert!(sent(&log).is_empty());
    assert_eq!(withheld(&counted), [("ops".to_owned(), Withheld::Silenced)]);
    assert_eq!(p.silences().list().unwrap()[0].id, id);
}
