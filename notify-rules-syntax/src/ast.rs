//! The syntax tree of a rule text, shared by the macros and run-time loading.
//!
//! The clauses and the state and result names are declared in the language's
//! table (`lang`), and re-exported here.

use std::fmt;

use proc_macro2::Span;

pub use crate::lang::{ClauseKind, Condition, Name, ResultName, Shape, StateName};
use crate::span::SpanRef;

/// Where something was written.
///
/// Text input (rule files, [`crate::parse_str`]) knows byte offsets, from which
/// line and column are computed; token input (`rules! { ... }`) knows a [`Span`].
#[derive(Debug, Clone, Copy)]
pub struct Loc {
    /// Byte offset of the first character, for text input.
    pub start: usize,
    /// Byte offset just past the last character, for text input.
    pub end: usize,
    /// The compiler's span, for token input.
    span: Option<SpanRef>,
}

impl Loc {
    /// A place in text input.
    pub fn text(start: usize, end: usize) -> Self {
        Loc {
            start,
            end,
            span: None,
        }
    }

    /// A place in token input.
    pub fn span(span: Span) -> Self {
        Loc {
            start: 0,
            end: 0,
            span: Some(SpanRef::new(span)),
        }
    }

    /// The compiler's span of a place in token input, on the thread that read
    /// the tokens (a `Loc` can be sent to other threads; a [`Span`] cannot).
    pub fn token_span(&self) -> Option<Span> {
        self.span.and_then(SpanRef::get)
    }

    /// The span to report an error at (`Span::call_site()` for text input).
    pub fn span_or_call_site(&self) -> Span {
        self.token_span().unwrap_or_else(Span::call_site)
    }
}

/// A whole rule text: target declarations and rules, in order.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// Every `target` name, in declaration order.
    pub targets: Vec<Ident>,
    /// The rules, top to bottom.
    pub rules: Vec<Rule>,
}

/// A name with its place.
#[derive(Debug, Clone)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it was written.
    pub loc: Loc,
}

/// `on clause... => action, ...;`
#[derive(Debug, Clone)]
pub struct Rule {
    /// All must match.
    pub clauses: Vec<Clause>,
    /// Done in order when the rule fires.
    pub actions: Vec<Action>,
    /// The `on` keyword.
    pub loc: Loc,
}

impl Rules {
    /// The templates that more than one `send` uses (the default message of
    /// `send(target)` included), each with an id from 0: one evaluation renders
    /// each of them once, however many targets get it.
    pub fn repeated_templates(&self) -> std::collections::HashMap<Template, u32> {
        let mut uses: std::collections::HashMap<Template, u32> = Default::default();
        for action in self.rules.iter().flat_map(|r| &r.actions) {
            if let Action::Send { template, .. } = action {
                let t = template.clone().unwrap_or_else(Template::default_message);
                *uses.entry(t).or_default() += 1;
            }
        }
        let mut repeated: Vec<Template> = uses
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(t, _)| t)
            .collect();
        // The same ids on every build, so generated code is reproducible.
        repeated.sort_by(|a, b| {
            a.pieces
                .len()
                .cmp(&b.pieces.len())
                .then_with(|| format!("{a:?}").cmp(&format!("{b:?}")))
        });
        repeated.into_iter().zip(0..).collect()
    }
}

impl Rule {
    /// Whether the rule ends evaluation when it fires.
    pub fn stops(&self) -> bool {
        self.actions.iter().any(|a| matches!(a, Action::Stop))
    }
}

/// `[not] condition`
#[derive(Debug, Clone)]
pub struct Clause {
    /// `not` in front.
    pub negated: bool,
    /// What is tested.
    pub condition: Condition,
    /// The clause word.
    pub loc: Loc,
}

/// One pattern of a `pipeline`, `group`, ... clause.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// How it matches.
    pub kind: PatternKind,
    /// The pattern text (for a regex, the expression as written).
    pub text: String,
    /// Where it was written.
    pub loc: Loc,
}

impl fmt::Display for Clause {
    /// The clause as written, in normal form: `not stage "a" | regex("b.*")`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negated {
            f.write_str("not ")?;
        }
        fmt::Display::fmt(&self.condition, f)
    }
}

impl fmt::Display for Pattern {
    /// The pattern as written: `"api-*"`, `regex("sandbox-.*")`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PatternKind::Exact | PatternKind::Glob => write!(f, "{:?}", self.text),
            PatternKind::Regex => write!(f, "regex({:?})", self.text),
        }
    }
}

/// How a pattern matches the whole value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternKind {
    /// A plain string: the whole value, exactly.
    Exact,
    /// A string holding `*` or `?`.
    Glob,
    /// `regex("...")`: the expression must match the whole value.
    Regex,
}

