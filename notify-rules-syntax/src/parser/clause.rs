//! Clauses: `[not] condition`, patterns, state and result names.

use super::{is_clause_word, Input, Parser, ITEM_WORDS};
use crate::ast::{Clause, ClauseKind, Condition, Pattern, PatternKind, ResultName, StateName};
use crate::check;
use crate::lexer::Tok;
use crate::suggest;

/// Words that end a list of patterns or names besides the clause words.
const STOP_WORDS: [&str; 5] = ["not", "on", "target", "send", "stop"];

const CLAUSE_HELP: &str = "the clauses are `pipeline`, `group`, `stage`, `label`, `branch`, `approved_by`, \
                           `state`, `result`, `job`, `broken`, `fixed`, `still_failing` and `any`, each \
                           optionally preceded by `not`";
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

fn is_list_end_word(word: &str) -> bool {
    is_clause_word(word) || STOP_WORDS.contains(&word)
}

fn names_of<'a, T>(
    table: &'a [(&'static str, T)],
) -> impl Iterator<Item = &'static str> + Clone + 'a {
    table.iter().map(|(n, _)| *n)
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
        let word = match &t.kind {
            Tok::Ident(w) => w.as_str(),
            Tok::Guard(expr) => {
                self.pos += 1;
                return Some(Clause {
                    negated,
                    condition: Condition::Guard(expr.clone()),
                    loc: t.loc,
                });
            }
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
                self.expected("a clause after `not`", Some(CLAUSE_HELP.into()));
                return None;
            }
            _ => {
                self.expected(
                    if negated {
                        "a clause after `not`"
                    } else {
                        "a clause"
                    },
                    Some(CLAUSE_HELP.into()),
                );
                self.pos += 1;
                self.skip_clause();
                return None;
            }
        };
        let loc = t.loc;
        let Some(kind) = clause_kind(word) else {
            self.unknown_clause(word);
            return None;
        };
        self.pos += 1;
        let condition = match kind {
            ClauseKind::Pipeline => Condition::Pipeline(self.patterns(word, true)?),
            ClauseKind::Group => Condition::Group(self.patterns(word, true)?),
            ClauseKind::Stage => Condition::Stage(self.patterns(word, true)?),
            ClauseKind::Label => Condition::Label(self.patterns(word, false)?),
            ClauseKind::Branch => Condition::Branch(self.patterns(word, false)?),
            ClauseKind::ApprovedBy => Condition::ApprovedBy(self.patterns(word, false)?),
            ClauseKind::State => Condition::State(self.names(word, &StateName::ALL, "state")?),
            ClauseKind::Result => {
                Condition::Result(self.names(word, &ResultName::ALL, "result")?)
            }
            ClauseKind::Job => {
                let patterns = self.patterns(word, true);
                // Parsed even when the patterns were wrong, to report their mistakes too.
                let results = if self.at_result_word() {
                    self.names("job \"...\"", &ResultName::ALL, "result")
                } else {
                    Some(Vec::new())
                };
                Condition::Job(patterns?, results?)
            }
            ClauseKind::Broken => Condition::Broken,
            ClauseKind::Fixed => Condition::Fixed,
            ClauseKind::StillFailing => Condition::StillFailing,
            ClauseKind::Any => Condition::Any,
            ClauseKind::Guard => {
                if self.input == Input::Text {
                    self.error(
                        "`if` guards are only allowed inside `rules!`",
                        loc,
                        Some(
                            "a guard is a Rust expression, and Rust expressions exist only in `rules! { ... }` \
                             in Rust source; here, say it with clauses"
                                .into(),
                        ),
                    );
                }
                // In `rules!` an `if` that is still a word had no expression,
                // which was reported when the tokens were read.
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
                return None;
            }
        };
        Some(Clause {
            negated,
            condition,
            loc,
        })
    }

    fn unknown_clause(&mut self, word: &str) {
        let (_, loc) = self.found();
        let is_name = StateName::ALL.iter().any(|(n, _)| *n == word)
            || ResultName::ALL.iter().any(|(n, _)| *n == word);
        // `if` is no clause of a rule file; suggesting it there would mislead.
        let words = ClauseKind::WORDS
            .iter()
            .copied()
            .filter(|w| *w != "if" || self.input != Input::Text);
        let help = if let Some(near) = suggest::suggest(word, words) {
            format!("did you mean `{near}`?")
        } else if is_name {
            format!(
                "`{word}` is a state or result: write `state {word}`, and list several with `|`"
            )
        } else if let Some(near) = suggest::suggest(word, ["send", "stop"]) {
            format!("did you mean `{near}`? Actions come after `=>`")
        } else {
            CLAUSE_HELP.into()
        };
        self.error(format!("unknown clause `{word}`"), loc, Some(help));
        self.pos += 1;
        self.skip_clause();
    }

    /// Skips to where the next clause, the actions, or the next item can start.
    fn skip_clause(&mut self) {
        let mut depth = 0usize;
        while let Some(t) = self.peek() {
            match &t.kind {
                Tok::Open => depth += 1,
                Tok::Close => depth = depth.saturating_sub(1),
                Tok::Semi => return,
                _ if depth > 0 => {}
                Tok::FatArrow | Tok::Guard(_) => return,
                // Arguments are strings, capitalised names and `regex(...)`; a
                // lower-case word is more likely the next (maybe mistyped) clause.
                Tok::Ident(w)
                    if w != "regex" && w.starts_with(|c: char| c == '_' || c.is_lowercase()) =>
                {
                    return
                }
                _ => {}
            }
            self.pos += 1;
        }
    }

    /// Skips an `if` guard's expression in text, which the lexer read as
    /// ordinary tokens: up to the `=>`.
    fn skip_guard(&mut self) {
        let mut depth = 0usize;
        while let Some(t) = self.peek() {
            match &t.kind {
                Tok::Open => depth += 1,
                Tok::Close => depth = depth.saturating_sub(1),
                Tok::Semi => return,
                Tok::FatArrow if depth == 0 => return,
                Tok::Ident(w) if depth == 0 && ITEM_WORDS.contains(&w.as_str()) => return,
                _ => {}
            }
            self.pos += 1;
        }
    }

    /// `pattern { | pattern }` after the clause word `word`.
    fn patterns(&mut self, word: &str, case_insensitive: bool) -> Option<Vec<Pattern>> {
        let mut patterns = Vec::new();
        let mut ok = true;
        let mut after = format!("`{word}`");
        loop {
            match self.pattern(&after, case_insensitive) {
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

    fn pattern(&mut self, after: &str, case_insensitive: bool) -> Got<Pattern> {
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
                self.regex(case_insensitive)
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

    /// `regex("...")`, checked with the settings matching uses.
    fn regex(&mut self, case_insensitive: bool) -> Got<Pattern> {
        let Some(kw) = self.bump() else {
            return Got::Missing;
        };
        let mut ok = true;
        if !kw.kind.is_ident("regex") {
            ok = false;
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
            self.expected(
                "a string literal inside `regex(...)`",
                Some("write `regex(\"...\")`".into()),
            );
            self.skip_to_close();
            return Got::Failed;
        };
        self.pos += 1;
        if !matches!(self.peek_kind(), Some(Tok::Close)) {
            self.expected(
                "`)` after the regular expression",
                Some("`regex` takes one string".into()),
            );
            self.skip_to_close();
            return Got::Failed;
        }
        self.pos += 1;
        // Rule sets repeat expressions; each is compiled once.
        let key = (s.value.clone(), case_insensitive);
        let problem = if self.good_regexes.contains(&key) {
            None
        } else {
            check::regex_problem(&s.value, case_insensitive)
        };
        if problem.is_none() {
            self.good_regexes.insert(key);
        }
        if let Some(problem) = problem {
            let loc = match problem.span {
                Some((start, end)) => s.loc_of(start, end, t.loc),
                None => t.loc,
            };
            self.error(
                format!("invalid regular expression: {}", problem.message),
                loc,
                problem.help,
            );
            return Got::Failed;
        }
        if !ok {
            return Got::Failed;
        }
        Got::Yes(Pattern {
            kind: PatternKind::Regex,
            text: s.value.clone(),
            loc: t.loc,
        })
    }

    /// After a `job` clause's patterns: whether a result list follows. Result
    /// names, state names and other capitalised words that are not clause
    /// words in another case are taken for (maybe mistyped) results.
    fn at_result_word(&self) -> bool {
        match self.peek_kind() {
            Some(Tok::Ident(w)) => {
                let lower = w.to_ascii_lowercase();
                ResultName::ALL.iter().any(|(n, _)| n == w)
                    || StateName::ALL.iter().any(|(n, _)| n == w)
                    || (w.starts_with(|c: char| c.is_uppercase()) && !is_list_end_word(&lower))
            }
            _ => false,
        }
    }

    /// `NAME { | NAME }` from `table`, after `word`.
    fn names<T: Copy>(
        &mut self,
        word: &str,
        table: &[(&'static str, T)],
        what: &str,
    ) -> Option<Vec<T>> {
        let mut out = Vec::new();
        let mut ok = true;
        let mut after = format!("`{word}`");
        loop {
            let Some(t) = self.peek() else {
                self.expected(
                    &format!("a {what} name after {after}"),
                    Some(name_list(table, what)),
                );
                return None;
            };
            match &t.kind {
                Tok::Ident(w) if !is_list_end_word(w) => {
                    self.pos += 1;
                    match table.iter().find(|(n, _)| n == w) {
                        Some((_, v)) => out.push(*v),
                        None => {
                            ok = false;
                            let help = name_help(w, table, what);
                            self.error(format!("unknown {what} `{w}`"), t.loc, Some(help));
                        }
                    }
                }
                Tok::Str(s) => {
                    ok = false;
                    let help = match suggest::suggest(&s.value, names_of(table)) {
                        Some(n) if n.eq_ignore_ascii_case(s.value.trim()) => {
                            format!("write it without quotes: `{n}`")
                        }
                        _ => name_list(table, what),
                    };
                    self.expected(&format!("a {what} name"), Some(help));
                    self.pos += 1;
                }
                Tok::Bad => {
                    ok = false;
                    self.pos += 1;
                }
                _ => {
                    self.expected(
                        &format!("a {what} name after {after}"),
                        Some(name_list(table, what)),
                    );
                    return None;
                }
            }
            if !matches!(self.peek_kind(), Some(Tok::Pipe)) {
                break;
            }
            self.pos += 1;
            after = "`|`".into();
        }
        ok.then_some(out)
    }
}

fn clause_kind(word: &str) -> Option<ClauseKind> {
    Some(match word {
        "pipeline" => ClauseKind::Pipeline,
        "group" => ClauseKind::Group,
        "stage" => ClauseKind::Stage,
        "label" => ClauseKind::Label,
        "branch" => ClauseKind::Branch,
        "approved_by" => ClauseKind::ApprovedBy,
        "state" => ClauseKind::State,
        "result" => ClauseKind::Result,
        "job" => ClauseKind::Job,
        "broken" => ClauseKind::Broken,
        "fixed" => ClauseKind::Fixed,
        "still_failing" => ClauseKind::StillFailing,
        "any" => ClauseKind::Any,
        "if" => ClauseKind::Guard,
        _ => return None,
    })
}

fn name_list<T>(table: &[(&'static str, T)], what: &str) -> String {
    format!("the {what}s are {}", suggest::list(names_of(table)))
}

fn name_help<T>(word: &str, table: &[(&'static str, T)], what: &str) -> String {
    if let Some(near) = suggest::suggest(word, names_of(table)) {
        return format!("did you mean `{near}`?");
    }
    if what == "result" && StateName::ALL.iter().any(|(n, _)| *n == word) {
        return format!(
            "`{word}` is a state, not a result; {}",
            name_list(table, what)
        );
    }
    name_list(table, what)
}
