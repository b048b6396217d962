//! Errors with their places, and the ways they are shown: in the compiler's
//! output for a rule file, by a command-line checker, as plain text, and as
//! `syn` errors at the tokens of a `rules!` invocation.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use crate::ast::Loc;

/// One problem in a rule text: what is wrong, where, and how it might be fixed.
///
/// ```
/// use notify_rules_syntax::{Error, Loc};
///
/// let e = Error::new("unknown state `Faild`", Loc::text(9, 14)).with_help("did you mean `Failed`?");
/// assert_eq!(e.to_string(), "unknown state `Faild`\n  = help: did you mean `Failed`?");
/// ```
#[derive(Debug, Clone)]
pub struct Error {
    /// What was found and, where it helps, what was expected.
    pub message: String,
    /// A suggestion, such as a close valid word.
    pub help: Option<String>,
    /// Where the problem is.
    pub loc: Loc,
}

impl Error {
    /// An error without help.
    pub fn new(message: impl Into<String>, loc: Loc) -> Self {
        Error {
            message: message.into(),
            help: None,
            loc,
        }
    }

    /// The same error with a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Every error found in a rule text.
///
/// The parser only returns it with at least one error; [`Errors::from`] a
/// vector accepts any list.
///
/// ```
/// let errors = notify_rules_syntax::parse_str("target ops;\non state Faild => send(ops);\n").unwrap_err();
/// assert_eq!(errors.len(), 1);
/// assert_eq!(
///     errors.to_string(),
///     "2:10: unknown state `Faild`\n  | on state Faild => send(ops);\n  |          ^^^^^\n  = help: did you mean `Failed`?\n",
/// );
/// ```
#[derive(Debug, Clone)]
pub struct Errors {
    list: Vec<Error>,
    /// The text the errors were found in, for [`fmt::Display`].
    src: Option<Arc<str>>,
}

impl Errors {
    /// A list holding one error.
    pub fn new(error: Error) -> Self {
        Errors {
            list: vec![error],
            src: None,
        }
    }

    /// Remembers the text the errors are in, so that [`fmt::Display`] can show
    /// lines, columns and the lines themselves.
    pub fn with_source(mut self, src: &str) -> Self {
        self.src = Some(Arc::from(src));
        self
    }

    /// The text the errors are in, when it was remembered
    /// ([`Errors::with_source`]).
    pub fn text(&self) -> Option<&str> {
        self.src.as_deref()
    }

    /// Adds an error at the end.
    pub fn push(&mut self, error: Error) {
        self.list.push(error);
    }

    /// How many errors there are.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether the list is empty (never, for a list the parser returned).
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The errors, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Error> {
        self.list.iter()
    }

    /// Each error as the compiler shows an error in a rule file: the message,
    /// `--> path:line:col`, the line with a caret under the place, and the help.
    ///
    /// ```
    /// let src = "target ops;\non stage \"deploy\" state Faild => send(ops);\n";
    /// let errors = notify_rules_syntax::parse_str(src).unwrap_err();
    /// assert_eq!(
    ///     errors.render_file("rules/team.rules", src)[0],
    ///     "unknown state `Faild`\n --> rules/team.rules:2:25\n  |\n\
    ///      2 | on stage \"deploy\" state Faild => send(ops);\n  \
    ///      |                         ^^^^^\n  = help: did you mean `Failed`?"
    /// );
    /// ```
    pub fn render_file(&self, path: &str, src: &str) -> Vec<String> {
        let lines = Lines::new(src);
        self.list
            .iter()
            .map(|e| {
                let s = lines.snippet(e.loc);
                let num = s.line.to_string();
                let pad = " ".repeat(num.len());
                let mut out = String::new();
                let _ = write!(
                    out,
                    "{}\n{pad}--> {path}:{}:{}\n{pad} |\n",
                    e.message, s.line, s.col
                );
                let _ = write!(out, "{num} | {}\n{pad} | {}", s.shown(), s.carets());
                if let Some(help) = &e.help {
                    let _ = write!(out, "\n{pad} = help: {help}");
                }
                out
            })
            .collect()
    }

