//! Token input (`rules! { ... }`): the same language from a token stream, with
//! `if` guards, and errors at the tokens' spans.
#![cfg(feature = "codegen")]

use notify_rules_syntax::ast::{
    Action, Condition, Field, PatternKind, Piece, ResultName, StateName,
};
use notify_rules_syntax::{parse_tokens, Errors};
use proc_macro2::TokenStream;
use quote::quote;

/// Each error as (line, column from 1, message), from a source text parsed
/// into tokens so that spans have places.
fn errors_at(src: &str) -> Vec<(usize, usize, String)> {
    let ts: TokenStream = src.parse().expect("Rust tokens");
    let errors = parse_tokens(ts).expect_err(src);
    errors
        .iter()
        .map(|e| {
            let start = e.loc.token_span().expect("token errors have spans").start();
            (start.line, start.column + 1, e.message.clone())
        })
        .collect()
}

fn messages(errors: &Errors) -> Vec<&str> {
    errors.iter().map(|e| e.message.as_str()).collect()
}

#[test]
fn the_whole_grammar_from_tokens() {
    let rules = parse_tokens(quote! {
        /// Doc comments are comments.
        target ops, audit;
        on stage "deploy" state Failed => send(ops, "Deploy of {pipeline.name} failed");
        on pipeline "api-*" | regex("x.*") not group "g" label r"1\.0" branch "main" approved_by "m"
           job "unit-*" Failed | Cancelled broken => send(audit), stop;
        on result Passed fixed => send(ops);
        on any => stop;
    })
    .unwrap();
    assert_eq!(rules.targets.len(), 2);
    assert_eq!(rules.rules.len(), 4);
    let r = &rules.rules[0];
    assert!(matches!(&r.clauses[1].condition, Condition::State(s) if s == &[StateName::Failed]));
    let Action::Send {
        template: Some(t), ..
    } = &r.actions[0]
    else {
        panic!("{r:?}")
    };
    assert_eq!(
        t.pieces,
        [
            Piece::Text("Deploy of ".into()),
            Piece::Field(Field::PipelineName),
            Piece::Text(" failed".into())
        ]
    );
    let r = &rules.rules[1];
    // Written back clause by clause, the rule is what was given.
    let written: Vec<String> = r.clauses.iter().map(ToString::to_string).collect();
    assert_eq!(
        written.join(" "),
        r#"pipeline "api-*" | regex("x.*") not group "g" label "1\\.0" branch "main" approved_by "m" job "unit-*" Failed | Cancelled broken"#
    );
    let Condition::Pipeline(p) = &r.clauses[0].condition else {
        panic!()
    };
    assert_eq!(
        (p[0].kind, p[1].kind),
        (PatternKind::Glob, PatternKind::Regex)
    );
    assert!(r.clauses[1].negated);
    let Condition::Label(l) = &r.clauses[2].condition else {
        panic!()
    };
    assert_eq!(l[0].text, "1\\.0");
    assert!(
        matches!(&r.clauses[5].condition, Condition::Job(_, res) if res == &[ResultName::Failed, ResultName::Cancelled])
    );
    assert!(r.stops());
}

#[test]
fn guards_are_paths_or_closures() {
    let rules = parse_tokens(quote! {
        target t;
        on if is_release stage "x" => send(t);
        on stage "y" if |s| s.pipeline.counter > 3 => send(t);
        on not if checks::nightly => stop;
    })
    .unwrap();
    let Condition::Guard(g) = &rules.rules[0].clauses[0].condition else {
        panic!()
    };
    assert_eq!(g.to_string(), "is_release");
    assert!(matches!(
        rules.rules[0].clauses[1].condition,
        Condition::Stage(_)
    ));
    let Condition::Guard(g) = &rules.rules[1].clauses[1].condition else {
        panic!()
    };
    assert_eq!(g.to_string(), "| s | s . pipeline . counter > 3");
    assert!(rules.rules[2].clauses[0].negated);
    let Condition::Guard(g) = &rules.rules[2].clauses[0].condition else {
        panic!()
    };
    assert_eq!(g.to_string(), "checks :: nightly");
}

#[test]
fn errors_are_at_their_tokens() {
    let src =
        "target ops;\non stage \"deploy\" state Faild => send(ops);\non stgae \"x\" => send(opps);";
    assert_eq!(
        errors_at(src),
        [
            (2, 25, "unknown state `Faild`".to_string()),
            (3, 4, "unknown clause `stgae`".to_string()),
            (3, 22, "`send` to undeclared target `opps`".to_string()),
        ]
    );
}

