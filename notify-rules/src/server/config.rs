//! The server's TOML configuration: where to listen, the notifier of each
//! target, the stores, and the names of the environment variables holding the
//! secrets (never the secrets themselves).
//!
//! ```toml
//! [server]
//! listen = "127.0.0.1:8154"           # the default; loopback only
//! secret_env = "NOTIFY_RULES_SECRET"  # shared secret for signed requests (optional)
//! max_body_bytes = 1048576           # at most 8 MiB
//! request_timeout = "30s"             # from 1s to 1h
//! max_connections = 64                # served at once; more wait
//!
//! [gocd]
//! server_url = "https://gocd.example.com"   # for {link}
//! time_zone = "Europe/Berlin"         # the server's, for dates without offset; UTC by default
//!
//! [history]
//! store = "file"                      # or "memory", the default
//! path = "state/history.journal"      # relative to this file
//!
//! [outbox]
//! path = "state/outbox.journal"       # in memory when left out
//! flush_interval = "60s"              # how often it is tried again; 0 for never, at most 1d
//!
//! [retry]                             # durations up to 1h
//! attempts = 3                        # from 1 to 100
//! first_backoff = "200ms"
//! max_total = "10s"
//!
//! [targets.ops]
//! kind = "slack"
//! url_env = "OPS_SLACK_URL"
//!
//! [targets.releases]
//! kind = "webhook"
//! url_env = "RELEASES_HOOK_URL"
//! headers = { "X-Team" = "releases" }
//! header_envs = { "Authorization" = "RELEASES_HOOK_AUTH" }
//! timeout = "5s"                      # from 1ms to 1h
//!
//! [targets.audit]
//! kind = "console"
//!
//! [targets.oncall]
//! kind = "email"
//! host = "smtp.example.com"
//! port = 587
//! security = "starttls"               # or "tls", or "plain" (loopback only)
//! user = "gocd"
//! password_env = "SMTP_PASSWORD"
//! from = "GoCD <gocd@example.com>"
//! to = ["oncall@example.com"]
//! subject = "[{stage.state}] {pipeline.name}"
//! ```
//!
//! Durations are written `500ms`, `30s`, `2m`, `1h` or `1d`, or as a whole
//! number of seconds.
//! [`Config::setup`] reads the environment variables and reports every one
//! that is missing, naming the variable and the target, before anything
//! starts.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Secret, ServerOptions};
use crate::plugin::RetryPolicy;
use crate::{Plugin, PluginBuilder, RuleSet};

/// A configuration file, read and checked for shape; the environment is read
/// by [`Config::setup`].
///
/// ```
/// use notify_rules::server::config::Config;
/// use notify_rules::RuleSet;
///
/// let config = Config::parse(r#"
///     [targets.ops]
///     kind = "slack"
///     url_env = "OPS_SLACK_URL"
/// "#, "notify-rules.toml").unwrap();
/// let rules = RuleSet::parse("target ops; on state Failed => send(ops);").unwrap();
/// let err = config.setup_with_env(rules, |_| None).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "notify-rules.toml: target `ops`: environment variable OPS_SLACK_URL (url_env) is not set"
/// );
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    file: File,
    path: String,
    base: PathBuf,
}

/// What [`Config::setup`] makes: the plugin and the server's options.
#[derive(Debug)]
pub struct Setup {
    /// The plugin, its targets bound to the configured notifiers.
    pub plugin: Plugin,
    /// Where and how to listen.
    pub options: ServerOptions,
}

/// Why a configuration cannot be used: every problem found, each naming the
/// file and, where it applies, the target and the setting. Never holds a
/// secret's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    path: String,
    problems: Vec<String>,
}

impl ConfigError {
    fn one(path: &str, problem: impl Into<String>) -> Self {
        ConfigError {
            path: path.to_owned(),
            problems: vec![problem.into()],
        }
    }

