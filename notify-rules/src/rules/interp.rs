//! The run-time evaluator: rules loaded from text with [`RuleSet::parse`].
//!
//! It reads the same syntax tree the macros compile and calls the same matchers
//! and renderer, so loaded and compiled rules make the same deliveries.

use std::sync::Arc;

use std::collections::HashMap;

use notify_rules_syntax::ast::{
    self, AgentCondition, Condition, Name, PatternKind, Piece, Template,
};
use notify_rules_syntax::index::{lookup, NameIndex, INDEX_FROM};
use notify_rules_syntax::{Errors, Lines};
use regex::Regex;

use super::delivery::Text;
use super::matching::{any_branch, any_job, build_regex, eq_ci, glob, merge_ids};
use super::{AgentEval, AgentTransition, Engine, Eval, RuleSet, RuleSetError, Transition};
use crate::model::{
    AgentConfigState, AgentState, BuildState, JobResult, StageResult, StageState, StageStatus,
};

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
        .chain(program.agent_rules.iter().flat_map(|r| &r.actions))
        .any(|a| match a {
            Action::Send {
                message: Message::Template { template, .. },
                ..
            } => template.pieces.contains(&Piece::Field(ast::Field::Link)),
            _ => false,
        });
    Ok(RuleSet {
        targets: rules.targets.iter().map(|t| t.name.clone()).collect(),
        uses_link,
        rule_count: program.rules.len(),
        agent_rule_count: program.agent_rules.len(),
        time: super::time::TimeForms::from_ast(&rules).map(Arc::new),
        engine: Engine::Loaded(Arc::new(program)),
    })
}

pub(crate) struct Program {
    pub(crate) rules: Vec<Rule>,
    /// For a large rule set, the rules each exact pipeline name selects; the
    /// generated code's index, built by the same function.
    index: Option<NameIndex>,
    pub(crate) agent_rules: Vec<Rule<AgentCond>>,
}

/// A rule: stage clauses ([`Cond`]) or agent clauses ([`AgentCond`]).
pub(crate) struct Rule<C = Cond> {
    pub(crate) clauses: Vec<(bool, C)>,
    /// Each clause written back, for `explain`.
    pub(crate) clause_text: Vec<String>,
    actions: Vec<Action>,
    pub(crate) stops: bool,
    /// The line of `on`, from 1.
    pub(crate) line: usize,
    /// Where the rule is among all the file's rules, stage and agent, from
    /// 0: what `explain` calls it, as the author counts.
    pub(crate) position: usize,
    /// The byte offset of `on`, to work `position` out.
    start: usize,
    /// `every D during W` as written, for `explain`.
    pub(crate) time_text: Option<String>,
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

pub(crate) enum AgentCond {
    Host(Vec<Matcher>),
    Ip(Vec<Matcher>),
    Os(Vec<Matcher>),
    State(Vec<AgentState>),
    BuildState(Vec<BuildState>),
    Config(Vec<AgentConfigState>),
    Elastic,
    Transition(AgentTransition),
}

pub(crate) enum Matcher {
    Exact(String, bool),
    Glob(String, bool),
    Regex(Regex),
}

enum Action {
    Send {
        /// Shared by every delivery to it: a reference count, not a copy.
        target: Arc<str>,
        message: Message,
    },
    /// The rule's remind action of this index: reported, not delivered.
    Remind(u32),
    Stop,
}

enum Message {
    /// Text alone, shared like the target.
    Constant(Arc<str>),
    Template {
        template: Template,
        /// The template's text length, counted once at load.
        text_len: usize,
        /// The template's id when other actions use it too, so that one
        /// evaluation renders it once.
        shared: Option<u32>,
    },
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
        let mut targets: HashMap<&str, Arc<str>> = HashMap::new();
        let uses = rules.repeated_templates();
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
            let line = lines.line_col(rule.loc.start).0;
            out.push(Rule {
                clauses,
                clause_text,
                actions: actions(&rule.actions, false, &mut targets, &uses),
                stops: rule.stops(),
                line,
                position: 0,
                start: rule.loc.start,
                time_text: super::time::build::describe(&rule.timing),
            });
        }
        let mut agent_rules = Vec::with_capacity(rules.agent_rules.len());
        for rule in &rules.agent_rules {
            let mut clauses = Vec::with_capacity(rule.clauses.len());
            let mut clause_text = Vec::with_capacity(rule.clauses.len());
            for clause in &rule.clauses {
                let ci = clause.condition.kind().ignores_case();
                let cond = match &clause.condition {
                    AgentCondition::Host(p) => AgentCond::Host(matchers(p, ci)),
                    AgentCondition::Ip(p) => AgentCond::Ip(matchers(p, ci)),
                    AgentCondition::Os(p) => AgentCond::Os(matchers(p, ci)),
                    AgentCondition::State(s) => AgentCond::State(values(s, AgentState::from_wire)),
                    AgentCondition::BuildState(s) => {
                        AgentCond::BuildState(values(s, BuildState::from_wire))
                    }
                    AgentCondition::Config(s) => {
                        AgentCond::Config(values(s, AgentConfigState::from_wire))
                    }
                    AgentCondition::Elastic => AgentCond::Elastic,
                    AgentCondition::Lost => AgentCond::Transition(AgentTransition::Lost),
                    AgentCondition::Back => AgentCond::Transition(AgentTransition::Back),
                    // The parser refuses guards in text; nothing to evaluate.
                    AgentCondition::Guard(_) => continue,
                };
                clauses.push((clause.negated, cond));
                clause_text.push(clause.to_string());
            }
            let line = lines.line_col(rule.loc.start).0;
            agent_rules.push(Rule {
                clauses,
                clause_text,
                actions: actions(&rule.actions, true, &mut targets, &uses),
                stops: rule.stops(),
                line,
                position: 0,
                start: rule.loc.start,
                time_text: super::time::build::describe(&rule.timing),
            });
        }
        number_in_file_order(&mut out, &mut agent_rules);
        let index = (rules.rules.len() >= INDEX_FROM).then(|| NameIndex::of(rules));
        Program {
            rules: out,
            index,
            agent_rules,
        }
    }

    pub(crate) fn run(&self, ev: &mut Eval<'_>) {
        match &self.index {
            Some(index) => {
                let keyed = lookup(&index.slots, &ev.status.pipeline.name);
                merge_ids(&index.unkeyed, keyed, |i| self.rule(i as usize, ev));
            }
            None => {
                for i in 0..self.rules.len() {
                    if self.rule(i, ev) {
                        return;
                    }
                }
            }
        }
    }

    /// Tries rule `i`; says whether it fired and stops.
    fn rule(&self, i: usize, ev: &mut Eval<'_>) -> bool {
        let rule = &self.rules[i];
        if !rule.clauses.iter().all(|(neg, c)| c.holds(ev) != *neg) {
            return false;
        }
        fire(rule, i, ev, Eval::<StageStatus>::render);
        rule.stops
    }

    pub(crate) fn run_agent(&self, ev: &mut AgentEval<'_>) {
        for (i, rule) in self.agent_rules.iter().enumerate() {
            if rule.clauses.iter().all(|(neg, c)| c.holds(ev) != *neg) {
                fire(rule, i, ev, AgentEval::render);
                if rule.stops {
                    return;
                }
            }
        }
    }
}