#[test]
fn every_error_class_from_tokens() {
    let cases: &[(&str, &str)] = &[
        ("on state Faild => stop;", "unknown state `Faild`"),
        ("on result Pased => stop;", "unknown result `Pased`"),
        ("on aproved_by \"m\" => stop;", "unknown clause `aproved_by`"),
        ("on any => sned(x);", "unknown action `sned`"),
        ("target t; on any send(t);", "missing `=>` between the clauses and the actions"),
        ("target t; on any => send(t) on any => stop;", "missing `;` after the rule"),
        ("on any => send();", "empty `send()`"),
        ("target t; on any => send(t, \"a\", \"b\");", "unexpected extra argument to `send`"),
        ("on any => send(\"t\");", "expected a target name, found a string literal"),
        ("on pipeline regex(\"(\") => stop;", "invalid regular expression: unclosed group"),
        ("target t; on any => send(t, \"{pipline.name}\");", "unknown placeholder `{pipline.name}`"),
        ("target t; on any => send(t, \"{link\");", "unclosed `{` in the message template"),
        ("target t; on any => send(t, \"}\");", "unmatched `}` in the message template"),
        ("target t; on any => send(u);", "`send` to undeclared target `u`"),
        ("target t, t;", "target `t` is declared twice"),
        ("on stage \"a\" stage \"b\" => stop;", "`stage` is given twice in one rule"),
        ("on if a if b => stop;", "`if` is given twice in one rule"),
        (
            "on state Building broken => stop;",
            "this rule can never match: `broken` needs a stage run that completed `Failed`, which `state Building` rules out",
        ),
        ("on => stop;", "rule has no clause"),
        ("on stage => stop;", "expected a pattern after `stage`, found `=>`"),
        ("on if => stop;", "expected a Rust expression after `if`: the guard is missing"),
        ("on stage b\"x\" => stop;", "expected a string literal, found a byte string literal"),
        ("on stage 'x' => stop;", "expected a string literal, found a character literal"),
        ("on stage 42 => stop;", "expected a string literal, found the number `42`"),
        ("on stage \"x\"y => stop;", "expected a string literal, found a string literal with the suffix `y`"),
        ("on { any } => stop;", "unexpected `{...}`"),
    ];
    for (src, want) in cases {
        let ts: TokenStream = src.parse().unwrap();
        let errors = parse_tokens(ts).expect_err(src);
        assert_eq!(messages(&errors), [*want], "{src}");
    }
}

#[test]
fn the_syn_error_carries_every_error_and_its_help() {
    let errors = parse_tokens(quote! {
        target ops;
        on state Faild => send(ops);
        on stgae "x" => send(opps);
    })
    .unwrap_err();
    let texts: Vec<String> = errors
        .to_syn_error()
        .into_iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        texts,
        [
            "unknown state `Faild`\n  = help: did you mean `Failed`?",
            "unknown clause `stgae`\n  = help: did you mean `stage`?",
            "`send` to undeclared target `opps`\n  = help: did you mean `ops`?",
        ]
    );
    let compiled = errors.to_syn_error().to_compile_error().to_string();
    assert_eq!(compiled.matches("compile_error").count(), 3, "{compiled}");
}

#[test]
fn an_if_guard_error_in_text_is_not_one_in_tokens() {
    let src = "target t; on if is_release => send(t);";
    assert!(notify_rules_syntax::parse_str(src).is_err());
    assert!(parse_tokens(src.parse().unwrap()).is_ok());
}

#[test]
fn durations_are_integer_literals_with_a_suffix() {
    let rules = parse_tokens(quote! {
        target ops;
        window office = "daily 08:00-18:00" in "UTC";
        on broken => send(ops), remind(ops, 2d, "{since}") every 30s during office;
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let rule = &rules.rules[0];
    assert_eq!(rule.timing.every.map(|d| d.secs), Some(30));
    assert!(matches!(&rule.actions[1], Action::Remind { after, .. } if after.secs == 2 * 86_400));
    let errors = parse_tokens(quote! { target ops; on broken => remind(ops, 0x10s); }).unwrap_err();
    assert_eq!(
        messages(&errors),
        ["unknown unit `x10s` in the duration `0x10s`"]
    );
}
