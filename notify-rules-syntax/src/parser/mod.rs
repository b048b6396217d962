//! The recursive-descent parser: tokens to [`Rules`], every error recorded and
//! parsing resumed after it, so one run reports all of a text's mistakes.

mod action;
mod clause;
mod names;
mod patterns;
#[cfg(test)]
mod tests;
mod time;

use proc_macro2::Span;

use crate::ast::{AgentCondition, AgentRule, ClauseKind, Condition, Ident, Loc, Rule, Rules};
use crate::check;
use crate::error::{Error, Errors};
use crate::lexer::{Lexed, Tok, Token};
use crate::suggest;

/// Where the tokens came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Input {
    /// A rule file or text loaded at run time: `if` guards are an error.
    Text,
    /// The body of `rules! { ... }`.
    #[cfg(feature = "codegen")]
    Tokens,
}

/// Parses and checks; `src` is the text for text input, to name places in
/// help ("first declared at line 1, column 8").
pub(crate) fn parse(lexed: Lexed, input: Input, src: Option<&str>) -> Result<Rules, Errors> {
    let Lexed {
        mut tokens,
        mut errors,
        end,
    } = lexed;
    time::contextual(&mut tokens, input, &mut errors);
    let mut p = Parser {
        toks: &tokens,
        pos: 0,
        input,
        errors: Vec::new(),
        end: end.unwrap_or_else(|| Loc::span(Span::call_site())),
        rules: Rules::default(),
        quiet: Vec::new(),
        agent: false,
    };
    p.items();
    let Parser {
        errors: mut parse_errors,
        rules,
        quiet,
        ..
    } = p;
    errors.retain(|e| {
        !quiet
            .iter()
            .any(|&(from, to)| (from..to).contains(&e.loc.start))
    });
    errors.append(&mut parse_errors);
    check::check(&rules, src, &mut errors);
    if errors.is_empty() {
        return Ok(rules);
    }
    if src.is_some() {
        errors.sort_by_key(|e| e.loc.start);
    }
    Err(Errors::from(errors))
}

/// Words that start a rule item; recovery stops in front of them.
use crate::lang::ITEM_WORDS;

/// Whether `word` starts a clause. `if` does, in a rule file too: there it is
/// refused as a guard, not taken for a pattern or a name.
fn is_clause_word(word: &str) -> bool {
    ClauseKind::from_word(word).is_some()
}

struct Parser<'t> {
    toks: &'t [Token],
    pos: usize,
    input: Input,
    errors: Vec<Error>,
    /// Just past the last token.
    end: Loc,
    rules: Rules,
    /// Byte ranges of text whose lexer errors are dropped: `if` guards, which
    /// are reported once as a whole.
    quiet: Vec<(usize, usize)>,
    /// Whether the rule being read is an agent rule (`on agent ...`), whose
    /// templates take agent placeholders.
    agent: bool,
}

