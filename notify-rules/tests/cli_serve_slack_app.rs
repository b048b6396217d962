//! `kind = "slack-app"` through `notify-rules serve`, against a fake of
//! Slack's Web API on 127.0.0.1: one message per pipeline run in each
//! `per_run` mode, across a restart (SQLite) and across two replicas on
//! one PostgreSQL database; 429s waited out; a refused token kept in the
//! outbox, reported, not tried in a loop, and sent after `outbox retry`;
//! the token in no log, answer or `outbox list`.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use notify_rules_test_kit::serve::{self, Serving};
use notify_rules_test_kit::slack::FakeSlack;
use notify_rules_test_kit::{body, messages, postgres, temp_dir_with};

const BIN: &str = env!("CARGO_BIN_EXE_notify-rules");
const TOKEN: &str = "xoxb-1111-2222-s3cr3tT0ken";

const RULES: &str = "target update, thread, off;\n\
    on any => send(update, \"{pipeline.name} #{pipeline.counter} {stage.name} {stage.state}\"),\n\
              send(thread, \"{pipeline.name} #{pipeline.counter} {stage.name} {stage.state} {transition}\"),\n\
              send(off, \"{pipeline.name} #{pipeline.counter} {stage.name} {stage.state}\");\n";

fn target(name: &str, channel: &str, per_run: &str) -> String {
    format!(
        "[targets.{name}]\nkind = \"slack-app\"\ntoken_env = \"T_SLACK_TOKEN\"\n\
         channel = \"{channel}\"\napi_url_placeholder\nper_run = \"{per_run}\"\n"
    )
}

/// The three modes, each in its channel; the state in `notify-rules.db`.
fn config(api: &str) -> String {
    let targets = [
        target("update", "CUPDATE", "update"),
        target("thread", "CTHREAD", "thread"),
        target("off", "COFF", "off"),
    ]
    .concat();
    format!(
        "[outbox]\nflush_interval = \"1s\"\n{}",
        targets.replace("api_url_placeholder", &format!("api_url = \"{api}\""))
    )
}

fn serve(dir: &Path, envs: &[(&str, &str)]) -> Serving {
    let mut cmd = serve::command(BIN, dir);
    cmd.env("RUST_LOG", "debug").env("T_SLACK_TOKEN", TOKEN);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    Serving::start(cmd)
}

