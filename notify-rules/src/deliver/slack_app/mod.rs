//! The Slack app notifier: the Web API with a bot token, one message per
//! pipeline run, updated in place or threaded.

mod api;
mod pace;
mod runs;

use std::fmt;
use std::time::Duration;

use api::{Api, Failure, Posted};
use pace::{Paced, Pacer};
use runs::First;

use super::context::run_key;
use super::http::DEFAULT_TIMEOUT;
use super::rich;
use super::{show_duration, ConfigError, Context, Format, Notifier, NotifyError};
use crate::history::HistoryLimits;
use crate::rules::{Delivery, Transition};
use crate::state::outbox::OutboxPolicy;
use crate::state::MemoryState;

/// Slack's Web API, unless another is given.
pub const DEFAULT_API_URL: &str = "https://slack.com/api";

/// About what Slack allows per channel.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

/// How long a delivery waits for another to post its run's first message
/// before it fails, to be tried again from the outbox.
const FIRST_WAIT: Duration = Duration::from_secs(3);

/// What the deliveries of one pipeline run make in the channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PerRun {
    /// The first posts a message; each later one replies in its thread,
    /// and the first message is updated to the latest text. A reply about
    /// `broken` or `fixed` is also shown in the channel.
    #[default]
    Thread,
    /// The first posts a message; each later one replaces its text.
    Update,
    /// Every delivery is a message of its own.
    Off,
}

/// Posts through Slack's Web API with a bot token (`chat.postMessage`,
/// `chat.update`): one message per pipeline run, updated as the run goes
/// on ([`PerRun`]).
///
/// Which message belongs to which run (target, pipeline, pipeline counter)
/// is kept in the plugin's state store (see [`Context`]), so a restart, or
/// another replica on the same database, updates the same message, and two
/// replicas handed one run's notifications at once make one message. Called
/// through [`Notifier::send`] alone, outside a plugin, it remembers runs in
/// its own memory.
///
/// Slack's answers: `ok: false` names its `error` in the failure; a token
/// or channel that only a person can mend (`invalid_auth`,
/// `channel_not_found`, `not_in_channel`, ...) is [held](NotifyError::held),
/// kept in the outbox without being tried again until `outbox retry`; HTTP
/// 429 waits for `Retry-After`. Calls to one channel are spaced by about a
/// second, and updates of one message that come faster are coalesced, the
/// latest text winning.
///
/// The token is a secret: it shows in no error and not in `Debug` output.
///
/// ```
/// use notify_rules::deliver::{PerRun, SlackApp};
///
/// let slack = SlackApp::new("xoxb-1234-s3cret", "C0123456789")?.per_run(PerRun::Update);
/// assert!(!format!("{slack:?}").contains("s3cret"));
/// # Ok::<(), notify_rules::deliver::ConfigError>(())
/// ```
pub struct SlackApp {
    api: Api,
    channel: String,
    per_run: PerRun,
    pacer: Pacer,
    format: Format,
    /// The GoCD server, for the attachment's link to the stage.
    server: Option<String>,
    /// The runs remembered when no plugin lends its store.
    own: MemoryState,
}

