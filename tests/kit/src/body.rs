//! Stage-status bodies built by the tests.

use std::fmt;

use serde_json::Value;

/// A stage-status body in GoCD's wire form: pipeline `name` run `counter`,
/// stage `test` run 1, passed, in group `g`, with no label, build causes or
/// jobs, and GoCD's dates; each part can be changed.
///
/// ```
/// use notify_rules_test_kit::StageBody;
/// let text = StageBody::new("shop", 7).stage("deploy", 2).state("Failed").to_string();
/// assert!(text.contains(r#""state":"Failed""#));
/// ```
#[derive(Debug, Clone)]
pub struct StageBody {
    pipeline: String,
    counter: u64,
    label: Option<String>,
    stage: String,
    stage_counter: u64,
    state: String,
    result: Option<String>,
    last_transition_time: String,
}

impl StageBody {
    pub fn new(pipeline: &str, counter: u64) -> StageBody {
        StageBody {
            pipeline: pipeline.to_owned(),
            counter,
            label: None,
            stage: "test".to_owned(),
            stage_counter: 1,
            state: "Passed".to_owned(),
            result: None,
            last_transition_time: "2024-05-14T09:25:47.201+0000".to_owned(),
        }
    }

    /// The stage's name and run.
    pub fn stage(mut self, name: &str, counter: u64) -> StageBody {
        self.stage = name.to_owned();
        self.stage_counter = counter;
        self
    }

    /// The stage's state; the result follows it (`Unknown` for a state that
    /// is not an end) unless [`result`](Self::result) sets it.
    pub fn state(mut self, state: &str) -> StageBody {
        self.state = state.to_owned();
        self
    }

    pub fn result(mut self, result: &str) -> StageBody {
        self.result = Some(result.to_owned());
        self
    }

    pub fn label(mut self, label: &str) -> StageBody {
        self.label = Some(label.to_owned());
        self
    }

    /// The stage's `last-transition-time` as written (`""` for none).
    pub fn last_transition_time(mut self, time: &str) -> StageBody {
        self.last_transition_time = time.to_owned();
        self
    }

    pub fn json(&self) -> Value {
        let result = self.result.as_deref().unwrap_or(match self.state.as_str() {
            s @ ("Passed" | "Failed" | "Cancelled") => s,
            _ => "Unknown",
        });
        serde_json::json!({
            "pipeline": {
                "name": self.pipeline, "counter": self.counter.to_string(),
                "label": self.label, "group": "g", "build-cause": [],
                "stage": {
                    "name": self.stage, "counter": self.stage_counter.to_string(),
                    "approval-type": "success", "approved-by": "changes",
                    "state": self.state, "result": result,
                    "create-time": "2024-05-14T09:22:10.118+0000",
                    "last-transition-time": self.last_transition_time,
                    "jobs": []
                }
            }
        })
    }
}

impl fmt::Display for StageBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.json().fmt(f)
    }
}

/// The body of pipeline `pipeline` run `pc`, stage `stage` run `sc`, in
/// `state`: [`StageBody`] with those set.
pub fn body(pipeline: &str, pc: u64, stage: &str, sc: u64, state: &str) -> String {
    StageBody::new(pipeline, pc)
        .stage(stage, sc)
        .state(state)
        .to_string()
}

/// An agent-status body in GoCD's wire form: agent `uuid` on host
/// `agent-<uuid>`, enabled, idle, not elastic, changed at `transition_time`
/// (GoCD's date form); each part can be changed.
///
/// ```
/// use notify_rules_test_kit::AgentBody;
/// let text = AgentBody::new("a-1").state("LostContact").to_string();
/// assert!(text.contains(r#""agent_state":"LostContact""#));
/// ```
#[derive(Debug, Clone)]
pub struct AgentBody {
    uuid: String,
    host_name: String,
    state: String,
    build_state: String,
    config_state: String,
    elastic: bool,
    transition_time: String,
}

impl AgentBody {
    pub fn new(uuid: &str) -> AgentBody {
        AgentBody {
            uuid: uuid.to_owned(),
            host_name: format!("agent-{uuid}"),
            state: "Idle".to_owned(),
            build_state: "Idle".to_owned(),
            config_state: "Enabled".to_owned(),
            elastic: false,
            transition_time: "2024-05-14T10:00:00.000+0000".to_owned(),
        }
    }

    pub fn host(mut self, host_name: &str) -> AgentBody {
        self.host_name = host_name.to_owned();
        self
    }

    /// The agent's `agent_state`.
    pub fn state(mut self, state: &str) -> AgentBody {
        self.state = state.to_owned();
        self
    }

    pub fn build_state(mut self, build_state: &str) -> AgentBody {
        self.build_state = build_state.to_owned();
        self
    }

    /// The agent's `agent_config_state`.
    pub fn config(mut self, config_state: &str) -> AgentBody {
        self.config_state = config_state.to_owned();
        self
    }

    pub fn elastic(mut self, elastic: bool) -> AgentBody {
        self.elastic = elastic;
        self
    }

    /// The `transition_time` as written.
    pub fn at(mut self, transition_time: &str) -> AgentBody {
        self.transition_time = transition_time.to_owned();
        self
    }

    pub fn json(&self) -> Value {
        serde_json::json!({
            "uuid": self.uuid, "host_name": self.host_name, "is_elastic": self.elastic,
            "ip_address": "10.0.4.17", "operating_system": "Linux", "free_space": "41.8 GB",
            "agent_config_state": self.config_state, "agent_state": self.state,
            "build_state": self.build_state, "transition_time": self.transition_time
        })
    }
}

impl fmt::Display for AgentBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.json().fmt(f)
    }
}
