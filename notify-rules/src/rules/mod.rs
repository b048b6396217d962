//! Rule sets, their evaluation, and the deliveries they make.

mod error;
mod explain;
mod interp;
pub(crate) mod matching;
pub(crate) mod render;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::model::StageStatus;

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

/// One message for one target, made by a rule that fired.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    // Borrowed for compiled rules, whose targets are known when they compile.
    target: Cow<'static, str>,
    text: String,
    status: Arc<StageStatus>,
    transition: Option<Transition>,
    rule: u32,
    action: u32,
}

impl Delivery {
    /// The target the message goes to, as named in `send(target, ...)`.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The rendered message.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The notification the message is about.
    pub fn status(&self) -> &StageStatus {
        &self.status
    }

    /// The transition the notification made, when history knew it.
    pub fn transition(&self) -> Option<Transition> {
        self.transition
    }

    /// The index of the rule that made it, counting from 0 in the rule text.
    pub fn rule_index(&self) -> usize {
        self.rule as usize
    }

    /// The index of the action within its rule, counting from 0.
    pub fn action_index(&self) -> usize {
        self.action as usize
    }

    /// Rebuilds a delivery exactly as evaluation made it (the outbox keeps
    /// deliveries across restarts), so its idempotency key is unchanged.
    #[cfg(any(feature = "sqlite", feature = "postgres", test))]
    pub(crate) fn restored(
        target: String,
        text: String,
        status: Arc<StageStatus>,
        transition: Option<Transition>,
        rule: u32,
        action: u32,
    ) -> Self {
        Delivery {
            target: Cow::Owned(target),
            text,
            status,
            transition,
            rule,
            action,
        }
    }

    /// A key that is the same each time the same notification makes the same
    /// delivery, so a receiver (or the outbox) can drop repeats.
    ///
    /// ```
    /// # use notify_rules::{rules, model::StageStatus};
    /// # let body = r#"{"pipeline":{"name":"shop","counter":"3","build-cause":[],
    /// #   "stage":{"name":"deploy","counter":"1","state":"Failed","result":"Failed","jobs":[]}}}"#;
    /// # let status: StageStatus = serde_json::from_str(body).unwrap();
    /// let rules = rules! { target ops; on any => send(ops); };
    /// let d = &rules.evaluate(&status)[0];
    /// assert_eq!(d.idempotency_key(), "shop/3/deploy/1/Failed/r0a0/ops");
    /// ```
    pub fn idempotency_key(&self) -> String {
        let p = &self.status.pipeline;
        format!(
            "{}/{}/{}/{}/{}/r{}a{}/{}",
            p.name,
            p.counter,
            p.stage.name,
            p.stage.counter,
            p.stage.state,
            self.rule,
            self.action,
            self.target
        )
    }

    /// Makes a delivery by hand, for notifier tests and custom front ends.
    pub fn new(
        target: impl Into<Cow<'static, str>>,
        text: impl Into<String>,
        status: Arc<StageStatus>,
    ) -> Self {
        Delivery {
            target: target.into(),
            text: text.into(),
            status,
            transition: None,
            rule: 0,
            action: 0,
        }
    }
}

/// Where evaluation reads from and writes to. Generated code and the run-time
/// evaluator both go through it, so both render and deliver the same way.
#[doc(hidden)]
pub struct Eval<'a> {
    pub status: &'a StageStatus,
    pub transition: Option<Transition>,
    pub server_url: Option<&'a str>,
    shared: Option<Arc<StageStatus>>,
    pub out: Vec<Delivery>,
}

impl<'a> Eval<'a> {
    pub(crate) fn new(
        status: &'a StageStatus,
        transition: Option<Transition>,
        server_url: Option<&'a str>,
    ) -> Self {
        Eval {
            status,
            transition,
            server_url,
            shared: None,
            out: Vec::new(),
        }
    }

