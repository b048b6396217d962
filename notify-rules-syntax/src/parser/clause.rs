//! Clauses: `[not] condition`. Which clause a word starts and how its
//! arguments are written come from the language's table; this file reads the
//! word, hands the arguments to the reader the table picks, and recovers from
//! what is not a clause.

use proc_macro2::TokenStream;

use super::{is_clause_word, Input, Parser, ITEM_WORDS};
use crate::ast::{
    AgentClauseKind, AgentCondition, AgentStateName, BuildStateName, Clause, ClauseKind, Condition,
    ConfigStateName, Loc, Name, Pattern, ResultName, Shape, StateName,
};
use crate::lang::ReadArgs;
use crate::lexer::{Tok, Token};
use crate::suggest;

/// Words that end a list of patterns or names besides the clause words.
const STOP_WORDS: [&str; 8] = [
    "not", "on", "target", "window", "send", "remind", "stop", "agent",
];

pub(super) fn is_list_end_word(word: &str) -> bool {
    is_clause_word(word)
        || AgentClauseKind::from_word(word).is_some()
        || word == "agent"
        || STOP_WORDS.contains(&word)
}

/// `a, b and c`.
fn and_list(words: Vec<String>) -> String {
    match words.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => words.concat(),
    }
}

/// "the clauses are `pipeline`, ... and `any`, each optionally preceded by `not`".
fn clause_help() -> String {
    let words = ClauseKind::listed()
        .map(|k| format!("`{}`", k.word()))
        .collect();
    format!(
        "the clauses are {}, each optionally preceded by `not`",
        and_list(words)
    )
}

/// The clause words of agent rules, as the language reference lists them:
/// "host, ip, os, ...".
fn agent_words() -> String {
    AgentClauseKind::listed()
        .map(AgentClauseKind::word)
        .collect::<Vec<_>>()
        .join(", ")
}

/// "agent rules take host, ip, ..., each optionally preceded by `not`".
fn agent_clause_help() -> String {
    format!(
        "agent rules take {}, each optionally preceded by `not`",
        agent_words()
    )
}

/// If `word` names a value of agent rules (in any case), what it is, the
/// clause that takes it and the name as written: `("an agent state",
/// "state", "LostContact")`.
pub(super) fn agent_value(word: &str) -> Option<(&'static str, &'static str, &'static str)> {
    if let Some(v) = AgentStateName::from_name(word) {
        return Some(("an agent state", "state", v.as_str()));
    }
    if let Some(v) = BuildStateName::from_name(word) {
        return Some(("an agent build state", "build_state", v.as_str()));
    }
    ConfigStateName::from_name(word).map(|v| ("an agent config state", "config", v.as_str()))
}

/// A table of clauses as the parser reads it: stage rules' or agent rules'.
pub(super) trait Clauses: Sized {
    /// The table's kind enum.
    type Kind: Copy;

    /// The clause `word` starts.
    fn kind_of(word: &str) -> Option<Self::Kind>;

    /// The kind of the clause a guard token (`if EXPR` in `rules!`) starts.
    #[cfg(feature = "codegen")]
    fn guard() -> Option<Self::Kind>;

    /// Reads the arguments of a clause of `kind`.
    fn read_args(kind: Self::Kind, r: &mut impl ReadArgs) -> Option<Self>;

    /// The help that lists the clauses.
    fn help() -> String;

    /// Reports `word`, which starts no clause of the table.
    fn unknown(p: &mut Parser<'_>, word: &str);
}

impl Clauses for Condition {
    type Kind = ClauseKind;

    fn kind_of(word: &str) -> Option<ClauseKind> {
        ClauseKind::from_word(word)
    }

    #[cfg(feature = "codegen")]
    fn guard() -> Option<ClauseKind> {
        ClauseKind::ALL
            .into_iter()
            .find(|k| k.shape() == Shape::Guard)
    }

    fn read_args(kind: ClauseKind, r: &mut impl ReadArgs) -> Option<Condition> {
        Condition::read(kind, r)
    }

    fn help() -> String {
        clause_help()
    }

    fn unknown(p: &mut Parser<'_>, word: &str) {
        p.unknown_clause(word);
    }
}

impl Clauses for AgentCondition {
    type Kind = AgentClauseKind;

    fn kind_of(word: &str) -> Option<AgentClauseKind> {
        AgentClauseKind::from_word(word)
    }

    #[cfg(feature = "codegen")]
    fn guard() -> Option<AgentClauseKind> {
        AgentClauseKind::ALL
            .into_iter()
            .find(|k| k.shape() == Shape::Guard)
    }

