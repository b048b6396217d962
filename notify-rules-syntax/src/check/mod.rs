//! Checks on a parsed rule text, each an independent pass over the syntax
//! tree: regular expressions, targets, repeated clauses, and rules that can
//! never match.

mod regexes;
mod time;

use std::collections::HashMap;

use crate::ast::{Action, AgentCondition, AgentRule, Clause, Condition, Loc, Rule, Rules, Shape};
use crate::error::{Error, Lines};
use crate::lang::Table;
use crate::suggest;

pub use regexes::build_regex;

/// Runs every check that needs the whole text, adding to `errors`. `src` is
/// the text for text input, to name other places by line and column and to
/// place an error inside a string literal.
pub(crate) fn check(rules: &Rules, src: Option<&str>, errors: &mut Vec<Error>) {
    let lines = src.map(Lines::new);
    let lines = lines.as_ref();
    regexes::regexes(rules, src, errors);
    targets(rules, lines, errors);
    time::time(rules, lines, errors);
    for rule in &rules.rules {
        repeated_clauses(&rule.clauses, lines, errors);
        never_matches(rule, errors);
    }
    for rule in &rules.agent_rules {
        repeated_clauses(&rule.clauses, lines, errors);
        agent_never_matches(rule, errors);
    }
}

/// "line 1, column 8" in text; in `rules!` the compiler shows places itself.
fn place(loc: Loc, lines: Option<&Lines<'_>>) -> Option<String> {
    let (line, col) = lines?.line_col(loc.start);
    Some(format!("line {line}, column {col}"))
}

fn targets(rules: &Rules, lines: Option<&Lines<'_>>, errors: &mut Vec<Error>) {
    let mut declared: HashMap<&str, Loc> = HashMap::new();
    for t in &rules.targets {
        match declared.get(t.name.as_str()) {
            Some(first) => {
                let help = match place(*first, lines) {
                    Some(at) => format!("it was first declared at {at}; remove one of the two"),
                    None => "it is declared earlier in this `rules!`; remove one of the two".into(),
                };
                errors.push(
                    Error::new(format!("target `{}` is declared twice", t.name), t.loc)
                        .with_help(help),
                );
            }
            None => {
                declared.insert(&t.name, t.loc);
            }
        }
    }
    let names: Vec<&str> = rules.targets.iter().map(|t| t.name.as_str()).collect();
    let actions = rules.rules.iter().map(|r| &r.actions);
    let agent_actions = rules.agent_rules.iter().map(|r| &r.actions);
    for actions in actions.chain(agent_actions) {
        for action in actions {
            let (target, verb) = match action {
                Action::Send { target, .. } => (target, "send"),
                Action::Remind { target, .. } => (target, "remind"),
                Action::Stop => continue,
            };
            if declared.contains_key(target.name.as_str()) {
                continue;
            }
            let help = match suggest::suggest(&target.name, names.iter().copied()) {
                Some(near) => format!("did you mean `{near}`?"),
                None if names.is_empty() => format!("declare it with `target {};`", target.name),
                None => format!(
                    "declare it with `target {};`; the declared targets are {}",
                    target.name,
                    suggest::list(names.iter().copied())
                ),
            };
            errors.push(
                Error::new(
                    format!("`{verb}` to undeclared target `{}`", target.name),
                    target.loc,
                )
                .with_help(help),
            );
        }
    }
}

fn repeated_clauses<C: Table>(
    clauses: &[Clause<C>],
    lines: Option<&Lines<'_>>,
    errors: &mut Vec<Error>,
) {
    let mut seen: HashMap<C::Kind, &Clause<C>> = HashMap::new();
    for clause in clauses {
        let kind = clause.condition.kind();
        let Some(first) = seen.get(&kind).copied() else {
            seen.insert(kind, clause);
            continue;
        };
        let word = C::word(kind);
        let mut help = combine_help(first, clause);
        if let Some(at) = place(first.loc, lines) {
            help = format!("the first `{word}` is at {at}; {help}");
        }
        errors.push(
            Error::new(format!("`{word}` is given twice in one rule"), clause.loc).with_help(help),
        );
    }
}

