use chrono::{DateTime, Utc};

use super::*;
use crate::model::{AgentConfigState, AgentState, BuildState};
use crate::rules::AgentTransition::{Back, Lost};

/// A time `second`s after 1970.
pub(crate) fn at(second: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(second, 0)
}

/// An enabled agent with no build, in `state` since `second`.
pub(crate) fn run(uuid: &str, state: AgentState, second: i64) -> AgentRun<'_> {
    AgentRun::new(
        uuid,
        state,
        BuildState::Idle,
        AgentConfigState::Enabled,
        at(second),
    )
}

#[test]
fn idle_building_lost_lost_again_missing_idle_is_one_lost_and_one_back() {
    use AgentState::*;
    let mut h = AgentHistoryState::default();
    let seen: Vec<AgentSeen> = [Idle, Building, LostContact, LostContact, Missing, Idle]
        .into_iter()
        .zip(1..)
        .map(|(state, t)| h.record(&run("a1", state, t)))
        .collect();
    assert_eq!(
        seen,
        [
            AgentSeen::New(None),
            AgentSeen::New(None),
            AgentSeen::New(Some(Lost)),
            AgentSeen::New(None),
            AgentSeen::New(None),
            AgentSeen::New(Some(Back)),
        ]
    );
}

#[test]
fn a_first_status_lost_is_lost_and_other_states_are_previous_states_too() {
    use AgentState::*;
    let mut h = AgentHistoryState::default();
    assert_eq!(h.record(&run("a1", Missing, 1)), AgentSeen::New(Some(Lost)));
    // Unknown counts as what came before: Idle after it is not `back`.
    assert_eq!(h.record(&run("a1", Unknown, 2)), AgentSeen::New(None));
    assert_eq!(h.record(&run("a1", Idle, 3)), AgentSeen::New(None));
    // Agents are apart.
    assert_eq!(h.record(&run("a2", Idle, 1)), AgentSeen::New(None));
    assert_eq!(
        h.record(&run("a2", LostContact, 4)),
        AgentSeen::New(Some(Lost))
    );
    assert_eq!(h.record(&run("a1", Building, 5)), AgentSeen::New(None));
}

#[test]
fn repeats_are_every_field_alike() {
    let mut h = AgentHistoryState::default();
    let lost = run("a1", AgentState::LostContact, 1);
    assert_eq!(h.record(&lost), AgentSeen::New(Some(Lost)));
    assert_eq!(h.record(&lost), AgentSeen::Repeat);
    let mut other = lost.clone();
    other.build_state = BuildState::Cancelled;
    assert_eq!(h.record(&other), AgentSeen::New(None));
    let mut other = lost.clone();
    other.config_state = AgentConfigState::Disabled;
    assert_eq!(h.record(&other), AgentSeen::New(None));
    let mut other = lost.clone();
    other.transition_time = None;
    assert_eq!(h.record(&other), AgentSeen::New(None));
    assert_eq!(h.record(&other), AgentSeen::Repeat);
    // The uuid is exact.
    assert_eq!(
        h.record(&run("A1", AgentState::LostContact, 1)),
        AgentSeen::New(Some(Lost))
    );
}

#[test]
fn a_late_status_makes_no_transition_and_overwrites_nothing() {
    use AgentState::*;
    let mut h = AgentHistoryState::default();
    h.record(&run("a1", Idle, 10));
    h.record(&run("a1", LostContact, 20));
    // Older than minute 20: it would have been `back`, and is nothing.
    assert_eq!(h.record(&run("a1", Idle, 15)), AgentSeen::New(None));
    assert_eq!(h.last("a1"), Some((&LostContact, at(20))));
    assert_eq!(h.record(&run("a1", Idle, 15)), AgentSeen::Repeat);
    // The same time is in order; no time is in order.
    assert_eq!(h.record(&run("a1", Missing, 20)), AgentSeen::New(None));
    let mut untimed = run("a1", Building, 0);
    untimed.transition_time = None;
    assert_eq!(h.record(&untimed), AgentSeen::New(Some(Back)));
    assert_eq!(h.last("a1"), Some((&Building, None)));
    assert_eq!(
        h.record(&run("a1", LostContact, 1)),
        AgentSeen::New(Some(Lost))
    );
}

#[test]
fn agents_and_handled_are_bounded_and_the_least_recently_recorded_goes() {
    use AgentState::*;
    let mut h = AgentHistoryState::new(HistoryLimits {
        runs_per_stage: 1,
        handled: 3,
    })
    .with_max_agents(2);
    h.record(&run("a", LostContact, 1));
    h.record(&run("b", LostContact, 1));
    // `a` recorded again (late, even), so `b` is the one forgotten for `c`.
    h.record(&run("a", Idle, 0));
    h.record(&run("c", Idle, 1));
    assert_eq!(h.agents_len(), 2);
    assert_eq!(h.handled_len(), 3);
    assert_eq!(h.last("b"), None);
    assert_eq!(h.last("a"), Some((&LostContact, at(1))));
    // The first handled record was forgotten: no longer a repeat, and its
    // state is the newest already, so no transition either.
    assert_eq!(h.record(&run("a", LostContact, 1)), AgentSeen::New(None));
    // Forgotten: compared with nothing, so `Idle` is not `back`.
    assert_eq!(h.record(&run("b", Idle, 2)), AgentSeen::New(None));
}
