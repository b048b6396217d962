//! Template placeholders: one function renders each, for generated code and the
//! run-time evaluator alike.

use chrono::{DateTime, SecondsFormat, Utc};
use notify_rules_syntax::ast::{Field, Piece, Template};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::{AgentEval, Eval};
use crate::model::Job;

impl Eval<'_> {
    /// Appends the value of one placeholder to `out`.
    // Inline: generated code passes a constant `field`, so the match folds away
    // and a plain field becomes one `push_str`.
    #[inline]
    pub fn push_field(&self, out: &mut String, field: Field) {
        let p = &self.status.pipeline;
        let st = &p.stage;
        match field {
            Field::PipelineName => out.push_str(&p.name),
            Field::PipelineCounter => push_u64(out, p.counter),
            Field::PipelineLabel => out.push_str(p.label.as_deref().unwrap_or("")),
            Field::PipelineGroup => out.push_str(p.group.as_deref().unwrap_or("")),
            Field::StageName => out.push_str(&st.name),
            Field::StageCounter => push_u64(out, st.counter),
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
                    push_link(out, server, self.status);
                }
            }
            // Agent placeholders: the checks keep them out of stage rules.
            Field::AgentUuid
            | Field::AgentHostName
            | Field::AgentIpAddress
            | Field::AgentOs
            | Field::AgentFreeSpace
            | Field::AgentState
            | Field::AgentBuildState
            | Field::AgentConfigState
            | Field::AgentElastic
            | Field::AgentTransitionTime => {}
            // Without a clock nothing was held back; the time placeholders of
            // reminders are the reminder's to give (`rules::time`).
            Field::Suppressed => out.push('0'),
            Field::Since | Field::Reminder => {}
        }
    }

    /// How many bytes a placeholder will likely take: exact for plain text
    /// fields, a guess for the rest. Templates reserve the sum up front, so a
    /// message is usually written without growing its buffer.
    #[inline]
    pub fn size_hint(&self, field: Field) -> usize {
        let p = &self.status.pipeline;
        let st = &p.stage;
        let opt = |v: &Option<String>| v.as_deref().map_or(0, str::len);
        match field {
            Field::PipelineName => p.name.len(),
            Field::PipelineLabel => opt(&p.label),
            Field::PipelineGroup => opt(&p.group),
            Field::StageName => st.name.len(),
            Field::StageState => st.state.as_str().len(),
            Field::StageResult => st.result.as_str().len(),
            Field::StageApprovedBy => opt(&st.approved_by),
            Field::StageApprovalType => opt(&st.approval_type),
            Field::PipelineCounter | Field::StageCounter => 4,
            Field::Transition => 13,
            Field::StageDuration => 11,
            Field::StageCreateTime | Field::StageLastTransitionTime => 24,
            Field::JobsFailed | Field::JobsPassed | Field::JobsAll => 32,
            Field::MaterialType | Field::MaterialBranch => 16,
            Field::MaterialRevision => 40,
            Field::MaterialUrl | Field::Link => 64,
            _ => 0,
        }
    }

    /// Renders a whole template whose text is `text_len` bytes (the run-time
    /// evaluator's path; generated code pushes the same pieces inline).
    pub(crate) fn render(&self, template: &Template, text_len: usize) -> String {
        render_with(
            template,
            text_len,
            |f| self.size_hint(f),
            |out, f| self.push_field(out, f),
        )
    }
}

