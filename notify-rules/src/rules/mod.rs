//! Rule sets, their evaluation, and the deliveries they make.

mod agent;
mod delivery;
mod error;
mod explain;
mod interp;
pub(crate) mod link;
pub(crate) mod matching;
pub(crate) mod render;
mod retold;
#[cfg(test)]
mod tests;
pub mod time;

use std::fmt;
use std::sync::Arc;

use crate::model::{AgentStatus, StageStatus};
use delivery::Text;
pub(crate) use delivery::{Change, Source};

pub use delivery::Delivery;
pub use error::RuleSetError;
pub use explain::{Outcome, RuleExplanation};

/// How a completed stage run compares with the previous completed run of the same
/// stage. Only a [`Plugin`](crate::Plugin) with history knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transition {
    /// Failed, and the previous completed run passed (or there was none).
    Broken,
    /// Passed, and the previous completed run failed.
    Fixed,
    /// Failed, and the previous completed run failed too.
    StillFailing,
}

impl Transition {
    /// The text of `{transition}`: `broken`, `fixed` or `still failing`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Broken => "broken",
            Transition::Fixed => "fixed",
            Transition::StillFailing => "still failing",
        }
    }
}

impl fmt::Display for Transition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an agent-status compares with the previous one the plugin handled for
/// the same agent (`uuid`). Only a [`Plugin`](crate::Plugin) with history
/// knows it: [`RuleSet::evaluate`]'s agent counterpart never sees one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgentTransition {
    /// `LostContact` or `Missing` now, and neither before (or no agent-status
    /// before).
    Lost,
    /// `Idle` or `Building` now, and `LostContact` or `Missing` before.
    Back,
}

impl AgentTransition {
    /// The text of `{transition}` in an agent rule: `lost` or `back`.
    ///
    /// ```
    /// use notify_rules::AgentTransition;
    /// assert_eq!(AgentTransition::Lost.as_str(), "lost");
    /// assert_eq!(AgentTransition::Back.to_string(), "back");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            AgentTransition::Lost => "lost",
            AgentTransition::Back => "back",
        }
    }
}

impl fmt::Display for AgentTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where evaluation reads from and writes to. Generated code and the run-time
/// evaluator both go through it, so both render and deliver the same way.
/// `N` is the notification (a stage-status, or an agent-status for agent
/// rules, see [`AgentEval`]) and `T` the transition history can find for it.
#[doc(hidden)]
pub struct Eval<'a, N = StageStatus, T = Transition> {
    pub status: &'a N,
    pub transition: Option<T>,
    pub server_url: Option<&'a str>,
    /// What each delivery holds of the notification: `status` itself, or the
    /// `Arc` it is in.
    source: Source<'a>,
    /// `transition`, as deliveries keep it.
    change: Option<Change>,
    /// Messages of templates that more than one action uses, by template id,
    /// as the index of the first delivery that carries them.
    rendered: [(u32, u32); RENDERED],
    rendered_len: usize,
    pub out: Vec<Delivery<'a>>,
    /// The `remind` actions of the rules that fired, as (rule, remind
    /// index); empty, and never allocated, for rules without them.
    pub(crate) reminds: Vec<(u32, u32)>,
}

/// Where the evaluation of agent rules reads from and writes to.
#[doc(hidden)]
pub type AgentEval<'a> = Eval<'a, AgentStatus, AgentTransition>;

/// How many rendered messages an evaluation remembers for reuse; past this
/// many, a repeated message is rendered again.
const RENDERED: usize = 8;

impl<'a> Eval<'a> {
    pub(crate) fn new(
        status: &'a StageStatus,
        transition: Option<Transition>,
        server_url: Option<&'a str>,
    ) -> Self {
        let (source, change) = (Source::Borrowed(status), transition.map(Change::Stage));
        Eval::with(status, transition, server_url, source, change)
    }
}

