//! `silence add|list|expire`: silences in the state store, set beside a
//! running `serve`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use notify_rules::server::config::Config;
use notify_rules::state::SilenceOps;
use notify_rules::time::{NewSilence, Silence};
use notify_rules::Delivery;

/// What `silence` does.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Action {
    /// Adds a silence; prints its id, alone.
    Add {
        /// The TOML configuration naming the state store.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// The pipelines it holds: a name or a pattern (`api-*`).
        #[arg(long, value_name = "P")]
        pipeline: String,
        /// The stage it holds (a name or a pattern); every stage without it.
        #[arg(long, value_name = "S")]
        stage: Option<String>,
        /// The target it holds; every target without it.
        #[arg(long, value_name = "T")]
        target: Option<String>,
        /// How long it lasts: `30m`, `4h`, `2d`.
        #[arg(long = "for", value_name = "D", value_parser = humantime::parse_duration)]
        lasts: std::time::Duration,
        /// Why it is set.
        #[arg(long, value_name = "TEXT")]
        comment: String,
    },
    /// Lists the active silences: id, patterns, end, comment.
    List {
        /// The TOML configuration naming the state store.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Ends a silence now.
    Expire {
        /// The TOML configuration naming the state store.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Its id, as `silence add` printed it.
        id: u64,
    },
}

pub(crate) fn silence(action: &Action) -> ExitCode {
    let config = match action {
        Action::Add { config, .. } | Action::List { config } | Action::Expire { config, .. } => {
            config
        }
    };
    let loaded = match Config::load(config) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if let Action::Add {
        target: Some(target),
        ..
    } = action
    {
        // A silence for a target no rule can reach would hold nothing,
        // and say so only by never mattering: refused, as a typo is.
        if let Err(message) = known_target(&loaded, target) {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    }
    let ops = match ops_of(&loaded) {
        Ok(ops) => ops,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let done = match action {
        Action::Add {
            pipeline,
            stage,
            target,
            lasts,
            comment,
            ..
        } => {
            if lasts.is_zero() {
                eprintln!("notify-rules: --for must be longer than 0s");
                return ExitCode::FAILURE;
            }
            ops.add(&NewSilence {
                pipeline: pipeline.clone(),
                stage: stage.clone(),
                target: target.clone(),
                lasts: *lasts,
                comment: comment.clone(),
            })
            .map(|id| {
                say!("{id}");
                ExitCode::SUCCESS
            })
        }
        Action::List { .. } => ops.list().map(|silences| {
            for s in &silences {
                let ends = show_end(s.ends_ms);
                say!(
                    "{}  pipeline {}  stage {}  target {}  until {}  {}",
                    s.id,
                    s.pipeline,
                    s.stage.as_deref().unwrap_or("*"),
                    s.target.as_deref().unwrap_or("*"),
                    ends,
                    s.comment
                );
            }
            say!("{} active", silences.len());
            ExitCode::SUCCESS
        }),
        Action::Expire { id, .. } => ops.expire(*id).map(|found| {
            if found {
                say!("silence {id} expired");
                ExitCode::SUCCESS
            } else {
                eprintln!("notify-rules: no active silence has the id {id}");
                ExitCode::FAILURE
            }
        }),
    };
    crate::outbox::finish(done)
}

/// The silences active now in the store `config` names.
pub(crate) fn active(config: &Path) -> Result<Vec<Silence>, String> {
    open(config)?
        .list()
        .map_err(|e| format!("notify-rules: {e}"))
}

/// What `explain` says under a delivery an active silence holds.
pub(crate) fn holding(silences: &[Silence], d: &Delivery<'_>) -> Option<String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.as_millis() as i64);
    // An agent's delivery only by a silence of every pipeline and no stage.
    let s = silences.iter().find(|s| s.holds_delivery(d, now))?;
    Some(format!(
        "silenced: not sent while silence {} lasts (until {}): {}",
        s.id,
        show_end(s.ends_ms),
        s.comment
    ))
}

fn show_end(ms: i64) -> String {
    // Past what a date can show (`--for 100000000000d`): it never ends.
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || "never".to_owned(),
        |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

fn open(config: &Path) -> Result<SilenceOps, String> {
    ops_of(&Config::load(config).map_err(|e| e.to_string())?)
}

fn ops_of(config: &Config) -> Result<SilenceOps, String> {
    let state = config.state().map_err(|e| e.to_string())?;
    state.silences().map_err(|e| format!("notify-rules: {e}"))
}

/// `target` is one the configuration binds, or a refusal naming the nearest.
fn known_target(config: &Config, target: &str) -> Result<(), String> {
    let targets: Vec<&str> = config.targets().collect();
    if targets.contains(&target) {
        return Ok(());
    }
    let hint = match config.nearest_target(target) {
        Some(t) => format!(" (did you mean `{t}`?)"),
        None if targets.is_empty() => " (it configures none)".to_owned(),
        None => format!(" (it configures {})", targets.join(", ")),
    };
    Err(format!(
        "notify-rules: --target `{target}` is not a target of {}{hint}",
        config.path()
    ))
}
