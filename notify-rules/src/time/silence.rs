//! Silences: set at run time (`notify-rules silence add`), kept in the state
//! store, matched against each delivery about a stage, and (those for every
//! pipeline and no stage) about an agent.

use crate::rules::matching::glob;
use crate::rules::Delivery;

/// A silence: while it lasts, a delivery about a matching pipeline (and
/// stage, and target, when given) is not sent, not held, and is counted as
/// silenced. Pipeline and stage names match as the rules' do: case-insensitive,
/// `*` any run of characters, `?` one character.
///
/// An agent's delivery is about no pipeline: only a silence whose pipeline
/// pattern is `*` and that names no stage holds it (to its target when it
/// names one, else to every target). One that names a pipeline or a stage is
/// about stage runs, and lets agent deliveries through.
///
/// ```
/// use notify_rules::time::Silence;
///
/// let s = Silence {
///     id: 1,
///     pipeline: "api-*".into(),
///     stage: None,
///     target: Some("ops".into()),
///     ends_ms: 2_000,
///     comment: "migrating the database".into(),
///     created_ms: 0,
/// };
/// assert!(s.holds("API-orders", "test", "ops", 1_000));
/// assert!(!s.holds("api-orders", "test", "audit", 1_000));
/// assert!(!s.holds("api-orders", "test", "ops", 2_000), "over at its end");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Silence {
    /// Its id, for `silence expire`.
    pub id: u64,
    /// The pipelines it holds: a name or a pattern.
    pub pipeline: String,
    /// The stage it holds (a name or a pattern); every stage when `None`.
    pub stage: Option<String>,
    /// The target it holds; every target when `None`.
    pub target: Option<String>,
    /// When it ends, in milliseconds since 1970.
    pub ends_ms: i64,
    /// Why it was set.
    pub comment: String,
    /// When it was set, in milliseconds since 1970.
    pub created_ms: i64,
}

impl Silence {
    /// Whether it holds a delivery about `pipeline`/`stage` for `target` at
    /// `now_ms`.
    pub fn holds(&self, pipeline: &str, stage: &str, target: &str, now_ms: i64) -> bool {
        now_ms < self.ends_ms
            && glob(pipeline, &self.pipeline, true)
            && self.stage.as_deref().is_none_or(|s| glob(stage, s, true))
            && self.target.as_deref().is_none_or(|t| t == target)
    }

    /// Whether it holds an agent's delivery for `target` at `now_ms`: only
    /// a silence of every pipeline (`*`) naming no stage does.
    ///
    /// ```
    /// use notify_rules::time::Silence;
    ///
    /// let all = Silence { id: 1, pipeline: "*".into(), stage: None, target: None,
    ///     ends_ms: 2_000, comment: "maintenance".into(), created_ms: 0 };
    /// assert!(all.holds_agent("infra", 1_000));
    /// let api = Silence { pipeline: "api-*".into(), ..all.clone() };
    /// assert!(!api.holds_agent("infra", 1_000), "about the api pipelines' runs");
    /// let tests = Silence { stage: Some("test".into()), ..all };
    /// assert!(!tests.holds_agent("infra", 1_000), "about test stages");
    /// ```
    pub fn holds_agent(&self, target: &str, now_ms: i64) -> bool {
        now_ms < self.ends_ms
            && self.pipeline == "*"
            && self.stage.is_none()
            && self.target.as_deref().is_none_or(|t| t == target)
    }

    /// Whether it holds `delivery` at `now_ms`: [`Silence::holds`] for a
    /// stage's, [`Silence::holds_agent`] for an agent's.
    pub fn holds_delivery(&self, delivery: &Delivery<'_>, now_ms: i64) -> bool {
        match delivery.status() {
            Some(status) => {
                let p = &status.pipeline;
                self.holds(&p.name, &p.stage.name, delivery.target(), now_ms)
            }
            None => self.holds_agent(delivery.target(), now_ms),
        }
    }
}

/// A silence to add: what `notify-rules silence add` was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSilence {
    /// The pipelines it holds: a name or a pattern.
    pub pipeline: String,
    /// The stage it holds; every stage when `None`.
    pub stage: Option<String>,
    /// The target it holds; every target when `None`.
    pub target: Option<String>,
    /// How long it lasts from now.
    pub lasts: std::time::Duration,
    /// Why it is set.
    pub comment: String,
}
