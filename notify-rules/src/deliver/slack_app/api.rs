//! Calls to the Slack Web API (`chat.postMessage`, `chat.update`) and what
//! its answers mean: `ok: false` names its `error`, HTTP 429 says when to
//! come back (`Retry-After`), and some errors only a person can mend.

use std::time::Duration;

use serde::Deserialize;

use super::super::http::{agent, host_of, transport_message, MAX_TIMEOUT};
use super::super::{scrub, show_duration, NotifyError};

/// Errors that trying again cannot mend until someone changes the token,
/// the app's scopes or the channel: the delivery is kept, untried, until
/// `outbox retry` (see [`NotifyError::held`]).
const NEEDS_A_PERSON: &[&str] = &[
    "not_authed",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "no_permission",
    "missing_scope",
    "not_allowed_token_type",
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "ekm_access_denied",
    "access_denied",
    "restricted_action",
    "restricted_action_read_only_channel",
    "restricted_action_thread_only_channel",
    "restricted_action_non_threadable_channel",
    "team_access_not_granted",
    "org_login_required",
    "enterprise_is_restricted",
    "two_factor_setup_required",
];

/// Errors of Slack's own that pass.
const TRANSIENT: &[&str] = &[
    "ratelimited",
    "rate_limited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "team_added_to_org",
];

/// Errors about the message itself: the same message fails the same way,
/// so it is reported and given up.
const BAD_MESSAGE: &[&str] = &[
    "msg_too_long",
    "no_text",
    "invalid_blocks",
    "invalid_blocks_format",
    "invalid_attachments",
    "too_many_attachments",
    "invalid_arguments",
    "invalid_json",
    "json_not_object",
    "invalid_form_data",
    "invalid_charset",
    "invalid_arg_name",
    "invalid_array_arg",
];

/// `chat.update` errors that say the message to update is gone: a new one
/// is posted instead.
pub(super) const MESSAGE_GONE: &[&str] = &[
    "message_not_found",
    "cant_update_message",
    "edit_window_closed",
    "thread_not_found",
];

/// How long a 429 without a readable `Retry-After` waits.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// A posted or updated message, as Slack names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Posted {
    pub(super) channel: String,
    pub(super) ts: String,
}

/// What a call can come to besides a message.
pub(super) enum Failure {
    /// `ok: false` with one of [`MESSAGE_GONE`].
    Gone(String),
    /// Anything else, as the delivery's error.
    Error(NotifyError),
}

impl From<NotifyError> for Failure {
    fn from(e: NotifyError) -> Failure {
        Failure::Error(e)
    }
}

#[derive(Deserialize)]
struct Answer {
    ok: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    ts: Option<String>,
    #[serde(default)]
    channel: Option<String>,
}

/// The Web API at one address, with one bot token.
pub(super) struct Api {
    agent: ureq::Agent,
    base: String,
    /// `Bearer <token>`, sent with every call.
    authorization: String,
    token: String,
    timeout: Duration,
}

impl Api {
    pub(super) fn new(base: &str, token: &str, timeout: Duration) -> Api {
        let timeout = timeout.min(MAX_TIMEOUT);
        Api {
            agent: agent(timeout),
            base: base.trim_end_matches('/').to_owned(),
            authorization: format!("Bearer {token}"),
            token: token.to_owned(),
            timeout,
        }
    }

    /// The same token at another address.
    pub(super) fn at(&self, base: &str) -> Api {
        Api::new(base, &self.token, self.timeout)
    }

    /// The same API with another time limit per call.
    pub(super) fn with_timeout(&self, timeout: Duration) -> Api {
        Api::new(&self.base, &self.token, timeout)
    }

    pub(super) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The address's host, which is not secret.
    pub(super) fn host(&self) -> String {
        host_of(&self.base)
    }

