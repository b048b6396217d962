//! `explain` and `run` refuse a `--server-url` holding a secret, and never
//! repeat it.
#![cfg(feature = "cli")]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_notify-rules");

#[test]
fn a_server_url_with_credentials_is_refused_without_being_repeated() {
    let dir = std::env::temp_dir().join(format!("notify-rules-secrets-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("r.rules"),
        "target ops;\non any => send(ops, \"{link}\");\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("p.json"),
        r#"{"pipeline":{"name":"shop","counter":"3","build-cause":[],
          "stage":{"name":"deploy","counter":"1","state":"Failed","result":"Failed","jobs":[]}}}"#,
    )
    .unwrap();
    for command in ["explain", "run"] {
        for (url, says) in [
            ("https://ci:s3cret@gocd.example.com", "user or password"),
            ("https://gocd.example.com/?private_token=s3cret", "query"),
            ("https://gocd.example.com/#s3cret", "fragment"),
        ] {
            let out = Command::new(BIN)
                .args([command, "--server-url", url, "r.rules", "p.json"])
                .current_dir(&dir)
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
    std::fs::remove_dir_all(&dir).unwrap();
}
