//! The fragments of a webhook's URL and headers that a receiver may quote back
//! in an error answer, each of which must be hidden from messages.

/// Fragments shorter than this are not hidden: they would cut ordinary words
/// out of messages, and say little about a secret.
pub(crate) const MIN_SECRET: usize = 4;

/// Path segments at least this long are hidden on their own: webhook services
/// put their token in one segment (`/services/T0/B0/XXXX`), and receivers quote
/// the last one back.
const MIN_SEGMENT: usize = 5;

/// The secret parts of a URL: everything but its scheme and host.
pub(crate) fn url_secrets(url: &str) -> Vec<String> {
    let mut out = vec![url.to_owned()];
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let auth_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(auth_len);
    if let Some(at) = authority.rfind('@') {
        let userinfo = &authority[..at];
        out.push(userinfo.to_owned());
        out.push(format!("{userinfo}@"));
        if let Some((user, password)) = userinfo.split_once(':') {
            out.push(user.to_owned());
            out.push(password.to_owned());
        }
        // Sent as a `Basic` Authorization header, which a receiver may echo.
        out.push(base64_encoded(userinfo.as_bytes()));
        if let Some(plain) = percent_decoded(userinfo) {
            out.push(base64_encoded(plain.as_bytes()));
        }
    }
    if tail.len() > 1 {
        // Everything after the host, as a receiver sees it in its request line.
        out.push(tail.to_owned());
    }
    let (before_fragment, fragment) = tail.split_once('#').unwrap_or((tail, ""));
    let (path, query) = before_fragment
        .split_once('?')
        .unwrap_or((before_fragment, ""));
    if path.len() > 1 {
        out.push(path.to_owned());
    }
    out.extend(
        path.split('/')
            .filter(|segment| segment.len() >= MIN_SEGMENT)
            .map(str::to_owned),
    );
    for params in [query, fragment] {
        if params.is_empty() {
            continue;
        }
        out.push(params.to_owned());
        for pair in params.split(['&', ';']) {
            out.push(pair.to_owned());
            if let Some((_, value)) = pair.split_once('=') {
                out.push(value.to_owned());
            }
        }
    }
    out
}

/// The secret parts of a header value: all of it, and the credential after an
/// auth scheme, decoded too when it is `Basic` (`user:password` in base64).
pub(crate) fn header_secrets(value: &str) -> Vec<String> {
    let value = value.trim();
    let mut out = vec![value.to_owned()];
    if let Some((scheme, credential)) = value.split_once(char::is_whitespace) {
        let credential = credential.trim();
        out.push(credential.to_owned());
        out.extend(credential.split_whitespace().map(str::to_owned));
        if scheme.eq_ignore_ascii_case("basic") {
            if let Some(plain) = base64_decoded(credential) {
                if let Some((user, password)) = plain.split_once(':') {
                    out.push(user.to_owned());
                    out.push(password.to_owned());
                }
                out.push(plain);
            }
        }
    }
    out
}

/// `%XX` escapes decoded, when there are any and they make UTF-8.
pub(crate) fn percent_decoded(text: &str) -> Option<String> {
    if !text.contains('%') && !text.contains('+') {
        return None;
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok().filter(|s| s != text)
}

/// Standard base64 (padding optional) decoded to UTF-8 text.
fn base64_decoded(text: &str) -> Option<String> {
    let mut bits: u32 = 0;
    let mut count = 0;
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for c in text.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    String::from_utf8(out).ok()
}

fn base64_encoded(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoders_take_odd_input() {
        assert_eq!(percent_decoded("a%20b+c"), Some("a b c".to_owned()));
        assert_eq!(percent_decoded("50%"), None);
        assert_eq!(percent_decoded("%zz%4"), None);
        assert_eq!(percent_decoded("%ff"), None);
        assert_eq!(
            base64_decoded("Ym9iOnBhNTV3b3Jk"),
            Some("bob:pa55word".to_owned())
        );
        assert_eq!(base64_decoded("not base64!"), None);
        for plain in ["", "a", "ab", "abc", "abcd", "bob:pa55word"] {
            let encoded = base64_encoded(plain.as_bytes());
            assert_eq!(
                base64_decoded(&encoded).as_deref(),
                Some(plain),
                "{encoded}"
            );
        }
        assert_eq!(base64_encoded(b"deploy:hunter2"), "ZGVwbG95Omh1bnRlcjI=");
    }
}