impl<'a> AgentEval<'a> {
    pub(crate) fn new_agent(
        status: &'a AgentStatus,
        transition: Option<AgentTransition>,
        server_url: Option<&'a str>,
    ) -> Self {
        let (source, change) = (Source::AgentBorrowed(status), transition.map(Change::Agent));
        Eval::with(status, transition, server_url, source, change)
    }
}

impl<'a, N, T> Eval<'a, N, T> {
    #[inline]
    fn with(
        status: &'a N,
        transition: Option<T>,
        server_url: Option<&'a str>,
        source: Source<'a>,
        change: Option<Change>,
    ) -> Self {
        Eval {
            status,
            transition,
            server_url,
            source,
            change,
            rendered: [(0, 0); RENDERED],
            rendered_len: 0,
            out: Vec::new(),
            reminds: Vec::new(),
        }
    }

    /// Records that rule `rule` fired with its remind action `remind` (the
    /// remind actions of a rule numbered from 0).
    #[inline]
    pub fn remind(&mut self, rule: u32, remind: u32) {
        self.reminds.push((rule, remind));
    }

    /// Records a delivery of a message rendered for it.
    #[inline]
    pub fn send(&mut self, rule: u32, action: u32, target: &'static str, text: String) {
        self.push(rule, action, Text::Static(target), Text::Owned(text));
    }

    /// Records a delivery of a message that is a constant: nothing to render
    /// or allocate.
    #[inline]
    pub fn send_static(
        &mut self,
        rule: u32,
        action: u32,
        target: &'static str,
        text: &'static str,
    ) {
        self.push(rule, action, Text::Static(target), Text::Static(text));
    }

    /// Records a delivery of a message rendered from the template `template`,
    /// which other actions use too: they take the message from this one.
    #[inline]
    pub fn send_template(
        &mut self,
        rule: u32,
        action: u32,
        target: &'static str,
        template: u32,
        text: String,
    ) {
        self.remember(template);
        self.send(rule, action, target, text);
    }

    /// Records a delivery of the message template `template` already rendered
    /// in this evaluation, if it did; says whether it did.
    #[inline]
    pub fn reuse(&mut self, rule: u32, action: u32, target: &'static str, template: u32) -> bool {
        match self.rendered(template) {
            Some(text) => {
                self.push(rule, action, Text::Static(target), text);
                true
            }
            None => false,
        }
    }

    fn remember(&mut self, template: u32) {
        if self.rendered_len < RENDERED {
            self.rendered[self.rendered_len] = (template, self.out.len() as u32);
            self.rendered_len += 1;
        }
    }

    /// The message of `template`, shared, if this evaluation rendered it.
    pub(crate) fn rendered(&mut self, template: u32) -> Option<Text> {
        let (_, at) = self.rendered[..self.rendered_len]
            .iter()
            .find(|(t, _)| *t == template)?;
        Some(self.out[*at as usize].share_text())
    }

    /// Records a delivery to a target of a loaded rule set, rendered for it
    /// or not.
    pub(crate) fn send_loaded(
        &mut self,
        rule: u32,
        action: u32,
        target: &Arc<str>,
        template: Option<u32>,
        text: Text,
    ) {
        if let Some(t) = template {
            self.remember(t);
        }
        self.push(rule, action, Text::Shared(Arc::clone(target)), text);
    }

    #[inline]
    fn push(&mut self, rule: u32, action: u32, target: Text, text: Text) {
        self.out.push(Delivery::made(
            target,
            text,
            self.source.clone(),
            self.change,
            rule,
            action,
        ));
    }
}

/// What generated code says about the rules it holds.
#[doc(hidden)]
#[derive(Debug)]
pub struct Meta {
    pub targets: &'static [&'static str],
    pub uses_link: bool,
    pub rule_count: usize,
}

