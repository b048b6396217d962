//! Temporary directories. A `TempDir` removes its directory when dropped, so
//! also when the test panics; keep it alive for as long as the test uses the
//! directory (a server started in it, a plugin's state files).

use tempfile::TempDir;

/// A new, empty directory under the system's temporary directory.
pub fn temp_dir() -> TempDir {
    tempfile::Builder::new()
        .prefix("notify-rules-test-")
        .tempdir()
        .expect("a temporary directory")
}

/// A new directory holding `files`, as `(name, text)`; a name may hold
/// directories (`cases/c.toml`), made as needed.
pub fn temp_dir_with(files: &[(&str, &str)]) -> TempDir {
    let dir = temp_dir();
    for (name, text) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("a directory in the temporary directory");
        }
        std::fs::write(path, text).expect("a file in the temporary directory");
    }
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temporary_directory_is_removed_also_when_the_test_panics() {
        let mut kept = None;
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let dir = temp_dir_with(&[("a.txt", "a")]);
            kept = Some(dir.path().to_owned());
            assert!(dir.path().join("a.txt").is_file());
            panic!("the test fails");
        }));
        assert!(panicked.is_err());
        let kept = kept.unwrap();
        assert!(!kept.exists(), "{} is left behind", kept.display());
    }
}
