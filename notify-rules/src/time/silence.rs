//! Silences: set at run time (`notify-rules silence add`), kept in the state
//! store, matched against each delivery about a stage.

use crate::rules::matching::glob;

/// A silence: while it lasts, a delivery about a matching pipeline (and
/// stage, and target, when given) is not sent, not held, and is counted as
/// silenced. Pipeline and stage names match as the rules' do: case-insensitive,
/// `*` any run of characters, `?` one character.
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
