use super::*;

/// A new directory, removed when dropped (also when a test panics).
fn dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn appends_survive_reopening_and_rewrites_replace() {
    let d = dir();
    let path = d.path().join("j");
    let (mut j, lines) = Journal::open::<u32>(&path, "test").unwrap();
    assert!(lines.is_empty());
    j.rewrite::<u32>([]).unwrap();
    j.append(&1u32).unwrap();
    j.append(&2u32).unwrap();
    assert_eq!(j.appended(), 2);
    drop(j);
    let (mut j, lines) = Journal::open::<u32>(&path, "test").unwrap();
    assert_eq!(lines, [1, 2]);
    j.rewrite([7u32]).unwrap();
    j.append(&8u32).unwrap();
    drop(j);
    let (_, lines) = Journal::open::<u32>(&path, "test").unwrap();
    assert_eq!(lines, [7, 8]);
}

#[test]
fn a_torn_last_line_is_dropped_and_a_bad_line_is_an_error() {
    let d = dir();
    let path = d.path().join("j");
    let header = r#"{"notify-rules":"test","version":1}"#;
    fs::write(&path, format!("{header}\n1\n2\n{{\"x")).unwrap();
    let (_, lines) = Journal::open::<u32>(&path, "test").unwrap();
    assert_eq!(lines, [1, 2]);
    fs::write(&path, format!("{header}\n1\nnope\n2\n")).unwrap();
    let e = Journal::open::<u32>(&path, "test").err().unwrap();
    assert!(matches!(e, JournalError::Entry { line: 3, .. }), "{e}");
    assert!(e.to_string().contains(":3: unreadable entry"), "{e}");
    assert!(
        std::error::Error::source(&e).is_some(),
        "the JSON error is its source"
    );
    let e = Journal::open::<u32>(&path, "other")
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains(":1: not a notify-rules other file"), "{e}");
}

#[test]
fn a_failed_append_leaves_no_fragment_in_the_way() {
    let d = dir();
    let path = d.path().join("j");
    let (mut j, _) = Journal::open::<String>(&path, "test").unwrap();
    j.rewrite::<String>([]).unwrap();
    j.append(&"one".to_owned()).unwrap();
    j.fail_after = Some(4);
    assert!(j.append(&"two, cut short".to_owned()).is_err());
    j.append(&"three".to_owned()).unwrap();
    drop(j);
    let (_, lines) = Journal::open::<String>(&path, "test").unwrap();
    assert_eq!(lines, ["one", "three"]);
}

#[test]
fn a_fragment_that_could_not_be_cut_off_is_skipped() {
    let d = dir();
    let path = d.path().join("j");
    let header = r#"{"notify-rules":"test","version":1}"#;
    // What an append leaves when the cut fails too: the fragment, then the
    // next entry on a line of its own.
    fs::write(&path, format!("{header}\n\"one\"\n\"tw\n\"three\"\n")).unwrap();
    let (_, lines) = Journal::open::<String>(&path, "test").unwrap();
    assert_eq!(lines, ["one", "three"]);
}

#[cfg(unix)]
#[test]
fn files_are_made_private() {
    use std::os::unix::fs::PermissionsExt;
    let d = dir();
    let path = d.path().join("j");
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let (mut j, _) = Journal::open::<u32>(&path, "test").unwrap();
    assert_eq!(mode(&path), 0o600, "a new journal");
    // A world-readable file from before, and a temporary file a crash left:
    // the rewrite replaces both with private ones.
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    fs::write(temp_path(&path), "left over").unwrap();
    fs::set_permissions(temp_path(&path), fs::Permissions::from_mode(0o644)).unwrap();
    j.rewrite([1u32]).unwrap();
    assert_eq!(mode(&path), 0o600, "a rewritten journal");
    j.append(&2u32).unwrap();
    drop(j);
    let (_, lines) = Journal::open::<u32>(&path, "test").unwrap();
    assert_eq!(lines, [1, 2]);
}

#[test]
fn a_second_opener_is_refused_until_the_first_closes() {
    let d = dir();
    let path = d.path().join("j");
    let (mut first, _) = Journal::open::<u32>(&path, "test").unwrap();
    first.rewrite::<u32>([]).unwrap();
    first.append(&1u32).unwrap();
    let e = Journal::open::<u32>(&path, "test")
        .err()
        .unwrap()
        .to_string();
    assert!(e.starts_with(&path.display().to_string()), "{e}");
    assert!(
        e.contains("in use") && e.contains("already open in this process"),
        "{e}"
    );
    // The refused opener changed nothing.
    first.append(&2u32).unwrap();
    drop(first);
    let (_, lines) = Journal::open::<u32>(&path, "test").unwrap();
    assert_eq!(lines, [1, 2]);
}

#[test]
fn a_lock_file_left_by_a_crash_does_not_block() {
    let d = dir();
    let path = d.path().join("j");
    // What a process that died leaves: the file, with its pid, unlocked.
    fs::write(lock_path(&path), "999999999\n").unwrap();
    let (mut j, _) = Journal::open::<u32>(&path, "test").unwrap();
    j.append(&1u32).unwrap();
    assert_eq!(
        fs::read_to_string(lock_path(&path)).unwrap().trim(),
        std::process::id().to_string()
    );
}

#[test]
fn compaction_waits_for_real_growth() {
    assert!(!wants_compaction(100, 10));
    assert!(!wants_compaction(3000, 2000));
    assert!(wants_compaction(3000, 1000));
}
