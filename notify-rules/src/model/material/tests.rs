use serde_json::json;

use super::*;

fn parse(s: &str) -> Material {
    serde_json::from_str(s).unwrap()
}

fn round_trip(m: &Material) -> Material {
    serde_json::from_str(&serde_json::to_string(m).unwrap()).unwrap()
}

#[test]
fn reads_config_before_or_after_type() {
    let after = parse(
        r#"{"git-configuration":{"url":"https://h/r.git","branch":"main","shallow-clone":true},"fingerprint":"ab","type":"git"}"#,
    );
    let before = parse(
        r#"{"type":"git","fingerprint":"ab","git-configuration":{"shallow-clone":true,"branch":"main","url":"https://h/r.git"}}"#,
    );
    assert_eq!(after, before);
    let Material::Git(c) = &after else {
        panic!("not git: {after:?}")
    };
    assert_eq!(c.url.as_deref(), Some("https://h/r.git"));
    assert_eq!(c.branch.as_deref(), Some("main"));
    assert_eq!(c.shallow_clone, Some(true));
    assert_eq!(after.fingerprint(), Some("ab"));
    assert_eq!(round_trip(&after), after);
}

#[test]
fn every_known_kind() {
    let cases = [
        (
            r#"{"type":"mercurial","mercurial-configuration":{"url":"https://hg/x"}}"#,
            "mercurial",
            Some("https://hg/x"),
        ),
        (
            r#"{"type":"svn","svn-configuration":{"url":"https://svn/x","username":null,"check-externals":false}}"#,
            "svn",
            Some("https://svn/x"),
        ),
        (
            r#"{"type":"perforce","perforce-configuration":{"url":"p4:1666","username":"ci","view":"//a/...","use-tickets":true}}"#,
            "perforce",
            Some("p4:1666"),
        ),
        (
            r#"{"type":"tfs","tfs-configuration":{"url":"https://tfs/c","domain":"d","username":"u","project-path":"$/p"}}"#,
            "tfs",
            Some("https://tfs/c"),
        ),
        (
            r#"{"type":"pipeline","pipeline-configuration":{"pipeline-name":"up","stage-name":"s"}}"#,
            "pipeline",
            None,
        ),
        (
            r#"{"type":"package","plugin-id":"deb","repository-configuration":{"REPO_URL":"https://apt/x"},"package-configuration":{"PACKAGE_NAME":"a"}}"#,
            "package",
            Some("https://apt/x"),
        ),
        (
            r#"{"scm-configuration":{"url":"https://scm/x","n":3},"plugin-id":"github.pr","type":"scm"}"#,
            "scm",
            Some("https://scm/x"),
        ),
    ];
    for (body, kind, url) in cases {
        let m = parse(body);
        assert_eq!(m.kind(), kind, "{body}");
        assert_eq!(m.url(), url, "{body}");
        assert_eq!(m.branch(), None);
        assert_eq!(m.fingerprint(), None);
        assert_eq!(round_trip(&m), m, "{body}");
    }
}

