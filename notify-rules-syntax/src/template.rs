//! Message templates: literal text with `{placeholder}`s, `{{` and `}}` for
//! braces.

use std::fmt;

use crate::ast::{Field, Piece, Template};
use crate::suggest;

/// Why a message template was refused.
///
/// The offsets are bytes in the template text as the program sees it (after
/// the string literal's escapes are decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// What is wrong.
    pub message: String,
    /// How to fix it, such as the closest placeholder name.
    pub help: Option<String>,
    /// Byte offset of the first character of the problem.
    pub offset: usize,
    /// Byte offset just past the problem.
    pub end: usize,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TemplateError {}

/// Parses a message template; the first problem is the error.
///
/// ```
/// use notify_rules_syntax::ast::{Field, Piece};
///
/// let t = notify_rules_syntax::parse_template("{{{pipeline.name}}} failed").unwrap();
/// assert_eq!(
///     t.pieces,
///     [Piece::Text("{".into()), Piece::Field(Field::PipelineName), Piece::Text("} failed".into())],
/// );
///
/// let e = notify_rules_syntax::parse_template("Deploy of {pipline.name}").unwrap_err();
/// assert_eq!(e.message, "unknown placeholder `{pipline.name}`");
/// assert_eq!(e.help.as_deref(), Some("did you mean `{pipeline.name}`?"));
/// assert_eq!((e.offset, e.end), (10, 24));
/// ```
pub fn parse_template(text: &str) -> Result<Template, TemplateError> {
    parse_for(text, Some(false)).map_err(|mut errors| errors.swap_remove(0))
}

/// Parses a template the macro wrote back with [`Template::to_source`]
/// after checking it: every placeholder is accepted, of either kind of rule
/// and the time placeholders too.
#[doc(hidden)]
pub fn parse_template_any(text: &str) -> Result<Template, TemplateError> {
    parse_for(text, None).map_err(|mut errors| errors.swap_remove(0))
}

/// Parses a message template of a stage rule.
#[cfg(test)]
pub(crate) fn parse_all(text: &str) -> Result<Template, Vec<TemplateError>> {
    parse_for(text, Some(false))
}

/// Parses a message template of an agent rule (`Some(true)`), a stage rule
/// (`Some(false)`), or of either (`None`), reporting every problem (the list
/// is never empty on error). A placeholder of the other kind of rule is one.
pub(crate) fn parse_for(text: &str, agent: Option<bool>) -> Result<Template, Vec<TemplateError>> {
    parse_with_places(text, agent).map(|(t, _)| t)
}

/// A placeholder and the byte range it is written at.
pub(crate) type Place = (Field, usize, usize);

