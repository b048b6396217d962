//! The `agent-status` body (extension versions 3 and 4).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::wire;
use super::{AgentConfigState, AgentState, BuildState};

/// The `agent-status` request body: an agent changed state. Unlike the stage
/// body, its keys are snake_case on the wire.
///
/// ```
/// use notify_rules::model::{AgentState, AgentStatus};
///
/// let body = r#"{"uuid":"0b9e","host_name":"agent-7","is_elastic":false,"ip_address":"10.0.4.17",
///   "operating_system":"Linux","free_space":"41.8 GB","agent_config_state":"Enabled",
///   "agent_state":"LostContact","build_state":"Unknown","transition_time":"2024-05-14T10:02:33.871+0000"}"#;
/// let agent: AgentStatus = serde_json::from_str(body).unwrap();
/// assert_eq!(agent.agent_state, AgentState::LostContact);
/// assert_eq!(agent.host_name.as_deref(), Some("agent-7"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentStatus {
    /// The agent's identifier.
    pub uuid: String,
    /// The agent's host name.
    #[serde(default, deserialize_with = "wire::opt_text::deserialize")]
    pub host_name: Option<String>,
    /// Whether an elastic agent plugin started the agent.
    #[serde(default, deserialize_with = "wire::flag::deserialize")]
    pub is_elastic: bool,
    /// The agent's IP address.
    #[serde(default, deserialize_with = "wire::opt_text::deserialize")]
    pub ip_address: Option<String>,
    /// The agent's operating system.
    #[serde(default, deserialize_with = "wire::opt_text::deserialize")]
    pub operating_system: Option<String>,
    /// Free disk space as text, such as `12.3 GB` or `Unknown`.
    #[serde(default, deserialize_with = "wire::opt_text::deserialize")]
    pub free_space: Option<String>,
    /// Whether the agent is enabled.
    #[serde(default)]
    pub agent_config_state: AgentConfigState,
    /// What the agent is doing.
    #[serde(default)]
    pub agent_state: AgentState,
    /// The state of the agent's current build.
    #[serde(default)]
    pub build_state: BuildState,
    /// When the agent changed state.
    #[serde(default, with = "wire::date")]
    pub transition_time: Option<DateTime<Utc>>,
}
