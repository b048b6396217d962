//! `serve` on the real clock: reminders of `remind(hook, 2s, ...)` arrive,
//! survive a restart with none sent twice, and stop on the fix; silences
//! set with `notify-rules silence` while it runs hold deliveries (counted as
//! `silenced`), `explain --config` says so, and their end lets them through;
//! only a silence of every pipeline holds an agent's deliveries.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use notify_rules_test_kit::serve::{self, Serving};
use notify_rules_test_kit::{body, temp_dir_with, Flaky};

const BIN: &str = env!("CARGO_BIN_EXE_notify-rules");

const RULES: &str = "target hook;\n\
    on stage \"deploy\" broken => send(hook, \"{pipeline.name} broke\"),\n\
        remind(hook, 2s, \"{pipeline.name} still red ({reminder})\");\n\
    on stage \"test\" state Failed => send(hook, \"{pipeline.name}/{stage.name} failed\");\n\
    on agent state LostContact => send(hook, \"{agent.host_name} lost\");\n";

const CONFIG: &str = "[retry]\nattempts = 1\n[outbox]\nflush_interval = \"1s\"\nlease = \"1s\"\n\
                      [targets.hook]\nkind = \"webhook\"\nurl_env = \"T_HOOK_URL\"\n";

fn serve(dir: &Path, url: &str) -> Serving {
    serve::with_hook(BIN, dir, url)
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn text(out: &[u8]) -> String {
    String::from_utf8(out.to_vec()).unwrap()
}

#[test]
fn reminders_arrive_survive_a_restart_and_stop_on_the_fix() {
    let dir = temp_dir_with(&[("r.rules", RULES), ("c.toml", CONFIG)]);
    let receiver = Flaky::down();
    receiver.set_up(true);
    let server = serve(dir.path(), &receiver.url());
    let (status, answer) = server.post("/stage-status", body("shop", 1, "deploy", 1, "Failed"));
    assert_eq!(status, 200, "{answer}");
    receiver.wait_for(2, Duration::from_secs(8));
    assert_eq!(receiver.texts(), ["shop broke", "shop still red (1)"]);
    server.stop();

    // Restarted: the next one comes, and the one sent before is not sent
    // again.
    let server = serve(dir.path(), &receiver.url());
    receiver.wait_for(3, Duration::from_secs(8));
    assert_eq!(
        receiver.texts()[..3],
        ["shop broke", "shop still red (1)", "shop still red (2)"]
    );
    let (status, _) = server.post("/stage-status", body("shop", 2, "deploy", 1, "Passed"));
    assert_eq!(status, 200);
    let at_fix = receiver.taken().len();
    // Two periods and more: nothing after the fix.
    std::thread::sleep(Duration::from_millis(4500));
    let taken = receiver.taken();
    assert!(taken.len() <= at_fix + 1, "{:?}", receiver.texts());
    let mut keys = taken.clone();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), taken.len(), "a key sent twice: {taken:?}");
    // `remind-r<the rule's identity>m<its action>-<n>`.
    assert!(
        taken[1].contains("/remind-r") && taken[1].ends_with("m0-1"),
        "{taken:?}"
    );
    server.stop();
}

