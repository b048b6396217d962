//! A JSON POST to a URL that must stay secret, shared by the webhook and Slack
//! notifiers.

use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use super::secrets::{header_secrets, percent_decoded, url_secrets, MIN_SECRET};
use super::{scrub, show_duration, ConfigError, NotifyError};

/// How long a receiver may take, unless configured: short, since GoCD waits for
/// the plugin's answer.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest time-out used: a year is no limit in practice, and adding it to
/// the clock cannot overflow.
pub(crate) const MAX_TIMEOUT: Duration = Duration::from_secs(365 * 86_400);

/// How much of an error answer's body is quoted in the error.
const BODY_SNIPPET: usize = 200;

pub(crate) struct Poster {
    agent: ureq::Agent,
    url: String,
    timeout: Duration,
    headers: Vec<(String, String)>,
    /// Every fragment of the URL and the headers a receiver could quote back,
    /// longest first (see [`Poster::secrets`]).
    secrets: Vec<String>,
}

impl Poster {
    /// Checks the URL without ever quoting it back.
    pub(crate) fn new(notifier: &'static str, url: &str) -> Result<Poster, ConfigError> {
        let uri: ureq::http::Uri = url.parse().map_err(|_| {
            ConfigError::new(
                notifier,
                "the URL is not a valid URL (it is not shown: it may hold a secret)",
            )
        })?;
        match uri.scheme_str() {
            Some("http") | Some("https") => {}
            _ => {
                return Err(ConfigError::new(
                    notifier,
                    "the URL must start with http:// or https://",
                ))
            }
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(ConfigError::new(notifier, "the URL has no host"));
        }
        let mut poster = Poster {
            agent: agent(DEFAULT_TIMEOUT),
            url: url.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            headers: Vec::new(),
            secrets: Vec::new(),
        };
        poster.secrets = poster.collect_secrets();
        Ok(poster)
    }

    pub(crate) fn set_timeout(&mut self, timeout: Duration) {
        // The HTTP client adds the time-out to the clock, which overflows (and
        // panics) for `Duration::MAX`, a natural way to say "no limit".
        let timeout = timeout.min(MAX_TIMEOUT);
        self.timeout = timeout;
        self.agent = agent(timeout);
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    // Slack takes no headers.
    #[cfg(feature = "webhook")]
    pub(crate) fn add_header(
        &mut self,
        notifier: &'static str,
        name: &str,
        value: &str,
    ) -> Result<(), ConfigError> {
        // Checked here so that a bad header is a configuration error, not a
        // failure of every delivery.
        ureq::http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            ConfigError::new(
                notifier,
                format!("`{name}` is not a valid HTTP header name"),
            )
        })?;
        ureq::http::HeaderValue::from_str(value).map_err(|_| {
            ConfigError::new(
                notifier,
                format!("the value of header `{name}` is not a valid header value"),
            )
        })?;
        self.headers.push((name.to_owned(), value.to_owned()));
        self.secrets = self.collect_secrets();
        Ok(())
    }

    #[cfg(feature = "webhook")]
    pub(crate) fn header_names(&self) -> Vec<&str> {
        self.headers.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The URL's host, which is not secret (the path and the user info may be).
    pub(crate) fn host(&self) -> String {
        host_of(&self.url)
    }

    /// POSTs a JSON body. Statuses 408, 429 and 5xx, time-outs and connection
    /// failures are retryable; other statuses outside 2xx are permanent.
    pub(crate) fn post_json(
        &self,
        body: &[u8],
        idempotency_key: Option<&str>,
    ) -> Result<(), NotifyError> {
        let mut req = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json");
        if let Some(key) = idempotency_key {
            req = req.header("Idempotency-Key", header_safe(key));
        }
        for (name, value) in &self.headers {
            req = req.header(name.as_str(), value.as_str());
        }
        let mut resp = req.send(body).map_err(|e| self.transport_error(e))?;
        let code = resp.status().as_u16();
        if (200..300).contains(&code) {
            return Ok(());
        }
        // Secrets are taken out before the answer is cut short, so that a cut
        // through one does not leave its beginning in sight.
        let snippet = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_string()
            .map(|text| {
                let text = scrub(text.trim(), &self.secrets());
                match text.char_indices().nth(BODY_SNIPPET) {
                    Some((cut, _)) => format!(": {}...", &text[..cut]),
                    None if text.is_empty() => String::new(),
                    None => format!(": {text}"),
                }
            })
            .unwrap_or_default();
        let message = format!("the receiver answered HTTP {code}{snippet}");
        Err(match code {
            408 | 429 | 500..=599 => NotifyError::retryable(message),
            300..=399 => NotifyError::permanent(format!("{message} (redirects are not followed)")),
            _ => NotifyError::permanent(message),
        })
    }

    fn secrets(&self) -> Vec<&str> {
        self.secrets.iter().map(String::as_str).collect()
    }

    /// What a receiver may quote back that must not reach a message: the URL,
    /// its user information, its path and each path segment, its query and each
    /// query value, and each header value with the credential after an auth
    /// scheme (`Bearer X`, `Basic X`, `token X`), also percent- or
    /// base64-decoded. Fragments the host holds are not secret (it is shown),
    /// and hiding them would hide the host. Longest first, so that a whole URL
    /// is hidden before its parts.
    fn collect_secrets(&self) -> Vec<String> {
        let mut secrets = url_secrets(&self.url);
        for (_, value) in &self.headers {
            secrets.extend(header_secrets(value));
        }
        let host = self.host();
        let mut decoded: Vec<String> = secrets.iter().filter_map(|s| percent_decoded(s)).collect();
        secrets.append(&mut decoded);
        secrets.retain(|s| s.len() >= MIN_SECRET && !host.contains(s.as_str()));
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        secrets
    }

    fn transport_error(&self, e: ureq::Error) -> NotifyError {
        let message = transport_message(&e, &self.host(), self.timeout);
        NotifyError::retryable(scrub(&message, &self.secrets()))
    }
}

