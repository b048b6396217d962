//! Checking that a request comes from a forwarder that knows the shared secret.
//!
//! The getsentry forwarder sends `x-gocd-signature: <hex>` and kzrbill's
//! `X-Hub-Signature: sha256=<hex>` (GitHub's `X-Hub-Signature-256` has the same
//! form); each is the HMAC-SHA256 of the raw body under the shared secret.

use std::fmt;

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The headers a signature may come in, lower case as `http` keeps them.
const GOCD_HEADER: &str = "x-gocd-signature";
const HUB_HEADERS: [&str; 2] = ["x-hub-signature", "x-hub-signature-256"];

/// A shared secret. Its `Debug` output never shows the value.
///
/// ```
/// use notify_rules::server::Secret;
///
/// let secret = Secret::new("s3cret");
/// assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
/// // What a forwarder puts in `x-gocd-signature` for an empty body:
/// assert_eq!(secret.sign(b"").len(), 64);
/// ```
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// A secret from its text.
    pub fn new(secret: impl Into<String>) -> Self {
        Secret(secret.into().into_bytes())
    }

    /// The hex HMAC-SHA256 of `body`: the value a forwarder sends in
    /// `x-gocd-signature` (and after `sha256=` in `X-Hub-Signature`).
    pub fn sign(&self, body: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(body);
        let bytes = mac.finalize().into_bytes();
        let mut out = String::with_capacity(bytes.len() * 2);
        for b in bytes {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        out
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
        match HmacSha256::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts keys of every length"),
        }
    }

    /// Whether `hex` is the signature of `body`, compared in constant time.
    fn verifies(&self, body: &[u8], hex: &str) -> bool {
        let Some(expected) = decode_hex(hex.trim()) else {
            return false;
        };
        let mut mac = self.mac();
        mac.update(body);
        mac.verify_slice(&expected).is_ok()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let bytes = text.as_bytes();
    if bytes.len() % 2 != 0 {
        return None;
    }
    bytes
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// Why a request's signature was refused. The text names the headers, never
/// the secret nor the expected value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refused {
    /// No signature header at all.
    Missing,
    /// A signature header whose value is not the body's signature.
    Wrong(&'static str),
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::Missing => f.write_str(
                "missing signature: this server has a shared secret; send x-gocd-signature: <hex HMAC-SHA256 of the body> \
                 or X-Hub-Signature: sha256=<hex>",
            ),
            Refused::Wrong(header) => write!(f, "wrong signature in {header}: it is not the HMAC-SHA256 of the body under the shared secret"),
        }
    }
}

/// Whether the request carries any signature header, checked before its body
/// is read: a request without one is refused at once, so unsigned senders
/// cannot make the server hold their bodies.
pub(crate) fn present(headers: &HeaderMap) -> bool {
    std::iter::once(GOCD_HEADER)
        .chain(HUB_HEADERS)
        .any(|h| headers.contains_key(h))
}

/// Checks every signature header present; at least one must be, and each one
/// present must be right, so a forwarder sending both cannot smuggle a wrong one.
pub(crate) fn check(secret: &Secret, headers: &HeaderMap, body: &[u8]) -> Result<(), Refused> {
    let mut seen = false;
    for value in headers.get_all(GOCD_HEADER) {
        seen = true;
        let ok = value.to_str().is_ok_and(|v| secret.verifies(body, v));
        if !ok {
            return Err(Refused::Wrong(GOCD_HEADER));
        }
    }
    for header in HUB_HEADERS {
        for value in headers.get_all(header) {
            seen = true;
            let ok = value
                .to_str()
                .ok()
                .and_then(|v| v.trim().strip_prefix("sha256="))
                .is_some_and(|v| secret.verifies(body, v));
            if !ok {
                return Err(Refused::Wrong(if header == HUB_HEADERS[0] {
                    "X-Hub-Signature"
                } else {
                    "X-Hub-Signature-256"
                }));
            }
        }
    }
    if seen {
        Ok(())
    } else {
        Err(Refused::Missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn sign_matches_rfc_4231_case_2() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            Secret::new("Jefe").sign(b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn accepts_either_header_style_in_any_hex_case() {
        let s = Secret::new("k");
        let sig = s.sign(b"body");
        assert_eq!(
            check(&s, &headers(&[("x-gocd-signature", &sig)]), b"body"),
            Ok(())
        );
        let hub = format!("sha256={}", sig.to_uppercase());
        assert_eq!(
            check(&s, &headers(&[("x-hub-signature", &hub)]), b"body"),
            Ok(())
        );
        assert_eq!(
            check(&s, &headers(&[("x-hub-signature-256", &hub)]), b"body"),
            Ok(())
        );
    }

    #[test]
    fn refuses_missing_wrong_malformed_and_mixed() {
        let s = Secret::new("k");
        let sig = s.sign(b"body");
        assert_eq!(check(&s, &HeaderMap::new(), b"body"), Err(Refused::Missing));
        assert_eq!(
            check(&s, &headers(&[("x-gocd-signature", &sig)]), b"other"),
            Err(Refused::Wrong("x-gocd-signature"))
        );
        assert_eq!(
            check(&s, &headers(&[("x-gocd-signature", "zz")]), b"body"),
            Err(Refused::Wrong("x-gocd-signature"))
        );
        assert_eq!(
            check(&s, &headers(&[("x-gocd-signature", &sig[1..])]), b"body"),
            Err(Refused::Wrong("x-gocd-signature"))
        );
        // Without the `sha256=` prefix the hub header is wrong, even with the right hex.
        assert_eq!(
            check(&s, &headers(&[("x-hub-signature", &sig)]), b"body"),
            Err(Refused::Wrong("X-Hub-Signature"))
        );
        let both = headers(&[("x-gocd-signature", &sig), ("x-hub-signature", "sha256=00")]);
        assert_eq!(
            check(&s, &both, b"body"),
            Err(Refused::Wrong("X-Hub-Signature"))
        );
    }

    #[test]
    fn messages_never_hold_the_secret_or_the_signature() {
        let s = Secret::new("topsecret");
        let sig = s.sign(b"b");
        for refused in [Refused::Missing, Refused::Wrong("x-gocd-signature")] {
            let text = refused.to_string();
            assert!(
                !text.contains("topsecret") && !text.contains(&sig),
                "{text}"
            );
        }
        assert!(!format!("{s:?}").contains("topsecret"));
    }
}
