//! The shape of the configuration file, as serde reads it. Values are checked
//! for form here (addresses, durations); what depends on other settings or on
//! the environment is checked by `Config`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::checks::shown;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct File {
    #[serde(default)]
    pub(super) server: ServerSection,
    #[serde(default)]
    pub(super) gocd: GocdSection,
    /// Replaced by `[state]`: read only to say so.
    pub(super) history: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub(super) state: StateSection,
    #[serde(default)]
    pub(super) outbox: OutboxSection,
    #[serde(default)]
    pub(super) retry: Option<RetrySection>,
    #[serde(default)]
    pub(super) targets: BTreeMap<String, Target>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ServerSection {
    pub(super) listen: Option<Listen>,
    pub(super) secret_env: Option<String>,
    pub(super) max_body_bytes: Option<usize>,
    pub(super) request_timeout: Option<Time>,
    pub(super) max_connections: Option<usize>,
    pub(super) header_timeout: Option<Time>,
    pub(super) max_idle_per_address: Option<usize>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GocdSection {
    pub(super) server_url: Option<String>,
    pub(super) time_zone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StateSection {
    #[serde(default)]
    pub(super) store: StoreKind,
    pub(super) path: Option<PathBuf>,
    pub(super) url_env: Option<String>,
    /// For "postgres": the PEM file of the CA its server's certificate
    /// chains to, relative to the configuration.
    pub(super) ca_file: Option<PathBuf>,
    /// For "postgres": the password may go in clear off this machine.
    pub(super) allow_plaintext: Option<bool>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum StoreKind {
    #[default]
    Sqlite,
    Postgres,
    Memory,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OutboxSection {
    /// Replaced by `[state] path`: read only to say so.
    pub(super) path: Option<serde::de::IgnoredAny>,
    pub(super) flush_interval: Option<Time>,
    pub(super) lease: Option<Time>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RetrySection {
    pub(super) attempts: Option<u32>,
    pub(super) first_backoff: Option<Time>,
    pub(super) max_backoff: Option<Time>,
    pub(super) max_total: Option<Time>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Kind {
    Console,
    Webhook,
    Slack,
    Email,
    // Chat services with rich messages (issue 14).
    Teams,
    #[serde(rename = "google-chat")]
    GoogleChat,
    Discord,
    #[serde(rename = "slack-app")]
    SlackApp,
}

impl Kind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Kind::Console => "console",
            Kind::Webhook => "webhook",
            Kind::Slack => "slack",
            Kind::Email => "email",
            Kind::Teams => "teams",
            Kind::GoogleChat => "google-chat",
            Kind::Discord => "discord",
            Kind::SlackApp => "slack-app",
        }
    }

    /// The cargo feature that builds the kind's notifier.
    #[cfg(not(all(
        feature = "console",
        feature = "webhook",
        feature = "slack",
        feature = "email"
    )))]
    pub(super) fn feature(self) -> &'static str {
        match self {
            Kind::Teams | Kind::GoogleChat | Kind::Discord | Kind::SlackApp => "slack",
            kind => kind.as_str(),
        }
    }

    /// The settings this kind takes besides `kind`.
    pub(super) fn settings(self) -> &'static [&'static str] {
        match self {
            Kind::Console => &[],
            Kind::Webhook => &["url_env", "headers", "header_envs", "timeout"],
            Kind::Slack | Kind::Teams | Kind::GoogleChat | Kind::Discord => {
                &["url_env", "format", "timeout"]
            }
            Kind::Email => &[
                "host",
                "port",
                "security",
                "user",
                "password_env",
                "from",
                "to",
                "subject",
                "timeout",
            ],
            Kind::SlackApp => &[
                "token_env",
                "channel",
                "api_url",
                "per_run",
                "format",
                "timeout",
            ],
        }
    }
}

/// One `[targets.NAME]` table. Flat rather than one struct per kind, so that a
/// setting that does not belong to the kind gets a message saying so.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Target {
    pub(super) kind: Kind,
    pub(super) url_env: Option<String>,
    #[serde(default)]
    pub(super) headers: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) header_envs: BTreeMap<String, String>,
    pub(super) timeout: Option<Time>,
    pub(super) host: Option<String>,
    pub(super) port: Option<u16>,
    pub(super) security: Option<SecurityName>,
    pub(super) user: Option<String>,
    pub(super) password_env: Option<String>,
    pub(super) from: Option<String>,
    #[serde(default)]
    pub(super) to: Vec<String>,
    pub(super) subject: Option<String>,
    /// `rich` (the default) or `text`, for the chat kinds.
    pub(super) format: Option<FormatName>,
    // `slack-app`.
    pub(super) token_env: Option<String>,
    pub(super) channel: Option<String>,
    pub(super) api_url: Option<String>,
    pub(super) per_run: Option<PerRunName>,
}

