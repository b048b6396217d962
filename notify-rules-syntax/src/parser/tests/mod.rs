//! Text input: what parses to what, and every error with its place.
//! The error classes one by one are in `errors`.

mod errors;
mod time;

use crate::ast::{Action, Condition, Field, PatternKind, Piece, ResultName, Rules, StateName};
use crate::{line_col, parse_str};

const TASTE: &str = r#"// Where messages go. Each target is bound to a notifier when the program starts.
target ops, releases, audit;

// A deploy that fails tells ops, whatever pipeline it belongs to.
on stage "deploy" state Failed => send(ops, "Deploy failed: {pipeline.name} #{pipeline.counter}");

// Only the moments a test stage goes red or back to green.
on pipeline "api-*" stage "test" broken => send(ops, "{pipeline.name} broke: {jobs.failed}");
on pipeline "api-*" stage "test" fixed => send(ops, "{pipeline.name} is green again");

// Release pipelines built from main: every finished stage.
on group "release" branch "main" state Passed | Failed => send(releases);

// Noise nobody wants: later rules never see it.
on pipeline regex("sandbox-.*") => stop;

// Whatever else failed goes to the audit channel.
on state Failed | Cancelled => send(audit);
"#;

fn ok(src: &str) -> Rules {
    match parse_str(src) {
        Ok(rules) => rules,
        Err(e) => panic!("{e}"),
    }
}

/// Every error as (line, column, message).
fn errs(src: &str) -> Vec<(usize, usize, String)> {
    match parse_str(src) {
        Ok(_) => panic!("no error in {src:?}"),
        Err(errors) => errors
            .iter()
            .map(|e| {
                let (l, c) = line_col(src, e.loc.start);
                (l, c, e.message.clone())
            })
            .collect(),
    }
}

/// The only error's (line, column, message, help).
fn one(src: &str) -> (usize, usize, String, String) {
    let errors = parse_str(src).expect_err(src);
    assert_eq!(errors.len(), 1, "{errors}");
    let e = errors.iter().next().unwrap();
    let (l, c) = line_col(src, e.loc.start);
    (l, c, e.message.clone(), e.help.clone().unwrap_or_default())
}

#[test]
fn the_taste_example_parses() {
    let rules = ok(TASTE);
    let targets: Vec<&str> = rules.targets.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(targets, ["ops", "releases", "audit"]);
    assert_eq!(rules.rules.len(), 6);

    let r = &rules.rules[0];
    assert_eq!(line_col(TASTE, r.loc.start), (5, 1));
    let Condition::Stage(p) = &r.clauses[0].condition else {
        panic!("{r:?}")
    };
    assert_eq!(
        (p[0].kind, p[0].text.as_str()),
        (PatternKind::Exact, "deploy")
    );
    assert!(matches!(&r.clauses[1].condition, Condition::State(s) if s == &[StateName::Failed]));
    let Action::Send {
        target,
        template: Some(t),
    } = &r.actions[0]
    else {
        panic!("{r:?}")
    };
    assert_eq!(target.name, "ops");
    assert_eq!(
        t.pieces,
        [
            Piece::Text("Deploy failed: ".into()),
            Piece::Field(Field::PipelineName),
            Piece::Text(" #".into()),
            Piece::Field(Field::PipelineCounter),
        ]
    );

    let r = &rules.rules[1];
    assert!(
        matches!(&r.clauses[0].condition, Condition::Pipeline(p) if p[0].kind == PatternKind::Glob)
    );
    assert!(matches!(r.clauses[2].condition, Condition::Broken));
    assert!(matches!(
        rules.rules[2].clauses[2].condition,
        Condition::Fixed
    ));

    let r = &rules.rules[3];
    assert!(
        matches!(&r.clauses[2].condition, Condition::State(s) if s == &[StateName::Passed, StateName::Failed])
    );
    assert!(matches!(&r.actions[0], Action::Send { template: None, .. }));

    let r = &rules.rules[4];
    assert!(
        matches!(&r.clauses[0].condition, Condition::Pipeline(p) if p[0].kind == PatternKind::Regex && p[0].text == "sandbox-.*")
    );
    assert!(r.stops());
}

