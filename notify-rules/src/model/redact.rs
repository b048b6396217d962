//! Taking credentials out of repository URLs before they reach a message, a log,
//! an error or `Debug` output.

/// What replaces a secret query value.
pub(crate) const MASK: &str = "******";

/// Query and fragment parameter names whose values are secrets. A name matches
/// when it contains one of these, case-insensitively, so `access_token`,
/// `private_token`, `X-Amz-Signature` and `client_secret` are all caught.
const SECRET_PARAMS: &[&str] = &[
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "key",
    "signature",
    "sig",
    "auth",
    "credential",
];

/// Removes credentials from a URL: the user information before `@`
/// (`https://user:secret@host/x` becomes `https://host/x`, `git@host:repo` becomes
/// `host:repo`) and the values of secret-looking query or fragment parameters
/// (`?private_token=abc` becomes `?private_token=******`).
///
/// Any input is accepted: text that is not a URL comes back with the same
/// rules applied, and nothing panics.
///
/// ```
/// use notify_rules::model::redact_url;
///
/// assert_eq!(redact_url("https://user:secret@host/x"), "https://host/x");
/// assert_eq!(redact_url("https://ci:******@git.example.org/a.git"), "https://git.example.org/a.git");
/// assert_eq!(redact_url("git@github.com:org/repo.git"), "github.com:org/repo.git");
/// assert_eq!(
///     redact_url("https://gitlab.example/x.git?private_token=abc&ref=main"),
///     "https://gitlab.example/x.git?private_token=******&ref=main",
/// );
/// assert_eq!(redact_url("https://example.org/repo"), "https://example.org/repo");
/// ```
pub fn redact_url(url: &str) -> String {
    // The authority runs from after `scheme://` (or from the start for scp-like
    // `user@host:path`) to the first `/`, `?` or `#`; its user information ends at
    // the LAST `@`, since unencoded passwords may contain `@` themselves.
    let auth_start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[auth_start..];
    let auth_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..auth_len];
    let host = match authority.rfind('@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    };

    let mut out = String::with_capacity(url.len());
    out.push_str(&url[..auth_start]);
    out.push_str(host);
    let tail = &rest[auth_len..];
    let (before_query, query_and_fragment) = match tail.find(['?', '#']) {
        Some(i) => tail.split_at(i),
        None => (tail, ""),
    };
    out.push_str(before_query);
    mask_params(query_and_fragment, &mut out);
    out
}

/// Copies `?a=b&c=d#e=f` to `out`, masking the values of secret parameters.
fn mask_params(s: &str, out: &mut String) {
    let mut first = true;
    for part in s.split_inclusive(['?', '#', '&', ';']) {
        let (body, sep) = match part.char_indices().last() {
            Some((i, '?' | '#' | '&' | ';')) => (&part[..i], &part[i..]),
            _ => (part, ""),
        };
        // The leading `?` or `#` comes out of split_inclusive as its own part.
        if first && body.is_empty() {
            out.push_str(sep);
            first = false;
            continue;
        }
        first = false;
        match body.split_once('=') {
            Some((name, value)) if !value.is_empty() && is_secret_param(name) => {
                out.push_str(name);
                out.push('=');
                out.push_str(MASK);
            }
            _ => out.push_str(body),
        }
        out.push_str(sep);
    }
}

pub(crate) fn is_secret_param(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_PARAMS.iter().any(|p| lower.contains(p))
}

/// How far past `://` a user and password are looked for in free text.
const USERINFO_WINDOW: usize = 128;

