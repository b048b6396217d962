//! The bodies the plugin answers with, through the protocol's builders.

use serde_json::json;

use crate::protocol::{PluginResponse, ProtocolError, STAGE_STATUS};

pub(super) fn interested_in() -> PluginResponse {
    PluginResponse::interested_in(&[STAGE_STATUS])
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
