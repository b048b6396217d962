//! What `notify-rules serve` logs: every delivery failure (also those that
//! end after the request was answered 504), the warnings at start about an
//! in-memory outbox and an open port without a secret, the deliveries lost at
//! stop, and never a webhook's URL or headers, whatever RUST_LOG says.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;

use notify_rules_test_kit::serve::Serving;
use notify_rules_test_kit::{payload, temp_dir_with};
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_notify-rules");

const RULES: &str = "target hook;\non any => send(hook);\n";

const HOOK: &str = r#"
[retry]
attempts = 1

[targets.hook]
kind = "webhook"
url_env = "NR_LOG_TEST_HOOK"
header_envs = { "Authorization" = "NR_LOG_TEST_AUTH" }
"#;

const PATH_SECRET: &str = "T0/B0/path-s3cr3t";
const AUTH_SECRET: &str = "Bearer auth-s3cr3t";

fn dir(config: &str) -> TempDir {
    temp_dir_with(&[("r.rules", RULES), ("c.toml", config)])
}

/// A webhook receiver on loopback: answers every request with `status`, each
/// one only once `go` lets it. Returns the URL to post to.
fn receiver(status: u16, go: mpsc::Receiver<()>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/services/{PATH_SECRET}",
        listener.local_addr().unwrap()
    );
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream);
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            if go.recv().is_err() {
                return;
            }
            let _ = reader.get_mut().write_all(
                format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
        }
    });
    url
}

fn serve(dir: &Path, url: &str, rust_log: &str, listen: &str) -> Serving {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "serve", "--rules", "r.rules", "--config", "c.toml", "--listen", listen,
    ])
    .current_dir(dir)
    .env("RUST_LOG", rust_log)
    .env("NR_LOG_TEST_HOOK", url)
    .env("NR_LOG_TEST_AUTH", AUTH_SECRET);
    Serving::start(cmd)
}

/// Posts `tests/payloads/<name>` to `/stage-status`.
fn post(server: &Serving, name: &str) -> (u16, String) {
    server.post("/stage-status", payload(name))
}

/// Stops the server with SIGTERM and returns its whole log, which must name
/// no secret.
fn stop(server: Serving) -> String {
    let stopped = server.stop();
    let log = stopped.log;
    assert!(stopped.status.success(), "{:?}: {log}", stopped.status);
    for secret in [PATH_SECRET, AUTH_SECRET, "s3cr3t"] {
        assert!(!log.contains(secret), "{secret} in the log: {log}");
    }
    log
}

fn warnings(log: &str) -> Vec<&str> {
    log.lines().filter(|l| l.contains(" WARN ")).collect()
}

#[test]
fn failures_are_logged_also_after_a_504_and_the_lost_outbox_at_stop() {
    let d = dir(&format!(
        "[server]\nrequest_timeout = \"1s\"\n[state]\nstore = \"memory\"\n{HOOK}"
    ));
    let (go, wait) = mpsc::channel();
    let url = receiver(503, wait);
    let server = serve(d.path(), &url, "info", "127.0.0.1:0");

    // Held by the receiver past the request's time: 504, deliveries go on.
    let (status, answer) = post(&server, "v4-deploy-failed.json");
    assert_eq!(status, 504, "{answer}");
    go.send(()).unwrap();
    // Answered at once: a plain 502.
    go.send(()).unwrap();
    let (status, answer) = post(&server, "v4-test-scheduled.json");
    assert_eq!(status, 502, "{answer}");

    let log = stop(server);
    let warned = warnings(&log);
    assert!(
        warned.iter().any(
            |l| l.contains("not delivered after the request was answered 504")
                && l.contains("target=\"hook\"")
                && l.contains("503")
        ),
        "{log}"
    );
    assert!(
        warned.iter().any(|l| l.contains("not delivered")
            && !l.contains("after the request")
            && l.contains("target=\"hook\"")
            && l.contains("503")),
        "{log}"
    );
    assert!(
        warned.iter().any(|l| l.contains("the state is in memory")),
        "{log}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains(" ERROR ") && l.contains("2 deliveries not yet sent are lost")),
        "{log}"
    );
}

#[test]
fn trace_logs_never_show_the_webhook_url_or_its_headers() {
    let d = dir(HOOK);
    let (go, wait) = mpsc::channel();
    let url = receiver(200, wait);
    let server = serve(d.path(), &url, "trace", "127.0.0.1:0");
    go.send(()).unwrap();
    assert_eq!(post(&server, "v4-deploy-failed.json").0, 200);
    // `stop` checks that no secret was logged.
    let log = stop(server);
    // The level asked for is in force for everything else.
    assert!(log.contains(" DEBUG "), "{log}");
    assert!(!log.contains("anyone who can reach"), "{log}");
    assert!(!log.contains("not yet sent are lost"), "{log}");
}

#[test]
fn listening_beyond_loopback_without_a_secret_is_warned() {
    let d = dir(HOOK);
    let (_go, wait) = mpsc::channel();
    let url = receiver(200, wait);
    let server = serve(d.path(), &url, "info", "0.0.0.0:0");
    let log = stop(server);
    assert!(
        warnings(&log)
            .iter()
            .any(|l| l.contains("anyone who can reach this port can post notifications")),
        "{log}"
    );
}
