//! Notifications, notifiers, rule sets (built without the rule compiler) and
//! state files for the crate's unit tests: the one place they share. (The
//! integration tests have the test kit, `tests/kit`; it depends on this crate,
//! so its types are not the ones unit tests see.)

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::deliver::NotifyError;
use crate::model::StageStatus;
use crate::rules::{Delivery, Eval, Meta, RuleSet, Transition};

/// What test notifiers sent, as `target: text`.
pub(crate) type Log = Arc<Mutex<Vec<String>>>;

/// A closure the plugin takes as a notifier.
pub(crate) trait TestNotifier:
    Fn(&Delivery) -> Result<(), NotifyError> + Send + Sync + 'static
{
}
impl<F: Fn(&Delivery) -> Result<(), NotifyError> + Send + Sync + 'static> TestNotifier for F {}

/// Records what it sends.
pub(crate) fn recorder(log: &Log) -> impl TestNotifier {
    let log = log.clone();
    move |d: &Delivery| {
        log.lock()
            .unwrap()
            .push(format!("{}: {}", d.target(), d.text()));
        Ok(())
    }
}

/// Records what it sends; fails while `down` is set.
pub(crate) fn switchable(log: &Log, down: &Arc<AtomicBool>) -> impl TestNotifier {
    let (log, down) = (log.clone(), down.clone());
    move |d: &Delivery| -> Result<(), NotifyError> {
        if down.load(Ordering::SeqCst) {
            return Err("connection refused".into());
        }
        log.lock()
            .unwrap()
            .push(format!("{}: {}", d.target(), d.text()));
        Ok(())
    }
}

/// A stage-status body in GoCD's wire form.
pub(crate) fn body(pipeline: &str, pc: u64, stage: &str, sc: u64, state: &str) -> String {
    let result = match state {
        "Passed" | "Failed" | "Cancelled" => state,
        _ => "Unknown",
    };
    serde_json::json!({
        "pipeline": {
            "name": pipeline, "counter": pc.to_string(), "label": pc.to_string(), "group": "g",
            "build-cause": [],
            "stage": {
                "name": stage, "counter": sc.to_string(), "approval-type": "success",
                "approved-by": "changes", "state": state, "result": result,
                "create-time": "2024-05-14T09:22:10.118+0000",
                "last-transition-time": "2024-05-14T09:25:47.201+0000",
                "jobs": []
            }
        }
    })
    .to_string()
}

pub(crate) fn status(pipeline: &str, pc: u64, stage: &str, sc: u64, state: &str) -> StageStatus {
    serde_json::from_str(&body(pipeline, pc, stage, sc, state)).expect("test body parses")
}

/// A path for a SQLite state file `<name>.db` in a new temporary directory.
/// The directory goes, with the file and its `-wal` and `-shm`, when the
/// `TempDir` drops: also when the test panics.
#[cfg(feature = "sqlite")]
pub(crate) fn temp_file(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(format!("{name}.db"));
    (dir, path)
}

static META: Meta = Meta {
    targets: &["ops", "audit"],
    uses_link: false,
    rule_count: 2,
};

/// `on any => send(ops, "{pipeline.name} {stage.state} {transition}");`
/// `on broken => send(audit, "broken");`
pub(crate) fn rules() -> RuleSet {
    RuleSet::__compiled(&META, |ev: &mut Eval<'_>| {
        let text = format!(
            "{} {} {}",
            ev.status.pipeline.name,
            ev.status.pipeline.stage.state,
            ev.transition.map(|t| t.as_str()).unwrap_or("")
        );
        ev.send(0, 0, "ops", text);
        if ev.transition == Some(Transition::Broken) {
            ev.send(1, 0, "audit", "broken".to_owned());
        }
    })
}
