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

/// A TOML error as `line L, column C: message`. Never the error's `Display`:
/// that quotes the offending line, and the natural mistake of writing a secret
/// in the file (`url = "https://hooks..."`, `password = "..."`) would put the
/// secret in the logs.
pub(super) fn toml_problem(e: &toml::de::Error, text: &str) -> String {
    let message = hide_variants(&hide_strings(e.message().trim_end()));
    let mut problem = match e.span() {
        Some(span) => {
            let (line, column) = line_column(text, span.start);
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    };
    if let Some(field) = unknown_field(&problem) {
        let env = format!("{field}_env");
        let field = field.to_owned();
        problem = name_unknown_field(&problem);
        if problem.contains(&format!("`{env}`")) {
            problem.push_str(&format!(
                "; secrets are not written in this file: set `{env}` to the name of the environment variable that holds the value"
            ));
        } else if looks_like_secret_setting(&field) {
            problem.push_str(
                "; secrets are not written in this file but read from the environment variables the `*_env` settings name",
            );
        }
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

/// serde's `unknown field `X`, expected one of ...` in this file's words: a
/// section at the top level, a setting inside a table.
fn name_unknown_field(problem: &str) -> String {
    const TOP: &str = "`server`, `gocd`, `history`, `outbox`, `retry`, `targets`";
    let Some(field) = unknown_field(problem) else {
        return problem.to_owned();
    };
    let at = problem.find("unknown field `").unwrap_or(0);
    let expected = problem
        .split_once("expected one of ")
        .map(|(_, e)| e)
        .or_else(|| problem.split_once("expected ").map(|(_, e)| e))
        .unwrap_or("");
    let said = if expected.contains(TOP) {
        format!("unknown section `[{field}]`; the sections are {TOP}")
    } else if expected.is_empty() {
        format!("unknown setting `{field}`")
    } else {
        format!("unknown setting `{field}`; the settings here are {expected}")
    };
    format!("{}{said}", &problem[..at])
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

/// Replaces the value in serde's ``unknown variant `VALUE`, expected ...``
/// unless it is a likely typo of one of the expected values: a secret put
/// there (`kind = "https://hooks.slack.com/..."`) must not be repeated, and a
/// typo is worth a suggestion.
pub(super) fn hide_variants(message: &str) -> String {
    const VARIANT: &str = "unknown variant `";
    let Some(i) = message.find(VARIANT) else {
        return message.to_owned();
    };
    let before = &message[..i];
    let value_and_rest = &message[i + VARIANT.len()..];
    // serde writes the value between backquotes, with no escaping: the last
    // "`, expected" ends it.
    let Some(end) = value_and_rest.rfind("`, expected") else {
        return format!("{before}unknown variant");
    };
    let value = &value_and_rest[..end];
    let rest = &value_and_rest[end + 1..];
    let expected = rest.split('`').skip(1).step_by(2).filter(|w| !w.is_empty());
    let near = expected
        .map(|w| (edit_distance(value, w), w))
        .filter(|(d, w)| *d <= 2 && *d < w.len())
        .min_by_key(|(d, _)| *d);
    match near {
        Some((_, w)) => format!("{before}unknown variant `{value}`{rest}; did you mean `{w}`?"),
        None => format!("{before}unknown variant: {HIDDEN}{rest}"),
    }
}

/// Levenshtein distance in characters, ASCII case ignored.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The field of serde's `unknown field `NAME`, expected ...` message.
fn unknown_field(message: &str) -> Option<&str> {
    let rest = &message[message.find("unknown field `")? + "unknown field `".len()..];
    rest.split_once('`').map(|(field, _)| field)
}

/// 1-based line and column (in characters) of a byte offset.
pub(super) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Replaces the quoted value in serde's `invalid type: string "VALUE", ...`
/// messages: a secret put where a table or a number belongs
/// (`headers = "Bearer ..."`) would otherwise be repeated.
pub(super) fn hide_strings(message: &str) -> String {
    const QUOTED: &str = "string \"";
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find(QUOTED) {
        out.push_str(&rest[..i]);
        out.push_str("a string");
        // serde writes the value with `{:?}`: a `"` inside it is escaped.
        let value = &rest[i + QUOTED.len()..];
        let mut escaped = false;
        let end = value.char_indices().find_map(|(j, c)| match c {
            _ if escaped => {
                escaped = false;
                None
            }
            '\\' => {
                escaped = true;
                None
            }
            '"' => Some(j + 1),
            _ => None,
        });
        rest = &value[end.unwrap_or(value.len())..];
    }
    out.push_str(rest);
    out
}
