//! The `notify-rules serve` program under test: started, posted to, and
//! stopped with SIGTERM. Only `notify-rules/tests/` knows where the program
//! is (`CARGO_BIN_EXE_notify-rules`), so the caller builds the command.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};

/// `bin serve` (`bin` is `env!("CARGO_BIN_EXE_notify-rules")`) of the rules
/// `r.rules` with the configuration `c.toml`, both in `dir` (where it runs),
/// on a free port of 127.0.0.1: the layout every test of a served
/// configuration uses. The caller adds its environment.
pub fn command(bin: &str, dir: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.args([
        "serve",
        "--rules",
        "r.rules",
        "--config",
        "c.toml",
        "--listen",
        "127.0.0.1:0",
    ])
    .current_dir(dir);
    cmd
}

/// [`command`] started, logging at `info`, with the webhook address `url`
/// in `T_HOOK_URL` (a configuration's `url_env` for its one webhook target).
pub fn with_hook(bin: &str, dir: &Path, url: &str) -> Serving {
    let mut cmd = command(bin, dir);
    cmd.env("RUST_LOG", "info").env("T_HOOK_URL", url);
    Serving::start(cmd)
}

/// A running server: its address and what it has logged so far.
pub struct Serving {
    child: Child,
    stderr: BufReader<ChildStderr>,
    /// The log read so far (standard error).
    pub log: String,
    /// Where it listens, as `host:port`.
    pub addr: String,
}

/// A server that has stopped.
pub struct Stopped {
    pub status: ExitStatus,
    /// Its whole log (standard error).
    pub log: String,
    /// Its standard output.
    pub stdout: String,
}

impl Serving {
    /// Spawns `serve` (with its standard output and error piped) and waits
    /// until it says where it listens. Fails the test if it ends first.
    pub fn start(mut serve: Command) -> Serving {
        let mut child = serve
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the program starts");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let (addr, log) = wait_for_listening(&mut stderr);
        Serving {
            child,
            stderr,
            log,
            addr,
        }
    }

    /// POSTs `body` to `path` (`/stage-status`, …): status and answer.
    pub fn post(&self, path: &str, body: impl AsRef<[u8]>) -> (u16, String) {
        crate::post(&format!("http://{}{path}", self.addr), body)
    }

    /// GETs `path` (`/readyz`, `/metrics`): status and answer.
    pub fn get(&self, path: &str) -> (u16, String) {
        crate::get(&format!("http://{}{path}", self.addr))
    }

    /// GETs `path` with these headers: status, `Content-Type` and answer.
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
        crate::get_with(&format!("http://{}{path}", self.addr), headers)
    }

    /// Sends `signal` (`HUP`, …) to the program.
    pub fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{signal}");
    }

    /// Reads the log until a line contains `needle` (or the program ends,
    /// which fails the test); returns the lines read meanwhile.
    pub fn log_until(&mut self, needle: &str) -> String {
        let mut read = String::new();
        loop {
            let mut line = String::new();
            assert_ne!(
                self.stderr.read_line(&mut line).unwrap(),
                0,
                "the server ended before logging {needle:?}: {}{read}",
                self.log
            );
            read.push_str(&line);
            if line.contains(needle) {
                self.log.push_str(&read);
                return read;
            }
        }
    }

    /// Sends SIGTERM and waits for the program to end.
    pub fn stop(mut self) -> Stopped {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = self.child.wait().unwrap();
        self.stderr.read_to_string(&mut self.log).unwrap();
        let mut stdout = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        Stopped {
            status,
            log: std::mem::take(&mut self.log),
            stdout,
        }
    }
}

impl Serving {
    /// Kills the program with SIGKILL, as a crash or `kill -9` would: no
    /// shutdown, nothing flushed. Returns its log.
    pub fn kill(mut self) -> String {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let mut rest = String::new();
        let _ = self.stderr.read_to_string(&mut rest);
        self.log.push_str(&rest);
        std::mem::take(&mut self.log)
    }
}

impl Drop for Serving {
    /// A test that fails before `stop` leaves no server behind.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the server's log (human or JSON) until it says where it listens; returns that address
/// and the log read so far. Fails the test if the server ends first.
pub fn wait_for_listening(stderr: &mut impl BufRead) -> (String, String) {
    let mut log = String::new();
    loop {
        let mut line = String::new();
        assert_ne!(
            stderr.read_line(&mut line).unwrap(),
            0,
            "the server ended before listening: {log}"
        );
        log.push_str(&line);
        if let Some(at) = line.find("addr=") {
            return (line[at + 5..].trim().to_owned(), log);
        }
        // `--log-format json`: the same field in an object.
        if let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) {
            if let Some(addr) = event["fields"]["addr"].as_str() {
                return (addr.to_owned(), log);
            }
        }
    }
}
