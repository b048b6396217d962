//! What evaluation makes: one message for one target, and the notification it
//! is about, borrowed or shared but never copied.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use super::Transition;
use crate::model::StageStatus;

/// One message for one target, made by a rule that fired.
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
///     assert!(std::ptr::eq(made[0].status(), &status), "borrowed, not copied");
///     made.into_iter().map(Delivery::into_owned).collect()
/// };
/// assert_eq!(kept[0].text(), "shop failed");
/// assert_eq!(kept[0].status().pipeline.name, "shop");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery<'n> {
    target: Text,
    text: Text,
    status: Source<'n>,
    transition: Option<Transition>,
    rule: u32,
    action: u32,
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
}

impl Deref for Source<'_> {
    type Target = StageStatus;

    #[inline]
    fn deref(&self) -> &StageStatus {
        match self {
            Source::Borrowed(s) => s,
            Source::Shared(s) => s,
        }
    }
}

impl PartialEq for Source<'_> {
    fn eq(&self, other: &Source<'_>) -> bool {
        std::ptr::eq(&**self, &**other) || **self == **other
    }
}

impl fmt::Debug for Source<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<'n> Delivery<'n> {
    pub(crate) fn made(
        target: Text,
        text: Text,
        status: Source<'n>,
        transition: Option<Transition>,
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

    /// The same delivery, free of the notification it borrowed: the
    /// notification is copied once here if it was borrowed, and not at all if
    /// it was already shared.
    pub fn into_owned(self) -> Delivery<'static> {
        let status = match self.status {
            Source::Borrowed(s) => Arc::new(s.clone()),
            Source::Shared(s) => s,
        };
        Delivery {
            target: self.target,
            text: self.text,
            status: Source::Shared(status),
            transition: self.transition,
            rule: self.rule,
            action: self.action,
        }
    }

    /// The same delivery borrowing `status`, which is the notification it
    /// borrowed (evaluation ties it to more than that).
    pub(crate) fn rebind(self, status: &StageStatus) -> Delivery<'_> {
        let status = match self.status {
            Source::Borrowed(_) => Source::Borrowed(status),
            Source::Shared(s) => Source::Shared(s),
        };
        Delivery {
            target: self.target,
            text: self.text,
            status,
            transition: self.transition,
            rule: self.rule,
            action: self.action,
        }
    }

    /// Whether the delivery borrows its notification (it came from
    /// [`RuleSet::evaluate`](crate::RuleSet::evaluate)) rather than sharing it.
    pub fn is_borrowed(&self) -> bool {
        matches!(self.status, Source::Borrowed(_))
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
            &*self.target
        )
    }
}

impl Delivery<'static> {
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
        Delivery::made(
            Text::Owned(target),
            Text::Owned(text),
            Source::Shared(status),
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
}
