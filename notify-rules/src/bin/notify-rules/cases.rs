//! `test RULES CASES`: rule tests for CI. Each case runs its notifications in
//! order through a [`Plugin`] of its own with a memory store, so history
//! (`broken`, `fixed`, agents `lost` and `back`) and repeats behave as in
//! `serve`; the deliveries are compared with the case's expectations.
//!
//! The time forms (`steps` with `at`) are read into the same [`Step`]s as
//! `notifications`: a simulated clock goes in [`run_case`], set before each
//! step and read when a delivery is recorded ([`Made::at`]).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use notify_rules::protocol::Tz;
use notify_rules::{Delivery, NotifyError, Plugin, RuleSet};
use serde::Deserialize;

use crate::commands::{check_server_url, load_payload, load_rules, lock, read};

/// What `test` takes.
#[derive(Debug, clap::Args)]
pub(crate) struct TestArgs {
    /// The rule file.
    rules: PathBuf,
    /// The TOML file of cases (`[[case]]` tables).
    cases: PathBuf,
    /// The GoCD server's address, for {link}.
    #[arg(long, value_name = "URL")]
    server_url: Option<String>,
    /// The GoCD server's IANA time zone, for dates written without an offset.
    #[arg(long, value_name = "ZONE", value_parser = notify_rules::protocol::time_zone, default_value = "UTC")]
    time_zone: Tz,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    #[serde(default, rename = "case")]
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// Bodies, relative to the case file, sent in order.
    #[serde(default)]
    notifications: Vec<PathBuf>,
    /// The time forms; read so that a file using them is told they are not
    /// supported yet rather than that the key is unknown.
    steps: Option<toml::Value>,
    #[serde(default)]
    expect: Vec<Expected>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    target: String,
    text: String,
    /// The simulated time of the delivery, with the time forms.
    at: Option<String>,
}

/// One step of a case: a notification to send, at a simulated time once the
/// clock comes (a step with only a time moves the clock).
struct Step {
    notification: PathBuf,
}

/// A delivery a case made.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Made {
    target: String,
    text: String,
    /// The simulated time it was delivered at; `None` without a clock.
    at: Option<String>,
}

impl Made {
    fn show(&self) -> String {
        let mut shown = format!("{}: {}", self.target, self.text.replace('\n', "\\n"));
        if let Some(at) = &self.at {
            let _ = write!(shown, " (at {at})");
        }
        shown
    }
}

pub(crate) fn test(args: &TestArgs) -> ExitCode {
    match run(args) {
        Ok(report) => {
            print!("{}", report.text);
            if report.failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

struct Report {
    text: String,
    failed: usize,
}

fn run(args: &TestArgs) -> Result<Report, String> {
    check_server_url(args.server_url.as_deref())?;
    let rules = load_rules(&args.rules)?;
    let file = load_cases(&args.cases)?;
    let base = args.cases.parent().unwrap_or(Path::new(""));
    let mut text = String::new();
    let mut failed = 0;
    for case in &file.cases {
        let steps = steps(case, &args.cases)?;
        let made = run_case(&rules, args, base, &steps)?;
        let expected: Vec<Made> = case
            .expect
            .iter()
            .map(|e| Made {
                target: e.target.clone(),
                text: e.text.clone(),
                at: e.at.clone(),
            })
            .collect();
        if made == expected {
            let _ = writeln!(text, "ok: {}", case.name);
        } else {
            failed += 1;
            let _ = writeln!(text, "FAIL: {}", case.name);
            side_by_side(&mut text, &expected, &made);
        }
    }
    let n = file.cases.len();
    let _ = writeln!(
        text,
        "{n} case{}: {} passed, {failed} failed",
        if n == 1 { "" } else { "s" },
        n - failed
    );
    Ok(Report { text, failed })
}

fn load_cases(path: &Path) -> Result<CaseFile, String> {
    let text = read(path)?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn steps(case: &Case, path: &Path) -> Result<Vec<Step>, String> {
    if case.steps.is_some() {
        return Err(format!(
            "{}: case `{}`: `steps` (a simulated clock) is not supported by this version; use `notifications`",
            path.display(),
            case.name
        ));
    }
    if let Some(e) = case.expect.iter().find(|e| e.at.is_some()) {
        return Err(format!(
            "{}: case `{}`: the expectation for `{}` has `at`, which needs `steps`, not supported by this version",
            path.display(),
            case.name,
            e.target
        ));
    }
    Ok(case
        .notifications
        .iter()
        .map(|n| Step {
            notification: n.clone(),
        })
        .collect())
}

/// Runs one case's steps through a plugin of its own, so that history is
/// the case's alone; the deliveries of each notification in rule order.
fn run_case(
    rules: &RuleSet,
    args: &TestArgs,
    base: &Path,
    steps: &[Step],
) -> Result<Vec<Made>, String> {
    // Sends to different targets run on different threads: each delivery
    // is kept with its rule and action, and put in rule order.
    type Sent = Vec<(usize, usize, Made)>;
    let sent: Arc<Mutex<Sent>> = Arc::default();
    let mut builder = Plugin::builder(rules.clone()).time_zone(args.time_zone);
    for target in rules.targets() {
        let sent = sent.clone();
        builder = builder.notifier(target, move |d: &Delivery| -> Result<(), NotifyError> {
            let made = Made {
                target: d.target().to_owned(),
                text: d.text().to_owned(),
                at: None,
            };
            lock(&sent).push((d.rule_index(), d.action_index(), made));
            Ok(())
        });
    }
    if let Some(url) = &args.server_url {
        builder = builder.server_url(url);
    }
    let plugin = builder
        .build()
        .map_err(|e| format!("{}: {e}", args.rules.display()))?;
    let mut made = Vec::new();
    for step in steps {
        let path = base.join(&step.notification);
        let notification = load_payload(&path, args.time_zone)?;
        let answer = plugin.answer(notification);
        if let Some(problem) = answer.problems.first() {
            return Err(format!("{}: {problem}", path.display()));
        }
        let mut these = std::mem::take(&mut *lock(&sent));
        these.sort_by_key(|(rule, action, _)| (*rule, *action));
        made.extend(these.into_iter().map(|(_, _, m)| m));
    }
    Ok(made)
}

/// The expected and the actual deliveries in two columns, a `!` on each
/// row where they differ.
fn side_by_side(out: &mut String, expected: &[Made], actual: &[Made]) {
    const NONE: &str = "(nothing)";
    let left: Vec<String> = expected.iter().map(Made::show).collect();
    let right: Vec<String> = actual.iter().map(Made::show).collect();
    let width = left
        .iter()
        .map(|s| s.chars().count())
        .chain([NONE.len(), "expected".len()])
        .max()
        .unwrap_or(0);
    let _ = writeln!(out, "    {:<width$} | actual", "expected");
    for i in 0..left.len().max(right.len()).max(1) {
        let l = left.get(i).map_or(NONE, String::as_str);
        let r = right.get(i).map_or(NONE, String::as_str);
        let mark = if l == r { ' ' } else { '!' };
        let _ = writeln!(out, "  {mark} {l:<width$} | {r}");
    }
}
