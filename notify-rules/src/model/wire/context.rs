//! What reading one body needs beyond its bytes: the GoCD server's time zone,
//! for dates that carry no offset, and a record of the fields that could not be
//! read and were taken as absent.
//!
//! Both live in a thread-local for the length of one read, because serde's
//! derived `Deserialize` has no way to hand a setting down to a field: the
//! alternative, a `DeserializeSeed` through every struct, would mean writing
//! every derive by hand. A read outside [`reading`] (a plain
//! `serde_json::from_str`) sees UTC and keeps no record; the protocol's readers
//! always go through it.

use std::cell::RefCell;
use std::fmt;

use chrono_tz::Tz;
use serde::de;

use crate::model::redact::redact_text;

/// A field of a notification that could not be read, and so was taken as
/// absent (a date), `Unknown` (a state) or `false` (a flag) instead of refusing
/// the whole notification.
///
/// ```
/// use notify_rules::protocol::Reader;
///
/// let body = r#"{"pipeline":{"name":"p","counter":"1","stage":{"name":"s","counter":"1",
///   "state":"Failed","result":"Failed","create-time":"test-create-time"}}}"#;
/// let read = Reader::new().stage_status(body).unwrap();
/// assert_eq!(read.value.pipeline.stage.create_time, None);
/// let field = &read.unreadable[0];
/// assert_eq!(field.path(), "pipeline.stage.create-time");
/// assert_eq!(
///     field.to_string(),
///     "pipeline.stage.create-time: could not read \"test-create-time\" as a date; taken as absent"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableField {
    pub(crate) path: String,
    pub(crate) value: String,
    pub(crate) expected: &'static str,
}

impl UnreadableField {
    /// Where the field is, as `pipeline.stage.jobs[0].complete-time`; empty
    /// when it could not be found again (past the first
    /// [`MAX_LOCATED`] fields of a body).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The value as sent, cut to 64 characters; JSON text for a value that is
    /// not a string.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// What the field should have held, such as `a date`.
    pub fn expected(&self) -> &str {
        self.expected
    }
}

impl fmt::Display for UnreadableField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let place = if self.path.is_empty() {
            "a field"
        } else {
            &self.path
        };
        write!(
            f,
            "{place}: could not read {:?} as {}; taken as absent",
            self.value, self.expected
        )
    }
}

/// How many unreadable fields of one body are looked for again to find their
/// paths. Each costs one more read of the body; a body with more is not one a
/// GoCD server wrote, and the rest are still reported, without a path.
pub const MAX_LOCATED: usize = 16;

/// The longest value quoted in an [`UnreadableField`].
const MAX_QUOTED: usize = 64;

struct Context {
    zone: Tz,
    unreadable: Vec<UnreadableField>,
    /// While locating: the index of the unreadable field to turn into an
    /// error, whose path serde_path_to_error then reports.
    fail_at: Option<usize>,
    seen: usize,
}

thread_local! {
    static CONTEXT: RefCell<Option<Context>> = const { RefCell::new(None) };
}

/// The error that stands for the field being located; never shown.
pub(crate) const LOCATING: &str = "notify-rules: locating an unreadable field";

/// Runs `read` with this time zone for dates without an offset, and returns
/// what it returned with the fields it could not read. Nested calls each keep
/// their own record.
pub(crate) fn reading<R>(
    zone: Tz,
    fail_at: Option<usize>,
    read: impl FnOnce() -> R,
) -> (R, Vec<UnreadableField>) {
    let outer = CONTEXT.with(|c| {
        c.borrow_mut().replace(Context {
            zone,
            unreadable: Vec::new(),
            fail_at,
            seen: 0,
        })
    });
    // Puts the outer context back, also when `read` unwinds, so a later read
    // on this thread does not inherit a stale one.
    struct Restore(Option<Context>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let outer = self.0.take();
            CONTEXT.with(|c| *c.borrow_mut() = outer);
        }
    }
    let restore = Restore(outer);
    let got = read();
    let ours = CONTEXT.with(|c| c.borrow_mut().take());
    drop(restore);
    (got, ours.map(|c| c.unreadable).unwrap_or_default())
}

