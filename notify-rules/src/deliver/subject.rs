//! The e-mail subject's template: a message template of the rule language
//! (the same placeholders, parser, errors and renderer), plus `{target}`,
//! which only a subject has.

use notify_rules_syntax::ast::{Field, Piece, Template};
use notify_rules_syntax::{parse_template, TemplateError};

/// The one placeholder a subject has that message templates do not.
const TARGET: &str = "{target}";

/// A subject template, checked when it is configured.
///
/// `{target}` splits it into message templates, each parsed by the rule
/// language's parser.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SubjectTemplate {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(Template),
    Target,
}

impl SubjectTemplate {
    /// Parses a subject; the error is the rule templates' own, its offsets in
    /// `text`. `{link}` is refused: the e-mail notifier has no server address.
    pub(crate) fn parse(text: &str) -> Result<SubjectTemplate, TemplateError> {
        let mut parts = Vec::new();
        let mut start = 0;
        loop {
            let rest = &text[start..];
            match parse_template(rest) {
                Ok(template) => {
                    parts.extend(text_part(template));
                    break;
                }
                // The parser reads from left to right, so its first problem
                // being `{target}` means that all before it is a template.
                Err(e) if rest.get(e.offset..e.end) == Some(TARGET) => {
                    parts.extend(text_part(parse_template(&rest[..e.offset])?));
                    parts.push(Part::Target);
                    start += e.end;
                }
                Err(e) => return Err(in_subject(e, start, rest)),
            }
        }
        let uses_link = parts.iter().any(|p| match p {
            Part::Text(t) => t.pieces.contains(&Piece::Field(Field::Link)),
            Part::Target => false,
        });
        if uses_link {
            return Err(TemplateError {
                message: "`{link}` cannot be used in an e-mail subject".into(),
                help: Some("put the link in the message, which the rules write".into()),
                offset: 0,
                end: text.len(),
            });
        }
        Ok(SubjectTemplate { parts })
    }

    /// The subject of one delivery.
    #[cfg(feature = "email")]
    pub(crate) fn render(&self, delivery: &crate::Delivery) -> String {
        // The subject's placeholders are a stage's; an agent delivery's
        // subject is the agent's default message, which names the host and
        // its states.
        let Some(status) = delivery.status() else {
            return delivery
                .agent()
                .map(|a| {
                    let t = Template::default_agent_message();
                    crate::rules::render::render_agent_alone(&t, a, delivery.agent_transition())
                })
                .unwrap_or_default();
        };
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(&crate::rules::render::render_alone(
                    t,
                    status,
                    delivery.transition(),
                )),
                Part::Target => out.push_str(delivery.target()),
            }
        }
        out
    }
}

/// A template between `{target}`s, unless it is empty.
fn text_part(template: Template) -> Option<Part> {
    (!template.pieces.is_empty()).then_some(Part::Text(template))
}

/// A problem found in the part of the subject from `start`, placed in the
/// whole subject; an unknown placeholder that is a typo of `{target}` is told
/// so, since the rule language does not know that one.
fn in_subject(mut e: TemplateError, start: usize, rest: &str) -> TemplateError {
    let found = &rest[e.offset..e.end];
    let name = found.strip_prefix('{').and_then(|n| n.strip_suffix('}'));
    if let Some(name) = name {
        let name = name.trim().to_ascii_lowercase();
        if strsim::damerau_levenshtein(&name, "target") <= 2 {
            e.help = Some(format!("did you mean `{TARGET}`?"));
        }
    }
    e.offset += start;
    e.end += start;
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_splits_the_subject() {
        let t = SubjectTemplate::parse("{{{target}}} {pipeline.name}{target}").unwrap();
        assert_eq!(t.parts.len(), 4, "{t:?}");
        assert_eq!(t.parts[1], Part::Target);
        assert_eq!(t.parts[3], Part::Target);
        assert!(SubjectTemplate::parse("").unwrap().parts.is_empty());
    }

    #[test]
    fn problems_are_the_rule_templates_own_placed_in_the_subject() {
        let e = SubjectTemplate::parse("{target} {pipline.name}").unwrap_err();
        assert_eq!(e.message, "unknown placeholder `{pipline.name}`");
        assert_eq!(e.help.as_deref(), Some("did you mean `{pipeline.name}`?"));
        assert_eq!((e.offset, e.end), (9, 23));

        let e = SubjectTemplate::parse("[{stage.state}] {targte}").unwrap_err();
        assert_eq!(e.message, "unknown placeholder `{targte}`");
        assert_eq!(e.help.as_deref(), Some("did you mean `{target}`?"));
        assert_eq!((e.offset, e.end), (16, 24));

        let e = SubjectTemplate::parse("{target} {pipeline.name").unwrap_err();
        assert_eq!(e.message, "unclosed `{` in the message template");
        assert_eq!((e.offset, e.end), (9, 10));

        let e = SubjectTemplate::parse("{pipeline.name} {link}").unwrap_err();
        assert!(e.message.contains("`{link}`"), "{e}");
    }
}
