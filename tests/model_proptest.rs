//! Any `StageStatus` (dates at millisecond precision, in UTC) survives
//! serialize-then-parse unchanged, through serde_json and through the protocol
//! reader. The generators are the test kit's (`notify_rules_test_kit::gen`).

use notify_rules::model::StageStatus;
use notify_rules::protocol::parse_stage_status;
use notify_rules_test_kit::gen::stage_status;
use proptest::prelude::*;

proptest! {
    #[test]
    fn any_stage_status_survives_serialize_then_parse(status in stage_status()) {
        let wire = serde_json::to_string(&status).unwrap();
        let again: StageStatus = serde_json::from_str(&wire).unwrap();
        prop_assert_eq!(&again, &status);
        prop_assert_eq!(parse_stage_status(&wire).unwrap(), status);
    }
}
