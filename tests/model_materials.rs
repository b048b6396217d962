//! Each kind of material in `tests/payloads/`, read into its typed variant
//! with every field GoCD sends for it.

use notify_rules::model::*;
use notify_rules_test_kit::stage;

#[test]
fn materials_of_every_kind() {
    let fp = Some("9c1e5b7a2d4f6e8a0b1c3d5e7f9a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a");
    let cases = [
        (
            "own-git-credentials.json",
            "git",
            Some("https://git.example.com/shop/web.git?private_token=******"),
        ),
        (
            "own-mercurial.json",
            "mercurial",
            Some("ssh://hg.example.com//repos/tools"),
        ),
        (
            "own-svn.json",
            "svn",
            Some("svn://svn.example.com/erp/trunk"),
        ),
        (
            "own-perforce.json",
            "perforce",
            Some("ssl:perforce.example.com:1666"),
        ),
        (
            "own-tfs.json",
            "tfs",
            Some("https://tfs.example.com/tfs/DefaultCollection"),
        ),
        ("own-pipeline-material.json", "pipeline", None),
        (
            "own-package-material.json",
            "package",
            Some("https://apt.example.com/debian"),
        ),
        (
            "own-scm-material.json",
            "scm",
            Some("https://github.com/example/app"),
        ),
        (
            "own-unknown-material.json",
            "fossil",
            Some("https://fossil.example.com/repo"),
        ),
    ];
    for (file, kind, url) in cases {
        let s = stage(file);
        let m = &s.pipeline.build_cause[0].material;
        assert_eq!(m.kind(), kind, "{file}");
        assert_eq!(m.redacted_url().as_deref(), url, "{file}");
        assert_eq!(m.fingerprint(), fp, "{file}");
    }

    let git = stage("own-git-credentials.json");
    let m = &git.pipeline.build_cause[0].material;
    assert_eq!(m.branch(), Some("feature/checkout"));
    assert_eq!(
        m.url(),
        Some("https://deploy:******@git.example.com/shop/web.git?private_token=s3cr3t")
    );
    let debug = format!("{git:?}");
    assert!(
        !debug.contains("s3cr3t") && !debug.contains("deploy:"),
        "{debug}"
    );

    let Material::Svn(svn) = &stage("own-svn.json").pipeline.build_cause[0].material else {
        panic!()
    };
    assert_eq!(
        (svn.username.as_deref(), svn.check_externals),
        (None, Some(true))
    );
    let Material::Perforce(p4) = &stage("own-perforce.json").pipeline.build_cause[0].material
    else {
        panic!()
    };
    assert_eq!(
        p4.view.as_deref(),
        Some("//depot/assets/... //ws/assets/...")
    );
    assert_eq!(p4.use_tickets, Some(true));
    let Material::Tfs(tfs) = &stage("own-tfs.json").pipeline.build_cause[0].material else {
        panic!()
    };
    assert_eq!(
        (tfs.domain.as_deref(), tfs.project_path.as_deref()),
        (Some("CORP"), Some("$/Api/Main"))
    );
    let pipe = stage("own-pipeline-material.json");
    let Material::Pipeline(up) = &pipe.pipeline.build_cause[0].material else {
        panic!()
    };
    assert_eq!(
        (up.pipeline_name.as_deref(), up.stage_name.as_deref()),
        (Some("web-shop"), Some("build"))
    );
    assert_eq!(
        pipe.pipeline.build_cause[0].revision(),
        Some("web-shop/12/build/1")
    );
    let pkg = stage("own-package-material.json");
    let Material::Package(p) = &pkg.pipeline.build_cause[0].material else {
        panic!()
    };
    assert_eq!(p.plugin_id.as_deref(), Some("deb-repo-poller"));
    assert_eq!(p.package_configuration["VERSION_SPEC"], "1.4.*");
    assert_eq!(
        pkg.pipeline.build_cause[0].modifications[0].data["TRACKBACK_URL"],
        "https://ci.example.com/build/77"
    );
    let Material::Scm(scm) = &stage("own-scm-material.json").pipeline.build_cause[0].material
    else {
        panic!()
    };
    assert_eq!(scm.scm_configuration["defaultBranch"], "main");
    let Material::Other { raw, .. } =
        &stage("own-unknown-material.json").pipeline.build_cause[0].material
    else {
        panic!()
    };
    assert_eq!(raw["fossil-configuration"]["depth"], 3);
}
