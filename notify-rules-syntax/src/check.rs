//! Checks on a parsed rule text: targets, repeated clauses, rules that can
//! never match, and regular expressions.

use std::collections::HashMap;

use crate::ast::{
    Action, Clause, ClauseKind, Condition, Loc, Pattern, PatternKind, ResultName, Rule, Rules,
    StateName,
};
use crate::error::{Error, Lines};
use crate::suggest;

/// Runs every check that needs the whole text, adding to `errors`. `src` is
/// the text for text input, to name other places by line and column.
pub(crate) fn check(rules: &Rules, src: Option<&str>, errors: &mut Vec<Error>) {
    let lines = src.map(Lines::new);
    let lines = lines.as_ref();
    targets(rules, lines, errors);
    for rule in &rules.rules {
        repeated_clauses(rule, lines, errors);
        never_matches(rule, errors);
    }
}

/// "line 1, column 8" in text; in `rules!` the compiler shows places itself.
fn place(loc: Loc, lines: Option<&Lines>) -> Option<String> {
    let (line, col) = lines?.line_col(loc.start);
    Some(format!("line {line}, column {col}"))
}

fn targets(rules: &Rules, lines: Option<&Lines>, errors: &mut Vec<Error>) {
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
    for rule in &rules.rules {
        for action in &rule.actions {
            let Action::Send { target, .. } = action else {
                continue;
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
                    format!("`send` to undeclared target `{}`", target.name),
                    target.loc,
                )
                .with_help(help),
            );
        }
    }
}