/// How to write two clauses of one kind as one.
fn combine_help<C: Table>(first: &Clause<C>, second: &Clause<C>) -> String {
    let kind = first.condition.kind();
    let word = C::word(kind);
    let merged = if first.negated == second.negated {
        first.condition.merged(&second.condition)
    } else {
        None
    };
    if let Some(condition) = merged {
        let clause = Clause {
            negated: first.negated,
            condition,
            loc: first.loc,
        };
        return format!("write `{clause}`");
    }
    match C::shape(kind) {
        Shape::Guard => "combine the two in one expression with `&&`".into(),
        Shape::Transition | Shape::Bare => format!("remove one `{word}`"),
        Shape::Patterns | Shape::Names | Shape::PatternsThenNames => format!(
            "a rule has one `{word}` clause; say both in one clause (a `regex(...)` can exclude values), \
             or write two rules"
        ),
    }
}

/// `lost` with `back`: an agent-status is one or the other.
fn agent_never_matches(rule: &AgentRule, errors: &mut Vec<Error>) {
    let is = |c: &&Clause<AgentCondition>, lost: bool| {
        !c.negated
            && matches!(
                (&c.condition, lost),
                (AgentCondition::Lost, true) | (AgentCondition::Back, false)
            )
    };
    let lost = rule.clauses.iter().find(|c| is(c, true));
    let back = rule.clauses.iter().find(|c| is(c, false));
    if let (Some(lost), Some(back)) = (lost, back) {
        let later = if lost.loc.start > back.loc.start {
            lost
        } else {
            back
        };
        errors.push(
            Error::new(
                "this rule can never match: an agent cannot be both `lost` and `back`",
                later.loc,
            )
            .with_help("`lost` is losing contact, `back` is coming back: write one rule for each"),
        );
    }
}

fn never_matches(rule: &Rule, errors: &mut Vec<Error>) {
    const NEVER: &str = "this rule can never match";
    for c in &rule.clauses {
        if c.negated && matches!(c.condition, Condition::Any) {
            errors.push(
                Error::new(format!("{NEVER}: `not any` matches nothing"), c.loc)
                    .with_help("remove the `not any` clause, or the rule"),
            );
        }
    }
    let transitions: Vec<&Clause> = rule
        .clauses
        .iter()
        .filter(|c| !c.negated && c.condition.kind().needs_completed().is_some())
        .collect();
    if let Some(first) = transitions.first() {
        let a = first.condition.kind().word();
        if let Some(other) = transitions
            .iter()
            .find(|t| t.condition.kind() != first.condition.kind())
        {
            let b = other.condition.kind().word();
            errors.push(
                Error::new(
                    format!("{NEVER}: a stage run cannot be both `{a}` and `{b}`"),
                    other.loc,
                )
                .with_help("write one rule for each transition"),
            );
        }
    }
    for t in transitions {
        let kind = t.condition.kind();
        let Some((state, result)) = kind.needs_completed() else {
            continue;
        };
        for c in &rule.clauses {
            let (allows, clause) = match &c.condition {
                Condition::State(list) => (list.contains(&state) != c.negated, c.to_string()),
                Condition::Result(list) => (list.contains(&result) != c.negated, c.to_string()),
                _ => continue,
            };
            if !allows {
                let word = kind.word();
                let what = c.condition.kind().word();
                errors.push(
                    Error::new(
                        format!(
                            "{NEVER}: `{word}` needs a stage run that completed `{}`, which `{clause}` rules out",
                            state.as_str()
                        ),
                        t.loc,
                    )
                    .with_help(format!("remove `{word}`, or let the `{what}` clause allow `{}`", state.as_str())),
                );
            }
        }
    }
}
