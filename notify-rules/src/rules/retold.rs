//! A delivery told again: a reminder or a digest made from one kept in the
//! store, or a throttled message with its count, each with a tag that makes
//! its idempotency key its own.

use super::delivery::Text;
use super::Delivery;

impl Delivery<'_> {
    /// The same delivery with another message and, when given, a tag
    /// after its key (`remind-r<rule identity>m0-3`, `digest-...`).
    pub(crate) fn retold(mut self, text: String, tag: Option<String>) -> Self {
        self.text = Text::Owned(text);
        if tag.is_some() {
            self.tag = tag.map(String::into_boxed_str);
        }
        self
    }

    /// What a reminder or digest adds to its key.
    pub(crate) fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }
}
