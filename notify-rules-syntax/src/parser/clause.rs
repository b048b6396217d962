//! Clauses: `[not] condition`. Which clause a word starts and how its
//! arguments are written come from the language's table; this file reads the
//! word, hands the arguments to the reader the table picks, and recovers from
//! what is not a clause.

use proc_macro2::TokenStream;

use super::{is_clause_word, Input, Parser, ITEM_WORDS};
use crate::ast::{Clause, ClauseKind, Condition, Loc, Name, Pattern, ResultName, Shape, StateName};
use crate::lang::ReadArgs;
use crate::lexer::{Tok, Token};
use crate::suggest;

/// Words that end a list of patterns or names besides the clause words.
const STOP_WORDS: [&str; 5] = ["not", "on", "target", "send", "stop"];

pub(super) fn is_list_end_word(word: &str) -> bool {
    is_clause_word(word) || STOP_WORDS.contains(&word)
}

/// "the clauses are `pipeline`, ... and `any`, each optionally preceded by `not`".
fn clause_help() -> String {
    let words: Vec<String> = ClauseKind::listed()
        .map(|k| format!("`{}`", k.word()))
        .collect();
    let list = match words.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => words.concat(),
    };
    format!("the clauses are {list}, each optionally preceded by `not`")
}

/// The kind of the clause a guard token (`if EXPR` in `rules!`) starts.
#[cfg(feature = "codegen")]
fn guard_kind() -> Option<ClauseKind> {
    ClauseKind::ALL
        .into_iter()
        .find(|k| k.shape() == Shape::Guard)
}

impl Parser<'_> {
    /// One clause. `None` when it was wrong (reported) or skipped.
    pub(super) fn clause(&mut self) -> Option<Clause> {
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
                self.clause();
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
            Tok::Ident(w) => match ClauseKind::from_word(w) {
                Some(kind) => kind,
                None => {
                    self.unknown_clause(w);
                    return None;
                }
            },
            #[cfg(feature = "codegen")]
            Tok::Guard(_) => guard_kind()?,
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
                self.expected("a clause after `not`", Some(clause_help()));
                return None;
            }
            _ => {
                self.expected(
                    if negated {
                        "a clause after `not`"
                    } else {
                        "a clause"
                    },
                    Some(clause_help()),
                );
                self.pos += 1;
                self.skip_clause();
                return None;
            }
        };
        self.pos += 1;
        let condition = Condition::read(kind, &mut Args { p: self, word: t })?;
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
        let help = if let Some(near) = suggest::suggest(word, words) {
            format!("did you mean `{near}`?")
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