/// What a rule does when it fires.
#[derive(Debug, Clone)]
pub enum Action {
    /// `send(target)` or `send(target, "template")`.
    Send {
        /// The target, declared with `target`.
        target: Ident,
        /// The message; `None` for the default message.
        template: Option<Template>,
    },
    /// `stop`
    Stop,
}

/// A parsed message template.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Template {
    /// Literal text and placeholders, in order; adjacent text is merged.
    pub pieces: Vec<Piece>,
}

impl Template {
    /// The message of `send(target)` without a template: [`DEFAULT_TEMPLATE`],
    /// parsed.
    ///
    /// ```
    /// let t = notify_rules_syntax::ast::Template::default_message();
    /// assert_eq!(t.pieces.len(), 9);
    /// ```
    pub fn default_message() -> Template {
        // The text is a constant that a test parses; an error here cannot happen,
        // and an empty message would be the least harm if it did.
        crate::parse_template(DEFAULT_TEMPLATE).unwrap_or(Template { pieces: Vec::new() })
    }

    /// The length in bytes of the literal text, placeholders left out: what a
    /// rendered message takes at least, to reserve before writing it.
    ///
    /// ```
    /// let t = notify_rules_syntax::parse_template("{pipeline.name} failed {{x}}").unwrap();
    /// assert_eq!(t.text_len(), " failed {x}".len());
    /// ```
    pub fn text_len(&self) -> usize {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.len(),
                Piece::Field(_) => 0,
            })
            .sum()
    }
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Piece {
    /// Literal text, with `{{` and `}}` already turned into braces.
    Text(String),
    /// A `{placeholder}`.
    Field(Field),
}

/// A template placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// `{pipeline.name}`
    PipelineName,
    /// `{pipeline.counter}`
    PipelineCounter,
    /// `{pipeline.label}`
    PipelineLabel,
    /// `{pipeline.group}`
    PipelineGroup,
    /// `{stage.name}`
    StageName,
    /// `{stage.counter}`
    StageCounter,
    /// `{stage.state}`
    StageState,
    /// `{stage.result}`
    StageResult,
    /// `{stage.approved_by}`
    StageApprovedBy,
    /// `{stage.approval_type}`
    StageApprovalType,
    /// `{stage.create_time}`
    StageCreateTime,
    /// `{stage.last_transition_time}`
    StageLastTransitionTime,
    /// `{stage.duration}`
    StageDuration,
    /// `{jobs.failed}`
    JobsFailed,
    /// `{jobs.passed}`
    JobsPassed,
    /// `{jobs.all}`
    JobsAll,
    /// `{material.type}`
    MaterialType,
    /// `{material.url}`
    MaterialUrl,
    /// `{material.branch}`
    MaterialBranch,
    /// `{material.revision}`
    MaterialRevision,
    /// `{transition}`
    Transition,
    /// `{link}`
    Link,
}

impl Field {
    /// Every placeholder with its name, for parsing and suggestions.
    pub const ALL: [(&'static str, Field); 22] = [
        ("pipeline.name", Field::PipelineName),
        ("pipeline.counter", Field::PipelineCounter),
        ("pipeline.label", Field::PipelineLabel),
        ("pipeline.group", Field::PipelineGroup),
        ("stage.name", Field::StageName),
        ("stage.counter", Field::StageCounter),
        ("stage.state", Field::StageState),
        ("stage.result", Field::StageResult),
        ("stage.approved_by", Field::StageApprovedBy),
        ("stage.approval_type", Field::StageApprovalType),
        ("stage.create_time", Field::StageCreateTime),
        ("stage.last_transition_time", Field::StageLastTransitionTime),
        ("stage.duration", Field::StageDuration),
        ("jobs.failed", Field::JobsFailed),
        ("jobs.passed", Field::JobsPassed),
        ("jobs.all", Field::JobsAll),
        ("material.type", Field::MaterialType),
        ("material.url", Field::MaterialUrl),
        ("material.branch", Field::MaterialBranch),
        ("material.revision", Field::MaterialRevision),
        ("transition", Field::Transition),
        ("link", Field::Link),
    ];

    /// The placeholder's name, without braces.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, f)| *f == self)
            .map(|(n, _)| *n)
            .unwrap_or("")
    }

    /// Looks a placeholder up by name.
    pub fn from_name(name: &str) -> Option<Field> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }
}

/// The message of `send(target)` without a template.
pub const DEFAULT_TEMPLATE: &str =
    "{pipeline.name} #{pipeline.counter}: stage {stage.name} #{stage.counter} {stage.state}";