    /// The errors as a command-line checker prints them: per error
    /// `path:line:col: message`, the line, a caret line and `help: ...`.
    ///
    /// ```
    /// let src = "target ops;\non state Faild => send(ops);\n";
    /// let errors = notify_rules_syntax::parse_str(src).unwrap_err();
    /// assert_eq!(
    ///     errors.render_check("team.rules", src),
    ///     "team.rules:2:10: unknown state `Faild`\non state Faild => send(ops);\n         ^^^^^\nhelp: did you mean `Failed`?\n",
    /// );
    /// ```
    pub fn render_check(&self, path: &str, src: &str) -> String {
        let lines = Lines::new(src);
        let mut out = String::new();
        for e in &self.list {
            let s = lines.snippet(e.loc);
            let _ = writeln!(out, "{path}:{}:{}: {}", s.line, s.col, e.message);
            let _ = writeln!(out, "{}\n{}", s.shown(), s.carets());
            if let Some(help) = &e.help {
                let _ = writeln!(out, "help: {help}");
            }
        }
        out
    }

    /// The errors in text without a file name: per error `line:col: message`,
    /// the line and a caret line indented behind `|`, and the help. This is
    /// what [`fmt::Display`] shows when the errors came from
    /// [`crate::parse_str`].
    pub fn render_plain(&self, src: &str) -> String {
        let lines = Lines::new(src);
        let mut out = String::new();
        for e in &self.list {
            let s = lines.snippet(e.loc);
            let _ = writeln!(out, "{}:{}: {}", s.line, s.col, e.message);
            let _ = writeln!(out, "  | {}\n  | {}", s.shown(), s.carets());
            if let Some(help) = &e.help {
                let _ = writeln!(out, "  = help: {help}");
            }
        }
        out
    }

    /// Every error at its span, combined into one `syn::Error`, help appended
    /// to each message. Errors from text input carry no span and are reported
    /// at the macro call.
    #[cfg(feature = "codegen")]
    pub fn to_syn_error(&self) -> syn::Error {
        let mut combined: Option<syn::Error> = None;
        for e in &self.list {
            let one = syn::Error::new(e.loc.span_or_call_site(), e.to_string());
            match &mut combined {
                Some(c) => c.combine(one),
                None => combined = Some(one),
            }
        }
        combined.unwrap_or_else(|| {
            syn::Error::new(
                proc_macro2::Span::call_site(),
                "invalid rules (no error was recorded)",
            )
        })
    }
}

impl From<Vec<Error>> for Errors {
    fn from(list: Vec<Error>) -> Self {
        Errors { list, src: None }
    }
}

impl From<Error> for Errors {
    fn from(error: Error) -> Self {
        Errors::new(error)
    }
}

impl Extend<Error> for Errors {
    fn extend<I: IntoIterator<Item = Error>>(&mut self, iter: I) {
        self.list.extend(iter);
    }
}

impl IntoIterator for Errors {
    type Item = Error;
    type IntoIter = std::vec::IntoIter<Error>;

    fn into_iter(self) -> Self::IntoIter {
        self.list.into_iter()
    }
}

impl<'a> IntoIterator for &'a Errors {
    type Item = &'a Error;
    type IntoIter = std::slice::Iter<'a, Error>;

    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.src {
            Some(src) => f.write_str(&self.render_plain(src)),
            None => {
                for e in &self.list {
                    writeln!(f, "{e}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Errors {}

/// The line and column (both from 1, the column counted in characters) of a
/// byte offset in `src`. An offset past the end, or inside a character, is
/// moved back to the nearest character start.
///
/// ```
/// assert_eq!(notify_rules_syntax::line_col("ab\ncé d", 7), (2, 4));
/// ```
pub fn line_col(src: &str, byte_offset: usize) -> (usize, usize) {
    let off = floor_char_boundary(src, byte_offset);
    let before = &src[..off];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, src[line_start..off].chars().count() + 1)
}

fn floor_char_boundary(src: &str, offset: usize) -> usize {
    let mut off = offset.min(src.len());
    while !src.is_char_boundary(off) {
        off -= 1;
    }
    off
}

/// Where the lines of a text start, so that many places can be turned into
/// lines and columns without rescanning the text for each.
///
/// ```
/// let lines = notify_rules_syntax::Lines::new("ab\ncé d");
/// assert_eq!(lines.line_col(7), (2, 4));
/// assert_eq!(lines.line_col(0), (1, 1));
/// ```
pub struct Lines<'a> {
    src: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    /// Indexes the line starts of `src`.
    pub fn new(src: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { src, starts }
    }

    /// Index of the line holding `offset` (a character start), and where it starts.
    fn line_of(&self, offset: usize) -> (usize, usize) {
        let i = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        (i, self.starts.get(i).copied().unwrap_or(0))
    }

    /// Like [`line_col`], without rescanning the text.
    pub fn line_col(&self, byte_offset: usize) -> (usize, usize) {
        let off = floor_char_boundary(self.src, byte_offset);
        let (i, start) = self.line_of(off);
        (i + 1, self.src[start..off].chars().count() + 1)
    }

    fn snippet(&self, loc: Loc) -> Snippet<'a> {
        let src = self.src;
        let start = floor_char_boundary(src, loc.start);
        let end = floor_char_boundary(src, loc.end.max(start));
        let (i, line_start) = self.line_of(start);
        let line_end = self.starts.get(i + 1).map_or(src.len(), |next| next - 1);
        Snippet {
            line: i + 1,
            col: src[line_start..start].chars().count() + 1,
            text: src[line_start..line_end].trim_end_matches('\r'),
            prefix: &src[line_start..start],
            width: src[start..end.min(line_end)].chars().count().max(1),
        }
    }
}

/// The line an error is on, and where on it the caret goes.
struct Snippet<'a> {
    line: usize,
    col: usize,
    /// The line without its line break.
    text: &'a str,
    /// The part of the line before the place, to align the caret (tabs kept).
    prefix: &'a str,
    /// How many characters of the line the place covers, at least one.
    width: usize,
}

impl Snippet<'_> {
    /// The line as quoted: a control character (an escape sequence, say) would
    /// act on the terminal, so each shows as one `�`, which keeps the caret
    /// under the right place.
    fn shown(&self) -> String {
        self.text
            .chars()
            .map(|c| {
                if c.is_control() && c != '\t' {
                    '\u{fffd}'
                } else {
                    c
                }
            })
            .collect()
    }