/// A URL's host, which is not secret (its path and user info may be).
pub(crate) fn host_of(url: &str) -> String {
    url.parse::<ureq::http::Uri>()
        .ok()
        .and_then(|u| u.host().map(str::to_owned))
        .unwrap_or_default()
}

/// Why a request to `host` got no answer, in words; not yet scrubbed.
pub(crate) fn transport_message(e: &ureq::Error, host: &str, timeout: Duration) -> String {
    match e {
        ureq::Error::Timeout(_) => format!("no answer within {}", show_duration(timeout)),
        ureq::Error::HostNotFound => format!("host `{host}` not found"),
        ureq::Error::ConnectionFailed => format!("could not connect to `{host}`"),
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => format!("`{host}` refused the connection"),
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                format!("no answer within {}", show_duration(timeout))
            }
            _ => format!("could not talk to `{host}`: {io}"),
        },
        other => format!("could not talk to `{host}`: {other}"),
    }
}

pub(crate) fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(concat!("notify-rules/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// A header value carries visible ASCII only; anything else (a non-ASCII target
/// name, a space, a control) is percent-encoded, and so is `%`, so the key stays
/// unique and the request valid.
const HEADER_UNSAFE: &AsciiSet = &CONTROLS.add(b' ').add(b'%');

fn header_safe(key: &str) -> String {
    utf8_percent_encode(key, HEADER_UNSAFE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_urls_are_refused_without_quoting_them() {
        for url in [
            "not a url s3cr3t",
            "ftp://s3cr3t.example/x",
            "https:///path-only-s3cr3t",
        ] {
            let e = Poster::new("webhook", url)
                .err()
                .unwrap_or_else(|| panic!("{url} accepted"));
            assert!(!e.to_string().contains("s3cr3t"), "{e}");
        }
        assert!(Poster::new("webhook", "http://127.0.0.1:9/x").is_ok());
    }

    #[test]
    fn bad_headers_are_configuration_errors() {
        let mut p = Poster::new("webhook", "http://127.0.0.1:9/x").unwrap();
        assert!(p.add_header("webhook", "bad header", "v").is_err());
        assert!(p.add_header("webhook", "X-Ok", "line\nbreak").is_err());
        p.add_header("webhook", "Authorization", "Bearer t0ken")
            .unwrap();
        assert_eq!(p.header_names(), ["Authorization"]);
    }

    #[test]
    fn refused_connections_are_retryable_and_hide_the_path() {
        // Port 9 (discard) on loopback is closed on a test machine; any failure
        // to connect gives a retryable error.
        let mut p = Poster::new(
            "webhook",
            "http://user:pa55w0rd@127.0.0.1:9/hooks/T0/B0/s3cr3t",
        )
        .unwrap();
        p.set_timeout(Duration::from_millis(500));
        let e = p.post_json(b"{}", Some("k")).unwrap_err();
        assert!(!e.is_permanent(), "{e:?}");
        let text = e.to_string();
        assert!(
            !text.contains("s3cr3t") && !text.contains("pa55w0rd"),
            "{text}"
        );
        assert!(text.contains("127.0.0.1"), "{text}");
    }

    #[test]
    fn every_fragment_of_the_url_and_headers_is_a_secret() {
        let mut p = Poster::new(
            "webhook",
            "https://deploy:hunter2@hooks.example.com/services/T0/B0/s3cr3tseg?ref=main&token=qv4lue#frag=f4agment",
        )
        .unwrap();
        p.add_header("webhook", "Authorization", "Bearer t0kenvalue")
            .unwrap();
        p.add_header("webhook", "X-Basic", "Basic Ym9iOnBhNTV3b3Jk")
            .unwrap();
        let text = "echo deploy:hunter2 hunter2 ZGVwbG95Omh1bnRlcjI= /services/T0/B0/s3cr3tseg \
                    s3cr3tseg services ?ref=main&token=qv4lue qv4lue f4agment t0kenvalue \
                    Ym9iOnBhNTV3b3Jk bob:pa55word pa55word at hooks.example.com";
        let shown = scrub(text, &p.secrets());
        for secret in [
            "hunter2",
            "ZGVwbG95",
            "s3cr3tseg",
            "services",
            "qv4lue",
            "f4agment",
            "t0kenvalue",
            "Ym9i",
            "pa55word",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("at hooks.example.com"), "{shown}");
    }

    #[test]
    fn a_query_without_a_path_is_hidden() {
        let p = Poster::new("webhook", "http://127.0.0.1:18999?token=s3cr3tq").unwrap();
        let shown = scrub("invalid /?token=s3cr3tq and s3cr3tq", &p.secrets());
        assert!(!shown.contains("s3cr3tq"), "{shown}");
    }

    #[test]
    fn keys_become_valid_header_values() {
        assert_eq!(
            header_safe("shop/3/deploy/1/Failed/r0a0/ops"),
            "shop/3/deploy/1/Failed/r0a0/ops"
        );
        assert_eq!(header_safe("a b%é"), "a%20b%25%C3%A9");
        assert_eq!(header_safe("\t\x7f~!"), "%09%7F~!");
    }
}
