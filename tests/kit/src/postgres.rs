//! The PostgreSQL server the tests share: its address comes from
//! `NOTIFY_RULES_TEST_POSTGRES` (`.ci/with-postgres` starts one and sets it).
//! Without it a test is skipped with a note, except under CI (`CI` set),
//! where a missing server is a failure.

/// The variable holding the server's address.
pub const VAR: &str = "NOTIFY_RULES_TEST_POSTGRES";

/// A new, empty database named `name` on the test server (dropped first if
/// a previous run left it), and its address; `None`, with a note, when no
/// server is configured outside CI.
///
/// # Panics
/// Under CI without a server, or when the server cannot be reached.
pub fn database(name: &str) -> Option<String> {
    let url = set(VAR, "PostgreSQL")?;
    let mut client = connect(&url);
    // One statement each: neither may run inside a transaction block.
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .unwrap();
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let (base, _) = url.rsplit_once('/').expect("a URL ending in /DATABASE");
    Some(format!("{base}/{name}"))
}

/// The password in a test server's address, to check that nothing shows it.
pub fn password(url: &str) -> String {
    let authority = url.split("://").nth(1).unwrap_or("");
    let userinfo = authority.split('@').next().unwrap_or("");
    userinfo.split(':').nth(1).unwrap_or("").to_owned()
}

/// The variable holding the file of the CA that signed the test server's
/// certificate (for 127.0.0.1 and localhost).
pub const CA_VAR: &str = "NOTIFY_RULES_TEST_POSTGRES_CA";

/// The test server's CA file; `None`, with a note, when it is not set outside
/// CI (a server without TLS).
///
/// # Panics
/// Under CI without it.
pub fn ca_file() -> Option<std::path::PathBuf> {
    set(CA_VAR, "PostgreSQL TLS").map(Into::into)
}

/// `var`'s value, which the `what` tests need; `None`, with a note, when it
/// is not set outside CI.
fn set(var: &str, what: &str) -> Option<String> {
    let Ok(value) = std::env::var(var) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but {var} is not: the {what} tests must run (see .ci/with-postgres)"
        );
        eprintln!("note: {var} is not set: skipping a {what} test (see README, Tests)");
        return None;
    };
    Some(value)
}

/// The `notify-rules` sessions on the test server's database `name`: how
/// many are over TLS, of how many.
///
/// # Panics
/// When the server cannot be reached or asked.
pub fn sessions(name: &str) -> (i64, i64) {
    let url = std::env::var(VAR).expect("the test server's address");
    let row = connect(&url)
        .query_one(
            "SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM pg_stat_ssl s \
             JOIN pg_stat_activity a USING (pid) \
             WHERE a.datname = $1 AND a.application_name = 'notify-rules'",
            &[&name],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

/// A client of the test server (plain: it is on 127.0.0.1).
fn connect(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("{VAR}: cannot reach the test server: {e}"))
}
