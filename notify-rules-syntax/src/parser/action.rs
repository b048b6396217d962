//! Actions: `send(target[, "template"])`, `remind(target, D[, "template"])`
//! and `stop`, then `every` and `during`, up to the rule's `;`.

use super::{Parser, ITEM_WORDS};
use crate::ast::{Action, Field, Ident, Loc, Timing};
use crate::lang::ACTION_WORDS;
use crate::lexer::Tok;
use crate::{suggest, template};

const SEND_HELP: &str =
    "write `send(ops)`, or `send(ops, \"message\")`, with a target declared by `target ops;`";
const ACTION_HELP: &str = "the actions are `send(target)`, `send(target, \"message\")`, \
     `remind(target, 4h)`, `remind(target, 4h, \"message\")` and `stop`";
const REMIND_HELP: &str = "write `remind(ops, 4h)`, or `remind(ops, 4h, \"message\")`: a target, \
     a duration (units `s`, `m`, `h`, `d`) and an optional message";

/// Which action a template belongs to, for where the time placeholders may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    Send,
    Remind,
}

/// A template's time placeholders, with their places, kept until the rule's
/// `every` (or its absence) is known.
pub(super) struct TimeFields {
    /// `{suppressed}` in a send's template.
    suppressed: Vec<Loc>,
}