/// [`parse_for`], also giving where each time placeholder (`{since}`,
/// `{reminder}`, `{suppressed}`) is, as byte ranges: whether it may be there
/// depends on the action and the rule, which the parser knows.
pub(crate) fn parse_with_places(
    text: &str,
    agent: Option<bool>,
) -> Result<(Template, Vec<Place>), Vec<TemplateError>> {
    let mut places = Vec::new();
    let mut pieces = Vec::new();
    let mut errors = Vec::new();
    let mut buf = String::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if rest.starts_with("{{") {
            buf.push('{');
            i += 2;
        } else if rest.starts_with("}}") {
            buf.push('}');
            i += 2;
        } else if let Some(inner) = rest.strip_prefix('{') {
            match inner.find(['{', '}']).map(|j| (j, inner.as_bytes()[j])) {
                Some((j, b'}')) => {
                    let name = &inner[..j];
                    match Field::from_name(name) {
                        Some(field) if !fits(field, agent) => {
                            errors.push(other_kind(field, i, i + j + 2));
                        }
                        Some(field) => {
                            if matches!(field, Field::Since | Field::Reminder | Field::Suppressed) {
                                places.push((field, i, i + j + 2));
                            }
                            if !buf.is_empty() {
                                pieces.push(Piece::Text(std::mem::take(&mut buf)));
                            }
                            pieces.push(Piece::Field(field));
                        }
                        None => errors.push(unknown_placeholder(name, agent, i, i + j + 2)),
                    }
                    i += j + 2;
                }
                _ => {
                    errors.push(TemplateError {
                        message: "unclosed `{` in the message template".into(),
                        help: Some(
                            "close the placeholder with `}`, or write `{{` for a literal `{`"
                                .into(),
                        ),
                        offset: i,
                        end: i + 1,
                    });
                    i += 1;
                }
            }
        } else if rest.starts_with('}') {
            errors.push(TemplateError {
                message: "unmatched `}` in the message template".into(),
                help: Some("write `}}` for a literal `}`".into()),
                offset: i,
                end: i + 1,
            });
            i += 1;
        } else {
            let n = rest.find(['{', '}']).unwrap_or(rest.len());
            buf.push_str(&rest[..n]);
            i += n;
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if !buf.is_empty() {
        pieces.push(Piece::Text(buf));
    }
    Ok((Template { pieces }, places))
}

/// Whether a rule of the kind `agent` can use `field`.
fn fits(field: Field, agent: Option<bool>) -> bool {
    match (field.for_agents(), agent) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

/// The placeholders a rule of the kind `agent` can use, as help lists them:
/// the time placeholders are left out, since they go only in some templates
/// and their own errors say which.
fn listed(agent: Option<bool>) -> String {
    Field::ALL
        .iter()
        .filter(|(_, f)| fits(*f, agent))
        .filter(|(_, f)| !matches!(f, Field::Since | Field::Reminder | Field::Suppressed))
        .map(|(n, _)| format!("`{{{n}}}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A placeholder of the other kind of rule: a stage one in an agent rule or
/// the reverse.
fn other_kind(field: Field, offset: usize, end: usize) -> TemplateError {
    let name = field.name();
    let (message, help) = if field.for_agents() == Some(true) {
        (
            format!("`{{{name}}}` is an agent placeholder: only agent rules (`on agent ...`) can use it"),
            format!("a stage rule can use {}", listed(Some(false))),
        )
    } else {
        (
            format!("`{{{name}}}` is a stage placeholder: only stage rules can use it, not agent rules (`on agent ...`)"),
            format!("an agent rule can use {}", listed(Some(true))),
        )
    };
    TemplateError {
        message,
        help: Some(help),
        offset,
        end,
    }
}

fn unknown_placeholder(
    name: &str,
    agent: Option<bool>,
    offset: usize,
    end: usize,
) -> TemplateError {
    let names = Field::ALL
        .iter()
        .filter(|(_, f)| fits(*f, agent))
        .map(|(n, _)| *n);
    let help = match suggest::suggest(name, names) {
        Some(near) => format!("did you mean `{{{near}}}`?"),
        None if name.trim().is_empty() => {
            "write `{{}}` for literal braces, or name a placeholder such as `{pipeline.name}`"
                .into()
        }
        None => format!("the placeholders are {}", listed(agent)),
    };
    TemplateError {
        message: format!("unknown placeholder `{{{name}}}`"),
        help: Some(help),
        offset,
        end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Piece {
        Piece::Text(s.into())
    }

    #[test]
    fn every_placeholder_parses() {
        for (name, field) in Field::ALL {
            let t = parse_for(&format!("a {{{name}}} b"), None).unwrap();
            assert_eq!(t.pieces, [text("a "), Piece::Field(field), text(" b")]);
        }
    }

    #[test]
    fn the_default_template_parses() {
        let t = parse_template(crate::ast::DEFAULT_TEMPLATE).unwrap();
        assert_eq!(t.pieces.len(), 9);
    }

    #[test]
    fn escapes_merge_into_the_surrounding_text() {
        let t = parse_template("{{x}} é {{").unwrap();
        assert_eq!(t.pieces, [text("{x} é {")]);
        assert_eq!(parse_template("").unwrap().pieces, []);
        let t = parse_template("{link}{transition}").unwrap();
        assert_eq!(
            t.pieces,
            [Piece::Field(Field::Link), Piece::Field(Field::Transition)]
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_offsets() {
        let errors = parse_all("é{nope} {stage.nmae} } {link").unwrap_err();
        let got: Vec<_> = errors
            .iter()
            .map(|e| (e.message.as_str(), e.offset, e.end))
            .collect();
        assert_eq!(
            got,
            [
                ("unknown placeholder `{nope}`", 2, 8),
                ("unknown placeholder `{stage.nmae}`", 9, 21),
                ("unmatched `}` in the message template", 22, 23),
                ("unclosed `{` in the message template", 24, 25),
            ]
        );
        assert_eq!(
            errors[1].help.as_deref(),
            Some("did you mean `{stage.name}`?")
        );
        assert!(errors[0]
            .help
            .as_deref()
            .unwrap()
            .starts_with("the placeholders are `{pipeline.name}`, "));
    }

    #[test]
    fn placeholders_of_the_other_kind_of_rule_are_refused() {
        let e = &parse_for("{agent.host_name} {link}", Some(false)).unwrap_err()[0];
        assert_eq!(
            e.message,
            "`{agent.host_name}` is an agent placeholder: only agent rules (`on agent ...`) can use it"
        );
        assert_eq!((e.offset, e.end), (0, 17));
        let e = &parse_for("x {stage.name} {transition}", Some(true)).unwrap_err()[0];
        assert!(e
            .message
            .starts_with("`{stage.name}` is a stage placeholder"));
        assert!(e.help.as_deref().unwrap().contains("`{agent.uuid}`"));
        let t = crate::ast::Template::default_agent_message();
        assert_eq!(t.pieces.len(), 6);
    }

    #[test]
    fn an_inner_brace_leaves_the_outer_one_unclosed() {
        let errors = parse_all("{a{link}").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].offset, errors[0].end), (0, 1));
        assert!(errors[0].message.contains("unclosed"));
    }

    #[test]
    fn empty_braces_get_the_brace_help() {
        let e = parse_template("{}").unwrap_err();
        assert_eq!(e.message, "unknown placeholder `{}`");
        assert!(e.help.unwrap().contains("{{}}"));
    }
}
