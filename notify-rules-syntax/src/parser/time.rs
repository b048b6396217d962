//! The time forms: `window NAME = "SPEC" in "ZONE";`, the `remind` action's
//! arguments, a rule's `every D` and `during W`, and which numbers and `=`
//! signs are tokens of them.

use super::{Input, Parser, ITEM_WORDS};
use crate::ast::{DurationLit, Ident, Loc, Timing, WindowDecl};
use crate::error::Error;
use crate::lang::SUFFIX_WORDS;
use crate::lexer::{Tok, Token};
use crate::window;

const WINDOW_HELP: &str =
    "declare a window like `window office = \"Mon-Fri 08:00-18:00\" in \"Europe/Berlin\";`";
const EVERY_HELP: &str =
    "write a duration after `every`, like `every 1h` (units `s`, `m`, `h`, `d`)";

/// Numbers are durations only after `every` and as the second argument of
/// `remind`, and `=` is a token only in `window NAME =`. Anywhere else they
/// are reported here, as the lexer reported them before durations existed,
/// and left for the parser to skip quietly. A malformed duration in its
/// place (no unit, an unknown one, zero) is reported here too.
pub(super) fn contextual(tokens: &mut [Token], input: Input, errors: &mut Vec<Error>) {
    for i in 0..tokens.len() {
        let ident = |j: Option<usize>, w: &str| {
            j.and_then(|j| tokens.get(j))
                .is_some_and(|t: &Token| t.kind.is_ident(w))
        };
        let is = |j: Option<usize>, f: fn(&Tok) -> bool| {
            j.and_then(|j| tokens.get(j)).is_some_and(|t| f(&t.kind))
        };
        let back = |n: usize| i.checked_sub(n);
        let error = match &tokens[i].kind {
            Tok::Number(n) => {
                let after_every = ident(back(1), "every");
                let in_remind = is(back(1), |k| matches!(k, Tok::Comma))
                    && is(back(2), |k| matches!(k, Tok::Ident(_)))
                    && is(back(3), |k| matches!(k, Tok::Open))
                    && ident(back(4), "remind");
                match (&n.duration, after_every || in_remind) {
                    (Ok(_), true) => continue,
                    (Err((message, help)), true) => {
                        Error::new(message.clone(), tokens[i].loc).with_help(help.clone())
                    }
                    (_, false) => stray_number(&n.text, input, tokens[i].loc),
                }
            }
            Tok::Eq => {
                // `window =` too: the window parser then says the name is missing.
                if ident(back(1), "window")
                    || (is(back(1), |k| matches!(k, Tok::Ident(_))) && ident(back(2), "window"))
                {
                    continue;
                }
                let message = match input {
                    Input::Text => "unexpected character `=`",
                    #[cfg(feature = "codegen")]
                    Input::Tokens => "unexpected `=`",
                };
                Error::new(message, tokens[i].loc)
                    .with_help("a rule separates its clauses from its actions with `=>`")
            }
            _ => continue,
        };
        errors.push(error);
        tokens[i].kind = Tok::Bad;
    }
}

/// A number where none belongs, in the words the lexer used for it.
fn stray_number(text: &str, input: Input, loc: Loc) -> Error {
    match input {
        Input::Text => Error::new(format!("unexpected number `{text}`"), loc).with_help(
            "the rule language has no numbers; patterns are string literals, like \"42\"",
        ),
        #[cfg(feature = "codegen")]
        Input::Tokens => Error::new(
            format!("expected a string literal, found the number `{text}`"),
            loc,
        )
        .with_help("patterns and messages are plain string literals, like \"deploy\""),
    }
}