/// `per_run` of a `slack-app` target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum PerRunName {
    Thread,
    Update,
    Off,
}

impl Target {
    /// The e-mail subject as a template, when it is one (it has a `{`; a
    /// subject without one is used as it is).
    pub(super) fn subject_template(
        &self,
    ) -> Option<Result<crate::deliver::SubjectTemplate, notify_rules_syntax::TemplateError>> {
        self.subject
            .as_deref()
            .filter(|s| s.contains('{'))
            .map(crate::deliver::SubjectTemplate::parse)
    }

    /// The settings given besides `kind`.
    pub(super) fn set(&self) -> Vec<&'static str> {
        let mut set = Vec::new();
        let mut note = |name, present: bool| {
            if present {
                set.push(name);
            }
        };
        note("url_env", self.url_env.is_some());
        note("headers", !self.headers.is_empty());
        note("header_envs", !self.header_envs.is_empty());
        note("timeout", self.timeout.is_some());
        note("host", self.host.is_some());
        note("port", self.port.is_some());
        note("security", self.security.is_some());
        note("user", self.user.is_some());
        note("password_env", self.password_env.is_some());
        note("from", self.from.is_some());
        note("to", !self.to.is_empty());
        note("subject", self.subject.is_some());
        note("format", self.format.is_some());
        note("token_env", self.token_env.is_some());
        note("channel", self.channel.is_some());
        note("api_url", self.api_url.is_some());
        note("per_run", self.per_run.is_some());
        set
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum SecurityName {
    Starttls,
    Tls,
    Plain,
}

/// How a chat target writes its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum FormatName {
    Rich,
    Text,
}

/// A socket address, checked when the file is read.
#[derive(Debug, Clone, Copy)]
pub(super) struct Listen(pub(super) SocketAddr);

impl<'de> Deserialize<'de> for Listen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map(Listen).map_err(|_| {
            serde::de::Error::custom(format!(
                "{} is not an address such as 127.0.0.1:8154 or [::1]:8154",
                shown(&text)
            ))
        })
    }
}

/// A duration: `500ms`, `30s`, `2m`, `1h`, `1d` (see [`parse_duration`]), or
/// a whole number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Time(pub(super) Duration);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TimeVisitor)
    }
}

/// Reads a duration from whatever TOML holds, so that a negative, fractional
/// or otherwise wrong value gets a message saying how to write one.
struct TimeVisitor;

const HOW: &str = "such as 500ms, 30s or 2m, or a whole number of seconds";

impl serde::de::Visitor<'_> for TimeVisitor {
    type Value = Time;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a duration such as 500ms, 30s or 2m, or a whole number of seconds")
    }

    fn visit_u64<E: serde::de::Error>(self, s: u64) -> Result<Time, E> {
        Ok(Time(Duration::from_secs(s)))
    }

    fn visit_i64<E: serde::de::Error>(self, s: i64) -> Result<Time, E> {
        u64::try_from(s)
            .map(|s| Time(Duration::from_secs(s)))
            .map_err(|_| {
                E::custom(format!(
                    "a duration cannot be negative ({s}); write one {HOW}"
                ))
            })
    }

    fn visit_f64<E: serde::de::Error>(self, s: f64) -> Result<Time, E> {
        Err(E::custom(format!(
            "a duration is not a fractional number ({s}); write one {HOW}, such as 1500ms for 1.5"
        )))
    }

    fn visit_str<E: serde::de::Error>(self, t: &str) -> Result<Time, E> {
        parse_duration(t)
            .map(Time)
            .ok_or_else(|| E::custom(format!("{} is not a duration {HOW}", shown(t))))
    }
}

/// A duration written as text: `humantime`'s forms, which include every one
/// the file documents (`500ms`, `30s`, `2m`, `1h`, `1d`) and more (`2 min`,
/// `1h 30m`, `1.5s`, `1w`); spaces around it are allowed.
pub(super) fn parse_duration(text: &str) -> Option<Duration> {
    humantime::parse_duration(text.trim()).ok()
}
