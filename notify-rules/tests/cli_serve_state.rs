//! `serve` on its default SQLite store, killed with SIGKILL while deliveries
//! wait on a receiver that answers 500: `outbox list` shows them while it is
//! down, `outbox drop` and `retry` act on them, and after a restart each is
//! delivered exactly once; the same notifications posted again deliver
//! nothing.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use notify_rules_test_kit::serve::{self, Serving};
use notify_rules_test_kit::{body, temp_dir_with, Flaky};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_notify-rules");

const RULES: &str =
    "target hook;\non state Failed => send(hook, \"{pipeline.name} #{pipeline.counter} failed\");\n";

/// One try per request, the outbox tried every second; the state in the
/// default file, `notify-rules.db` beside the configuration.
const CONFIG: &str = "[retry]\nattempts = 1\n[outbox]\nflush_interval = \"1s\"\nlease = \"1s\"\n\
                      [targets.hook]\nkind = \"webhook\"\nurl_env = \"T_HOOK_URL\"\n";

fn serve(dir: &Path, url: &str) -> Serving {
    serve::with_hook(BIN, dir, url)
}

fn outbox(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("outbox")
        .args(args)
        .args(["--config", "c.toml"])
        .current_dir(dir)
        .output()
        .unwrap()
}

fn failed(pc: u64) -> String {
    body("shop", pc, "deploy", 1, "Failed")
}

#[test]
fn a_killed_server_delivers_what_waited_exactly_once_after_a_restart() {
    let dir = temp_dir_with(&[("r.rules", RULES), ("c.toml", CONFIG)]);
    let receiver = Flaky::down();
    let url = receiver.url();
    let server = serve(dir.path(), &url);
    for pc in 1..=4 {
        let (status, answer) = server.post("/stage-status", failed(pc));
        assert_eq!(status, 502, "{answer}");
        assert!(answer.contains("kept in the outbox"), "{answer}");
    }
    let log = server.kill();
    assert!(!log.contains(&url), "the webhook URL in the log: {log}");

    // While it is down, the outbox shows what waits, with no secret in it.
    let listed = outbox(dir.path(), &["list", "--json"]);
    assert!(listed.status.success(), "{listed:?}");
    let text = String::from_utf8(listed.stdout).unwrap();
    assert!(!text.contains(&url), "{text}");
    let entries: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 4, "{text}");
    for e in &entries {
        assert_eq!(e["target"], "hook");
        assert!(e["attempts"].as_u64().unwrap() >= 1, "{e}");
        assert!(e["last_error"].as_str().unwrap().contains("500"), "{e}");
        assert!(e["next_attempt"].as_u64().unwrap() > 0, "{e}");
    }
    let key = |i: usize| entries[i]["key"].as_str().unwrap().to_owned();
    let dropped = outbox(dir.path(), &["drop", &key(3)]);
    assert!(dropped.status.success(), "{dropped:?}");
    let unknown = outbox(dir.path(), &["drop", "no/such/key"]);
    assert_eq!(unknown.status.code(), Some(1), "{unknown:?}");
    // Due now rather than after their backoff.
    let retried = outbox(dir.path(), &["retry", "--all"]);
    assert!(retried.status.success(), "{retried:?}");
    let plain = outbox(dir.path(), &["list"]);
    assert!(String::from_utf8_lossy(&plain.stdout).contains("3 waiting"));

    receiver.set_up(true);
    let server = serve(dir.path(), &url);
    let taken = receiver.wait_for(3, Duration::from_secs(20));
    let mut expected: Vec<String> = (0..3).map(key).collect();
    expected.sort();
    let mut got = taken.clone();
    got.sort();
    assert_eq!(
        got, expected,
        "each waiting delivery once, the dropped one never"
    );

    // The forwarder's retries of the same notifications: repeats.
    for pc in 1..=4 {
        assert_eq!(
            server.post("/stage-status", failed(pc)),
            (200, r#"{"status":"success"}"#.to_owned())
        );
    }
    // A flush or two later, still nothing more.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(receiver.taken().len(), 3, "{:?}", receiver.taken());
    let stopped = server.stop();
    assert!(stopped.status.success(), "{}", stopped.log);
    let listed = outbox(dir.path(), &["list", "--json"]);
    assert_eq!(String::from_utf8(listed.stdout).unwrap(), "");
}
