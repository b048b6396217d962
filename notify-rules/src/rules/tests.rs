//! The rule engine's load errors.

use super::RuleSet;

#[test]
fn load_errors_go_where_errors_go() {
    fn check<T: std::error::Error + Send + Sync + Clone + 'static>(_: &T) {}
    let err = RuleSet::parse("target ops;\non state Faild => send(ops);").unwrap_err();
    check(&err);
    assert_eq!(format!("{err:?}"), err.to_string());
    assert!(std::error::Error::source(&err).is_none());
    let shown = std::thread::spawn(move || err.to_string()).join().unwrap();
    assert_eq!(
        shown,
        "2:10: unknown state `Faild`\n  | on state Faild => send(ops);\n  |          ^^^^^\n  = help: did you mean `Failed`?\n"
    );
}