#[test]
fn a_silence_holds_deliveries_while_it_lasts_and_is_counted() {
    let dir = temp_dir_with(&[
        ("r.rules", RULES),
        ("c.toml", CONFIG),
        ("failed.json", &body("shop", 1, "test", 1, "Failed")),
    ]);
    let receiver = Flaky::down();
    receiver.set_up(true);
    let server = serve(dir.path(), &receiver.url());

    let added = run(
        dir.path(),
        &[
            "silence",
            "add",
            "--config",
            "c.toml",
            "--pipeline",
            "sh*",
            "--stage",
            "test",
            "--for",
            "1h",
            "--comment",
            "flaky tests",
        ],
    );
    assert!(added.status.success(), "{added:?}");
    let id = text(&added.stdout);
    assert_eq!(
        id.trim().parse::<u64>().unwrap().to_string() + "\n",
        id,
        "the id alone"
    );
    let id = id.trim();

    let listed = run(dir.path(), &["silence", "list", "--config", "c.toml"]);
    let listed = text(&listed.stdout);
    assert!(
        listed.starts_with(&format!("{id}  pipeline sh*  stage test  target *  until ")),
        "{listed}"
    );
    assert!(listed.ends_with("  flaky tests\n1 active\n"), "{listed}");

    let explained = run(
        dir.path(),
        &["explain", "r.rules", "failed.json", "--config", "c.toml"],
    );
    let explained = text(&explained.stdout);
    assert!(
        explained.contains(&format!(
            "  hook: shop/test failed\n    silenced: not sent while silence {id} lasts (until "
        )),
        "{explained}"
    );

    let (status, answer) = server.post("/stage-status", body("shop", 1, "test", 1, "Failed"));
    assert_eq!((status, answer.as_str()), (200, r#"{"status":"success"}"#));
    let (_, metrics) = server.get("/metrics");
    assert!(
        metrics.contains(r#"notify_rules_deliveries_total{target="hook",outcome="silenced"} 1"#),
        "{metrics}"
    );

    let expired = run(dir.path(), &["silence", "expire", "--config", "c.toml", id]);
    assert!(expired.status.success(), "{expired:?}");
    assert_eq!(text(&expired.stdout), format!("silence {id} expired\n"));
    let again = run(dir.path(), &["silence", "expire", "--config", "c.toml", id]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        text(&again.stderr),
        format!("notify-rules: no active silence has the id {id}\n")
    );

    server.post("/stage-status", body("shop", 2, "test", 1, "Failed"));
    assert_eq!(receiver.texts(), ["shop/test failed"]);
    let listed = run(dir.path(), &["silence", "list", "--config", "c.toml"]);
    assert_eq!(text(&listed.stdout), "0 active\n");
    server.stop();
}

#[test]
fn only_a_silence_of_every_pipeline_holds_an_agents_delivery() {
    let agent = r#"{"uuid":"0b9e","host_name":"agent-7","agent_state":"LostContact",
        "build_state":"Unknown","agent_config_state":"Enabled",
        "transition_time":"2025-01-06T09:00:00.000+0000"}"#;
    let dir = temp_dir_with(&[
        ("r.rules", RULES),
        ("c.toml", CONFIG),
        ("agent.json", agent),
    ]);
    let receiver = Flaky::down();
    receiver.set_up(true);
    let server = serve(dir.path(), &receiver.url());
    let add = |pipeline: &str| {
        let args = [
            "silence",
            "add",
            "--config",
            "c.toml",
            "--pipeline",
            pipeline,
        ];
        let out = run(
            dir.path(),
            &[&args[..], &["--for", "1h", "--comment", "upgrade"]].concat(),
        );
        assert!(out.status.success(), "{out:?}");
        text(&out.stdout).trim().to_owned()
    };
    let explain = || {
        let args = ["explain", "r.rules", "agent.json", "--config", "c.toml"];
        text(&run(dir.path(), &args).stdout)
    };
    // About the shop pipelines' runs: the agent's delivery goes through.
    add("sh*");
    let explained = explain();
    assert!(explained.ends_with("  hook: agent-7 lost\n"), "{explained}");

    let id = add("*");
    let explained = explain();
    assert!(
        explained.contains(&format!(
            "  hook: agent-7 lost\n    silenced: not sent while silence {id} lasts (until "
        )),
        "{explained}"
    );
    let (status, answer) = server.post("/agent-status", agent);
    assert_eq!((status, answer.as_str()), (200, r#"{"status":"success"}"#));
    let (_, metrics) = server.get("/metrics");
    assert!(
        metrics.contains(r#"notify_rules_deliveries_total{target="hook",outcome="silenced"} 1"#),
        "{metrics}"
    );
    assert!(receiver.texts().is_empty());
    server.stop();
}
