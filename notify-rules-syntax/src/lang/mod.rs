//! The rule language's table: every clause with its word and how it is
//! written, and the state and result names, each declared once.
//!
//! The parser, the checks, the help texts, the clause written back as text
//! ([`Display`](std::fmt::Display)), `notify-rules explain`, the interpreter
//! and the code generator all read it.
//!
//! # Adding a clause
//!
//! Add its row to [`clauses!`] below: the variant, the word and the shape of
//! its arguments (a new table of names is one more [`names!`]). Then give it
//! its meaning, where the compiler asks for it (those `match`es list every
//! clause): how the code generator (`expand/gen.rs`) and the interpreter
//! (`notify-rules`' `rules/interp.rs`) test it, and what `explain`
//! (`rules/explain.rs`) shows it looked at. Parsing, suggestions, help,
//! "given twice", writing it back and the regex checks follow from the row.
//!
//! Agent rules (`on agent ...`) have tables of their own made the same way:
//! [`AgentCondition`] with their rows, and [`AgentStateName`],
//! [`BuildStateName`] and [`ConfigStateName`], whose names are read without
//! regard to case.

#[macro_use]
mod macros;
#[cfg(test)]
mod tests;

use std::fmt;

use proc_macro2::TokenStream;

use crate::ast::Pattern;

names! {
    /// A stage state name in a `state` clause.
    pub enum StateName: "state" { Building, Failing, Passed, Failed, Cancelled, Unknown }
}

names! {
    /// A result name in a `result` or `job` clause.
    pub enum ResultName: "result" { Passed, Failed, Cancelled, Unknown }
}

clauses! {
    /// What a clause tests.
    pub enum Condition;
    /// The kind of a clause, for messages and for the "same clause twice" check.
    pub enum ClauseKind;

    /// `pipeline P`
    Pipeline = "pipeline": Patterns(ignore_case),
    /// `group P`
    Group = "group": Patterns(ignore_case),
    /// `stage P`
    Stage = "stage": Patterns(ignore_case),
    /// `label P`
    Label = "label": Patterns(match_case),
    /// `branch P`
    Branch = "branch": Patterns(match_case),
    /// `approved_by P`
    ApprovedBy = "approved_by": Patterns(match_case),
    /// `state S | ...`
    State = "state": Names(StateName),
    /// `result R | ...`
    Result = "result": Names(ResultName),
    /// `job P [R | ...]`; an empty result list means any result.
    Job = "job": PatternsThenNames(ignore_case, ResultName),
    /// `broken`
    Broken = "broken": Transition(Failed),
    /// `fixed`
    Fixed = "fixed": Transition(Passed),
    /// `still_failing`
    StillFailing = "still_failing": Transition(Failed),
    /// `any`
    Any = "any": Bare,
    /// `if EXPR` (token input only): the expression's tokens.
    Guard = "if": Guard,
}

names! {
    /// An agent state name in an agent rule's `state` clause.
    pub enum AgentStateName: "agent state" (ignore_case) { Idle, Building, LostContact, Missing, Unknown }
}

names! {
    /// A build state name in an agent rule's `build_state` clause.
    pub enum BuildStateName: "build state" (ignore_case) { Idle, Building, Cancelled, Unknown }
}

names! {
    /// A config state name in an agent rule's `config` clause.
    pub enum ConfigStateName: "config state" (ignore_case) { Pending, Enabled, Disabled }
}

clauses! {
    /// What a clause of an agent rule (`on agent ...`) tests.
    pub enum AgentCondition;
    /// The kind of an agent rule's clause.
    pub enum AgentClauseKind;

    /// `host P`
    Host = "host": Patterns(ignore_case),
    /// `ip P`
    Ip = "ip": Patterns(match_case),
    /// `os P`
    Os = "os": Patterns(ignore_case),
    /// `state S | ...`
    State = "state": Names(AgentStateName),
    /// `build_state B | ...`
    BuildState = "build_state": Names(BuildStateName),
    /// `config C | ...`
    Config = "config": Names(ConfigStateName),
    /// `elastic`
    Elastic = "elastic": Bare,
    /// `lost`: the agent lost contact since the previous agent-status.
    Lost = "lost": Bare,
    /// `back`: the agent is back since the previous agent-status.
    Back = "back": Bare,
    /// `if EXPR` (token input only): the expression's tokens.
    Guard = "if": Guard,
}

