//! The HTTP webhook notifier.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use super::http::Poster;
use super::{show_duration, ConfigError, Notifier, NotifyError};
use crate::model::{AgentStatus, StageStatus};
use crate::rules::Delivery;

/// POSTs each delivery as JSON to a URL:
///
/// ```json
/// {"target": "ops", "text": "Deploy of shop failed", "transition": "broken",
///  "idempotency_key": "shop/3/deploy/1/Failed/r0a0/ops",
///  "notification": { "pipeline": { ... } }}
/// ```
///
/// `transition` is `broken`, `fixed`, `still failing` or `null`; `notification` is
/// the stage-status body in GoCD's wire form, with credentials taken out of the
/// material URLs ([`StageStatus::redacted`]).
///
/// A delivery of an agent rule carries the agent-status body, as GoCD sent it
/// (snake_case keys), under `agent` instead of `notification`; its
/// `transition` is `lost`, `back` or `null`:
///
/// ```json
/// {"target": "ops", "text": "Agent agent-7 lost contact", "transition": "lost",
///  "idempotency_key": "agent/0b9e/LostContact/Unknown/Enabled/1715680953871/r0a0/ops",
///  "agent": {"uuid": "0b9e", "host_name": "agent-7", "agent_state": "LostContact", ...}}
/// ```
///
/// Each request carries an `Idempotency-Key` header (the same key) so that a
/// receiver can drop a repeat of a delivery that was retried.
///
/// Answers 2xx are success; 408, 429, 5xx, time-outs and connection failures are
/// retried; other answers are permanent failures. Redirects are not followed.
///
/// ```
/// use std::time::Duration;
/// use notify_rules::deliver::Webhook;
///
/// let hook = Webhook::new("https://hooks.example.com/gocd/s3cret")?
///     .header("Authorization", "Bearer t0ken")?
///     .timeout(Duration::from_secs(3));
/// // Neither the URL's path nor header values show.
/// let shown = format!("{hook:?}");
/// assert!(!shown.contains("s3cret") && !shown.contains("t0ken"));
/// # Ok::<(), notify_rules::deliver::ConfigError>(())
/// ```
pub struct Webhook {
    poster: Poster,
}

#[derive(Serialize)]
struct Body<'a> {
    target: &'a str,
    text: &'a str,
    transition: Option<&'static str>,
    idempotency_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    notification: Option<StageStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agent: Option<&'a AgentStatus>,
}

impl Webhook {
    /// A webhook posting to `url` (`http://` or `https://`). The URL is treated as
    /// a secret: it never shows in errors or `Debug` output.
    pub fn new(url: &str) -> Result<Webhook, ConfigError> {
        Ok(Webhook {
            poster: Poster::new("webhook", url)?,
        })
    }

    /// Adds a header to every request (for instance `Authorization`). Its value is
    /// treated as a secret.
    pub fn header(mut self, name: &str, value: &str) -> Result<Webhook, ConfigError> {
        self.poster.add_header("webhook", name, value)?;
        Ok(self)
    }

    /// How long one request may take in all (connecting, sending, answering);
    /// 5 seconds unless set.
    pub fn timeout(mut self, timeout: Duration) -> Webhook {
        self.poster.set_timeout(timeout);
        self
    }

    /// The JSON body posted for a delivery. The receiver is another system,
    /// often a third party's: material URLs reach it without credentials.
    pub fn body(delivery: &Delivery) -> String {
        let key = delivery.idempotency_key();
        let body = Body {
            target: delivery.target(),
            text: delivery.text(),
            transition: delivery.transition_text(),
            idempotency_key: &key,
            notification: delivery.status().map(StageStatus::redacted),
            agent: delivery.agent(),
        };
        // Serializing plain structs and strings into a String cannot fail.
        serde_json::to_string(&body).unwrap_or_default()
    }
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("host", &self.poster.host())
            .field("url", &"<hidden>")
            .field("headers", &self.poster.header_names())
            .field("timeout", &show_duration(self.poster.timeout()))
            .finish()
    }
}

impl Notifier for Webhook {
    fn send(&self, delivery: &Delivery) -> Result<(), NotifyError> {
        let key = delivery.idempotency_key();
        self.poster
            .post_json(Webhook::body(delivery).as_bytes(), Some(&key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn the_body_holds_target_text_key_and_notification() {
        let status = crate::plugin::test_support::status("shop", 3, "deploy", 1, "Failed");
        let d = Delivery::new("ops", "Deploy \"failed\"", Arc::new(status.clone()));
        let v: serde_json::Value = serde_json::from_str(&Webhook::body(&d)).unwrap();
        assert_eq!(v["target"], "ops");
        assert_eq!(v["text"], "Deploy \"failed\"");
        assert_eq!(v["transition"], serde_json::Value::Null);
        assert_eq!(v["idempotency_key"], d.idempotency_key().as_str());
        assert_eq!(v["notification"]["pipeline"]["name"], "shop");
        let back: StageStatus = serde_json::from_value(v["notification"].clone()).unwrap();
        assert_eq!(back.pipeline.stage.name, status.pipeline.stage.name);
    }

    #[test]
    fn an_agent_body_holds_the_agent_status_and_its_transition() {
        let agent: AgentStatus = serde_json::from_str(
            r#"{"uuid":"0b9e","host_name":"agent-7","agent_state":"LostContact",
              "transition_time":"2024-05-14T10:02:33.871+0000"}"#,
        )
        .unwrap();
        let rules = crate::RuleSet::parse("target ops; on agent lost => send(ops);").unwrap();
        let d = rules.evaluate_agent_shared(
            &Arc::new(agent.clone()),
            Some(crate::AgentTransition::Lost),
            None,
        );
        let v: serde_json::Value = serde_json::from_str(&Webhook::body(&d[0])).unwrap();
        assert_eq!(v["text"], "Agent agent-7: LostContact, build Unknown");
        assert_eq!(v["transition"], "lost");
        assert_eq!(v["idempotency_key"], d[0].idempotency_key().as_str());
        assert!(v.get("notification").is_none(), "{v}");
        assert_eq!(v["agent"]["host_name"], "agent-7");
        let back: AgentStatus = serde_json::from_value(v["agent"].clone()).unwrap();
        assert_eq!(back, agent);
    }

    #[test]
    fn the_body_carries_material_urls_without_credentials() {
        let mut status = crate::plugin::test_support::status("shop", 3, "deploy", 1, "Failed");
        status.pipeline.build_cause = vec![serde_json::from_str(
            r#"{"material":{"type":"git","git-configuration":
                {"url":"https://ci:t0ken@git.example.org/x.git?private_token=abc"}},
                "changed":true,"modifications":[{"revision":"abc123"}]}"#,
        )
        .unwrap()];
        let d = Delivery::new("ops", "failed", Arc::new(status));
        let body = Webhook::body(&d);
        assert!(!body.contains("t0ken") && !body.contains("=abc"), "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let cause = &v["notification"]["pipeline"]["build-cause"][0];
        assert_eq!(
            cause["material"]["git-configuration"]["url"],
            "https://git.example.org/x.git?private_token=******"
        );
        assert_eq!(cause["modifications"][0]["revision"], "abc123");
    }

    #[test]
    fn debug_hides_the_url() {
        let hook = Webhook::new("https://user:pw@hooks.example.com/very/s3cret").unwrap();
        let shown = format!("{hook:?}");
        assert!(shown.contains("hooks.example.com"), "{shown}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("pw@"),
            "{shown}"
        );
    }
}