    fn read_args(kind: AgentClauseKind, r: &mut impl ReadArgs) -> Option<AgentCondition> {
        AgentCondition::read(kind, r)
    }

    fn help() -> String {
        agent_clause_help()
    }

    fn unknown(p: &mut Parser<'_>, word: &str) {
        p.unknown_agent_clause(word);
    }
}

impl Parser<'_> {
    /// One clause of a stage rule (`C` = [`Condition`]) or an agent rule
    /// ([`AgentCondition`]). `None` when it was wrong (reported) or skipped.
    pub(super) fn clause<C: Clauses>(&mut self) -> Option<Clause<C>> {
        let negated = self.at_ident("not");
        if negated {
            self.pos += 1;
            if let Some(t) = self.peek().filter(|t| t.kind.is_ident("not")) {
                self.error(
                    "`not` is written twice",
                    t.loc,
                    Some("a clause takes at most one `not`; `not not X` would be `X`".into()),
                );
                self.pos += 1;
                // Any further `not`s are the same mistake; skipping them in a loop
                // keeps a long run of them from recursing once per word.
                while self.peek().is_some_and(|t| t.kind.is_ident("not")) {
                    self.pos += 1;
                }
                // Read for its own mistakes; kept, its meaning would be a guess.
                self.clause::<C>();
                return None;
            }
        }
        let t = match self.peek() {
            Some(t) => t,
            None => {
                self.expected("a clause after `not`", None);
                return None;
            }
        };
        let kind = match &t.kind {
            Tok::Ident(w) => match C::kind_of(w) {
                Some(kind) => kind,
                None => {
                    C::unknown(self, w);
                    return None;
                }
            },
            #[cfg(feature = "codegen")]
            Tok::Guard(_) => C::guard()?,
            Tok::Bad => {
                self.pos += 1;
                return None;
            }
            Tok::Str(_) => {
                let after_pattern = self
                    .pos
                    .checked_sub(1)
                    .and_then(|i| self.toks.get(i))
                    .is_some_and(|p| matches!(p.kind, Tok::Str(_) | Tok::Close));
                let help = if after_pattern {
                    "separate alternatives with `|`: `stage \"a\" | \"b\"`"
                } else {
                    "a pattern follows its clause word, like `stage \"deploy\"`"
                };
                self.expected("a clause", Some(help.into()));
                self.pos += 1;
                self.skip_clause();
                return None;
            }
            Tok::FatArrow | Tok::Semi => {
                self.expected("a clause after `not`", Some(C::help()));
                return None;
            }
            _ => {
                self.expected(
                    if negated {
                        "a clause after `not`"
                    } else {
                        "a clause"
                    },
                    Some(C::help()),
                );
                self.pos += 1;
                self.skip_clause();
                return None;
            }
        };
        self.pos += 1;
        let condition = C::read_args(kind, &mut Args { p: self, word: t })?;
        Some(Clause {
            negated,
            condition,
            loc: t.loc,
        })
    }

    fn unknown_clause(&mut self, word: &str) {
        let (_, loc) = self.found();
        let is_name = StateName::from_name(word).is_some() || ResultName::from_name(word).is_some();
        // `if` is no clause of a rule file; suggesting it there would mislead.
        let words = ClauseKind::ALL
            .into_iter()
            .filter(|k| k.shape() != Shape::Guard || self.input != Input::Text)
            .map(ClauseKind::word);
        let help = if AgentClauseKind::from_word(word).is_some() {
            format!("`{word}` is an agent clause: write `on agent {word} ...`")
        } else if word == "agent" {
            "`agent` comes right after `on`: `on agent ...` is a rule about agents".into()
        } else if let Some(near) = suggest::suggest(word, words) {
            format!("did you mean `{near}`?")
        } else if let (false, Some((what, clause, name))) = (is_name, agent_value(word)) {
            format!("`{word}` is {what}: write `on agent {clause} {name}`")
        } else if is_name {
            format!(
                "`{word}` is a state or result: write `state {word}`, and list several with `|`"
            )
        } else if let Some(near) = suggest::suggest(word, ["send", "stop"]) {
            format!("did you mean `{near}`? Actions come after `=>`")
        } else {
            clause_help()
        };
        self.error(format!("unknown clause `{word}`"), loc, Some(help));
        self.pos += 1;
        self.skip_clause();
    }

