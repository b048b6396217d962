//! The syntax tree of a rule text, shared by the macros and run-time loading.
//!
//! The clauses and the state and result names are declared in the language's
//! table (`lang`), and re-exported here.

use std::fmt;

use proc_macro2::Span;

pub use crate::lang::{
    AgentClauseKind, AgentCondition, AgentStateName, BuildStateName, ClauseKind, Condition,
    ConfigStateName, Name, ResultName, Shape, StateName,
};
use crate::span::SpanRef;

mod identity;
mod time;
pub use time::{
    remind_message, suppressed_sends, write_duration, DurationLit, Timing, WindowDecl,
    REMIND_SUFFIX,
};

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
    /// The stage rules, top to bottom.
    pub rules: Vec<Rule>,
    /// The agent rules (`on agent ...`), top to bottom. Each kind of rule is
    /// numbered from 0 on its own: a stage notification tries only stage
    /// rules, an agent notification only agent rules.
    pub agent_rules: Vec<AgentRule>,
    /// Every `window`, in declaration order; `during` names one by its index.
    pub windows: Vec<WindowDecl>,
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
    /// `every D` and `during W` after the actions.
    pub timing: Timing,
    /// The `on` keyword.
    pub loc: Loc,
}

/// `on agent clause... => action, ...;`
#[derive(Debug, Clone)]
pub struct AgentRule {
    /// All must match; none means every agent notification.
    pub clauses: Vec<AgentClause>,
    /// Done in order when the rule fires.
    pub actions: Vec<Action>,
    /// `every D` and `during W` after the actions.
    pub timing: Timing,
    /// The `on` keyword.
    pub loc: Loc,
}

impl AgentRule {
    /// Whether the rule ends evaluation when it fires.
    pub fn stops(&self) -> bool {
        self.actions.iter().any(|a| matches!(a, Action::Stop))
    }
}

/// A clause of an agent rule.
pub type AgentClause = Clause<AgentCondition>;

