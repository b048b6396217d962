//! `explain` and `run` refuse a `--server-url` holding a secret, and never
//! repeat it.
#![cfg(feature = "cli")]

use std::process::Command;

use notify_rules_test_kit::temp_dir_with;

const BIN: &str = env!("CARGO_BIN_EXE_notify-rules");

#[test]
fn a_server_url_with_credentials_is_refused_without_being_repeated() {
    let dir = temp_dir_with(&[
        ("r.rules", "target ops;\non any => send(ops, \"{link}\");\n"),
        (
            "p.json",
            r#"{"pipeline":{"name":"shop","counter":"3","build-cause":[],
          "stage":{"name":"deploy","counter":"1","state":"Failed","result":"Failed","jobs":[]}}}"#,
        ),
    ]);
    for command in ["explain", "run"] {
        for (url, says) in [
            ("https://ci:s3cret@gocd.example.com", "user or password"),
            ("https://gocd.example.com/?private_token=s3cret", "query"),
            ("https://gocd.example.com/#s3cret", "fragment"),
        ] {
            let out = Command::new(BIN)
                .args([command, "--server-url", url, "r.rules", "p.json"])
                .current_dir(dir.path())
                .output()
                .unwrap();
            let (stdout, stderr) = (
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
            assert_eq!(
                out.status.code(),
                Some(1),
                "{command} {url}: {stdout}{stderr}"
            );
            assert_eq!(stdout, "", "{command} {url}");
            assert!(
                stderr.starts_with("--server-url must") && stderr.contains(says),
                "{command} {url}: {stderr}"
            );
            assert!(!stderr.contains("s3cret"), "{command} {url}: {stderr}");
        }
    }
}
