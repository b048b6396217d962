//! The run-time evaluator: rules loaded from text with [`RuleSet::parse`].
//!
//! It reads the same syntax tree the macros compile and calls the same matchers
//! and renderer, so loaded and compiled rules make the same deliveries.

use std::sync::Arc;

use notify_rules_syntax::ast::{self, Condition, Name, PatternKind, Template};
use notify_rules_syntax::{Errors, Lines};
use regex::Regex;

use super::matching::{any_branch, any_job, build_regex, eq_ci, glob};
use super::{Engine, Eval, RuleSet, RuleSetError, Transition};
use crate::model::{JobResult, StageResult, StageState};

pub(crate) fn load(source: &str) -> Result<RuleSet, RuleSetError> {
    let rules = notify_rules_syntax::parse_str(source).map_err(|e| RuleSetError::new(source, e))?;
    let mut errors = Vec::new();
    let program = Program::build(source, &rules, &mut errors);
    if !errors.is_empty() {
        return Err(RuleSetError::new(source, Errors::from(errors)));
    }
    let uses_link = program
        .rules
        .iter()
        .flat_map(|r| &r.actions)
        .any(|a| match a {
            Action::Send { template, .. } => template
                .pieces
                .contains(&ast::Piece::Field(ast::Field::Link)),
            Action::Stop => false,
        });
    Ok(RuleSet {
        targets: rules.targets.iter().map(|t| t.name.clone()).collect(),
        uses_link,
        rule_count: program.rules.len(),
        engine: Engine::Loaded(Arc::new(program)),
    })
}

pub(crate) struct Program {
    pub(crate) rules: Vec<Rule>,
}

pub(crate) struct Rule {
    pub(crate) clauses: Vec<(bool, Cond)>,
    /// Each clause written back, for `explain`.
    pub(crate) clause_text: Vec<String>,
    actions: Vec<Action>,
    pub(crate) stops: bool,
    /// The line of `on`, from 1.
    pub(crate) line: usize,
}

pub(crate) enum Cond {
    Pipeline(Vec<Matcher>),
    Group(Vec<Matcher>),
    Stage(Vec<Matcher>),
    Label(Vec<Matcher>),
    Branch(Vec<Matcher>),
    ApprovedBy(Vec<Matcher>),
    State(Vec<StageState>),
    Result(Vec<StageResult>),
    Job(Vec<Matcher>, Vec<JobResult>),
    Transition(Transition),
    Any,
}

pub(crate) enum Matcher {
    Exact(String, bool),
    Glob(String, bool),
    Regex(Regex),
}

enum Action {
    Send {
        target: String,
        template: Template,
        /// The template's text length, counted once at load.
        text_len: usize,
    },
    Stop,
}

impl Matcher {
    fn is_match(&self, value: &str) -> bool {
        match self {
            Matcher::Exact(p, true) => eq_ci(value, p),
            Matcher::Exact(p, false) => value == p,
            Matcher::Glob(p, ci) => glob(value, p, *ci),
            Matcher::Regex(re) => re.is_match(value),
        }
    }
}

fn any(ms: &[Matcher], value: &str) -> bool {
    ms.iter().any(|m| m.is_match(value))
}

fn opt(ms: &[Matcher], value: Option<&str>) -> bool {
    value.is_some_and(|v| any(ms, v))
}

/// The model's values that a clause's names name: the language's names are
/// the model's wire names, so the model's own table reads them.
fn values<N: Name, T>(names: &[N], from_wire: fn(&str) -> T) -> Vec<T> {
    names.iter().map(|n| from_wire(n.as_str())).collect()
}

