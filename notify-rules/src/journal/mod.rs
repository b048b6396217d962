//! An append-only file of JSON lines, compacted by an atomic rewrite; the durable
//! history and the outbox both keep their state in one.
//!
//! The first line names what the file holds, so that one store's file is never
//! read as another's. Each change is appended and synced before it is
//! acknowledged; when the file has grown well past what the state needs, the
//! state is written to a temporary file, synced, and renamed over the journal, so
//! that a crash leaves either the old file or the new one. A last line cut short
//! by a crash is dropped when the file is opened (that change was never
//! acknowledged); a bad line anywhere else is an error naming the file and line.
//!
//! An append that fails part-way (a full disk) is cut back off the file, so the
//! next append does not run on from the fragment and make that line unreadable;
//! when even the cut fails, the next append starts on a new line, and opening
//! skips a line that is only the beginning of an entry (it was never
//! acknowledged), so the file still opens and is repaired by the rewrite that
//! follows.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

pub(crate) struct Journal {
    /// Held as long as the journal is open, so no other process writes it.
    _lock: File,
    path: PathBuf,
    header: String,
    file: File,
    lines: usize,
    /// A failed append may have left a fragment the file could not be cut back
    /// to remove: the next append starts with a line break.
    torn: bool,
    /// Makes the next append write only this many bytes, then fail.
    #[cfg(test)]
    fail_after: Option<usize>,
}

/// What went wrong with a journal; its text names the file, and the line
/// where there is one.
#[derive(Debug, thiserror::Error)]
pub(crate) enum JournalError {
    /// The file, or its lock, could not be read, written or made.
    #[error("{}: cannot {doing}: {source}", path.display())]
    Io {
        path: PathBuf,
        doing: String,
        #[source]
        source: io::Error,
    },
    /// The first line says the file holds something else.
    #[error("{}:1: not a notify-rules {kind} file (expected the line `{header}`)", path.display())]
    Header {
        path: PathBuf,
        kind: String,
        header: String,
    },
    /// A line in the middle of the file is not an entry.
    #[error("{}:{line}: unreadable entry: {source}", path.display())]
    Entry {
        path: PathBuf,
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    /// An entry could not be written as JSON.
    #[error("{}: {source}", path.display())]
    Encode {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// Another opener holds the lock.
    #[error(
        "{}: in use: {who} (lock file {}); two processes cannot share one state file: \
         stop the other one, or give this one another file",
        path.display(),
        lock.display()
    )]
    InUse {
        path: PathBuf,
        lock: PathBuf,
        who: String,
    },
}

fn io_error(path: &Path, doing: impl Into<String>) -> impl FnOnce(io::Error) -> JournalError {
    let path = path.to_owned();
    let doing = doing.into();
    move |source| JournalError::Io {
        path,
        doing,
        source,
    }
}

