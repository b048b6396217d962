//! `serve`: the HTTP receiver, configured from a rule file and a TOML file.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use notify_rules::server::config::Config;
use tracing_subscriber::EnvFilter;

use crate::commands::load_rules;

pub(crate) fn serve(rules_path: &Path, config_path: &Path, listen: Option<SocketAddr>) -> ExitCode {
    // Logs go to standard error; RUST_LOG picks the level (info by default).
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

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
