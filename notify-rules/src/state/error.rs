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

/// `host:port` of a PostgreSQL address (URL or key-value form), for messages:
/// never the user or the password.
#[cfg(feature = "postgres")]
pub(crate) fn where_is(url: &str) -> String {
    if let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    {
        let authority = rest.split(['/', '?']).next().unwrap_or("");
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host_port = if host_port.is_empty() {
            "localhost"
        } else {
            host_port
        };
        return if host_port.contains(':') && !host_port.ends_with(']') {
            host_port.to_owned()
        } else {
            format!("{host_port}:5432")
        };
    }
    // The key-value form: host=... port=...
    let mut host = "localhost";
    let mut port = "5432";
    for pair in url.split_whitespace() {
        match pair.split_once('=') {
            Some(("host", h)) => host = h,
            Some(("port", p)) => port = p,
            _ => {}
        }
    }
    format!("{host}:{port}")
}

#[cfg(all(test, feature = "postgres"))]
mod tests {
    use super::where_is;

    #[test]
    fn a_database_is_named_by_host_and_port_only() {
        assert_eq!(
            where_is("postgres://u:pw@db.example.com:6543/x"),
            "db.example.com:6543"
        );
        assert_eq!(
            where_is("postgresql://u:pw@db/x?sslmode=disable"),
            "db:5432"
        );
        assert_eq!(where_is("postgres:///x"), "localhost:5432");
        assert_eq!(where_is("host=h port=7 password=pw user=u"), "h:7");
    }
}
