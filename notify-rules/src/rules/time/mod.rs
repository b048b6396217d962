//! The time forms of a rule set: `window` items, `remind`, `every` and
//! `during`, as data that the plugin's clock, store and scheduler read.
//!
//! Compiled and loaded rules describe them the same way: the interpreter
//! builds a [`TimeForms`] from the syntax tree, generated code from a static
//! table the macro wrote from the same tree ([`build`]), and the texts of
//! reminders and of `{suppressed}` are rendered from templates by one
//! renderer for both.
//!
//! `RuleSet::evaluate*` have no clock: they ignore `every` and `during`,
//! schedule no reminder and render `{suppressed}` as 0.

pub(crate) mod build;

use std::sync::Arc;
use std::time::Duration;

use notify_rules_syntax::ast::{Field, Template};
use notify_rules_syntax::window::WindowSpec;

use super::{Delivery, Eval, RuleSet, Source, Transition};
use crate::model::StageStatus;

/// A `window NAME = "SPEC" in "ZONE";` of the rules.
///
/// ```
/// use notify_rules::RuleSet;
///
/// let rules = RuleSet::parse(r#"target ops;
///     window office = "Mon-Fri 08:00-18:00" in "Europe/Berlin";
///     on state Failed => send(ops) during office;"#).unwrap();
/// let w = &rules.windows()[0];
/// assert_eq!((w.name(), w.zone()), ("office", "Europe/Berlin"));
/// assert_eq!(w.spec().to_string(), "Mon-Fri 08:00-18:00");
/// assert_eq!(rules.timing(0).unwrap().during(), Some(0));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    name: String,
    spec: WindowSpec,
    zone: String,
}

impl Window {
    /// The name `during` refers to it by.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// When it is open, in wall-clock times of [`Window::zone`].
    pub fn spec(&self) -> &WindowSpec {
        &self.spec
    }

    /// The IANA zone, as jiff's bundled database spells it.
    pub fn zone(&self) -> &str {
        &self.zone
    }
}

/// A `remind(target, D[, "template"])` action.
#[derive(Debug, Clone)]
pub struct Remind {
    target: String,
    after: Duration,
    /// The message: the action's template, or the rule's default message
    /// with " (still failing)" after it.
    template: Template,
    has_template: bool,
}

impl Remind {
    /// The target the reminders go to.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// When the first reminder is due after the rule fired, and the time
    /// between two.
    pub fn after(&self) -> Duration {
        self.after
    }

    /// Whether the action has a template of its own.
    pub fn has_template(&self) -> bool {
        self.has_template
    }
}

/// What a rule says about time: `every`, `during` and its `remind` actions.
#[derive(Debug, Clone, Default)]
pub struct RuleTiming {
    identity: u32,
    every: Option<Duration>,
    during: Option<usize>,
    reminds: Vec<Remind>,
    /// The templates of its sends that hold `{suppressed}`, by action index.
    suppressed: Vec<(u32, Template)>,
}

impl RuleTiming {
    /// What the state store keeps the rule's reminders and throttles
    /// under: the same across reloads while the rule matches the same and
    /// acts alike (see `notify_rules_syntax::ast::Rules::identities`), so a
    /// rule added above it or a message reworded keeps them.
    pub fn identity(&self) -> u32 {
        self.identity
    }

    /// `every D`: at most one delivery per target for each pipeline and
    /// stage (each agent, for an agent rule) in any D.
    pub fn every(&self) -> Option<Duration> {
        self.every
    }

    /// `during W`: the index of W in [`RuleSet::windows`].
    pub fn during(&self) -> Option<usize> {
        self.during
    }

    /// The rule's `remind` actions, in order; a [`ReminderStart`]'s
    /// `remind_index` is an index here.
    pub fn reminds(&self) -> &[Remind] {
        &self.reminds
    }
}

/// A remind action of a rule that fired, reported by the timed evaluation:
/// the plugin schedules its first reminder `after` from now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderStart {
    /// The stage rule that fired.
    pub rule_index: usize,
    /// Its remind action, an index in [`RuleTiming::reminds`].
    pub remind_index: usize,
    /// The target the reminders go to.
    pub target: String,
    /// When the first is due, and the time between two.
    pub after: Duration,
}

/// Every time form of a rule set; `None` in [`RuleSet`] when it has none.
#[derive(Debug, Default)]
pub(crate) struct TimeForms {
    windows: Vec<Window>,
    /// By stage rule index; `None` for a rule without time forms.
    stage: Vec<Option<RuleTiming>>,
    /// By agent rule index.
    agent: Vec<Option<RuleTiming>>,
}

impl RuleSet {
    /// The windows the rules declare, in declaration order.
    pub fn windows(&self) -> &[Window] {
        self.time.as_deref().map_or(&[], |t| &t.windows)
    }