impl Program {
    fn build(
        source: &str,
        rules: &ast::Rules,
        errors: &mut Vec<notify_rules_syntax::Error>,
    ) -> Program {
        let mut matchers = |pats: &[ast::Pattern], ci: bool| -> Vec<Matcher> {
            pats.iter()
                .filter_map(|p| match p.kind {
                    PatternKind::Exact => Some(Matcher::Exact(p.text.clone(), ci)),
                    PatternKind::Glob => Some(Matcher::Glob(p.text.clone(), ci)),
                    // The checks compiled this expression already; a failure here
                    // would mean the two disagree, so it is still reported.
                    PatternKind::Regex => match build_regex(&p.text, ci) {
                        Ok(re) => Some(Matcher::Regex(re)),
                        Err(e) => {
                            errors.push(notify_rules_syntax::Error {
                                message: format!("invalid regular expression: {e}"),
                                help: None,
                                loc: p.loc,
                            });
                            None
                        }
                    },
                })
                .collect()
        };
        let mut out = Vec::with_capacity(rules.rules.len());
        let lines = Lines::new(source);
        for rule in &rules.rules {
            let mut clauses = Vec::with_capacity(rule.clauses.len());
            let mut clause_text = Vec::with_capacity(rule.clauses.len());
            for clause in &rule.clauses {
                let ci = clause.condition.kind().ignores_case();
                let cond = match &clause.condition {
                    Condition::Pipeline(p) => Cond::Pipeline(matchers(p, ci)),
                    Condition::Group(p) => Cond::Group(matchers(p, ci)),
                    Condition::Stage(p) => Cond::Stage(matchers(p, ci)),
                    Condition::Label(p) => Cond::Label(matchers(p, ci)),
                    Condition::Branch(p) => Cond::Branch(matchers(p, ci)),
                    Condition::ApprovedBy(p) => Cond::ApprovedBy(matchers(p, ci)),
                    Condition::State(s) => Cond::State(values(s, StageState::from_wire)),
                    Condition::Result(r) => Cond::Result(values(r, StageResult::from_wire)),
                    Condition::Job(p, r) => {
                        Cond::Job(matchers(p, ci), values(r, JobResult::from_wire))
                    }
                    Condition::Broken => Cond::Transition(Transition::Broken),
                    Condition::Fixed => Cond::Transition(Transition::Fixed),
                    Condition::StillFailing => Cond::Transition(Transition::StillFailing),
                    Condition::Any => Cond::Any,
                    // The parser refuses guards in text; nothing to evaluate.
                    Condition::Guard(_) => continue,
                };
                clauses.push((clause.negated, cond));
                clause_text.push(clause.to_string());
            }
            let actions = rule
                .actions
                .iter()
                .map(|a| match a {
                    ast::Action::Send { target, template } => {
                        let template = template.clone().unwrap_or_else(Template::default_message);
                        Action::Send {
                            target: target.name.clone(),
                            text_len: template.text_len(),
                            template,
                        }
                    }
                    ast::Action::Stop => Action::Stop,
                })
                .collect();
            let line = lines.line_col(rule.loc.start).0;
            out.push(Rule {
                clauses,
                clause_text,
                actions,
                stops: rule.stops(),
                line,
            });
        }
        Program { rules: out }
    }

    pub(crate) fn run(&self, ev: &mut Eval<'_>) {
        for (i, rule) in self.rules.iter().enumerate() {
            if !rule.clauses.iter().all(|(neg, c)| c.holds(ev) != *neg) {
                continue;
            }
            let mut stop = false;
            for (a, action) in rule.actions.iter().enumerate() {
                match action {
                    Action::Send {
                        target,
                        template,
                        text_len,
                    } => {
                        let text = ev.render(template, *text_len);
                        ev.send_owned(i as u32, a as u32, target, text);
                    }
                    Action::Stop => stop = true,
                }
            }
            if stop {
                return;
            }
        }
    }
}

impl Cond {
    pub(crate) fn holds(&self, ev: &Eval<'_>) -> bool {
        let p = &ev.status.pipeline;
        let st = &p.stage;
        match self {
            Cond::Pipeline(m) => any(m, &p.name),
            Cond::Group(m) => opt(m, p.group.as_deref()),
            Cond::Stage(m) => any(m, &st.name),
            Cond::Label(m) => opt(m, p.label.as_deref()),
            Cond::Branch(m) => any_branch(ev.status, |b| any(m, b)),
            Cond::ApprovedBy(m) => opt(m, st.approved_by.as_deref()),
            Cond::State(s) => s.contains(&st.state),
            Cond::Result(r) => r.contains(&st.result),
            Cond::Job(m, r) => any_job(ev.status, |j| {
                any(m, &j.name) && (r.is_empty() || r.contains(&j.result))
            }),
            Cond::Transition(t) => ev.transition == Some(*t),
            Cond::Any => true,
        }
    }
}
