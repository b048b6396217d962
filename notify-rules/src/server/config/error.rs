//! Why a configuration cannot be used.

use std::fmt;

/// Why a configuration cannot be used: every problem found, each naming the
/// file and, where it applies, the target and the setting. Never holds a
/// secret's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub(super) path: String,
    pub(super) problems: Vec<String>,
}

impl ConfigError {
    pub(super) fn one(path: &str, problem: impl Into<String>) -> Self {
        ConfigError {
            path: path.to_owned(),
            problems: vec![problem.into()],
        }
    }

    /// Each problem, without the file name.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{}: {p}", self.path)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}
