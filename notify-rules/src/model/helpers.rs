//! Questions the rule engine asks of a notification.

use chrono::Duration;

use super::{BuildCause, Job, JobResult, Pipeline, Stage, StageState};

impl BuildCause {
    /// The revision of the first modification: the commit, change list or, for
    /// a pipeline material, `upstream/counter/stage/counter`.
    pub fn revision(&self) -> Option<&str> {
        self.modifications.first()?.revision.as_deref()
    }
}

impl Pipeline {
    /// The material that triggered the run: the first one that changed, else the
    /// first one (a manual or timer run changes none); `None` without materials.
    ///
    /// ```
    /// use notify_rules::model::StageStatus;
    ///
    /// let status: StageStatus = serde_json::from_str(r#"{"pipeline":{"name":"p","counter":"1",
    ///   "build-cause":[
    ///     {"material":{"type":"git","git-configuration":{"url":"https://h/a.git"}},"changed":false,
    ///      "modifications":[{"revision":"aaa"}]},
    ///     {"material":{"type":"git","git-configuration":{"url":"https://h/b.git"}},"changed":true,
    ///      "modifications":[{"revision":"bbb"}]}],
    ///   "stage":{"name":"s","counter":"1","state":"Passed","result":"Passed"}}}"#).unwrap();
    /// assert_eq!(status.pipeline.trigger().and_then(|c| c.revision()), Some("bbb"));
    /// ```
    pub fn trigger(&self) -> Option<&BuildCause> {
        self.build_cause
            .iter()
            .find(|c| c.changed)
            .or_else(|| self.build_cause.first())
    }
}

impl Stage {
    /// How long the stage took: its last transition minus its creation. `None`
    /// while it is building, when either time is missing, or when the clock went
    /// backwards between the two.
    pub fn duration(&self) -> Option<Duration> {
        if self.state == StageState::Building {
            return None;
        }
        let d = self.last_transition_time? - self.create_time?;
        (d >= Duration::zero()).then_some(d)
    }

    /// The jobs whose result is `Failed`.
    pub fn failed_jobs(&self) -> impl Iterator<Item = &Job> {
        self.jobs.iter().filter(|j| j.result == JobResult::Failed)
    }

    /// The jobs whose result is `Passed`.
    pub fn passed_jobs(&self) -> impl Iterator<Item = &Job> {
        self.jobs.iter().filter(|j| j.result == JobResult::Passed)
    }
}
