//! What the rule engine takes from the language's table, and its load errors.

use notify_rules_syntax::ast::{ResultName, StateName};

use super::RuleSet;
use crate::model::{JobResult, StageResult, StageState};

/// The interpreter reads a name with the model's `from_wire` and generated
/// code names the model's variant after it: both hold only if every name is a
/// wire name and a variant's name.
#[test]
fn the_language_s_names_are_the_model_s_variants() {
    for (name, _) in StateName::ALL {
        let state = StageState::from_wire(name);
        assert_eq!((state.as_str(), format!("{state:?}")), (name, name.into()));
    }
    for (name, _) in ResultName::ALL {
        let stage = StageResult::from_wire(name);
        assert_eq!((stage.as_str(), format!("{stage:?}")), (name, name.into()));
        let job = JobResult::from_wire(name);
        assert_eq!((job.as_str(), format!("{job:?}")), (name, name.into()));
    }
}

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
