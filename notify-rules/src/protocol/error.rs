//! What went wrong reading a request body, and where.

use std::fmt;

use crate::model::redact::redact_text;

/// The longest message kept from the JSON reader; it quotes the offending value,
/// which could be megabytes long.
const MAX_MESSAGE_CHARS: usize = 300;

/// The longest field path shown whole.
const MAX_PATH_CHARS: usize = 160;

/// A request body that could not be read: which body, the field path, the line
/// and column, and what is wrong.
///
/// Its text reads like
/// `invalid stage-status body at pipeline.stage.counter (line 1, column 87): invalid value: string "x", expected a counter ...`.
/// URLs quoted from the body have their credentials removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    body: &'static str,
    path: Option<String>,
    position: Option<(usize, usize)>,
    message: String,
}

impl ProtocolError {
    /// The kind of body being read: `stage-status`, `agent-status`, or
    /// `notification` while it was not yet known which.
    pub fn body_kind(&self) -> &str {
        self.body
    }

    /// The field path, such as `pipeline.build-cause[0].material.type`; `None` for
    /// a problem with the body as a whole.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The 1-based line of the problem, when the JSON reader knew it.
    pub fn line(&self) -> Option<usize> {
        self.position.map(|(l, _)| l)
    }

    /// The column of the problem on its line, as the JSON reader counts it (the
    /// byte just read, from 1; 0 when nothing was read on the line).
    pub fn column(&self) -> Option<usize> {
        self.position.map(|(_, c)| c)
    }

    /// What is wrong, without the place.
    pub fn message(&self) -> &str {
        &self.message
    }

    pub(super) fn new(
        body: &'static str,
        path: Option<String>,
        position: Option<(usize, usize)>,
        message: &str,
    ) -> Self {
        ProtocolError {
            body,
            path,
            position,
            message: clean(message),
        }
    }

    /// From serde_json's error: its text without the ` at line L column C` it
    /// appends, since the place is reported separately.
    pub(super) fn from_json(
        body: &'static str,
        path: Option<String>,
        err: &serde_json::Error,
    ) -> Self {
        let (line, column) = (err.line(), err.column());
        let text = err.to_string();
        let message = text
            .strip_suffix(&format!(" at line {line} column {column}"))
            .unwrap_or(&text);
        // serde_json reports no place (line 0) only for errors raised outside parsing.
        let position = (line > 0).then_some((line, column));
        ProtocolError::new(body, path, position, message)
    }

    /// From serde_path_to_error: the path it tracked, plus the missing field's
    /// name for a missing field, so the path names the field itself.
    pub(super) fn from_tracked(
        body: &'static str,
        err: &serde_path_to_error::Error<serde_json::Error>,
    ) -> Self {
        let mut path = tidy_path(&err.path().to_string());
        let inner = err.inner();
        let text = inner.to_string();
        if let Some(field) = text
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            path = Some(match path {
                Some(p) => format!("{p}.{field}"),
                None => field.to_owned(),
            });
        }
        ProtocolError::from_json(body, path, inner)
    }

    pub(super) fn too_large(body: &'static str, len: usize, limit: usize) -> Self {
        ProtocolError::new(
            body,
            None,
            None,
            &format!("the body is {len} bytes, more than the {limit} accepted"),
        )
    }
}

/// serde_path_to_error writes `.` for the root and `?` for a key it could not
/// read (the body ended inside it); neither helps a reader. Paths through absurd
/// nesting are shortened in the middle.
fn tidy_path(path: &str) -> Option<String> {
    let mut p = path;
    while let Some(rest) = p.strip_suffix(".?").or_else(|| p.strip_suffix('?')) {
        p = rest;
    }
    if p.is_empty() || p == "." {
        return None;
    }
    let chars = p.chars().count();
    if chars <= MAX_PATH_CHARS {
        return Some(p.to_owned());
    }
    let head: String = p.chars().take(MAX_PATH_CHARS / 2).collect();
    let tail: String = p.chars().skip(chars - MAX_PATH_CHARS / 4).collect();
    Some(format!("{head}...{tail}"))
}

/// Credentials out of quoted URLs, then long messages cut at a character
/// boundary (in that order, so a cut cannot hide the `@` that ends a password).
fn clean(message: &str) -> String {
    let redacted = redact_text(message);
    match redacted.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((i, _)) => format!("{}...", &redacted[..i]),
        None => redacted,
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} body", self.body)?;
        if let Some(path) = &self.path {
            write!(f, " at {path}")?;
        }
        if let Some((line, column)) = self.position {
            write!(f, " (line {line}, column {column})")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ProtocolError {}