impl<'t> Parser<'t> {
    fn peek(&self) -> Option<&'t Token> {
        self.toks.get(self.pos)
    }

    fn peek_kind(&self) -> Option<&'t Tok> {
        self.peek().map(|t| &t.kind)
    }

    fn peek_nth(&self, n: usize) -> Option<&'t Tok> {
        self.toks.get(self.pos + n).map(|t| &t.kind)
    }

    fn bump(&mut self) -> Option<&'t Token> {
        let t = self.toks.get(self.pos);
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    fn at_ident(&self, word: &str) -> bool {
        self.peek_kind().is_some_and(|k| k.is_ident(word))
    }

    fn at_item_word(&self) -> bool {
        ITEM_WORDS.iter().any(|w| self.at_ident(w))
    }

    /// The current token, described, and its place (the end for no token).
    fn found(&self) -> (String, Loc) {
        match self.peek() {
            Some(t) => (t.kind.describe(), t.loc),
            None => ("the end of the rules".into(), self.end),
        }
    }

    /// The place just after the previous token, where something is missing.
    fn after_prev(&self) -> Loc {
        match self.pos.checked_sub(1).and_then(|i| self.toks.get(i)) {
            Some(t) if self.input == Input::Text => Loc::text(t.loc.end, t.loc.end),
            Some(t) => t.loc,
            None => self.end,
        }
    }

    fn error(&mut self, message: impl Into<String>, loc: Loc, help: Option<String>) {
        let mut e = Error::new(message, loc);
        e.help = help;
        self.errors.push(e);
    }

    /// "expected `what`, found ..." at the current token, unless the current
    /// token is one the lexer already reported.
    fn expected(&mut self, what: &str, help: Option<String>) {
        if matches!(self.peek_kind(), Some(Tok::Bad)) || self.ended_in_error() {
            return;
        }
        let (found, loc) = self.found();
        self.error(format!("expected {what}, found {found}"), loc, help);
    }

    /// Skips what is left of a broken item: up to and with the next `;`, or up
    /// to the next `on` or `target` outside parentheses.
    fn skip_item(&mut self) {
        let mut depth = 0usize;
        while let Some(t) = self.peek() {
            match &t.kind {
                Tok::Semi => {
                    self.pos += 1;
                    return;
                }
                Tok::Ident(w) if depth == 0 && ITEM_WORDS.contains(&w.as_str()) => return,
                Tok::Open => depth += 1,
                Tok::Close => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.pos += 1;
        }
    }

    /// Just after a `(`: skips to and over its `)`, stopping in front of a
    /// `;` when the parenthesis is never closed.
    fn skip_to_close(&mut self) {
        let mut depth = 0usize;
        while let Some(t) = self.peek() {
            match t.kind {
                Tok::Semi => return,
                Tok::Open => depth += 1,
                Tok::Close if depth == 0 => {
                    self.pos += 1;
                    return;
                }
                Tok::Close => depth -= 1,
                _ => {}
            }
            self.pos += 1;
        }
    }

    fn items(&mut self) {
        while let Some(t) = self.peek() {
            match &t.kind {
                Tok::Ident(w) if w == "on" => {
                    self.pos += 1;
                    self.rule(t.loc);
                }
                Tok::Ident(w) if w == "target" => {
                    self.pos += 1;
                    self.target();
                }
                Tok::Ident(w) if w == "window" => {
                    self.pos += 1;
                    self.window(t.loc);
                }
                Tok::Bad => self.pos += 1,
                Tok::Semi => {
                    self.error(
                        "unexpected `;`",
                        t.loc,
                        Some("remove it; every rule ends with one `;`".into()),
                    );
                    self.pos += 1;
                }
                Tok::Ident(w) if is_clause_word(w) || w == "not" => {
                    self.expected(
                        EXPECTED_ITEM,
                        Some(format!("a rule starts with `on`: write `on {w} ...`")),
                    );
                    self.rule(t.loc);
                }
                #[cfg(feature = "codegen")]
                Tok::Guard(_) => {
                    self.expected(
                        EXPECTED_ITEM,
                        Some("a rule starts with `on`: write `on if ...`".into()),
                    );
                    self.rule(t.loc);
                }
                Tok::Ident(w) => match suggest::suggest(w, ITEM_WORDS) {
                    Some(near) => {
                        self.expected(EXPECTED_ITEM, Some(format!("did you mean `{near}`?")));
                        self.pos += 1;
                        match near {
                            "on" => self.rule(t.loc),
                            "window" => self.window(t.loc),
                            _ => self.target(),
                        }
                    }
                    None => {
                        self.expected(EXPECTED_ITEM, Some(ITEM_HELP.into()));
                        self.pos += 1;
                        self.skip_item();
                    }
                },
                _ => {
                    self.expected(EXPECTED_ITEM, Some(ITEM_HELP.into()));
                    self.pos += 1;
                    self.skip_item();
                }
            }
        }
    }

    /// `target IDENT { , IDENT } ;`, after `target`.
    fn target(&mut self) {
        let mut after = "`target`";
        loop {
            match self.peek_kind() {
                Some(Tok::Ident(w)) if !ITEM_WORDS.contains(&w.as_str()) => {
                    let t = self.bump().map(|t| t.loc).unwrap_or(self.end);
                    self.rules.targets.push(Ident {
                        name: w.clone(),
                        loc: t,
                    });
                }
                Some(Tok::Bad) => self.pos += 1,
                Some(Tok::Str(s)) => {
                    let help = if is_identifier(&s.value) {
                        // Declared anyway, so its uses are not reported as well.
                        let loc = self.peek().map_or(self.end, |t| t.loc);
                        self.rules.targets.push(Ident {
                            name: s.value.clone(),
                            loc,
                        });
                        format!(
                            "target names are written without quotes: `target {};`",
                            s.value
                        )
                    } else {
                        "a target name is a word, like `ops`".into()
                    };
                    self.expected("a target name", Some(help));
                    self.pos += 1;
                }
                _ => {
                    self.expected(
                        &format!("a target name after {after}"),
                        Some("declare targets like `target ops, releases;`".into()),
                    );
                    if !self.at_item_word() {
                        self.skip_item();
                    }
                    return;
                }
            }
            match self.peek_kind() {
                Some(Tok::Comma) => {
                    self.pos += 1;
                    after = "`,`";
                }
                Some(Tok::Semi) => {
                    self.pos += 1;
                    return;
                }
                None => return self.missing_semi("declaration"),
                Some(Tok::Ident(w)) if ITEM_WORDS.contains(&w.as_str()) => {
                    return self.missing_semi("declaration")
                }
                Some(Tok::Ident(_) | Tok::Str(_)) => {
                    let loc = self.after_prev();
                    self.error(
                        "missing `,` between target names",
                        loc,
                        Some("write `target ops, releases;`".into()),
                    );
                }
                Some(_) => {
                    self.expected("`,` or `;` after the target name", None);
                    self.skip_item();
                    return;
                }
            }
        }
    }

    /// Whether the input is used up and its last token was an error (such as
    /// an unterminated string, which swallows the rest of the text).
    fn ended_in_error(&self) -> bool {
        self.peek().is_none() && matches!(self.toks.last(), Some(t) if matches!(t.kind, Tok::Bad))
    }

    fn missing_semi(&mut self, what: &str) {
        if self.ended_in_error() {
            return;
        }
        let loc = self.after_prev();
        self.error(
            format!("missing `;` after the {what}"),
            loc,
            Some(format!("every {what} ends with `;`")),
        );
    }

    /// A rule, after `on` (or at its first clause when `on` was forgotten).
    fn rule(&mut self, on: Loc) {
        if self.at_ident("agent") {
            self.pos += 1;
            let Some(clauses) = self.clauses::<AgentCondition>(on, true) else {
                return;
            };
            self.agent = true;
            let (actions, timing) = self.actions();
            self.agent = false;
            self.rules.agent_rules.push(AgentRule {
                clauses,
                actions,
                timing,
                loc: on,
            });
            return;
        }
        let Some(clauses) = self.clauses::<Condition>(on, false) else {
            return;
        };
        let (actions, timing) = self.actions();
        self.rules.rules.push(Rule {
            clauses,
            actions,
            timing,
            loc: on,
        });
    }

    /// A rule's clauses, up to and with its `=>`; `None` when the rule ended
    /// before its actions (reported). An agent rule may have none.
    fn clauses<C: clause::Clauses>(
        &mut self,
        on: Loc,
        agent: bool,
    ) -> Option<Vec<crate::ast::Clause<C>>> {
        let mut clauses = Vec::new();
        let mut attempted = false;
        loop {
            let Some(t) = self.peek() else {
                if attempted || agent {
                    self.expected("`=>` and an action", Some(RULE_HELP.into()));
                } else {
                    self.no_clause(on);
                }
                return None;
            };
            match &t.kind {
                Tok::FatArrow => {
                    self.pos += 1;
                    break;
                }
                Tok::Ident(w) if crate::lang::ACTION_WORDS.contains(&w.as_str()) => {
                    if attempted || agent {
                        let loc = self.after_prev();
                        self.error(
                            "missing `=>` between the clauses and the actions",
                            loc,
                            Some(format!("write `=> {w}...`")),
                        );
                    }
                    break;
                }
                Tok::Semi => {
                    if !attempted && !agent {
                        self.no_clause(on);
                    }
                    self.expected("`=>` and an action", Some(RULE_HELP.into()));
                    self.pos += 1;
                    return None;
                }
                Tok::Ident(w) if ITEM_WORDS.contains(&w.as_str()) => {
                    if !attempted && !agent {
                        self.no_clause(on);
                    }
                    self.expected("`=>` and an action", Some(RULE_HELP.into()));
                    return None;
                }
                _ => {
                    attempted = true;
                    let before = self.pos;
                    if let Some(c) = self.clause::<C>() {
                        clauses.push(c);
                    }
                    if self.pos == before {
                        self.pos += 1;
                    }
                }
            }
        }
        if !attempted && !agent {
            self.no_clause(on);
        }
        Some(clauses)
    }

    fn no_clause(&mut self, on: Loc) {
        self.error(
            "rule has no clause",
            on,
            Some(
                "say what the rule matches, or write `on any => ...` to match every notification"
                    .into(),
            ),
        );
    }
}

const EXPECTED_ITEM: &str = "`on`, `target` or `window`";
const ITEM_HELP: &str =
    "a rule is `on <clauses> => <actions>;`, a declaration `target <name>, ...;` \
     or `window <name> = \"Mon-Fri 08:00-18:00\" in \"Europe/Berlin\";`";
const RULE_HELP: &str =
    "a rule is `on <clauses> => <actions>;`, like `on state Failed => send(ops);`";

/// Whether `s` could be written as an identifier.
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}
