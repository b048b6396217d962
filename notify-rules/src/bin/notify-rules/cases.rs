//! `test RULES CASES`: rule tests for CI. Each case runs its notifications in
//! order through a [`Plugin`] of its own with a memory store, so history
//! (`broken`, `fixed`, agents `lost` and `back`) and repeats behave as in
//! `serve`; the deliveries are compared with the case's expectations.
//!
//! The time forms (`steps` with `at`) are read into the same [`Step`]s as
//! `notifications`: a case with `steps` runs on a simulated clock, moved to
//! each step's time through every reminder and digest due on the way (each
//! sent at its own time), and read when a delivery is recorded
//! ([`Made::at`]).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use notify_rules::protocol::Tz;
use notify_rules::time::SimulatedClock;
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
    /// The time forms: notifications at simulated times, and times alone.
    steps: Option<Vec<TimedStep>>,
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

/// A step of `steps`: a time, and a notification sent then.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimedStep {
    at: String,
    notification: Option<PathBuf>,
}

/// One step of a case: a notification to send, at a simulated time with
/// `steps` (a step with only a time moves the clock).
struct Step {
    /// Milliseconds since 1970 on the simulated clock.
    at: Option<i64>,
    notification: Option<PathBuf>,
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
    /// Whether this expectation is met by `made`: an expectation without
    /// `at` takes a delivery at any time.
    fn takes(&self, made: &Made) -> bool {
        self.target == made.target
            && self.text == made.text
            && (self.at.is_none() || self.at == made.at)
    }

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
        let expected = expected(case, &args.cases)?;
        if matches(&expected, &made) {
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
    let Some(timed) = &case.steps else {
        if let Some(e) = case.expect.iter().find(|e| e.at.is_some()) {
            return Err(format!(
                "{}: case `{}`: the expectation for `{}` has `at`, which needs `steps` (a simulated clock) instead of `notifications`",
                path.display(),
                case.name,
                e.target
            ));
        }
        return Ok(case
            .notifications
            .iter()
            .map(|n| Step {
                at: None,
                notification: Some(n.clone()),
            })
            .collect());
    };
    if !case.notifications.is_empty() {
        return Err(format!(
            "{}: case `{}`: has both `notifications` and `steps`; put the notifications in the steps",
            path.display(),
            case.name
        ));
    }
    let mut steps = Vec::with_capacity(timed.len());
    let mut last = i64::MIN;
    for (i, step) in timed.iter().enumerate() {
        let place = || format!("{}: case `{}`: step {}", path.display(), case.name, i + 1);
        let at = instant(&step.at).map_err(|e| format!("{}: {e}", place()))?;
        if at < last {
            return Err(format!(
                "{}: `at = \"{}\"` is before the step above it: the clock only moves forward",
                place(),
                step.at
            ));
        }
        last = at;
        steps.push(Step {
            at: Some(at),
            notification: step.notification.clone(),
        });
    }
    Ok(steps)
}

/// An RFC 3339 time (`2025-01-06T09:00:00Z`, or with an offset) as
/// milliseconds since 1970.
fn instant(text: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|e| format!("`at = \"{text}\"` is not a time like \"2025-01-06T09:00:00Z\": {e}"))
}

/// A simulated time as the report shows it, and as `at` is compared.
fn show_instant(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// The case's expectations, their `at` written as the report writes times.
fn expected(case: &Case, path: &Path) -> Result<Vec<Made>, String> {
    case.expect
        .iter()
        .map(|e| {
            let at = match &e.at {
                Some(at) => {
                    Some(show_instant(instant(at).map_err(|m| {
                        format!("{}: case `{}`: {m}", path.display(), case.name)
                    })?))
                }
                None => None,
            };
            Ok(Made {
                target: e.target.clone(),
                text: e.text.clone(),
                at,
            })
        })
        .collect()
}

/// Whether the deliveries are the expected ones, in order; an expectation
/// without `at` takes a delivery at any time.
fn matches(expected: &[Made], made: &[Made]) -> bool {
    expected.len() == made.len() && expected.iter().zip(made).all(|(e, m)| e.takes(m))
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
    let first = steps.iter().find_map(|s| s.at);
    let clock = first.map(SimulatedClock::at_ms);
    let mut builder = Plugin::builder(rules.clone()).time_zone(args.time_zone);
    if let Some(clock) = &clock {
        builder = builder.clock(clock.clone());
    }
    for target in rules.targets() {
        let sent = sent.clone();
        let clock = clock.clone();
        builder = builder.notifier(target, move |d: &Delivery| -> Result<(), NotifyError> {
            let made = Made {
                target: d.target().to_owned(),
                text: d.text().to_owned(),
                at: clock.as_ref().map(|c| show_instant(c.now_ms())),
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
    // What a notification or a tick sent, in rule order (targets are
    // served on threads of their own).
    let take = |made: &mut Vec<Made>| {
        let mut these = std::mem::take(&mut *lock(&sent));
        these.sort_by(|a, b| (a.0, a.1, &a.2.target).cmp(&(b.0, b.1, &b.2.target)));
        made.extend(these.into_iter().map(|(_, _, m)| m));
    };
    for step in steps {
        if let (Some(clock), Some(at)) = (&clock, step.at) {
            // Every reminder and digest due on the way, each at its time.
            // Bounded: a case of 2-second reminders over a year is a mistake.
            for _ in 0..MAX_TICKS {
                let Some(due) = plugin.next_due().map_err(|e| e.to_string())? else {
                    break;
                };
                let due = since_1970(due);
                if due > at {
                    break;
                }
                clock.set_ms(due.max(clock.now_ms()));
                tick(&plugin)?;
                take(&mut made);
            }
            clock.set_ms(at);
            tick(&plugin)?;
            take(&mut made);
        }
        let Some(notification) = &step.notification else {
            continue;
        };
        let path = base.join(notification);
        let notification = load_payload(&path, args.time_zone)?;
        let answer = plugin.answer(notification);
        if let Some(problem) = answer.problems.first() {
            return Err(format!("{}: {problem}", path.display()));
        }
        take(&mut made);
    }
    Ok(made)
}

/// The most reminders and digests one step's wait may send.
const MAX_TICKS: usize = 10_000;

fn since_1970(t: std::time::SystemTime) -> i64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Sends what is due now on the case's clock.
fn tick(plugin: &Plugin) -> Result<(), String> {
    match plugin.send_due().problems.first() {
        Some(problem) => Err(format!("sending reminders and digests: {problem}")),
        None => Ok(()),
    }
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
        let same = match (expected.get(i), actual.get(i)) {
            (Some(e), Some(a)) => e.takes(a),
            (e, a) => e.is_none() && a.is_none(),
        };
        let mark = if same { ' ' } else { '!' };
        let _ = writeln!(out, "  {mark} {l:<width$} | {r}");
    }
}
