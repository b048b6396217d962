//! The GoCD server's address, checked once, and the links made from it: to
//! a stage run and to an agent's page (`{link}`, and the buttons of rich
//! messages).

#[cfg(feature = "slack")]
use super::render::{push_agent_link, push_link};
#[cfg(feature = "slack")]
use crate::model::StageStatus;

const NOT_HTTP: &str = "must start with http:// or https://";
const NO_HOST: &str = "has no host";
const BAD_HOST: &str = "must have a host name or address, and a port from 1 to 65535 if any";

/// The server address, as the `url` crate writes it and without a trailing
/// `/`, or why it cannot be used (a phrase that never quotes it).
pub(crate) fn check_server_url(url: &str) -> Result<String, &'static str> {
    use url::ParseError;

    let text = url.trim();
    let parsed = url::Url::parse(text).map_err(|e| match e {
        ParseError::EmptyHost => NO_HOST,
        ParseError::InvalidPort
        | ParseError::InvalidIpv4Address
        | ParseError::InvalidIpv6Address
        | ParseError::InvalidDomainCharacter
        | ParseError::IdnaError => BAD_HOST,
        _ => NOT_HTTP,
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        Err(NOT_HTTP)
    } else if !parsed.username().is_empty() || parsed.password().is_some() {
        Err("must not hold a user or password (`user:pass@`)")
    } else if parsed.host_str().is_none_or(str::is_empty) {
        Err(NO_HOST)
    } else if parsed.port() == Some(0) || empty_port(text) {
        Err(BAD_HOST)
    } else if text.contains(char::is_whitespace) {
        // The url crate would percent-encode them, or drop tabs and newlines.
        Err("must not contain spaces")
    } else if parsed.query().is_some() {
        Err("must not have a query string (`?...`)")
    } else if parsed.fragment().is_some() {
        Err("must not have a fragment (`#...`)")
    } else {
        Ok(parsed.as_str().trim_end_matches('/').to_owned())
    }
}

/// `https://host:`, a colon with no port after it: the url crate takes it for
/// the default port, but it is more likely a port left out.
fn empty_port(text: &str) -> bool {
    text.split_once("://")
        .and_then(|(_, rest)| rest.split(['/', '?', '#']).next())
        .is_some_and(|authority| authority.ends_with(':'))
}

/// `<server>/go/pipelines/<name>/<counter>/<stage>/<counter>`: the stage run's
/// page, for a server address [`check_server_url`] took.
#[cfg(feature = "slack")]
pub(crate) fn stage_link(server: &str, status: &StageStatus) -> String {
    let mut out = String::with_capacity(server.len() + 64);
    push_link(&mut out, server, status);
    out
}

/// `<server>/go/agents/<uuid>/job_run_history`: the agent's page.
#[cfg(feature = "slack")]
pub(crate) fn agent_link(server: &str, uuid: &str) -> String {
    let mut out = String::with_capacity(server.len() + 64);
    push_agent_link(&mut out, server, uuid);
    out
}
