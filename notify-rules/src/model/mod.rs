//! GoCD's notification bodies as Rust types.
//!
//! Field names are snake_case in Rust and dash-case on the wire (the agent-status
//! body uses snake_case on the wire too). Counters are `u64`, read from JSON
//! strings or numbers and written as strings; dates are [`DateTime<Utc>`], read with
//! any offset and written in GoCD's pattern (`2024-05-14T09:22:10.118+0000`).
//!
//! ```
//! use notify_rules::model::{StageStatus, StageState};
//!
//! let body = r#"{"pipeline":{"name":"api","counter":"7","group":null,"build-cause":[],
//!   "stage":{"name":"test","counter":"1","state":"Failed","result":"Failed","jobs":[]}}}"#;
//! let status: StageStatus = serde_json::from_str(body).unwrap();
//! assert_eq!(status.pipeline.counter, 7);
//! assert_eq!(status.pipeline.stage.state, StageState::Failed);
//! ```

mod agent;
mod enums;
mod helpers;
mod material;
pub(crate) mod redact;
pub(crate) mod wire;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use agent::AgentStatus;
pub use enums::{
    AgentConfigState, AgentState, BuildState, JobResult, JobState, StageResult, StageState,
};
pub use material::{
    GitConfig, Material, MercurialConfig, PackageConfig, PerforceConfig, PipelineConfig, ScmConfig,
    SvnConfig, TfsConfig,
};
pub use redact::redact_url;

/// The `stage-status` request body: one stage of one pipeline run changed state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageStatus {
    /// The pipeline run the stage belongs to.
    #[serde(deserialize_with = "wire::object::deserialize")]
    pub pipeline: Pipeline,
}

/// One pipeline run (`.pipeline`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Pipeline {
    /// The pipeline's name.
    pub name: String,
    /// The pipeline run's counter.
    #[serde(with = "wire::counter")]
    pub counter: u64,
    /// The run's label (v2 and later; `None` when absent or null).
    #[serde(default, deserialize_with = "wire::opt_text::deserialize")]
    pub label: Option<String>,
    /// The pipeline group; `None` when the pipeline has left the configuration.
    #[serde(default, deserialize_with = "wire::opt_text::deserialize")]
    pub group: Option<String>,
    /// The materials of the run, with what changed in them.
    #[serde(default, deserialize_with = "wire::object::vec")]
    pub build_cause: Vec<BuildCause>,
    /// The stage this notification is about.
    #[serde(deserialize_with = "wire::object::deserialize")]
    pub stage: Stage,
}

/// One material of a pipeline run (`.pipeline.build-cause[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildCause {
    /// The material and its configuration.
    pub material: Material,
    /// Whether this material changed and so caused the run.
    #[serde(default, deserialize_with = "wire::flag::deserialize")]
    pub changed: bool,
    /// The revisions of the material in this run.
    #[serde(default, deserialize_with = "wire::object::vec")]
    pub modifications: Vec<Modification>,
}

/// One revision of a material (`build-cause[].modifications[]`). Its
/// `Debug` redacts `data` as [`StageStatus::redacted`] does.
///
/// ```
/// use notify_rules::model::Modification;
///
/// let m = Modification {
///     revision: Some("abc".into()),
///     modified_time: None,
///     data: [("api_token".into(), "t0ken".into()), ("repo".into(), "https://bob:pw@git.example/x".into())].into(),
/// };
/// let shown = format!("{m:?}");
/// assert!(!shown.contains("t0ken") && !shown.contains("bob:pw"), "{shown}");
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Modification {
    /// The revision; for a pipeline material `upstream/counter/stage/counter`.
    #[serde(default, deserialize_with = "wire::opt_text::deserialize")]
    pub revision: Option<String>,
    /// When the revision was made.
    #[serde(default, with = "wire::date")]
    pub modified_time: Option<DateTime<Utc>>,
    /// Plugin-defined data (`{}` for source control materials).
    #[serde(default, with = "wire::string_map")]
    pub data: BTreeMap<String, String>,
}

/// The stage (`.pipeline.stage`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Stage {
    /// The stage's name.
    pub name: String,
    /// The stage's counter; a re-run gets a new one under the same pipeline counter.
    #[serde(with = "wire::counter")]
    pub counter: u64,
    /// `success` (automatic) or `manual`.
    #[serde(default, deserialize_with = "wire::opt_text::deserialize")]
    pub approval_type: Option<String>,
    /// `changes`, `timer`, a user name, `anonymous`, or `""`.
    #[serde(default, deserialize_with = "wire::opt_text::deserialize")]
    pub approved_by: Option<String>,
    /// The stage before this one in the run (v4; null for the first stage).
    #[serde(default, deserialize_with = "wire::opt_text::deserialize")]
    pub previous_stage_name: Option<String>,
    /// The counter of the previous stage (v4; 0 when there is none).
    #[serde(default, with = "wire::opt_counter")]
    pub previous_stage_counter: Option<u64>,
    /// The stage's state; `Unknown` when not sent.
    #[serde(default)]
    pub state: StageState,
    /// The stage's result; `Unknown` when not sent.
    #[serde(default)]
    pub result: StageResult,
    /// When the stage was scheduled.
    #[serde(default, with = "wire::date")]
    pub create_time: Option<DateTime<Utc>>,
    /// When the stage last changed state (`None` while scheduled).
    #[serde(default, with = "wire::date")]
    pub last_transition_time: Option<DateTime<Utc>>,
    /// The stage's jobs.
    #[serde(default, deserialize_with = "wire::object::vec")]
    pub jobs: Vec<Job>,
}

/// One job of the stage (`.pipeline.stage.jobs[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Job {
    /// The job's name; empty when not sent.
    #[serde(default)]
    pub name: String,
    /// When the job was scheduled.
    #[serde(default, with = "wire::date")]
    pub schedule_time: Option<DateTime<Utc>>,
    /// When an agent took the job (v2 and later).
    #[serde(default, with = "wire::date")]
    pub assign_time: Option<DateTime<Utc>>,
    /// When the job completed.
    #[serde(default, with = "wire::date")]
    pub complete_time: Option<DateTime<Utc>>,
    /// The job's state; `Unknown` when not sent.
    #[serde(default)]
    pub state: JobState,
    /// The job's result; `Unknown` when not sent.
    #[serde(default)]
    pub result: JobResult,
    /// The agent running the job, once assigned.
    #[serde(default, deserialize_with = "wire::opt_text::deserialize")]
    pub agent_uuid: Option<String>,
}
