//! Messages for chat services: the rule's text, and what each service's users
//! expect beside it, drawn from the notification (the colour of the state, the
//! pipeline, stage, counters and failed jobs as fields, a link to the stage).
//!
//! [`summary`] reads a delivery once; each service's module writes it in its
//! own shape, within its own size limits ([`cut`]).

pub(crate) mod cut;
mod discord;
mod google_chat;
pub(crate) mod slack;
mod teams;

use std::fmt;
use std::time::Duration;

use super::http::Poster;
use super::{show_duration, ConfigError};
use crate::model::{AgentConfigState, AgentState, BuildState, StageResult, StageState};
use crate::rules::link::{agent_link, check_server_url, stage_link};
use crate::rules::Delivery;

pub use discord::Discord;
pub use google_chat::GoogleChat;
pub use teams::Teams;

/// How a chat notifier writes a message.
///
/// ```
/// use notify_rules::deliver::{Format, Teams};
///
/// let plain = Teams::new("https://example.webhook.office.com/workflows/x")?.format(Format::Text);
/// # Ok::<(), notify_rules::deliver::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
// A service may get a third form (Slack's blocks, say).
#[non_exhaustive]
pub enum Format {
    /// The rule's text, with the colour of the state, the notification's
    /// fields and a link to the stage (when the GoCD server's address is
    /// set), in the form the service shows best.
    #[default]
    Rich,
    /// The rule's text alone.
    Text,
}

/// The state a message is about, which each service shows as a colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tone {
    /// Red: a stage failed or is failing, an agent was lost.
    Failed,
    /// Green: a stage passed, an agent is idle.
    Passed,
    /// Blue: building.
    Building,
    /// Amber: cancelled.
    Cancelled,
    /// Grey: anything else.
    Neutral,
}

impl Tone {
    /// `0xRRGGBB`.
    pub(crate) fn rgb(self) -> u32 {
        match self {
            Tone::Failed => 0xD0_02_1B,
            Tone::Passed => 0x2E_B6_7D,
            Tone::Building => 0x1E_88_E5,
            Tone::Cancelled => 0xF2_A9_00,
            Tone::Neutral => 0x9E_9E_9E,
        }
    }

    /// `#rrggbb`.
    pub(crate) fn hex(self) -> String {
        format!("#{:06x}", self.rgb())
    }

    fn of_stage(state: &StageState, result: &StageResult) -> Tone {
        match (state, result) {
            (StageState::Failed | StageState::Failing, _) => Tone::Failed,
            (StageState::Passed, _) => Tone::Passed,
            (StageState::Building, _) => Tone::Building,
            (StageState::Cancelled, _) => Tone::Cancelled,
            (_, StageResult::Failed) => Tone::Failed,
            (_, StageResult::Passed) => Tone::Passed,
            (_, StageResult::Cancelled) => Tone::Cancelled,
            _ => Tone::Neutral,
        }
    }

    fn of_agent(state: &AgentState, build: &BuildState, config: &AgentConfigState) -> Tone {
        match (state, build, config) {
            (_, _, AgentConfigState::Disabled) => Tone::Neutral,
            (AgentState::LostContact | AgentState::Missing, _, _) => Tone::Failed,
            (_, BuildState::Cancelled, _) => Tone::Cancelled,
            (AgentState::Building, _, _) => Tone::Building,
            (AgentState::Idle, _, _) => Tone::Passed,
            _ => Tone::Neutral,
        }
    }
}

/// One field of a message: `Pipeline: deploy-app`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) value: String,
    /// Short enough to share a line with another.
    pub(crate) short: bool,
}

/// What a rich message shows besides the rule's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Summary {
    pub(crate) tone: Tone,
    /// `deploy-app #42 · deploy #1: Failed`, `Agent agent-7: LostContact`.
    pub(crate) title: String,
    /// The state first (the field a service may colour), then the rest.
    pub(crate) fields: Vec<Field>,
    /// The stage's or the agent's page, when the server's address is known.
    pub(crate) link: Option<String>,
}

/// The longest field value; names and states are far shorter.
const FIELD_MAX: usize = 256;
/// The longest list of failed jobs (Discord takes 1 024 characters a field).
const JOBS_MAX: usize = 1000;

