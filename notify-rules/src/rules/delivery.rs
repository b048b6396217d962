//! What evaluation makes: one message for one target, and the notification it
//! is about, borrowed or shared but never copied.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use super::{AgentTransition, Transition};
use crate::model::{AgentStatus, StageStatus};

/// One message for one target, made by a rule that fired: a stage rule about
/// a stage-status ([`Delivery::status`]) or an agent rule about an
/// agent-status ([`Delivery::agent`]).
///
/// A delivery from [`RuleSet::evaluate`](crate::RuleSet::evaluate) borrows the
/// notification it was made from (`'n`), so evaluating copies nothing of it;
/// [`Delivery::into_owned`] makes one that outlives it. The deliveries a
/// [`Plugin`](crate::Plugin) hands its notifiers share the notification behind
/// an [`Arc`] and are `Delivery<'static>`.
///
/// ```
/// use notify_rules::{rules, Delivery, model::StageStatus};
///
/// let body = r#"{"pipeline":{"name":"shop","counter":"3","build-cause":[],
///   "stage":{"name":"deploy","counter":"1","state":"Failed","result":"Failed","jobs":[]}}}"#;
/// let rules = rules! { target ops; on any => send(ops, "{pipeline.name} failed"); };
/// let kept: Vec<Delivery<'static>> = {
///     let status: StageStatus = serde_json::from_str(body).unwrap();
///     let made = rules.evaluate(&status);
///     assert!(std::ptr::eq(made[0].status().unwrap(), &status), "borrowed, not copied");
///     made.into_iter().map(Delivery::into_owned).collect()
/// };
/// assert_eq!(kept[0].text(), "shop failed");
/// assert_eq!(kept[0].status().unwrap().pipeline.name, "shop");
/// assert!(kept[0].agent().is_none());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery<'n> {
    target: Text,
    pub(super) text: Text,
    status: Source<'n>,
    transition: Option<Change>,
    rule: u32,
    action: u32,
    /// A reminder's or digest's addition to its key (`retold.rs`).
    pub(super) tag: Option<Box<str>>,
}

/// The transition history found for the notification, of its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    Stage(Transition),
    Agent(AgentTransition),
}

impl Change {
    /// The text of `{transition}`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Change::Stage(t) => t.as_str(),
            Change::Agent(t) => t.as_str(),
        }
    }

    /// The change whose text is `s`, of agents (`agent`) or of stages.
    pub(crate) fn from_str(s: &str, agent: bool) -> Option<Change> {
        if agent {
            [AgentTransition::Lost, AgentTransition::Back]
                .into_iter()
                .find(|t| t.as_str() == s)
                .map(Change::Agent)
        } else {
            [
                Transition::Broken,
                Transition::Fixed,
                Transition::StillFailing,
            ]
            .into_iter()
            .find(|t| t.as_str() == s)
            .map(Change::Stage)
        }
    }
}

impl From<Transition> for Change {
    fn from(t: Transition) -> Change {
        Change::Stage(t)
    }
}

impl From<AgentTransition> for Change {
    fn from(t: AgentTransition) -> Change {
        Change::Agent(t)
    }
}

/// A target name or a message: a constant of the program, a string of its own,
/// or one shared with the rule set (a loaded rule's target) or with another
/// delivery of the same evaluation (the same message to several targets).
#[derive(Clone)]
pub(crate) enum Text {
    Static(&'static str),
    Owned(String),
    Shared(Arc<str>),
}

impl Deref for Text {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        match self {
            Text::Static(s) => s,
            Text::Owned(s) => s,
            Text::Shared(s) => s,
        }
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        **self == **other
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl From<Cow<'static, str>> for Text {
    fn from(s: Cow<'static, str>) -> Text {
        match s {
            Cow::Borrowed(s) => Text::Static(s),
            Cow::Owned(s) => Text::Owned(s),
        }
    }
}

impl Text {
    /// The same text, shared: a second delivery of it costs a reference count.
    pub(crate) fn share(&mut self) -> Text {
        if let Text::Owned(s) = self {
            *self = Text::Shared(Arc::from(std::mem::take(s)));
        }
        self.clone()
    }
}

/// The notification a delivery is about.
#[derive(Clone)]
pub(crate) enum Source<'n> {
    Borrowed(&'n StageStatus),
    Shared(Arc<StageStatus>),
    AgentBorrowed(&'n AgentStatus),
    AgentShared(Arc<AgentStatus>),
}

impl Source<'_> {
    #[inline]
    fn stage(&self) -> Option<&StageStatus> {
        match self {
            Source::Borrowed(s) => Some(s),
            Source::Shared(s) => Some(s),
            _ => None,
        }
    }

    #[inline]
    fn agent(&self) -> Option<&AgentStatus> {
        match self {
            Source::AgentBorrowed(a) => Some(a),
            Source::AgentShared(a) => Some(a),
            _ => None,
        }
    }

    fn is_borrowed(&self) -> bool {
        matches!(self, Source::Borrowed(_) | Source::AgentBorrowed(_))
    }

    /// The same notification, shared: copied once if it was borrowed.
    fn into_owned(self) -> Source<'static> {
        match self {
            Source::Borrowed(s) => Source::Shared(Arc::new(s.clone())),
            Source::Shared(s) => Source::Shared(s),
            Source::AgentBorrowed(a) => Source::AgentShared(Arc::new(a.clone())),
            Source::AgentShared(a) => Source::AgentShared(a),
        }
    }
}