    /// The time forms of stage rule `rule_index` (as [`Delivery::rule_index`]
    /// counts); `None` for a rule with none.
    pub fn timing(&self, rule_index: usize) -> Option<&RuleTiming> {
        self.time.as_deref()?.stage.get(rule_index)?.as_ref()
    }

    /// The stage rule with time forms whose [`RuleTiming::identity`] is
    /// `identity`: where a reminder or throttle the store kept belongs now,
    /// if anywhere (the rules may have been reloaded since).
    pub fn timed_rule(&self, identity: u32) -> Option<usize> {
        let stage = &self.time.as_deref()?.stage;
        stage
            .iter()
            .position(|t| t.as_ref().is_some_and(|t| t.identity == identity))
    }

    /// The time forms of agent rule `rule_index`; `None` for a rule with none.
    pub fn agent_timing(&self, rule_index: usize) -> Option<&RuleTiming> {
        self.time.as_deref()?.agent.get(rule_index)?.as_ref()
    }

    /// Whether some rule has `remind`, `every` or `during`, or some
    /// `window` is declared: then the plugin needs its clock and store.
    pub fn has_time_forms(&self) -> bool {
        self.time.is_some()
    }

    /// The reminder's text: its template (or the rule's default message plus
    /// " (still failing)") over the notification that started it, with
    /// `{since}` and `{reminder}`. `{link}` and `{transition}` render empty;
    /// [`RuleSet::reminder_text_with`] gives them.
    ///
    /// ```
    /// use std::time::Duration;
    /// use notify_rules::{RuleSet, model::StageStatus};
    ///
    /// let rules = RuleSet::parse(r#"target ops;
    ///     on state Failed => remind(ops, 4h, "{pipeline.name} red for {since} ({reminder})");"#).unwrap();
    /// let body = r#"{"pipeline":{"name":"shop","counter":"3","build-cause":[],
    ///   "stage":{"name":"test","counter":"1","state":"Failed","result":"Failed","jobs":[]}}}"#;
    /// let status: StageStatus = serde_json::from_str(body).unwrap();
    /// let text = rules.reminder_text(0, 0, &status, Duration::from_secs(8 * 3600), 2);
    /// assert_eq!(text, "shop red for 8h 0m 0s (2)");
    /// ```
    pub fn reminder_text(
        &self,
        rule_index: usize,
        remind_index: usize,
        status: &StageStatus,
        since: Duration,
        reminder: u32,
    ) -> String {
        self.reminder_text_with(
            rule_index,
            remind_index,
            status,
            since,
            reminder,
            None,
            None,
        )
    }

    /// [`RuleSet::reminder_text`] with the transition of the notification
    /// that started the reminders and the server address for `{link}`.
    /// Empty for a rule or remind action that does not exist.
    #[allow(clippy::too_many_arguments)]
    pub fn reminder_text_with(
        &self,
        rule_index: usize,
        remind_index: usize,
        status: &StageStatus,
        since: Duration,
        reminder: u32,
        transition: Option<Transition>,
        server_url: Option<&str>,
    ) -> String {
        let Some(remind) = self
            .timing(rule_index)
            .and_then(|t| t.reminds.get(remind_index))
        else {
            return String::new();
        };
        let ev = Eval::new(status, transition, server_url);
        render_timed(&remind.template, &ev, |out, f| match f {
            Field::Since => {
                super::render::push_duration(out, since.as_secs().min(i64::MAX as u64) as i64)
            }
            Field::Reminder => out.push_str(itoa::Buffer::new().format(reminder)),
            _ => ev.push_field(out, f),
        })
    }

    /// A delivery's text again with `{suppressed}` = `suppressed` (an
    /// evaluation renders it as 0); the text as it is for a delivery whose
    /// template has no `{suppressed}`. `{link}` renders empty, as with no
    /// server address: [`RuleSet::text_with_suppressed_at`] gives one.
    ///
    /// ```
    /// use notify_rules::{RuleSet, model::StageStatus};
    ///
    /// let rules = RuleSet::parse(r#"target ops;
    ///     on state Failed => send(ops, "{pipeline.name} failed ({suppressed} more)") every 1h;"#).unwrap();
    /// let body = r#"{"pipeline":{"name":"shop","counter":"3","build-cause":[],
    ///   "stage":{"name":"test","counter":"1","state":"Failed","result":"Failed","jobs":[]}}}"#;
    /// let status: StageStatus = serde_json::from_str(body).unwrap();
    /// let made = rules.evaluate(&status);
    /// assert_eq!(made[0].text(), "shop failed (0 more)");
    /// assert_eq!(rules.text_with_suppressed(&made[0], 7), "shop failed (7 more)");
    /// ```
    pub fn text_with_suppressed(&self, delivery: &Delivery<'_>, suppressed: u64) -> String {
        self.text_with_suppressed_at(delivery, suppressed, None)
    }

