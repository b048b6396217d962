//! Each error class on text input: message, place and help.

use super::{errs, ok, one, PATTERN_HELP, REGEX_HELP};

#[test]
fn unknown_state_and_result() {
    assert_eq!(
        one("target ops;\non stage \"deploy\" state Faild => send(ops);"),
        (
            2,
            25,
            "unknown state `Faild`".into(),
            "did you mean `Failed`?".into()
        )
    );
    assert_eq!(
        one("on state failed => stop;"),
        (
            1,
            10,
            "unknown state `failed`".into(),
            "did you mean `Failed`?".into()
        )
    );
    assert_eq!(
        one("on state Passed | Borked => stop;"),
        (
            1,
            19,
            "unknown state `Borked`".into(),
            "the states are `Building`, `Failing`, `Passed`, `Failed`, `Cancelled`, `Unknown`"
                .into()
        )
    );
    assert_eq!(one("on result Pased => stop;").3, "did you mean `Passed`?");
    let (l, c, m, h) = one("on result Building => stop;");
    assert_eq!((l, c, m.as_str()), (1, 11, "unknown result `Building`"));
    assert!(
        h.starts_with("`Building` is a state, not a result; the results are `Passed`"),
        "{h}"
    );
    assert_eq!(
        one("on job \"x\" Faild => stop;").2,
        "unknown result `Faild`"
    );
    assert_eq!(
        one("on state \"Failed\" => stop;").3,
        "write it without quotes: `Failed`"
    );
    assert_eq!(
        one("on state => stop;").2,
        "expected a state name after `state`, found `=>`"
    );
    assert_eq!(
        one("on state Failed | => stop;").2,
        "expected a state name after `|`, found `=>`"
    );
}

#[test]
fn unknown_clause_words() {
    assert_eq!(
        one("on stgae \"x\" => stop;"),
        (
            1,
            4,
            "unknown clause `stgae`".into(),
            "did you mean `stage`?".into()
        )
    );
    assert_eq!(
        one("on aproved_by \"x\" => stop;").3,
        "did you mean `approved_by`?"
    );
    assert_eq!(one("on Stage \"x\" => stop;").3, "did you mean `stage`?");
    let (_, _, m, h) = one("on stage \"x\" Failed => stop;");
    assert_eq!(m, "unknown clause `Failed`");
    assert!(h.contains("write `state Failed`"), "{h}");
    // `if` is no clause in text, so it is not suggested there.
    assert!(one("on iff \"x\" => stop;")
        .3
        .starts_with("the clauses are"));
    let (_, _, _, h) = one("on colour \"red\" => stop;");
    assert!(h.starts_with("the clauses are `pipeline`"), "{h}");
    assert_eq!(
        h,
        "the clauses are `pipeline`, `group`, `stage`, `label`, `branch`, `approved_by`, \
         `state`, `result`, `job`, `broken`, `fixed`, `still_failing` and `any`, each \
         optionally preceded by `not`"
    );
    // The clause is skipped, its arguments with it, and the next one is read.
    assert_eq!(
        errs("on stgae \"a\" | regex(\"(\") stat Faild => stop;").len(),
        2
    );
}

#[test]
fn unknown_actions() {
    assert_eq!(
        one("on any => sned(ops);"),
        (
            1,
            11,
            "unknown action `sned`".into(),
            "did you mean `send`?".into()
        )
    );
    assert_eq!(one("on any => stpo;").3, "did you mean `stop`?");
    let (_, _, m, h) = one("on any => \"hello\";");
    assert_eq!(m, "expected an action, found a string literal");
    assert!(h.contains("send(ops, \"...\")"), "{h}");
    assert_eq!(one("on any => ;").2, "expected an action, found `;`");
    assert_eq!(one("on any => stop(now);").2, "`stop` takes no arguments");
}

