//! `check`, `explain` and `run`: one rule file, one notification, no server.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, MutexGuard};

use notify_rules::deliver::Console;
use notify_rules::protocol::{self, Notification, Reader, Tz};
use notify_rules::{Delivery, Notifier, NotifyError, Plugin, RuleSet};

/// What `explain` and `run` take.
#[derive(Debug, clap::Args)]
pub(crate) struct Inputs {
    /// The rule file.
    rules: std::path::PathBuf,
    /// A GoCD notification body (raw, or in a {"type","data"} wrapper).
    payload: std::path::PathBuf,
    /// The GoCD server's address, for {link}.
    #[arg(long, value_name = "URL")]
    server_url: Option<String>,
    /// The GoCD server's IANA time zone (such as Europe/Berlin), for dates
    /// written without an offset, as Gson's default format is.
    #[arg(long, value_name = "ZONE", value_parser = protocol::time_zone, default_value = "UTC")]
    time_zone: Tz,
}

/// What `explain` takes: the inputs of `run`, and the configuration whose
/// state store holds silences.
#[derive(Debug, clap::Args)]
pub(crate) struct ExplainArgs {
    #[command(flatten)]
    inputs: Inputs,
    /// The TOML configuration naming the state store: each delivery an
    /// active silence would hold is marked with it.
    #[arg(long, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
}

/// Reads a file, or says which one could not be read.
pub(crate) fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))
}

/// Loads a rule file; the error is every problem rendered `path:line:col:`.
pub(crate) fn load_rules(path: &Path) -> Result<RuleSet, String> {
    let text = read(path)?;
    RuleSet::parse(&text).map_err(|e| {
        let n = e.len();
        format!(
            "{}{}: {n} error{}",
            e.render_check(&path.display().to_string()),
            path.display(),
            if n == 1 { "" } else { "s" }
        )
    })
}

/// A console line, with the rule and action that made it.
type Printed = (usize, usize, Vec<u8>);

