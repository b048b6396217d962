//! The GoCD notification plugin protocol: request names, answers, and reading
//! request bodies with errors that say what is wrong and where.
//!
//! ```
//! use notify_rules::protocol::{self, PluginResponse};
//!
//! let body = r#"{"pipeline":{"name":"shop","counter":"3","build-cause":[],
//!   "stage":{"name":"deploy","counter":"x","state":"Failed","result":"Failed","jobs":[]}}}"#;
//! let err = protocol::parse_stage_status(body).unwrap_err();
//! assert_eq!(err.path(), Some("pipeline.stage.counter"));
//! assert_eq!((err.line(), err.column()), (Some(2), Some(40)));
//!
//! let answer = PluginResponse::bad_request(&err);
//! assert_eq!(answer.code, 400);
//! assert!(answer.body.starts_with(r#"{"status":"failure","messages":["invalid stage-status body at pipeline.stage.counter"#));
//! ```

mod error;
mod parse;
mod reader;
mod response;
mod sniff;

pub use chrono_tz::Tz;
pub use error::ProtocolError;
pub use parse::{
    parse_agent_status, parse_notification, parse_stage_status, Notification, Received,
};
pub use reader::{time_zone, Read, Reader};
pub use response::PluginResponse;

pub use crate::model::wire::context::{UnreadableField, MAX_LOCATED};

/// The largest request body read, in bytes. A stage-status body with a few
/// hundred jobs is tens of kilobytes; anything near this is not a notification.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// The request asking which notifications the plugin wants.
pub const NOTIFICATIONS_INTERESTED_IN: &str = "notifications-interested-in";
/// The request carrying a stage-status body.
pub const STAGE_STATUS: &str = "stage-status";
/// The request carrying an agent-status body (extension version 3 and later).
pub const AGENT_STATUS: &str = "agent-status";
/// The request asking for the plugin's settings and their properties.
pub const GET_CONFIGURATION: &str = "go.plugin-settings.get-configuration";
/// The request asking for the settings page's HTML template.
pub const GET_VIEW: &str = "go.plugin-settings.get-view";
/// The request asking the plugin to check settings a user entered.
pub const VALIDATE_CONFIGURATION: &str = "go.plugin-settings.validate-configuration";
/// The request telling the plugin its settings changed (extension version 3 and later).
pub const PLUGIN_SETTINGS_CHANGED: &str = "go.plugin-settings.plugin-settings-changed";

/// The requests GoCD sends a notification plugin.
///
/// ```
/// use notify_rules::protocol::Request;
///
/// assert_eq!(Request::from_name("stage-status"), Some(Request::StageStatus));
/// assert_eq!(Request::StageStatus.name(), "stage-status");
/// assert_eq!(Request::from_name("stage-statuses"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Request {
    /// [`NOTIFICATIONS_INTERESTED_IN`]
    NotificationsInterestedIn,
    /// [`STAGE_STATUS`]
    StageStatus,
    /// [`AGENT_STATUS`]
    AgentStatus,
    /// [`GET_CONFIGURATION`]
    GetConfiguration,
    /// [`GET_VIEW`]
    GetView,
    /// [`VALIDATE_CONFIGURATION`]
    ValidateConfiguration,
    /// [`PLUGIN_SETTINGS_CHANGED`]
    PluginSettingsChanged,
}

impl Request {
    /// Every request, in the order GoCD's documentation lists them.
    pub const ALL: [Request; 7] = [
        Request::NotificationsInterestedIn,
        Request::StageStatus,
        Request::AgentStatus,
        Request::GetConfiguration,
        Request::GetView,
        Request::ValidateConfiguration,
        Request::PluginSettingsChanged,
    ];

    /// The request's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Request::NotificationsInterestedIn => NOTIFICATIONS_INTERESTED_IN,
            Request::StageStatus => STAGE_STATUS,
            Request::AgentStatus => AGENT_STATUS,
            Request::GetConfiguration => GET_CONFIGURATION,
            Request::GetView => GET_VIEW,
            Request::ValidateConfiguration => VALIDATE_CONFIGURATION,
            Request::PluginSettingsChanged => PLUGIN_SETTINGS_CHANGED,
        }
    }

    /// The request with this name, exactly as GoCD writes it.
    pub fn from_name(name: &str) -> Option<Request> {
        Request::ALL.into_iter().find(|r| r.name() == name)
    }
}