impl PartialEq for Source<'_> {
    fn eq(&self, other: &Source<'_>) -> bool {
        match (self.stage(), other.stage(), self.agent(), other.agent()) {
            (Some(a), Some(b), _, _) => std::ptr::eq(a, b) || a == b,
            (_, _, Some(a), Some(b)) => std::ptr::eq(a, b) || a == b,
            _ => false,
        }
    }
}

impl fmt::Debug for Source<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.stage(), self.agent()) {
            (Some(s), _) => fmt::Debug::fmt(s, f),
            (_, Some(a)) => fmt::Debug::fmt(a, f),
            _ => Ok(()),
        }
    }
}

impl<'n> Delivery<'n> {
    pub(crate) fn made(
        target: Text,
        text: Text,
        status: Source<'n>,
        transition: Option<Change>,
        rule: u32,
        action: u32,
    ) -> Self {
        Delivery {
            target,
            text,
            status,
            transition,
            rule,
            action,
            tag: None,
        }
    }

    /// The message, to give another delivery of the same evaluation.
    pub(crate) fn share_text(&mut self) -> Text {
        self.text.share()
    }

    /// The target the message goes to, as named in `send(target, ...)`.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The rendered message.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The stage-status the message is about; `None` for a delivery of an
    /// agent rule, which is about an agent-status ([`Delivery::agent`]).
    #[inline]
    pub fn status(&self) -> Option<&StageStatus> {
        self.status.stage()
    }

    /// The agent-status the message is about; `None` for a delivery of a
    /// stage rule.
    ///
    /// ```
    /// use notify_rules::{RuleSet, AgentTransition, model::AgentStatus};
    ///
    /// let body = r#"{"uuid":"0b9e","host_name":"agent-7","agent_state":"LostContact",
    ///   "build_state":"Unknown","agent_config_state":"Enabled"}"#;
    /// let agent: AgentStatus = serde_json::from_str(body).unwrap();
    /// let rules = RuleSet::parse("target ops; on agent lost => send(ops);").unwrap();
    /// let made = rules.evaluate_agent_with(&agent, Some(AgentTransition::Lost), None);
    /// assert!(std::ptr::eq(made[0].agent().unwrap(), &agent), "borrowed, not copied");
    /// assert_eq!(made[0].agent_transition(), Some(AgentTransition::Lost));
    /// assert!(made[0].status().is_none());
    /// ```
    #[inline]
    pub fn agent(&self) -> Option<&AgentStatus> {
        self.status.agent()
    }

    /// The transition the stage-status made, when history knew it.
    pub fn transition(&self) -> Option<Transition> {
        match self.transition {
            Some(Change::Stage(t)) => Some(t),
            _ => None,
        }
    }

    /// The transition the agent-status made (`lost`, `back`), when history
    /// knew it.
    pub fn agent_transition(&self) -> Option<AgentTransition> {
        match self.transition {
            Some(Change::Agent(t)) => Some(t),
            _ => None,
        }
    }

