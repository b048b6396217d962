//! The e-mail notifier: SMTP through `lettre`.

use std::fmt;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};

use super::{scrub, show_duration, ConfigError, Context, Notifier, NotifyError, SubjectTemplate};
use crate::history::HistoryLimits;
use crate::rules::Delivery;
use crate::state::outbox::OutboxPolicy;
use crate::state::{KeyValue, MemoryState};
use crate::util::is_loopback;

mod thread;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS, which the server must offer
    /// (usually port 587). The default.
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
    /// No encryption at all. Only for a server on the same machine: passwords
    /// and messages cross the network in clear. With a login
    /// ([`EmailBuilder::credentials`]) the host must be `localhost` or a
    /// loopback address, or [`EmailBuilder::build`] refuses it.
    Plain,
}

/// The subject line of the e-mails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// The first line of the message, cut to 120 characters. The default.
    FirstLine,
    /// The same text for every e-mail.
    Fixed(String),
    /// A message template of the rule language, such as `[{stage.state}]
    /// {pipeline.name}`: the same placeholders (`{pipeline.name}`,
    /// `{stage.state}`, `{transition}`, ...; all but `{link}`), `{{` and `}}`
    /// for braces, and the same errors when [`EmailBuilder::build`] checks
    /// it. `{target}`, the delivery's target, is a subject's own.
    Template(String),
}

/// Sends each delivery as a plain-text e-mail over SMTP.
///
/// The message's text is the body; the subject is set with
/// [`EmailBuilder::subject`]. The `Message-ID` is made from the delivery's
/// [idempotency key](Delivery::idempotency_key), so a retried e-mail can be told
/// from a new one. Every e-mail about one pipeline run after its first has
/// `In-Reply-To` and `References` naming the first one's `Message-ID`, kept
/// in the plugin's state store (see [`Context`]), so mail clients show a
/// run as one thread, across restarts and replicas. SMTP answers 5xx are permanent failures; 4xx, time-outs and
/// connection failures are retried.
///
/// ```
/// use notify_rules::deliver::{Email, Security, Subject};
///
/// let email = Email::builder("smtp.example.com")
///     .port(587)
///     .security(Security::StartTls)
///     .credentials("gocd", "s3cret")
///     .from("GoCD <gocd@example.com>")
///     .to("ops@example.com")
///     .subject(Subject::Template("[{stage.state}] {pipeline.name}".into()))
///     .build()?;
/// assert!(!format!("{email:?}").contains("s3cret"));
/// # Ok::<(), notify_rules::deliver::ConfigError>(())
/// ```
pub struct Email {
    transport: SmtpTransport,
    host: String,
    port: u16,
    security: Security,
    user: Option<String>,
    password: Option<String>,
    from: Mailbox,
    to: Vec<Mailbox>,
    subject: Subject,
    /// The subject, parsed, when it is a template.
    template: Option<SubjectTemplate>,
    timeout: Duration,
    /// The runs' first messages when no plugin lends its store.
    own: MemoryState,
}

/// Configures an [`Email`] notifier; [`EmailBuilder::build`] checks it all.
pub struct EmailBuilder {
    host: String,
    port: Option<u16>,
    security: Security,
    credentials: Option<(String, String)>,
    from: Option<String>,
    to: Vec<String>,
    subject: Subject,
    timeout: Duration,
    root_certificates: Vec<Vec<u8>>,
}

impl Email {
    /// Starts configuring e-mail through the SMTP server at `host`.
    pub fn builder(host: &str) -> EmailBuilder {
        EmailBuilder {
            host: host.to_owned(),
            port: None,
            security: Security::StartTls,
            credentials: None,
            from: None,
            to: Vec::new(),
            subject: Subject::FirstLine,
            timeout: Duration::from_secs(10),
            root_certificates: Vec::new(),
        }
    }

    fn subject_for(&self, delivery: &Delivery) -> String {
        match &self.subject {
            Subject::FirstLine => {
                let first = delivery.text().lines().next().unwrap_or("").trim();
                match first.char_indices().nth(120) {
                    Some((cut, _)) => format!("{}...", &first[..cut]),
                    None => first.to_owned(),
                }
            }
            Subject::Fixed(text) => text.clone(),
            Subject::Template(text) => match &self.template {
                Some(template) => template.render(delivery),
                None => text.clone(),
            },
        }
    }

    /// The e-mail for a delivery; in the thread of its run's first message
    /// when the key-value area `kv` knows one.
    fn message(&self, delivery: &Delivery, kv: &KeyValue<'_>) -> Result<Message, NotifyError> {
        let id = message_id(&delivery.idempotency_key());
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(self.subject_for(delivery))
            .header(ContentType::TEXT_PLAIN);
        if let Some(first) = thread::replies_to(kv, delivery, &id) {
            builder = builder.in_reply_to(first.clone()).references(first);
        }
        builder = builder.message_id(Some(id));
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        builder
            .body(delivery.text().to_owned())
            .map_err(|e| NotifyError::permanent(format!("could not build the e-mail: {e}")))
    }
}

/// A Message-ID from the idempotency key: characters outside a safe set become
/// `_`, so the ID is always valid.
fn message_id(key: &str) -> String {
    let local: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | '=') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("<{local}@notify-rules>")
}

impl EmailBuilder {
    /// The server's port; 587 for [`Security::StartTls`], 465 for
    /// [`Security::Tls`], 25 for [`Security::Plain`] unless set.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// How the connection is protected; [`Security::StartTls`] unless set.
    pub fn security(mut self, security: Security) -> Self {
        self.security = security;
        self
    }

    /// Logs in with a user name and password (the password never shows).
    pub fn credentials(mut self, user: &str, password: &str) -> Self {
        self.credentials = Some((user.to_owned(), password.to_owned()));
        self
    }

