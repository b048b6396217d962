//! The `sslmode` a store connects with and what it refuses, decided before
//! any connection (nothing here reaches the network).

use postgres::config::SslMode;

use super::{secure, PostgresTls};

/// The mode `url` is connected with, or the refusal's text.
fn mode(url: &str, tls: &PostgresTls) -> Result<SslMode, String> {
    let mut config: postgres::Config = url.parse().unwrap();
    secure(&mut config, tls, "here")
        .map(|_| config.get_ssl_mode())
        .map_err(|e| e.to_string())
}

#[test]
fn plain_text_with_a_password_off_this_machine_is_refused() {
    let why = mode(
        "postgres://u:hunter2@192.0.2.1/db?sslmode=disable",
        &PostgresTls::default(),
    )
    .unwrap_err();
    assert!(
        why.contains("sslmode=disable would send the password in clear"),
        "{why}"
    );
    assert!(why.contains("[state] allow_plaintext = true"), "{why}");
    assert!(!why.contains("hunter2"), "{why}");
    // The key-value form, and several hosts of which one is remote.
    assert!(mode(
        "host=db.example.com password=pw sslmode=disable",
        &PostgresTls::default()
    )
    .is_err());
    assert!(mode(
        "host=localhost,10.1.1.1 password=pw sslmode=disable",
        &PostgresTls::default()
    )
    .is_err());
}

#[test]
fn plain_text_is_for_this_machine_or_when_allowed() {
    let default = PostgresTls::default();
    for url in [
        "postgres://u:pw@127.0.0.1:5/db?sslmode=disable",
        "postgres://u:pw@localhost/db?sslmode=disable",
        "postgres://u:pw@[::1]/db?sslmode=disable",
        "host=/run/postgresql password=pw sslmode=disable",
        // The host names the certificate; the address connected to is local.
        "host=db.example.com hostaddr=127.0.0.1 password=pw sslmode=disable",
        // No password to read.
        "postgres://u@192.0.2.1/db?sslmode=disable",
    ] {
        assert_eq!(mode(url, &default), Ok(SslMode::Disable), "{url}");
    }
    let allowed = PostgresTls::default().allow_plaintext(true);
    assert_eq!(
        mode("postgres://u:pw@192.0.2.1/db?sslmode=disable", &allowed),
        Ok(SslMode::Disable)
    );
    // Allowed, prefer stays prefer: TLS if the server takes it.
    assert_eq!(
        mode("postgres://u:pw@192.0.2.1/db", &allowed),
        Ok(SslMode::Prefer)
    );
}

#[test]
fn prefer_is_require_off_this_machine_and_plain_on_it() {
    let default = PostgresTls::default();
    assert_eq!(
        mode("postgres://u:pw@192.0.2.1/db", &default),
        Ok(SslMode::Require)
    );
    assert_eq!(
        mode("postgres://u:pw@db.example.com/db?sslmode=prefer", &default),
        Ok(SslMode::Require)
    );
    assert_eq!(
        mode("postgres://u:pw@127.0.0.1/db", &default),
        Ok(SslMode::Disable)
    );
    // A CA named: TLS when the local server offers it, verified.
    let ca = temp_ca();
    let with_ca = PostgresTls::default().ca_file(ca.path());
    assert_eq!(
        mode("postgres://u:pw@127.0.0.1/db", &with_ca),
        Ok(SslMode::Prefer)
    );
    assert_eq!(
        mode("postgres://u:pw@127.0.0.1/db?sslmode=require", &default),
        Ok(SslMode::Require)
    );
}

#[test]
fn a_ca_file_that_cannot_be_used_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let why = mode(
        "postgres://u:pw@127.0.0.1/db?sslmode=require",
        &PostgresTls::default().ca_file(&missing),
    )
    .unwrap_err();
    assert!(
        why.contains(&format!(
            "the CA file {}: cannot be read",
            missing.display()
        )),
        "{why}"
    );
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let why = mode(
        "postgres://u:pw@127.0.0.1/db?sslmode=require",
        &PostgresTls::default().ca_file(&empty),
    )
    .unwrap_err();
    assert!(
        why.ends_with("holds no certificate (-----BEGIN CERTIFICATE-----)"),
        "{why}"
    );
}

/// A PEM file holding one CA certificate (made once with `openssl req
/// -x509`, its key thrown away: only its parsing matters here).
fn temp_ca() -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), include_str!("test-ca.pem")).unwrap();
    file
}
