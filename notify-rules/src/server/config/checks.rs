//! Checks on values and messages that could otherwise leak a secret written
//! in the wrong place of the file.

/// Whether `name` can be an environment variable's name. Checked so that a
/// secret written where its variable's name belongs is refused at once,
/// instead of being quoted by "environment variable ... is not set".
pub(super) fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The file's sections, in the order the schema lists them.
const SECTIONS: &[&str] = &[
    "server", "gocd", "history", "state", "outbox", "retry", "targets",
];
/// The sections shown: `history` is read only to say what replaced it.
const SHOWN_SECTIONS: &[&str] = &["server", "gocd", "state", "outbox", "retry", "targets"];

/// A key the schema does not know, in this file's words: a section at the top
/// level, a setting inside a table. A secret written in the file under a name
/// of its own (`url = "https://hooks..."`, `password = "..."`) gets the advice
/// to name an environment variable instead; the value is never shown.
pub(super) fn unknown_setting(field: &str, expected: &[&str]) -> String {
    let mut problem = if expected == SECTIONS {
        format!(
            "unknown section `[{field}]`; the sections are {}",
            quoted(SHOWN_SECTIONS)
        )
    } else if expected.is_empty() {
        format!("unknown setting `{field}`")
    } else {
        format!(
            "unknown setting `{field}`; the settings here are {}",
            quoted(expected)
        )
    };
    let env = format!("{field}_env");
    if expected.contains(&env.as_str()) {
        problem.push_str(&format!(
            "; secrets are not written in this file: set `{env}` to the name of the environment variable that holds the value"
        ));
    } else if looks_like_secret_setting(field) {
        problem.push_str(
            "; secrets are not written in this file but read from the environment variables the `*_env` settings name",
        );
    }
    problem
}

/// Whether an unknown setting's name suggests a secret written in the file,
/// worth the hint that secrets come from the environment.
fn looks_like_secret_setting(field: &str) -> bool {
    let field = field.to_ascii_lowercase();
    [
        "url", "secret", "password", "token", "key", "auth", "header",
    ]
    .iter()
    .any(|word| field.contains(word))
}

/// A word that is none of a setting's choices (`kind`, `store`, `security`):
/// shown, with the choice meant, when it is a likely typo of one; otherwise
/// left out, since a secret put there (`kind = "https://hooks.slack.com/..."`)
/// must not be repeated.
pub(super) fn hidden_variant(value: &str, expected: &[&str]) -> String {
    let choices = one_of(expected);
    match near(value, expected) {
        Some(meant) => format!("unknown variant `{value}`, {choices}; did you mean `{meant}`?"),
        None => format!("unknown variant: {HIDDEN}, {choices}"),
    }
}

/// The choice at most two edits from `value` (ASCII case ignored), and closer
/// than its own length; the closest, the first of equals.
pub(super) fn near<'a>(value: &str, choices: &[&'a str]) -> Option<&'a str> {
    let value = value.to_ascii_lowercase();
    choices
        .iter()
        .map(|c| (strsim::levenshtein(&value, &c.to_ascii_lowercase()), *c))
        .filter(|(d, c)| *d <= 2 && *d < c.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `expected `a``, `expected `a` or `b``, `expected one of `a`, `b`, `c``.
fn one_of(choices: &[&str]) -> String {
    match choices {
        [] => "there are no choices".to_owned(),
        [one] => format!("expected `{one}`"),
        [a, b] => format!("expected `{a}` or `{b}`"),
        all => format!("expected one of {}", quoted(all)),
    }
}

/// `` `a`, `b`, `c` ``.
fn quoted(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value from the file as a message may show it: quoted when it is a plain
/// word or address, left out when it could be a secret (a URL, a token, a
/// password with symbols).
pub(super) fn shown(value: &str) -> String {
    let plain = value.len() <= 24
        && value.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ' | ':' | '[' | ']')
        });
    if plain {
        format!("`{value}`")
    } else {
        HIDDEN.to_owned()
    }
}

const HIDDEN: &str = "the value (not shown, as it may be a secret)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_settings_are_named_in_the_files_words() {
        assert_eq!(
            unknown_setting("serverr", SECTIONS),
            "unknown section `[serverr]`; the sections are `server`, `gocd`, `state`, `outbox`, `retry`, `targets`"
        );
        assert_eq!(
            unknown_setting("path", &["store", "dir"]),
            "unknown setting `path`; the settings here are `store`, `dir`"
        );
        assert_eq!(unknown_setting("x", &[]), "unknown setting `x`");
        assert!(unknown_setting("url", &["kind", "url_env"]).ends_with(
            "set `url_env` to the name of the environment variable that holds the value"
        ));
    }

    #[test]
    fn choices_are_listed_like_serde_lists_them() {
        assert_eq!(one_of(&["a"]), "expected `a`");
        assert_eq!(one_of(&["a", "b"]), "expected `a` or `b`");
        assert_eq!(one_of(&["a", "b", "c"]), "expected one of `a`, `b`, `c`");
        assert_eq!(
            hidden_variant("Fil", &["memory", "file"]),
            "unknown variant `Fil`, expected `memory` or `file`; did you mean `file`?"
        );
        assert_eq!(
            hidden_variant("hunter2", &["memory", "file"]),
            "unknown variant: the value (not shown, as it may be a secret), expected `memory` or `file`"
        );
        // Two edits from a two-letter word is no typo of it.
        assert_eq!(near("xy", &["tl"]), None);
    }
}
