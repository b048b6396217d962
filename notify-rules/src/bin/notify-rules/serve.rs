//! `serve`: the HTTP receiver, configured from a rule file and a TOML file;
//! SIGHUP reads both again.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use notify_rules::server::config::{Config, Setup};
use notify_rules::server::{Metrics, Reloader, Server, ServerOptions};
use sha2::{Digest, Sha256};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use notify_rules::{RuleSet, RuleSetError};

use crate::commands::read;

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

/// How the log is written.
#[derive(Debug, Clone, Copy, Default, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// One line per event, for people (the default).
    #[default]
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The rule file and the configuration, read and bound together.
struct Loaded {
    setup: Setup,
    /// How many rules, and a hash of the rule file, to say which are in force.
    rules: usize,
    hash: String,
    targets: String,
    state: String,
}

/// The rule file's errors: as `check` prints them, for the terminal at
/// start; or one `path:line:col: message` each, for a log line each.
fn rule_errors(path: &Path, e: &RuleSetError, at_start: bool) -> Vec<String> {
    let shown = path.display().to_string();
    if at_start {
        let n = e.len();
        let s = if n == 1 { "" } else { "s" };
        return vec![format!("{}{shown}: {n} error{s}", e.render_check(&shown))];
    }
    e.errors()
        .into_iter()
        .map(|(line, col, message, help)| match help {
            Some(help) => format!("{shown}:{line}:{col}: {message} (help: {help})"),
            None => format!("{shown}:{line}:{col}: {message}"),
        })
        .collect()
}

/// Reads both files and binds the rules to the configured notifiers; every
/// problem of either file, each with its place.
fn load(
    rules_path: &Path,
    config_path: &Path,
    metrics: &Metrics,
    at_start: bool,
) -> Result<Loaded, Vec<String>> {
    let text = read(rules_path);
    let rules = text
        .as_deref()
        .map_err(|e| vec![e.clone()])
        .and_then(|text| RuleSet::parse(text).map_err(|e| rule_errors(rules_path, &e, at_start)));
    let config = Config::load(config_path);
    let (rules, config) = match (rules, config) {
        (Ok(r), Ok(c)) => (r, c),
        (r, c) => {
            let mut errors = r.err().unwrap_or_default();
            if let Err(e) = c {
                errors.extend(e.to_string().lines().map(str::to_owned));
            }
            return Err(errors);
        }
    };
    let n = rules.len();
    let setup = config
        .setup_observed(rules, metrics)
        .map_err(|e| e.to_string().lines().map(str::to_owned).collect::<Vec<_>>())?;
    let hash = Sha256::digest(text.unwrap_or_default().as_bytes());
    Ok(Loaded {
        setup,
        rules: n,
        hash: hash[..6].iter().map(|b| format!("{b:02x}")).collect(),
        targets: config.target_kinds().join(", "),
        state: config.state_summary(),
    })
}

