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
    let message = hide_strings(e.message().trim_end());
    let mut problem = match e.span() {
        Some(span) => {
            let (line, column) = line_column(text, span.start);
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    };
    if let Some(field) = unknown_field(&problem) {
        let env = format!("{field}_env");
        if problem.contains(&format!("`{env}`")) {
            problem.push_str(&format!(
                "; secrets are not written in this file: set `{env}` to the name of the environment variable that holds the value"
            ));
        } else {
            problem.push_str(
                "; secrets are not written in this file but read from the environment variables the `*_env` settings name",
            );
        }
    }
    problem
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
