//! Replacing the plugin of a running server, for a reload of its rules.

use std::sync::Arc;

use super::routes::Current;
use super::Metrics;
use crate::Plugin;

/// Replaces the plugin a running server answers with; from
/// [`Server::reloader`](super::Server::reloader). Cloning shares it.
///
/// ```
/// use std::sync::Arc;
/// use notify_rules::server::{Server, ServerOptions};
/// use notify_rules::{Plugin, RuleSet};
///
/// let runtime = tokio::runtime::Runtime::new().unwrap();
/// runtime.block_on(async {
///     let old = Plugin::builder(RuleSet::parse("").unwrap()).build().unwrap();
///     let options = ServerOptions { listen: "127.0.0.1:0".parse().unwrap(), ..Default::default() };
///     let server = Server::bind(Arc::new(old), options).await.unwrap();
///     let new = Plugin::builder(RuleSet::parse("target ops;").unwrap())
///         .notifier("ops", |_: &notify_rules::Delivery| Ok(()))
///         .build()
///         .unwrap();
///     let old = server.reloader().replace(Arc::new(new));
///     assert!(old.targets().is_empty());
/// });
/// ```
#[derive(Clone)]
pub struct Reloader {
    pub(crate) plugin: Current,
    pub(crate) metrics: Option<Metrics>,
}

impl Reloader {
    /// From now on `plugin` answers every request, and the outbox flushes
    /// go through it. Requests already started finish with the plugin they
    /// took, deliveries included; deliveries waiting in a durable store are
    /// the new plugin's to send. Returns the plugin replaced.
    pub fn replace(&self, plugin: Arc<Plugin>) -> Arc<Plugin> {
        if let Some(metrics) = &self.metrics {
            metrics.rules_in_force(plugin.rules().len());
        }
        let mut current = self
            .plugin
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        std::mem::replace(&mut *current, plugin)
    }
}

impl std::fmt::Debug for Reloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reloader").finish_non_exhaustive()
    }
}
