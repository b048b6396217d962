//! Why each rule did or did not fire, for `notify-rules explain`.

use std::fmt::{self, Write as _};

use super::interp::{AgentCond, Cond, Program, Rule};
use super::{AgentEval, Eval};

/// What one rule did with one notification; see [`RuleSet::explain`](crate::RuleSet::explain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleExplanation {
    /// The rule's position among all the rules of the text, stage and agent
    /// rules alike, counting from 0.
    pub index: usize,
    /// The line the rule starts on, counting from 1.
    pub line: usize,
    /// What happened.
    pub outcome: Outcome,
    /// The rule's `every` and `during`, as written (`every 1h during
    /// office`); `None` for a rule without them. Shown after a match: a
    /// plugin's clock may hold back or hold what it would deliver.
    pub time: Option<String>,
}

/// What happened to one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every clause matched; the rule fired.
    Matched {
        /// The rule says `stop`, so later rules were not tried.
        stopped: bool,
    },
    /// A clause did not match.
    NoMatch {
        /// The first clause that failed, as written (normalised).
        clause: String,
        /// The value the clause looked at, e.g. `stage.name = "deploy"`.
        saw: String,
    },
    /// An earlier rule fired and said `stop`.
    NotTried,
}

impl fmt::Display for RuleExplanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rule {} (line {}): ", self.index + 1, self.line)?;
        let time = match &self.time {
            Some(t) => format!(" ({t})"),
            None => String::new(),
        };
        match &self.outcome {
            Outcome::Matched { stopped: false } => write!(f, "matched{time}"),
            Outcome::Matched { stopped: true } => {
                write!(f, "matched{time}, and stops later rules")
            }
            Outcome::NoMatch { clause, saw } => write!(f, "no match: `{clause}` saw {saw}"),
            Outcome::NotTried => f.write_str("not tried: an earlier rule stopped"),
        }
    }
}

impl Program {
    pub(crate) fn explain(&self, ev: &Eval<'_>) -> Vec<RuleExplanation> {
        explain(&self.rules, |c| c.holds(ev), |c| seen(c, ev))
    }

    pub(crate) fn explain_agent(&self, ev: &AgentEval<'_>) -> Vec<RuleExplanation> {
        explain(&self.agent_rules, |c| c.holds(ev), |c| seen_agent(c, ev))
    }
}

/// What each of `rules` did, by what `holds` says of their clauses and what
/// `seen` says each looked at.
fn explain<C>(
    rules: &[Rule<C>],
    holds: impl Fn(&C) -> bool,
    seen: impl Fn(&C) -> String,
) -> Vec<RuleExplanation> {
    let mut out = Vec::with_capacity(rules.len());
    let mut stopped = false;
    for rule in rules {
        let outcome = if stopped {
            Outcome::NotTried
        } else if let Some(i) = rule.clauses.iter().position(|(neg, c)| holds(c) == *neg) {
            Outcome::NoMatch {
                clause: rule.clause_text[i].clone(),
                saw: seen(&rule.clauses[i].1),
            }
        } else {
            stopped = rule.stops;
            Outcome::Matched {
                stopped: rule.stops,
            }
        };
        out.push(RuleExplanation {
            index: rule.position,
            line: rule.line,
            outcome,
            time: rule.time_text.clone(),
        });
    }
    out
}

/// The value an agent clause looked at, as `field = value`.
fn seen_agent(cond: &AgentCond, ev: &AgentEval<'_>) -> String {
    let a = ev.status;
    let opt = |name: &str, v: Option<&str>| match v {
        Some(v) => format!("{name} = {v:?}"),
        None => format!("{name} = null"),
    };
    match cond {
        AgentCond::Host(_) => opt("agent.host_name", a.host_name.as_deref()),
        AgentCond::Ip(_) => opt("agent.ip_address", a.ip_address.as_deref()),
        AgentCond::Os(_) => opt("agent.os", a.operating_system.as_deref()),
        AgentCond::State(_) => format!("agent.state = {}", a.agent_state),
        AgentCond::BuildState(_) => format!("agent.build_state = {}", a.build_state),
        AgentCond::Config(_) => format!("agent.config_state = {}", a.agent_config_state),
        AgentCond::Elastic => format!("agent.elastic = {}", a.is_elastic),
        AgentCond::Transition(_) => match ev.transition {
            Some(t) => format!("transition = {t}"),
            None => "no transition (no history)".to_owned(),
        },
    }
}

/// The value a clause looked at, as `field = value`.
fn seen(cond: &Cond, ev: &Eval<'_>) -> String {
    let p = &ev.status.pipeline;
    let st = &p.stage;
    let opt = |name: &str, v: Option<&str>| match v {
        Some(v) => format!("{name} = {v:?}"),
        None => format!("{name} = null"),
    };
    match cond {
        Cond::Pipeline(_) => format!("pipeline.name = {:?}", p.name),
        Cond::Group(_) => opt("pipeline.group", p.group.as_deref()),
        Cond::Stage(_) => format!("stage.name = {:?}", st.name),
        Cond::Label(_) => opt("pipeline.label", p.label.as_deref()),
        Cond::ApprovedBy(_) => opt("stage.approved_by", st.approved_by.as_deref()),
        Cond::Branch(_) => {
            let branches: Vec<String> = p
                .build_cause
                .iter()
                .filter_map(|c| c.material.branch())
                .map(|b| format!("{b:?}"))
                .collect();
            format!("branches = [{}]", branches.join(", "))
        }
        Cond::State(_) => format!("stage.state = {}", st.state),
        Cond::Result(_) => format!("stage.result = {}", st.result),
        Cond::Job(..) => {
            let mut s = String::from("jobs = [");
            for (i, j) in st.jobs.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                let _ = write!(s, "{:?} {}", j.name, j.result);
            }
            s.push(']');
            s
        }
        Cond::Transition(_) => match ev.transition {
            Some(t) => format!("transition = {t}"),
            None => "no transition (no history)".to_owned(),
        },
        Cond::Any => "anything".to_owned(),
    }
}