/// Redacts every URL (`scheme://...`) found inside free text, such as an error
/// message that quotes a value; the text around them is kept.
///
/// The user information is found even when it holds what ends a URL in text (a
/// quote, escaped or not, or a space: `https://bob:pa"ss word@host`): all from
/// `://` to the last `@` before the host's end is taken out, looking at most
/// [`USERINFO_WINDOW`] bytes ahead. Text that only looks like that (`see
/// http://x.org, or write to me@y.org`) loses a little too much, never a secret.
pub(crate) fn redact_text(text: &str) -> String {
    if !text.contains("://") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        // The scheme is kept as it is; what follows `://` is the URL's.
        let after = i + 3;
        let host = userinfo_len(&rest[after..]).map_or(after, |n| after + n);
        let end = rest[host..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '<' | '>'))
            .map_or(rest.len(), |e| host + e);
        out.push_str(&rest[..after]);
        out.push_str(&redact_url(&rest[host..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The length of the user information at the start of `s` (what follows a
/// `://`), its `@` included: up to the last `@` before the authority ends (at
/// `/`, `?`, `#`, a line break or another URL), within the window, when a host
/// follows it.
pub(crate) fn userinfo_len(s: &str) -> Option<usize> {
    let mut last_at = None;
    for (i, c) in s.char_indices() {
        if i >= USERINFO_WINDOW || matches!(c, '/' | '?' | '#' | '\n' | '\r') {
            break;
        }
        if c == '@' {
            last_at = Some(i);
        }
        if s[i..].starts_with("://") {
            break;
        }
    }
    let at = last_at?;
    let host_starts = s[at + 1..]
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '[');
    host_starts.then_some(at + 1)
}

/// Applies [`redact_text`] to every string inside a JSON value, for `Debug`
/// output of materials this crate does not know.
pub(crate) fn redact_json(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    // Recursion is fine here: parsed values are at most serde_json's recursion
    // limit (128) deep.
    fn walk(v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(redact_text(s)),
            Value::Array(items) => Value::Array(items.iter().map(walk).collect()),
            Value::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), walk(v))).collect())
            }
            other => other.clone(),
        }
    }
    walk(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_user_information() {
        assert_eq!(redact_url("https://user:secret@host/x"), "https://host/x");
        assert_eq!(redact_url("https://user@host/x"), "https://host/x");
        assert_eq!(
            redact_url("http://user:******@gitrepo.com"),
            "http://gitrepo.com"
        );
        assert_eq!(
            redact_url("https://u:p@ss@host:8443/x@y"),
            "https://host:8443/x@y"
        );
        assert_eq!(redact_url("user@host"), "host");
        assert_eq!(redact_url("ssh://git@host:22/r.git"), "ssh://host:22/r.git");
    }

    #[test]
    fn masks_secret_parameters() {
        assert_eq!(
            redact_url("https://h/x?token=abc"),
            "https://h/x?token=******"
        );
        assert_eq!(
            redact_url("https://h/x?ref=main&access_token=abc&private_token=def"),
            "https://h/x?ref=main&access_token=******&private_token=******"
        );
        assert_eq!(
            redact_url("https://h/cb#access_token=abc&x=1"),
            "https://h/cb#access_token=******&x=1"
        );
        assert_eq!(redact_url("https://h/x?Token=&a"), "https://h/x?Token=&a");
        assert_eq!(redact_url("https://u:p@h/x?a=1?b=2"), "https://h/x?a=1?b=2");
    }

    #[test]
    fn keeps_plain_text_and_odd_input() {
        for s in [
            "",
            "host:1666",
            "https://",
            "://",
            "@",
            "?",
            "#",
            "a@",
            "@b",
            "?token=x",
            "é@ü/ß?key=ö",
            "https://@/",
        ] {
            let _ = redact_url(s);
        }
        assert_eq!(
            redact_url("perforce.example.org:1666"),
            "perforce.example.org:1666"
        );
        assert_eq!(redact_url("?token=x"), "?token=******");
        assert_eq!(redact_url("é@ü/ß?key=ö"), "ü/ß?key=******");
        assert_eq!(redact_url("https://@/"), "https:///");
    }

    #[test]
    fn redacts_urls_inside_text() {
        assert_eq!(
            redact_text(r#"invalid value: string "https://u:p@h/x", expected a date"#),
            r#"invalid value: string "https://h/x", expected a date"#
        );
        assert_eq!(redact_text("no urls here"), "no urls here");
        assert_eq!(redact_text("://@x"), "://x");
        assert_eq!(redact_text("a git+ssh://me@h/r b"), "a git+ssh://h/r b");
    }

    #[test]
    fn user_information_with_quotes_or_spaces_is_taken_out() {
        for (text, shown) in [
            (
                r#"invalid type: string "https://bob:hun\"ter2@git.example.org/x.git", expected u64"#,
                r#"invalid type: string "https://git.example.org/x.git", expected u64"#,
            ),
            (
                r#"string "https://bob:hunter2 with space@git.example.org/x", expected"#,
                r#"string "https://git.example.org/x", expected"#,
            ),
            (
                "a 'https://u:it's@h/x?token=t0k' b",
                "a 'https://h/x?token=******' b",
            ),
            (
                "two https://a:p w@h1/x and https://b:q\"v@h2 end",
                "two https://h1/x and https://h2 end",
            ),
            ("no user http://h/x@y z", "no user http://h/x@y z"),
        ] {
            assert_eq!(redact_text(text), shown, "{text}");
        }
        // Past the window nothing is looked for, and nothing panics on text
        // that is not ASCII or ends early.
        let far = format!("https://{}@h", "x".repeat(USERINFO_WINDOW + 10));
        assert!(redact_text(&far).starts_with("https://"));
        for text in ["https://", "https://@", "https://a@", "x://é@ü", "://@@@/"] {
            let _ = redact_text(text);
        }
    }
}
