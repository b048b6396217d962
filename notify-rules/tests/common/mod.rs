//! What the tests that start `notify-rules serve` share.

use std::io::BufRead;

/// Reads the server's log until it says where it listens; returns that address
/// and the log read so far. Fails the test if the server ends first.
pub fn wait_for_listening(stderr: &mut impl BufRead) -> (String, String) {
    let mut log = String::new();
    loop {
        let mut line = String::new();
        assert_ne!(
            stderr.read_line(&mut line).unwrap(),
            0,
            "the server ended before listening: {log}"
        );
        log.push_str(&line);
        if let Some(at) = line.find("addr=") {
            return (line[at + 5..].trim().to_owned(), log);
        }
    }
}
