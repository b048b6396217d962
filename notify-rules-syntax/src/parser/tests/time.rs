//! The time forms on text input: what they parse to, and each of their
//! errors with its place.

use super::{errs, ok, one};
use crate::ast::{Action, Field, Piece};

const SPEC_EXAMPLE: &str = r#"target ops, audit;
window office = "Mon-Fri 08:00-18:00" in "Europe/Berlin";

on pipeline "api-*" stage "test" broken => send(ops, "{pipeline.name} broke"),
    remind(ops, 4h, "{pipeline.name} is still red, for {since} now (reminder {reminder})");
on still_failing => send(ops, "{pipeline.name}/{stage.name} still failing ({suppressed} more)") every 1h;
on state Failed => send(audit) during office;
on agent lost => send(ops) every 30m during office;
on result Failed => remind(audit, 2d) every 15m during office;
"#;

#[test]
fn the_spec_example_parses() {
    let rules = ok(SPEC_EXAMPLE);
    assert_eq!(rules.windows.len(), 1);
    let w = &rules.windows[0];
    assert_eq!(
        (w.name.name.as_str(), w.zone.as_str()),
        ("office", "Europe/Berlin")
    );
    assert_eq!(w.spec.to_string(), "Mon-Fri 08:00-18:00");
    let Action::Remind {
        target,
        after,
        template,
        ..
    } = &rules.rules[0].actions[1]
    else {
        panic!("{:?}", rules.rules[0].actions);
    };
    assert_eq!((target.name.as_str(), after.secs), ("ops", 4 * 3600));
    let t = template.as_ref().unwrap();
    assert!(t.pieces.contains(&Piece::Field(Field::Since)));
    assert!(t.pieces.contains(&Piece::Field(Field::Reminder)));
    assert_eq!(rules.rules[1].timing.every.map(|d| d.secs), Some(3600));
    assert!(rules.rules[1].timing.during.is_none());
    assert_eq!(
        rules.rules[2].timing.during.as_ref().unwrap().name,
        "office"
    );
    let agent = &rules.agent_rules[0].timing;
    assert_eq!(
        (
            agent.every.unwrap().secs,
            agent.during.as_ref().unwrap().name.as_str()
        ),
        (1800, "office")
    );
    let last = &rules.rules[3];
    assert!(
        matches!(&last.actions[0], Action::Remind { after, template: None, .. } if after.secs == 2 * 86_400)
    );
    assert_eq!(last.timing.every.unwrap().to_string(), "15m");
}

#[test]
fn durations_take_each_unit() {
    for (d, secs) in [
        ("30s", 30),
        ("15m", 900),
        ("4h", 14_400),
        ("2d", 172_800),
        ("1_000s", 1000),
    ] {
        let rules = ok(&format!("target t; on any => send(t) every {d};"));
        assert_eq!(rules.rules[0].timing.every.unwrap().secs, secs, "{d}");
    }
}

#[test]
fn duration_errors() {
    assert_eq!(
        one("target t; on any => send(t) every 0m;"),
        (
            1,
            35,
            "the duration `0m` is zero".into(),
            "a duration is at least `1s`; remove `every`, or give it a length".into()
        )
    );
    assert_eq!(
        one("target t; on any => send(t) every 30;"),
        (
            1,
            35,
            "the duration `30` has no unit".into(),
            "write it with a unit: `30s`, `15m`, `4h` or `2d`".into()
        )
    );
    assert_eq!(
        one("target t; on state Failed => remind(t, 30min);"),
        (
            1,
            40,
            "unknown unit `min` in the duration `30min`".into(),
            "did you mean `30m`?".into()
        )
    );
    assert_eq!(
        one("target t; on any => send(t) every 5y;").2,
        "unknown unit `y` in the duration `5y`"
    );
    assert_eq!(
        one("target t; on any => send(t) every;").2,
        "expected a duration after `every`, found `;`"
    );
    // Numbers elsewhere are what they were before durations.
    assert_eq!(one("on pipeline 4h => stop;").2, "unexpected number `4h`");
    let messages: Vec<String> = errs("on any => stop; x = 1")
        .into_iter()
        .map(|e| e.2)
        .collect();
    assert!(
        messages.contains(&"unexpected character `=`".to_string()),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"unexpected number `1`".to_string()),
        "{messages:?}"
    );
}

