//! The key-value area as notifiers see it: values under a space and a key,
//! each with an optional end, in whichever store the plugin has.

use super::{StateStore, StoreError};

/// The state store's key-value area, lent to a notifier (see
/// [`Context`](crate::deliver::Context)) or taken from
/// [`Plugin::kv`](crate::Plugin::kv).
///
/// A *space* names what a feature keeps (`slack-app`, `email-thread`), so
/// that two features never read each other's keys. Values are bytes; ends
/// are in seconds since 1970, and a value past its end reads as absent.
/// In a shared PostgreSQL database every replica sees the same values, and
/// [`insert_new`](KeyValue::insert_new) is atomic among them.
///
/// ```
/// use notify_rules::{rules, Delivery, Plugin};
///
/// let plugin = Plugin::builder(rules! { target ops; })
///     .notifier("ops", |_: &Delivery| Ok(()))
///     .build()?;
/// let kv = plugin.kv();
/// assert!(kv.insert_new("example", "run-1", b"mine", None)?);
/// assert!(!kv.insert_new("example", "run-1", b"theirs", None)?);
/// assert_eq!(kv.get("example", "run-1")?.as_deref(), Some(&b"mine"[..]));
/// kv.remove("example", "run-1")?;
/// assert_eq!(kv.get("example", "run-1")?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy)]
pub struct KeyValue<'a> {
    store: &'a dyn StateStore,
}

impl<'a> KeyValue<'a> {
    pub(crate) fn new(store: &'a dyn StateStore) -> KeyValue<'a> {
        KeyValue { store }
    }

    /// The value under `space` and `key`, unless absent or past its end.
    pub fn get(&self, space: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.get(space, key)
    }

    /// Keeps `value` under `space` and `key`, replacing any, until
    /// `expires` (seconds since 1970) when given.
    pub fn put(
        &self,
        space: &str,
        key: &str,
        value: &[u8],
        expires: Option<u64>,
    ) -> Result<(), StoreError> {
        self.store.put(space, key, value, expires)
    }

    /// Keeps `value` under `space` and `key` only if nothing is there (or
    /// what is there is past its end), in one step: of two callers at once,
    /// in one process or on two replicas, exactly one gets `true`.
    pub fn insert_new(
        &self,
        space: &str,
        key: &str,
        value: &[u8],
        expires: Option<u64>,
    ) -> Result<bool, StoreError> {
        self.store.put_new(space, key, value, expires)
    }

    /// Forgets the value under `space` and `key`.
    pub fn remove(&self, space: &str, key: &str) -> Result<(), StoreError> {
        self.store.remove(space, key)
    }
}

impl std::fmt::Debug for KeyValue<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyValue").finish_non_exhaustive()
    }
}