#[test]
fn missing_arrow_and_semicolon() {
    assert_eq!(
        one("target ops;\non state Failed send(ops);"),
        (
            2,
            16,
            "missing `=>` between the clauses and the actions".into(),
            "write `=> send...`".into()
        )
    );
    assert_eq!(
        one("target ops;\non state Failed => send(ops)\non any => stop;"),
        (
            2,
            29,
            "missing `;` after the rule".into(),
            "every rule ends with `;`".into()
        )
    );
    assert_eq!(one("on any => stop").2, "missing `;` after the rule");
    assert_eq!(
        one("target a\non any => send(a);").2,
        "missing `;` after the declaration"
    );
    assert_eq!(
        one("on state Failed;").2,
        "expected `=>` and an action, found `;`"
    );
    assert_eq!(
        one("on any => send(a) send(b); target a, b;").2,
        "missing `,` between actions"
    );
    assert_eq!(one("on any => send(a) stop; target a;").1, 18);
}

#[test]
fn send_errors() {
    assert_eq!(one("target a; on any => send();"), (1, 21, "empty `send()`".into(), "write `send(ops)`, or `send(ops, \"message\")`, with a target declared by `target ops;`".into()));
    let (_, _, m, h) = one("target ops; on any => send(\"ops\");");
    assert_eq!(m, "expected a target name, found a string literal");
    assert_eq!(h, "target names are written without quotes: `send(ops)`");
    let (_, c, m, _) = one("target a; on any => send(a, \"x\", \"y\");");
    assert_eq!((c, m.as_str()), (34, "unexpected extra argument to `send`"));
    let (_, _, m, h) = one("target a, b; on any => send(a, b);");
    assert_eq!(
        m,
        "expected a message template (a string literal), found `b`"
    );
    assert!(h.contains("send(a), send(b)"), "{h}");
    assert_eq!(
        one("target a; on any => send a;").2,
        "expected `(` after `send`, found `a`"
    );
    assert_eq!(
        one("target a; on any => send(a;").2,
        "expected `)`, found `;`"
    );
    assert_eq!(
        one("target a; on any => send(a \"x\");").2,
        "expected `,` or `)` after the target, found a string literal"
    );
    assert_eq!(
        one("target a; on any => send(a,);").2,
        "expected a message template after `,`, found `)`"
    );
}

#[test]
fn regex_errors_point_into_the_expression() {
    let src = "on pipeline regex(\"sandbox-(\") => stop;";
    assert_eq!(
        one(src),
        (
            1,
            28,
            "invalid regular expression: unclosed group".into(),
            REGEX_HELP.into()
        )
    );
    // Through escapes: `\\` is one character of the expression, two of the source.
    assert_eq!(one("on stage regex(\"a\\\\d)\") => stop;").1, 21);
    // A raw string maps one to one.
    assert_eq!(
        one("on label regex(r\"x{2,1}\") => stop;").2,
        "invalid regular expression: invalid repetition count range, the start must be <= the end"
    );
    // The expression must stand alone, so anchoring cannot change its meaning.
    assert_eq!(
        one("on branch regex(\"a)|(b\") => stop;").2,
        "invalid regular expression: unopened group"
    );
    assert_eq!(
        one("on stage regx(\"a\") => stop;").2,
        "unknown pattern function `regx`"
    );
    assert_eq!(
        one("on stage regex \"a\" => stop;").2,
        "expected `(` after `regex`, found a string literal"
    );
    assert_eq!(
        one("on stage regex(a) => stop;").2,
        "expected a string literal inside `regex(...)`, found `a`"
    );
    assert_eq!(
        one("on stage regex(\"a\" \"b\") => stop;").2,
        "expected `)` after the regular expression, found a string literal"
    );
}

