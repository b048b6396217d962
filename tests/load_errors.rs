//! Every error the language promises, found when rules are loaded at run time
//! with `RuleSet::parse`: the same checks and messages as the macros, each with
//! its line and column. (The compile-time side is `tests/ui/*.rs`.)

use notify_rules::RuleSet;

/// The first error as `(line, column, message, help)`.
fn first_error(src: &str) -> (usize, usize, String, Option<String>) {
    let err = RuleSet::parse(src).expect_err("the rules should be refused");
    let errors = err.errors();
    let (line, col, message, help) = errors[0];
    (line, col, message.to_owned(), help.map(str::to_owned))
}

fn check(src: &str, line: usize, col: usize, message: &str, help: Option<&str>) {
    let got = first_error(src);
    assert_eq!(
        got,
        (line, col, message.to_owned(), help.map(str::to_owned)),
        "for:\n{src}"
    );
}

#[test]
fn unknown_state_and_result_with_suggestions() {
    check(
        "target ops;\non state Faild => send(ops);",
        2,
        10,
        "unknown state `Faild`",
        Some("did you mean `Failed`?"),
    );
    check(
        "target ops;\non state failed => send(ops);",
        2,
        10,
        "unknown state `failed`",
        Some("did you mean `Failed`?"),
    );
    check(
        "target ops;\non result Passd => send(ops);",
        2,
        11,
        "unknown result `Passd`",
        Some("did you mean `Passed`?"),
    );
    check(
        "target ops;\non job \"unit\" Faild => send(ops);",
        2,
        15,
        "unknown result `Faild`",
        Some("did you mean `Failed`?"),
    );
}

#[test]
fn unknown_words_missing_punctuation_and_empty_send() {
    check(
        "target ops;\non stgae \"x\" => send(ops);",
        2,
        4,
        "unknown clause `stgae`",
        Some("did you mean `stage`?"),
    );
    check(
        "target ops;\non aproved_by \"m\" => send(ops);",
        2,
        4,
        "unknown clause `aproved_by`",
        Some("did you mean `approved_by`?"),
    );
    check(
        "target ops;\non state Failed => sned(ops);",
        2,
        20,
        "unknown action `sned`",
        Some("did you mean `send`?"),
    );
    check(
        "target ops;\non state Failed send(ops);",
        2,
        16,
        "missing `=>` between the clauses and the actions",
        Some("write `=> send...`"),
    );
    check(
        "target ops;\non state Failed => send(ops)\non any => stop;",
        2,
        29,
        "missing `;` after the rule",
        Some("every rule ends with `;`"),
    );
    check(
        "target ops;\non state Failed => send();",
        2,
        20,
        "empty `send()`",
        Some("write `send(ops)`, or `send(ops, \"message\")`, with a target declared by `target ops;`"),
    );
}

#[test]
fn regexes_that_do_not_compile() {
    let (line, col, message, _) =
        first_error("target ops;\non pipeline regex(\"deploy-(prod\") => send(ops);");
    // The column points at the unclosed parenthesis inside the string.
    assert_eq!((line, col), (2, 27));
    assert!(
        message.starts_with("invalid regular expression: unclosed group"),
        "{message}"
    );
}

#[test]
fn template_placeholders_and_braces() {
    check(
        "target ops;\non any => send(ops, \"{pipline.name} failed\");",
        2,
        22,
        "unknown placeholder `{pipline.name}`",
        Some("did you mean `{pipeline.name}`?"),
    );
    let (line, col, message, _) =
        first_error("target ops;\non any => send(ops, \"{pipeline.name failed\");");
    assert_eq!(
        (line, col, message.as_str()),
        (2, 22, "unclosed `{` in the message template")
    );
    let (line, col, message, _) =
        first_error("target ops;\non any => send(ops, \"pipeline} failed\");");
    assert_eq!(
        (line, col, message.as_str()),
        (2, 30, "unmatched `}` in the message template")
    );
}

#[test]
fn targets_undeclared_and_declared_twice() {
    check(
        "target ops, audit;\non any => send(opps);",
        2,
        16,
        "`send` to undeclared target `opps`",
        Some("did you mean `ops`?"),
    );
    let (line, col, message, help) =
        first_error("target ops, audit;\ntarget ops;\non any => send(ops);");
    assert_eq!(
        (line, col, message.as_str()),
        (2, 8, "target `ops` is declared twice")
    );
    assert!(help.unwrap().contains("line 1, column 8"));
}