impl AgentEval<'_> {
    /// Appends the value of one placeholder of an agent rule to `out`.
    #[inline]
    pub fn push_field(&self, out: &mut String, field: Field) {
        let a = self.status;
        let opt = |out: &mut String, v: &Option<String>| out.push_str(v.as_deref().unwrap_or(""));
        match field {
            Field::AgentUuid => out.push_str(&a.uuid),
            Field::AgentHostName => opt(out, &a.host_name),
            Field::AgentIpAddress => opt(out, &a.ip_address),
            Field::AgentOs => opt(out, &a.operating_system),
            Field::AgentFreeSpace => opt(out, &a.free_space),
            Field::AgentState => out.push_str(a.agent_state.as_str()),
            Field::AgentBuildState => out.push_str(a.build_state.as_str()),
            Field::AgentConfigState => out.push_str(a.agent_config_state.as_str()),
            Field::AgentElastic => out.push_str(if a.is_elastic { "true" } else { "false" }),
            Field::AgentTransitionTime => push_time(out, a.transition_time.as_ref()),
            Field::Transition => {
                if let Some(t) = self.transition {
                    out.push_str(t.as_str());
                }
            }
            Field::Link => {
                if let Some(server) = self.server_url {
                    push_agent_link(out, server, &a.uuid);
                }
            }
            // As for stage rules: nothing held back without a clock.
            Field::Suppressed => out.push('0'),
            // Stage placeholders: the checks keep them out of agent rules.
            _ => {}
        }
    }

    /// How many bytes a placeholder of an agent rule will likely take.
    #[inline]
    pub fn size_hint(&self, field: Field) -> usize {
        let a = self.status;
        let opt = |v: &Option<String>| v.as_deref().map_or(0, str::len);
        match field {
            Field::AgentUuid => a.uuid.len(),
            Field::AgentHostName => opt(&a.host_name),
            Field::AgentIpAddress => opt(&a.ip_address),
            Field::AgentOs => opt(&a.operating_system),
            Field::AgentFreeSpace => opt(&a.free_space),
            Field::AgentState => a.agent_state.as_str().len(),
            Field::AgentBuildState => a.build_state.as_str().len(),
            Field::AgentConfigState => a.agent_config_state.as_str().len(),
            Field::AgentElastic => 5,
            Field::AgentTransitionTime => 24,
            Field::Transition => 4,
            Field::Link => 96,
            _ => 0,
        }
    }

    /// Renders a whole template of an agent rule.
    pub(crate) fn render(&self, template: &Template, text_len: usize) -> String {
        render_with(
            template,
            text_len,
            |f| self.size_hint(f),
            |out, f| self.push_field(out, f),
        )
    }
}

/// A template's pieces written out, with room reserved for the fields'
/// likely sizes.
#[inline]
fn render_with(
    template: &Template,
    text_len: usize,
    hint: impl Fn(Field) -> usize,
    push: impl Fn(&mut String, Field),
) -> String {
    let fields: usize = template
        .pieces
        .iter()
        .map(|piece| match piece {
            Piece::Text(_) => 0,
            Piece::Field(f) => hint(*f),
        })
        .sum();
    let mut out = String::with_capacity(text_len + fields);
    for piece in &template.pieces {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Field(f) => push(&mut out, *f),
        }
    }
    out
}

/// Renders a template outside any rule (the e-mail subject): no server
/// address, so `{link}` is empty.
#[cfg(feature = "email")]
pub(crate) fn render_alone(
    template: &Template,
    status: &crate::model::StageStatus,
    transition: Option<super::Transition>,
) -> String {
    let text_len = template
        .pieces
        .iter()
        .map(|piece| match piece {
            Piece::Text(t) => t.len(),
            Piece::Field(_) => 0,
        })
        .sum();
    Eval::new(status, transition, None).render(template, text_len)
}

/// `<server>/go/agents/<uuid>/job_run_history`: the agent's page.
pub(super) fn push_agent_link(out: &mut String, server: &str, uuid: &str) {
    let server = server.trim_end_matches('/');
    out.push_str(server.strip_suffix("/go").unwrap_or(server));
    out.push_str("/go/agents/");
    push_segment(out, uuid);
    out.push_str("/job_run_history");
}

/// Renders a template of an agent rule outside any rule (the e-mail subject
/// of an agent delivery).
#[cfg(feature = "email")]
pub(crate) fn render_agent_alone(
    template: &Template,
    status: &crate::model::AgentStatus,
    transition: Option<super::AgentTransition>,
) -> String {
    AgentEval::new_agent(status, transition, None).render(template, template.text_len())
}

fn push_u64(out: &mut String, v: u64) {
    out.push_str(itoa::Buffer::new().format(v));
}

pub(super) fn push_link(out: &mut String, server: &str, status: &crate::model::StageStatus) {
    let p = &status.pipeline;
    let server = server.trim_end_matches('/');
    // GoCD's pages live under `/go`, and people copy the address with it; the
    // link adds `/go/pipelines/...` itself.
    out.push_str(server.strip_suffix("/go").unwrap_or(server));
    out.push_str("/go/pipelines/");
    push_segment(out, &p.name);
    out.push('/');
    push_u64(out, p.counter);
    out.push('/');
    push_segment(out, &p.stage.name);
    out.push('/');
    push_u64(out, p.stage.counter);
}

