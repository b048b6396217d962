//! `serve`: the HTTP receiver, configured from a rule file and a TOML file.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use notify_rules::server::config::Config;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::commands::load_rules;

/// Crates whose own debug and trace logs show requests as sent: webhook URLs
/// (whose path is the secret of a Slack hook), `Authorization` headers, SMTP
/// exchanges. They log at `info` at most, whatever RUST_LOG says.
const QUIET: [&str; 6] = [
    "ureq",
    "ureq_proto",
    "rustls",
    "hyper",
    "hyper_util",
    "lettre",
];

pub(crate) fn serve(rules_path: &Path, config_path: &Path, listen: Option<SocketAddr>) -> ExitCode {
    init_logs();

    // Both files are checked before anything is reported, so one start shows
    // every problem.
    let rules = load_rules(rules_path);
    let config = Config::load(config_path);
    let (rules, config) = match (rules, config) {
        (Ok(r), Ok(c)) => (r, c),
        (r, c) => {
            if let Err(report) = r {
                eprintln!("{report}");
            }
            if let Err(e) = c {
                eprintln!("{e}");
            }
            eprintln!("notify-rules: not starting");
            return ExitCode::FAILURE;
        }
    };
    let setup = match config.setup(rules) {
        Ok(setup) => setup,
        Err(e) => {
            eprintln!("{e}");
            eprintln!("notify-rules: not starting");
            return ExitCode::FAILURE;
        }
    };
    let mut options = setup.options;
    if let Some(listen) = listen {
        options.listen = listen;
    }
    let served = notify_rules::server::run_blocking(Arc::new(setup.plugin), options);
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("notify-rules: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to standard error; RUST_LOG picks the level (info by default),
/// except for the [`QUIET`] crates.
fn init_logs() {
    let chosen = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let capped = Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_targets(QUIET.map(|target| (target, LevelFilter::INFO)));
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal())
                .with_filter(chosen)
                .with_filter(capped),
        )
        .init();
}
