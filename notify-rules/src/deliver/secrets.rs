//! The fragments of a webhook's URL and headers that a receiver may quote back
//! in an error answer, each of which must be hidden from messages.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

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

/// `%XX` escapes decoded (and `+` as a space, as forms write it), when there
/// are any and they make UTF-8.
pub(crate) fn percent_decoded(text: &str) -> Option<String> {
    if !text.contains(['%', '+']) {
        return None;
    }
    let spaced = text.replace('+', " ");
    let decoded = percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()?;
    Some(decoded.into_owned()).filter(|s| s != text)
}

/// Decoding takes what people and libraries write: padding or none, and
/// stray bits at the end.
const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);

/// Base64 (the standard alphabet, or the URL-safe one; padding optional)
/// decoded to UTF-8 text.
fn base64_decoded(text: &str) -> Option<String> {
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);
    let bytes = STANDARD
        .decode(text)
        .or_else(|_| URL_SAFE.decode(text))
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// Standard base64 with padding, as a `Basic` Authorization header has it.
fn base64_encoded(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
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
        // Unpadded, URL-safe, and with stray bits at the end.
        assert_eq!(
            base64_decoded("ZGVwbG95Omh1bnRlcjI").as_deref(),
            Some("deploy:hunter2")
        );
        assert_eq!(base64_decoded("Pz8-Pw").as_deref(), Some("??>?"));
        assert_eq!(base64_decoded("YR").as_deref(), Some("a"));
        assert_eq!(percent_decoded("a%2Bb+c"), Some("a+b c".to_owned()));
    }
}
