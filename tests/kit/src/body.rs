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
