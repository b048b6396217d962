//! Making the notifier a `[targets.NAME]` table asks for.

#[cfg(feature = "slack")]
use super::schema::FormatName;
#[cfg(feature = "email")]
use super::schema::SecurityName;
use super::schema::{Kind, Target};
use super::ConfigProblem;
use crate::deliver::Context;
use crate::{Delivery, Notifier, NotifyError};

/// The notifier of one target, whichever kind it is.
pub(super) enum Configured {
    #[cfg(feature = "console")]
    Console(crate::deliver::Console),
    #[cfg(feature = "webhook")]
    Webhook(crate::deliver::Webhook),
    #[cfg(feature = "slack")]
    Slack(crate::deliver::Slack),
    #[cfg(feature = "slack")]
    Teams(crate::deliver::Teams),
    #[cfg(feature = "slack")]
    GoogleChat(crate::deliver::GoogleChat),
    #[cfg(feature = "slack")]
    Discord(crate::deliver::Discord),
    #[cfg(feature = "slack")]
    SlackApp(Box<crate::deliver::SlackApp>),
    // Boxed: an SMTP transport is far larger than the other notifiers.
    #[cfg(feature = "email")]
    Email(Box<crate::deliver::Email>),
}

impl Notifier for Configured {
    fn send_with(&self, delivery: &Delivery, context: &Context<'_>) -> Result<(), NotifyError> {
        match *self {
            #[cfg(feature = "slack")]
            Configured::SlackApp(ref n) => n.send_with(delivery, context),
            // Its threads' first ids in the plugin's store: kept across
            // restarts and shared by replicas.
            #[cfg(feature = "email")]
            Configured::Email(ref n) => n.send_with(delivery, context),
            _ => {
                let _ = context;
                self.send(delivery)
            }
        }
    }

    fn send(&self, delivery: &Delivery) -> Result<(), NotifyError> {
        // With every notifier feature off there is no variant, and no value of
        // this type can exist.
        #[cfg(not(any(
            feature = "console",
            feature = "webhook",
            feature = "slack",
            feature = "email"
        )))]
        let _ = delivery;
        match *self {
            #[cfg(feature = "console")]
            Configured::Console(ref n) => n.send(delivery),
            #[cfg(feature = "webhook")]
            Configured::Webhook(ref n) => n.send(delivery),
            #[cfg(feature = "slack")]
            Configured::Slack(ref n) => n.send(delivery),
            #[cfg(feature = "slack")]
            Configured::Teams(ref n) => n.send(delivery),
            #[cfg(feature = "slack")]
            Configured::GoogleChat(ref n) => n.send(delivery),
            #[cfg(feature = "slack")]
            Configured::Discord(ref n) => n.send(delivery),
            #[cfg(feature = "slack")]
            Configured::SlackApp(ref n) => n.send(delivery),
            #[cfg(feature = "email")]
            Configured::Email(ref n) => n.send(delivery),
        }
    }
}

/// Looks an environment variable up for a setting, recording a problem when it
/// is missing or empty.
pub(super) type Var<'a> = dyn FnMut(&str, &str) -> Option<String> + 'a;

/// The notifier for the target `name`, with `[gocd] server_url` for the links
/// of rich messages. `Ok(None)` when a variable was missing (already
/// recorded); `Err` with every setting the notifier refuses.
pub(super) fn build(
    name: &str,
    target: &Target,
    var: &mut Var<'_>,
    server_url: Option<&str>,
) -> Result<Option<Configured>, Vec<ConfigProblem>> {
    let built = match target.kind {
        Kind::Console => console().map_err(|e| vec![e]),
        Kind::Webhook => webhook(target, var),
        Kind::Email => email(target, var).map_err(|e| vec![e]),
        Kind::Slack | Kind::Teams | Kind::GoogleChat | Kind::Discord => {
            chat(target, var, server_url).map_err(|e| vec![e])
        }
        Kind::SlackApp => slack_app(target, var, server_url).map_err(|e| vec![e]),
    };
    built.map_err(|refused| {
        refused
            .into_iter()
            .map(|refusal| match refusal {
                #[cfg(any(feature = "webhook", feature = "slack", feature = "email"))]
                Refusal::Settings(error) => ConfigProblem::Notifier {
                    target: name.to_owned(),
                    error,
                },
                #[cfg(not(all(
                    feature = "console",
                    feature = "webhook",
                    feature = "slack",
                    feature = "email"
                )))]
                Refusal::MissingFeature(kind) => ConfigProblem::MissingFeature {
                    target: name.to_owned(),
                    kind: kind.as_str(),
                    feature: kind.feature(),
                },
            })
            .collect()
    })
}

