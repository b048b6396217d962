//! Tokens, and the lexer that makes them from text (rule files and run-time
//! loading). Token input from `rules!` becomes the same tokens in
//! [`crate::tokens`].

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
    Pipe,
    Comma,
    Semi,
    Open,
    Close,
    /// `if EXPR` of token input: the expression's tokens.
    #[cfg_attr(not(feature = "codegen"), allow(dead_code))]
    Guard(TokenStream),
    /// Something already reported as an error; the parser skips it quietly so
    /// one mistake does not also show up as "expected ..., found ...".
    Bad,
}

/// A decoded string literal.
#[derive(Debug, Clone)]
pub(crate) struct StrLit {
    pub value: String,
    /// For text input: the source offset of every byte of `value`, and one
    /// more entry for the end, so a place inside the decoded text (a template
    /// placeholder, a regex error) can be shown where it is written.
    pub offsets: Option<Vec<usize>>,
}

impl StrLit {
    /// Where the decoded bytes `start..end` are written, or `whole` when the
    /// literal has no source offsets.
    pub fn loc_of(&self, start: usize, end: usize, whole: Loc) -> Loc {
        match &self.offsets {
            Some(map) if !map.is_empty() => {
                let at = |i: usize| map[i.min(map.len() - 1)];
                Loc::text(at(start), at(end.max(start)))
            }
            _ => whole,
        }
    }
}