    /// The text of `{transition}` for either kind, when history knew it.
    #[cfg(any(feature = "webhook", feature = "slack"))]
    pub(crate) fn transition_text(&self) -> Option<&'static str> {
        self.transition.map(Change::as_str)
    }

    /// The transition, of either kind, as the outbox keeps it.
    pub(crate) fn change(&self) -> Option<Change> {
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

    /// The same delivery, free of the notification it borrowed: the
    /// notification is copied once here if it was borrowed, and not at all if
    /// it was already shared.
    pub fn into_owned(self) -> Delivery<'static> {
        Delivery {
            target: self.target,
            text: self.text,
            status: self.status.into_owned(),
            transition: self.transition,
            rule: self.rule,
            action: self.action,
            tag: self.tag,
        }
    }

    /// The same delivery borrowing `borrowed`, which is the notification it
    /// borrowed (evaluation ties it to more than that).
    pub(crate) fn rebind(self, borrowed: Source<'_>) -> Delivery<'_> {
        let status = match self.status {
            Source::Borrowed(_) | Source::AgentBorrowed(_) => borrowed,
            Source::Shared(s) => Source::Shared(s),
            Source::AgentShared(a) => Source::AgentShared(a),
        };
        Delivery {
            target: self.target,
            text: self.text,
            status,
            transition: self.transition,
            rule: self.rule,
            action: self.action,
            tag: self.tag,
        }
    }

    /// Whether the delivery borrows its notification (it came from
    /// [`RuleSet::evaluate`](crate::RuleSet::evaluate)) rather than sharing it.
    pub fn is_borrowed(&self) -> bool {
        self.status.is_borrowed()
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
    ///
    /// An agent delivery's key names the agent and the state it changed to:
    /// `agent/<uuid>/<agent state>/<build state>/<config state>/<time>/r0a0/ops`.
    ///
    /// A reminder's or a digest's key is the key of the delivery it was
    /// made from, then `/remind<n>-<count>` or `/digest-<time>`.
    pub fn idempotency_key(&self) -> String {
        let mut key = self.made_key();
        if let Some(tag) = &self.tag {
            key.push('/');
            key.push_str(tag);
        }
        key
    }

    fn made_key(&self) -> String {
        let p = match (self.status.stage(), self.status.agent()) {
            (Some(s), _) => &s.pipeline,
            (_, Some(a)) => {
                let time = a.transition_time.map(|t| t.timestamp_millis());
                return format!(
                    "agent/{}/{}/{}/{}/{}/r{}a{}/{}",
                    a.uuid,
                    a.agent_state,
                    a.build_state,
                    a.agent_config_state,
                    time.unwrap_or(0),
                    self.rule,
                    self.action,
                    &*self.target
                );
            }
            _ => return String::new(),
        };
        format!(
            "{}/{}/{}/{}/{}/r{}a{}/{}",
            p.name,
            p.counter,
            p.stage.name,
            p.stage.counter,
            p.stage.state,
            self.rule,
            self.action,
            &*self.target
        )
    }
}

impl Delivery<'static> {
    /// Rebuilds a delivery exactly as evaluation made it (the outbox keeps
    /// deliveries across restarts), so its idempotency key is unchanged.
    #[cfg(test)]
    pub(crate) fn restored(
        target: String,
        text: String,
        status: Arc<StageStatus>,
        transition: Option<Transition>,
        rule: u32,
        action: u32,
    ) -> Self {
        Delivery::restored_from(
            target,
            text,
            Source::Shared(status),
            transition.map(Change::Stage),
            rule,
            action,
        )
    }

    /// Like [`Delivery::restored`], about either kind of notification.
    pub(crate) fn restored_from(
        target: String,
        text: String,
        status: Source<'static>,
        transition: Option<Change>,
        rule: u32,
        action: u32,
    ) -> Self {
        Delivery::made(
            Text::Owned(target),
            Text::Owned(text),
            status,
            transition,
            rule,
            action,
        )
    }

    /// Makes a delivery by hand, for notifier tests and custom front ends.
    pub fn new(
        target: impl Into<Cow<'static, str>>,
        text: impl Into<String>,
        status: Arc<StageStatus>,
    ) -> Self {
        Delivery::made(
            Text::from(target.into()),
            Text::Owned(text.into()),
            Source::Shared(status),
            None,
            0,
            0,
        )
    }

    /// Makes a delivery about an agent-status by hand, for notifier tests and
    /// custom front ends.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use notify_rules::{Delivery, model::AgentStatus};
    ///
    /// let agent: AgentStatus = serde_json::from_str(r#"{"uuid":"0b9e","host_name":"agent-7"}"#).unwrap();
    /// let d = Delivery::new_agent("ops", "agent-7 lost contact", Arc::new(agent));
    /// assert_eq!(d.agent().unwrap().uuid, "0b9e");
    /// ```
    pub fn new_agent(
        target: impl Into<Cow<'static, str>>,
        text: impl Into<String>,
        agent: Arc<AgentStatus>,
    ) -> Self {
        Delivery::made(
            Text::from(target.into()),
            Text::Owned(text.into()),
            Source::AgentShared(agent),
            None,
            0,
            0,
        )
    }
}
