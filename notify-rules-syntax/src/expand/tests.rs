use proc_macro2::TokenStream;
use quote::quote;

use super::{rules, rules_file};

/// The expansion as text with whitespace squeezed, for `contains` checks.
fn text(ts: &TokenStream) -> String {
    ts.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn assert_is_expr(ts: &TokenStream) {
    if let Err(e) = syn::parse2::<syn::Expr>(ts.clone()) {
        panic!("expansion is not an expression: {e}\n{ts}");
    }
}

#[test]
fn a_small_rule_set_becomes_one_if_per_rule() {
    let out = rules(quote! {
        target ops, audit;
        on stage "deploy" state Failed => send(ops, "Deploy of {pipeline.name} failed");
        on pipeline regex("sandbox-.*") => stop;
        on not state Passed | Building => send(audit);
    });
    assert_is_expr(&out);
    let t = text(&out);
    assert!(t.contains(r#"targets : & ["ops" , "audit"]"#), "{t}");
    assert!(t.contains(r#"if :: notify_rules :: __private :: eq_ci (__st . name . as_str () , "deploy") && match __st . state { :: notify_rules :: __private :: StageState :: Failed => true , _ => false }"#), "{t}");
    assert!(t.contains(r#"__t . push_str ("Deploy of ") ;"#), "{t}");
    assert!(
        t.contains(":: notify_rules :: __private :: Field :: PipelineName"),
        "{t}"
    );
    assert!(
        t.contains(r#"__ev . send (0u32 , 0u32 , "ops" , __t) ;"#),
        "{t}"
    );
    assert!(t.contains(r#"regex ("sandbox-.*" , true)"#), "{t}");
    assert!(
        t.contains("regex_match (& __RE0 , __p . name . as_str ()) { return ; }"),
        "{t}"
    );
    assert!(
        t.contains(
            ":: StageState :: Passed | :: notify_rules :: __private :: StageState :: Building"
        ),
        "{t}"
    );
    assert!(t.contains("if ! (match __st . state"), "{t}");
    assert!(!t.contains("__INDEX"), "small sets are not indexed: {t}");
}

#[test]
fn globs_of_common_shapes_become_string_tests() {
    let t = text(&rules(quote! {
        target t;
        on pipeline "api-*" | "*-prod" | "*core*" | "a?c" | "x*y*z" => send(t, "x");
    }));
    assert!(
        t.contains(r#"starts_with (__p . name . as_str () , "api-" , true)"#),
        "{t}"
    );
    assert!(
        t.contains(r#"ends_with (__p . name . as_str () , "-prod" , true)"#),
        "{t}"
    );
    assert!(
        t.contains(r#"contains (__p . name . as_str () , "core" , true)"#),
        "{t}"
    );
    assert!(
        t.contains(r#"glob (__p . name . as_str () , "a?c" , true)"#),
        "{t}"
    );
    assert!(
        t.contains(r#"glob (__p . name . as_str () , "x*y*z" , true)"#),
        "{t}"
    );
    // A message of text alone is a constant: nothing to render or allocate.
    assert!(
        t.contains(r#"__ev . send_static (0u32 , 0u32 , "t" , "x") ;"#),
        "{t}"
    );
}

#[test]
fn case_sensitive_fields_compare_exactly_and_nulls_match_nothing() {
    let t = text(&rules(quote! {
        target t;
        on label "1.0" branch "main" approved_by "maria" group "web" => send(t);
    }));
    assert!(
        t.contains(r#"opt_match (__p . label . as_deref () , | __v : & str | (__v == "1.0"))"#),
        "{t}"
    );
    assert!(
        t.contains(r#"any_branch (__s , | __v : & str | (__v == "main"))"#),
        "{t}"
    );
    assert!(
        t.contains(
            r#"opt_match (__st . approved_by . as_deref () , | __v : & str | (__v == "maria"))"#
        ),
        "{t}"
    );
    assert!(t.contains(r#"opt_match (__p . group . as_deref () , | __v : & str | :: notify_rules :: __private :: eq_ci (__v , "web"))"#), "{t}");
}

#[test]
fn jobs_transitions_and_guards() {
    let out = rules(quote! {
        target t;
        on job "unit-*" Failed | Cancelled broken if is_release => send(t, "{transition} {link}");
    });
    assert_is_expr(&out);
    let t = text(&out);
    assert!(
        t.contains("any_job (__s , | __j : & :: notify_rules :: __private :: Job |"),
        "{t}"
    );
    assert!(t.contains("&& match __j . result { :: notify_rules :: __private :: JobResult :: Failed | :: notify_rules :: __private :: JobResult :: Cancelled => true"), "{t}");
    assert!(
        t.contains("Some (:: notify_rules :: __private :: Transition :: Broken) => true"),
        "{t}"
    );
    assert!(t.contains("let __guards : [fn (& :: notify_rules :: __private :: StageStatus) -> bool ; 1usize] = [is_release]"), "{t}");
    assert!(t.contains("(__guards [0usize]) (__s)"), "{t}");
    assert!(t.contains("uses_link : true"), "{t}");
}

#[test]
fn large_rule_sets_are_indexed_by_exact_pipeline_name() {
    let mut src = String::from("target t;\n");
    for i in 0..40 {
        src.push_str(&format!("on pipeline \"P{i}\" state Failed => send(t);\n"));
    }
    src.push_str("on state Cancelled => send(t);\n");
    let ts: TokenStream = src.parse().unwrap();
    let out = rules(ts);
    assert_is_expr(&out);
    let t = text(&out);
    // A hash table, at most half full, of the lower-cased names.
    assert!(
        t.contains(r#"static __INDEX : & [(& str , & [u32])] = & [("" , & [])"#),
        "{t}"
    );
    assert!(
        t.contains(r#"("p0" , & [0u32])"#) && t.contains(r#"("p39" , & [39u32])"#),
        "{t}"
    );
    // The default message, used by every rule, is rendered once per notification.
    assert!(
        t.contains("if ! __ev . reuse (40u32 , 0u32 , \"t\" , 0u32)"),
        "{t}"
    );
    assert!(t.contains("static __UNKEYED : & [u32] = & [40u32]"), "{t}");
    assert!(t.contains("merge_ids (__UNKEYED , __keyed"), "{t}");
    assert!(t.contains("fn __r40 (__ev : & mut :: notify_rules :: __private :: Eval < '_ > , __guards : & [__Guard]) -> bool"), "{t}");
    assert!(t.contains("static __RULES : & [fn (& mut :: notify_rules :: __private :: Eval < '_ > , & [__Guard]) -> bool] = & [__r0 , __r1 ,"), "{t}");
    assert!(
        t.contains("__RULES [__id as usize] (__ev , & __guards)"),
        "{t}"
    );
}

#[test]
fn errors_come_with_a_placeholder_rule_set() {
    let out = rules(quote! {
        target ops;
        on state Faild => send(ops);
        on stgae "x" => send(opps);
    });
    assert_is_expr(&out);
    let t = text(&out);
    assert!(t.contains("compile_error"), "{t}");
    assert!(t.contains("Faild"), "{t}");
    assert!(t.contains("stgae"), "{t}");
    assert!(t.contains("RuleSet :: __placeholder ()"), "{t}");
}

#[test]
fn rule_files_must_be_relative_and_exist() {
    let t = text(&rules_file(quote!("/etc/team.rules")));
    assert!(t.contains("not the absolute path `/etc/team.rules`"), "{t}");
    assert!(t.contains("__placeholder"), "{t}");

    let t = text(&rules_file(quote!("no/such/file.rules")));
    assert!(
        t.contains("rule file `no/such/file.rules` does not exist"),
        "{t}"
    );

    let t = text(&rules_file(quote!(42)));
    assert!(t.contains("rules_file! takes one string literal"), "{t}");
}

#[test]
fn rule_file_errors_point_into_the_file_and_track_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.rules"),
        "target ops;\non state Faild => send(ops);\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("good.rules"),
        "target ops;\non state Failed => send(ops);\n",
    )
    .unwrap();
    // Cargo sets this for the macro's caller; the test plays the caller.
    std::env::set_var("CARGO_MANIFEST_DIR", dir.path());
    let bad = text(&rules_file(quote!("bad.rules")));
    let good = rules_file(quote!("good.rules"));
    drop(dir);

    assert!(bad.contains("bad.rules:2:10"), "{bad}");
    assert!(bad.contains("include_bytes"), "{bad}");
    assert_is_expr(&good);
    let good = text(&good);
    assert!(good.contains("include_bytes"), "{good}");
    assert!(!good.contains("compile_error"), "{good}");
}

#[test]
fn time_forms_add_a_table_and_rules_without_them_nothing() {
    let plain = text(&rules(quote! {
        target ops;
        on state Failed => send(ops, "{pipeline.name} failed");
    }));
    for word in ["__TIME", "__with_time", "remind", "TimeMeta"] {
        assert!(!plain.contains(word), "{word} in {plain}");
    }
    let timed = rules(quote! {
        target ops;
        window office = "Mon-Fri 08:00-18:00" in "europe/berlin";
        on state Failed => send(ops, "{suppressed} more"), remind(ops, 4h) every 30m during office;
    });
    assert_is_expr(&timed);
    let t = text(&timed);
    assert!(
        t.contains(
            r#"name : "office" , parts : & [(31u8 , 480u16 , 1080u16)] , zone : "Europe/Berlin""#
        ),
        "{t}"
    );
    assert!(t.contains("__ev . remind (0u32 , 0u32) ;"), "{t}");
    assert!(
        t.contains("every : 1800u64 , during : :: notify_rules :: __private :: Some (0u32)"),
        "{t}"
    );
    assert!(
        t.contains(r#"suppressed : & [(0u32 , "{suppressed} more")]"#),
        "{t}"
    );
    assert!(t.contains(". __with_time (& __TIME)"), "{t}");
}
