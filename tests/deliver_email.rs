//! The e-mail notifier against a real SMTP server (mailin-embedded) on 127.0.0.1:
//! plain on loopback, and STARTTLS with a login, through a `Plugin`.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailin_embedded::{response, AuthMechanism, Handler, Response, Server, SslConfig};
use notify_rules::deliver::{Email, Security, Subject};
use notify_rules::{rules, Plugin};
use notify_rules_test_kit::{body, messages, temp_dir};

#[derive(Debug, Clone, Default)]
struct Mail {
    from: String,
    to: Vec<String>,
    data: String,
}

#[derive(Clone, Default)]
struct Inbox {
    mails: Arc<Mutex<Vec<Mail>>>,
    logins: Arc<Mutex<Vec<(String, String)>>>,
    current: Mail,
    /// Answer this to every message instead of accepting it.
    refuse: Option<(u16, &'static str)>,
}

impl Handler for Inbox {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Mail {
            from: from.to_owned(),
            to: to.to_vec(),
            data: String::new(),
        };
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.data.push_str(&String::from_utf8_lossy(buf));
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some((code, text)) = self.refuse {
            return Response::custom(code, text.to_owned());
        }
        self.mails
            .lock()
            .unwrap()
            .push(std::mem::take(&mut self.current));
        response::OK
    }

    fn auth_plain(&mut self, _authz: &str, user: &str, password: &str) -> Response {
        self.logins
            .lock()
            .unwrap()
            .push((user.to_owned(), password.to_owned()));
        if (user, password) == ("gocd", "hunter22") {
            response::AUTH_OK
        } else {
            response::INVALID_CREDENTIALS
        }
    }
}

/// Starts a server on a free loopback port; it runs until the test process ends.
fn smtp(inbox: Inbox, ssl: SslConfig, auth: bool) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut server = Server::new(inbox);
    server
        .with_name("mail.test")
        .with_ssl(ssl)
        .unwrap()
        .with_num_threads(2)
        .with_tcp_listener(listener);
    if auth {
        server.with_auth(AuthMechanism::Plain);
    }
    std::thread::spawn(move || {
        // The server's error is not `Send`; the test fails on its own when no
        // server answers.
        if let Err(e) = server.serve() {
            eprintln!("SMTP server stopped: {e}");
        }
    });
    port
}

/// Lines of the message with folded headers unfolded.
fn header(data: &str, name: &str) -> Option<String> {
    let head = data.split("\r\n\r\n").next().unwrap_or("");
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
    })
}

#[test]
fn e_mails_reach_a_plain_loopback_server() {
    let inbox = Inbox::default();
    let mails = inbox.mails.clone();
    let port = smtp(inbox, SslConfig::None, false);
    let email = Email::builder("127.0.0.1")
        .port(port)
        .security(Security::Plain)
        .from("GoCD <gocd@example.com>")
        .to("ops@example.com")
        .to("lead@example.com")
        .subject(Subject::Template(
            "[{stage.state}] {pipeline.name} #{pipeline.counter}".into(),
        ))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let plugin = Plugin::builder(rules! {
        target mail;
        on state Failed => send(mail, "Deploy of {pipeline.name} failed.\nIt was {transition}.");
    })
    .notifier("mail", email)
    .build()
    .unwrap();

    let r = plugin.handle("stage-status", &body("shop", 12, "deploy", 1, "Failed"));
    assert_eq!(r.body, r#"{"status":"success"}"#);
    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let m = &mails[0];
    assert_eq!(m.from, "gocd@example.com");
    let mut to = m.to.clone();
    to.sort();
    assert_eq!(to, ["lead@example.com", "ops@example.com"]);
    assert_eq!(
        header(&m.data, "Subject").as_deref(),
        Some("[Failed] shop #12")
    );
    assert_eq!(
        header(&m.data, "Message-ID").as_deref(),
        Some("<shop/12/deploy/1/Failed/r0a0/mail@notify-rules>")
    );
    assert_eq!(
        header(&m.data, "To").as_deref(),
        Some("ops@example.com, lead@example.com")
    );
    assert!(
        header(&m.data, "Content-Type")
            .unwrap()
            .starts_with("text/plain"),
        "{}",
        m.data
    );
    assert!(
        m.data.contains("Deploy of shop failed.\r\nIt was broken."),
        "{}",
        m.data
    );
}

#[test]
fn a_refusing_server_is_a_failure_naming_the_target_and_never_shows_the_password() {
    let permanent = Inbox {
        refuse: Some((554, "Transaction failed")),
        ..Inbox::default()
    };
    let transient = Inbox {
        refuse: Some((451, "Try again later")),
        ..Inbox::default()
    };
    let (p_port, t_port) = (
        smtp(permanent, SslConfig::None, false),
        smtp(transient, SslConfig::None, false),
    );
    let email = |port| {
        Email::builder("127.0.0.1")
            .port(port)
            .security(Security::Plain)
            .from("gocd@example.com")
            .to("ops@example.com")
            .timeout(Duration::from_millis(500))
            .build()
            .unwrap()
    };
    let plugin = Plugin::builder(rules! { target hard, soft; on any => send(hard), send(soft); })
        .notifier("hard", email(p_port))
        .notifier("soft", email(t_port))
        .retry(notify_rules::plugin::RetryPolicy {
            attempts: 1,
            ..Default::default()
        })
        .build()
        .unwrap();
    let r = plugin.handle("stage-status", &body("shop", 1, "deploy", 1, "Failed"));
    let mut messages = messages(&r.body);
    messages.sort();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages[0].starts_with("target `hard`: SMTP server 127.0.0.1:")
            && messages[0].contains("permanent"),
        "{}",
        messages[0]
    );
    assert!(
        messages[1].starts_with("target `soft`: SMTP server 127.0.0.1:")
            && messages[1].contains("outbox"),
        "{}",
        messages[1]
    );
    assert_eq!(plugin.outbox_len(), 1, "only the transient failure waits");
}

