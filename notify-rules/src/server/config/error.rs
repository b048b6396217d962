//! Why a configuration cannot be used: a list of typed problems, none of which
//! holds a secret's value.

use notify_rules_syntax::TemplateError;

use crate::plugin::BuildError;

/// Why a configuration cannot be used: every problem found, each naming the
/// file and, where it applies, the target and the setting. Never holds a
/// secret's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.show())]
pub struct ConfigError {
    path: String,
    problems: Vec<ConfigProblem>,
}

impl ConfigError {
    pub(super) fn new(path: &str, problems: Vec<ConfigProblem>) -> Self {
        ConfigError {
            path: path.to_owned(),
            problems,
        }
    }

    pub(super) fn one(path: &str, problem: ConfigProblem) -> Self {
        ConfigError::new(path, vec![problem])
    }

    /// The plugin's own refusal, each problem in the file's name.
    pub(super) fn build(path: &str, error: &BuildError) -> Self {
        let problems = error
            .list()
            .iter()
            .map(|p| ConfigProblem::Plugin(p.to_string()))
            .collect();
        ConfigError::new(path, problems)
    }

    /// The file, as messages name it.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Each problem, in the order found.
    pub fn list(&self) -> &[ConfigProblem] {
        &self.problems
    }

    /// Each problem's message, without the file name.
    pub fn problems(&self) -> Vec<String> {
        self.problems.iter().map(ToString::to_string).collect()
    }

    /// One line a problem, each behind the file name.
    fn show(&self) -> String {
        let lines: Vec<String> = self
            .problems
            .iter()
            .map(|p| format!("{}: {p}", self.path))
            .collect();
        lines.join("\n")
    }
}