fn repeated_clauses(rule: &Rule, lines: Option<&Lines>, errors: &mut Vec<Error>) {
    let mut seen: HashMap<ClauseKind, &Clause> = HashMap::new();
    for clause in &rule.clauses {
        let kind = clause.condition.kind();
        let Some(first) = seen.get(&kind).copied() else {
            seen.insert(kind, clause);
            continue;
        };
        let word = kind.word();
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
fn combine_help(first: &Clause, second: &Clause) -> String {
    let word = first.condition.kind().word();
    let not = if first.negated { "not " } else { "" };
    let same = first.negated == second.negated;
    match (&first.condition, &second.condition) {
        (Condition::Pipeline(a), Condition::Pipeline(b))
        | (Condition::Group(a), Condition::Group(b))
        | (Condition::Stage(a), Condition::Stage(b))
        | (Condition::Label(a), Condition::Label(b))
        | (Condition::Branch(a), Condition::Branch(b))
        | (Condition::ApprovedBy(a), Condition::ApprovedBy(b))
            if same =>
        {
            format!("write `{not}{word} {}`", join_patterns(a.iter().chain(b)))
        }
        (Condition::Job(a, ra), Condition::Job(b, rb)) if same && ra == rb => {
            let results = ra.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" | ");
            let sep = if results.is_empty() { "" } else { " " };
            format!("write `{not}job {}{sep}{results}`", join_patterns(a.iter().chain(b)))
        }
        (Condition::State(a), Condition::State(b)) if same => {
            let names: Vec<&str> = a.iter().chain(b).map(|s| s.as_str()).collect();
            format!("write `{not}state {}`", names.join(" | "))
        }
        (Condition::Result(a), Condition::Result(b)) if same => {
            let names: Vec<&str> = a.iter().chain(b).map(|s| s.as_str()).collect();
            format!("write `{not}result {}`", names.join(" | "))
        }
        (Condition::Guard(_), _) => "combine the two in one expression with `&&`".into(),
        (Condition::Broken | Condition::Fixed | Condition::StillFailing | Condition::Any, _) => {
            format!("remove one `{word}`")
        }
        _ => format!(
            "a rule has one `{word}` clause; say both in one clause (a `regex(...)` can exclude values), \
             or write two rules"
        ),
    }
}

fn join_patterns<'a>(patterns: impl Iterator<Item = &'a Pattern>) -> String {
    patterns
        .map(|p| match p.kind {
            PatternKind::Regex => format!("regex({:?})", p.text),
            PatternKind::Exact | PatternKind::Glob => format!("{:?}", p.text),
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// What a completed run must have ended as for a transition to hold.
fn needed_outcome(kind: ClauseKind) -> Option<(StateName, ResultName)> {
    match kind {
        ClauseKind::Broken | ClauseKind::StillFailing => {
            Some((StateName::Failed, ResultName::Failed))
        }
        ClauseKind::Fixed => Some((StateName::Passed, ResultName::Passed)),
        _ => None,
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
        .filter(|c| !c.negated && needed_outcome(c.condition.kind()).is_some())
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
        let Some((state, result)) = needed_outcome(kind) else {
            continue;
        };
        for c in &rule.clauses {
            let (allows, clause) = match &c.condition {
                Condition::State(list) => (list.contains(&state) != c.negated, clause_text(c)),
                Condition::Result(list) => (list.contains(&result) != c.negated, clause_text(c)),
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

/// A `state` or `result` clause as written.
fn clause_text(c: &Clause) -> String {
    let not = if c.negated { "not " } else { "" };
    let names: Vec<&str> = match &c.condition {
        Condition::State(l) => l.iter().map(|s| s.as_str()).collect(),
        Condition::Result(l) => l.iter().map(|r| r.as_str()).collect(),
        _ => Vec::new(),
    };
    format!("{not}{} {}", c.condition.kind().word(), names.join(" | "))
}

/// Why a `regex("...")` pattern is refused.
pub(crate) struct RegexProblem {
    /// The `regex` crate's description.
    pub message: String,
    pub help: Option<String>,
    /// The part of the expression at fault, in bytes, when known.
    pub span: Option<(usize, usize)>,
}

/// Builds a rule's regular expression the one way it is both checked and
/// matched: anchored to the whole value, case-insensitive for the names GoCD
/// compares so (pipeline, group, stage, job).
///
/// The anchors are added to the parsed expression, not to its text, so that
/// nothing in the text can reach them: in verbose mode (`(?x)`) a trailing
/// `# comment` would otherwise swallow a closing `)$`.
///
/// ```
/// let re = notify_rules_syntax::build_regex("sandbox-.*", true).unwrap();
/// assert!(re.is_match("Sandbox-1"));
/// assert!(!re.is_match("my-sandbox-1"));
///
/// let re = notify_rules_syntax::build_regex("(?x) deploy-.*  # the deploy pipelines", false).unwrap();
/// assert!(re.is_match("deploy-web"));
/// ```
pub fn build_regex(pattern: &str, case_insensitive: bool) -> Result<regex::Regex, regex::Error> {
    use regex_syntax::hir::{Hir, Look};

    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(case_insensitive)
        .build()
        .parse(pattern)
        .map_err(|e| regex::Error::Syntax(e.to_string()))?;
    let anchored = Hir::concat(vec![Hir::look(Look::Start), hir, Hir::look(Look::End)]);
    // The printed expression has the case flags already applied.
    regex::Regex::new(&anchored.to_string())
}

/// Compiles `pattern` the way matching does: anchored to the whole value as
/// `^(?:...)$`, case-insensitive for pipeline, group, stage and job names.
/// The expression must also be valid alone, so that the wrapping cannot change
/// its meaning (`a)|(b` would otherwise become `^(?:a)|(b)$`).
pub(crate) fn regex_problem(pattern: &str, case_insensitive: bool) -> Option<RegexProblem> {
    // `regex` parses with these settings too; parsing alone is cheap and says
    // where the mistake is.
    let parsed = regex_syntax::ParserBuilder::new()
        .case_insensitive(case_insensitive)
        .build()
        .parse(pattern);
    if let Err(e) = parsed {
        let span = match &e {
            regex_syntax::Error::Parse(e) => Some(*e.span()),
            regex_syntax::Error::Translate(e) => Some(*e.span()),
            _ => None,
        };
        return Some(RegexProblem {
            message: last_line(&e.to_string()),
            help: Some(
                "the expression is Rust's `regex` syntax and must match the whole value".into(),
            ),
            span: span.map(|s| (s.start.offset, s.end.offset)),
        });
    }
    // Compiling finds what parsing cannot, such as an expression too big.
    let err = build_regex(pattern, case_insensitive).err()?;
    let message = match &err {
        regex::Error::Syntax(text) => last_line(text),
        other => other.to_string(),
    };
    let help = match err {
        regex::Error::CompiledTooBig(_) => "simplify the expression, or use a glob pattern",
        _ => "the expression is Rust's `regex` syntax and must match the whole value",
    };
    Some(RegexProblem {
        message,
        help: Some(help.into()),
        span: None,
    })
}

/// The `regex` crates draw the expression with a caret, then say what is wrong
/// on the last line; the caret is shown in the rule text instead.
fn last_line(text: &str) -> String {
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(text)
        .trim();
    last.strip_prefix("error: ").unwrap_or(last).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_problems_say_what_and_where() {
        let p = regex_problem("sandbox-(", true).unwrap();
        assert_eq!(p.message, "unclosed group");
        assert_eq!(p.span, Some((8, 9)));
        let p = regex_problem("a)|(b", false).unwrap();
        assert_eq!(p.message, "unopened group");
        assert_eq!(p.span, Some((1, 2)));
        assert!(regex_problem("sandbox-.*", true).is_none());
        assert!(regex_problem("(?-i)A[0-9]+", true).is_none());
    }

    #[test]
    fn regexes_match_whole_values_whatever_their_flags() {
        let re = build_regex("(?x) deploy-.*  # the deploy pipelines", false).unwrap();
        assert!(re.is_match("deploy-web"));
        assert!(!re.is_match("old-deploy-web"));
        assert!(regex_problem("(?x) deploy-.*  # comment", true).is_none());

        let re = build_regex("a|ab", false).unwrap();
        assert!(re.is_match("ab") && re.is_match("a") && !re.is_match("abc"));
        let re = build_regex("(?m)^a$", false).unwrap();
        assert!(!re.is_match("a\na"));

        let re = build_regex("(?-i)A[0-9]+", true).unwrap();
        assert!(re.is_match("A12") && !re.is_match("a12"));
        let re = build_regex("api-(server|gateway)", true).unwrap();
        assert!(re.is_match("API-Server") && !re.is_match("api-server-2"));
        assert!(!build_regex("api", false).unwrap().is_match("API"));
    }

    #[test]
    fn a_regex_too_big_is_refused() {
        let p = regex_problem(r"\w{1000}\w{1000}\w{1000}", false).unwrap();
        assert!(p.message.contains("size limit"), "{}", p.message);
        assert_eq!(p.span, None);
    }
}