#[test]
fn plugin_values_that_are_not_strings_are_kept_as_json_text() {
    let Material::Scm(c) = parse(r#"{"type":"scm","scm-configuration":{"n":3,"b":true,"z":null}}"#)
    else {
        panic!()
    };
    assert_eq!(c.scm_configuration["n"], "3");
    assert_eq!(c.scm_configuration["b"], "true");
    assert_eq!(c.scm_configuration["z"], "");
}

#[test]
fn unknown_type_is_kept_raw_and_written_back() {
    let body = json!({"type":"fossil","fingerprint":"ff","fossil-configuration":{"url":"https://f/x","x":[1,{"y":null}]}});
    let m: Material = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(
        m,
        Material::Other {
            kind: "fossil".into(),
            raw: body.clone()
        }
    );
    assert_eq!(m.kind(), "fossil");
    assert_eq!(m.fingerprint(), Some("ff"));
    assert_eq!(m.url(), Some("https://f/x"));
    assert_eq!(serde_json::to_value(&m).unwrap(), body);

    // Key order does not matter, even with entries under known names first.
    let late: Material = serde_json::from_str(
        r#"{"fossil-configuration":{"url":"u"},"git-configuration":{"url":"g","branch":null,"shallow-clone":null},"type":"fossil"}"#,
    )
    .unwrap();
    let expected = json!({"type":"fossil","fossil-configuration":{"url":"u"},"git-configuration":{"url":"g","branch":null,"shallow-clone":null}});
    assert_eq!(
        late,
        Material::Other {
            kind: "fossil".into(),
            raw: expected
        }
    );
    assert_eq!(round_trip(&late), late);
}

#[test]
fn extra_keys_of_a_known_type_are_ignored() {
    let m = parse(r#"{"extra":{"deep":[1]},"type":"git","git-configuration":null,"more":1}"#);
    assert_eq!(m, Material::Git(GitConfig::default()));
}

#[test]
fn refuses_what_is_wrong() {
    let err = |s: &str| serde_json::from_str::<Material>(s).unwrap_err().to_string();
    assert_eq!(
        err(r#"{"type":"git","type":"svn"}"#),
        "duplicate field `type` at line 1 column 20"
    );
    assert_eq!(
        err(r#"{"type":"git","git-configuration":{},"git-configuration":{}}"#),
        "duplicate field `git-configuration` at line 1 column 56"
    );
    assert_eq!(err(r#"{"type":3}"#), "invalid type: integer `3`, expected a material type string such as \"git\" at line 1 column 9");
    // A flag that is no flag is only unreadable (see `wire::lenient`).
    assert_eq!(
        serde_json::from_str::<Material>(
            r#"{"type":"git","git-configuration":{"shallow-clone":"yes"}}"#
        )
        .unwrap(),
        Material::Git(GitConfig::default())
    );
    assert_eq!(
        err("[]"),
        "invalid type: sequence, expected a material object with a `type` at line 1 column 0"
    );
}

#[test]
fn a_material_without_a_type_is_kept_and_written_back_without_one() {
    // GoCD 15's docs show `"material": {}`.
    let empty: Material = serde_json::from_str("{}").unwrap();
    assert_eq!(
        empty,
        Material::Other {
            kind: String::new(),
            raw: json!({})
        }
    );
    assert_eq!(empty.kind(), "");
    assert_eq!(empty.url(), None);
    assert_eq!(serde_json::to_string(&empty).unwrap(), "{}");
    let odd: Material = serde_json::from_str(r#"{"x-configuration":{"url":"u"}}"#).unwrap();
    assert_eq!(
        odd,
        Material::Other {
            kind: String::new(),
            raw: json!({"x-configuration": {"url": "u"}})
        }
    );
    let again: Material = serde_json::from_str(&serde_json::to_string(&odd).unwrap()).unwrap();
    assert_eq!(again, odd);
}

#[test]
fn serializing_a_non_object_raw_is_an_error() {
    let m = Material::Other {
        kind: "x".into(),
        raw: json!([1]),
    };
    assert_eq!(
        serde_json::to_string(&m).unwrap_err().to_string(),
        "the raw JSON of a material of type `x` must be an object, not an array"
    );
    let empty = Material::Other {
        kind: "x".into(),
        raw: Value::Null,
    };
    assert_eq!(serde_json::to_string(&empty).unwrap(), r#"{"type":"x"}"#);
}

#[test]
fn debug_output_hides_credentials() {
    let ms = [
        parse(
            r#"{"type":"git","git-configuration":{"url":"https://bob:hunter2@h/r.git?private_token=tok123"}}"#,
        ),
        parse(r#"{"type":"svn","svn-configuration":{"url":"https://bob:hunter2@svn/x"}}"#),
        parse(
            r#"{"type":"mercurial","mercurial-configuration":{"url":"https://bob:hunter2@hg/x"}}"#,
        ),
        parse(r#"{"type":"tfs","tfs-configuration":{"url":"https://bob:hunter2@tfs/x"}}"#),
        parse(r#"{"type":"perforce","perforce-configuration":{"url":"bob:hunter2@p4:1666"}}"#),
        parse(
            r#"{"type":"package","repository-configuration":{"REPO_URL":"https://bob:hunter2@apt/x"}}"#,
        ),
        parse(
            r#"{"type":"scm","scm-configuration":{"url":"https://bob:hunter2@scm/x?token=tok123"}}"#,
        ),
        parse(r#"{"type":"fossil","c":{"url":"https://bob:hunter2@f/x"}}"#),
    ];
    for m in &ms {
        let debug = format!("{m:?} {m:#?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("bob") && !debug.contains("tok123"),
            "{debug}"
        );
    }
    assert_eq!(
        ms[0].redacted_url().as_deref(),
        Some("https://h/r.git?private_token=******")
    );
    assert_eq!(
        ms[0].url(),
        Some("https://bob:hunter2@h/r.git?private_token=tok123")
    );
}

#[test]
fn debug_shows_every_field_with_urls_and_settings_redacted() {
    let git = GitConfig {
        fingerprint: Some("f".into()),
        url: Some("https://ci:s3cret@git.example.org/r.git".into()),
        branch: Some("main".into()),
        shallow_clone: Some(true),
    };
    assert_eq!(
        format!("{git:?}"),
        r#"GitConfig { fingerprint: Some("f"), url: Some("https://git.example.org/r.git"), branch: Some("main"), shallow_clone: Some(true) }"#
    );
    let scm = Material::Scm(ScmConfig {
        fingerprint: None,
        plugin_id: Some("github.pr".into()),
        scm_configuration: [(
            "url".to_owned(),
            "https://bot:s3cret@github.com/o/r".to_owned(),
        )]
        .into_iter()
        .collect(),
    });
    let shown = format!("{scm:?}");
    assert!(shown.starts_with(r#"Scm(ScmConfig { fingerprint: None, plugin_id: Some("github.pr"), scm_configuration: {"url": "#), "{shown}");
    assert!(
        !shown.contains("s3cret") && !shown.contains("bot"),
        "{shown}"
    );
}