/// Why a notifier was not made.
enum Refusal {
    /// It refused its settings.
    #[cfg(any(feature = "webhook", feature = "slack", feature = "email"))]
    Settings(crate::deliver::ConfigError),
    /// This build leaves its kind out.
    #[cfg(not(all(
        feature = "console",
        feature = "webhook",
        feature = "slack",
        feature = "email"
    )))]
    MissingFeature(Kind),
}

#[cfg(feature = "console")]
fn console() -> Result<Option<Configured>, Refusal> {
    Ok(Some(Configured::Console(crate::deliver::Console::stdout())))
}

#[cfg(not(feature = "console"))]
fn console() -> Result<Option<Configured>, Refusal> {
    Err(Refusal::MissingFeature(Kind::Console))
}

/// The URL from `url_env`, checked present by the shape checks.
#[cfg(any(feature = "webhook", feature = "slack"))]
fn url(target: &Target, var: &mut Var<'_>) -> Option<String> {
    target
        .url_env
        .as_deref()
        .and_then(|name| var("url_env", name))
}

#[cfg(feature = "webhook")]
fn webhook(target: &Target, var: &mut Var<'_>) -> Result<Option<Configured>, Vec<Refusal>> {
    use crate::deliver::Webhook;
    /// Stands in for the URL when a header is checked on its own.
    const PLACEHOLDER: &str = "http://127.0.0.1/";

    let url = url(target, var);
    let mut env_headers = Vec::new();
    for (header, name) in &target.header_envs {
        if let Some(value) = var(&format!("header_envs.{header}"), name) {
            env_headers.push((header, value));
        }
    }
    let missing = env_headers.len() != target.header_envs.len();
    let headers: Vec<(&String, String)> = target
        .headers
        .iter()
        .map(|(h, v)| (h, v.clone()))
        .chain(env_headers)
        .collect();
    let mut problems = Vec::new();
    let hook = match url.as_deref().map(Webhook::new) {
        Some(Ok(hook)) => Some(hook),
        Some(Err(e)) => {
            problems.push(Refusal::Settings(e));
            None
        }
        None => None,
    };
    // Each header is checked on its own, so that a bad URL or a bad header
    // does not hide the problems after it: one start reports them all.
    for (header, value) in &headers {
        if let Err(e) = Webhook::new(PLACEHOLDER).and_then(|h| h.header(header, value)) {
            problems.push(Refusal::Settings(e));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let Some(mut hook) = hook.filter(|_| !missing) else {
        return Ok(None);
    };
    for (header, value) in headers {
        hook = hook
            .header(header, &value)
            .map_err(|e| vec![Refusal::Settings(e)])?;
    }
    if let Some(t) = target.timeout {
        hook = hook.timeout(t.0);
    }
    Ok(Some(Configured::Webhook(hook)))
}

#[cfg(not(feature = "webhook"))]
fn webhook(_: &Target, _: &mut Var<'_>) -> Result<Option<Configured>, Vec<Refusal>> {
    Err(vec![Refusal::MissingFeature(Kind::Webhook)])
}

/// A chat notifier: Slack, Teams, Google Chat or Discord.
#[cfg(feature = "slack")]
fn chat(
    target: &Target,
    var: &mut Var<'_>,
    server_url: Option<&str>,
) -> Result<Option<Configured>, Refusal> {
    use crate::deliver::{Discord, Format, GoogleChat, Slack, Teams};

    let Some(url) = url(target, var) else {
        return Ok(None);
    };
    let format = match target.format {
        Some(FormatName::Text) => Format::Text,
        Some(FormatName::Rich) | None => Format::Rich,
    };
    // The four share their settings, not a type.
    macro_rules! configure {
        ($notifier:ident) => {{
            let mut n = $notifier::new(&url)
                .map_err(Refusal::Settings)?
                .format(format);
            if let Some(t) = target.timeout {
                n = n.timeout(t.0);
            }
            if let Some(server) = server_url {
                n = n.server_url(server).map_err(Refusal::Settings)?;
            }
            Configured::$notifier(n)
        }};
    }
    Ok(Some(match target.kind {
        Kind::Teams => configure!(Teams),
        Kind::GoogleChat => configure!(GoogleChat),
        Kind::Discord => configure!(Discord),
        _ => configure!(Slack),
    }))
}

#[cfg(not(feature = "slack"))]
fn chat(target: &Target, _: &mut Var<'_>, _: Option<&str>) -> Result<Option<Configured>, Refusal> {
    Err(Refusal::MissingFeature(target.kind))
}

#[cfg(feature = "slack")]
fn slack_app(
    target: &Target,
    var: &mut Var<'_>,
    server_url: Option<&str>,
) -> Result<Option<Configured>, Refusal> {
    use super::schema::PerRunName;
    use crate::deliver::{Format, PerRun, SlackApp};

    let Some(token) = target
        .token_env
        .as_deref()
        .and_then(|name| var("token_env", name))
    else {
        return Ok(None);
    };
    let channel = target.channel.as_deref().unwrap_or_default();
    let mut app = SlackApp::new(&token, channel).map_err(Refusal::Settings)?;
    if let Some(url) = &target.api_url {
        app = app.api_url(url).map_err(Refusal::Settings)?;
    }
    if let Some(per_run) = target.per_run {
        app = app.per_run(match per_run {
            PerRunName::Thread => PerRun::Thread,
            PerRunName::Update => PerRun::Update,
            PerRunName::Off => PerRun::Off,
        });
    }
    if let Some(t) = target.timeout {
        app = app.timeout(t.0);
    }
    if target.format == Some(FormatName::Text) {
        app = app.format(Format::Text);
    }
    if let Some(server) = server_url {
        app = app.server_url(server).map_err(Refusal::Settings)?;
    }
    Ok(Some(Configured::SlackApp(Box::new(app))))
}

#[cfg(not(feature = "slack"))]
fn slack_app(_: &Target, _: &mut Var<'_>, _: Option<&str>) -> Result<Option<Configured>, Refusal> {
    Err(Refusal::MissingFeature(Kind::SlackApp))
}

#[cfg(feature = "email")]
fn email(target: &Target, var: &mut Var<'_>) -> Result<Option<Configured>, Refusal> {
    use crate::deliver::{Email, Security, Subject};

    let password = match &target.password_env {
        Some(name) => match var("password_env", name) {
            Some(p) => Some(p),
            None => return Ok(None),
        },
        None => None,
    };
    let mut b = Email::builder(target.host.as_deref().unwrap_or_default());
    if let Some(port) = target.port {
        b = b.port(port);
    }
    if let Some(security) = target.security {
        b = b.security(match security {
            SecurityName::Starttls => Security::StartTls,
            SecurityName::Tls => Security::Tls,
            SecurityName::Plain => Security::Plain,
        });
    }
    if let (Some(user), Some(password)) = (&target.user, &password) {
        b = b.credentials(user, password);
    }
    if let Some(from) = &target.from {
        b = b.from(from);
    }
    for to in &target.to {
        b = b.to(to);
    }
    if let Some(subject) = &target.subject {
        // The same test as the one that checked it when the file was read.
        b = b.subject(if target.subject_template().is_some() {
            Subject::Template(subject.clone())
        } else {
            Subject::Fixed(subject.clone())
        });
    }
    if let Some(t) = target.timeout {
        b = b.timeout(t.0);
    }
    b.build()
        .map(|e| Some(Configured::Email(Box::new(e))))
        .map_err(Refusal::Settings)
}

#[cfg(not(feature = "email"))]
fn email(_: &Target, _: &mut Var<'_>) -> Result<Option<Configured>, Refusal> {
    Err(Refusal::MissingFeature(Kind::Email))
}
