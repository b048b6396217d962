//! What goes wrong with a store, in words that name the file or the host and
//! port, and never a password.

/// A state store could not be opened, read or written. Its text names the
/// SQLite file, or the PostgreSQL host and port; never a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("state store {place}: {message}")]
pub struct StoreError {
    place: String,
    message: String,
    /// Whether it is the store being out of reach (locked, full, down) rather
    /// than something a retry will not mend (a newer schema).
    transient: bool,
}

impl StoreError {
    pub(crate) fn new(place: impl Into<String>, message: impl Into<String>) -> Self {
        StoreError {
            place: place.into(),
            message: message.into(),
            transient: true,
        }
    }

    /// What retrying will not mend (a schema this build cannot use, a store
    /// no command can reach).
    pub(crate) fn lasting(place: impl Into<String>, message: impl Into<String>) -> Self {
        StoreError {
            transient: false,
            ..StoreError::new(place, message)
        }
    }

    /// This error again, for an operation not tried because the store is
    /// left alone for `left` more after it.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) fn waiting(&self, left: std::time::Duration) -> StoreError {
        StoreError {
            place: self.place.clone(),
            message: format!(
                "{} (the store is left alone after failures: tried again in {})",
                self.message,
                crate::util::show_age(left)
            ),
            transient: true,
        }
    }

    /// The file, or `host:port`, the error is about.
    pub fn place(&self) -> &str {
        &self.place
    }

    /// Whether the store may answer again later (a lock held, a full disk, a
    /// server down), as opposed to a schema this build cannot use.
    pub fn is_transient(&self) -> bool {
        self.transient
    }
}

/// The place of a PostgreSQL address that cannot be read: its text may be
/// all password.
#[cfg(feature = "postgres")]
pub(crate) const UNREADABLE_PLACE: &str = "postgres";

/// `host:port` of a PostgreSQL address (URL or key-value form), for messages:
/// never the user or the password. Read by the client's own parser, so that
/// what is shown is what it connects to, whatever characters the user or
/// password hold.
#[cfg(feature = "postgres")]
pub(crate) fn where_is(url: &str) -> String {
    url.parse::<postgres::Config>()
        .map_or_else(|_| UNREADABLE_PLACE.to_owned(), |c| place_of(&c))
}

/// Each host the client tries, in order, with its port: `host:port`,
/// `[::1]:port`, or a Unix socket's file.
#[cfg(feature = "postgres")]
pub(crate) fn place_of(config: &postgres::Config) -> String {
    use postgres::config::Host;
    let (hosts, addrs, ports) = (
        config.get_hosts(),
        config.get_hostaddrs(),
        config.get_ports(),
    );
    let n = hosts.len().max(addrs.len());
    if n == 0 {
        return "postgres (no host)".to_owned();
    }
    let each = (0..n).map(|i| {
        // As the client: one port for all, or one for each host.
        let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
        match hosts.get(i) {
            Some(Host::Tcp(h)) => host_port(shown_host(h), port),
            #[cfg(unix)]
            Some(Host::Unix(dir)) => format!("{}/.s.PGSQL.{port}", dir.display()),
            None => host_port(&addrs[i].to_string(), port),
        }
    });
    each.collect::<Vec<_>>().join(",")
}

#[cfg(feature = "postgres")]
fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `host` when it can be a host name or an IP address; else a word for it.
/// The URL parser takes the credentials up to the first `@`, so a password
/// with a bare `@` leaves its end in the host: it is never shown.
#[cfg(feature = "postgres")]
fn shown_host(host: &str) -> &str {
    if is_host_name(host) {
        host
    } else {
        "(a host that is not a name)"
    }
}

/// Letters, digits and `.-_` (names), `:` and `%` (IPv6 and its zone).
#[cfg(feature = "postgres")]
pub(crate) fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_:%".contains(c))
}

/// Why an address cannot be read, in the parser's words where they cannot
/// hold a piece of it: an option it does not know is named only when it is
/// one of libpq's (a word of a password split by a space could be anything).
#[cfg(feature = "postgres")]
pub(crate) fn unreadable_address(e: &postgres::Error) -> String {
    use std::error::Error as _;
    /// libpq's options that this client does not read.
    const LIBPQ_ONLY: &[&str] = &[
        "sslrootcert",
        "sslcert",
        "sslkey",
        "sslpassword",
        "sslcrl",
        "sslcrldir",
        "sslsni",
        "sslcompression",
        "sslcertmode",
        "ssl_min_protocol_version",
        "ssl_max_protocol_version",
        "requiressl",
        "passfile",
        "service",
        "gssencmode",
        "gsslib",
        "gssdelegation",
        "krbsrvname",
        "requirepeer",
        "require_auth",
        "fallback_application_name",
        "client_encoding",
        "replication",
    ];
    let cause = e.source().map(|c| c.to_string()).unwrap_or_default();
    let why = if let Some(option) = cause
        .strip_prefix("unknown option `")
        .and_then(|o| o.strip_suffix('`'))
    {
        if option == "sslrootcert" {
            "`sslrootcert` is not read by this client: name the CA's file in [state] ca_file"
                .to_owned()
        } else if LIBPQ_ONLY.contains(&option) {
            format!("the option `{option}` is not read by this client")
        } else {
            "an option this client does not know (or a value with a space, to be quoted \
             in the key-value form)"
                .to_owned()
        }
    } else if let Some((at, _)) = cause.split_once(": expected") {
        // "unexpected character at byte N: expected `=` but got `x`"
        at.to_owned()
    } else if cause.starts_with("invalid value for option `")
        || cause.starts_with("invalid utf-8")
        || cause.starts_with("incomplete utf-8")
        || [
            "unexpected EOF",
            "unterminated quoted connection parameter value",
            "unterminated parameter",
        ]
        .contains(&cause.as_str())
    {
        cause
    } else {
        "it is neither a postgres:// URL nor key=value pairs".to_owned()
    };
    format!("the address cannot be read: {why}")
}

#[cfg(all(test, feature = "postgres"))]
#[path = "error_tests.rs"]
mod tests;