impl Parser<'_> {
    /// `action { , action } [every D] [during W] ;`, just after `=>`.
    pub(super) fn actions(&mut self) -> (Vec<Action>, Timing) {
        let mut actions = Vec::new();
        let mut fields = TimeFields {
            suppressed: Vec::new(),
        };
        let mut timing = Timing::default();
        loop {
            if let Some(a) = self.action(&mut fields) {
                actions.push(a);
            }
            if self.at_suffix() {
                timing = self.suffix();
            }
            match self.peek_kind() {
                Some(Tok::Comma) if timing.is_empty() => self.pos += 1,
                Some(Tok::Semi) => {
                    self.pos += 1;
                    break;
                }
                None => {
                    self.missing_semi("rule");
                    break;
                }
                Some(Tok::Ident(w)) if ITEM_WORDS.contains(&w.as_str()) => {
                    self.missing_semi("rule");
                    break;
                }
                Some(Tok::Ident(w)) if ACTION_WORDS.contains(&w.as_str()) => {
                    let loc = self.after_prev();
                    self.error(
                        "missing `,` between actions",
                        loc,
                        Some(format!("write `, {w}...`")),
                    );
                }
                Some(_) if !timing.is_empty() => {
                    self.expected(
                        "`;` after `every` or `during`",
                        Some("`every` and `during` end the rule: `... => send(ops) every 1h during office;`".into()),
                    );
                    self.skip_item();
                    break;
                }
                Some(_) => {
                    self.expected(
                        "`,` or `;` after the action",
                        Some("every rule ends with `;`".into()),
                    );
                    self.skip_item();
                    break;
                }
            }
        }
        if timing.every.is_none() {
            for loc in fields.suppressed {
                self.error(
                    "`{suppressed}` counts what `every` held back: only a rule with `every` can use it",
                    loc,
                    Some("add `every 1h` (or another duration) after the actions, or remove `{suppressed}`".into()),
                );
            }
        }
        (actions, timing)
    }

    fn action(&mut self, fields: &mut TimeFields) -> Option<Action> {
        let Some(t) = self.peek() else {
            self.expected("an action", Some(ACTION_HELP.into()));
            return None;
        };
        match &t.kind {
            Tok::Ident(w) if w == "send" => {
                self.pos += 1;
                self.send(t.loc, fields)
            }
            Tok::Ident(w) if w == "remind" => {
                self.pos += 1;
                self.remind(t.loc, fields)
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
                let help =
                    suggest::did_you_mean(w, ACTION_WORDS).unwrap_or_else(|| ACTION_HELP.into());
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
    fn send(&mut self, send: Loc, fields: &mut TimeFields) -> Option<Action> {
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
                Some(self.template(Use::Send, fields, SEND_HELP)?)
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

    /// After `remind`: `(target, D[, "template"])`.
    fn remind(&mut self, at: Loc, fields: &mut TimeFields) -> Option<Action> {
        if !matches!(self.peek_kind(), Some(Tok::Open)) {
            self.expected("`(` after `remind`", Some(REMIND_HELP.into()));
            return None;
        }
        self.pos += 1;
        let target = match self.peek() {
            Some(t) => match &t.kind {
                Tok::Ident(name) => {
                    self.pos += 1;
                    Ident {
                        name: name.clone(),
                        loc: t.loc,
                    }
                }
                Tok::Close => {
                    self.pos += 1;
                    self.error(
                        "empty `remind()`",
                        join(at, t.loc),
                        Some(REMIND_HELP.into()),
                    );
                    return None;
                }
                _ => {
                    self.expected("a target name", Some(REMIND_HELP.into()));
                    self.skip_to_close();
                    return None;
                }
            },
            None => {
                self.expected("a target name", Some(REMIND_HELP.into()));
                return None;
            }
        };
        if !matches!(self.peek_kind(), Some(Tok::Comma)) {
            self.expected(
                "`,` and a duration after the target",
                Some(REMIND_HELP.into()),
            );
            self.skip_to_close();
            return None;
        }
        self.pos += 1;
        let after = self.duration("a duration, like `4h`", REMIND_HELP);
        let template = match self.peek_kind() {
            Some(Tok::Comma) => {
                self.pos += 1;
                Some(self.template(Use::Remind, fields, REMIND_HELP)?)
            }
            _ => None,
        };
        match self.peek_kind() {
            Some(Tok::Close) => self.pos += 1,
            _ => {
                self.expected("`)` after the reminder", Some(REMIND_HELP.into()));
                self.skip_to_close();
                return None;
            }
        }
        // Kept with a bad duration too, so the rule's other checks still run;
        // the rules are refused anyway.
        let after = after.unwrap_or(crate::ast::DurationLit { secs: 0, loc: at });
        Some(Action::Remind {
            target,
            after,
            template,
            loc: at,
        })
    }

    /// A placeholder of the time forms where its action does not take it.
    fn time_field(&mut self, field: Field, used: Use, loc: Loc, fields: &mut TimeFields) {
        match (field, used) {
            (Field::Since | Field::Reminder, Use::Send) => self.error(
                format!(
                    "`{{{}}}` is a reminder placeholder: only a `remind` template can use it",
                    field.name()
                ),
                loc,
                Some(format!(
                    "write it in `remind(target, 4h, \"... {{{}}} ...\")`",
                    field.name()
                )),
            ),
            (Field::Suppressed, Use::Remind) => self.error(
                "`{suppressed}` counts what `every` held back, which reminders are not: \
                 only the `send` templates of a rule with `every` can use it",
                loc,
                Some("remove `{suppressed}` from the reminder".into()),
            ),
            (Field::Suppressed, Use::Send) => fields.suppressed.push(loc),
            _ => {}
        }
    }

    /// The message of `send(target, "...")` or `remind(target, D, "...")`,
    /// after the comma. Template errors are placed inside the literal when the
    /// text is known.
    fn template(
        &mut self,
        used: Use,
        fields: &mut TimeFields,
        help: &str,
    ) -> Option<crate::ast::Template> {
        let Some(t) = self.peek() else {
            self.expected("a message template (a string literal)", Some(help.into()));
            return None;
        };
        match &t.kind {
            Tok::Str(s) => {
                self.pos += 1;
                match template::parse_with_places(&s.value, Some(self.agent)) {
                    Ok((tpl, places)) => {
                        for (field, start, end) in places {
                            self.time_field(field, used, s.loc_of(start, end, t.loc), fields);
                        }
                        Some(tpl)
                    }
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
                self.expected("a message template (a string literal)", Some(help.into()));
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