#[test]
fn the_same_clause_twice_and_rules_that_never_match() {
    check(
        "target ops;\non stage \"a\" stage \"b\" => send(ops);",
        2,
        14,
        "`stage` is given twice in one rule",
        Some("the first `stage` is at line 2, column 4; write `stage \"a\" | \"b\"`"),
    );
    let (line, col, message, _) =
        first_error("target ops;\non state Building broken => send(ops);");
    assert_eq!((line, col), (2, 19));
    assert!(
        message.starts_with(
            "this rule can never match: `broken` needs a stage run that completed `Failed`"
        ),
        "{message}"
    );
    let (line, col, message, _) = first_error("target ops;\non not any => send(ops);");
    assert_eq!(
        (line, col, message.as_str()),
        (2, 8, "this rule can never match: `not any` matches nothing")
    );
}

#[test]
fn guards_are_refused_outside_rust_source() {
    let (line, col, message, _) = first_error("target ops;\non if is_release => send(ops);");
    assert_eq!(
        (line, col, message.as_str()),
        (2, 4, "`if` guards are only allowed inside `rules!`")
    );
}

#[test]
fn every_error_is_reported_at_once_with_its_place() {
    let src = "target ops;\non state Faild => send(ops);\non stgae \"x\" => send(ops);\non any => send(opps, \"{pipline.name}\");\n";
    let err = RuleSet::parse(src).unwrap_err();
    let places: Vec<(usize, usize)> = err.errors().iter().map(|(l, c, _, _)| (*l, *c)).collect();
    assert_eq!(places, [(2, 10), (3, 4), (4, 16), (4, 23)]);
    let text = err.to_string();
    assert!(text.starts_with("2:10: unknown state `Faild`\n"), "{text}");
    assert!(text.contains("3:4: unknown clause `stgae`"), "{text}");
    assert!(text.contains("  = help: did you mean `ops`?"), "{text}");
    let check = err.render_check("rules/team.rules");
    assert!(
        check.starts_with("rules/team.rules:2:10: unknown state `Faild`\n"),
        "{check}"
    );
}

#[test]
fn a_stage_clause_in_an_agent_rule_and_agent_words_in_a_stage_rule() {
    check(
        "target ops;\non agent pipeline \"x\" => send(ops);",
        2,
        10,
        "`pipeline` is a stage clause; agent rules take host, ip, os, state, build_state, config, elastic, lost, back",
        Some("write it in a rule without `agent`: `on pipeline ...` is about stages"),
    );
    check(
        "target ops;\non state LostContact => send(ops);",
        2,
        10,
        "`LostContact` is an agent state: write `on agent state LostContact`",
        Some("in this stage rule, the states are `Building`, `Failing`, `Passed`, `Failed`, `Cancelled`, `Unknown`"),
    );
    check(
        "target ops;\non result Enabled => send(ops);",
        2,
        11,
        "`Enabled` is an agent config state: write `on agent config Enabled`",
        Some("in this stage rule, the results are `Passed`, `Failed`, `Cancelled`, `Unknown`"),
    );
    check(
        "target ops;\non host \"win-*\" => send(ops);",
        2,
        4,
        "unknown clause `host`",
        Some("`host` is an agent clause: write `on agent host ...`"),
    );
    check(
        "target ops;\non agent hots \"win-*\" => send(ops);",
        2,
        10,
        "unknown clause `hots` in an agent rule",
        Some("did you mean `host`?"),
    );
    check(
        "target ops;\non agent missing => send(ops);",
        2,
        10,
        "unknown clause `missing` in an agent rule",
        Some("`missing` is an agent state: write `state Missing`"),
    );
}

#[test]
fn unknown_agent_values_get_a_suggestion() {
    check(
        "target ops;\non agent state LostContcat => send(ops);",
        2,
        16,
        "unknown agent state `LostContcat`",
        Some("did you mean `LostContact`?"),
    );
    check(
        "target ops;\non agent build_state cancelld => send(ops);",
        2,
        22,
        "unknown build state `cancelld`",
        Some("did you mean `Cancelled`?"),
    );
    check(
        "target ops;\non agent config Failed => send(ops);",
        2,
        17,
        "unknown config state `Failed`",
        Some("`Failed` is a stage state (`on state Failed`); the config states are `Pending`, `Enabled`, `Disabled`"),
    );
}

#[test]
fn placeholders_of_the_other_kind_of_rule() {
    let (line, col, message, help) =
        first_error("target ops;\non agent lost => send(ops, \"{pipeline.name} lost\");");
    assert_eq!(
        (line, col, message.as_str()),
        (2, 29, "`{pipeline.name}` is a stage placeholder: only stage rules can use it, not agent rules (`on agent ...`)")
    );
    assert!(help
        .unwrap()
        .starts_with("an agent rule can use `{transition}`, `{link}`, `{agent.uuid}`"),);
    let (line, col, message, help) =
        first_error("target ops;\non any => send(ops, \"on {agent.host_name}\");");
    assert_eq!(
        (line, col, message.as_str()),
        (2, 25, "`{agent.host_name}` is an agent placeholder: only agent rules (`on agent ...`) can use it")
    );
    assert!(help
        .unwrap()
        .starts_with("a stage rule can use `{pipeline.name}`"));
}