    fn carets(&self) -> String {
        let mut out: String = self
            .prefix
            .chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        out.extend(std::iter::repeat_n('^', self.width));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_and_clamps() {
        let src = "é\nab\r\ncd";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 1), (1, 1), "inside `é` moves back");
        assert_eq!(line_col(src, 2), (1, 2));
        assert_eq!(line_col(src, 3), (2, 1));
        assert_eq!(line_col(src, 7), (3, 1));
        assert_eq!(line_col(src, 100), (3, 3));
        let lines = Lines::new(src);
        for off in 0..12 {
            assert_eq!(lines.line_col(off), line_col(src, off), "at {off}");
        }
    }

    #[test]
    fn carets_keep_tabs_and_stop_at_the_line_end() {
        let src = "\tab cd\nef";
        let lines = Lines::new(src);
        let s = lines.snippet(Loc::text(4, 9));
        assert_eq!(s.carets(), "\t   ^^");
        assert_eq!(s.text, "\tab cd");
        let src = "on any\u{1b}[2J => stop;";
        let s = Lines::new(src).snippet(Loc::text(6, 7));
        assert_eq!(s.shown(), "on any\u{fffd}[2J => stop;");
        assert_eq!(s.carets(), "      ^");
        let empty = lines.snippet(Loc::text(7, 7));
        assert_eq!(empty.carets(), "^");
    }

    #[test]
    fn an_error_at_the_end_of_the_text_renders() {
        let src = "on any => stop";
        let errors = Errors::new(Error::new("missing `;`", Loc::text(14, 14)));
        assert_eq!(
            errors.render_check("f", src),
            "f:1:15: missing `;`\non any => stop\n              ^\n"
        );
    }

    #[test]
    fn wide_line_numbers_widen_the_gutter() {
        let src = "\n".repeat(11) + "on x";
        let errors = Errors::new(Error::new("bad", Loc::text(14, 15)).with_help("h"));
        assert_eq!(
            errors.render_file("p", &src)[0],
            "bad\n  --> p:12:4\n   |\n12 | on x\n   |    ^\n   = help: h"
        );
    }

    #[test]
    fn errors_can_be_sent_between_threads() {
        fn check<T: Send + Sync + 'static>(_: &T) {}
        let errors = crate::parse_str("on state Faild => stop;").unwrap_err();
        check(&errors);
        let shown = std::thread::spawn(move || errors.to_string());
        assert!(shown.join().unwrap().contains("did you mean `Failed`?"));
    }

    #[test]
    fn display_without_source_lists_messages() {
        let mut errors = Errors::from(vec![Error::new("a", Loc::text(0, 0))]);
        errors.push(Error::new("b", Loc::text(0, 0)).with_help("c"));
        assert_eq!(errors.to_string(), "a\nb\n  = help: c\n");
        assert_eq!(errors.len(), 2);
        assert_eq!((&errors).into_iter().count(), 2);
    }
}
