//! Tokens, and the lexer that makes them from text (rule files and run-time
//! loading). Token input from `rules!` becomes the same tokens in
//! [`crate::tokens`].

mod strings;
#[cfg(test)]
mod tests;

#[cfg(feature = "codegen")]
use proc_macro2::TokenStream;

use crate::ast::Loc;
use crate::error::Error;

/// A token with its place.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub kind: Tok,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub(crate) enum Tok {
    Ident(String),
    Str(StrLit),
    /// `=>`
    FatArrow,
    /// `=`, of `window NAME = ...`; the parser keeps it only there.
    Eq,
    /// A number, as written: a duration where one is expected (`every 4h`),
    /// a mistake anywhere else (the parser tells which).
    Number(NumLit),
    Pipe,
    Comma,
    Semi,
    Open,
    Close,
    /// `if EXPR` of token input: the expression's tokens.
    #[cfg(feature = "codegen")]
    Guard(TokenStream),
    /// Something already reported as an error; the parser skips it quietly so
    /// one mistake does not also show up as "expected ..., found ...".
    Bad,
}

/// A number as written, with what it is as a duration.
#[derive(Debug, Clone)]
pub(crate) struct NumLit {
    /// The text: `30s`, `42`.
    pub text: String,
    /// Its length in seconds, or why it is no duration (message, help).
    pub duration: Result<u64, (String, String)>,
}

impl NumLit {
    pub fn new(text: &str) -> NumLit {
        NumLit {
            text: text.to_owned(),
            duration: duration(text),
        }
    }
}

/// The one lexer rule for durations, for rule text and for the integer
/// literals of `rules!` alike: digits (`_` between them, as in Rust) and a
/// unit, `s`, `m`, `h` or `d`; never zero.
pub(crate) fn duration(text: &str) -> Result<u64, (String, String)> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '_'))
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let digits: String = digits.chars().filter(|c| *c != '_').collect();
    let n = digits.trim_start_matches('0');
    let units = "write it with a unit: `30s`, `15m`, `4h` or `2d`";
    if unit.is_empty() {
        return Err((format!("the duration `{text}` has no unit"), units.into()));
    }
    let Some(&(_, secs)) = crate::lang::DURATION_UNITS.iter().find(|(u, _)| *u == unit) else {
        let near = match unit.to_ascii_lowercase().chars().next() {
            Some(c @ ('s' | 'm' | 'h' | 'd')) => format!("did you mean `{digits}{c}`?"),
            _ => units.into(),
        };
        return Err((
            format!("unknown unit `{unit}` in the duration `{text}`"),
            near,
        ));
    };
    if n.is_empty() {
        return Err((
            format!("the duration `{text}` is zero"),
            "a duration is at least `1s`; remove `every`, or give it a length".into(),
        ));
    }
    n.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(secs))
        // The runtime adds durations to times; a few centuries is plenty.
        .filter(|s| *s <= 100 * 366 * 86_400)
        .ok_or_else(|| {
            (
                format!("the duration `{text}` is too long"),
                "a duration is at most a hundred years, `36600d`".into(),
            )
        })
}

/// A decoded string literal.
#[derive(Debug, Clone)]
pub(crate) struct StrLit {
    pub value: String,
    /// Where the bytes of `value` are written, so a place inside the decoded
    /// text (a template placeholder, a regex error) can be shown in the source.
    pub offsets: Offsets,
}

/// The source offset of each byte of a decoded string.
#[derive(Debug, Clone)]
pub(crate) enum Offsets {
    /// Token input: only the literal's span is known.
    #[cfg(feature = "codegen")]
    Unknown,
    /// No escapes: byte `i` is at source offset `base + i`.
    Shifted(usize),
    /// With escapes: the offset of every byte, and one more for the end.
    Mapped(Vec<usize>),
}

impl StrLit {
    /// Where the decoded bytes `start..end` are written, or `whole` when the
    /// literal has no source offsets.
    pub fn loc_of(&self, start: usize, end: usize, whole: Loc) -> Loc {
        let end = end.max(start);
        match &self.offsets {
            Offsets::Shifted(base) => {
                let len = self.value.len();
                Loc::text(base + start.min(len), base + end.min(len))
            }
            Offsets::Mapped(map) if !map.is_empty() => {
                let at = |i: usize| map[i.min(map.len() - 1)];
                Loc::text(at(start), at(end))
            }
            _ => whole,
        }
    }