type CompiledFn = dyn Fn(&mut Eval<'_>) + Send + Sync;
type CompiledAgentFn = dyn Fn(&mut AgentEval<'_>) + Send + Sync;

#[derive(Clone)]
enum Engine {
    /// The stage rules' function, and the agent rules' when there are some.
    Compiled(Arc<CompiledFn>, Option<Arc<CompiledAgentFn>>),
    Loaded(Arc<interp::Program>),
}

/// A checked set of rules: from [`rules!`](crate::rules),
/// [`rules_file!`](crate::rules_file), or [`RuleSet::parse`].
#[derive(Clone)]
pub struct RuleSet {
    engine: Engine,
    targets: Vec<String>,
    uses_link: bool,
    /// The stage rules.
    rule_count: usize,
    agent_rule_count: usize,
    /// `window`s, `remind`, `every` and `during`; `None` for rules with none.
    time: Option<Arc<time::TimeForms>>,
}

impl fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.engine {
            Engine::Compiled(..) => "compiled",
            Engine::Loaded(_) => "loaded",
        };
        f.debug_struct("RuleSet")
            .field("engine", &kind)
            .field("targets", &self.targets)
            .field("rules", &self.rule_count)
            .field("agent_rules", &self.agent_rule_count)
            .finish()
    }
}

impl RuleSet {
    /// Loads rules at run time. Every error in the text is reported, each with
    /// its line and column; `if` guards are an error here.
    ///
    /// ```
    /// use notify_rules::RuleSet;
    ///
    /// let rules = RuleSet::parse(r#"target ops; on state Failed => send(ops);"#).unwrap();
    /// assert_eq!(rules.targets(), ["ops"]);
    ///
    /// let err = RuleSet::parse("target ops; on state Faild => send(ops);").unwrap_err();
    /// assert!(err.to_string().contains("1:22"));
    /// assert!(err.to_string().contains("did you mean `Failed`?"));
    /// ```
    pub fn parse(source: &str) -> Result<RuleSet, RuleSetError> {
        interp::load(source)
    }

