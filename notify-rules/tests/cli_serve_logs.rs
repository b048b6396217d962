//! What `notify-rules serve` logs: every delivery failure (also those that
//! end after the request was answered 504), the warnings at start about an
//! in-memory outbox and an open port without a secret, the deliveries lost at
//! stop, and never a webhook's URL or headers, whatever RUST_LOG says.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc;

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

fn dir(test: &str, config: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "notify-rules-serve-logs-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("r.rules"), RULES).unwrap();
    std::fs::write(dir.join("c.toml"), config).unwrap();
    dir
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

struct Serving {
    child: Child,
    stderr: BufReader<ChildStderr>,
    log: String,
    addr: String,
}

fn serve(dir: &Path, url: &str, rust_log: &str, listen: &str) -> Serving {
    let mut child = Command::new(BIN)
        .args([
            "serve", "--rules", "r.rules", "--config", "c.toml", "--listen", listen,
        ])
        .current_dir(dir)
        .env("RUST_LOG", rust_log)
        .env("NR_LOG_TEST_HOOK", url)
        .env("NR_LOG_TEST_AUTH", AUTH_SECRET)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let (addr, log) = common::wait_for_listening(&mut stderr);
    Serving {
        child,
        stderr,
        log,
        addr,
    }
}

impl Serving {
    fn post(&self, payload: &str) -> (u16, String) {
        let body = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/payloads")
                .join(payload),
        )
        .unwrap();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut resp = agent
            .post(format!("http://{}/stage-status", self.addr))
            .send(&body)
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.body_mut().read_to_string().unwrap())
    }

    /// Stops the server with SIGTERM and returns its whole log.
    fn stop(mut self) -> String {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = self.child.wait().unwrap();
        self.stderr.read_to_string(&mut self.log).unwrap();
        assert!(status.success(), "{status:?}: {}", self.log);
        for secret in [PATH_SECRET, AUTH_SECRET, "s3cr3t"] {
            assert!(
                !self.log.contains(secret),
                "{secret} in the log: {}",
                self.log
            );
        }
        self.log
    }
}

fn warnings(log: &str) -> Vec<&str> {
    log.lines().filter(|l| l.contains(" WARN ")).collect()
}

#[test]
fn failures_are_logged_also_after_a_504_and_the_lost_outbox_at_stop() {
    let d = dir(
        "failures",
        &format!("[server]\nrequest_timeout = \"1s\"\n{HOOK}"),
    );
    let (go, wait) = mpsc::channel();
    let url = receiver(503, wait);
    let server = serve(&d, &url, "info", "127.0.0.1:0");

    // Held by the receiver past the request's time: 504, deliveries go on.
    let (status, answer) = server.post("v4-deploy-failed.json");
    assert_eq!(status, 504, "{answer}");
    go.send(()).unwrap();
    // Answered at once: a plain 502.
    go.send(()).unwrap();
    let (status, answer) = server.post("v4-test-scheduled.json");
    assert_eq!(status, 502, "{answer}");

    let log = server.stop();
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
        warned.iter().any(|l| l.contains("the outbox is in memory")),
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
    let d = dir("trace", HOOK);
    let (go, wait) = mpsc::channel();
    let url = receiver(200, wait);
    let server = serve(&d, &url, "trace", "127.0.0.1:0");
    go.send(()).unwrap();
    assert_eq!(server.post("v4-deploy-failed.json").0, 200);
    // `stop` checks that no secret was logged.
    let log = server.stop();
    // The level asked for is in force for everything else.
    assert!(log.contains(" DEBUG "), "{log}");
    assert!(!log.contains("anyone who can reach"), "{log}");
    assert!(!log.contains("not yet sent are lost"), "{log}");
}

#[test]
fn listening_beyond_loopback_without_a_secret_is_warned() {
    let d = dir("open", HOOK);
    let (_go, wait) = mpsc::channel();
    let url = receiver(200, wait);
    let server = serve(&d, &url, "info", "0.0.0.0:0");
    let log = server.stop();
    assert!(
        warnings(&log)
            .iter()
            .any(|l| l.contains("anyone who can reach this port can post notifications")),
        "{log}"
    );
}
