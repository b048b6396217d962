use super::*;
use crate::model::StageState::{self, *};
use crate::rules::Transition::*;

fn run(pc: u64, sc: u64, state: StageState) -> StageRun<'static> {
    StageRun::new("api", pc, "test", sc, state)
}

fn new(t: Option<Transition>) -> Seen {
    Seen::New(t)
}

#[test]
fn pass_fail_fail_rerun_pass_with_a_cancel_between() {
    let mut h = HistoryState::default();
    assert_eq!(h.record(&run(1, 1, Building)), new(None));
    assert_eq!(h.record(&run(1, 1, Passed)), new(None));
    assert_eq!(h.record(&run(2, 1, Failed)), new(Some(Broken)));
    assert_eq!(h.record(&run(3, 1, Failing)), new(None));
    assert_eq!(h.record(&run(3, 1, Failed)), new(Some(StillFailing)));
    assert_eq!(h.record(&run(4, 1, Cancelled)), new(None));
    // The re-run of run 3 comes after run 4's cancelled stage; the cancel is skipped.
    assert_eq!(h.record(&run(3, 2, Passed)), new(Some(Fixed)));
    assert_eq!(h.record(&run(5, 1, Passed)), new(None));
    assert_eq!(
        h.runs("api", "test"),
        [
            (1, 1, true),
            (2, 1, false),
            (3, 1, false),
            (3, 2, true),
            (5, 1, true)
        ]
    );
}

#[test]
fn a_first_failure_is_broken_and_a_first_pass_is_nothing() {
    let mut h = HistoryState::default();
    assert_eq!(h.record(&run(1, 1, Failed)), new(Some(Broken)));
    assert_eq!(
        h.record(&StageRun::new("api", 1, "deploy", 1, Passed)),
        new(None)
    );
}

#[test]
fn a_late_notification_is_compared_with_the_run_before_it() {
    let mut h = HistoryState::default();
    h.record(&run(1, 1, Passed));
    h.record(&run(3, 1, Failed));
    // Run 2 arrives after run 3: compared with run 1, and run 3 stays the latest.
    assert_eq!(h.record(&run(2, 1, Failed)), new(Some(Broken)));
    assert_eq!(h.record(&run(4, 1, Failed)), new(Some(StillFailing)));
    let mut h = HistoryState::default();
    h.record(&run(1, 1, Failed));
    h.record(&run(3, 1, Failed));
    assert_eq!(h.record(&run(2, 1, Passed)), new(Some(Fixed)));
    // Run 3 failed, so run 4's failure is still failing, not broken.
    assert_eq!(h.record(&run(4, 1, Failed)), new(Some(StillFailing)));
}

#[test]
fn repeats_are_recognised_whatever_the_case() {
    let mut h = HistoryState::default();
    assert_eq!(h.record(&run(1, 1, Failed)), new(Some(Broken)));
    assert_eq!(h.record(&run(1, 1, Failed)), Seen::Repeat);
    assert_eq!(
        h.record(&StageRun::new("API", 1, "Test", 1, Failed)),
        Seen::Repeat
    );
    // Same run, another state: not a repeat.
    assert_eq!(h.record(&run(1, 1, Building)), new(None));
    assert_eq!(h.record(&run(1, 1, Building)), Seen::Repeat);
    // Case-insensitive stage identity for transitions too.
    assert_eq!(
        h.record(&StageRun::new("Api", 2, "TEST", 1, Passed)),
        new(Some(Fixed))
    );
}

#[test]
fn unknown_states_change_nothing() {
    let mut h = HistoryState::default();
    h.record(&run(1, 1, Failed));
    assert_eq!(
        h.record(&run(2, 1, StageState::Other("Paused".into()))),
        new(None)
    );
    assert_eq!(h.record(&run(2, 1, Unknown)), new(None));
    assert_eq!(h.record(&run(3, 1, Failed)), new(Some(StillFailing)));
}

