//! Why a rule text was refused at run time.

use std::fmt;

use notify_rules_syntax::{Errors, Lines};

/// Why [`RuleSet::parse`](crate::RuleSet::parse) refused a rule text: every
/// error, each with its line and column.
///
/// It is the rule language's [`Errors`] with the text they were found in, so
/// it shows them the way the checker and the compiler do.
#[derive(Clone)]
pub struct RuleSetError(Errors);

impl RuleSetError {
    pub(crate) fn new(source: &str, errors: Errors) -> Self {
        RuleSetError(errors.with_source(source))
    }

    fn source_text(&self) -> &str {
        self.0.text().unwrap_or_default()
    }

    /// How many errors there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: an error lists at least one problem.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each error as (line, column, message, help), lines and columns from 1.
    pub fn errors(&self) -> Vec<(usize, usize, &str, Option<&str>)> {
        let lines = Lines::new(self.source_text());
        self.0
            .iter()
            .map(|e| {
                let (line, col) = lines.line_col(e.loc.start);
                (line, col, e.message.as_str(), e.help.as_deref())
            })
            .collect()
    }

    /// The errors as a checker prints them: `path:line:col: message`, the line,
    /// a caret under the place, and the help.
    pub fn render_check(&self, path: &str) -> String {
        self.0.render_check(path, self.source_text())
    }
}

impl fmt::Display for RuleSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The same as [`fmt::Display`]: a rule text's errors read better than their
/// structure, also where a program shows an error with `{:?}` (as `main`
/// returning `Result` does).
impl fmt::Debug for RuleSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for RuleSetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        // Transparent: the errors are this error, not its cause.
        std::error::Error::source(&self.0)
    }
}
