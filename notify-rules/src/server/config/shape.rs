//! Problems a configuration file shows without the environment: settings that
//! do not fit their target's kind, names that cannot be environment variables,
//! values out of range.

use std::time::Duration;

use super::checks::is_env_name;
use super::schema::{Kind, StoreKind, Time};
use super::{Config, ConfigProblem};

impl Config {
    /// Problems visible without the environment.
    pub(super) fn shape_problems(&self) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        for (name, target) in &self.file.targets {
            let kind = target.kind.as_str();
            let allowed = target.kind.settings();
            for setting in target.set() {
                if !allowed.contains(&setting) {
                    problems.push(ConfigProblem::NotASetting {
                        target: name.clone(),
                        setting,
                        kind,
                        allowed,
                    });
                }
            }
            let need = |problems: &mut Vec<ConfigProblem>, setting, present: bool| {
                if !present {
                    problems.push(ConfigProblem::Needs {
                        target: name.clone(),
                        kind,
                        setting,
                    });
                }
            };
            match target.kind {
                Kind::Console => {}
                Kind::Webhook | Kind::Slack | Kind::Teams | Kind::GoogleChat | Kind::Discord => {
                    need(&mut problems, "url_env", target.url_env.is_some());
                    for header in target.headers.keys().filter(|h| carries_secret(h)) {
                        problems.push(ConfigProblem::SecretHeader {
                            target: name.clone(),
                            header: header.clone(),
                        });
                    }
                }
                Kind::SlackApp => {
                    need(&mut problems, "token_env", target.token_env.is_some());
                    need(&mut problems, "channel", target.channel.is_some());
                }
                Kind::Email => {
                    need(&mut problems, "host", target.host.is_some());
                    need(&mut problems, "from", target.from.is_some());
                    need(&mut problems, "to", !target.to.is_empty());
                    if target.user.is_some() != target.password_env.is_some() {
                        problems.push(ConfigProblem::UserWithoutPassword {
                            target: name.clone(),
                        });
                    }
                    if let Some(Err(error)) = target.subject_template() {
                        problems.push(ConfigProblem::Subject {
                            target: name.clone(),
                            error,
                        });
                    }
                }
            }
        }
        for (owner, setting, name) in self.env_names() {
            if !is_env_name(name) {
                problems.push(ConfigProblem::NotAVariableName { owner, setting });
            }
        }
        if let Some(problem) = self
            .file
            .gocd
            .server_url
            .as_deref()
            .and_then(crate::plugin::server_url_problem)
        {
            problems.push(ConfigProblem::ServerUrl(problem));
        }
        if let Some(Err(problem)) = self.time_zone() {
            problems.push(ConfigProblem::TimeZone(problem));
        }
        self.state_problems(&mut problems);
        self.range_problems(&mut problems);
        problems
    }

    /// Numbers out of the range the server works with: a zero timeout would
    /// fail every request, a huge one overflows the clock when added to it.
    fn range_problems(&self, problems: &mut Vec<ConfigProblem>) {
        const MS: Duration = Duration::from_millis(1);
        const SECOND: Duration = Duration::from_secs(1);
        const HOUR: Duration = Duration::from_secs(3600);
        const DAY: Duration = Duration::from_secs(24 * 3600);
        let mut time = |setting: &str, value: Option<Time>, min: Duration, max: Duration| {
            if let Some(Time(t)) = value {
                if t < min || t > max {
                    problems.push(ConfigProblem::OutOfRange {
                        setting: setting.to_owned(),
                        min: show_time(min),
                        max: show_time(max),
                        value: show_time(t),
                    });
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
        time("[server] header_timeout", server.header_timeout, MS, HOUR);
        // 0 means never.
        time(
            "[outbox] flush_interval",
            self.file.outbox.flush_interval,
            Duration::ZERO,
            DAY,
        );
        time("[outbox] lease", self.file.outbox.lease, SECOND, DAY);
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
                problems.push(ConfigProblem::OutOfRange {
                    setting: setting.to_owned(),
                    min: min.to_string(),
                    max: max.to_string(),
                    value: n.to_string(),
                });
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
            "[server] max_idle_per_address",
            server.max_idle_per_address,
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
    /// `[state]` settings that do not fit the store, and the settings it
    /// replaced.
    fn state_problems(&self, problems: &mut Vec<ConfigProblem>) {
        if self.file.history.is_some() {
            problems.push(ConfigProblem::Replaced {
                old: "[history]",
                instead:
                    "history is kept in the state store: [state] store = \"sqlite\" (the default, \
                          with path = \"notify-rules.db\"), \"postgres\" or \"memory\"",
            });
        }
        if self.file.outbox.path.is_some() {
            problems.push(ConfigProblem::Replaced {
                old: "[outbox] path",
                instead:
                    "the outbox is kept in the state store: [state] path = \"notify-rules.db\" \
                          (a SQLite file, the default)",
            });
        }
        let state = &self.file.state;
        if state.path.is_some() && state.store != StoreKind::Sqlite {
            problems.push(ConfigProblem::StateSetting {
                setting: "path",
                store: "sqlite",
            });
        }
        if state.url_env.is_some() && state.store != StoreKind::Postgres {
            problems.push(ConfigProblem::StateSetting {
                setting: "url_env",
                store: "postgres",
            });
        }
        for (setting, set) in [
            ("ca_file", state.ca_file.is_some()),
            ("allow_plaintext", state.allow_plaintext.is_some()),
        ] {
            if set && state.store != StoreKind::Postgres {
                problems.push(ConfigProblem::StateSetting {
                    setting,
                    store: "postgres",
                });
            }
        }
        if state.store == StoreKind::Postgres {
            if state.url_env.is_none() {
                problems.push(ConfigProblem::StateNeedsUrl);
            }
            if cfg!(not(feature = "postgres")) {
                problems.push(ConfigProblem::StoreNotBuilt("postgres"));
            }
        }
    }

    fn env_names(&self) -> Vec<(String, String, &str)> {
        let mut names = Vec::new();
        if let Some(name) = &self.file.state.url_env {
            names.push(("[state]".to_owned(), "url_env".to_owned(), name.as_str()));
        }
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
            if let Some(name) = &t.token_env {
                names.push((owner.clone(), "token_env".to_owned(), name.as_str()));
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
}

/// Whether a header's name says its value is a credential.
fn carries_secret(header: &str) -> bool {
    let lower = header.to_ascii_lowercase();
    crate::model::redact::is_secret_param(&lower) || lower.contains("cookie")
}

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