pub(crate) fn serve(
    rules_path: &Path,
    config_path: &Path,
    listen: Option<SocketAddr>,
    format: LogFormat,
) -> ExitCode {
    init_logs(format);
    let metrics = Metrics::new();
    let loaded = match load(rules_path, config_path, &metrics, true) {
        Ok(loaded) => loaded,
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            eprintln!("notify-rules: not starting");
            return ExitCode::FAILURE;
        }
    };
    let mut options = loaded.setup.options;
    let restart_only = restart_only(&options);
    if let Some(listen) = listen {
        options.listen = listen;
    }
    let plugin = Arc::new(loaded.setup.plugin);
    let served = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .and_then(|runtime| {
            runtime.block_on(async move {
                let server = Server::bind(plugin, options).await?;
                tracing::info!(
                    rules = loaded.rules,
                    hash = %loaded.hash,
                    targets = %loaded.targets,
                    state = %loaded.state,
                    listen = %server.local_addr(),
                    "notify-rules {} starting",
                    env!("CARGO_PKG_VERSION")
                );
                let reload = Reload {
                    rules: rules_path.to_owned(),
                    config: config_path.to_owned(),
                    state: loaded.state,
                    restart_only,
                    metrics,
                    reloader: server.reloader(),
                };
                reload.listen();
                server.run().await
            })
        });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("notify-rules: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What a SIGHUP reads again and where it puts it.
struct Reload {
    rules: PathBuf,
    config: PathBuf,
    /// The store in force: a reload may not move to another one, whose
    /// history and waiting deliveries would be left behind.
    state: String,
    /// The settings the server took at start, as the file gave them.
    restart_only: Vec<(&'static str, String)>,
    metrics: Metrics,
    reloader: Reloader,
}

/// The settings only a restart changes (the server's listener, limits and
/// flusher are made once), each with its value as the file gave it.
fn restart_only(o: &ServerOptions) -> Vec<(&'static str, String)> {
    vec![
        ("[server] listen", o.listen.to_string()),
        ("[server] max_body_bytes", o.max_body_bytes.to_string()),
        (
            "[server] request_timeout",
            format!("{:?}", o.request_timeout),
        ),
        ("[server] header_timeout", format!("{:?}", o.header_timeout)),
        (
            "[server] max_idle_per_address",
            o.max_idle_per_address.to_string(),
        ),
        ("[server] max_connections", o.max_connections.to_string()),
        // Whether one is set, never the secret.
        ("[server] secret_env", o.secret.is_some().to_string()),
        (
            "[outbox] flush_interval",
            format!("{:?}", o.outbox_flush_interval),
        ),
    ]
}

impl Reload {
    /// Reloads on each SIGHUP from now on (the handler is set before this
    /// returns, so a SIGHUP sent once the server listens never kills it).
    #[cfg(not(unix))]
    fn listen(self) {
        tracing::warn!("no SIGHUP on this system: no reloads");
    }

    #[cfg(unix)]
    fn listen(self) {
        let mut hangups =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
                Ok(hangups) => hangups,
                Err(e) => {
                    tracing::error!(error = %e, "cannot listen for SIGHUP: no reloads");
                    return;
                }
            };
        let this = Arc::new(self);
        tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                let this = this.clone();
                // Opening a store blocks.
                if let Err(e) = tokio::task::spawn_blocking(move || this.once()).await {
                    tracing::error!(error = %e, "the reload failed");
                }
            }
        });
    }

    fn once(&self) {
        tracing::info!(rules = %self.rules.display(), config = %self.config.display(), "SIGHUP: reading the rules and the configuration again");
        let refused = |errors: &[String]| {
            for e in errors {
                tracing::error!(error = %e, "reload refused");
            }
            tracing::warn!("the rules and the configuration in force stay");
            self.metrics.reloaded(false);
        };
        let loaded = match load(&self.rules, &self.config, &self.metrics, false) {
            Ok(loaded) => loaded,
            Err(errors) => return refused(&errors),
        };
        if loaded.state != self.state {
            return refused(&[format!(
                "{}: [state] changed (from {} to {}): a reload cannot move the history and the waiting deliveries; restart to change it",
                self.config.display(),
                self.state,
                loaded.state
            )]);
        }
        if loaded.state == "memory" {
            return refused(&[format!(
                "{}: [state] store = \"memory\": a new store would start empty, losing the history and the waiting deliveries; restart instead, or use sqlite",
                self.config.display()
            )]);
        }
        let now = restart_only(&loaded.setup.options);
        for ((setting, was), (_, is)) in self.restart_only.iter().zip(&now) {
            if was != is {
                tracing::warn!(
                    setting,
                    "changed in the file, but only a restart applies it: the value read at start stays"
                );
            }
        }
        self.reloader.replace(Arc::new(loaded.setup.plugin));
        self.metrics.reloaded(true);
        tracing::info!(
            rules = loaded.rules,
            hash = %loaded.hash,
            targets = %loaded.targets,
            "reloaded: these rules and targets are in force ([server] and [outbox] flush_interval change at restart only)"
        );
    }
}

/// Logs go to standard error; RUST_LOG picks the level (info by default),
/// except for the [`QUIET`] crates.
fn init_logs(format: LogFormat) {
    let chosen = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let capped = Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_targets(QUIET.map(|target| (target, LevelFilter::INFO)));
    let layer = match format {
        LogFormat::Human => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(layer.with_filter(chosen).with_filter(capped))
        .init();
}
