//! Compiler spans, kept by number.
//!
//! A [`Span`] is neither `Send` nor `Sync`: a span from the compiler means
//! something only on the thread that expands the macro. A [`Loc`](crate::Loc),
//! and so an error, must be both, to be kept and passed on like any other
//! error (`notify_rules::RuleSetError` holds them). So a `Loc` holds the number
//! of its span in a table of the thread that read the tokens, the way the
//! compiler's own spans are numbers in its tables. On another thread, or once
//! the next `rules!` body has started the table again, it has no span.

use std::cell::RefCell;
use std::thread::{self, ThreadId};

use proc_macro2::Span;

/// A span's place in its thread's table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SpanRef {
    thread: ThreadId,
    generation: u32,
    index: usize,
}

struct Table {
    /// How often the table was started again, so that an old number is not
    /// taken for a new span.
    generation: u32,
    spans: Vec<Span>,
}

thread_local! {
    static TABLE: RefCell<Table> = const {
        RefCell::new(Table {
            generation: 0,
            spans: Vec::new(),
        })
    };
}

impl SpanRef {
    /// Keeps `span` in this thread's table.
    pub(crate) fn new(span: Span) -> SpanRef {
        TABLE.with_borrow_mut(|t| {
            t.spans.push(span);
            SpanRef {
                thread: thread::current().id(),
                generation: t.generation,
                index: t.spans.len() - 1,
            }
        })
    }

    /// The span, on the thread that kept it and while its table lasts.
    pub(crate) fn get(self) -> Option<Span> {
        if self.thread != thread::current().id() {
            return None;
        }
        TABLE.with_borrow(|t| {
            if t.generation != self.generation {
                return None;
            }
            t.spans.get(self.index).copied()
        })
    }
}

/// Forgets the spans of earlier token input, so the table does not grow with
/// every `rules!` a compiler thread expands; each body starts it again.
#[cfg(feature = "codegen")]
pub(crate) fn start_table() {
    TABLE.with_borrow_mut(|t| {
        t.generation = t.generation.wrapping_add(1);
        t.spans.clear();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_is_found_on_its_thread_only() {
        let kept = SpanRef::new(Span::call_site());
        assert!(kept.get().is_some());
        let elsewhere = std::thread::spawn(move || kept.get().is_some());
        assert!(!elsewhere.join().unwrap());
    }

    #[cfg(feature = "codegen")]
    #[test]
    fn a_new_table_forgets_old_spans() {
        let old = SpanRef::new(Span::call_site());
        start_table();
        let new = SpanRef::new(Span::call_site());
        assert!(old.get().is_none());
        assert!(new.get().is_some());
    }
}
