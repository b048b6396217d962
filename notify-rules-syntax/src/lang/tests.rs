//! The table read back: words, names, and clauses written as they parse.

use super::*;
use crate::parse_str;

#[test]
fn every_clause_has_its_own_word() {
    for kind in ClauseKind::ALL {
        assert_eq!(ClauseKind::from_word(kind.word()), Some(kind));
    }
    assert_eq!(ClauseKind::WORDS, ClauseKind::ALL.map(ClauseKind::word));
    assert_eq!(ClauseKind::from_word("Stage"), None);
}

#[test]
fn names_are_written_as_their_variants() {
    for (name, state) in StateName::ALL {
        assert_eq!(state.as_str(), name);
        assert_eq!(StateName::from_name(name), Some(state));
        assert_eq!(format!("{state:?}"), name);
    }
    for (name, result) in ResultName::ALL {
        assert_eq!(result.as_str(), name);
        assert_eq!(ResultName::from_name(name), Some(result));
    }
    assert_eq!(<StateName as Name>::WHAT, "state");
    assert_eq!(ResultName::from_name("failed"), None);
}

#[test]
fn clauses_are_written_back_in_normal_form() {
    let src = r#"target t;
        on pipeline "a" => stop;
        on pipeline  "a"|"b*" not group regex( "g\\.(.*)" ) stage "s" label r"1.0" branch "m"
           approved_by "x" state Passed|Failed not result Unknown job "j" Failed | Cancelled any
           => stop;
        on broken job "k" => stop;
        on fixed => stop;
        on not still_failing => stop;"#;
    let rules = parse_str(src).unwrap();
    let written: Vec<Vec<String>> = rules
        .rules
        .iter()
        .map(|r| r.clauses.iter().map(ToString::to_string).collect())
        .collect();
    assert_eq!(
        written,
        [
            vec![r#"pipeline "a""#],
            vec![
                r#"pipeline "a" | "b*""#,
                r#"not group regex("g\\.(.*)")"#,
                r#"stage "s""#,
                r#"label "1.0""#,
                r#"branch "m""#,
                r#"approved_by "x""#,
                "state Passed | Failed",
                "not result Unknown",
                r#"job "j" Failed | Cancelled"#,
                "any",
            ],
            vec!["broken", r#"job "k""#],
            vec!["fixed"],
            vec!["not still_failing"],
        ]
    );
    // What is written back reads as the same clauses.
    let again = written
        .iter()
        .map(|clauses| format!("on {} => stop;", clauses.join(" ")))
        .collect::<String>();
    let reread = parse_str(&format!("target t;{again}")).unwrap();
    for (a, b) in rules.rules.iter().zip(&reread.rules) {
        let a: Vec<String> = a.clauses.iter().map(ToString::to_string).collect();
        let b: Vec<String> = b.clauses.iter().map(ToString::to_string).collect();
        assert_eq!(a, b);
    }
}

#[test]
fn the_table_says_what_checks_and_matchers_need() {
    let ignoring: Vec<&str> = ClauseKind::ALL
        .into_iter()
        .filter(|k| k.ignores_case())
        .map(ClauseKind::word)
        .collect();
    assert_eq!(ignoring, ["pipeline", "group", "stage", "job"]);
    assert_eq!(
        ClauseKind::Broken.needs_completed(),
        Some((StateName::Failed, ResultName::Failed))
    );
    assert_eq!(
        ClauseKind::Fixed.needs_completed(),
        Some((StateName::Passed, ResultName::Passed))
    );
    assert_eq!(ClauseKind::Any.needs_completed(), None);
    let listed: Vec<&str> = ClauseKind::listed().map(ClauseKind::word).collect();
    assert!(!listed.contains(&"if") && listed.len() == ClauseKind::ALL.len() - 1);
}
