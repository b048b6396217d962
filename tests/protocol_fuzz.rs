//! Mutated payloads and random bytes given to every reader: each answer is a
//! value or an error, never a panic, and whatever is accepted round-trips.

use notify_rules::model::{AgentStatus, StageStatus};
use notify_rules::protocol::{
    parse_agent_status, parse_notification, parse_stage_status, Notification,
};
use notify_rules::PluginResponse;
use proptest::collection::vec;
use proptest::prelude::*;

fn payloads() -> Vec<Vec<u8>> {
    notify_rules_test_kit::payloads()
        .into_iter()
        .map(|(_, text)| text.into_bytes())
        .collect()
}

#[derive(Debug, Clone)]
enum Edit {
    Set(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Truncate(usize),
}

/// Bytes that matter to JSON, and any byte at all.
fn byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        proptest::sample::select(b"{}[]\":,\\-0123456789.eEtrufalsn \n\x00\xff".to_vec()),
        any::<u8>(),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), byte()).prop_map(|(i, b)| Edit::Set(i, b)),
        (any::<usize>(), byte()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Remove),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = bytes.len();
        match *e {
            Edit::Set(i, b) if len > 0 => bytes[i % len] = b,
            Edit::Insert(i, b) => bytes.insert(i % (len + 1), b),
            Edit::Remove(i) if len > 0 => {
                bytes.remove(i % len);
            }
            Edit::Truncate(i) => bytes.truncate(i % (len + 1)),
            _ => {}
        }
    }
    bytes
}

/// Runs every reader; anything accepted must survive serialize-then-parse, and
/// an error must make a well-formed 400 answer.
fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    let body = String::from_utf8_lossy(bytes);
    match parse_stage_status(&body) {
        Ok(s) => {
            let again: StageStatus =
                serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
            prop_assert_eq!(again, s);
        }
        Err(e) => {
            let answer = PluginResponse::bad_request(&e);
            prop_assert_eq!(answer.code, 400);
            let v: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
            prop_assert_eq!(&v["messages"][0], &serde_json::Value::String(e.to_string()));
        }
    }
    if let Ok(a) = parse_agent_status(&body) {
        let again: AgentStatus = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        prop_assert_eq!(again, a);
    }
    if let Ok(r) = parse_notification(&body) {
        match r.notification {
            Notification::Stage(s) => {
                let again: StageStatus =
                    serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
                prop_assert_eq!(again, s);
            }
            Notification::Agent(a) => {
                let again: AgentStatus =
                    serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
                prop_assert_eq!(again, a);
            }
            Notification::EmptyAgent => {}
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn mutated_payloads_never_panic(pick in any::<usize>(), edits in vec(edit(), 1..8)) {
        let all = payloads();
        let original = all[pick % all.len()].clone();
        check(&apply(original, &edits))?;
    }

    #[test]
    fn random_bytes_never_panic(bytes in vec(any::<u8>(), 0..512)) {
        check(&bytes)?;
    }

    #[test]
    fn random_json_like_bytes_never_panic(bytes in vec(byte(), 0..256)) {
        check(&bytes)?;
    }
}