    /// Calls `method` (`chat.postMessage`, `chat.update`) with a JSON body.
    pub(super) fn call(&self, method: &str, body: &serde_json::Value) -> Result<Posted, Failure> {
        let url = format!("{}/{method}", self.base);
        let mut resp = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json; charset=utf-8")
            .header("Authorization", &self.authorization)
            .send(body.to_string().as_bytes())
            .map_err(|e| self.transport_error(method, e))?;
        let code = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = resp
            .body_mut()
            .with_config()
            .limit(1024 * 1024)
            .read_to_string()
            .unwrap_or_default();
        match code {
            200..=299 => {}
            429 => {
                let wait = retry_after.unwrap_or(DEFAULT_RETRY_AFTER);
                let message = format!(
                    "Slack's {method} is rate limited (HTTP 429): tried again after {}",
                    show_duration(wait)
                );
                return Err(NotifyError::retryable(message).retry_after(wait).into());
            }
            408 | 500..=599 => {
                let e = NotifyError::retryable(format!("Slack's {method} answered HTTP {code}"));
                return Err(match retry_after {
                    Some(w) => e.retry_after(w),
                    None => e,
                }
                .into());
            }
            _ => {
                return Err(NotifyError::permanent(format!(
                    "Slack's {method} answered HTTP {code} (is `api_url` the Web API's address?)"
                ))
                .into())
            }
        }
        let answer: Answer = serde_json::from_str(&text).map_err(|_| {
            NotifyError::retryable(format!(
                "Slack's {method} answered HTTP {code} with a body that is not its JSON"
            ))
        })?;
        if answer.ok {
            return match (answer.channel, answer.ts) {
                (Some(channel), Some(ts)) => Ok(Posted { channel, ts }),
                _ => Err(NotifyError::retryable(format!(
                    "Slack's {method} answered ok without the message's `channel` and `ts`"
                ))
                .into()),
            };
        }
        let error = answer.error.unwrap_or_else(|| "no error named".to_owned());
        // Slack's codes are words; anything else is not repeated.
        let error: String =
            if error.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && error.len() <= 64 {
                error
            } else {
                "an unreadable error".to_owned()
            };
        Err(self.refusal(method, &error, retry_after))
    }

    /// What `ok: false` with `error` means for the delivery.
    fn refusal(&self, method: &str, error: &str, retry_after: Option<Duration>) -> Failure {
        if method == "chat.update" && MESSAGE_GONE.contains(&error) {
            return Failure::Gone(error.to_owned());
        }
        // A receiver that is not Slack may quote the token as its error.
        let message = scrub(
            &format!("Slack refused {method}: {error}"),
            &[&self.token, &self.authorization],
        );
        Failure::Error(if NEEDS_A_PERSON.contains(&error) {
            NotifyError::held(format!("{message} ({})", hint(error)))
        } else if BAD_MESSAGE.contains(&error) {
            NotifyError::permanent(message)
        } else if TRANSIENT.contains(&error) {
            let e = NotifyError::retryable(message);
            match retry_after {
                Some(w) => e.retry_after(w),
                None => e,
            }
        } else {
            // Unknown: kept and tried again rather than lost.
            NotifyError::retryable(message)
        })
    }

    fn transport_error(&self, method: &str, e: ureq::Error) -> NotifyError {
        let message = format!(
            "Slack's {method}: {}",
            transport_message(&e, &self.host(), self.timeout)
        );
        NotifyError::retryable(scrub(&message, &[&self.token, &self.authorization]))
    }
}

/// What to do about an error that needs a person.
fn hint(error: &str) -> &'static str {
    match error {
        "not_in_channel" => "invite the bot to the channel with `/invite @notify-rules`",
        "channel_not_found" => {
            "check `channel`: a channel ID such as C0123456789, which the bot can see"
        }
        "missing_scope" | "no_permission" => "give the app the `chat:write` scope and reinstall it",
        "is_archived" => "the channel is archived",
        _ => "check the bot token in the variable `token_env` names",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(api: &Api, error: &str) -> (bool, bool, bool) {
        match api.refusal("chat.postMessage", error, None) {
            Failure::Error(e) => (e.is_permanent(), e.is_held(), false),
            Failure::Gone(_) => (true, false, true),
        }
    }

    #[test]
    fn refusals_are_held_dropped_or_retried_by_what_they_say() {
        let api = Api::new(
            "http://127.0.0.1:9/api",
            "xoxb-t0ken",
            Duration::from_secs(1),
        );
        assert_eq!(kind(&api, "invalid_auth"), (true, true, false));
        assert_eq!(kind(&api, "not_in_channel"), (true, true, false));
        assert_eq!(kind(&api, "msg_too_long"), (true, false, false));
        assert_eq!(kind(&api, "internal_error"), (false, false, false));
        assert_eq!(kind(&api, "something_new"), (false, false, false));
        assert!(matches!(
            api.refusal("chat.update", "message_not_found", None),
            Failure::Gone(_)
        ));
    }

    #[test]
    fn a_refused_connection_is_retryable_and_hides_the_token() {
        let api = Api::new(
            "http://127.0.0.1:9/api",
            "xoxb-s3cr3t-t0ken",
            Duration::from_millis(500),
        );
        let Err(Failure::Error(e)) = api.call("chat.postMessage", &serde_json::json!({})) else {
            panic!("port 9 answered");
        };
        assert!(!e.is_permanent(), "{e:?}");
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
    }
}