#[test]
fn lost_with_back_never_matches() {
    check(
        "target ops;\non agent lost elastic back => send(ops);",
        2,
        23,
        "this rule can never match: an agent cannot be both `lost` and `back`",
        Some("`lost` is losing contact, `back` is coming back: write one rule for each"),
    );
}

#[test]
fn every_agent_error_is_reported_at_once() {
    let src = "target ops;\non agent stage \"x\" config Enabld => send(ops, \"{stage.name}\");\non host \"w\" => send(ops);\non agent back lost elastic elastic => send(opz);\n";
    let err = RuleSet::parse(src).unwrap_err();
    let places: Vec<(usize, usize)> = err.errors().iter().map(|(l, c, _, _)| (*l, *c)).collect();
    assert_eq!(
        places,
        [(2, 10), (2, 27), (2, 48), (3, 4), (4, 15), (4, 28), (4, 44)]
    );
}

const ZONE_HELP: &str = "did you mean `Europe/Berlin`?";

#[test]
fn windows_zones_and_during() {
    let office = "window office = \"Mon-Fri 08:00-18:00\" in \"Europe/Berlin\";";
    check(
        "window w = \"daily 01:00-02:00\" in \"Europe/Berln\";",
        1,
        35,
        "unknown time zone `Europe/Berln`",
        Some(ZONE_HELP),
    );
    check(
        "window w = \"Mon-Fri 08:00-18:00, Sat 10:00-12:70\" in \"UTC\";",
        1,
        44,
        "malformed window: `12:70` is not a time of day",
        Some("write times as `HH:MM` on a 24-hour clock, from `00:00` to `23:59` (`24:00` as an end)"),
    );
    check(
        "window w = \"Mon-Fry 08:00-18:00\" in \"UTC\";",
        1,
        17,
        "malformed window: `Fry` is not a day",
        Some("did you mean `Fri`?"),
    );
    check(
        &format!("{office}\nwindow office = \"daily 09:00-17:00\" in \"UTC\";"),
        2,
        8,
        "window `office` is declared twice",
        Some("it was first declared at line 1, column 8; remove one of the two, or rename one"),
    );
    check(
        &format!("target ops;\n{office}\non state Failed => send(ops) during ofice;"),
        3,
        37,
        "`during` of undeclared window `ofice`",
        Some("did you mean `office`?"),
    );
}

#[test]
fn remind_durations_and_time_placeholders() {
    check(
        "target ops;\non stage \"test\" state Passed | Failed => remind(ops, 4h);",
        2,
        42,
        "`remind` on a rule that can match a success: a rule with `remind` must match only failures",
        Some("add `broken`, `still_failing`, `state Failed` or `result Failed` to its clauses"),
    );
    let (line, col, message, _) = first_error("target ops;\non agent lost => remind(ops, 1h);");
    assert_eq!((line, col), (2, 18));
    assert!(
        message.starts_with("`remind` is for stage rules"),
        "{message}"
    );
    check(
        "target ops;\non still_failing => send(ops) every 0m;",
        2,
        37,
        "the duration `0m` is zero",
        Some("a duration is at least `1s`; remove `every`, or give it a length"),
    );
    check(
        "target ops;\non broken => remind(ops, 30);",
        2,
        26,
        "the duration `30` has no unit",
        Some("write it with a unit: `30s`, `15m`, `4h` or `2d`"),
    );
    check(
        "target ops;\non broken => remind(ops, 30min);",
        2,
        26,
        "unknown unit `min` in the duration `30min`",
        Some("did you mean `30m`?"),
    );
    check(
        "target ops;\non broken => send(ops, \"red for {since}\");",
        2,
        33,
        "`{since}` is a reminder placeholder: only a `remind` template can use it",
        Some("write it in `remind(target, 4h, \"... {since} ...\")`"),
    );
    check(
        "target ops;\non broken => send(ops, \"{suppressed} more\");",
        2,
        25,
        "`{suppressed}` counts what `every` held back: only a rule with `every` can use it",
        Some("add `every 1h` (or another duration) after the actions, or remove `{suppressed}`"),
    );
}

#[test]
fn every_time_error_is_reported_at_once() {
    let src = "target ops;\nwindow w = \"daily 01:00-02:00\" in \"Mars/Base\";\n\
               on any => send(ops, \"{since}\"), remind(ops, 0s) every 1x during v;\n";
    let err = RuleSet::parse(src).unwrap_err();
    let places: Vec<(usize, usize)> = err.errors().iter().map(|(l, c, _, _)| (*l, *c)).collect();
    assert_eq!(
        places,
        [(2, 35), (3, 22), (3, 33), (3, 45), (3, 55), (3, 65)]
    );
}
