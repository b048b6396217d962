use super::*;
use crate::model::StageState::{self, *};
use crate::plugin::test_support::temp_file;
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
fn a_snapshot_rebuilds_the_same_state() {
    let limits = HistoryLimits {
        runs_per_stage: 3,
        handled: 5,
    };
    let mut h = HistoryState::new(limits);
    for (pc, state) in [
        (1, Passed),
        (2, Failed),
        (3, Cancelled),
        (4, Failed),
        (5, Passed),
        (6, Failed),
    ] {
        h.record(&run(pc, 1, state));
        h.record(&StageRun::new("web", pc, "build", 1, Passed));
    }
    let mut copy = HistoryState::new(limits);
    for line in h.snapshot() {
        let text = serde_json::to_string(&line).unwrap();
        copy.apply(serde_json::from_str(&text).unwrap());
    }
    assert_eq!(h.snapshot().len(), h.snapshot_len());
    assert_eq!(copy.runs("api", "test"), h.runs("api", "test"));
    assert_eq!(copy.runs("web", "build"), h.runs("web", "build"));
    assert_eq!(copy.handled_len(), h.handled_len());
    for r in [run(7, 1, Passed), run(6, 1, Failed), run(1, 1, Failed)] {
        assert_eq!(copy.record(&r), h.record(&r), "{r:?}");
    }
}

#[test]
fn the_file_store_survives_a_restart() {
    let (_dir, path) = temp_file("restart");
    let h = FileHistory::open(&path).unwrap();
    assert_eq!(h.record(&run(1, 1, Passed)).seen, new(None));
    assert_eq!(h.record(&run(2, 1, Failed)).seen, new(Some(Broken)));
    drop(h);
    let h = FileHistory::open(&path).unwrap();
    assert_eq!(h.runs("api", "test"), [(1, 1, true), (2, 1, false)]);
    assert_eq!(h.record(&run(2, 1, Failed)).seen, Seen::Repeat);
    let r = h.record(&run(3, 1, Passed));
    assert_eq!(r.seen, new(Some(Fixed)));
    assert!(r.error.is_none());
    drop(h);
    let h = FileHistory::open(&path).unwrap();
    assert_eq!(h.record(&run(4, 1, Failed)).seen, new(Some(Broken)));
}

#[test]
fn the_file_store_compacts_and_keeps_its_limits() {
    let (_dir, path) = temp_file("compact");
    let limits = HistoryLimits {
        runs_per_stage: 2,
        handled: 3,
    };
    let h = FileHistory::open_with_limits(&path, limits).unwrap();
    for pc in 1..=1100 {
        let r = h.record(&run(pc, 1, if pc % 2 == 0 { Failed } else { Passed }));
        assert!(r.error.is_none());
    }
    let lines = std::fs::read_to_string(&path).unwrap().lines().count();
    assert!(lines < 200, "{lines} lines: never compacted");
    drop(h);
    let h = FileHistory::open_with_limits(&path, limits).unwrap();
    assert_eq!(h.runs("api", "test"), [(1099, 1, true), (1100, 1, false)]);
    assert_eq!(h.record(&run(1100, 1, Failed)).seen, Seen::Repeat);
    assert_eq!(
        h.record(&run(3001, 1, Failed)).seen,
        new(Some(StillFailing))
    );
}

#[test]
fn a_damaged_file_is_an_error_naming_the_line() {
    let (_dir, path) = temp_file("damaged");
    std::fs::write(&path, "{\"notify-rules\":\"history\",\"version\":1}\n{\"rec\":[\"a\",1,\"b\",1,\"Passed\"]}\n{\"rec\":oops}\n{\"rec\":[\"a\",2,\"b\",1,\"Passed\"]}\n").unwrap();
    let err = FileHistory::open(&path).unwrap_err();
    let e = err.to_string();
    assert!(e.starts_with("history file "), "{e}");
    assert!(e.contains(":3: unreadable entry"), "{e}");
    // The chain goes down to the JSON reader's own error.
    let journal = std::error::Error::source(&err).expect("the journal's error");
    let json = journal.source().expect("the JSON error");
    assert!(e.ends_with(&json.to_string()), "{e} / {json}");
    std::fs::write(&path, "{\"notify-rules\":\"outbox\",\"version\":1}\n").unwrap();
    let e = FileHistory::open(&path).unwrap_err().to_string();
    assert!(e.contains("not a notify-rules history file"), "{e}");
}

#[test]
fn a_file_open_elsewhere_is_refused_naming_it() {
    let (_dir, path) = temp_file("twice");
    let first = FileHistory::open(&path).unwrap();
    assert_eq!(first.record(&run(1, 1, Failed)).seen, new(Some(Broken)));
    let e = FileHistory::open(&path).unwrap_err().to_string();
    assert!(e.contains(&path.display().to_string()), "{e}");
    assert!(e.contains("in use"), "{e}");
    assert!(e.contains("cannot share one state file"), "{e}");
    // The first still records, and its writes are what the next opener reads.
    assert!(first.record(&run(2, 1, Passed)).error.is_none());
    drop(first);
    let again = FileHistory::open(&path).unwrap();
    assert_eq!(again.runs("api", "test"), [(1, 1, false), (2, 1, true)]);
    drop(again);
}

#[test]
fn concurrent_records_of_one_notification_make_one_new() {
    let h = MemoryHistory::new();
    let news = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for pc in 0..200 {
                    if matches!(h.record(&run(pc, 1, Failed)).seen, Seen::New(_)) {
                        news.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
        }
    });
    assert_eq!(news.into_inner(), 200);
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
    // The snapshot keeps the order of use, so the same stage goes next.
    let mut back = HistoryState::default().with_max_stages(2);
    for line in h.snapshot() {
        back.apply(line);
    }
    back.record(&StageRun::new("d", 1, "s", 1, Passed));
    assert!(back.runs("c", "s").is_empty());
    assert_eq!(back.runs("b", "s").len(), 1);
}