/// A writer whose bytes can be taken back, for a `Console` line.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        lock(&self.0).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A lock that a panicking notifier thread cannot poison for the rest.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(crate) fn check(files: &[impl AsRef<Path>]) -> ExitCode {
    let mut failed = false;
    let mut out = std::io::stdout().lock();
    for path in files {
        let path = path.as_ref();
        match load_rules(path) {
            Ok(rules) => {
                let _ = writeln!(
                    out,
                    "{}: ok, {}",
                    path.display(),
                    plural(rules.len(), "rule", "rules")
                );
            }
            Err(report) => {
                failed = true;
                let _ = writeln!(out, "{report}");
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Reads a notification, raw or wrapped; each field that could not be read is
/// said on standard error, as the server logs it.
pub(crate) fn load_payload(path: &Path, zone: Tz) -> Result<Notification, String> {
    let body = read(path)?;
    let read = Reader::new()
        .time_zone(zone)
        .notification(&body)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    for field in &read.unreadable {
        eprintln!("warning: {}: {field}", path.display());
    }
    Ok(read.value.notification)
}

/// Checks `--server-url` without ever quoting it: it goes into every `{link}`,
/// so credentials, a query or a fragment in it would be printed with each
/// message (and a URL with them in it is a secret itself).
pub(crate) fn check_server_url(url: Option<&str>) -> Result<(), String> {
    match url.and_then(notify_rules::plugin::server_url_problem) {
        None => Ok(()),
        Some(problem) => Err(format!(
            "--server-url {problem}: give the GoCD server's address only, such as https://gocd.example.com"
        )),
    }
}

/// The rules, the notification and a usable server address for `explain` and
/// `run`; every problem is printed before giving up.
fn load_inputs(inputs: &Inputs) -> Result<(RuleSet, Notification), ExitCode> {
    if let Err(e) = check_server_url(inputs.server_url.as_deref()) {
        eprintln!("{e}");
        return Err(ExitCode::FAILURE);
    }
    match (
        load_rules(&inputs.rules),
        load_payload(&inputs.payload, inputs.time_zone),
    ) {
        (Ok(r), Ok(p)) => Ok((r, p)),
        (r, p) => {
            for e in [r.err(), p.err()].into_iter().flatten() {
                eprintln!("{e}");
            }
            Err(ExitCode::FAILURE)
        }
    }
}

pub(crate) fn explain(args: &ExplainArgs) -> ExitCode {
    let inputs = &args.inputs;
    let (rules, notification) = match load_inputs(inputs) {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    let silences = match args
        .config
        .as_deref()
        .map(crate::silence::active)
        .transpose()
    {
        Ok(silences) => silences.unwrap_or_default(),
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let server_url = inputs.server_url.as_deref();
    // Rules loaded from text always explain themselves; `None` is only for
    // compiled ones.
    let (why, deliveries) = match &notification {
        Notification::Stage(status) => (
            rules.explain(status).unwrap_or_default(),
            rules.evaluate_with(status, None, server_url),
        ),
        Notification::Agent(agent) => (
            rules.explain_agent(agent).unwrap_or_default(),
            rules.evaluate_agent_with(agent, None, server_url),
        ),
        Notification::EmptyAgent => {
            say!(
                "{}: an agent-status notification with no fields (the getsentry forwarder drops them); nothing to evaluate",
                inputs.payload.display()
            );
            return ExitCode::SUCCESS;
        }
    };
    let mut out = std::io::stdout().lock();
    for why in why {
        let _ = writeln!(out, "{why}");
    }
    match deliveries.len() {
        0 => {
            let _ = writeln!(out, "no deliveries");
        }
        n => {
            let _ = writeln!(out, "{}:", plural(n, "delivery", "deliveries"));
            for d in &deliveries {
                let _ = writeln!(out, "  {}: {}", d.target(), d.text());
                if let Some(s) = crate::silence::holding(&silences, d) {
                    let _ = writeln!(out, "    {s}");
                }
            }
        }
    }
    ExitCode::SUCCESS
}

pub(crate) fn run(inputs: &Inputs) -> ExitCode {
    let (rules, notification) = match load_inputs(inputs) {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    // The plugin sends to different targets on different threads; lines are
    // gathered and printed in rule order, as the rules read.
    let printed: Arc<Mutex<Vec<Printed>>> = Arc::default();
    let mut builder = Plugin::builder(rules.clone());
    for target in rules.targets() {
        let printed = printed.clone();
        builder = builder.notifier(target, move |d: &Delivery| -> Result<(), NotifyError> {
            let line = Buffer::default();
            Console::to_writer(line.clone()).send(d)?;
            let line = std::mem::take(&mut *lock(&line.0));
            lock(&printed).push((d.rule_index(), d.action_index(), line));
            Ok(())
        });
    }
    if let Some(url) = &inputs.server_url {
        builder = builder.server_url(url);
    }
    let plugin = match builder.time_zone(inputs.time_zone).build() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{}: {e}", inputs.rules.display());
            return ExitCode::FAILURE;
        }
    };
    let answer = plugin.handle_notification(notification);
    let mut lines = std::mem::take(&mut *lock(&printed));
    lines.sort_by_key(|(rule, action, _)| (*rule, *action));
    let mut out = std::io::stdout().lock();
    for (_, _, line) in &lines {
        if let Err(e) = out.write_all(line) {
            eprintln!("cannot write to standard output: {e}");
            return ExitCode::FAILURE;
        }
    }
    if lines.is_empty() && answer.code == 200 {
        let _ = writeln!(out, "no deliveries");
    }
    drop(out);
    if answer.code == 200 && answer.body == protocol::PluginResponse::success().body {
        ExitCode::SUCCESS
    } else {
        eprintln!("{}", answer.body);
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::check_server_url;

    #[test]
    fn server_urls_with_secrets_are_refused_without_being_quoted() {
        for (url, says) in [
            ("https://ci:s3cret@gocd.example.com", "user or password"),
            ("https://ci@gocd.example.com", "user or password"),
            ("https://gocd.example.com/go?token=s3cret", "query"),
            ("https://gocd.example.com/#s3cret", "fragment"),
            ("ci:s3cret@gocd.example.com", "https://"),
            ("", "https://"),
        ] {
            let err = check_server_url(Some(url)).unwrap_err();
            assert!(err.starts_with("--server-url must"), "{err}");
            assert!(err.contains(says), "{url}: {err}");
            assert!(!err.contains("s3cret") && !err.contains("ci@"), "{err}");
        }
        for ok in [
            None,
            Some("https://gocd.example.com"),
            Some("http://127.0.0.1:8153/"),
        ] {
            assert_eq!(check_server_url(ok), Ok(()), "{ok:?}");
        }
    }
}
