//! Why each rule did or did not fire, for `notify-rules explain`.

use std::fmt::{self, Write as _};

use super::interp::{Cond, Program};
use super::Eval;

/// What one rule did with one notification; see [`RuleSet::explain`](crate::RuleSet::explain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleExplanation {
    /// The rule's position, counting from 0.
    pub index: usize,
    /// The line the rule starts on, counting from 1.
    pub line: usize,
    /// What happened.
    pub outcome: Outcome,
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
        match &self.outcome {
            Outcome::Matched { stopped: false } => f.write_str("matched"),
            Outcome::Matched { stopped: true } => f.write_str("matched, and stops later rules"),
            Outcome::NoMatch { clause, saw } => write!(f, "no match: `{clause}` saw {saw}"),
            Outcome::NotTried => f.write_str("not tried: an earlier rule stopped"),
        }
    }
}

impl Program {
    pub(crate) fn explain(&self, ev: &Eval<'_>) -> Vec<RuleExplanation> {
        let mut out = Vec::with_capacity(self.rules.len());
        let mut stopped = false;
        for (index, rule) in self.rules.iter().enumerate() {
            let outcome = if stopped {
                Outcome::NotTried
            } else if let Some(i) = rule.clauses.iter().position(|(neg, c)| c.holds(ev) == *neg) {
                Outcome::NoMatch {
                    clause: rule.clause_text[i].clone(),
                    saw: seen(&rule.clauses[i].1, ev),
                }
            } else {
                stopped = rule.stops;
                Outcome::Matched {
                    stopped: rule.stops,
                }
            };
            out.push(RuleExplanation {
                index,
                line: rule.line,
                outcome,
            });
        }
        out
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
