//! Making a [`TimeForms`]: from the syntax tree for loaded rules, from the
//! static table generated code holds for compiled ones. Both end in the same
//! values, so the two engines answer every question about time alike.

use std::time::Duration;

use notify_rules_syntax::ast::{self, Template};
use notify_rules_syntax::window::{WindowPart, WindowSpec};

use super::{Remind, RuleTiming, TimeForms, Window};

/// The time forms of compiled rules, as the macro writes them.
#[doc(hidden)]
#[derive(Debug)]
pub struct TimeMeta {
    pub windows: &'static [WindowMeta],
    /// Only the stage rules that have time forms.
    pub stage: &'static [RuleTimeMeta],
    /// Only the agent rules that have time forms.
    pub agent: &'static [RuleTimeMeta],
    /// How many stage and agent rules there are.
    pub counts: (usize, usize),
}

/// A `window`: its name, its parts as `(days, start, end)`, its zone.
#[doc(hidden)]
#[derive(Debug)]
pub struct WindowMeta {
    pub name: &'static str,
    pub parts: &'static [(u8, u16, u16)],
    pub zone: &'static str,
}

/// One rule's time forms; templates as the rule language writes them.
#[doc(hidden)]
#[derive(Debug)]
pub struct RuleTimeMeta {
    pub rule: u32,
    /// `Rules::identities`' value for the rule.
    pub identity: u32,
    /// Seconds; 0 for no `every`.
    pub every: u64,
    pub during: Option<u32>,
    /// `(target, seconds, message, whether the action has a template)`.
    pub reminds: &'static [(&'static str, u64, &'static str, bool)],
    /// `(action index, template)` of the sends that hold `{suppressed}`.
    pub suppressed: &'static [(u32, &'static str)],
}

impl TimeForms {
    /// The time forms of a checked syntax tree; `None` when it has none.
    pub(crate) fn from_ast(rules: &ast::Rules) -> Option<TimeForms> {
        let windows: Vec<Window> = rules
            .windows
            .iter()
            .map(|w| Window {
                name: w.name.name.clone(),
                spec: w.spec.clone(),
                zone: w.zone.clone(),
            })
            .collect();
        let index_of =
            |name: &ast::Ident| rules.windows.iter().position(|w| w.name.name == name.name);
        let (stage_ids, agent_ids) = rules.identities();
        let timing = |actions: &[ast::Action], timing: &ast::Timing, agent: bool, identity| {
            let reminds: Vec<Remind> = actions
                .iter()
                .filter_map(|a| match a {
                    ast::Action::Remind {
                        target,
                        after,
                        template,
                        ..
                    } => Some(Remind {
                        target: target.name.clone(),
                        after: after.duration(),
                        template: ast::remind_message(template.as_ref()),
                        has_template: template.is_some(),
                    }),
                    _ => None,
                })
                .collect();
            let suppressed = ast::suppressed_sends(actions, agent);
            let every = timing.every.map(|d| d.duration());
            let during = timing.during.as_ref().and_then(index_of);
            (every.is_some() || during.is_some() || !reminds.is_empty()).then_some(RuleTiming {
                identity,
                every,
                during,
                reminds,
                suppressed,
            })
        };
        let stage: Vec<Option<RuleTiming>> = rules
            .rules
            .iter()
            .zip(stage_ids)
            .map(|(r, id)| timing(&r.actions, &r.timing, false, id))
            .collect();
        let agent: Vec<Option<RuleTiming>> = rules
            .agent_rules
            .iter()
            .zip(agent_ids)
            .map(|(r, id)| timing(&r.actions, &r.timing, true, id))
            .collect();
        let any = !windows.is_empty()
            || stage.iter().any(Option::is_some)
            || agent.iter().any(Option::is_some);
        any.then_some(TimeForms {
            windows,
            stage,
            agent,
        })
    }

    /// The time forms generated code describes.
    pub(crate) fn from_meta(meta: &TimeMeta) -> TimeForms {
        let windows = meta
            .windows
            .iter()
            .map(|w| Window {
                name: w.name.to_owned(),
                spec: WindowSpec {
                    parts: w
                        .parts
                        .iter()
                        .map(|&(days, start, end)| WindowPart { days, start, end })
                        .collect(),
                },
                zone: w.zone.to_owned(),
            })
            .collect();
        let table = |rules: &[RuleTimeMeta], count: usize| {
            let mut out: Vec<Option<RuleTiming>> = vec![None; count];
            for r in rules {
                let timing = RuleTiming {
                    identity: r.identity,
                    every: (r.every > 0).then(|| Duration::from_secs(r.every)),
                    during: r.during.map(|d| d as usize),
                    reminds: r
                        .reminds
                        .iter()
                        .map(|&(target, secs, message, has_template)| Remind {
                            target: target.to_owned(),
                            after: Duration::from_secs(secs),
                            template: template(message),
                            has_template,
                        })
                        .collect(),
                    suppressed: r
                        .suppressed
                        .iter()
                        .map(|&(action, text)| (action, template(text)))
                        .collect(),
                };
                if let Some(slot) = out.get_mut(r.rule as usize) {
                    *slot = Some(timing);
                }
            }
            out
        };
        TimeForms {
            windows,
            stage: table(meta.stage, meta.counts.0),
            agent: table(meta.agent, meta.counts.1),
        }
    }
}

/// A template the macro wrote back as text, read again. The macro checked it;
/// failing here means the macro and the runtime disagree on the template
/// syntax, and an empty message is the least harm.
fn template(text: &str) -> Template {
    notify_rules_syntax::parse_template_any(text).unwrap_or(Template { pieces: Vec::new() })
}

/// A rule's `every` and `during` as the language writes them, for `explain`.
pub(crate) fn describe(timing: &ast::Timing) -> Option<String> {
    let every = timing.every.map(|d| format!("every {d}"));
    let during = timing.during.as_ref().map(|w| format!("during {}", w.name));
    match (every, during) {
        (Some(e), Some(d)) => Some(format!("{e} {d}")),
        (e, d) => e.or(d),
    }
}