/// What is percent-encoded in a link's path segment. GoCD names are letters,
/// digits, `-`, `_` and `.`; anything else (a body that breaks that rule) is
/// encoded, so it cannot add segments, a query or a fragment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// A name as one path segment; `.` and `..` have their dots encoded too, so
/// that they do not climb the path.
fn push_segment(out: &mut String, name: &str) {
    let encoded = if name == "." || name == ".." {
        NON_ALPHANUMERIC
    } else {
        SEGMENT
    };
    out.extend(utf8_percent_encode(name, encoded));
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
    let secs = secs.max(0) as u64;
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if h > 0 {
        push_u64(out, h);
        out.push_str("h ");
    }
    if h > 0 || m > 0 {
        push_u64(out, m);
        out.push_str("m ");
    }
    push_u64(out, s);
    out.push('s');
}

#[cfg(test)]
mod tests {
    use notify_rules_syntax::ast::Field;

    use super::push_duration;
    use crate::model::StageStatus;
    use crate::rules::Eval;

    const BODY: &str = r#"{"pipeline":{"name":"shop-api","counter":"1234","label":"1.4.0-rc1",
      "group":"production","build-cause":[],
      "stage":{"name":"deploy","counter":"2","approval-type":"manual","approved-by":"alice",
      "state":"Failed","result":"Failed",
      "create-time":"2024-05-14T09:20:00.000+0000","last-transition-time":"2024-05-14T10:25:07.000+0000",
      "jobs":[]}}}"#;

    #[test]
    fn the_size_hint_of_a_text_field_is_its_length() {
        let status: StageStatus = serde_json::from_str(BODY).unwrap();
        let ev = Eval::new(&status, None, None);
        for field in [
            Field::PipelineName,
            Field::PipelineLabel,
            Field::PipelineGroup,
            Field::StageName,
            Field::StageState,
            Field::StageResult,
            Field::StageApprovedBy,
            Field::StageApprovalType,
        ] {
            let mut out = String::new();
            ev.push_field(&mut out, field);
            assert!(!out.is_empty(), "{field:?}");
            assert_eq!(ev.size_hint(field), out.len(), "{field:?}");
        }
    }

    #[test]
    fn numbers_and_links_render_without_the_formatter() {
        let status: StageStatus = serde_json::from_str(BODY).unwrap();
        let ev = Eval::new(&status, None, Some("https://ci.example.org/"));
        let render = |field| {
            let mut out = String::new();
            ev.push_field(&mut out, field);
            out
        };
        assert_eq!(render(Field::PipelineCounter), "1234");
        assert_eq!(render(Field::StageCounter), "2");
        assert_eq!(render(Field::StageDuration), "1h 5m 7s");
        assert_eq!(
            render(Field::Link),
            "https://ci.example.org/go/pipelines/shop-api/1234/deploy/2"
        );
    }

    #[test]
    fn links_take_the_address_with_or_without_go_and_encode_names() {
        let mut status: StageStatus = serde_json::from_str(BODY).unwrap();
        let link = |status: &StageStatus, server| {
            let mut out = String::new();
            Eval::new(status, None, Some(server)).push_field(&mut out, Field::Link);
            out
        };
        let want = "https://ci.example.org/go/pipelines/shop-api/1234/deploy/2";
        for server in [
            "https://ci.example.org",
            "https://ci.example.org/go",
            "https://ci.example.org/go/",
        ] {
            assert_eq!(link(&status, server), want);
        }
        status.pipeline.name = "a b/../x?y#z".to_owned();
        status.pipeline.stage.name = "..".to_owned();
        assert_eq!(
            link(&status, "https://ci.example.org"),
            "https://ci.example.org/go/pipelines/a%20b%2F..%2Fx%3Fy%23z/1234/%2E%2E/2"
        );
    }

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
        assert_eq!(f(3605), "1h 0m 5s");
        assert_eq!(f(60), "1m 0s");
        assert_eq!(f(-5), "0s");
    }
}