impl Parser<'_> {
    /// `window NAME = "SPEC" in "ZONE" ;`, after `window`.
    pub(super) fn window(&mut self, at: Loc) {
        let name = match self.peek() {
            Some(Token {
                kind: Tok::Ident(w),
                loc,
            }) if !ITEM_WORDS.contains(&w.as_str()) => {
                self.pos += 1;
                Ident {
                    name: w.clone(),
                    loc: *loc,
                }
            }
            _ => {
                self.expected("a window name after `window`", Some(WINDOW_HELP.into()));
                return self.skip_unless_item();
            }
        };
        if !self.eat(
            |k| matches!(k, Tok::Eq),
            "`=` after the window's name",
            WINDOW_HELP,
        ) {
            return self.skip_unless_item();
        }
        let Some((spec, spec_tok)) = self.string("the window's spec (a string literal)") else {
            return self.skip_unless_item();
        };
        if !self.at_ident("in") {
            self.expected("`in` and the window's time zone", Some(WINDOW_HELP.into()));
            return self.skip_unless_item();
        }
        self.pos += 1;
        let Some((zone, zone_tok)) = self.string("the window's time zone (a string literal)")
        else {
            return self.skip_unless_item();
        };
        let spec = match window::parse(&spec.value) {
            Ok(spec) => Some(spec),
            Err(e) => {
                let loc = spec.loc_of(e.start, e.end, spec_tok);
                self.error(
                    format!("malformed window: {}", e.message),
                    loc,
                    Some(e.help),
                );
                None
            }
        };
        let zone = match window::zone(&zone.value) {
            Ok(zone) => Some(zone),
            Err((message, help)) => {
                self.error(message, zone_tok, Some(help));
                None
            }
        };
        match self.peek_kind() {
            Some(Tok::Semi) => self.pos += 1,
            _ if self.at_item_word() || self.peek().is_none() => self.missing_semi("declaration"),
            _ => {
                self.expected("`;` after the window", Some(WINDOW_HELP.into()));
                self.skip_item();
            }
        }
        // A window with a bad spec or zone is still declared, so `during` of
        // it is not reported as well; the rules are refused anyway.
        self.rules.windows.push(WindowDecl {
            name,
            spec: spec.unwrap_or(window::WindowSpec { parts: Vec::new() }),
            zone: zone.unwrap_or_default(),
            loc: at,
        });
    }

    fn skip_unless_item(&mut self) {
        if !self.at_item_word() {
            self.skip_item();
        }
    }

    /// The current token if `test` holds; else "expected `what`".
    fn eat(&mut self, test: fn(&Tok) -> bool, what: &str, help: &str) -> bool {
        if self.peek_kind().is_some_and(test) {
            self.pos += 1;
            return true;
        }
        self.expected(what, Some(help.into()));
        false
    }

    /// A string literal, with its token's place.
    fn string(&mut self, what: &str) -> Option<(crate::lexer::StrLit, Loc)> {
        match self.peek() {
            Some(Token {
                kind: Tok::Str(s),
                loc,
            }) => {
                self.pos += 1;
                Some((s.clone(), *loc))
            }
            _ => {
                self.expected(what, Some(WINDOW_HELP.into()));
                None
            }
        }
    }

    /// A duration token; `what` is where it was expected.
    pub(super) fn duration(&mut self, what: &str, help: &str) -> Option<DurationLit> {
        match self.peek() {
            Some(Token {
                kind: Tok::Number(n),
                loc,
            }) => {
                self.pos += 1;
                // `contextual` turned a malformed one into `Bad`.
                n.duration
                    .as_ref()
                    .ok()
                    .map(|&secs| DurationLit { secs, loc: *loc })
            }
            Some(Token { kind: Tok::Bad, .. }) => {
                self.pos += 1;
                None
            }
            _ => {
                self.expected(what, Some(help.into()));
                None
            }
        }
    }

    /// Whether the current token starts what may follow the actions.
    pub(super) fn at_suffix(&self) -> bool {
        SUFFIX_WORDS.iter().any(|w| self.at_ident(w))
    }

    /// `[every D] [during W]` after the actions, up to the `;`.
    pub(super) fn suffix(&mut self) -> Timing {
        let mut timing = Timing::default();
        while let Some(t) = self.peek() {
            match &t.kind {
                Tok::Ident(w) if w == "every" => {
                    self.pos += 1;
                    if timing.every.is_some() {
                        self.error(
                            "`every` is given twice in one rule",
                            t.loc,
                            Some("a rule has one `every`".into()),
                        );
                    } else if timing.during.is_some() {
                        self.error(
                            "`every` after `during`",
                            t.loc,
                            Some("write `every` first: `... every 1h during office;`".into()),
                        );
                    }
                    if let Some(d) = self.duration("a duration after `every`", EVERY_HELP) {
                        timing.every.get_or_insert(d);
                    }
                }
                Tok::Ident(w) if w == "during" => {
                    self.pos += 1;
                    if timing.during.is_some() {
                        self.error(
                            "`during` is given twice in one rule",
                            t.loc,
                            Some("a rule has one `during`".into()),
                        );
                    }
                    match self.peek() {
                        Some(Token {
                            kind: Tok::Ident(name),
                            loc,
                        }) if !ITEM_WORDS.contains(&name.as_str()) => {
                            self.pos += 1;
                            let _ = timing.during.get_or_insert(Ident {
                                name: name.clone(),
                                loc: *loc,
                            });
                        }
                        _ => self.expected(
                            "a window name after `during`",
                            Some(
                                "write `during office`, with `window office = ...;` declared"
                                    .into(),
                            ),
                        ),
                    }
                }
                _ => break,
            }
        }
        timing
    }
}