impl SlackApp {
    /// A notifier posting to `channel` (an ID, such as `C0123456789`) with
    /// the bot token `token` (`xoxb-...`).
    pub fn new(token: &str, channel: &str) -> Result<SlackApp, ConfigError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(ConfigError::new("slack-app", "the bot token is empty"));
        }
        if ureq::http::HeaderValue::from_str(&format!("Bearer {token}")).is_err()
            || token.contains(char::is_whitespace)
        {
            return Err(ConfigError::new(
                "slack-app",
                "the bot token holds spaces or characters a header cannot carry (it is not shown)",
            ));
        }
        let channel = channel.trim();
        if channel.is_empty() || channel.contains(char::is_whitespace) {
            return Err(ConfigError::new(
                "slack-app",
                "`channel` must be a channel ID such as C0123456789",
            ));
        }
        Ok(SlackApp {
            api: Api::new(DEFAULT_API_URL, token, DEFAULT_TIMEOUT),
            channel: channel.to_owned(),
            per_run: PerRun::default(),
            pacer: Pacer::new(DEFAULT_INTERVAL),
            format: Format::default(),
            server: None,
            own: MemoryState::new(HistoryLimits::default(), OutboxPolicy::default()),
        })
    }

    /// The Web API's address; [`DEFAULT_API_URL`] unless set.
    pub fn api_url(mut self, url: &str) -> Result<SlackApp, ConfigError> {
        let uri: ureq::http::Uri = url
            .trim()
            .parse()
            .map_err(|_| ConfigError::new("slack-app", "`api_url` is not a valid URL"))?;
        if !matches!(uri.scheme_str(), Some("http" | "https"))
            || uri.host().is_none_or(str::is_empty)
        {
            return Err(ConfigError::new(
                "slack-app",
                "`api_url` must be an http:// or https:// address with a host",
            ));
        }
        self.api = self.api.at(url.trim());
        Ok(self)
    }

    /// What the deliveries of one run make; [`PerRun::Thread`] unless set.
    pub fn per_run(mut self, per_run: PerRun) -> SlackApp {
        self.per_run = per_run;
        self
    }

    /// How long one call to Slack may take in all; 5 seconds unless set.
    pub fn timeout(mut self, timeout: Duration) -> SlackApp {
        self.api = self.api.with_timeout(timeout);
        self
    }

    /// The least time between two calls to the channel; a second unless
    /// set (about what Slack allows).
    pub fn min_interval(mut self, interval: Duration) -> SlackApp {
        self.pacer = Pacer::new(interval);
        self
    }

    /// Plain text only, or (the default) with an attachment coloured by
    /// the state, as the [`Slack`](super::Slack) webhook notifier posts.
    pub fn format(mut self, format: Format) -> SlackApp {
        self.format = format;
        self
    }

    /// The GoCD server's address, for the attachment's link to the stage
    /// (the agent's page for agent deliveries).
    pub fn server_url(mut self, url: &str) -> Result<SlackApp, ConfigError> {
        self.server = Some(rich::server_url("slack-app", url)?);
        Ok(self)
    }

    /// The message a delivery makes, without `channel`, `ts` or
    /// `thread_ts`: the text escaped as Slack asks and within its limit, and
    /// unless the format is plain, the attachment of the Slack webhook's
    /// messages (colour, fields, link).
    pub fn message_body(&self, delivery: &Delivery) -> serde_json::Map<String, serde_json::Value> {
        let mut body = serde_json::Map::new();
        body.insert("text".into(), rich::slack::text(delivery).into());
        if self.format == Format::Rich {
            let attachment = rich::slack::attachment(delivery, self.server.as_deref());
            body.insert("attachments".into(), vec![attachment].into());
        }
        body
    }

    /// How long a claim on a run's first message holds: longer than the
    /// post can take.
    fn claim_time(&self) -> Duration {
        (self.api.timeout() * 2 + Duration::from_secs(5)).max(Duration::from_secs(30))
    }

    fn deliver(&self, d: &Delivery, cx: &Context<'_>) -> Result<(), NotifyError> {
        let key = match (self.per_run, run_key(d)) {
            (PerRun::Off, _) | (_, None) => return self.post(d, None).map(drop),
            (_, Some(key)) => key,
        };
        let kv = cx.kv();
        let me = d.idempotency_key();
        match runs::first_or_existing(kv, &key, &me, self.claim_time(), FIRST_WAIT)? {
            First::Mine => self.post_first(cx, &key, &me, d),
            First::Existing(message) => match self.per_run {
                PerRun::Thread => self.reply(cx, &key, &me, &message, d),
                _ => self.update(cx, &key, &message, d, true),
            },
        }
    }

    /// Posts a run's first message (or a new one for a message gone).
    fn post_first(
        &self,
        cx: &Context<'_>,
        key: &str,
        me: &str,
        d: &Delivery,
    ) -> Result<(), NotifyError> {
        match self.post(d, None) {
            Ok(posted) => {
                runs::remember(cx.kv(), key, &posted);
                Ok(())
            }
            Err(e) => {
                runs::let_go(cx.kv(), key, me);
                Err(e)
            }
        }
    }

    /// `chat.postMessage`, as a reply in `thread` when given.
    fn post(&self, d: &Delivery, thread: Option<&Posted>) -> Result<Posted, NotifyError> {
        let mut body = self.message_body(d);
        let channel = thread.map_or(self.channel.as_str(), |t| t.channel.as_str());
        body.insert("channel".into(), channel.into());
        if let Some(parent) = thread {
            body.insert("thread_ts".into(), parent.ts.clone().into());
            let loud = matches!(d.transition(), Some(Transition::Broken | Transition::Fixed));
            if loud {
                body.insert("reply_broadcast".into(), true.into());
            }
        }
        let body = serde_json::Value::Object(body);
        self.pacer
            .call(channel, || self.api.call("chat.postMessage", &body))
            .map_err(|f| match f {
                Failure::Error(e) => e,
                Failure::Gone(error) => {
                    NotifyError::retryable(format!("Slack refused chat.postMessage: {error}"))
                }
            })
    }

    /// Replaces the text of the run's message; a message gone (deleted, too
    /// old to edit) is posted anew when `repost`.
    fn update(
        &self,
        cx: &Context<'_>,
        key: &str,
        message: &Posted,
        d: &Delivery,
        repost: bool,
    ) -> Result<(), NotifyError> {
        let mut body = self.message_body(d);
        body.insert("channel".into(), message.channel.clone().into());
        body.insert("ts".into(), message.ts.clone().into());
        let body = serde_json::Value::Object(body);
        let paced = self.pacer.update(&message.channel, key, || {
            self.api.call("chat.update", &body)
        });
        match paced {
            Paced::Superseded | Paced::Done(Ok(_)) => Ok(()),
            Paced::Done(Err(Failure::Error(e))) => Err(e),
            Paced::Done(Err(Failure::Gone(error))) if repost => {
                tracing::info!(
                    error,
                    "the run's Slack message is gone: a new one is posted"
                );
                let posted = self.post(d, None)?;
                runs::remember(cx.kv(), key, &posted);
                Ok(())
            }
            // A thread whose first message is gone still has the reply.
            Paced::Done(Err(Failure::Gone(error))) => {
                tracing::info!(error, "the first message of a run's Slack thread is gone");
                Ok(())
            }
        }
    }

    /// Replies in the run's thread, then brings its first message up to
    /// date.
    fn reply(
        &self,
        cx: &Context<'_>,
        key: &str,
        me: &str,
        parent: &Posted,
        d: &Delivery,
    ) -> Result<(), NotifyError> {
        if !runs::replied(cx.kv(), me)? {
            let reply = self.post(d, Some(parent))?;
            runs::reply_made(cx.kv(), me, &reply.ts);
        }
        self.update(cx, key, parent, d, false)
    }
}

impl fmt::Debug for SlackApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackApp")
            .field("host", &self.api.host())
            .field("channel", &self.channel)
            .field("token", &"<hidden>")
            .field("per_run", &self.per_run)
            .field("format", &self.format)
            .field("timeout", &show_duration(self.api.timeout()))
            .field("min_interval", &show_duration(self.pacer.interval()))
            .finish()
    }
}

impl Notifier for SlackApp {
    fn send(&self, delivery: &Delivery) -> Result<(), NotifyError> {
        self.deliver(delivery, &Context::new(&self.own))
    }

    fn send_with(&self, delivery: &Delivery, context: &Context<'_>) -> Result<(), NotifyError> {
        self.deliver(delivery, context)
    }
}