#[test]
fn window_errors() {
    let (l, c, m, h) = one("window w = \"Mon-Fri 08:00-18:00\" in \"Europe/Berln\";");
    assert_eq!(
        (l, c, m.as_str(), h.as_str()),
        (
            1,
            37,
            "unknown time zone `Europe/Berln`",
            "did you mean `Europe/Berlin`?"
        )
    );
    let (l, c, m, _) = one("window w = \"Mon-Fri 08:00-18:00, Sat 10:00-12:70\" in \"UTC\";");
    assert_eq!(
        (l, c, m.as_str()),
        (1, 44, "malformed window: `12:70` is not a time of day")
    );
    let (l, c, m, h) = one("window w = \"Mon-Fri 08:00-18:00\" in \"UTC\";\nwindow w = \"daily 22:00-07:00\" in \"UTC\";");
    assert_eq!((l, c, m.as_str()), (2, 8, "window `w` is declared twice"));
    assert!(
        h.starts_with("it was first declared at line 1, column 8"),
        "{h}"
    );
    assert_eq!(
        one("window w \"daily 01:00-02:00\" in \"UTC\";").2,
        "expected `=` after the window's name, found a string literal"
    );
    assert_eq!(
        one("window w = \"daily 01:00-02:00\";").2,
        "expected `in` and the window's time zone, found `;`"
    );
    assert_eq!(
        one("window = \"daily 01:00-02:00\" in \"UTC\";").2,
        "expected a window name after `window`, found `=`"
    );
}

#[test]
fn during_of_an_undeclared_window() {
    let src = "target t;\nwindow office = \"daily 08:00-18:00\" in \"UTC\";\non any => send(t) during ofice;";
    assert_eq!(
        one(src),
        (
            3,
            26,
            "`during` of undeclared window `ofice`".into(),
            "did you mean `office`?".into()
        )
    );
    let (_, _, _, h) = one("target t; on any => send(t) during night;");
    assert!(h.starts_with("declare it with `window night = "), "{h}");
    assert_eq!(
        one("target t; window w = \"daily 01:00-02:00\" in \"UTC\"; on any => send(t) during w every 1h;").2,
        "`every` after `during`"
    );
}

#[test]
fn remind_needs_a_rule_that_matches_only_failures() {
    for clauses in [
        "any",
        "state Failed | Passed",
        "not fixed",
        "result Failed | Cancelled",
        "not broken",
    ] {
        let src = format!("target t; on {clauses} => remind(t, 1h);");
        let (_, _, m, h) = one(&src);
        assert_eq!(m, "`remind` on a rule that can match a success: a rule with `remind` must match only failures", "{src}");
        assert_eq!(
            h,
            "add `broken`, `still_failing`, `state Failed` or `result Failed` to its clauses"
        );
    }
    for clauses in [
        "broken",
        "still_failing",
        "state Failed",
        "result Failed",
        "stage \"x\" state Failed",
    ] {
        ok(&format!(
            "target t; on {clauses} => send(t), remind(t, 1h);"
        ));
    }
    assert_eq!(
        one("target t; on state Failed => remind(u, 1h);").2,
        "`remind` to undeclared target `u`"
    );
    let (l, c, m, _) = one("target t; on agent lost => remind(t, 1h);");
    assert_eq!((l, c), (1, 28));
    assert!(m.starts_with("`remind` is for stage rules"), "{m}");
    assert_eq!(
        one("target t; on state Failed => remind(t);").2,
        "expected `,` and a duration after the target, found `)`"
    );
    assert_eq!(
        one("target t; on state Failed => remind();").2,
        "empty `remind()`"
    );
}

#[test]
fn time_placeholders_only_where_they_mean_something() {
    let (l, c, m, _) = one("target t; on state Failed => send(t, \"for {since}\");");
    assert_eq!(
        (l, c, m.as_str()),
        (
            1,
            43,
            "`{since}` is a reminder placeholder: only a `remind` template can use it"
        )
    );
    assert_eq!(
        one("target t; on agent => send(t, \"{reminder}\");").2,
        "`{reminder}` is a reminder placeholder: only a `remind` template can use it"
    );
    let (l, c, m, h) = one("target t; on state Failed => send(t, \"{suppressed} more\");");
    assert_eq!((l, c), (1, 39));
    assert_eq!(
        m,
        "`{suppressed}` counts what `every` held back: only a rule with `every` can use it"
    );
    assert!(h.starts_with("add `every 1h`"), "{h}");
    assert!(
        one("target t; on state Failed => remind(t, 1h, \"{suppressed}\") every 1h;")
            .2
            .starts_with("`{suppressed}` counts what `every` held back, which reminders are not")
    );
    ok("target t; on agent => send(t, \"{suppressed} more\") every 1h;");
}

#[test]
fn every_error_at_once() {
    let src = "target t;\nwindow w = \"Mon-Fri 08:00-18:00\" in \"Mars/Base\";\n\
               on any => send(t, \"{since}\"), remind(t, 0s) every 1x during v;\n";
    let got: Vec<(usize, usize)> = errs(src).iter().map(|(l, c, _)| (*l, *c)).collect();
    assert_eq!(
        got,
        [(2, 37), (3, 20), (3, 31), (3, 41), (3, 51), (3, 61)],
        "{:?}",
        errs(src)
    );
}