impl Journal {
    /// Opens (or creates) a journal and reads its lines. `kind` goes into the
    /// header line.
    pub(crate) fn open<L: DeserializeOwned>(
        path: &Path,
        kind: &str,
    ) -> Result<(Journal, Vec<L>), JournalError> {
        let header = serde_json::json!({ "notify-rules": kind, "version": 1 }).to_string();
        // Before anything is read: another process may be rewriting the file.
        let lock = lock(path)?;
        let mut lines = Vec::new();
        match File::open(path) {
            Ok(file) => {
                let mut reader = BufReader::new(file);
                let mut buf = String::new();
                let mut number = 0;
                loop {
                    buf.clear();
                    let n = reader.read_line(&mut buf).map_err(io_error(path, "read"))?;
                    if n == 0 {
                        break;
                    }
                    number += 1;
                    let complete = buf.ends_with('\n');
                    let text = buf.trim_end();
                    if number == 1 {
                        if text != header {
                            if !complete && text.is_empty() {
                                break;
                            }
                            return Err(JournalError::Header {
                                path: path.to_owned(),
                                kind: kind.to_owned(),
                                header,
                            });
                        }
                        continue;
                    }
                    if text.is_empty() {
                        continue;
                    }
                    match serde_json::from_str::<L>(text) {
                        Ok(line) => lines.push(line),
                        // A torn write at the end: the change was never acknowledged.
                        Err(_) if !complete => break,
                        // The start of an entry whose append failed and could not
                        // be cut off: never acknowledged either. Anything else
                        // (not cut short) is damage, and an error.
                        Err(e) if e.is_eof() => continue,
                        Err(source) => {
                            return Err(JournalError::Entry {
                                path: path.to_owned(),
                                line: number,
                                source,
                            })
                        }
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(path, "open")(e)),
        }
        let file = private(OpenOptions::new().create(true).append(true))
            .open(path)
            .map_err(io_error(path, "open for writing"))?;
        let journal = Journal {
            _lock: lock,
            path: path.to_owned(),
            header,
            file,
            lines: 0,
            torn: false,
            #[cfg(test)]
            fail_after: None,
        };
        Ok((journal, lines))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Lines appended since the last rewrite.
    pub(crate) fn appended(&self) -> usize {
        self.lines
    }

    /// Appends one entry and syncs it to disk. On failure the file is cut back
    /// to where it was, so a fragment never runs into the next entry.
    pub(crate) fn append<L: Serialize>(&mut self, line: &L) -> Result<(), JournalError> {
        let entry = serde_json::to_string(line).map_err(|source| JournalError::Encode {
            path: self.path.clone(),
            source,
        })?;
        let mut text = String::with_capacity(entry.len() + 2);
        if self.torn {
            text.push('\n');
        }
        text.push_str(&entry);
        text.push('\n');
        let before = self.file.metadata().map(|m| m.len());
        match self.write(text.as_bytes()) {
            Ok(()) => {
                self.torn = false;
                self.lines += 1;
                Ok(())
            }
            Err(e) => {
                let cut = before.and_then(|len| {
                    self.file.set_len(len)?;
                    self.file.sync_data()
                });
                self.torn = self.torn || cut.is_err();
                Err(io_error(&self.path, "write")(e))
            }
        }
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        #[cfg(test)]
        if let Some(n) = self.fail_after.take() {
            self.file.write_all(&bytes[..n.min(bytes.len())])?;
            return Err(io::Error::other("injected failure"));
        }
        self.file.write_all(bytes)?;
        self.file.sync_data()
    }

    /// Replaces the whole file with the header and these entries, atomically.
    pub(crate) fn rewrite<L: Serialize>(
        &mut self,
        entries: impl IntoIterator<Item = L>,
    ) -> Result<(), JournalError> {
        let tmp = temp_path(&self.path);
        let result = (|| -> io::Result<File> {
            // A temporary file left by a crash may have been made with other
            // permissions: a fresh one is made private.
            match fs::remove_file(&tmp) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            let mut out = io::BufWriter::new(
                private(OpenOptions::new().write(true).create_new(true)).open(&tmp)?,
            );
            out.write_all(self.header.as_bytes())?;
            out.write_all(b"\n")?;
            for entry in entries {
                serde_json::to_writer(&mut out, &entry)?;
                out.write_all(b"\n")?;
            }
            let file = out.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            drop(file);
            fs::rename(&tmp, &self.path)?;
            // The rename itself is made durable by syncing the directory.
            if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                if let Ok(d) = File::open(dir) {
                    let _ = d.sync_all();
                }
            }
            OpenOptions::new().append(true).open(&self.path)
        })();
        match result {
            Ok(file) => {
                self.file = file;
                self.lines = 0;
                self.torn = false;
                Ok(())
            }
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                Err(io_error(&self.path, "rewrite")(e))
            }
        }
    }
}

/// The lock file next to a journal.
pub(crate) fn lock_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".lock");
    path.with_file_name(name)
}

/// Takes the journal's lock, which lasts as long as the returned file is open.
///
/// A second process on the same file would lose writes: each rewrite renames a
/// new file over the journal, and the other keeps appending to the one it
/// replaced. The lock is an exclusive `flock` on a file next to the journal
/// (the journal itself is replaced by rewrites); the system lets it go when
/// the process ends, however it ends, so a crash leaves no stale lock. The
/// file holds the process id, for the error the next opener gets.
fn lock(path: &Path) -> Result<File, JournalError> {
    let lock_path = lock_path(path);
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true);
    #[cfg(windows)]
    {
        // Windows has no flock; opening with no sharing does the same, and is
        // undone when the process ends.
        use std::os::windows::fs::OpenOptionsExt;
        options.share_mode(0);
    }
    let mut file = match private(&mut options).open(&lock_path) {
        Ok(file) => file,
        #[cfg(windows)]
        Err(e) if e.raw_os_error() == Some(32) => return Err(in_use(path, &lock_path)),
        Err(e) => {
            let doing = format!("create the lock file {}", lock_path.display());
            return Err(io_error(path, doing)(e));
        }
    };
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        // SAFETY: flock only reads the descriptor, which `file` keeps open.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::WouldBlock {
                return Err(in_use(path, &lock_path));
            }
            return Err(io_error(path, format!("lock {}", lock_path.display()))(e));
        }
    }
    // Only informative: a failure here does not make the lock any weaker.
    let _ = file
        .set_len(0)
        .and_then(|()| file.write_all(format!("{}\n", std::process::id()).as_bytes()));
    Ok(file)
}

/// The error for a journal another opener holds, naming it when it can.
fn in_use(path: &Path, lock_path: &Path) -> JournalError {
    let holder = fs::read_to_string(lock_path)
        .ok()
        .and_then(|text| text.trim().parse::<u32>().ok());
    let who = match holder {
        Some(pid) if pid == std::process::id() => "it is already open in this process".to_owned(),
        Some(pid) => format!("another process (pid {pid}) holds it"),
        None => "another process holds it".to_owned(),
    };
    JournalError::InUse {
        path: path.to_owned(),
        lock: lock_path.to_owned(),
        who,
    }
}

/// State files hold what notifications say (and the outbox, where deliveries
/// go): only their owner may read them.
fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Whether a journal has grown enough past its live state to be rewritten.
pub(crate) fn wants_compaction(appended: usize, live: usize) -> bool {
    appended > 1024 && appended > 2 * live
}

#[cfg(test)]
mod tests;
