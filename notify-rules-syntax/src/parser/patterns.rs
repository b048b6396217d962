//! Patterns: string literals (exact or glob) and `regex("...")`. Whether a
//! regular expression compiles is a check (`check::regexes`), not parsing.

use super::clause::is_list_end_word;
use super::Parser;
use crate::ast::{Pattern, PatternKind};
use crate::lexer::Tok;
use crate::suggest;

const PATTERN_HELP: &str =
    "a pattern is a string literal, where `*` and `?` are wildcards, or `regex(\"...\")`";

/// The outcome of parsing one element of a list.
enum Got<T> {
    Yes(T),
    /// Reported; tokens were consumed, the list may go on.
    Failed,
    /// Reported; nothing was consumed, the list ends here.
    Missing,
}

impl Parser<'_> {
    /// `pattern { | pattern }` after the clause word `word`.
    pub(super) fn patterns(&mut self, word: &str) -> Option<Vec<Pattern>> {
        let mut patterns = Vec::new();
        let mut ok = true;
        let mut after = format!("`{word}`");
        loop {
            match self.pattern(&after) {
                Got::Yes(p) => patterns.push(p),
                Got::Failed => ok = false,
                Got::Missing => return None,
            }
            if !matches!(self.peek_kind(), Some(Tok::Pipe)) {
                break;
            }
            self.pos += 1;
            after = "`|`".into();
        }
        ok.then_some(patterns)
    }

    fn pattern(&mut self, after: &str) -> Got<Pattern> {
        let Some(t) = self.peek() else {
            self.expected(
                &format!("a pattern after {after}"),
                Some(PATTERN_HELP.into()),
            );
            return Got::Missing;
        };
        match &t.kind {
            Tok::Str(s) => {
                self.pos += 1;
                let kind = if s.value.contains(['*', '?']) {
                    PatternKind::Glob
                } else {
                    PatternKind::Exact
                };
                Got::Yes(Pattern {
                    kind,
                    text: s.value.clone(),
                    loc: t.loc,
                })
            }
            Tok::Ident(w)
                if w == "regex"
                    || (matches!(self.peek_nth(1), Some(Tok::Open))
                        && !is_list_end_word(w)
                        && suggest::suggest(w, ["regex"]).is_some()) =>
            {
                self.regex()
            }
            Tok::Ident(w) if !is_list_end_word(w) => {
                self.expected(
                    &format!("a pattern after {after}"),
                    Some(format!("patterns are string literals: write \"{w}\"")),
                );
                self.pos += 1;
                Got::Failed
            }
            Tok::Bad => {
                self.pos += 1;
                Got::Failed
            }
            _ => {
                self.expected(
                    &format!("a pattern after {after}"),
                    Some(PATTERN_HELP.into()),
                );
                Got::Missing
            }
        }
    }

    /// `regex("...")`, or a near miss of it such as `regx("...")`.
    fn regex(&mut self) -> Got<Pattern> {
        let Some(kw) = self.bump() else {
            return Got::Missing;
        };
        if !kw.kind.is_ident("regex") {
            // Read on as the `regex` it was meant to be, so that its expression
            // is checked too; the rules are refused anyway.
            self.error(
                format!("unknown pattern function {}", kw.kind.describe()),
                kw.loc,
                Some("did you mean `regex`?".into()),
            );
        }
        if !matches!(self.peek_kind(), Some(Tok::Open)) {
            self.expected("`(` after `regex`", Some("write `regex(\"...\")`".into()));
            if matches!(self.peek_kind(), Some(Tok::Str(_))) {
                self.pos += 1;
            }
            return Got::Failed;
        }
        self.pos += 1;
        let Some(t) = self.peek() else {
            self.expected("a string literal inside `regex(...)`", None);
            return Got::Failed;
        };
        let Tok::Str(s) = &t.kind else {
            return self.broken_regex(
                "a string literal inside `regex(...)`",
                "write `regex(\"...\")`",
            );
        };
        self.pos += 1;
        if !matches!(self.peek_kind(), Some(Tok::Close)) {
            return self.broken_regex(
                "`)` after the regular expression",
                "`regex` takes one string",
            );
        }
        self.pos += 1;
        Got::Yes(Pattern {
            kind: PatternKind::Regex,
            text: s.value.clone(),
            loc: t.loc,
        })
    }

    /// Inside `regex(`: says what was expected, and skips over the `)`.
    fn broken_regex(&mut self, expected: &str, help: &str) -> Got<Pattern> {
        self.expected(expected, Some(help.into()));
        self.skip_to_close();
        Got::Failed
    }
}