    /// Each problem, without the file name.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{}: {p}", self.path)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads and checks a configuration file.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::one(&shown, format!("cannot read the file: {e}")))?;
        Config::parse(&text, path)
    }

    /// Checks a configuration text. `path` names it in messages, and relative
    /// store paths are taken from its directory.
    pub fn parse(text: &str, path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let file: File =
            toml::from_str(text).map_err(|e| ConfigError::one(&shown, toml_problem(&e, text)))?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let config = Config {
            file,
            path: shown,
            base,
        };
        let problems = config.shape_problems();
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError {
                path: config.path,
                problems,
            })
        }
    }

    /// Problems visible without the environment.
    fn shape_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (name, target) in &self.file.targets {
            let allowed = target.kind.settings();
            for setting in target.set() {
                if !allowed.contains(&setting) {
                    problems.push(format!(
                        "target `{name}`: `{setting}` is not a setting of kind {}; it takes {}",
                        target.kind.as_str(),
                        if allowed.is_empty() {
                            "none".to_owned()
                        } else {
                            allowed.join(", ")
                        }
                    ));
                }
            }
            let need = |problems: &mut Vec<String>, setting: &str, present: bool| {
                if !present {
                    problems.push(format!(
                        "target `{name}`: kind {} needs `{setting}`",
                        target.kind.as_str()
                    ));
                }
            };
            match target.kind {
                Kind::Console => {}
                Kind::Webhook | Kind::Slack => {
                    need(&mut problems, "url_env", target.url_env.is_some())
                }
                Kind::Email => {
                    need(&mut problems, "host", target.host.is_some());
                    need(&mut problems, "from", target.from.is_some());
                    need(&mut problems, "to", !target.to.is_empty());
                    if target.user.is_some() != target.password_env.is_some() {
                        problems.push(format!(
                            "target `{name}`: `user` and `password_env` go together"
                        ));
                    }
                }
            }
        }
        for (owner, setting, name) in self.env_names() {
            if !is_env_name(name) {
                problems.push(format!(
                    "{owner}: `{setting}` must be the name of an environment variable (letters, digits and `_`), not the secret itself"
                ));
            }
        }
        if let Some(problem) = self
            .file
            .gocd
            .server_url
            .as_deref()
            .and_then(crate::plugin::server_url_problem)
        {
            problems.push(format!(
                "[gocd] server_url {problem}; give the server's address only, such as https://gocd.example.com"
            ));
        }
        if let Some(Err(problem)) = self.time_zone() {
            problems.push(format!("[gocd] time_zone {problem}"));
        }
        if self.file.history.store == StoreKind::File && self.file.history.path.is_none() {
            problems.push("[history] store = \"file\" needs `path`".to_owned());
        }
        if self.file.history.store == StoreKind::Memory && self.file.history.path.is_some() {
            problems.push("[history] `path` is only for store = \"file\"".to_owned());
        }
        self.range_problems(&mut problems);
        problems
    }

    /// Numbers out of the range the server works with: a zero timeout would
    /// fail every request, a huge one overflows the clock when added to it.
    fn range_problems(&self, problems: &mut Vec<String>) {
        const MS: Duration = Duration::from_millis(1);
        const SECOND: Duration = Duration::from_secs(1);
        const HOUR: Duration = Duration::from_secs(3600);
        const DAY: Duration = Duration::from_secs(24 * 3600);
        let mut time = |setting: &str, value: Option<Time>, min: Duration, max: Duration| {
            if let Some(Time(t)) = value {
                if t < min || t > max {
                    problems.push(format!(
                        "{setting} must be from {} to {} (it is {})",
                        show_time(min),
                        show_time(max),
                        show_time(t)
                    ));
                }
            }
        };
        let server = &self.file.server;
        time(
            "[server] request_timeout",
            server.request_timeout,
            SECOND,
            HOUR,
        );
        // 0 means never.
        time(
            "[outbox] flush_interval",
            self.file.outbox.flush_interval,
            Duration::ZERO,
            DAY,
        );
        if let Some(retry) = &self.file.retry {
            time(
                "[retry] first_backoff",
                retry.first_backoff,
                Duration::ZERO,
                HOUR,
            );
            time(
                "[retry] max_backoff",
                retry.max_backoff,
                Duration::ZERO,
                HOUR,
            );
            time("[retry] max_total", retry.max_total, Duration::ZERO, HOUR);
        }
        for (name, target) in &self.file.targets {
            time(
                &format!("target `{name}`: timeout"),
                target.timeout,
                MS,
                HOUR,
            );
        }
        let mut count = |setting: &str, value: Option<usize>, min: usize, max: usize| {
            if let Some(n) = value.filter(|n| !(min..=max).contains(n)) {
                problems.push(format!("{setting} must be from {min} to {max} (it is {n})"));
            }
        };
        count(
            "[server] max_body_bytes",
            server.max_body_bytes,
            1,
            crate::protocol::MAX_BODY_BYTES,
        );
        count(
            "[server] max_connections",
            server.max_connections,
            1,
            100_000,
        );
        count(
            "[retry] attempts",
            self.file
                .retry
                .as_ref()
                .and_then(|r| r.attempts)
                .map(|a| a as usize),
            1,
            100,
        );
    }

    /// Every environment variable name the file gives: its owner as messages
    /// show it, the setting, the name.
    fn env_names(&self) -> Vec<(String, String, &str)> {
        let mut names = Vec::new();
        if let Some(name) = &self.file.server.secret_env {
            names.push((
                "[server]".to_owned(),
                "secret_env".to_owned(),
                name.as_str(),
            ));
        }
        for (target, t) in &self.file.targets {
            let owner = format!("target `{target}`");
            if let Some(name) = &t.url_env {
                names.push((owner.clone(), "url_env".to_owned(), name.as_str()));
            }
            if let Some(name) = &t.password_env {
                names.push((owner.clone(), "password_env".to_owned(), name.as_str()));
            }
            for (header, name) in &t.header_envs {
                names.push((
                    owner.clone(),
                    format!("header_envs.{header}"),
                    name.as_str(),
                ));
            }
        }
        names
    }

    /// `[gocd] time_zone`, when set.
    fn time_zone(&self) -> Option<Result<crate::protocol::Tz, String>> {
        self.file
            .gocd
            .time_zone
            .as_deref()
            .map(crate::protocol::time_zone)
    }

    /// The file's name, as messages show it.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// `[server] listen`, when the file sets it.
    pub fn listen(&self) -> Option<SocketAddr> {
        self.file.server.listen.map(|l| l.0)
    }

    /// The names of the configured targets, sorted.
    pub fn targets(&self) -> impl Iterator<Item = &str> {
        self.file.targets.keys().map(String::as_str)
    }

    /// Builds the plugin for `rules` and the server's options, reading the
    /// secrets from the environment variables the file names. Every problem is
    /// reported at once: a missing variable (naming it and its target), a
    /// target the rules declare with no `[targets.NAME]` table or one the rules
    /// do not declare, a notifier that refuses its settings, a store that
    /// cannot be opened.
    pub fn setup(&self, rules: RuleSet) -> Result<Setup, ConfigError> {
        self.setup_with_env(rules, |name| std::env::var(name).ok())
    }

    /// [`Config::setup`] with another source of environment variables.
    pub fn setup_with_env(
        &self,
        rules: RuleSet,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Setup, ConfigError> {
        let mut problems = Vec::new();
        // Every lookup records its own problem, so all missing variables are
        // named at once.
        let lookup =
            |problems: &mut Vec<String>, owner: &str, setting: &str, name: &str| match env(name) {
                Some(v) if !v.is_empty() => Some(v),
                Some(_) => {
                    problems.push(format!(
                        "{owner}: environment variable {name} ({setting}) is empty"
                    ));
                    None
                }
                None => {
                    problems.push(format!(
                        "{owner}: environment variable {name} ({setting}) is not set"
                    ));
                    None
                }
            };

        let mut options = ServerOptions::default();
        if let Some(listen) = self.listen() {
            options.listen = listen;
        }
        if let Some(name) = &self.file.server.secret_env {
            options.secret = lookup(&mut problems, "[server]", "secret_env", name).map(Secret::new);
        }
        if let Some(max) = self.file.server.max_body_bytes {
            options.max_body_bytes = max;
        }
        if let Some(t) = self.file.server.request_timeout {
            options.request_timeout = t.0;
        }
        if let Some(n) = self.file.server.max_connections {
            options.max_connections = n;
        }
        if let Some(t) = self.file.outbox.flush_interval {
            options.outbox_flush_interval = Some(t.0).filter(|d| !d.is_zero());
        }

        let mut builder = Plugin::builder(rules.clone());
        for target in rules.targets() {
            if !self.file.targets.contains_key(target) {
                problems.push(format!("target `{target}` is declared by the rules but has no [targets.{target}] table"));
            }
        }
        for (name, target) in &self.file.targets {
            if !rules.targets().contains(name) {
                problems.push(format!(
                    "[targets.{name}]: the rules declare no target `{name}` (they declare {})",
                    if rules.targets().is_empty() {
                        "none".to_owned()
                    } else {
                        rules.targets().join(", ")
                    }
                ));
                continue;
            }
            let owner = format!("target `{name}`");
            let mut missing = Vec::new();
            let built = notifier::build(target, &mut |setting, var| {
                lookup(&mut missing, &owner, setting, var)
            });
            problems.append(&mut missing);
            match built {
                Ok(Some(n)) => builder = builder.notifier(name, n),
                Ok(None) => {}
                Err(refused) => problems.extend(refused.iter().map(|p| format!("{owner}: {p}"))),
            }
        }
        builder = self.stores(builder);
        if !problems.is_empty() {
            return Err(ConfigError {
                path: self.path.clone(),
                problems,
            });
        }
        match builder.build() {
            Ok(plugin) => Ok(Setup { plugin, options }),
            Err(e) => Err(ConfigError {
                path: self.path.clone(),
                problems: e.problems().to_vec(),
            }),
        }
    }

    fn stores(&self, mut builder: PluginBuilder) -> PluginBuilder {
        if let Some(url) = &self.file.gocd.server_url {
            builder = builder.server_url(url);
        }
        if let Some(Ok(zone)) = self.time_zone() {
            builder = builder.time_zone(zone);
        }
        if let (StoreKind::File, Some(path)) = (self.file.history.store, &self.file.history.path) {
            builder = builder.history_file(self.base.join(path));
        }
        if let Some(path) = &self.file.outbox.path {
            builder = builder.outbox_file(self.base.join(path));
        }
        if let Some(retry) = &self.file.retry {
            let mut policy = RetryPolicy::default();
            if let Some(a) = retry.attempts {
                policy.attempts = a;
            }
            if let Some(t) = retry.first_backoff {
                policy.first_backoff = t.0;
            }
            if let Some(t) = retry.max_backoff {
                policy.max_backoff = t.0;
            }
            if let Some(t) = retry.max_total {
                policy.max_total = t.0;
            }
            builder = builder.retry(policy);
        }
        builder
    }
}

mod checks;
mod notifier;
mod schema;

use checks::{is_env_name, toml_problem};
#[cfg(feature = "email")]
use schema::SecurityName;
use schema::{File, Kind, StoreKind, Target, Time};

/// A duration as the file writes it, in its largest whole unit.
fn show_time(d: Duration) -> String {
    let ms = d.as_millis();
    match ms {
        0 => "0".to_owned(),
        ms if ms % 86_400_000 == 0 => format!("{}d", ms / 86_400_000),
        ms if ms % 3_600_000 == 0 => format!("{}h", ms / 3_600_000),
        ms if ms % 60_000 == 0 => format!("{}m", ms / 60_000),
        ms if ms % 1000 == 0 => format!("{}s", ms / 1000),
        ms => format!("{ms}ms"),
    }
}

#[cfg(test)]
mod limits_tests;
#[cfg(test)]
mod tests;