#[test]
fn the_whole_grammar_parses() {
    let src = r##"
        /* targets /* nested */ */ target a; target b, c;
        on pipeline "p" | "q?" | regex("r.*") group "g" stage "s*" label "1.*" branch "main"
           approved_by "maria" result Passed | Failed | Cancelled | Unknown
           => send(a), send(b, r#"{{literal}} "quoted" {stage.duration}"#), stop;
        on not stage "x" not state Building | Failing | Unknown job "unit-*" Failed | Cancelled still_failing
           => send(c, "{link}\n{transition}");
        on any => stop;
        on not any_pipeline_is_fine_as_a_target_name => send(a);
    "##;
    let errors = parse_str(src).unwrap_err();
    // The last rule is there to show an unknown clause does not stop the others.
    assert_eq!(errors.len(), 1, "{errors}");
    let rules = ok(&src[..src.find("on not any_").unwrap()]);
    assert_eq!(rules.targets.len(), 3);
    assert_eq!(rules.rules.len(), 3);

    let r = &rules.rules[0];
    let words: Vec<&str> = r
        .clauses
        .iter()
        .map(|c| c.condition.kind().word())
        .collect();
    assert_eq!(
        words.join(" "),
        "pipeline group stage label branch approved_by result"
    );
    let Condition::Pipeline(p) = &r.clauses[0].condition else {
        panic!()
    };
    let p: Vec<_> = p.iter().map(|p| (p.kind, p.text.as_str())).collect();
    assert_eq!(
        p,
        [
            (PatternKind::Exact, "p"),
            (PatternKind::Glob, "q?"),
            (PatternKind::Regex, "r.*")
        ]
    );
    assert!(matches!(&r.clauses[6].condition, Condition::Result(v) if v.len() == 4));
    assert_eq!(r.actions.len(), 3);
    let Action::Send {
        template: Some(t), ..
    } = &r.actions[1]
    else {
        panic!()
    };
    assert_eq!(
        t.pieces,
        [
            Piece::Text("{literal} \"quoted\" ".into()),
            Piece::Field(Field::StageDuration)
        ]
    );

    let r = &rules.rules[1];
    assert!(r.clauses[0].negated && r.clauses[1].negated && !r.clauses[2].negated);
    assert!(
        matches!(&r.clauses[2].condition, Condition::Job(p, res) if p[0].text == "unit-*" && res == &[ResultName::Failed, ResultName::Cancelled])
    );
    assert!(matches!(r.clauses[3].condition, Condition::StillFailing));
    let Action::Send {
        template: Some(t), ..
    } = &r.actions[0]
    else {
        panic!()
    };
    assert_eq!(
        t.pieces,
        [
            Piece::Field(Field::Link),
            Piece::Text("\n".into()),
            Piece::Field(Field::Transition)
        ]
    );

    assert!(matches!(
        rules.rules[2].clauses[0].condition,
        Condition::Any
    ));
}

#[test]
fn a_job_clause_without_results_and_an_empty_text() {
    let rules = ok("target t; on job \"lint\" state Failed => send(t);");
    assert!(matches!(&rules.rules[0].clauses[0].condition, Condition::Job(_, r) if r.is_empty()));
    assert!(matches!(
        &rules.rules[0].clauses[1].condition,
        Condition::State(_)
    ));
    let rules = ok("  // nothing\n");
    assert!(rules.rules.is_empty() && rules.targets.is_empty());
    // Targets may be declared after their use.
    ok("on any => send(t); target t;");
}

#[test]
fn many_errors_at_once_in_source_order() {
    let src = "target ops;\n\
               on stgae \"deploy\" state Faild => send(ops);\n\
               on stage \"x\" => sned(ops)\n\
               on state Building broken => send(opz, \"{pipline.name}\");\n\
               on pipeline regex(\"(\") stage \"a\" stage \"b\" => send();\n";
    let got = errs(src);
    let want: Vec<(usize, usize, &str)> = vec![
        (2, 4, "unknown clause `stgae`"),
        (2, 25, "unknown state `Faild`"),
        (3, 17, "unknown action `sned`"),
        (3, 26, "missing `;` after the rule"),
        (4, 19, "this rule can never match: `broken` needs a stage run that completed `Failed`, which `state Building` rules out"),
        (4, 34, "`send` to undeclared target `opz`"),
        (4, 40, "unknown placeholder `{pipline.name}`"),
        (5, 20, "invalid regular expression: unclosed group"),
        (5, 34, "`stage` is given twice in one rule"),
        (5, 47, "empty `send()`"),
    ];
    let got: Vec<(usize, usize, &str)> = got.iter().map(|(l, c, m)| (*l, *c, m.as_str())).collect();
    assert_eq!(got, want);
}

#[test]
fn rendered_texts() {
    let src = "target ops;\non stage \"deploy\" state Faild => send(ops);\n";
    let errors = parse_str(src).unwrap_err();
    assert_eq!(
        errors.render_file("rules/team.rules", src),
        ["unknown state `Faild`\n --> rules/team.rules:2:25\n  |\n2 | on stage \"deploy\" state Faild => send(ops);\n  |                         ^^^^^\n  = help: did you mean `Failed`?"]
    );
    let src = "target ops;\ntarget ops;\non any => sned(ops)";
    let errors = parse_str(src).unwrap_err();
    assert_eq!(
        errors.render_check("team.rules", src),
        "team.rules:2:8: target `ops` is declared twice\n\
         target ops;\n       ^^^\n\
         help: it was first declared at line 1, column 8; remove one of the two\n\
         team.rules:3:11: unknown action `sned`\n\
         on any => sned(ops)\n          ^^^^\n\
         help: did you mean `send`?\n\
         team.rules:3:20: missing `;` after the rule\n\
         on any => sned(ops)\n                   ^\n\
         help: every rule ends with `;`\n"
    );
    assert_eq!(
        errors.to_string().lines().take(4).collect::<Vec<_>>(),
        [
            "2:8: target `ops` is declared twice",
            "  | target ops;",
            "  |        ^^^",
            "  = help: it was first declared at line 1, column 8; remove one of the two"
        ]
    );
}

const PATTERN_HELP: &str =
    "a pattern is a string literal, where `*` and `?` are wildcards, or `regex(\"...\")`";
const REGEX_HELP: &str = "the expression is Rust's `regex` syntax and must match the whole value";
