//! Lists of names from one of the language's tables: `state Passed | Failed`,
//! the results after a `job` clause's patterns.

use super::clause::{agent_value, is_list_end_word};
use super::Parser;
use crate::ast::{Name, ResultName, StateName};
use crate::lexer::Tok;
use crate::suggest;

fn names_of<N: Name>() -> impl Iterator<Item = &'static str> + Clone {
    N::table().iter().map(|(n, _)| *n)
}

impl Parser<'_> {
    /// Whether a list of `N` names follows (after a `job` clause's patterns,
    /// where it may be left out). Its names, and other capitalised words that
    /// are not clause words in another case, are taken for (maybe mistyped)
    /// names.
    pub(super) fn at_name_word<N: Name>(&self) -> bool {
        match self.peek_kind() {
            Some(Tok::Ident(w)) => {
                let lower = w.to_ascii_lowercase();
                names_of::<N>().any(|n| n == w)
                    || (w.starts_with(|c: char| c.is_uppercase()) && !is_list_end_word(&lower))
            }
            _ => false,
        }
    }

    /// `NAME { | NAME }` from the table `N`, after `word`.
    pub(super) fn names<N: Name>(&mut self, word: &str) -> Option<Vec<N>> {
        let what = N::WHAT;
        let mut out = Vec::new();
        let mut ok = true;
        let mut after = format!("`{word}`");
        loop {
            let Some(t) = self.peek() else {
                self.expected(
                    &format!("a {what} name after {after}"),
                    Some(name_list::<N>()),
                );
                return None;
            };
            match &t.kind {
                Tok::Ident(w) if !is_list_end_word(w) => {
                    self.pos += 1;
                    let found = N::table()
                        .iter()
                        .find(|(n, _)| n == w || (N::IGNORES_CASE && n.eq_ignore_ascii_case(w)));
                    match found {
                        Some((_, v)) => out.push(*v),
                        None => {
                            ok = false;
                            let (message, help) = unknown_name::<N>(w);
                            self.error(message, t.loc, Some(help));
                        }
                    }
                }
                Tok::Str(s) => {
                    ok = false;
                    let help = match suggest::suggest(&s.value, names_of::<N>()) {
                        Some(n) if n.eq_ignore_ascii_case(s.value.trim()) => {
                            format!("write it without quotes: `{n}`")
                        }
                        _ => name_list::<N>(),
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
                        Some(name_list::<N>()),
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

fn name_list<N: Name>() -> String {
    format!("the {}s are {}", N::WHAT, suggest::list(names_of::<N>()))
}

/// The error and its help for `word`, which is no `N` name.
fn unknown_name<N: Name>(word: &str) -> (String, String) {
    // Stage tables are case-sensitive, agent tables are not: a name of the
    // other kind of rule is told so rather than suggested a near miss.
    let stage_name = names_of::<StateName>()
        .chain(names_of::<ResultName>())
        .any(|n| n.eq_ignore_ascii_case(word));
    if !N::IGNORES_CASE && !stage_name {
        if let Some((what, agent_clause, name)) = agent_value(word) {
            return (
                format!("`{word}` is {what}: write `on agent {agent_clause} {name}`"),
                format!("in this stage rule, {}", name_list::<N>()),
            );
        }
    }
    (
        format!("unknown {} `{word}`", N::WHAT),
        name_help::<N>(word),
    )
}

fn name_help<N: Name>(word: &str) -> String {
    if let Some(near) = suggest::suggest(word, names_of::<N>()) {
        return format!("did you mean `{near}`?");
    }
    // A stage state in an agent rule (`on agent state Failed`).
    if N::IGNORES_CASE && StateName::from_name(word).is_some() {
        return format!(
            "`{word}` is a stage state (`on state {word}`); {}",
            name_list::<N>()
        );
    }
    // A state where only results go (`job "x" Building`).
    if N::WHAT != StateName::WHAT && StateName::from_name(word).is_some() {
        return format!(
            "`{word}` is a state, not a {}; {}",
            N::WHAT,
            name_list::<N>()
        );
    }
    name_list::<N>()
}