    /// The same literal, found `by` bytes further into a text.
    fn shifted(self, by: usize) -> StrLit {
        let offsets = match self.offsets {
            #[cfg(feature = "codegen")]
            Offsets::Unknown => Offsets::Unknown,
            Offsets::Shifted(base) => Offsets::Shifted(base + by),
            Offsets::Mapped(map) => Offsets::Mapped(map.into_iter().map(|o| o + by).collect()),
        };
        StrLit { offsets, ..self }
    }
}

/// The string literal written at `loc` in `src`, read again: the syntax tree
/// keeps a pattern's value, and only an error inside it needs to know where
/// each of its bytes was written.
pub(crate) fn string_at(src: &str, loc: Loc) -> Option<StrLit> {
    let text = src.get(loc.start..loc.end)?;
    match lex(text).tokens.into_iter().next()?.kind {
        Tok::Str(s) => Some(s.shifted(loc.start)),
        _ => None,
    }
}

impl Tok {
    /// How the token is named in "found ..." messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(name) => format!("`{name}`"),
            Tok::Str(_) => "a string literal".into(),
            Tok::FatArrow => "`=>`".into(),
            Tok::Eq => "`=`".into(),
            Tok::Number(n) => format!("the number `{}`", n.text),
            Tok::Pipe => "`|`".into(),
            Tok::Comma => "`,`".into(),
            Tok::Semi => "`;`".into(),
            Tok::Open => "`(`".into(),
            Tok::Close => "`)`".into(),
            #[cfg(feature = "codegen")]
            Tok::Guard(_) => "an `if` guard".into(),
            Tok::Bad => "an invalid token".into(),
        }
    }

    pub fn is_ident(&self, word: &str) -> bool {
        matches!(self, Tok::Ident(name) if name == word)
    }
}

/// The tokens of a text, and the errors met on the way.
#[derive(Debug, Default)]
pub(crate) struct Lexed {
    pub tokens: Vec<Token>,
    pub errors: Vec<Error>,
    /// The place just past the last token, for "expected ..., found the end".
    pub end: Option<Loc>,
}