    /// Records a delivery; the notification is cloned once, on the first one.
    pub fn send(&mut self, rule: u32, action: u32, target: &'static str, text: String) {
        self.push(rule, action, Cow::Borrowed(target), text);
    }

    /// Records a delivery to a target known only at run time.
    pub(crate) fn send_owned(&mut self, rule: u32, action: u32, target: &str, text: String) {
        self.push(rule, action, Cow::Owned(target.to_owned()), text);
    }

    fn push(&mut self, rule: u32, action: u32, target: Cow<'static, str>, text: String) {
        let status = Arc::clone(
            self.shared
                .get_or_insert_with(|| Arc::new(self.status.clone())),
        );
        self.out.push(Delivery {
            target,
            text,
            status,
            transition: self.transition,
            rule,
            action,
        });
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

#[derive(Clone)]
enum Engine {
    Compiled(Arc<CompiledFn>),
    Loaded(Arc<interp::Program>),
}

/// A checked set of rules: from [`rules!`](crate::rules),
/// [`rules_file!`](crate::rules_file), or [`RuleSet::parse`].
#[derive(Clone)]
pub struct RuleSet {
    engine: Engine,
    targets: Vec<String>,
    uses_link: bool,
    rule_count: usize,
}

impl fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.engine {
            Engine::Compiled(_) => "compiled",
            Engine::Loaded(_) => "loaded",
        };
        f.debug_struct("RuleSet")
            .field("engine", &kind)
            .field("targets", &self.targets)
            .field("rules", &self.rule_count)
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
    /// `{link}` renders empty.
    pub fn evaluate(&self, status: &StageStatus) -> Vec<Delivery> {
        self.evaluate_with(status, None, None)
    }

    /// Like [`RuleSet::evaluate`], with the transition history found and the
    /// server address for `{link}`.
    pub fn evaluate_with(
        &self,
        status: &StageStatus,
        transition: Option<Transition>,
        server_url: Option<&str>,
    ) -> Vec<Delivery> {
        self.run(Eval::new(status, transition, server_url))
    }

    /// Like [`RuleSet::evaluate_with`], for a notification already behind an
    /// [`Arc`]: the deliveries share it instead of each evaluation copying it.
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
    /// assert!(std::ptr::eq(d[0].status(), &*status));
    /// ```
    pub fn evaluate_shared(
        &self,
        status: &Arc<StageStatus>,
        transition: Option<Transition>,
        server_url: Option<&str>,
    ) -> Vec<Delivery> {
        let mut ev = Eval::new(status, transition, server_url);
        // Already shared: the first delivery takes a reference count, not a copy.
        ev.shared = Some(Arc::clone(status));
        self.run(ev)
    }

    fn run(&self, mut ev: Eval<'_>) -> Vec<Delivery> {
        match &self.engine {
            Engine::Compiled(f) => f(&mut ev),
            Engine::Loaded(p) => p.run(&mut ev),
        }
        ev.out
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
            Engine::Compiled(_) => None,
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

    /// How many rules there are.
    pub fn len(&self) -> usize {
        self.rule_count
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rule_count == 0
    }

    #[doc(hidden)]
    pub fn __compiled(
        meta: &'static Meta,
        f: impl Fn(&mut Eval<'_>) + Send + Sync + 'static,
    ) -> RuleSet {
        RuleSet {
            engine: Engine::Compiled(Arc::new(f)),
            targets: meta.targets.iter().map(|t| (*t).to_owned()).collect(),
            uses_link: meta.uses_link,
            rule_count: meta.rule_count,
        }
    }

    /// What generated code emits next to `compile_error!`, so that one mistake in
    /// the rules does not turn into type errors elsewhere.
    #[doc(hidden)]
    pub fn __placeholder() -> RuleSet {
        RuleSet {
            engine: Engine::Compiled(Arc::new(|_: &mut Eval<'_>| {})),
            targets: Vec::new(),
            uses_link: false,
            rule_count: 0,
        }
    }
}
