//! Binding the rules to the configured notifiers, secrets read from the
//! environment.

use super::super::{Metrics, Secret, ServerOptions};
use super::notifier;
use super::schema::StoreKind;
use super::{Config, ConfigError, ConfigProblem};
use crate::plugin::{OutboxPolicy, RetryPolicy};
use crate::state::State;
use crate::{Plugin, PluginBuilder, RuleSet};

/// The SQLite file when `[state] path` is not set, beside the configuration.
pub const DEFAULT_STATE_FILE: &str = "notify-rules.db";

/// What [`Config::setup`] makes: the plugin and the server's options.
#[derive(Debug)]
pub struct Setup {
    /// The plugin, its targets bound to the configured notifiers.
    pub plugin: Plugin,
    /// Where and how to listen.
    pub options: ServerOptions,
}

impl Config {
    /// Builds the plugin for `rules` and the server's options, reading the
    /// secrets from the environment variables the file names. Every problem is
    /// reported at once: a missing variable (naming it and its target), a
    /// target the rules declare with no `[targets.NAME]` table or one the rules
    /// do not declare, a notifier that refuses its settings, a store that
    /// cannot be opened.
    pub fn setup(&self, rules: RuleSet) -> Result<Setup, ConfigError> {
        self.setup_with_env(rules, |name| std::env::var(name).ok())
    }

    /// [`Config::setup`] counting into `metrics` (each notifier observed,
    /// [`ServerOptions::metrics`] set to it): a reload keeps the counts.
    pub fn setup_observed(&self, rules: RuleSet, metrics: &Metrics) -> Result<Setup, ConfigError> {
        self.setup_in(rules, |name| std::env::var(name).ok(), metrics.clone())
    }

