//! Regular expressions: each `regex("...")` must compile the way matching
//! builds it, and an error in it is shown at the character it is about.

use std::collections::HashSet;

use crate::ast::{PatternKind, Rules};
use crate::error::Error;
use crate::lexer;

/// Checks every `regex("...")` with the case setting of its clause.
pub(super) fn regexes(rules: &Rules, src: Option<&str>, errors: &mut Vec<Error>) {
    // Rule sets repeat expressions; each is compiled once.
    let mut good: HashSet<(&str, bool)> = HashSet::new();
    let stage = rules
        .rules
        .iter()
        .flat_map(|r| &r.clauses)
        .map(|c| (c.condition.kind().ignores_case(), c.condition.patterns()));
    let agent = rules
        .agent_rules
        .iter()
        .flat_map(|r| &r.clauses)
        .map(|c| (c.condition.kind().ignores_case(), c.condition.patterns()));
    for (ignore_case, patterns) in stage.chain(agent) {
        let regexes = patterns.iter();
        for p in regexes.filter(|p| p.kind == PatternKind::Regex) {
            if good.contains(&(p.text.as_str(), ignore_case)) {
                continue;
            }
            let Some(problem) = regex_problem(&p.text, ignore_case) else {
                good.insert((&p.text, ignore_case));
                continue;
            };
            // Token input knows only the literal's span.
            let loc = match (
                problem.span,
                src.and_then(|src| lexer::string_at(src, p.loc)),
            ) {
                (Some((start, end)), Some(literal)) => literal.loc_of(start, end, p.loc),
                _ => p.loc,
            };
            let mut e = Error::new(
                format!("invalid regular expression: {}", problem.message),
                loc,
            );
            e.help = problem.help;
            errors.push(e);
        }
    }
}

/// Why a `regex("...")` pattern is refused.
pub(super) struct RegexProblem {
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
pub(super) fn regex_problem(pattern: &str, case_insensitive: bool) -> Option<RegexProblem> {
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