#[test]
fn history_is_bounded() {
    let mut h = HistoryState::new(HistoryLimits {
        runs_per_stage: 3,
        handled: 4,
    });
    for pc in 1..=6 {
        h.record(&run(pc, 1, Passed));
    }
    assert_eq!(
        h.runs("api", "test"),
        [(4, 1, true), (5, 1, true), (6, 1, true)]
    );
    assert_eq!(h.handled_len(), 4);
    // Run 1 was forgotten, so a repeat of it is new again, but older than all
    // that is kept: no transition, and history is not changed.
    assert_eq!(h.record(&run(1, 1, Failed)), new(None));
    assert_eq!(
        h.runs("api", "test"),
        [(4, 1, true), (5, 1, true), (6, 1, true)]
    );
    // Between kept runs, still compared.
    assert_eq!(h.record(&run(5, 2, Failed)), new(Some(Broken)));
    assert_eq!(
        h.runs("api", "test"),
        [(5, 1, true), (5, 2, false), (6, 1, true)]
    );
}

#[test]
fn only_completed_runs_make_stages_and_the_least_recently_used_is_forgotten() {
    let mut h = HistoryState::default().with_max_stages(2);
    for name in ["a", "b", "c"] {
        h.record(&StageRun::new(name, 1, "s", 1, Building));
    }
    assert_eq!(h.stages_len(), 0, "Building made stages");
    h.record(&StageRun::new("a", 1, "s", 1, Failed));
    h.record(&StageRun::new("b", 1, "s", 1, Failed));
    // `a` used again, so `b` is the one forgotten when `c` comes.
    assert_eq!(
        h.record(&StageRun::new("a", 2, "s", 1, Failed)),
        new(Some(StillFailing))
    );
    h.record(&StageRun::new("c", 1, "s", 1, Passed));
    assert_eq!(h.stages_len(), 2);
    assert!(h.runs("b", "s").is_empty());
    assert_eq!(h.runs("a", "s").len(), 2);
    // Forgotten: compared with nothing.
    assert_eq!(
        h.record(&StageRun::new("b", 2, "s", 1, Failed)),
        new(Some(Broken))
    );
}

#[test]
fn the_handled_ring_forgets_the_oldest_as_it_goes_round() {
    let mut h = HistoryState::new(HistoryLimits {
        runs_per_stage: 50,
        handled: 3,
    });
    // Several times round the ring of three.
    for pc in 1..=10 {
        assert_eq!(h.record(&run(pc, 1, Building)), new(None));
        assert_eq!(h.record(&run(pc, 1, Building)), Seen::Repeat);
        assert_eq!(h.handled_len(), usize::try_from(pc).unwrap().min(3));
    }
    // The newest three are remembered, in either case of the names.
    for pc in 8..=10 {
        let upper = StageRun::new("API", pc, "TEST", 1, Building);
        assert_eq!(h.record(&upper), Seen::Repeat);
    }
    // Run 7 was forgotten: new again, and it takes the oldest place (run 8).
    assert_eq!(h.record(&run(7, 1, Building)), new(None));
    assert_eq!(h.record(&run(8, 1, Building)), new(None));
    assert_eq!(h.record(&run(10, 1, Building)), Seen::Repeat);
}

#[test]
fn only_ascii_letters_are_folded() {
    let mut h = HistoryState::default();
    let run = |pipeline, pc| StageRun::new(pipeline, pc, "Tëst", 1, Failed);
    assert_eq!(h.record(&run("Ünï-API", 1)), new(Some(Broken)));
    assert_eq!(h.record(&run("Ünï-api", 2)), new(Some(StillFailing)));
    // `Ü` and `ü` differ: names are compared without regard to ASCII case only.
    assert_eq!(h.record(&run("ünï-api", 3)), new(Some(Broken)));
    assert_eq!(h.runs("ÜNï-Api", "TëST").len(), 2);
}