    /// The sender, `addr@example.com` or `Name <addr@example.com>`.
    pub fn from(mut self, from: &str) -> Self {
        self.from = Some(from.to_owned());
        self
    }

    /// Adds a recipient; call again for more.
    pub fn to(mut self, to: &str) -> Self {
        self.to.push(to.to_owned());
        self
    }

    /// The subject line; [`Subject::FirstLine`] unless set.
    pub fn subject(mut self, subject: Subject) -> Self {
        self.subject = subject;
        self
    }

    /// How long the server may take to answer; 10 seconds unless set.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Trusts a certificate authority (PEM) besides the usual public ones, for a
    /// server with a private certificate.
    pub fn root_certificate_pem(mut self, pem: &[u8]) -> Self {
        self.root_certificates.push(pem.to_vec());
        self
    }

    /// Checks the configuration, naming every problem at once.
    pub fn build(self) -> Result<Email, ConfigError> {
        let mut problems = Vec::new();
        if self.host.trim().is_empty() {
            problems.push("the SMTP host is empty".to_owned());
        }
        let from = match &self.from {
            None => {
                problems.push("no sender: call `.from(...)`".to_owned());
                None
            }
            Some(f) => match f.parse::<Mailbox>() {
                Ok(m) => Some(m),
                Err(e) => {
                    problems.push(format!("the sender `{f}` is not an e-mail address: {e}"));
                    None
                }
            },
        };
        if self.to.is_empty() {
            problems.push("no recipient: call `.to(...)`".to_owned());
        }
        if self.security == Security::Plain
            && self.credentials.is_some()
            && !is_loopback(&self.host)
        {
            problems.push(format!(
                "security plain with a login would send the password in clear to `{}`: \
                 plain is for a server on this machine only (localhost or a loopback \
                 address); use StartTls or Tls",
                self.host.trim()
            ));
        }
        let mut to = Vec::new();
        for t in &self.to {
            match t.parse::<Mailbox>() {
                Ok(m) => to.push(m),
                Err(e) => {
                    problems.push(format!("the recipient `{t}` is not an e-mail address: {e}"))
                }
            }
        }
        let template = match &self.subject {
            Subject::Template(t) => match SubjectTemplate::parse(t) {
                Ok(template) => Some(template),
                Err(e) => {
                    problems.push(format!("the subject: {e}"));
                    None
                }
            },
            _ => None,
        };
        let tls = match self.tls_parameters() {
            Ok(tls) => Some(tls),
            Err(e) => {
                problems.push(e);
                None
            }
        };
        let (Some(from), Some(tls), true) = (from, tls, problems.is_empty()) else {
            return Err(ConfigError::new("email", problems.join("; ")));
        };
        let port = self.port.unwrap_or(match self.security {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::Plain => 25,
        });
        let mut transport = SmtpTransport::builder_dangerous(self.host.clone())
            .port(port)
            .tls(tls)
            .timeout(Some(self.timeout));
        if let Some((user, password)) = &self.credentials {
            transport = transport.credentials(Credentials::new(user.clone(), password.clone()));
        }
        let (user, password) = match self.credentials {
            Some((u, p)) => (Some(u), Some(p)),
            None => (None, None),
        };
        Ok(Email {
            transport: transport.build(),
            host: self.host,
            port,
            security: self.security,
            user,
            password,
            from,
            to,
            subject: self.subject,
            template,
            timeout: self.timeout,
            own: MemoryState::new(HistoryLimits::default(), OutboxPolicy::default()),
        })
    }

    fn tls_parameters(&self) -> Result<Tls, String> {
        if self.security == Security::Plain {
            return Ok(Tls::None);
        }
        let mut params = TlsParameters::builder(self.host.clone());
        for pem in &self.root_certificates {
            let cert = Certificate::from_pem(pem)
                .map_err(|e| format!("a root certificate is not valid PEM: {e}"))?;
            params = params.add_root_certificate(cert);
        }
        let params = params
            .build()
            .map_err(|e| format!("could not set up TLS: {e}"))?;
        Ok(match self.security {
            Security::StartTls => Tls::Required(params),
            _ => Tls::Wrapper(params),
        })
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Email")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("from", &self.from.to_string())
            .field(
                "to",
                &self.to.iter().map(ToString::to_string).collect::<Vec<_>>(),
            )
            .field("subject", &self.subject)
            .field("timeout", &show_duration(self.timeout))
            .finish()
    }
}

impl fmt::Debug for EmailBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailBuilder")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(u, _)| u))
            .field("password", &self.credentials.as_ref().map(|_| "<hidden>"))
            .field("from", &self.from)
            .field("to", &self.to)
            .field("subject", &self.subject)
            .finish()
    }
}

impl Notifier for Email {
    fn send(&self, delivery: &Delivery) -> Result<(), NotifyError> {
        self.send_with(delivery, &Context::new(&self.own))
    }

    fn send_with(&self, delivery: &Delivery, context: &Context<'_>) -> Result<(), NotifyError> {
        let message = self.message(delivery, context.kv())?;
        self.transport.send(&message).map(|_| ()).map_err(|e| {
            let secrets: Vec<&str> = self.password.iter().map(String::as_str).collect();
            let what = if e.is_timeout() {
                format!(
                    "no answer from {}:{} within {}",
                    self.host,
                    self.port,
                    show_duration(self.timeout)
                )
            } else {
                format!("SMTP server {}:{}: {e}", self.host, self.port)
            };
            let text = scrub(&what, &secrets);
            if e.is_permanent() {
                NotifyError::permanent(text)
            } else {
                NotifyError::retryable(text)
            }
        })
    }
}

#[cfg(test)]
mod tests;
