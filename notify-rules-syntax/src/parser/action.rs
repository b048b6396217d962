//! Actions: `send(target[, "template"])` and `stop`, up to the rule's `;`.

use super::{Parser, ITEM_WORDS};
use crate::ast::{Action, Ident, Loc};
use crate::lexer::Tok;
use crate::{suggest, template};

const SEND_HELP: &str =
    "write `send(ops)`, or `send(ops, \"message\")`, with a target declared by `target ops;`";
const ACTION_HELP: &str = "the actions are `send(target)`, `send(target, \"message\")` and `stop`";

impl Parser<'_> {
    /// `action { , action } ;`, just after `=>`.
    pub(super) fn actions(&mut self) -> Vec<Action> {
        let mut actions = Vec::new();
        loop {
            if let Some(a) = self.action() {
                actions.push(a);
            }
            match self.peek_kind() {
                Some(Tok::Comma) => self.pos += 1,
                Some(Tok::Semi) => {
                    self.pos += 1;
                    return actions;
                }
                None => {
                    self.missing_semi("rule");
                    return actions;
                }
                Some(Tok::Ident(w)) if ITEM_WORDS.contains(&w.as_str()) => {
                    self.missing_semi("rule");
                    return actions;
                }
                Some(Tok::Ident(w)) if w == "send" || w == "stop" => {
                    let loc = self.after_prev();
                    self.error(
                        "missing `,` between actions",
                        loc,
                        Some(format!("write `, {w}...`")),
                    );
                }
                Some(_) => {
                    self.expected(
                        "`,` or `;` after the action",
                        Some("every rule ends with `;`".into()),
                    );
                    self.skip_item();
                    return actions;
                }
            }
        }
    }

    fn action(&mut self) -> Option<Action> {
        let Some(t) = self.peek() else {
            self.expected("an action", Some(ACTION_HELP.into()));
            return None;
        };
        match &t.kind {
            Tok::Ident(w) if w == "send" => {
                self.pos += 1;
                self.send(t.loc)
            }
            Tok::Ident(w) if w == "stop" => {
                self.pos += 1;
                if matches!(self.peek_kind(), Some(Tok::Open)) {
                    let (_, loc) = self.found();
                    self.error(
                        "`stop` takes no arguments",
                        loc,
                        Some("write `stop` alone".into()),
                    );
                    self.pos += 1;
                    self.skip_to_close();
                }
                Some(Action::Stop)
            }
            Tok::Ident(w) if !ITEM_WORDS.contains(&w.as_str()) => {
                let help = suggest::did_you_mean(w, ["send", "stop"])
                    .unwrap_or_else(|| ACTION_HELP.into());
                self.error(format!("unknown action `{w}`"), t.loc, Some(help));
                self.pos += 1;
                if matches!(self.peek_kind(), Some(Tok::Open)) {
                    self.pos += 1;
                    self.skip_to_close();
                }
                None
            }
            Tok::Str(_) => {
                self.expected(
                    "an action",
                    Some("a message goes inside `send`: `send(ops, \"...\")`".into()),
                );
                self.pos += 1;
                None
            }
            Tok::Bad => {
                self.pos += 1;
                None
            }
            Tok::Open => {
                self.expected("an action", Some(ACTION_HELP.into()));
                self.pos += 1;
                self.skip_to_close();
                None
            }
            _ => {
                self.expected("an action", Some(ACTION_HELP.into()));
                None
            }
        }
    }

    /// After `send`.
    fn send(&mut self, send: Loc) -> Option<Action> {
        if !matches!(self.peek_kind(), Some(Tok::Open)) {
            self.expected("`(` after `send`", Some(SEND_HELP.into()));
            if matches!(self.peek_kind(), Some(Tok::Ident(w)) if !ITEM_WORDS.contains(&w.as_str()))
            {
                self.pos += 1;
            }
            return None;
        }
        self.pos += 1;
        let Some(t) = self.peek() else {
            self.expected("a target name", Some(SEND_HELP.into()));
            return None;
        };
        let target = match &t.kind {
            Tok::Close => {
                self.pos += 1;
                self.error("empty `send()`", join(send, t.loc), Some(SEND_HELP.into()));
                return None;
            }
            Tok::Ident(name) => {
                self.pos += 1;
                Ident {
                    name: name.clone(),
                    loc: t.loc,
                }
            }
            Tok::Str(s) => {
                let help = if super::is_identifier(&s.value) {
                    format!(
                        "target names are written without quotes: `send({})`",
                        s.value
                    )
                } else {
                    SEND_HELP.into()
                };
                self.expected("a target name", Some(help));
                self.skip_to_close();
                return None;
            }
            _ => {
                self.expected("a target name", Some(SEND_HELP.into()));
                self.skip_to_close();
                return None;
            }
        };
        let template = match self.peek_kind() {
            Some(Tok::Close) => None,
            Some(Tok::Comma) => {
                self.pos += 1;
                Some(self.template()?)
            }
            Some(Tok::Ident(_) | Tok::Str(_)) => {
                self.expected("`,` or `)` after the target", Some(SEND_HELP.into()));
                self.skip_to_close();
                return None;
            }
            _ => {
                self.expected("`)`", Some(SEND_HELP.into()));
                self.skip_to_close();
                return None;
            }
        };
        match self.peek_kind() {
            Some(Tok::Close) => self.pos += 1,
            Some(Tok::Comma) => {
                self.pos += 1;
                let (_, loc) = self.found();
                self.error(
                    "unexpected extra argument to `send`",
                    loc,
                    Some("`send` takes a target and an optional message; write `send(a), send(b)` for two targets".into()),
                );
                self.skip_to_close();
                return None;
            }
            _ => {
                self.expected("`)` after the message", Some(SEND_HELP.into()));
                self.skip_to_close();
                return None;
            }
        }
        Some(Action::Send { target, template })
    }

    /// The message of `send(target, "...")`, after the comma. Template errors
    /// are placed inside the literal when the text is known.
    fn template(&mut self) -> Option<crate::ast::Template> {
        let Some(t) = self.peek() else {
            self.expected(
                "a message template (a string literal)",
                Some(SEND_HELP.into()),
            );
            return None;
        };
        match &t.kind {
            Tok::Str(s) => {
                self.pos += 1;
                match template::parse_for(&s.value, Some(self.agent)) {
                    Ok(tpl) => Some(tpl),
                    Err(errors) => {
                        for e in errors {
                            self.error(e.message, s.loc_of(e.offset, e.end, t.loc), e.help);
                        }
                        // The action is kept, so its target is still checked;
                        // the rules are refused anyway.
                        Some(crate::ast::Template { pieces: Vec::new() })
                    }
                }
            }
            Tok::Ident(w) => {
                self.expected(
                    "a message template (a string literal)",
                    Some(format!(
                        "`send` takes one target; to send to `{w}` too, write `send(a), send({w})`"
                    )),
                );
                self.skip_to_close();
                None
            }
            Tok::Close => {
                self.expected(
                    "a message template after `,`",
                    Some("remove the `,`, or add a message string".into()),
                );
                self.pos += 1;
                None
            }
            _ => {
                self.expected(
                    "a message template (a string literal)",
                    Some(SEND_HELP.into()),
                );
                self.skip_to_close();
                None
            }
        }
    }
}

/// From the start of `a` to the end of `b`.
fn join(a: Loc, b: Loc) -> Loc {
    match (a.token_span(), b.token_span()) {
        (Some(x), Some(y)) => Loc::span(x.join(y).unwrap_or(x)),
        _ => Loc::text(a.start, b.end.max(a.start)),
    }
}
