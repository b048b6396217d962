//! The sample bodies in `tests/payloads/`, found from whichever package's test
//! asks (the path is the kit's own, not the caller's working directory).

use std::fs;
use std::path::{Path, PathBuf};

use notify_rules::model::{AgentStatus, StageStatus};
use notify_rules::protocol::{parse_notification, Notification, Received};

/// `tests/payloads/`.
pub fn payload_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../payloads")
}

/// `tests/payloads/<name>`.
pub fn payload_path(name: &str) -> PathBuf {
    payload_dir().join(name)
}

/// The text of `tests/payloads/<name>`.
pub fn payload(name: &str) -> String {
    let path = payload_path(name);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text of `tests/payloads/bad/<name>`, a body that must not be read.
pub fn bad_payload(name: &str) -> String {
    payload(&format!("bad/{name}"))
}

/// Every `tests/payloads/*.json` (not those in `bad/`), as `(file name, text)`,
/// in the order of their names.
pub fn payloads() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = fs::read_dir(payload_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let text = payload(&name);
            (name, text)
        })
        .collect();
    out.sort();
    out
}

/// `tests/payloads/<name>` read by the protocol (raw or wrapped).
pub fn read(name: &str) -> Received {
    parse_notification(&payload(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `tests/payloads/<name>`, which must be a stage-status body.
pub fn stage(name: &str) -> StageStatus {
    match read(name).notification {
        Notification::Stage(s) => s,
        other => panic!("{name} is not a stage-status body: {other:?}"),
    }
}

/// `tests/payloads/<name>`, which must be an agent-status body.
pub fn agent(name: &str) -> AgentStatus {
    match read(name).notification {
        Notification::Agent(a) => a,
        other => panic!("{name} is not an agent-status body: {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payloads_are_found_from_the_kit() {
        let all = payloads();
        assert!(all.iter().any(|(name, _)| name == "v4-deploy-failed.json"));
        assert!(all.windows(2).all(|w| w[0].0 < w[1].0), "sorted by name");
        assert_eq!(stage("v4-deploy-failed.json").pipeline.name, "deploy-app");
        assert!(bad_payload("truncated.json").len() > 1);
    }
}
