//! `notify-rules`: check rule files, explain or run them on a notification, and
//! serve GoCD's webhook forwarders.
//!
//! ```text
//! notify-rules check FILE...
//! notify-rules explain FILE PAYLOAD [--server-url URL] [--time-zone ZONE] [--config FILE]
//! notify-rules run FILE PAYLOAD [--server-url URL] [--time-zone ZONE]
//! notify-rules test RULES CASES [--server-url URL] [--time-zone ZONE]
//! notify-rules serve --rules FILE --config FILE [--listen ADDR] [--log-format human|json]
//! notify-rules outbox list --config FILE [--json]
//! notify-rules outbox retry --config FILE (KEY... | --all)
//! notify-rules outbox drop --config FILE KEY...
//! notify-rules silence add --config FILE --pipeline P [--stage S] [--target T] --for D --comment TEXT
//! notify-rules silence list --config FILE
//! notify-rules silence expire --config FILE ID
//! ```

/// A line on standard output, as `println!` writes one, except that a
/// closed pipe (`outbox list | head`) ends the output quietly rather than
/// with a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod cases;
mod commands;
mod outbox;
mod serve;
mod silence;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// GoCD build notifications from rule files.
#[derive(Debug, Parser)]
#[command(
    name = "notify-rules",
    version,
    about = "GoCD build notifications from rule files: check them, explain or run them on a notification, serve GoCD's webhook forwarders"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Checks rule files: every error with its line and column.
    Check {
        /// The rule files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Shows, for each rule, whether it matches a notification and why not;
    /// sends nothing.
    Explain(#[command(flatten)] commands::ExplainArgs),
    /// Evaluates a rule file on a notification and prints the deliveries
    /// through the console notifier.
    Run(#[command(flatten)] commands::Inputs),
    /// Runs rule tests: each case's notifications in order, with history,
    /// its deliveries compared with the expected ones; exit 1 on a mismatch.
    Test(#[command(flatten)] cases::TestArgs),
    /// Receives GoCD notifications over HTTP from a webhook forwarder.
    Serve {
        /// The rule file, loaded at start and again on SIGHUP.
        #[arg(long, value_name = "FILE")]
        rules: PathBuf,
        /// The TOML configuration: notifiers per target, stores, secrets' variables.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Where to listen, overriding the configuration (default 127.0.0.1:8154).
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
        /// How the log on standard error is written.
        #[arg(long, value_name = "FORMAT", value_enum, default_value_t)]
        log_format: serve::LogFormat,
    },
    /// Lists, retries or drops the deliveries waiting in the state store,
    /// while `serve` runs or not.
    #[command(subcommand)]
    Outbox(outbox::Action),
    /// Adds, lists or ends silences in the state store, while `serve` runs
    /// or not: a delivery matching an active one is not sent.
    #[command(subcommand)]
    Silence(silence::Action),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { files } => commands::check(&files),
        Command::Explain(args) => commands::explain(&args),
        Command::Run(inputs) => commands::run(&inputs),
        Command::Test(args) => cases::test(&args),
        Command::Serve {
            rules,
            config,
            listen,
            log_format,
        } => serve::serve(&rules, &config, listen, log_format),
        Command::Outbox(action) => outbox::outbox(&action),
        Command::Silence(action) => silence::silence(&action),
    }
}