/// What a delivery's notification shows besides its text. `server` is an
/// address [`check_server_url`] took.
pub(crate) fn summary(delivery: &Delivery, server: Option<&str>) -> Summary {
    let mut fields = Vec::new();
    let mut field = |name, value: &str, short, max| {
        if !value.is_empty() {
            fields.push(Field {
                name,
                value: cut::chars(value, max).into_owned(),
                short,
            });
        }
    };
    let transition = delivery.transition_text();
    let state = |s: &str| match transition {
        Some(t) => format!("{s} ({t})"),
        None => s.to_owned(),
    };
    if let Some(status) = delivery.status() {
        let p = &status.pipeline;
        let st = &p.stage;
        field("State", &state(st.state.as_str()), true, FIELD_MAX);
        field("Pipeline", &p.name, true, FIELD_MAX);
        field("Stage", &st.name, true, FIELD_MAX);
        field(
            "Counter",
            &format!("{} / {}", p.counter, st.counter),
            true,
            FIELD_MAX,
        );
        if let Some(label) = p.label.as_deref().filter(|l| *l != p.counter.to_string()) {
            field("Label", label, true, FIELD_MAX);
        }
        let failed: Vec<&str> = st.failed_jobs().map(|j| j.name.as_str()).collect();
        field("Failed jobs", &failed.join(", "), false, JOBS_MAX);
        Summary {
            tone: Tone::of_stage(&st.state, &st.result),
            title: format!(
                "{} #{} · {} #{}: {}",
                p.name, p.counter, st.name, st.counter, st.state
            ),
            fields,
            link: server.map(|s| stage_link(s, status)),
        }
    } else if let Some(agent) = delivery.agent() {
        let host = agent.host_name.as_deref().unwrap_or(&agent.uuid);
        field("State", &state(agent.agent_state.as_str()), true, FIELD_MAX);
        field("Agent", host, true, FIELD_MAX);
        field("Build", agent.build_state.as_str(), true, FIELD_MAX);
        field("Config", agent.agent_config_state.as_str(), true, FIELD_MAX);
        if let Some(ip) = &agent.ip_address {
            field("IP address", ip, true, FIELD_MAX);
        }
        Summary {
            tone: Tone::of_agent(
                &agent.agent_state,
                &agent.build_state,
                &agent.agent_config_state,
            ),
            title: format!("Agent {host}: {}", agent.agent_state),
            fields,
            link: server.map(|s| agent_link(s, &agent.uuid)),
        }
    } else {
        Summary {
            tone: Tone::Neutral,
            title: String::new(),
            fields,
            link: None,
        }
    }
}

/// `&`, `<` and `>` as entities (`&amp;`, `&lt;`, `&gt;`): what Slack asks,
/// so that text from a notification cannot turn into a mention or a link,
/// and what Google Chat's card HTML needs.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The label of the link to GoCD.
pub(crate) const OPEN: &str = "Open in GoCD";

/// What every chat notifier holds: where it posts (a secret), how it writes,
/// and the GoCD server its links point to.
/// The GoCD server's address for a rich message's links, checked as the
/// plugin checks it for `{link}`, never quoted in the error.
pub(crate) fn server_url(notifier: &'static str, url: &str) -> Result<String, ConfigError> {
    check_server_url(url).map_err(|problem| {
        ConfigError::new(
            notifier,
            format!(
                "the GoCD server address {problem}; give the server's address only, \
                 such as https://gocd.example.com"
            ),
        )
    })
}

pub(crate) struct Chat {
    pub(crate) poster: Poster,
    pub(crate) format: Format,
    pub(crate) server: Option<String>,
}

impl Chat {
    pub(crate) fn new(notifier: &'static str, url: &str) -> Result<Chat, ConfigError> {
        Ok(Chat {
            poster: Poster::new(notifier, url)?,
            format: Format::default(),
            server: None,
        })
    }

    /// Checks the address as the plugin does for `{link}`, never quoting it.
    pub(crate) fn set_server_url(
        &mut self,
        notifier: &'static str,
        url: &str,
    ) -> Result<(), ConfigError> {
        self.server = Some(server_url(notifier, url)?);
        Ok(())
    }

    pub(crate) fn set_timeout(&mut self, timeout: Duration) {
        self.poster.set_timeout(timeout);
    }

    pub(crate) fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("host", &self.poster.host())
            .field("url", &"<hidden>")
            .field("format", &self.format)
            .field("server_url", &self.server)
            .field("timeout", &show_duration(self.poster.timeout()))
            .finish()
    }
}

/// The builder methods, `Debug` and `Notifier` of a chat notifier `$name`
/// holding a [`Chat`] in `chat`, whose body for a delivery is
/// `$body(delivery, format, server)`.
macro_rules! chat_notifier {
    ($name:ident, $kind:literal, $body:path) => {
        impl $name {
            #[doc = concat!("A notifier posting to the ", $kind, " webhook at `url`. The URL is a")]
            /// secret: it never shows in errors or `Debug` output.
            pub fn new(url: &str) -> Result<$name, $crate::deliver::ConfigError> {
                Ok($name {
                    chat: $crate::deliver::rich::Chat::new($kind, url)?,
                })
            }

            /// How long one request may take in all; 5 seconds unless set.
            pub fn timeout(mut self, timeout: std::time::Duration) -> $name {
                self.chat.set_timeout(timeout);
                self
            }

            /// Rich (the default) or plain text.
            pub fn format(mut self, format: $crate::deliver::Format) -> $name {
                self.chat.format = format;
                self
            }

            /// The GoCD server's address (`https://gocd.example.com`, with or
            /// without `/go`), for the link to the stage or the agent. Refused
            /// when it holds a user, a password, a query or a fragment, which
            /// would go out in every message.
            pub fn server_url(mut self, url: &str) -> Result<$name, $crate::deliver::ConfigError> {
                self.chat.set_server_url($kind, url)?;
                Ok(self)
            }

            /// The JSON body posted for a delivery.
            pub fn message(&self, delivery: &$crate::Delivery) -> String {
                $body(delivery, self.chat.format, self.chat.server.as_deref())
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.chat.debug(stringify!($name), f)
            }
        }

        impl $crate::deliver::Notifier for $name {
            fn send(
                &self,
                delivery: &$crate::Delivery,
            ) -> Result<(), $crate::deliver::NotifyError> {
                // None of these services reads an Idempotency-Key header.
                self.chat
                    .poster
                    .post_json(self.message(delivery).as_bytes(), None)
            }
        }
    };
}
pub(crate) use chat_notifier;

#[cfg(test)]
mod tests;