#[test]
fn template_errors_point_into_the_string() {
    let src = "target ops;\non any => send(ops, \"Deploy of {pipline.name} failed\");";
    assert_eq!(
        one(src),
        (
            2,
            32,
            "unknown placeholder `{pipline.name}`".into(),
            "did you mean `{pipeline.name}`?".into()
        )
    );
    // After escapes the decoded offset differs from the source offset.
    let src = "target ops; on any => send(ops, \"\\t\\u{e9}\\\"{link} {x\");";
    let (_, c, m, _) = one(src);
    assert_eq!(
        (c, m.as_str()),
        (51, "unclosed `{` in the message template")
    );
    assert_eq!(&src[50..51], "{");
    let (_, c, m, h) = one("target ops; on any => send(ops, \"a } b\");");
    assert_eq!(
        (c, m.as_str(), h.as_str()),
        (
            36,
            "unmatched `}` in the message template",
            "write `}}` for a literal `}`"
        )
    );
    // Every placeholder error of one template is reported.
    assert_eq!(errs("target o; on any => send(o, \"{a} {b}\");").len(), 2);
}

#[test]
fn targets_undeclared_and_twice() {
    assert_eq!(
        one("target ops;\non any => send(opz);"),
        (
            2,
            16,
            "`send` to undeclared target `opz`".into(),
            "did you mean `ops`?".into()
        )
    );
    assert_eq!(one("on any => send(x);").3, "declare it with `target x;`");
    assert_eq!(
        one("target a, b; on any => send(zzz);").3,
        "declare it with `target zzz;`; the declared targets are `a`, `b`"
    );
    assert_eq!(
        one("target ops, audit;\ntarget ops;"),
        (
            2,
            8,
            "target `ops` is declared twice".into(),
            "it was first declared at line 1, column 8; remove one of the two".into()
        )
    );
    assert_eq!(
        one("target;").2,
        "expected a target name after `target`, found `;`"
    );
    assert_eq!(
        one("target a,;").2,
        "expected a target name after `,`, found `;`"
    );
    assert_eq!(one("target a b;").2, "missing `,` between target names");
    assert_eq!(
        one("target \"a\"; on any => send(a);").3,
        "target names are written without quotes: `target a;`"
    );
}

#[test]
fn the_same_clause_twice() {
    assert_eq!(
        one("on stage \"a\" stage \"b\" => stop;"),
        (
            1,
            14,
            "`stage` is given twice in one rule".into(),
            "the first `stage` is at line 1, column 4; write `stage \"a\" | \"b\"`".into()
        )
    );
    assert_eq!(
        one("on not pipeline \"a\" not pipeline regex(\"b\") => stop;")
            .3
            .split("; ")
            .nth(1),
        Some("write `not pipeline \"a\" | regex(\"b\")`")
    );
    let h = one("on stage \"a*\" not stage \"ab\" => stop;").3;
    assert!(h.contains("a rule has one `stage` clause"), "{h}");
    assert!(one("on state Failed state Passed => stop;")
        .3
        .ends_with("write `state Failed | Passed`"));
    assert!(one("on result Failed not result Passed => stop;")
        .3
        .contains("a rule has one `result` clause"));
    assert!(one("on job \"a\" job \"b\" => stop;")
        .3
        .ends_with("write `job \"a\" | \"b\"`"));
    assert!(one("on any any => stop;").3.ends_with("remove one `any`"));
    assert_eq!(
        errs("on stage \"a\" stage \"b\" stage \"c\" => stop;").len(),
        2
    );
}

#[test]
fn rules_that_can_never_match() {
    let (l, c, m, _) = one("on state Building broken => stop;");
    assert_eq!((l, c), (1, 19));
    assert_eq!(m, "this rule can never match: `broken` needs a stage run that completed `Failed`, which `state Building` rules out");
    assert!(one("on result Passed broken => stop;")
        .2
        .contains("`result Passed` rules out"));
    assert!(one("on not state Failed broken => stop;")
        .2
        .contains("`not state Failed` rules out"));
    assert!(one("on state Failed fixed => stop;")
        .2
        .contains("`fixed` needs a stage run that completed `Passed`"));
    assert!(one("on result Cancelled still_failing => stop;")
        .2
        .contains("`still_failing` needs"));
    assert_eq!(
        one("on broken fixed => stop;").2,
        "this rule can never match: a stage run cannot be both `broken` and `fixed`"
    );
    assert_eq!(
        one("on not any => stop;").2,
        "this rule can never match: `not any` matches nothing"
    );
    // These can match.
    ok("on state Failing | Failed broken => stop;");
    ok("on not state Passed broken => stop;");
    ok("on broken not fixed => stop;");
    ok("on not result Failed fixed => stop;");
}

