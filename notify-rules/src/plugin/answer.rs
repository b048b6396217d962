//! The bodies the plugin answers with, through the protocol's builders.

use serde_json::json;

use crate::protocol::{PluginResponse, ProtocolError, AGENT_STATUS, STAGE_STATUS};

/// `agent-status` is asked for only when some rule is about agents: GoCD
/// then sends one per agent state change, which is a lot of requests for a
/// large agent pool to make for nothing.
pub(super) fn interested_in(agents: bool) -> PluginResponse {
    if agents {
        PluginResponse::interested_in(&[STAGE_STATUS, AGENT_STATUS])
    } else {
        PluginResponse::interested_in(&[STAGE_STATUS])
    }
}

pub(super) fn bad_body(error: &ProtocolError) -> PluginResponse {
    PluginResponse::bad_request(error)
}

pub(super) fn unknown_request(name: &str) -> PluginResponse {
    PluginResponse::unknown_request(name)
}

/// The plugin has no settings in GoCD: it is configured in code.
pub(super) fn settings_configuration() -> PluginResponse {
    PluginResponse::json(200, &json!({}))
}

pub(super) fn settings_view() -> PluginResponse {
    PluginResponse::json(
        200,
        &json!({ "template": "<div>notify-rules has no settings here: its rules and notifiers are configured in the program that runs it.</div>" }),
    )
}

pub(super) fn settings_validation() -> PluginResponse {
    PluginResponse::json(200, &json!([]))
}