/// Makes the deliveries of rule `i`, which matched.
#[inline]
fn fire<'a, C, N, T>(
    rule: &Rule<C>,
    i: usize,
    ev: &mut Eval<'a, N, T>,
    render: impl Fn(&Eval<'a, N, T>, &Template, usize) -> String,
) {
    for (a, action) in rule.actions.iter().enumerate() {
        let (target, message) = match action {
            Action::Send { target, message } => (target, message),
            Action::Remind(r) => {
                ev.remind(i as u32, *r);
                continue;
            }
            Action::Stop => continue,
        };
        let (text, shared) = match message {
            Message::Constant(text) => (Text::Shared(Arc::clone(text)), None),
            Message::Template {
                template,
                text_len,
                shared,
            } => match shared.and_then(|t| ev.rendered(t)) {
                Some(text) => (text, None),
                None => (Text::Owned(render(ev, template, *text_len)), *shared),
            },
        };
        ev.send_loaded(i as u32, a as u32, target, shared, text);
    }
}

/// A rule's actions, loaded: each target shared by every delivery to it.
fn actions<'r>(
    actions: &'r [ast::Action],
    agent: bool,
    targets: &mut HashMap<&'r str, Arc<str>>,
    uses: &HashMap<Template, u32>,
) -> Vec<Action> {
    let mut reminds = 0..;
    actions
        .iter()
        .map(|a| match a {
            ast::Action::Send { target, template } => {
                let template = template
                    .clone()
                    .unwrap_or_else(|| Template::default_for(agent));
                let target = Arc::clone(
                    targets
                        .entry(target.name.as_str())
                        .or_insert_with(|| Arc::from(target.name.as_str())),
                );
                Action::Send {
                    target,
                    message: message(template, uses),
                }
            }
            ast::Action::Remind { .. } => Action::Remind(reminds.next().unwrap_or(0)),
            ast::Action::Stop => Action::Stop,
        })
        .collect()
}

fn message(template: Template, uses: &HashMap<Template, u32>) -> Message {
    match template.pieces.as_slice() {
        [] => Message::Constant(Arc::from("")),
        [Piece::Text(t)] => Message::Constant(Arc::from(t.as_str())),
        _ => Message::Template {
            text_len: template.text_len(),
            shared: uses.get(&template).copied(),
            template,
        },
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

impl AgentCond {
    pub(crate) fn holds(&self, ev: &AgentEval<'_>) -> bool {
        let a = ev.status;
        match self {
            AgentCond::Host(m) => opt(m, a.host_name.as_deref()),
            AgentCond::Ip(m) => opt(m, a.ip_address.as_deref()),
            AgentCond::Os(m) => opt(m, a.operating_system.as_deref()),
            AgentCond::State(s) => s.contains(&a.agent_state),
            AgentCond::BuildState(s) => s.contains(&a.build_state),
            AgentCond::Config(s) => s.contains(&a.agent_config_state),
            AgentCond::Elastic => a.is_elastic,
            AgentCond::Transition(t) => ev.transition == Some(*t),
        }
    }
}

/// Each rule's place among all rules of the file: the two kinds are kept
/// apart for evaluation, but a reader counts them together.
fn number_in_file_order(stage: &mut [Rule<Cond>], agent: &mut [Rule<AgentCond>]) {
    let mut starts: Vec<usize> = stage.iter().map(|r| r.start).collect();
    starts.extend(agent.iter().map(|r| r.start));
    starts.sort_unstable();
    let position = |start| starts.binary_search(&start).unwrap_or(0);
    for r in stage.iter_mut() {
        r.position = position(r.start);
    }
    for r in agent.iter_mut() {
        r.position = position(r.start);
    }
}