#[test]
fn starttls_and_a_login_reach_a_server_with_a_private_certificate() {
    // mailin-embedded's rustls asks for the process's default provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let dir = temp_dir();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();

    let inbox = Inbox::default();
    let (mails, logins) = (inbox.mails.clone(), inbox.logins.clone());
    let ssl = SslConfig::SelfSigned {
        cert_path: cert_path.to_string_lossy().into_owned(),
        key_path: key_path.to_string_lossy().into_owned(),
    };
    let port = smtp(inbox, ssl, true);
    let email = |password: &str| {
        Email::builder("127.0.0.1")
            .port(port)
            .security(Security::StartTls)
            .root_certificate_pem(cert.cert.pem().as_bytes())
            .credentials("gocd", password)
            .from("gocd@example.com")
            .to("ops@example.com")
            .subject(Subject::Fixed("GoCD".into()))
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap()
    };
    let plugin = Plugin::builder(
        rules! { target good, bad; on any => send(good, "hello over TLS"), send(bad); },
    )
    .notifier("good", email("hunter22"))
    .notifier("bad", email("wrong-pa55"))
    .retry(notify_rules::plugin::RetryPolicy {
        attempts: 1,
        ..Default::default()
    })
    .build()
    .unwrap();
    let r = plugin.handle("stage-status", &body("shop", 3, "deploy", 1, "Passed"));
    let messages = messages(&r.body);
    assert_eq!(messages.len(), 1, "{}", r.body);
    let m = &messages[0];
    assert!(
        m.starts_with("target `bad`: SMTP server 127.0.0.1:") && m.contains("permanent"),
        "{m}"
    );
    assert!(!m.contains("wrong-pa55"), "the password leaked: {m}");

    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(header(&mails[0].data, "Subject").as_deref(), Some("GoCD"));
    assert!(mails[0].data.contains("hello over TLS"));
    let mut logins = logins.lock().unwrap().clone();
    logins.sort();
    assert_eq!(
        logins,
        [
            ("gocd".to_owned(), "hunter22".to_owned()),
            ("gocd".to_owned(), "wrong-pa55".to_owned())
        ]
    );
}

/// Every e-mail of a run after its first names the first's `Message-ID`,
/// kept in the SQLite file: also after a restart; another run has a thread
/// of its own.
#[test]
fn e_mails_of_one_run_are_one_thread_across_a_restart() {
    let inbox = Inbox::default();
    let mails = inbox.mails.clone();
    let port = smtp(inbox, SslConfig::None, false);
    let dir = temp_dir();
    let plugin = || {
        let email = Email::builder("127.0.0.1")
            .port(port)
            .security(Security::Plain)
            .from("gocd@example.com")
            .to("ops@example.com")
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        Plugin::builder(rules! { target mail; on any => send(mail); })
            .notifier("mail", email)
            .state(notify_rules::state::State::sqlite(dir.path().join("n.db")))
            .build()
            .unwrap()
    };
    let first = plugin();
    for b in [
        body("shop", 7, "build", 1, "Building"),
        body("shop", 7, "build", 1, "Passed"),
    ] {
        assert_eq!(
            first.handle("stage-status", &b).body,
            r#"{"status":"success"}"#
        );
    }
    drop(first);
    let again = plugin();
    for b in [
        body("shop", 7, "deploy", 1, "Failed"),
        body("shop", 8, "build", 1, "Building"),
        body("shop", 8, "build", 1, "Passed"),
    ] {
        assert_eq!(
            again.handle("stage-status", &b).body,
            r#"{"status":"success"}"#
        );
    }
    let mails = mails.lock().unwrap().clone();
    let headers: Vec<[Option<String>; 3]> = mails
        .iter()
        .map(|m| ["Message-ID", "In-Reply-To", "References"].map(|name| header(&m.data, name)))
        .collect();
    let root7 = "<shop/7/build/1/Building/r0a0/mail@notify-rules>";
    let root8 = "<shop/8/build/1/Building/r0a0/mail@notify-rules>";
    assert_eq!(headers.len(), 5, "{headers:?}");
    assert_eq!(headers[0], [Some(root7.to_owned()), None, None]);
    for h in &headers[1..3] {
        assert_eq!(h[1].as_deref(), Some(root7), "{headers:?}");
        assert_eq!(h[2].as_deref(), Some(root7), "{headers:?}");
    }
    assert_eq!(headers[3], [Some(root8.to_owned()), None, None]);
    assert_eq!(headers[4][1].as_deref(), Some(root8));
    assert_eq!(headers[4][2].as_deref(), Some(root8));
}