/// Splits `src` into tokens. Never fails: anything that is not a token is
/// reported and lexing goes on after it.
pub(crate) fn lex(src: &str) -> Lexed {
    // Editors on Windows may start a file with a byte order mark.
    let pos = if src.starts_with('\u{feff}') { 3 } else { 0 };
    let mut lx = Lexer {
        src,
        pos,
        out: Lexed::default(),
    };
    lx.run();
    lx.out.end = Some(Loc::text(src.len(), src.len()));
    lx.out
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    out: Lexed,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(n)
    }

    fn push(&mut self, kind: Tok, start: usize) {
        self.out.tokens.push(Token {
            kind,
            loc: Loc::text(start, self.pos),
        });
    }

    fn error(&mut self, message: impl Into<String>, start: usize, end: usize, help: Option<&str>) {
        let mut e = Error::new(message, Loc::text(start, end));
        e.help = help.map(str::to_owned);
        self.out.errors.push(e);
    }

    fn run(&mut self) {
        while let Some(c) = self.peek() {
            let start = self.pos;
            match c {
                c if c.is_whitespace() => self.pos += c.len_utf8(),
                '/' if self.peek_at(1) == Some('/') => {
                    self.pos = self.src[start..]
                        .find('\n')
                        .map_or(self.src.len(), |i| start + i);
                }
                '/' if self.peek_at(1) == Some('*') => self.block_comment(),
                '"' => self.string(start),
                'r' if matches!(self.peek_at(1), Some('"' | '#')) => self.raw_string(start),
                c if c == '_' || c.is_alphabetic() => self.ident(start),
                c if c.is_ascii_digit() => {
                    self.pos += self.word_len();
                    let number = NumLit::new(&self.src[start..self.pos]);
                    self.push(Tok::Number(number), start);
                }
                '=' if self.peek_at(1) == Some('>') => {
                    self.pos += 2;
                    self.push(Tok::FatArrow, start);
                }
                '=' => {
                    self.pos += 1;
                    self.push(Tok::Eq, start);
                }
                '|' | ',' | ';' | '(' | ')' => {
                    self.pos += 1;
                    let kind = match c {
                        '|' => Tok::Pipe,
                        ',' => Tok::Comma,
                        ';' => Tok::Semi,
                        '(' => Tok::Open,
                        _ => Tok::Close,
                    };
                    self.push(kind, start);
                }
                '\'' => self.char_literal(start),
                c => {
                    self.pos += c.len_utf8();
                    let help = match c {
                        '{' | '}' | '[' | ']' => Some(
                            "only parentheses group things, as in `send(ops)` and `regex(\"...\")`",
                        ),
                        '=' | '>' | '-' => {
                            Some("a rule separates its clauses from its actions with `=>`")
                        }
                        '&' => Some(
                            "the clauses of a rule all have to match; write them one after another",
                        ),
                        _ => None,
                    };
                    // A control or invisible character would garble the message
                    // or the terminal; it is named by its code point instead.
                    let message = if c.is_control() || c.escape_debug().nth(1) == Some('u') {
                        format!("unexpected character U+{:04X}", u32::from(c))
                    } else {
                        format!("unexpected character `{c}`")
                    };
                    self.error(message, start, self.pos, help);
                    self.push(Tok::Bad, start);
                }
            }
        }
    }

    /// Length in bytes of the run of identifier characters at the position.
    fn word_len(&self) -> usize {
        self.src[self.pos..]
            .find(|c: char| !(c == '_' || c.is_alphanumeric()))
            .unwrap_or(self.src.len() - self.pos)
    }

    fn ident(&mut self, start: usize) {
        self.pos += self.word_len();
        let word = &self.src[start..self.pos];
        let next = self.peek();
        // `b"..."`, `br"..."`, `c"..."` and `cr"..."` are other kinds of literal in Rust.
        if matches!(word, "b" | "br" | "c" | "cr")
            && (next == Some('"') || (word.ends_with('r') && next == Some('#')))
        {
            let kind = if word.starts_with('b') {
                "byte string"
            } else {
                "C string"
            };
            if word.ends_with('r') {
                self.raw_string_body(start);
            } else {
                self.string(self.pos);
            }
            // Whatever the literal held, it is not a rule string.
            if let Some(last) = self.out.tokens.last_mut() {
                if last.loc.start >= start {
                    last.kind = Tok::Bad;
                    last.loc = Loc::text(start, self.pos);
                }
            }
            self.error(
                format!("expected a string literal, found a {kind} literal"),
                start,
                self.pos,
                Some("write a plain string, like \"deploy\""),
            );
            return;
        }
        self.push(Tok::Ident(word.to_owned()), start);
    }

    fn block_comment(&mut self) {
        let start = self.pos;
        self.pos += 2;
        let mut depth = 1;
        while depth > 0 {
            let rest = &self.src[self.pos..];
            if rest.starts_with("/*") {
                depth += 1;
                self.pos += 2;
            } else if rest.starts_with("*/") {
                depth -= 1;
                self.pos += 2;
            } else if let Some(c) = rest.chars().next() {
                self.pos += c.len_utf8();
            } else {
                self.error(
                    "unterminated block comment",
                    start,
                    start + 2,
                    Some("close it with `*/`"),
                );
                return;
            }
        }
    }

    /// `'x'` is a character literal in Rust; anything else after `'` is a
    /// stray quote.
    fn char_literal(&mut self, start: usize) {
        self.pos += 1;
        let body_end = match (self.peek(), self.peek_at(1), self.peek_at(2)) {
            (Some('\\'), Some(e), _) => {
                let from = self.pos + 1 + e.len_utf8();
                self.src[from..].find('\'').map(|i| from + i)
            }
            (Some(c), Some('\''), _) if c != '\'' => Some(self.pos + c.len_utf8()),
            _ => None,
        };
        match body_end {
            Some(end) if !self.src[start..end].contains('\n') => {
                self.pos = end + 1;
                self.error(
                    "expected a string literal, found a character literal",
                    start,
                    self.pos,
                    Some("strings are written in double quotes, like \"x\""),
                );
            }
            _ => self.error(
                "unexpected character `'`",
                start,
                self.pos,
                Some("strings are written in double quotes, like \"deploy\""),
            ),
        }
        self.push(Tok::Bad, start);
    }
}
