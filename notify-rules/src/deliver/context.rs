//! What a notifier is handed besides the delivery: the state store's
//! key-value area, for notifiers that remember something per pipeline run
//! (the Slack message to update, the first e-mail of a thread).

use crate::state::{KeyValue, StateStore};

/// The key of a delivery's pipeline run among a target's:
/// `target/pipeline/counter`, the pipeline in lower case (GoCD's names are
/// case-insensitive); `None` for an agent delivery, which belongs to no run.
#[cfg(any(feature = "slack", feature = "email"))]
pub(crate) fn run_key(d: &crate::rules::Delivery) -> Option<String> {
    let p = &d.status()?.pipeline;
    Some(format!(
        "{}/{}/{}",
        d.target(),
        p.name.to_lowercase(),
        p.counter
    ))
}

/// What the plugin offers a notifier besides the delivery, in
/// [`Notifier::send_with`](super::Notifier::send_with).
///
/// A notifier that keeps something between deliveries asks for the
/// plugin's key-value area here, so that a restart, or another replica on
/// the same database, finds what it kept:
///
/// ```
/// use notify_rules::deliver::Context;
/// use notify_rules::{rules, Delivery, Notifier, NotifyError, Plugin};
///
/// /// Counts the deliveries of each pipeline run, in the plugin's store.
/// struct PerRun;
///
/// impl Notifier for PerRun {
///     fn send(&self, _: &Delivery) -> Result<(), NotifyError> {
///         Err(NotifyError::permanent("needs the plugin's store"))
///     }
///
///     fn send_with(&self, d: &Delivery, cx: &Context<'_>) -> Result<(), NotifyError> {
///         let run = d.status().map(|s| format!("{}/{}", s.pipeline.name, s.pipeline.counter));
///         let key = run.unwrap_or_default();
///         let kv = cx.kv();
///         let seen = kv.get("example-count", &key).map_err(|e| e.to_string())?;
///         let n = seen.map_or(0, |v| v[0]) + 1;
///         kv.put("example-count", &key, &[n], None).map_err(|e| e.to_string())?;
///         println!("delivery {n} of {key}");
///         Ok(())
///     }
/// }
///
/// let plugin = Plugin::builder(rules! { target ops; on any => send(ops); })
///     .notifier("ops", PerRun)
///     .build()?;
/// let body = r#"{"pipeline":{"name":"p","counter":"7","stage":{"name":"s","counter":"1"}}}"#;
/// assert_eq!(plugin.handle("stage-status", body).code, 200);
/// let kv = plugin.kv();
/// assert_eq!(kv.get("example-count", "p/7")?, Some(vec![1]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Context<'a> {
    kv: KeyValue<'a>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(store: &'a dyn StateStore) -> Context<'a> {
        Context {
            kv: KeyValue::new(store),
        }
    }

    /// The state store's key-value area.
    pub fn kv(&self) -> &KeyValue<'a> {
        &self.kv
    }
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").finish_non_exhaustive()
    }
}