#[test]
fn no_clause_and_empty_patterns() {
    assert_eq!(
        one("on => stop;"),
        (
            1,
            1,
            "rule has no clause".into(),
            "say what the rule matches, or write `on any => ...` to match every notification"
                .into()
        )
    );
    assert_eq!(one("on stop;").2, "rule has no clause");
    assert_eq!(
        one("on stage => stop;"),
        (
            1,
            10,
            "expected a pattern after `stage`, found `=>`".into(),
            PATTERN_HELP.into()
        )
    );
    assert_eq!(
        one("on stage state Failed => stop;").2,
        "expected a pattern after `stage`, found `state`"
    );
    assert_eq!(
        one("on stage \"a\" | => stop;").2,
        "expected a pattern after `|`, found `=>`"
    );
    let (_, _, m, h) = one("on stage deploy => stop;");
    assert_eq!(m, "expected a pattern after `stage`, found `deploy`");
    assert_eq!(h, "patterns are string literals: write \"deploy\"");
    assert_eq!(
        one("on stage \"a\" \"b\" => stop;").3,
        "separate alternatives with `|`: `stage \"a\" | \"b\"`"
    );
}

#[test]
fn if_guards_are_refused_in_text() {
    let src =
        "target t;\non stage \"x\" if |s| s.pipeline.counter > 3 => send(t);\non any => send(u);";
    let errors = errs(src);
    assert_eq!(
        errors[0],
        (2, 14, "`if` guards are only allowed inside `rules!`".into())
    );
    // The guard is skipped and checking goes on.
    assert_eq!(errors[1], (3, 16, "`send` to undeclared target `u`".into()));
    assert_eq!(errors.len(), 2);
    assert!(one("on if x => stop;")
        .3
        .contains("Rust expressions exist only in `rules! { ... }`"));
}

#[test]
fn top_level_mistakes() {
    assert_eq!(
        one("stage \"x\" => stop;").3,
        "a rule starts with `on`: write `on stage ...`"
    );
    assert_eq!(one("On any => stop;").3, "did you mean `on`?");
    assert_eq!(
        one("tagret a; on any => send(a);").3,
        "did you mean `target`?"
    );
    assert_eq!(one("on any => stop;;").2, "unexpected `;`");
    let (_, _, m, h) = one("hello world; on any => stop;");
    assert_eq!(m, "expected `on`, `target` or `window`, found `hello`");
    assert!(h.starts_with("a rule is `on <clauses> => <actions>;`"));
    assert_eq!(one("on not not any => stop;").2, "`not` is written twice");
    // A long run of them is one mistake, read without recursing once per word.
    let many = format!("on {}any => stop;", "not ".repeat(200_000));
    assert_eq!(one(&many).2, "`not` is written twice");
    assert_eq!(
        one("on not => stop;").2,
        "expected a clause after `not`, found `=>`"
    );
}

#[test]
fn lexer_errors_are_not_repeated_by_the_parser() {
    assert_eq!(
        errs("on pipeline 42 => stop;"),
        [(1, 13, "unexpected number `42`".to_string())]
    );
    assert_eq!(
        errs("on stage \"a\\q\" => stop;"),
        [(1, 12, "unknown escape `\\q`".to_string())]
    );
    assert_eq!(
        errs("on stage 'a' => stop;"),
        [(
            1,
            10,
            "expected a string literal, found a character literal".to_string()
        )]
    );
    assert_eq!(errs("on any => stop; {}").len(), 2);
    assert_eq!(errs("on stage \"a").len(), 1);
    assert_eq!(errs("on any => stop; /* open").len(), 1);
}