impl Rules {
    /// The templates that more than one `send` uses (the default message of
    /// `send(target)` included), each with an id from 0: one evaluation renders
    /// each of them once, however many targets get it.
    pub fn repeated_templates(&self) -> std::collections::HashMap<Template, u32> {
        let mut uses: std::collections::HashMap<Template, u32> = Default::default();
        let stage = self.rules.iter().map(|r| (&r.actions, false));
        let agent = self.agent_rules.iter().map(|r| (&r.actions, true));
        for (actions, agent) in stage.chain(agent) {
            for action in actions {
                if let Action::Send { template, .. } = action {
                    let t = template
                        .clone()
                        .unwrap_or_else(|| Template::default_for(agent));
                    *uses.entry(t).or_default() += 1;
                }
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

/// `[not] condition`: of a stage rule, or with [`AgentCondition`] of an
/// agent rule.
#[derive(Debug, Clone)]
pub struct Clause<C = Condition> {
    /// `not` in front.
    pub negated: bool,
    /// What is tested.
    pub condition: C,
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

impl<C: fmt::Display> fmt::Display for Clause<C> {
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
    /// `remind(target, D)` or `remind(target, D, "template")`.
    Remind {
        /// The target, declared with `target`.
        target: Ident,
        /// How long after the rule fired the first reminder is due, and then
        /// the time between two.
        after: DurationLit,
        /// The message; `None` for the rule's default message with
        /// " (still failing)" after it.
        template: Option<Template>,
        /// The `remind` keyword.
        loc: Loc,
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

    /// The message of `send(target)` in an agent rule:
    /// [`DEFAULT_AGENT_TEMPLATE`], parsed.
    ///
    /// ```
    /// let t = notify_rules_syntax::ast::Template::default_agent_message();
    /// assert_eq!(t.pieces.len(), 6);
    /// ```
    pub fn default_agent_message() -> Template {
        // As for the stage message: a constant a test parses.
        crate::template::parse_for(DEFAULT_AGENT_TEMPLATE, Some(true))
            .unwrap_or(Template { pieces: Vec::new() })
    }

    /// The default message of a rule about agents (`true`) or stages.
    pub fn default_for(agent: bool) -> Template {
        if agent {
            Template::default_agent_message()
        } else {
            Template::default_message()
        }
    }

    /// The template written back as the rule language writes it (braces
    /// doubled), so that it parses to the same template.
    ///
    /// ```
    /// let t = notify_rules_syntax::parse_template("{{x}} {pipeline.name}").unwrap();
    /// assert_eq!(t.to_source(), "{{x}} {pipeline.name}");
    /// ```
    pub fn to_source(&self) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(&t.replace('{', "{{").replace('}', "}}")),
                Piece::Field(f) => {
                    out.push('{');
                    out.push_str(f.name());
                    out.push('}');
                }
            }
        }
        out
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
    /// `{agent.uuid}`
    AgentUuid,
    /// `{agent.host_name}`
    AgentHostName,
    /// `{agent.ip_address}`
    AgentIpAddress,
    /// `{agent.os}`
    AgentOs,
    /// `{agent.free_space}`
    AgentFreeSpace,
    /// `{agent.state}`
    AgentState,
    /// `{agent.build_state}`
    AgentBuildState,
    /// `{agent.config_state}`
    AgentConfigState,
    /// `{agent.elastic}`: `true` or `false`.
    AgentElastic,
    /// `{agent.transition_time}`
    AgentTransitionTime,
    /// `{since}`: in a `remind` template, how long since the rule fired.
    Since,
    /// `{reminder}`: in a `remind` template, 1 for the first reminder, 2, ...
    Reminder,
    /// `{suppressed}`: in a rule with `every`, how many deliveries it held
    /// back since the last one that went out.
    Suppressed,
}

impl Field {
    /// Every placeholder with its name, for parsing and suggestions.
    pub const ALL: [(&'static str, Field); 35] = [
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
        ("agent.uuid", Field::AgentUuid),
        ("agent.host_name", Field::AgentHostName),
        ("agent.ip_address", Field::AgentIpAddress),
        ("agent.os", Field::AgentOs),
        ("agent.free_space", Field::AgentFreeSpace),
        ("agent.state", Field::AgentState),
        ("agent.build_state", Field::AgentBuildState),
        ("agent.config_state", Field::AgentConfigState),
        ("agent.elastic", Field::AgentElastic),
        ("agent.transition_time", Field::AgentTransitionTime),
        ("since", Field::Since),
        ("reminder", Field::Reminder),
        ("suppressed", Field::Suppressed),
    ];

    /// Which rules can use the placeholder: `Some(true)` agent rules only,
    /// `Some(false)` stage rules only, `None` both (`{transition}`, `{link}`).
    ///
    /// ```
    /// use notify_rules_syntax::ast::Field;
    /// assert_eq!(Field::AgentUuid.for_agents(), Some(true));
    /// assert_eq!(Field::StageName.for_agents(), Some(false));
    /// assert_eq!(Field::Link.for_agents(), None);
    /// ```
    pub fn for_agents(self) -> Option<bool> {
        match self {
            Field::Transition | Field::Link => None,
            // Where they may go is a matter of the action and of `every`.
            Field::Since | Field::Reminder | Field::Suppressed => None,
            f => Some(f.name().starts_with("agent.")),
        }
    }

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

/// The message of `send(target)` without a template in an agent rule: the
/// host, the agent state and the build state.
pub const DEFAULT_AGENT_TEMPLATE: &str =
    "Agent {agent.host_name}: {agent.state}, build {agent.build_state}";

/// The message of `send(target)` without a template.
pub const DEFAULT_TEMPLATE: &str =
    "{pipeline.name} #{pipeline.counter}: stage {stage.name} #{stage.counter} {stage.state}";