impl Tok {
    /// How the token is named in "found ..." messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(name) => format!("`{name}`"),
            Tok::Str(_) => "a string literal".into(),
            Tok::FatArrow => "`=>`".into(),
            Tok::Pipe => "`|`".into(),
            Tok::Comma => "`,`".into(),
            Tok::Semi => "`;`".into(),
            Tok::Open => "`(`".into(),
            Tok::Close => "`)`".into(),
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
    let mut lx = Lexer {
        src,
        pos: 0,
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
                    self.error(
                        format!("unexpected number `{}`", &self.src[start..self.pos]),
                        start,
                        self.pos,
                        Some("the rule language has no numbers; patterns are string literals, like \"42\""),
                    );
                    self.push(Tok::Bad, start);
                }
                '=' if self.peek_at(1) == Some('>') => {
                    self.pos += 2;
                    self.push(Tok::FatArrow, start);
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
                    self.error(format!("unexpected character `{c}`"), start, self.pos, help);
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

    /// A plain string with Rust's escapes.
    fn string(&mut self, start: usize) {
        let open = self.pos;
        self.pos += 1;
        let mut value = String::new();
        let mut offsets = Vec::new();
        let mut bad = false;
        loop {
            let Some(c) = self.peek() else {
                self.error(
                    "unterminated string literal",
                    open,
                    open + 1,
                    Some("close the string with `\"`"),
                );
                self.push(Tok::Bad, start);
                return;
            };
            let at = self.pos;
            match c {
                '"' => {
                    self.pos += 1;
                    offsets.push(at);
                    break;
                }
                '\\' => match self.escape() {
                    Ok(Some(decoded)) => {
                        offsets.extend(std::iter::repeat(at).take(decoded.len_utf8()));
                        value.push(decoded);
                    }
                    Ok(None) => {}
                    Err((message, help)) => {
                        bad = true;
                        self.error(message, at, self.pos.max(at + 1), Some(help));
                    }
                },
                c => {
                    self.pos += c.len_utf8();
                    offsets.extend(at..self.pos);
                    value.push(c);
                }
            }
        }
        self.suffix();
        if bad {
            self.push(Tok::Bad, start);
        } else {
            self.push(
                Tok::Str(StrLit {
                    value,
                    offsets: Some(offsets),
                }),
                start,
            );
        }
    }

    /// One escape after `\`; `Ok(None)` for a line continuation.
    fn escape(&mut self) -> Result<Option<char>, (String, &'static str)> {
        const HELP: &str = "the escapes are \\n \\r \\t \\\\ \\0 \\' \\\" \\x7F and \\u{...}; or use a raw string r\"...\"";
        let at = self.pos;
        self.pos += 1;
        let Some(c) = self.peek() else {
            return Err(("unterminated escape at the end of the text".into(), HELP));
        };
        self.pos += c.len_utf8();
        let simple = match c {
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            '\\' => Some('\\'),
            '0' => Some('\0'),
            '\'' => Some('\''),
            '"' => Some('"'),
            _ => None,
        };
        if let Some(s) = simple {
            return Ok(Some(s));
        }
        match c {
            '\n' | '\r' => {
                // A line continuation skips the line break and the next line's indentation.
                let rest = &self.src[self.pos..];
                self.pos += rest.len() - rest.trim_start_matches([' ', '\t', '\n', '\r']).len();
                Ok(None)
            }
            'x' => {
                let digits = self.src.get(self.pos..self.pos + 2).unwrap_or("");
                match u8::from_str_radix(digits, 16) {
                    Ok(v) if v <= 0x7f && digits.bytes().all(|b| b.is_ascii_hexdigit()) => {
                        self.pos += 2;
                        Ok(Some(char::from(v)))
                    }
                    _ => Err((
                        format!("invalid escape `{}`", &self.src[at..self.pos]),
                        "`\\x` takes two hex digits up to 7F, like \\x41",
                    )),
                }
            }
            'u' => {
                let rest = &self.src[self.pos..];
                let close = rest.find('}').filter(|&i| rest.starts_with('{') && i <= 8);
                let value = close.and_then(|i| {
                    let hex: String = rest[1..i].chars().filter(|&c| c != '_').collect();
                    u32::from_str_radix(&hex, 16)
                        .ok()
                        .filter(|_| !hex.is_empty() && hex.len() <= 6)
                });
                match (close, value.and_then(char::from_u32)) {
                    (Some(i), Some(ch)) => {
                        self.pos += i + 1;
                        Ok(Some(ch))
                    }
                    _ => {
                        self.pos += close.map_or(0, |i| i + 1);
                        Err((
                            format!("invalid unicode escape `{}`", &self.src[at..self.pos]),
                            "write a unicode escape as \\u{...} with one to six hex digits of a valid character",
                        ))
                    }
                }
            }
            c => Err((format!("unknown escape `\\{c}`"), HELP)),
        }
    }

    /// `r"..."` or `r#"..."#`, the `r` at the position.
    fn raw_string(&mut self, start: usize) {
        self.pos += 1;
        self.raw_string_body(start);
    }

    /// The hashes and body of a raw string, just after its `r`.
    fn raw_string_body(&mut self, start: usize) {
        let hashes =
            self.src[self.pos..].len() - self.src[self.pos..].trim_start_matches('#').len();
        self.pos += hashes;
        if self.peek() != Some('"') {
            // `r#abc`: a raw identifier, which the rule language has no use for.
            self.pos += self.word_len();
            self.error(
                format!("unexpected `{}`", &self.src[start..self.pos]),
                start,
                self.pos,
                Some("a raw string is written r\"...\" or r#\"...\"#"),
            );
            self.push(Tok::Bad, start);
            return;
        }
        self.pos += 1;
        let body = self.pos;
        let closing = format!("\"{}", "#".repeat(hashes));
        match self.src[body..].find(&closing) {
            Some(i) => {
                let value = self.src[body..body + i].to_owned();
                self.pos = body + i + closing.len();
                let offsets = (body..=body + i).collect();
                self.suffix();
                self.push(
                    Tok::Str(StrLit {
                        value,
                        offsets: Some(offsets),
                    }),
                    start,
                );
            }
            None => {
                self.pos = self.src.len();
                self.error(
                    "unterminated raw string literal",
                    start,
                    body,
                    Some(if hashes == 0 {
                        "close it with `\"`"
                    } else {
                        "close it with `\"` and as many `#` as it opens with"
                    }),
                );
                self.push(Tok::Bad, start);
            }
        }
    }

    /// In Rust an identifier right after a literal is the literal's suffix,
    /// which the rule language has no use for; `rules!` refuses it too.
    fn suffix(&mut self) {
        let start = self.pos;
        if self.peek().is_some_and(|c| c == '_' || c.is_alphabetic()) {
            self.pos += self.word_len();
            self.error(
                format!(
                    "unexpected suffix `{}` on a string literal",
                    &self.src[start..self.pos]
                ),
                start,
                self.pos,
                Some("put a space between the string and the next word"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<String> {
        lex(src)
            .tokens
            .iter()
            .map(|t| match &t.kind {
                Tok::Ident(s) => s.clone(),
                Tok::Str(s) => format!("{:?}", s.value),
                other => other.describe(),
            })
            .collect()
    }

    fn errors(src: &str) -> Vec<(String, usize, usize)> {
        lex(src)
            .errors
            .into_iter()
            .map(|e| (e.message, e.loc.start, e.loc.end))
            .collect()
    }

    #[test]
    fn every_token_kind() {
        assert_eq!(
            kinds(r##"on stage "a" | r"b\n" => send(ops, r#"x"y"#); ,"##),
            [
                "on",
                "stage",
                "\"a\"",
                "`|`",
                "\"b\\\\n\"",
                "`=>`",
                "send",
                "`(`",
                "ops",
                "`,`",
                "\"x\\\"y\"",
                "`)`",
                "`;`",
                "`,`"
            ]
        );
    }

    #[test]
    fn comments_nest_and_vanish() {
        assert_eq!(
            kinds("a // b\n /* c /* d */ e */ f /**/ g"),
            ["a", "f", "g"]
        );
        assert!(errors("a // b\n /* c /* d */ e */ f").is_empty());
    }

    #[test]
    fn escapes_decode_and_map_back_to_the_source() {
        let lexed = lex(r#""a\n\u{e9}\x41\"é\
              z""#);
        let Tok::Str(s) = &lexed.tokens[0].kind else {
            panic!("{:?}", lexed.tokens)
        };
        assert_eq!(s.value, "a\néA\"éz");
        let map = s.offsets.as_ref().unwrap();
        assert_eq!(map.len(), s.value.len() + 1);
        // `a` at 1, `\n` at 2, both bytes of `é` at the `\u` escape at 4.
        assert_eq!(&map[..5], [1, 2, 4, 4, 10]);
        assert_eq!(*map.last().unwrap(), lexed.tokens[0].loc.end - 1);
    }

    #[test]
    fn raw_strings_keep_backslashes() {
        let lexed = lex(r##"r#"a\b"# r"""##);
        let Tok::Str(s) = &lexed.tokens[0].kind else {
            panic!()
        };
        assert_eq!(s.value, "a\\b");
        assert_eq!(s.offsets.as_ref().unwrap()[0], 3);
        let Tok::Str(s) = &lexed.tokens[1].kind else {
            panic!()
        };
        assert_eq!(s.value, "");
    }

    #[test]
    fn bad_input_is_reported_and_lexing_goes_on() {
        let src = "a 42 { } \"x\\q\" 'c' b\"x\" r#x @ ok";
        let e = errors(src);
        let messages: Vec<&str> = e.iter().map(|(m, _, _)| m.as_str()).collect();
        assert_eq!(
            messages,
            [
                "unexpected number `42`",
                "unexpected character `{`",
                "unexpected character `}`",
                "unknown escape `\\q`",
                "expected a string literal, found a character literal",
                "expected a string literal, found a byte string literal",
                "unexpected `r#x`",
                "unexpected character `@`",
            ]
        );
        assert_eq!((e[0].1, e[0].2), (2, 4));
        assert_eq!((e[3].1, e[3].2), (11, 13));
        assert_eq!(kinds(src).last().map(String::as_str), Some("ok"));
    }

    #[test]
    fn unterminated_things_point_at_their_start() {
        assert_eq!(
            errors("a \"bc"),
            [("unterminated string literal".to_string(), 2, 3)]
        );
        assert_eq!(
            errors("a /* b /* */"),
            [("unterminated block comment".to_string(), 2, 4)]
        );
        assert_eq!(
            errors("r#\"abc\""),
            [("unterminated raw string literal".to_string(), 0, 3)]
        );
        assert_eq!(
            errors("\"a\\"),
            [
                (
                    "unterminated escape at the end of the text".to_string(),
                    2,
                    3
                ),
                ("unterminated string literal".to_string(), 0, 1)
            ]
        );
    }

    #[test]
    fn a_suffix_on_a_string_is_an_error() {
        assert_eq!(
            errors("\"a\"b"),
            [(
                "unexpected suffix `b` on a string literal".to_string(),
                3,
                4
            )]
        );
    }
}
