//! String literals: plain with Rust's escapes, raw, and their suffixes.

use super::{Lexer, Offsets, StrLit, Tok};

impl Lexer<'_> {
    /// A plain string with Rust's escapes.
    pub(super) fn string(&mut self, start: usize) {
        let open = self.pos;
        self.pos += 1;
        // Most strings hold no escape: their text is the value as it stands.
        let body = &self.src[self.pos..];
        if let Some(i) = body
            .find(['"', '\\'])
            .filter(|&i| body.as_bytes()[i] == b'"')
        {
            let value = body[..i].to_owned();
            let base = self.pos;
            self.pos += i + 1;
            self.suffix();
            let offsets = Offsets::Shifted(base);
            self.push(Tok::Str(StrLit { value, offsets }), start);
            return;
        }
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
                        offsets.extend(std::iter::repeat_n(at, decoded.len_utf8()));
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
            let offsets = Offsets::Mapped(offsets);
            self.push(Tok::Str(StrLit { value, offsets }), start);
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
    pub(super) fn raw_string(&mut self, start: usize) {
        self.pos += 1;
        self.raw_string_body(start);
    }

    /// The hashes and body of a raw string, just after its `r`.
    pub(super) fn raw_string_body(&mut self, start: usize) {
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
                self.suffix();
                let offsets = Offsets::Shifted(body);
                self.push(Tok::Str(StrLit { value, offsets }), start);
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
    pub(super) fn suffix(&mut self) {
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