fn outbox(dir: &Path, envs: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("outbox")
        .args(args)
        .args(["--config", "c.toml"])
        .current_dir(dir);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn post_ok(server: &Serving, b: String) {
    let (status, answer) = server.post("/stage-status", b);
    assert_eq!(status, 200, "{answer}");
    assert!(!answer.contains(TOKEN), "{answer}");
}

fn texts(fake: &FakeSlack, channel: &str) -> Vec<String> {
    fake.messages(channel).into_iter().map(|m| m.text).collect()
}

#[test]
fn each_mode_makes_what_it_says_across_a_restart() {
    let fake = FakeSlack::start(TOKEN, &["CUPDATE", "CTHREAD", "COFF"]);
    let dir = temp_dir_with(&[("r.rules", RULES), ("c.toml", &config(&fake.url()))]);
    let server = serve(dir.path(), &[]);
    post_ok(&server, body("shop", 1, "test", 1, "Building"));
    post_ok(&server, body("shop", 1, "test", 1, "Failed"));
    let stopped = server.stop();
    assert!(!stopped.log.contains(TOKEN), "{}", stopped.log);

    // The same messages after a restart.
    let server = serve(dir.path(), &[]);
    post_ok(&server, body("shop", 1, "test", 2, "Building"));
    post_ok(&server, body("shop", 2, "test", 1, "Passed"));
    let stopped = server.stop();
    assert!(!stopped.log.contains(TOKEN), "{}", stopped.log);

    // update: one message per run, with the latest text.
    assert_eq!(
        texts(&fake, "CUPDATE"),
        ["shop #1 test Building", "shop #2 test Passed"]
    );
    assert_eq!(fake.messages("CUPDATE")[0].edits, 2);

    // thread: a parent per run, kept current, and the replies in it; the
    // one about `broken` also shown in the channel.
    let parents = fake.messages("CTHREAD");
    assert_eq!(parents.len(), 2, "{parents:?}");
    assert_eq!(parents[0].text, "shop #1 test Building ");
    let replies = fake.replies("CTHREAD", &parents[0].ts);
    let shown: Vec<(&str, bool)> = replies
        .iter()
        .map(|m| (m.text.as_str(), m.broadcast))
        .collect();
    assert_eq!(
        shown,
        [
            ("shop #1 test Failed broken", true),
            ("shop #1 test Building ", false)
        ]
    );
    assert_eq!(parents[0].edits, 2);
    assert!(fake.replies("CTHREAD", &parents[1].ts).is_empty());

    // off: a message each.
    assert_eq!(texts(&fake, "COFF").len(), 4);

    // Every call carried the token, and spaced calls to one channel.
    let calls = fake.calls();
    assert!(calls
        .iter()
        .all(|c| c.authorization == format!("Bearer {TOKEN}")));
    let update: Vec<_> = calls
        .iter()
        .filter(|c| c.body["channel"] == "CUPDATE")
        .collect();
    for pair in update.windows(2) {
        assert!(
            pair[1].at.duration_since(pair[0].at) >= Duration::from_millis(900),
            "calls to one channel less than a second apart"
        );
    }
}

const ONE: &str =
    "target ops;\non any => send(ops, \"{pipeline.name} #{pipeline.counter} {stage.state}\");\n";

#[test]
fn a_429_is_waited_out_and_a_refused_token_is_kept_until_retried() {
    let fake = FakeSlack::start(TOKEN, &["COPS"]);
    let config = format!(
        "[retry]\nattempts = 3\nmax_total = \"8s\"\n[outbox]\nflush_interval = \"1s\"\n\
         [targets.ops]\nkind = \"slack-app\"\ntoken_env = \"T_SLACK_TOKEN\"\nchannel = \"COPS\"\n\
         api_url = \"{}\"\nper_run = \"update\"\n",
        fake.url()
    );
    let dir = temp_dir_with(&[("r.rules", ONE), ("c.toml", &config)]);
    let server = serve(dir.path(), &[]);

    fake.rate_limit(1);
    post_ok(&server, body("api", 1, "build", 1, "Building"));
    let calls = fake.calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls[1].at.duration_since(calls[0].at) >= Duration::from_millis(950));
    assert_eq!(texts(&fake, "COPS"), ["api #1 Building"]);

    // A token Slack refuses: reported, kept, not tried again by itself.
    fake.refuse(Some("invalid_auth"));
    let (status, answer) = server.post("/stage-status", body("api", 2, "build", 1, "Building"));
    assert_eq!(status, 502, "{answer}");
    let said = messages(&answer).join("\n");
    assert!(
        said.contains("invalid_auth") && said.contains("kept"),
        "{said}"
    );
    assert!(!said.contains(TOKEN), "{said}");
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(fake.calls().len(), 3, "a held delivery was tried again");
    let listed = outbox(dir.path(), &[("T_SLACK_TOKEN", TOKEN)], &["list", "--json"]);
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert!(
        listed.contains("invalid_auth") && listed.contains("outbox retry"),
        "{listed}"
    );
    assert!(!listed.contains(TOKEN), "{listed}");

    // The operator mends the token and retries: the message goes out.
    fake.refuse(None);
    let retried = outbox(dir.path(), &[("T_SLACK_TOKEN", TOKEN)], &["retry", "--all"]);
    assert!(retried.status.success());
    assert!(fake.wait_until(Duration::from_secs(5), |f| f.messages("COPS").len() == 2));
    assert_eq!(texts(&fake, "COPS"), ["api #1 Building", "api #2 Building"]);
    let stopped = server.stop();
    assert!(!stopped.log.contains(TOKEN), "{}", stopped.log);
    let listed = outbox(dir.path(), &[("T_SLACK_TOKEN", TOKEN)], &["list", "--json"]);
    assert!(listed.stdout.is_empty(), "{listed:?}");
}

#[test]
fn two_replicas_on_postgres_make_one_message_per_run() {
    let Some(db) = postgres::database("notify_rules_slack_app") else {
        return;
    };
    let fake = FakeSlack::start(TOKEN, &["CUPDATE", "CTHREAD", "COFF"]);
    // Slow answers: the second replica asks while the first still posts.
    fake.delay(Duration::from_millis(400));
    let config = config(&fake.url()).replace(
        "[outbox]",
        "[state]\nstore = \"postgres\"\nurl_env = \"T_DB_URL\"\n[outbox]",
    );
    let dir = temp_dir_with(&[("r.rules", RULES), ("c.toml", &config)]);
    let envs = [("T_DB_URL", db.as_str())];
    let replicas = [serve(dir.path(), &envs), serve(dir.path(), &envs)];
    for pc in 1..=2 {
        // Two stages of one run, each to a replica, at once.
        std::thread::scope(|s| {
            for (replica, stage) in replicas.iter().zip(["lint", "test"]) {
                s.spawn(move || {
                    let (status, answer) =
                        replica.post("/stage-status", body("web", pc, stage, 1, "Building"));
                    assert!(status == 200 || status == 502, "{answer}");
                });
            }
        });
    }
    // What could not wait for the other's message is sent from the outbox.
    let done = fake.wait_until(Duration::from_secs(20), |f| {
        f.messages("COFF").len() == 4
            && f.messages("CUPDATE").iter().all(|m| m.edits == 1)
            && f.messages("CTHREAD")
                .iter()
                .all(|m| f.replies("CTHREAD", &m.ts).len() == 1)
    });
    assert!(done, "{:?}", fake.calls());
    assert_eq!(fake.messages("CUPDATE").len(), 2);
    assert_eq!(fake.messages("CTHREAD").len(), 2);
    for r in replicas {
        let log = r.stop().log;
        assert!(!log.contains(TOKEN), "{log}");
    }
}