    /// [`RuleSet::text_with_suppressed`] with the server address for `{link}`.
    pub fn text_with_suppressed_at(
        &self,
        delivery: &Delivery<'_>,
        suppressed: u64,
        server_url: Option<&str>,
    ) -> String {
        let n = itoa::Buffer::new().format(suppressed).to_owned();
        let action = delivery.action_index() as u32;
        let template = |timing: Option<&RuleTiming>| {
            timing.and_then(|t| {
                t.suppressed
                    .iter()
                    .find(|(a, _)| *a == action)
                    .map(|(_, t)| t.clone())
            })
        };
        if let Some(status) = delivery.status() {
            if let Some(t) = template(self.timing(delivery.rule_index())) {
                let ev = Eval::new(status, delivery.transition(), server_url);
                return render_timed(&t, &ev, |out, f| match f {
                    Field::Suppressed => out.push_str(&n),
                    _ => ev.push_field(out, f),
                });
            }
        } else if let Some(agent) = delivery.agent() {
            if let Some(t) = template(self.agent_timing(delivery.rule_index())) {
                let ev =
                    super::AgentEval::new_agent(agent, delivery.agent_transition(), server_url);
                return render_timed(&t, &ev, |out, f| match f {
                    Field::Suppressed => out.push_str(&n),
                    _ => ev.push_field(out, f),
                });
            }
        }
        delivery.text().to_owned()
    }

    /// The `remind` actions a notification would start: those of the rules
    /// that fire for it, in rule order. Delivers nothing; what a plugin
    /// schedules when it handles the notification.
    ///
    /// ```
    /// use std::time::Duration;
    /// use notify_rules::{RuleSet, Transition, model::StageStatus};
    ///
    /// let rules = RuleSet::parse("target ops; on broken => send(ops), remind(ops, 4h);").unwrap();
    /// let body = r#"{"pipeline":{"name":"shop","counter":"3","build-cause":[],
    ///   "stage":{"name":"test","counter":"1","state":"Failed","result":"Failed","jobs":[]}}}"#;
    /// let status: StageStatus = serde_json::from_str(body).unwrap();
    /// let starts = rules.reminder_starts(&status, Some(Transition::Broken));
    /// assert_eq!((starts[0].target.as_str(), starts[0].after), ("ops", Duration::from_secs(4 * 3600)));
    /// assert!(rules.reminder_starts(&status, None).is_empty(), "no history: `broken` does not match");
    /// ```
    pub fn reminder_starts(
        &self,
        status: &StageStatus,
        transition: Option<Transition>,
    ) -> Vec<ReminderStart> {
        if self.time.is_none() {
            return Vec::new();
        }
        let mut ev = Eval::new(status, transition, None);
        self.run_in(&mut ev);
        let mut out = Vec::new();
        self.starts(&ev.reminds, &mut out);
        out
    }

    /// The reminders `fired` (rule, remind index) name, added to `out`.
    fn starts(&self, fired: &[(u32, u32)], out: &mut Vec<ReminderStart>) {
        for &(rule, remind) in fired {
            let Some(r) = self
                .timing(rule as usize)
                .and_then(|t| t.reminds.get(remind as usize))
            else {
                continue;
            };
            out.push(ReminderStart {
                rule_index: rule as usize,
                remind_index: remind as usize,
                target: r.target.clone(),
                after: r.after,
            });
        }
    }

    /// [`RuleSet::evaluate_shared`] that also reports, in `reminders`, the
    /// `remind` actions of the rules that fired, for the plugin to schedule.
    #[allow(dead_code)] // The plugin's clock (issue 16, the scheduler side) calls it.
    pub(crate) fn evaluate_shared_timed(
        &self,
        status: &Arc<StageStatus>,
        transition: Option<Transition>,
        server_url: Option<&str>,
        reminders: &mut Vec<ReminderStart>,
    ) -> Vec<Delivery<'static>> {
        let mut ev = Eval::new(status, transition, server_url);
        ev.source = Source::Shared(Arc::clone(status));
        self.run_in(&mut ev);
        self.starts(&ev.reminds, reminders);
        std::mem::take(&mut ev.out)
            .into_iter()
            .map(Delivery::into_owned)
            .collect()
    }
}

/// A template rendered with `push` for each field; the time placeholders are
/// `push`'s to give.
fn render_timed<N, T>(
    template: &Template,
    _ev: &Eval<'_, N, T>,
    push: impl Fn(&mut String, Field),
) -> String {
    let mut out = String::with_capacity(template.text_len() + 32);
    for piece in &template.pieces {
        match piece {
            notify_rules_syntax::ast::Piece::Text(t) => out.push_str(t),
            notify_rules_syntax::ast::Piece::Field(f) => push(&mut out, *f),
        }
    }
    out
}

#[cfg(test)]
mod tests;