    /// [`Config::setup`] with another source of environment variables.
    pub fn setup_with_env(
        &self,
        rules: RuleSet,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Setup, ConfigError> {
        self.setup_in(rules, env, Metrics::new())
    }

    fn setup_in(
        &self,
        rules: RuleSet,
        env: impl Fn(&str) -> Option<String>,
        metrics: Metrics,
    ) -> Result<Setup, ConfigError> {
        let mut problems = Vec::new();
        // Every lookup records its own problem, so all missing variables are
        // named at once.
        let lookup = |problems: &mut Vec<ConfigProblem>, owner: &str, setting: &str, name: &str| {
            let value = env(name);
            let (owner, name, setting) = (owner.to_owned(), name.to_owned(), setting.to_owned());
            match value {
                Some(v) if !v.is_empty() => return Some(v),
                Some(_) => problems.push(ConfigProblem::VariableEmpty {
                    owner,
                    name,
                    setting,
                }),
                None => problems.push(ConfigProblem::VariableNotSet {
                    owner,
                    name,
                    setting,
                }),
            }
            None
        };

        let mut options = ServerOptions {
            metrics: Some(metrics.clone()),
            ..ServerOptions::default()
        };
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
        if let Some(t) = self.file.server.header_timeout {
            options.header_timeout = t.0;
        }
        if let Some(n) = self.file.server.max_idle_per_address {
            options.max_idle_per_address = n;
        }
        if let Some(t) = self.file.outbox.flush_interval {
            options.outbox_flush_interval = Some(t.0).filter(|d| !d.is_zero());
        }

        let mut builder = Plugin::builder(rules.clone());
        for target in rules.targets() {
            if !self.file.targets.contains_key(target) {
                problems.push(ConfigProblem::NoTable(target.clone()));
            }
        }
        for (name, target) in &self.file.targets {
            if !rules.targets().contains(name) {
                problems.push(ConfigProblem::Undeclared {
                    target: name.clone(),
                    declared: rules.targets().to_vec(),
                });
                continue;
            }
            let owner = format!("target `{name}`");
            let mut missing = Vec::new();
            let server_url = self.file.gocd.server_url.as_deref();
            let built = notifier::build(
                name,
                target,
                &mut |setting, var| lookup(&mut missing, &owner, setting, var),
                server_url,
            );
            problems.append(&mut missing);
            match built {
                Ok(Some(n)) => builder = builder.notifier(name, metrics.observe(name, n)),
                Ok(None) => {}
                Err(mut refused) => problems.append(&mut refused),
            }
        }
        builder = self.stores(builder);
        let counted = metrics.clone();
        builder = builder.on_withheld(move |target, why| counted.withheld(target, why));
        let counted = metrics.clone();
        builder = builder.on_failed_again(move |problem| {
            counted.failed_again(std::slice::from_ref(problem));
        });
        let state =
            self.state_from(&mut |setting, name| lookup(&mut problems, "[state]", setting, name));
        if let Some(state) = state {
            builder = builder.state(state);
        }
        if !problems.is_empty() {
            return Err(ConfigError::new(&self.path, problems));
        }
        match builder.build() {
            Ok(plugin) => Ok(Setup { plugin, options }),
            Err(e) => Err(ConfigError::build(&self.path, &e)),
        }
    }

    /// The state store `[state]` names, its address read from the
    /// environment (for `notify-rules outbox`, which needs no rules).
    ///
    /// ```
    /// use notify_rules::server::config::Config;
    ///
    /// let config = Config::parse("[state]\npath = \"state/notify.db\"\n", "/etc/notify-rules/c.toml")?;
    /// let state = config.state()?;
    /// assert_eq!(state.path(), Some(std::path::Path::new("/etc/notify-rules/state/notify.db")));
    ///
    /// let old = Config::parse("[outbox]\npath = \"outbox.journal\"\n", "c.toml").unwrap_err();
    /// assert!(old.to_string().contains("[outbox] path is no longer read"));
    /// # Ok::<(), notify_rules::server::config::ConfigError>(())
    /// ```
    pub fn state(&self) -> Result<State, ConfigError> {
        let mut problems = Vec::new();
        let state = self.state_from(&mut |setting, name| match std::env::var(name) {
            Ok(v) if !v.is_empty() => Some(v),
            Ok(_) => {
                problems.push(ConfigProblem::VariableEmpty {
                    owner: "[state]".into(),
                    name: name.into(),
                    setting: setting.into(),
                });
                None
            }
            Err(_) => {
                problems.push(ConfigProblem::VariableNotSet {
                    owner: "[state]".into(),
                    name: name.into(),
                    setting: setting.into(),
                });
                None
            }
        });
        match state {
            Some(state) if problems.is_empty() => Ok(state),
            _ => Err(ConfigError::new(&self.path, problems)),
        }
    }

    /// The store `[state]` names; `None` when a variable it needs is
    /// missing (`env` records why).
    pub(super) fn state_from(
        &self,
        env: &mut dyn FnMut(&str, &str) -> Option<String>,
    ) -> Option<State> {
        let state = &self.file.state;
        match state.store {
            StoreKind::Memory => Some(State::memory()),
            StoreKind::Sqlite => {
                let path = state
                    .path
                    .as_deref()
                    .unwrap_or(std::path::Path::new(DEFAULT_STATE_FILE));
                Some(State::sqlite(self.base.join(path)))
            }
            #[cfg(feature = "postgres")]
            StoreKind::Postgres => {
                let name = state.url_env.as_deref()?;
                let mut tls = crate::state::PostgresTls::default()
                    .allow_plaintext(state.allow_plaintext.unwrap_or(false));
                if let Some(ca) = &state.ca_file {
                    tls = tls.ca_file(self.base.join(ca));
                }
                env("url_env", name).map(|url| State::postgres_with_tls(url, tls))
            }
            // Refused by the shape checks.
            #[cfg(not(feature = "postgres"))]
            StoreKind::Postgres => {
                let _ = env;
                None
            }
        }
    }

    fn stores(&self, mut builder: PluginBuilder) -> PluginBuilder {
        if let Some(url) = &self.file.gocd.server_url {
            builder = builder.server_url(url);
        }
        if let Some(Ok(zone)) = self.time_zone() {
            builder = builder.time_zone(zone);
        }
        if let Some(lease) = self.file.outbox.lease {
            builder = builder.outbox_policy(OutboxPolicy {
                lease: lease.0,
                ..OutboxPolicy::default()
            });
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
