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
//! max_connections = 64                # requests handled at once; more wait
//! header_timeout = "5s"               # to send a request's headers; 1ms to 1h
//! max_idle_per_address = 16           # connections of one address with no request yet
//!
//! [gocd]
//! server_url = "https://gocd.example.com"   # for {link}
//! time_zone = "Europe/Berlin"         # the server's, for dates without offset; UTC by default
//!
//! [state]                             # history, outbox, handled notifications
//! store = "sqlite"                    # the default; or "postgres" (several replicas), or "memory"
//! path = "notify-rules.db"            # the default; relative to this file
//! # url_env = "NOTIFY_RULES_DB_URL"   # for "postgres": holds postgres://user:password@host:port/db
//! # ca_file = "db-ca.pem"             # for "postgres": the CA of its server's certificate
//! # allow_plaintext = false           # for "postgres": the password in clear off this machine
//!
//! [outbox]
//! flush_interval = "60s"              # how often it is tried again; 0 for never, at most 1d
//! lease = "30s"                       # how long a claim on a waiting delivery holds; 1s to 1d
//!
//! [retry]                             # durations up to 1h
//! attempts = 3                        # from 1 to 100
//! first_backoff = "200ms"
//! max_total = "10s"
//!
//! [targets.ops]
//! kind = "slack"                      # Slack or Mattermost incoming webhook
//! url_env = "OPS_SLACK_URL"
//! format = "rich"                     # the default: colour, fields, link; or "text"
//!
//! [targets.chat]
//! kind = "teams"                      # or "google-chat", or "discord"; same settings
//! url_env = "TEAMS_WORKFLOW_URL"
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
//!
//! [targets.builds]
//! kind = "slack-app"                  # Slack's Web API: one message per pipeline run
//! token_env = "SLACK_BOT_TOKEN"       # holds the bot token, xoxb-...
//! channel = "C0123456789"             # the channel's ID
//! per_run = "thread"                  # the default; or "update", or "off"
//! # api_url = "https://slack.com/api" # the default
//! ```
//!
//! Durations are written `500ms`, `30s`, `2m`, `1h` or `1d`, or as a whole
//! number of seconds (other forms of the `humantime` crate, such as `1h 30m`,
//! are read too).
//! The chat kinds (`slack`, `teams`, `google-chat`, `discord`) link to the
//! stage or the agent with `[gocd] server_url` when it is set.
//! An e-mail `subject` with a `{` is a message template of the rule language,
//! with `{target}` besides; it is checked when the file is read.
//! [`Config::setup`] reads the environment variables and reports every one
//! that is missing, naming the variable and the target, before anything
//! starts.

mod checks;
mod de;
mod error;
mod notifier;
mod schema;
mod setup;
mod shape;

#[cfg(test)]
mod chat_tests;
#[cfg(test)]
mod limits_tests;
#[cfg(test)]
mod shown_tests;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub use error::{ConfigError, ConfigProblem};
pub use setup::{Setup, DEFAULT_STATE_FILE};

use schema::File;

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

impl Config {
    /// Reads and checks a configuration file.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            let reason = e.to_string();
            ConfigError::one(&shown, ConfigProblem::Read { reason })
        })?;
        Config::parse(&text, path)
    }

    /// Checks a configuration text. `path` names it in messages, and relative
    /// store paths are taken from its directory.
    pub fn parse(text: &str, path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let file: File = de::from_str(text).map_err(|e| {
            let line_column = e
                .span
                .map(|span| notify_rules_syntax::line_col(text, span.start));
            let message = e.message;
            ConfigError::one(
                &shown,
                ConfigProblem::File {
                    line_column,
                    message,
                },
            )
        })?;
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
            Err(ConfigError::new(&config.path, problems))
        }
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

    /// The configured target nearest to `name`, a name it does not
    /// configure, if one is near enough to be what was meant (at most two
    /// edits, case aside): as the file's own errors suggest one.
    ///
    /// ```
    /// use notify_rules::server::config::Config;
    ///
    /// let config = Config::parse("[targets.ops]\nkind = \"console\"\n", "c.toml")?;
    /// assert_eq!(config.nearest_target("opz"), Some("ops"));
    /// assert_eq!(config.nearest_target("audit"), None);
    /// # Ok::<(), notify_rules::server::config::ConfigError>(())
    /// ```
    pub fn nearest_target(&self, name: &str) -> Option<&str> {
        let targets: Vec<&str> = self.targets().collect();
        checks::near(name, &targets)
    }

    /// The configured targets with their kinds, as `name (kind)`, sorted by
    /// name: for the line `serve` logs at start.
    ///
    /// ```
    /// use notify_rules::server::config::Config;
    ///
    /// let config = Config::parse("[targets.ops]\nkind = \"console\"\n", "c.toml")?;
    /// assert_eq!(config.target_kinds(), ["ops (console)"]);
    /// # Ok::<(), notify_rules::server::config::ConfigError>(())
    /// ```
    pub fn target_kinds(&self) -> Vec<String> {
        self.file
            .targets
            .iter()
            .map(|(name, target)| format!("{name} ({})", target.kind.as_str()))
            .collect()
    }

    /// The state store, said without any secret: `sqlite FILE`, `memory`,
    /// or `postgres` with the variable that holds its address (never the
    /// address itself, which holds the password).
    ///
    /// ```
    /// use notify_rules::server::config::Config;
    ///
    /// let config = Config::parse("[state]\nstore = \"postgres\"\nurl_env = \"DB_URL\"\n", "c.toml")?;
    /// assert_eq!(config.state_summary(), "postgres (address in $DB_URL)");
    /// # Ok::<(), notify_rules::server::config::ConfigError>(())
    /// ```
    pub fn state_summary(&self) -> String {
        let state = &self.file.state;
        match state.store {
            schema::StoreKind::Memory => "memory".into(),
            schema::StoreKind::Sqlite => {
                let path = state
                    .path
                    .as_deref()
                    .unwrap_or(Path::new(DEFAULT_STATE_FILE));
                format!("sqlite {}", self.base.join(path).display())
            }
            schema::StoreKind::Postgres => format!(
                "postgres (address in ${})",
                state.url_env.as_deref().unwrap_or("?")
            ),
        }
    }
}
