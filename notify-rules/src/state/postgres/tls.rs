//! TLS to the database: rustls (with ring, as the notifiers), certificates
//! always verified, and the password never sent in clear off this machine.
//!
//! `sslmode` is the address's: `disable` plain, `require` TLS or fail, and
//! `prefer` (the default) as libpq's but for two things. Off this machine
//! with a password, `prefer` is taken as `require`: a server that does not
//! take TLS is refused rather than sent the password in clear. On this
//! machine (a loopback address or a Unix socket), `prefer` without a CA file
//! is plain: the traffic never leaves it, and a local server's certificate
//! (Debian's own cluster has a self-signed one) would be refused.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use postgres::config::{Host, SslMode};
use rustls::pki_types::{pem::PemObject, CertificateDer};
use rustls::{ClientConfig, RootCertStore};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::super::StoreError;
use crate::util::{ip_is_loopback, is_loopback};

/// How a PostgreSQL store's connections are secured, beside the `sslmode`
/// of its address: the certificates trusted, and whether the password may
/// cross the network in clear.
///
/// ```
/// use notify_rules::state::{PostgresTls, State};
///
/// let tls = PostgresTls::default().ca_file("/etc/notify-rules/db-ca.pem");
/// let state = State::postgres_with_tls("postgres://notify:s3cret@db.internal/notify?sslmode=require", tls);
/// assert!(!format!("{state:?}").contains("s3cret"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct PostgresTls {
    ca_file: Option<PathBuf>,
    allow_plaintext: bool,
}

impl PostgresTls {
    /// Trusts the certificates of this PEM file (a private CA's) instead of
    /// the public roots: the server's certificate must chain to one of them.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// Lets the password go in clear to a server off this machine
    /// (`sslmode=disable`, or `prefer` with a server without TLS): only for
    /// a network where nobody else can read it.
    pub fn allow_plaintext(mut self, allow: bool) -> Self {
        self.allow_plaintext = allow;
        self
    }
}

/// What `secure` settled, to explain a refused connection.
#[derive(Debug, Clone)]
pub(super) struct Settled {
    /// `prefer` made `require`, since the password would go off this machine.
    pub(super) required_for_password: bool,
    /// The roots trusted, in words.
    pub(super) trusted: String,
}

/// Chooses the `sslmode` `config` is connected with, refusing one that would
/// send the password in clear off this machine, and makes the connector.
pub(super) fn secure(
    config: &mut postgres::Config,
    tls: &PostgresTls,
    place: &str,
) -> Result<(MakeRustlsConnect, Settled), StoreError> {
    let mode = config.get_ssl_mode();
    let exposed = config.get_password().is_some() && !is_local(config) && !tls.allow_plaintext;
    if mode == SslMode::Disable && exposed {
        return Err(StoreError::lasting(
            place,
            "sslmode=disable would send the password in clear to a server off this machine: \
             plain is for localhost, a loopback address or a Unix socket; use \
             sslmode=require (or prefer, the default), or set [state] allow_plaintext = true \
             on a network nobody else can read",
        ));
    }
    let required_for_password = mode == SslMode::Prefer && exposed;
    if required_for_password {
        config.ssl_mode(SslMode::Require);
    } else if mode == SslMode::Prefer && is_local(config) && tls.ca_file.is_none() {
        config.ssl_mode(SslMode::Disable);
    }
    let (roots, trusted) = roots(tls.ca_file.as_deref(), place)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::lasting(place, format!("TLS cannot be set up: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // What PostgreSQL 17 asks of a direct TLS start (`sslnegotiation=direct`);
    // older servers ignore it.
    client.alpn_protocols = vec![b"postgresql".to_vec()];
    let settled = Settled {
        required_for_password,
        trusted,
    };
    Ok((MakeRustlsConnect::new(client), settled))
}

/// Whether every address the client may connect to is on this machine: a
/// `hostaddr` where one is given (the host is then only the certificate's
/// name), else the host.
fn is_local(config: &postgres::Config) -> bool {
    let (hosts, addrs) = (config.get_hosts(), config.get_hostaddrs());
    (0..hosts.len().max(addrs.len())).all(|i| match (addrs.get(i), hosts.get(i)) {
        (Some(ip), _) => ip_is_loopback(*ip),
        (None, Some(Host::Tcp(h))) => is_loopback(h),
        #[cfg(unix)]
        (None, Some(Host::Unix(_))) => true,
        (None, None) => true,
    })
}

/// The roots a server's certificate must chain to: the CA file's, or the
/// public (Mozilla's) ones.
fn roots(ca_file: Option<&Path>, place: &str) -> Result<(RootCertStore, String), StoreError> {
    let Some(path) = ca_file else {
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        return Ok((
            roots,
            "the public roots (a private CA is named by [state] ca_file)".to_owned(),
        ));
    };
    let shown = path.display();
    let bad = |why: String| StoreError::lasting(place, format!("the CA file {shown}: {why}"));
    let pem = std::fs::read(path).map_err(|e| bad(format!("cannot be read: {e}")))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("is not PEM: {e}")))?;
    if certs.is_empty() {
        return Err(bad(
            "holds no certificate (-----BEGIN CERTIFICATE-----)".to_owned()
        ));
    }
    let mut roots = RootCertStore::empty();
    let (added, refused) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(bad(format!(
            "none of its {refused} certificates can be used as a root"
        )));
    }
    Ok((roots, format!("the CA file {shown}")))
}

/// `e`, a connection's failure, with what to do when it is TLS's: the
/// server's certificate refused, or a server without TLS where the password
/// would leave this machine.
pub(super) fn explain(e: &postgres::Error, settled: &Settled) -> String {
    if let Some(rustls::Error::InvalidCertificate(why)) = rustls_error(e) {
        return format!(
            "the server's certificate is refused ({why}); trusted: {}",
            settled.trusted
        );
    }
    if let Some(e) = rustls_error(e) {
        return format!("TLS with the server failed: {e}");
    }
    let text = e.to_string();
    if settled.required_for_password && text.contains("server does not support TLS") {
        return "the server does not take TLS, and the password is not sent in clear off \
                this machine: give the server TLS (ssl = on), or set [state] \
                allow_plaintext = true on a network nobody else can read"
            .to_owned();
    }
    text
}

/// The rustls error under a failed handshake: `tokio-rustls` wraps it in an
/// `io::Error`, which the client keeps as its source.
fn rustls_error(e: &postgres::Error) -> Option<&rustls::Error> {
    let source = std::error::Error::source(e)?;
    let io = source.downcast_ref::<std::io::Error>()?;
    io.get_ref()?.downcast_ref::<rustls::Error>()
}

#[cfg(test)]
#[path = "tls_tests.rs"]
mod tests;