    /// A word that starts no clause of an agent rule.
    fn unknown_agent_clause(&mut self, word: &str) {
        let (_, loc) = self.found();
        let words = AgentClauseKind::ALL
            .into_iter()
            .filter(|k| k.shape() != Shape::Guard || self.input != Input::Text)
            .map(AgentClauseKind::word);
        let (message, help) = if is_clause_word(word) {
            (
                format!(
                    "`{word}` is a stage clause; agent rules take {}",
                    agent_words()
                ),
                format!("write it in a rule without `agent`: `on {word} ...` is about stages"),
            )
        } else if let Some(near) = suggest::suggest(word, words) {
            (
                format!("unknown clause `{word}` in an agent rule"),
                format!("did you mean `{near}`?"),
            )
        } else if let Some((what, clause, name)) = agent_value(word) {
            (
                format!("unknown clause `{word}` in an agent rule"),
                format!("`{word}` is {what}: write `{clause} {name}`"),
            )
        } else if let Some(near) = suggest::suggest(word, ["send", "stop"]) {
            (
                format!("unknown clause `{word}` in an agent rule"),
                format!("did you mean `{near}`? Actions come after `=>`"),
            )
        } else {
            (
                format!("unknown clause `{word}` in an agent rule"),
                agent_clause_help(),
            )
        };
        self.error(message, loc, Some(help));
        self.pos += 1;
        self.skip_clause();
    }

    /// Skips to where the next clause, the actions, or the next item can start.
    fn skip_clause(&mut self) {
        self.skip_to(|tok| match tok {
            Tok::FatArrow => true,
            #[cfg(feature = "codegen")]
            Tok::Guard(_) => true,
            // Arguments are strings, capitalised names and `regex(...)`; a
            // lower-case word is more likely the next (maybe mistyped) clause.
            Tok::Ident(w) => w != "regex" && w.starts_with(|c: char| c == '_' || c.is_lowercase()),
            _ => false,
        });
    }

    /// Skips tokens up to a `;` or, outside parentheses, a token `stop` takes.
    fn skip_to(&mut self, stop: impl Fn(&Tok) -> bool) {
        let mut depth = 0usize;
        while let Some(t) = self.peek() {
            match &t.kind {
                Tok::Open => depth += 1,
                Tok::Close => depth = depth.saturating_sub(1),
                Tok::Semi => return,
                kind if depth == 0 && stop(kind) => return,
                _ => {}
            }
            self.pos += 1;
        }
    }

    /// After an `if` that is a word, not a guard token: refused in text, where
    /// the Rust expression after it is skipped, up to the `=>`. In `rules!`
    /// such an `if` had no expression, which was reported when the tokens
    /// were read.
    fn refuse_guard(&mut self, at: Loc) {
        if self.input == Input::Text {
            self.error(
                "`if` guards are only allowed inside `rules!`",
                at,
                Some(
                    "a guard is a Rust expression, and Rust expressions exist only in `rules! { ... }` \
                     in Rust source; here, say it with clauses"
                        .into(),
                ),
            );
        }
        let from = self.after_prev();
        self.skip_guard();
        // What the lexer made of the Rust expression is no news.
        if let (Input::Text, Some(t)) = (self.input, self.peek().or(self.toks.last())) {
            let to = if self.peek().is_some() {
                t.loc.start
            } else {
                usize::MAX
            };
            self.quiet.push((from.start, to));
        }
    }

    /// Skips an `if` guard's expression in text, which the lexer read as
    /// ordinary tokens: up to the `=>`.
    fn skip_guard(&mut self) {
        self.skip_to(|tok| match tok {
            Tok::FatArrow => true,
            Tok::Ident(w) => ITEM_WORDS.contains(&w.as_str()),
            _ => false,
        });
    }
}

/// The arguments of the clause whose word is `word`, read for the table.
struct Args<'p, 't> {
    p: &'p mut Parser<'t>,
    word: &'t Token,
}

impl ReadArgs for Args<'_, '_> {
    fn patterns(&mut self, word: &str) -> Option<Vec<Pattern>> {
        self.p.patterns(word)
    }

    fn names<N: Name>(&mut self, word: &str) -> Option<Vec<N>> {
        self.p.names(word)
    }

    fn patterns_then_names<N: Name>(&mut self, word: &str) -> Option<(Vec<Pattern>, Vec<N>)> {
        let patterns = self.p.patterns(word);
        // Read even when the patterns were wrong, to report their mistakes too.
        let names = if self.p.at_name_word::<N>() {
            self.p.names(&format!("{word} \"...\""))
        } else {
            Some(Vec::new())
        };
        Some((patterns?, names?))
    }

    fn guard(&mut self) -> Option<TokenStream> {
        match &self.word.kind {
            #[cfg(feature = "codegen")]
            Tok::Guard(expr) => Some(expr.clone()),
            _ => {
                self.p.refuse_guard(self.word.loc);
                None
            }
        }
    }
}
