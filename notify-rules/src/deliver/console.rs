//! The console notifier: one line per delivery.

use std::fmt;
use std::io::{self, Write};
use std::sync::Mutex;

use super::{Notifier, NotifyError};
use crate::rules::Delivery;

/// Writes one line per delivery, `[target] text`, on standard output (or on any
/// writer). Line breaks inside a message are written as `\n` so that each delivery
/// stays one line.
///
/// ```
/// use std::sync::Arc;
/// use notify_rules::{deliver::Console, Delivery, Notifier};
/// # let status: notify_rules::model::StageStatus = serde_json::from_str(r#"{"pipeline":{"name":"shop","counter":"3",
/// #   "stage":{"name":"deploy","counter":"1","state":"Failed","result":"Failed","jobs":[]}}}"#).unwrap();
///
/// let buffer = Arc::new(std::sync::Mutex::new(Vec::new()));
/// let console = Console::to_writer(SharedBuf(buffer.clone()));
/// console.send(&Delivery::new("ops", "Deploy failed\nsee logs", Arc::new(status))).unwrap();
/// assert_eq!(String::from_utf8(buffer.lock().unwrap().clone()).unwrap(), "[ops] Deploy failed\\nsee logs\n");
/// # struct SharedBuf(Arc<std::sync::Mutex<Vec<u8>>>);
/// # impl std::io::Write for SharedBuf {
/// #     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().write(b) }
/// #     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
/// # }
/// ```
pub struct Console {
    out: Option<Mutex<Box<dyn Write + Send>>>,
}

impl Console {
    /// Writes to standard output.
    pub fn stdout() -> Self {
        Console { out: None }
    }

    /// Writes to the given writer instead.
    pub fn to_writer(writer: impl Write + Send + 'static) -> Self {
        Console {
            out: Some(Mutex::new(Box::new(writer))),
        }
    }

    fn line(delivery: &Delivery) -> String {
        let mut line = format!("[{}] ", delivery.target());
        for c in delivery.text().chars() {
            match c {
                '\n' => line.push_str("\\n"),
                '\r' => line.push_str("\\r"),
                c => line.push(c),
            }
        }
        line.push('\n');
        line
    }
}

impl Default for Console {
    fn default() -> Self {
        Console::stdout()
    }
}

impl fmt::Debug for Console {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let to = if self.out.is_some() {
            "writer"
        } else {
            "stdout"
        };
        f.debug_struct("Console").field("to", &to).finish()
    }
}

impl Notifier for Console {
    fn send(&self, delivery: &Delivery) -> Result<(), NotifyError> {
        let line = Console::line(delivery);
        let written = match &self.out {
            // One write of the whole line under stdout's lock keeps lines from
            // threads delivering at once from interleaving.
            None => {
                let mut out = io::stdout().lock();
                out.write_all(line.as_bytes()).and_then(|()| out.flush())
            }
            Some(w) => {
                let mut w = w.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                w.write_all(line.as_bytes()).and_then(|()| w.flush())
            }
        };
        written.map_err(|e| NotifyError::retryable(format!("could not write to the console: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    struct Failing;
    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::BrokenPipe, "pipe closed"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_write_error_is_reported() {
        let status = crate::plugin::test_support::status("api", 1, "test", 1, "Failed");
        let d = Delivery::new("ops", "x", Arc::new(status));
        let e = Console::to_writer(Failing).send(&d).unwrap_err();
        assert!(e.to_string().contains("pipe closed"), "{e}");
        assert!(Console::stdout().send(&d).is_ok());
        assert_eq!(
            format!("{:?}", Console::default()),
            "Console { to: \"stdout\" }"
        );
    }
}