/// One problem with a configuration, without the file's name. Where a setting
/// holds a variable's name, the name is shown; a value that could be a secret
/// never is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigProblem {
    /// The file could not be read.
    #[error("cannot read the file: {reason}")]
    Read {
        /// The system's reason.
        reason: String,
    },
    /// The text is not TOML, or a value is not of its setting's form (an
    /// unknown setting, a string where a number belongs, a word that is none
    /// of the choices).
    #[error("{}{message}", place(.line_column))]
    File {
        /// Line and column (from 1, in characters), when known.
        line_column: Option<(usize, usize)>,
        /// What is wrong, in words that never quote a value.
        message: String,
    },
    /// A setting its target's kind does not take.
    #[error(
        "target `{target}`: `{setting}` is not a setting of kind {kind}; it takes {}",
        none_or_list(.allowed)
    )]
    NotASetting {
        /// The target.
        target: String,
        /// The setting.
        setting: &'static str,
        /// The target's kind.
        kind: &'static str,
        /// The settings the kind takes.
        allowed: &'static [&'static str],
    },
    /// A setting the target's kind needs is missing.
    #[error("target `{target}`: kind {kind} needs `{setting}`")]
    Needs {
        /// The target.
        target: String,
        /// The target's kind.
        kind: &'static str,
        /// The missing setting.
        setting: &'static str,
    },
    /// An e-mail target has a user and no password, or the other way round.
    #[error("target `{target}`: `user` and `password_env` go together")]
    UserWithoutPassword {
        /// The target.
        target: String,
    },
    /// An e-mail subject that is not a template of the rule language.
    #[error("target `{target}`: subject: {error}")]
    Subject {
        /// The target.
        target: String,
        /// What the template parser found.
        #[source]
        error: TemplateError,
    },
    /// A `*_env` setting that cannot name an environment variable, most
    /// likely the secret itself.
    #[error(
        "{owner}: `{setting}` must be the name of an environment variable (letters, digits and `_`), not the secret itself"
    )]
    NotAVariableName {
        /// `[server]`, or the target.
        owner: String,
        /// The setting.
        setting: String,
    },
    /// A webhook header written in the file whose name says it carries a
    /// credential (`Authorization`, `Cookie`, a token, a key): secrets go
    /// in the environment.
    #[error(
        "target `{target}`: `headers.{header}` would keep a credential in the file; put it in an environment variable and name that in `header_envs` instead"
    )]
    SecretHeader {
        /// The target.
        target: String,
        /// The header's name.
        header: String,
    },
    /// `[gocd] server_url` is not an address to put in messages.
    #[error(
        "[gocd] server_url {0}; give the server's address only, such as https://gocd.example.com"
    )]
    ServerUrl(&'static str),
    /// `[gocd] time_zone` is no IANA zone.
    #[error("[gocd] time_zone {0}")]
    TimeZone(String),
    /// A setting of an older release, and what replaced it.
    #[error("{old} is no longer read: {instead}")]
    Replaced {
        /// The old section or setting.
        old: &'static str,
        /// What to write instead.
        instead: &'static str,
    },
    /// A `[state]` setting that does not go with the chosen store.
    #[error("[state] `{setting}` is only for store = \"{store}\"")]
    StateSetting {
        /// The setting.
        setting: &'static str,
        /// The store it belongs to.
        store: &'static str,
    },
    /// `[state] store = "postgres"` without `url_env`.
    #[error("[state] store = \"postgres\" needs `url_env`, the environment variable holding postgres://user:password@host:port/db")]
    StateNeedsUrl,
    /// A store this build was compiled without.
    #[error("[state] store = \"{0}\" is not in this build (it needs the cargo feature `{0}`)")]
    StoreNotBuilt(&'static str),
    /// A number or duration out of the range the server works with.
    #[error("{setting} must be from {min} to {max} (it is {value})")]
    OutOfRange {
        /// The setting, as `[section] name` or `target `NAME`: name`.
        setting: String,
        /// The least value taken, as the file writes it.
        min: String,
        /// The greatest value taken.
        max: String,
        /// The value given.
        value: String,
    },
    /// An environment variable the file names is not set.
    #[error("{owner}: environment variable {name} ({setting}) is not set")]
    VariableNotSet {
        /// `[server]`, or the target.
        owner: String,
        /// The variable.
        name: String,
        /// The setting naming it.
        setting: String,
    },
    /// An environment variable the file names is empty.
    #[error("{owner}: environment variable {name} ({setting}) is empty")]
    VariableEmpty {
        /// `[server]`, or the target.
        owner: String,
        /// The variable.
        name: String,
        /// The setting naming it.
        setting: String,
    },
    /// A target the rules declare has no `[targets.NAME]` table.
    #[error("target `{0}` is declared by the rules but has no [targets.{0}] table")]
    NoTable(String),
    /// A `[targets.NAME]` table for a target the rules do not declare.
    #[error(
        "[targets.{target}]: the rules declare no target `{target}` (they declare {})",
        none_or_plain_list(.declared)
    )]
    Undeclared {
        /// The table's target.
        target: String,
        /// The targets the rules declare.
        declared: Vec<String>,
    },
    /// A notifier refused its settings.
    #[error("target `{target}`: {error}")]
    Notifier {
        /// The target.
        target: String,
        /// The notifier's refusal.
        #[source]
        error: crate::deliver::ConfigError,
    },
    /// A kind whose notifier this build of notify-rules leaves out.
    #[error(
        "target `{target}`: kind {kind} needs notify-rules built with its `{feature}` feature"
    )]
    MissingFeature {
        /// The target.
        target: String,
        /// The kind.
        kind: &'static str,
        /// The cargo feature that builds it (the kind's name, but `slack`
        /// for the other chat kinds).
        feature: &'static str,
    },
    /// The plugin refused what the file and the rules make together (a
    /// problem of [`BuildError`]).
    #[error("{0}")]
    Plugin(String),
}

fn place(line_column: &Option<(usize, usize)>) -> String {
    line_column
        .map(|(line, column)| format!("line {line}, column {column}: "))
        .unwrap_or_default()
}

fn none_or_list(words: &[&str]) -> String {
    if words.is_empty() {
        "none".to_owned()
    } else {
        words.join(", ")
    }
}

fn none_or_plain_list(words: &[String]) -> String {
    if words.is_empty() {
        "none".to_owned()
    } else {
        words.join(", ")
    }
}
