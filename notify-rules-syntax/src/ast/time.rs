//! The time forms of the syntax tree: `window` items, durations, and what a
//! rule says after its actions (`every D`, `during W`).

use super::{Ident, Loc};
use crate::window::WindowSpec;

/// `window NAME = "SPEC" in "ZONE";`
#[derive(Debug, Clone)]
pub struct WindowDecl {
    /// The window's name, as `during` names it.
    pub name: Ident,
    /// The spec, parsed.
    pub spec: WindowSpec,
    /// The IANA zone, as the bundled database spells it.
    pub zone: String,
    /// The `window` keyword.
    pub loc: Loc,
}

/// A duration: `30s`, `15m`, `4h`, `2d`.
#[derive(Debug, Clone, Copy)]
pub struct DurationLit {
    /// The length in seconds; never 0 in a checked text.
    pub secs: u64,
    /// Where it was written.
    pub loc: Loc,
}

impl DurationLit {
    /// The length as a [`std::time::Duration`].
    pub fn duration(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.secs)
    }
}

impl std::fmt::Display for DurationLit {
    /// The duration as written in its largest whole unit: `90m` is `90m`,
    /// `120m` is `2h`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_duration(f, self.secs)
    }
}

/// `secs` in the largest unit that divides it: `2d`, `90m`, `45s`.
pub fn write_duration(f: &mut impl std::fmt::Write, secs: u64) -> std::fmt::Result {
    let (n, unit) = [(86_400, 'd'), (3_600, 'h'), (60, 'm')]
        .into_iter()
        .find(|(u, _)| secs != 0 && secs % u == 0)
        .map_or((secs, 's'), |(u, c)| (secs / u, c));
    write!(f, "{n}{unit}")
}

/// What a rule says after its actions about time; both empty for most rules.
#[derive(Debug, Clone, Default)]
pub struct Timing {
    /// `every D`: at most one delivery per target in any D.
    pub every: Option<DurationLit>,
    /// `during W`: held while the window is closed.
    pub during: Option<Ident>,
}

impl Timing {
    /// Whether the rule has neither `every` nor `during`.
    pub fn is_empty(&self) -> bool {
        self.every.is_none() && self.during.is_none()
    }
}

/// What a `remind` action delivers: its template, or the stage rules'
/// default message with " (still failing)" after it.
///
/// ```
/// use notify_rules_syntax::ast::{remind_message, Template};
///
/// let t = remind_message(None);
/// assert_eq!(
///     t.to_source(),
///     "{pipeline.name} #{pipeline.counter}: stage {stage.name} #{stage.counter} {stage.state} (still failing)",
/// );
/// ```
pub fn remind_message(template: Option<&super::Template>) -> super::Template {
    if let Some(t) = template {
        return t.clone();
    }
    let mut t = super::Template::default_message();
    match t.pieces.last_mut() {
        Some(super::Piece::Text(text)) => text.push_str(REMIND_SUFFIX),
        _ => t.pieces.push(super::Piece::Text(REMIND_SUFFIX.into())),
    }
    t
}

/// What a reminder without a template adds to the default message.
pub const REMIND_SUFFIX: &str = " (still failing)";

/// The sends of a rule whose message holds `{suppressed}`, by action index,
/// with that message: what the runtime renders again with the count.
pub fn suppressed_sends(actions: &[super::Action], agent: bool) -> Vec<(u32, super::Template)> {
    actions
        .iter()
        .enumerate()
        .filter_map(|(i, a)| match a {
            super::Action::Send { template, .. } => {
                let t = template
                    .clone()
                    .unwrap_or_else(|| super::Template::default_for(agent));
                t.pieces
                    .contains(&super::Piece::Field(super::Field::Suppressed))
                    .then_some((i as u32, t))
            }
            _ => None,
        })
        .collect()
}
