//! The store's name for a PostgreSQL address, whatever its form, never
//! holds the password.

use super::{unreadable_address, where_is};

/// `url`'s place, checked to hold none of `secrets`.
fn place(url: &str, secrets: &[&str]) -> String {
    let place = where_is(url);
    for secret in secrets {
        assert!(!place.contains(secret), "{place:?} shows {secret:?}");
    }
    place
}

#[test]
fn a_database_is_named_by_host_and_port_only() {
    assert_eq!(
        place("postgres://u:pw@db.example.com:6543/x", &["pw", "u:"]),
        "db.example.com:6543"
    );
    assert_eq!(
        place("postgresql://u:pw@db/x?sslmode=disable", &["pw"]),
        "db:5432"
    );
    assert_eq!(place("host=h port=7 password=pw user=u", &["pw"]), "h:7");
}

#[test]
fn a_slash_or_question_mark_in_the_password_stays_hidden() {
    // The review's case: the name was "bob:hunter".
    assert_eq!(
        place("postgres://bob:hunter/2@127.0.0.1:1/db", &["hunter", "bob"]),
        "127.0.0.1:1"
    );
    assert_eq!(
        place("postgres://bob:a?b=c@db.example.com/db", &["a?b", "b=c"]),
        "db.example.com:5432"
    );
    assert_eq!(
        place("postgres://bob:x/y?z@[::1]:6/db?sslmode=require", &["x/y"]),
        "[::1]:6"
    );
}

#[test]
fn odd_characters_in_the_user_or_password_stay_hidden() {
    assert_eq!(
        place(
            "postgres://b%40b:p%40ss%2Fw%3F@db.example.com:7/x",
            &["p%40", "p@ss", "b@b"]
        ),
        "db.example.com:7"
    );
    assert_eq!(place("postgres://b:o:d d#@h/x", &["o:d", "d d"]), "h:5432");
    // A bare `@` in the password: the client takes the credentials up to the
    // first one, so the rest would be its host; it is not shown.
    assert_eq!(
        place("postgres://bob:p@ss@db.example.com/x", &["ss"]),
        "(a host that is not a name):5432"
    );
}

#[test]
fn the_key_value_form_hides_its_password_however_quoted() {
    assert_eq!(
        place("host=db port=7 password='a b\\' c' user=u", &["a b", " c"]),
        "db:7"
    );
    assert_eq!(place("password=host=x host=db", &["host=x"]), "db:5432");
}

#[test]
fn several_hosts_are_each_named() {
    assert_eq!(place("postgres://u:pw@h1:1,h2:2/db", &["pw"]), "h1:1,h2:2");
    assert_eq!(place("host=a,b port=9 password=pw", &["pw"]), "a:9,b:9");
    assert_eq!(
        place("hostaddr=10.0.0.1 password=pw", &["pw"]),
        "10.0.0.1:5432"
    );
}

#[cfg(unix)]
#[test]
fn a_unix_socket_is_named_by_its_file() {
    assert_eq!(
        place("host=/run/postgresql port=5433 password=pw", &["pw"]),
        "/run/postgresql/.s.PGSQL.5433"
    );
    assert_eq!(
        place("postgres://u:pw@%2Ftmp%2Fpg/db", &["pw"]),
        "/tmp/pg/.s.PGSQL.5432"
    );
    assert_eq!(
        place("postgres://u:pw@/db?host=/var/run/postgresql", &["pw"]),
        "/var/run/postgresql/.s.PGSQL.5432"
    );
}

#[test]
fn an_unreadable_address_shows_none_of_its_text() {
    for (url, secret) in [
        // A typo in the scheme makes it key=value text: all of it is the
        // first key.
        ("postgre://u:hunter2@h/db", "hunter2"),
        // A password with a space, unquoted: its second word is a key.
        ("host=h password=abc defg=1", "defg"),
        ("host=h password=abc defg hij", "hij"),
        ("postgres://u:a@b?cdef=1@h/db", "cdef"),
    ] {
        assert_eq!(where_is(url), "postgres", "{url}");
        let e = url.parse::<postgres::Config>().unwrap_err();
        let why = unreadable_address(&e);
        assert!(!why.contains(secret), "{why:?} shows {secret:?}");
        assert!(why.starts_with("the address cannot be read: "), "{why}");
    }
}

#[test]
fn an_unreadable_address_says_why_when_it_can() {
    let why = |url: &str| unreadable_address(&url.parse::<postgres::Config>().unwrap_err());
    assert_eq!(
        why("postgres://u:pw@h/db?sslmode=verify-full"),
        "the address cannot be read: invalid value for option `sslmode`"
    );
    assert_eq!(
        why("postgres://u:pw@h/db?sslrootcert=/etc/ca.pem"),
        "the address cannot be read: `sslrootcert` is not read by this client: \
         name the CA's file in [state] ca_file"
    );
    assert_eq!(
        why("host=h passfile=/x"),
        "the address cannot be read: the option `passfile` is not read by this client"
    );
    assert_eq!(
        why("host=h password='abc"),
        "the address cannot be read: unterminated quoted connection parameter value"
    );
}

#[test]
fn the_state_s_debug_shows_the_place_only() {
    let state = crate::state::State::postgres("postgres://bob:hunter/2@127.0.0.1:1/db");
    assert_eq!(format!("{state:?}"), "State::postgres(127.0.0.1:1)");
}
