//! Two `serve` replicas on one PostgreSQL database, each with its
//! scheduler ticking every second on the real clock: each reminder of
//! `remind(hook, 2s, ...)` is sent once, by one of them, and the fix posted
//! to the other ends them.

use std::time::Duration;

use notify_rules_test_kit::serve::{self, Serving};
use notify_rules_test_kit::{body, postgres, temp_dir_with, Flaky};

const BIN: &str = env!("CARGO_BIN_EXE_notify-rules");

const RULES: &str = "target hook;\n\
    on broken => send(hook, \"{pipeline.name} broke\"),\n\
        remind(hook, 2s, \"{pipeline.name} still red ({reminder})\");\n";

const CONFIG: &str = "[state]\nstore = \"postgres\"\nurl_env = \"T_DB_URL\"\n\
                      [retry]\nattempts = 1\n[outbox]\nflush_interval = \"1s\"\nlease = \"2s\"\n\
                      [targets.hook]\nkind = \"webhook\"\nurl_env = \"T_HOOK_URL\"\n";

#[test]
fn two_replicas_send_each_reminder_once() {
    let Some(db) = postgres::database("notify_rules_time_serve") else {
        return;
    };
    let dir = temp_dir_with(&[("r.rules", RULES), ("c.toml", CONFIG)]);
    let receiver = Flaky::down();
    receiver.set_up(true);
    let replicas: Vec<Serving> = (0..2)
        .map(|_| {
            let mut cmd = serve::command(BIN, dir.path());
            cmd.env("RUST_LOG", "info")
                .env("T_DB_URL", &db)
                .env("T_HOOK_URL", receiver.url());
            Serving::start(cmd)
        })
        .collect();
    let (status, answer) =
        replicas[0].post("/stage-status", body("shop", 1, "deploy", 1, "Failed"));
    assert_eq!(status, 200, "{answer}");
    receiver.wait_for(4, Duration::from_secs(12));
    let (status, _) = replicas[1].post("/stage-status", body("shop", 2, "deploy", 1, "Passed"));
    assert_eq!(status, 200);
    let at_fix = receiver.taken().len();
    std::thread::sleep(Duration::from_millis(4500));
    let texts = receiver.texts();
    assert!(texts.len() <= at_fix + 1, "after the fix: {texts:?}");
    let expected: Vec<String> = std::iter::once("shop broke".to_owned())
        .chain((1..texts.len()).map(|n| format!("shop still red ({n})")))
        .collect();
    assert!(texts.len() >= 4, "{texts:?}");
    assert_eq!(texts, expected, "each reminder once, in order");
    for replica in replicas {
        let stopped = replica.stop();
        assert!(stopped.status.success(), "{}", stopped.log);
    }
}