/// The time zone of the read in progress; UTC outside one.
pub(crate) fn zone() -> Tz {
    CONTEXT.with(|c| c.borrow().as_ref().map_or(Tz::UTC, |c| c.zone))
}

/// Notes a field that could not be read. `Ok` lets the caller take it as
/// absent; `Err` only while this very field is being located.
pub(crate) fn unreadable<E: de::Error>(value: &str, expected: &'static str) -> Result<(), E> {
    CONTEXT.with(|c| {
        let mut c = c.borrow_mut();
        let Some(c) = c.as_mut() else {
            // Read by plain serde (`serde_json::from_str::<StageStatus>`),
            // with no reader to collect it and say where: said here, so the
            // field is absent but not silently.
            tracing::warn!(
                value = %quoted(value),
                expected,
                "a field of a notification could not be read; taken as absent"
            );
            return Ok(());
        };
        let index = c.seen;
        c.seen += 1;
        if c.fail_at == Some(index) {
            return Err(E::custom(LOCATING));
        }
        if c.fail_at.is_none() {
            c.unreadable.push(UnreadableField {
                path: String::new(),
                value: quoted(value),
                expected,
            });
        }
        Ok(())
    })
}

/// Credentials out of any URL in the value, then the value cut (in that
/// order, so a cut cannot hide the `@` that ends a password).
fn quoted(value: &str) -> String {
    let value = redact_text(value);
    match value.char_indices().nth(MAX_QUOTED) {
        Some((end, _)) => format!("{}...", &value[..end]),
        None => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_read_by_plain_serde_is_logged_without_its_credentials() {
        let logged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
        let sink = logged.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || Sink(sink.clone()))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            unreadable::<de::value::Error>("https://bob:hunter2@x.example/", "a date").unwrap();
        });
        let logged = String::from_utf8(logged.lock().unwrap().clone()).unwrap();
        assert!(
            logged.contains("could not be read; taken as absent"),
            "{logged}"
        );
        assert!(
            logged.contains("a date") && !logged.contains("hunter2"),
            "{logged}"
        );
    }

    struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_read_keeps_its_own_record_and_restores_the_outer_one() {
        let ((inner, outer_zone), outer) = reading(Tz::Europe__Berlin, None, || {
            unreadable::<de::value::Error>("a", "a date").unwrap();
            let inner = reading(Tz::Asia__Tokyo, None, || {
                unreadable::<de::value::Error>("b", "a date").unwrap();
                zone()
            });
            (inner, zone())
        });
        assert_eq!(inner.0, Tz::Asia__Tokyo);
        assert_eq!(inner.1.len(), 1);
        assert_eq!(inner.1[0].value, "b");
        assert_eq!(outer_zone, Tz::Europe__Berlin);
        assert_eq!(outer.len(), 1);
        assert_eq!(outer[0].value, "a");
        assert_eq!(zone(), Tz::UTC);
    }

    #[test]
    fn locating_fails_at_the_one_field_asked_for_and_records_nothing() {
        let (results, record) = reading(Tz::UTC, Some(1), || {
            (0..3)
                .map(|_| unreadable::<de::value::Error>("x", "a date").is_ok())
                .collect::<Vec<_>>()
        });
        assert_eq!(results, [true, false, true]);
        assert!(record.is_empty());
    }

    #[test]
    fn quoted_values_keep_no_credentials() {
        let (_, record) = reading(Tz::UTC, None, || {
            unreadable::<de::value::Error>("https://ci:s3cret@git.example.org/x", "a date")
        });
        assert!(!record[0].value.contains("s3cret"), "{:?}", record[0]);
    }

    #[test]
    fn long_values_are_cut() {
        let (_, record) = reading(Tz::UTC, None, || {
            unreadable::<de::value::Error>(&"é".repeat(100), "a date")
        });
        assert_eq!(record[0].value.chars().count(), MAX_QUOTED + 3);
    }

    #[test]
    fn a_panicking_read_leaves_no_context_behind() {
        let caught = std::panic::catch_unwind(|| {
            reading(Tz::Asia__Tokyo, None, || panic!("boom"));
        });
        assert!(caught.is_err());
        assert_eq!(zone(), Tz::UTC);
    }
}
