//! Checks of the time forms: windows declared once, `during` of a declared
//! window, `remind` only where a `Passed` run can end it.

use std::collections::HashMap;

use super::place;
use crate::ast::{Action, Clause, Condition, Loc, ResultName, Rules, StateName};
use crate::error::{Error, Lines};
use crate::suggest;

pub(super) fn time(rules: &Rules, lines: Option<&Lines<'_>>, errors: &mut Vec<Error>) {
    let mut declared: HashMap<&str, Loc> = HashMap::new();
    for w in &rules.windows {
        match declared.get(w.name.name.as_str()) {
            Some(first) => {
                let help = match place(*first, lines) {
                    Some(at) => format!("it was first declared at {at}; remove one of the two, or rename one"),
                    None => "it is declared earlier in this `rules!`; remove one of the two, or rename one".into(),
                };
                errors.push(
                    Error::new(
                        format!("window `{}` is declared twice", w.name.name),
                        w.name.loc,
                    )
                    .with_help(help),
                );
            }
            None => {
                declared.insert(&w.name.name, w.name.loc);
            }
        }
    }
    let names: Vec<&str> = rules.windows.iter().map(|w| w.name.name.as_str()).collect();
    let stage = rules.rules.iter().map(|r| &r.timing);
    let agent = rules.agent_rules.iter().map(|r| &r.timing);
    for during in stage.chain(agent).filter_map(|t| t.during.as_ref()) {
        if declared.contains_key(during.name.as_str()) {
            continue;
        }
        let help = match suggest::suggest(&during.name, names.iter().copied()) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!(
                "declare it with `window {} = \"Mon-Fri 08:00-18:00\" in \"Europe/Berlin\";`",
                during.name
            ),
        };
        errors.push(
            Error::new(
                format!("`during` of undeclared window `{}`", during.name),
                during.loc,
            )
            .with_help(help),
        );
    }
    for rule in &rules.agent_rules {
        for action in &rule.actions {
            if let Action::Remind { loc, .. } = action {
                errors.push(
                    Error::new(
                        "`remind` is for stage rules: reminders repeat until the stage completes `Passed`, \
                         and an agent rule has no such end",
                        *loc,
                    )
                    .with_help("write `every 1h` after the actions to hear of an agent at most once an hour"),
                );
            }
        }
    }
    for rule in &rules.rules {
        let Some(loc) = rule.actions.iter().find_map(|a| match a {
            Action::Remind { loc, .. } => Some(*loc),
            _ => None,
        }) else {
            continue;
        };
        if !rule.clauses.iter().any(only_failures) {
            errors.push(
                Error::new(
                    "`remind` on a rule that can match a success: a rule with `remind` must match only failures",
                    loc,
                )
                .with_help(
                    "add `broken`, `still_failing`, `state Failed` or `result Failed` to its clauses",
                ),
            );
        }
    }
}

/// Whether a clause lets through only stage runs that completed `Failed`.
fn only_failures(c: &Clause) -> bool {
    !c.negated
        && match &c.condition {
            Condition::Broken | Condition::StillFailing => true,
            Condition::State(s) => !s.is_empty() && s.iter().all(|s| *s == StateName::Failed),
            Condition::Result(r) => !r.is_empty() && r.iter().all(|r| *r == ResultName::Failed),
            _ => false,
        }
}
