//! `outbox list|retry|drop`: what waits in the state store's outbox, read and
//! changed beside a running `serve`.

use std::path::Path;
use std::process::ExitCode;

use notify_rules::server::config::Config;
use notify_rules::state::{OutboxOps, StoreError, WaitingEntry};

/// What `outbox` does.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Action {
    /// Lists the deliveries waiting: key, target, attempts, last error, next try.
    List {
        /// The TOML configuration naming the state store.
        #[arg(long, value_name = "FILE")]
        config: std::path::PathBuf,
        /// One JSON object per line, with `key`, `target`, `attempts`,
        /// `last_error` and `next_attempt` (seconds since 1970).
        #[arg(long)]
        json: bool,
    },
    /// Makes waiting deliveries due now: `serve` tries them at its next flush.
    Retry {
        /// The TOML configuration naming the state store.
        #[arg(long, value_name = "FILE")]
        config: std::path::PathBuf,
        /// Every waiting delivery.
        #[arg(long, conflicts_with = "keys")]
        all: bool,
        /// The deliveries' keys, as `outbox list` shows them.
        #[arg(required_unless_present = "all")]
        keys: Vec<String>,
    },
    /// Gives up waiting deliveries: they are never sent.
    Drop {
        /// The TOML configuration naming the state store.
        #[arg(long, value_name = "FILE")]
        config: std::path::PathBuf,
        /// The deliveries' keys, as `outbox list` shows them.
        #[arg(required = true)]
        keys: Vec<String>,
    },
}

pub(crate) fn outbox(action: &Action) -> ExitCode {
    let config = match action {
        Action::List { config, .. }
        | Action::Retry { config, .. }
        | Action::Drop { config, .. } => config,
    };
    let ops = match open(config) {
        Ok(ops) => ops,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let done = match action {
        Action::List { json, .. } => ops.list().map(|entries| print(&entries, *json)),
        Action::Retry { all, keys, .. } => {
            let keys = (!all).then_some(keys.as_slice());
            ops.retry(keys).map(|n| {
                say!("{n} deliveries due now; serve tries them at its next flush");
                missing(keys.map_or(0, <[String]>::len), n)
            })
        }
        Action::Drop { keys, .. } => ops.drop_keys(keys).map(|n| {
            say!("{n} deliveries given up");
            missing(keys.len(), n)
        }),
    };
    finish(done)
}

/// The exit code of an operation on the store, saying what failed.
pub(crate) fn finish(done: Result<ExitCode, StoreError>) -> ExitCode {
    done.unwrap_or_else(|e| {
        eprintln!("notify-rules: {e}");
        ExitCode::FAILURE
    })
}

fn open(config: &Path) -> Result<OutboxOps, String> {
    let config = Config::load(config).map_err(|e| e.to_string())?;
    let state = config.state().map_err(|e| e.to_string())?;
    state.outbox().map_err(|e| format!("notify-rules: {e}"))
}

/// Keys named that were not waiting: said, and exit 1.
fn missing(named: usize, found: usize) -> ExitCode {
    if named > found {
        eprintln!(
            "notify-rules: {} of the keys given were not waiting",
            named - found
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn print(entries: &[WaitingEntry], json: bool) -> ExitCode {
    for e in entries {
        if json {
            // Strings and numbers: cannot fail.
            say!("{}", serde_json::to_string(e).unwrap_or_default());
        } else {
            let next = chrono::DateTime::from_timestamp(e.next_attempt as i64, 0)
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_default();
            say!(
                "{}  {}  attempts {}  next {}  {}",
                e.key,
                e.target,
                e.attempts,
                next,
                e.last_error.as_deref().unwrap_or("-")
            );
        }
    }
    if !json {
        say!("{} waiting", entries.len());
    }
    ExitCode::SUCCESS
}