    /// The deliveries the rules make for one notification, in rule order, with no
    /// history: `broken`, `fixed` and `still_failing` do not match and
    /// `{link}` renders empty. The deliveries borrow `status` rather than copy
    /// it; [`Delivery::into_owned`] keeps one longer, and
    /// [`RuleSet::evaluate_shared`] makes them share a notification behind an
    /// [`Arc`].
    pub fn evaluate<'s>(&self, status: &'s StageStatus) -> Vec<Delivery<'s>> {
        self.evaluate_with(status, None, None)
    }

    /// Like [`RuleSet::evaluate`], with the transition history found and the
    /// server address for `{link}`.
    pub fn evaluate_with<'s>(
        &self,
        status: &'s StageStatus,
        transition: Option<Transition>,
        server_url: Option<&str>,
    ) -> Vec<Delivery<'s>> {
        let made = self.run(Eval::new(status, transition, server_url));
        // Evaluation ties the deliveries to `server_url` too; they borrow only
        // `status`, so they are tied to it alone (in place, no copy).
        made.into_iter()
            .map(|d| d.rebind(Source::Borrowed(status)))
            .collect()
    }

    /// Like [`RuleSet::evaluate_with`], for a notification already behind an
    /// [`Arc`]: each delivery holds a reference count of it, so they outlive
    /// the caller's borrow (what a [`Plugin`](crate::Plugin) gives its
    /// notifiers and keeps in its outbox).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use notify_rules::{rules, model::StageStatus};
    ///
    /// let body = r#"{"pipeline":{"name":"shop","counter":"3","build-cause":[],
    ///   "stage":{"name":"deploy","counter":"1","state":"Failed","result":"Failed","jobs":[]}}}"#;
    /// let status: Arc<StageStatus> = Arc::new(serde_json::from_str(body).unwrap());
    /// let rules = rules! { target ops; on any => send(ops); };
    /// let d = rules.evaluate_shared(&status, None, None);
    /// assert!(std::ptr::eq(d[0].status().unwrap(), &*status));
    /// ```
    pub fn evaluate_shared(
        &self,
        status: &Arc<StageStatus>,
        transition: Option<Transition>,
        server_url: Option<&str>,
    ) -> Vec<Delivery<'static>> {
        let mut ev = Eval::new(status, transition, server_url);
        // Each delivery takes a reference count, not a copy.
        ev.source = Source::Shared(Arc::clone(status));
        // Every delivery shares the notification already, so making it owned
        // moves it (in place: the two types have one layout).
        self.run(ev).into_iter().map(Delivery::into_owned).collect()
    }

    fn run<'s>(&self, mut ev: Eval<'s>) -> Vec<Delivery<'s>> {
        self.run_in(&mut ev);
        ev.out
    }

    #[inline]
    fn run_in(&self, ev: &mut Eval<'_>) {
        match &self.engine {
            Engine::Compiled(f, _) => f(ev),
            Engine::Loaded(p) => p.run(ev),
        }
    }

    /// For each rule of a rule set loaded with [`RuleSet::parse`], whether it
    /// matched the notification and, when it did not, the first clause that
    /// failed and the value it saw. Sends nothing. `None` for compiled rules,
    /// which keep no description of themselves at run time.
    ///
    /// ```
    /// use notify_rules::{RuleSet, Outcome, model::StageStatus};
    ///
    /// let rules = RuleSet::parse("target ops;\non stage \"test\" => send(ops);\non any => stop;").unwrap();
    /// let body = r#"{"pipeline":{"name":"shop","counter":"3","build-cause":[],
    ///   "stage":{"name":"deploy","counter":"1","state":"Failed","result":"Failed","jobs":[]}}}"#;
    /// let status: StageStatus = serde_json::from_str(body).unwrap();
    /// let why = rules.explain(&status).unwrap();
    /// assert_eq!(why[0].to_string(), r#"rule 1 (line 2): no match: `stage "test"` saw stage.name = "deploy""#);
    /// assert_eq!(why[1].outcome, Outcome::Matched { stopped: true });
    /// ```
    pub fn explain(&self, status: &StageStatus) -> Option<Vec<RuleExplanation>> {
        match &self.engine {
            Engine::Loaded(p) => Some(p.explain(&Eval::new(status, None, None))),
            Engine::Compiled(..) => None,
        }
    }

    /// The targets the rules declare, in declaration order.
    pub fn targets(&self) -> &[String] {
        &self.targets
    }

    /// Whether some template uses `{link}`, which needs the server address.
    pub fn uses_link(&self) -> bool {
        self.uses_link
    }

    /// How many rules there are, stage and agent rules.
    pub fn len(&self) -> usize {
        self.rule_count + self.agent_rule_count
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[doc(hidden)]
    pub fn __compiled(
        meta: &'static Meta,
        f: impl Fn(&mut Eval<'_>) + Send + Sync + 'static,
    ) -> RuleSet {
        RuleSet {
            engine: Engine::Compiled(Arc::new(f), None),
            targets: meta.targets.iter().map(|t| (*t).to_owned()).collect(),
            uses_link: meta.uses_link,
            rule_count: meta.rule_count,
            agent_rule_count: 0,
            time: None,
        }
    }

    /// Adds the time forms of compiled rules.
    #[doc(hidden)]
    pub fn __with_time(mut self, meta: &'static time::build::TimeMeta) -> RuleSet {
        self.time = Some(Arc::new(time::TimeForms::from_meta(meta)));
        self
    }

    /// Adds the generated function of the `count` agent rules.
    #[doc(hidden)]
    pub fn __with_agent(
        mut self,
        count: usize,
        f: impl Fn(&mut AgentEval<'_>) + Send + Sync + 'static,
    ) -> RuleSet {
        if let Engine::Compiled(_, agent) = &mut self.engine {
            *agent = Some(Arc::new(f));
            self.agent_rule_count = count;
        }
        self
    }

    /// What generated code emits next to `compile_error!`, so that one mistake in
    /// the rules does not turn into type errors elsewhere.
    #[doc(hidden)]
    pub fn __placeholder() -> RuleSet {
        RuleSet {
            engine: Engine::Compiled(Arc::new(|_: &mut Eval<'_>| {}), None),
            targets: Vec::new(),
            uses_link: false,
            rule_count: 0,
            agent_rule_count: 0,
            time: None,
        }
    }
}
