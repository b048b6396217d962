//! The bodies the plugin answers with.

use serde::Serialize;
use serde_json::json;

use super::REQUESTS;
use crate::protocol::PluginResponse;

fn response(code: u16, body: serde_json::Value) -> PluginResponse {
    PluginResponse {
        code,
        body: body.to_string(),
    }
}

/// A struct rather than `json!`, so that `status` comes first as GoCD's
/// documentation writes it.
#[derive(Serialize)]
struct Status<'a> {
    status: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    messages: &'a [String],
}

fn status(code: u16, messages: &[String]) -> PluginResponse {
    let status = if messages.is_empty() {
        "success"
    } else {
        "failure"
    };
    let body = serde_json::to_string(&Status { status, messages }).unwrap_or_default();
    PluginResponse { code, body }
}

/// Success, or failure with one message each.
pub(super) fn outcome(messages: Vec<String>) -> PluginResponse {
    status(200, &messages)
}

pub(super) fn interested_in() -> PluginResponse {
    response(200, json!({ "notifications": ["stage-status"] }))
}

pub(super) fn bad_body(request: &str, error: &dyn std::fmt::Display) -> PluginResponse {
    response(
        400,
        json!({ "status": "failure", "messages": [format!("the {request} body cannot be read: {error}")] }),
    )
}

pub(super) fn unknown_request(name: &str) -> PluginResponse {
    let shown: String = name.chars().take(100).collect();
    let message = format!(
        "unknown request name `{shown}`; this plugin answers {}",
        REQUESTS.join(", ")
    );
    status(400, &[message])
}

/// The plugin has no settings in GoCD: it is configured in code.
pub(super) fn settings_configuration() -> PluginResponse {
    response(200, json!({}))
}

pub(super) fn settings_view() -> PluginResponse {
    response(
        200,
        json!({ "template": "<div>notify-rules has no settings here: its rules and notifiers are configured in the program that runs it.</div>" }),
    )
}

pub(super) fn settings_validation() -> PluginResponse {
    response(200, json!([]))
}