/// The words that start an item: a rule, a target declaration, a window.
pub(crate) const ITEM_WORDS: [&str; 3] = ["on", "target", "window"];

/// The words that start an action.
pub(crate) const ACTION_WORDS: [&str; 3] = ["send", "remind", "stop"];

/// The words a rule may end with after its actions, in the order it takes
/// them: `every D`, then `during W`.
pub(crate) const SUFFIX_WORDS: [&str; 2] = ["every", "during"];

/// The units of a duration (`30s`, `15m`, `4h`, `2d`), with their length in
/// seconds; the lexer's duration rule reads them.
pub(crate) const DURATION_UNITS: [(&str, u64); 4] =
    [("s", 1), ("m", 60), ("h", 3_600), ("d", 86_400)];

/// How a clause's arguments are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `pattern { | pattern }`
    Patterns,
    /// `NAME { | NAME }`
    Names,
    /// Patterns, then optionally names: `job "unit-*" Failed`.
    PatternsThenNames,
    /// Nothing: a comparison with the stage's previous completed run.
    Transition,
    /// Nothing.
    Bare,
    /// A Rust expression, in `rules!` only.
    Guard,
}

/// A table of names made by `names!`, such as [`StateName`].
pub trait Name: Copy + Eq + 'static {
    /// What one of them is called in messages: `state`, `result`.
    const WHAT: &'static str;

    /// Whether a name is read in any ASCII case (`enabled` is `Enabled`).
    const IGNORES_CASE: bool;

    /// Every name with its value, in the order help lists them.
    fn table() -> &'static [(&'static str, Self)];

    /// The name as written.
    fn as_str(self) -> &'static str;
}

/// What the checks need of a table of clauses, the same for stage and agent
/// rules; [`clauses!`] implements it.
pub(crate) trait Table: fmt::Display + Sized {
    /// The table's kind enum.
    type Kind: Copy + Eq + std::hash::Hash;

    /// The clause's kind.
    fn kind(&self) -> Self::Kind;

    /// The word that starts a clause of `kind`.
    fn word(kind: Self::Kind) -> &'static str;

    /// How its arguments are written.
    fn shape(kind: Self::Kind) -> Shape;

    /// Two clauses of one kind said as one.
    fn merged(&self, other: &Self) -> Option<Self>;
}

/// What reads a clause's arguments, one method a shape; the table says which
/// to call. The parser is the one reader: this keeps the table free of it.
pub(crate) trait ReadArgs {
    /// `pattern { | pattern }` after `word`.
    fn patterns(&mut self, word: &str) -> Option<Vec<Pattern>>;

    /// `NAME { | NAME }` after `word`.
    fn names<N: Name>(&mut self, word: &str) -> Option<Vec<N>>;

    /// Patterns after `word`, then names if some follow.
    fn patterns_then_names<N: Name>(&mut self, word: &str) -> Option<(Vec<Pattern>, Vec<N>)>;

    /// The guard's expression.
    fn guard(&mut self) -> Option<TokenStream>;
}

impl ClauseKind {
    /// The clause words as help lists them: `if` is left out, since only
    /// `rules!` has it and it is explained where it is refused.
    pub(crate) fn listed() -> impl Iterator<Item = ClauseKind> {
        ClauseKind::ALL
            .into_iter()
            .filter(|k| k.shape() != Shape::Guard)
    }
}

impl AgentClauseKind {
    /// The clause words of agent rules as help lists them, `if` left out.
    pub(crate) fn listed() -> impl Iterator<Item = AgentClauseKind> {
        AgentClauseKind::ALL
            .into_iter()
            .filter(|k| k.shape() != Shape::Guard)
    }
}

/// ` a | b | c`: a clause's list of arguments, after its word.
fn write_list<T: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    items: impl Iterator<Item = T>,
) -> fmt::Result {
    for (i, item) in items.enumerate() {
        f.write_str(if i == 0 { " " } else { " | " })?;
        write!(f, "{item}")?;
    }
    Ok(())
}
