//! Template placeholders: one function renders each, for generated code and the
//! run-time evaluator alike.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use notify_rules_syntax::ast::{Field, Piece, Template};

use super::Eval;
use crate::model::Job;

impl Eval<'_> {
    /// Appends the value of one placeholder to `out`.
    pub fn push_field(&self, out: &mut String, field: Field) {
        let p = &self.status.pipeline;
        let st = &p.stage;
        match field {
            Field::PipelineName => out.push_str(&p.name),
            Field::PipelineCounter => push_display(out, p.counter),
            Field::PipelineLabel => out.push_str(p.label.as_deref().unwrap_or("")),
            Field::PipelineGroup => out.push_str(p.group.as_deref().unwrap_or("")),
            Field::StageName => out.push_str(&st.name),
            Field::StageCounter => push_display(out, st.counter),
            Field::StageState => out.push_str(st.state.as_str()),
            Field::StageResult => out.push_str(st.result.as_str()),
            Field::StageApprovedBy => out.push_str(st.approved_by.as_deref().unwrap_or("")),
            Field::StageApprovalType => out.push_str(st.approval_type.as_deref().unwrap_or("")),
            Field::StageCreateTime => push_time(out, st.create_time.as_ref()),
            Field::StageLastTransitionTime => push_time(out, st.last_transition_time.as_ref()),
            Field::StageDuration => {
                if let Some(d) = st.duration() {
                    push_duration(out, d.num_seconds());
                }
            }
            Field::JobsFailed => push_jobs(out, st.failed_jobs()),
            Field::JobsPassed => push_jobs(out, st.passed_jobs()),
            Field::JobsAll => push_jobs(out, st.jobs.iter()),
            Field::MaterialType => {
                if let Some(c) = p.trigger() {
                    out.push_str(c.material.kind());
                }
            }
            Field::MaterialUrl => {
                if let Some(url) = p.trigger().and_then(|c| c.material.redacted_url()) {
                    out.push_str(&url);
                }
            }
            Field::MaterialBranch => {
                if let Some(b) = p.trigger().and_then(|c| c.material.branch()) {
                    out.push_str(b);
                }
            }
            Field::MaterialRevision => {
                if let Some(r) = p.trigger().and_then(|c| c.revision()) {
                    out.push_str(r);
                }
            }
            Field::Transition => {
                if let Some(t) = self.transition {
                    out.push_str(t.as_str());
                }
            }
            Field::Link => {
                if let Some(server) = self.server_url {
                    let _ = write!(
                        out,
                        "{}/go/pipelines/{}/{}/{}/{}",
                        server.trim_end_matches('/'),
                        p.name,
                        p.counter,
                        st.name,
                        st.counter
                    );
                }
            }
        }
    }

    /// Renders a whole template (the run-time evaluator's path; generated code
    /// pushes the same pieces inline).
    pub(crate) fn render(&self, template: &Template) -> String {
        let mut out = String::new();
        for piece in &template.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Field(f) => self.push_field(&mut out, *f),
            }
        }
        out
    }
}

fn push_display(out: &mut String, v: impl std::fmt::Display) {
    let _ = write!(out, "{v}");
}

fn push_time(out: &mut String, t: Option<&DateTime<Utc>>) {
    if let Some(t) = t {
        out.push_str(&t.to_rfc3339_opts(SecondsFormat::Millis, true));
    }
}

fn push_jobs<'j>(out: &mut String, jobs: impl Iterator<Item = &'j Job>) {
    for (i, job) in jobs.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&job.name);
    }
}

/// `3m 37s`, `1h 2m 5s`, `12s`; whole seconds, as people read build times.
pub(crate) fn push_duration(out: &mut String, secs: i64) {
    let secs = secs.max(0);
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if h > 0 {
        let _ = write!(out, "{h}h {m}m {s}s");
    } else if m > 0 {
        let _ = write!(out, "{m}m {s}s");
    } else {
        let _ = write!(out, "{s}s");
    }
}

#[cfg(test)]
mod tests {
    use super::push_duration;

    #[test]
    fn durations_read_like_people_write_them() {
        let f = |s| {
            let mut o = String::new();
            push_duration(&mut o, s);
            o
        };
        assert_eq!(f(217), "3m 37s");
        assert_eq!(f(12), "12s");
        assert_eq!(f(0), "0s");
        assert_eq!(f(3725), "1h 2m 5s");
        assert_eq!(f(-5), "0s");
    }
}
