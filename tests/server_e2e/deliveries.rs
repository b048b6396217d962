//! Every payload on every path it fits, the deliveries it makes, and what the
//! server answers when one fails.

use super::*;

#[test]
fn every_payload_raw_and_wrapped_on_every_path_it_fits() {
    for (name, body, kind) in payloads() {
        // One server per form, so the plugin's repeat detection does not hide
        // the second form's deliveries.
        let raw_root = start(options());
        let (code, answer) = raw_root.post("/", &body, &[]);
        assert_eq!((code, answer.as_str()), (200, SUCCESS), "{name} on /");

        let by_path = start(options());
        let (code, answer) = by_path.post(&format!("/{kind}-status"), &body, &[]);
        assert_eq!(
            (code, answer.as_str()),
            (200, SUCCESS),
            "{name} on /{kind}-status"
        );
        assert_eq!(
            by_path.deliveries(),
            raw_root.deliveries(),
            "{name}: / and /{kind}-status differ"
        );

        if !is_wrapped(&body) {
            let wrapped = start(options());
            let (code, answer) = wrapped.post("/", wrap(kind, &body), &[]);
            assert_eq!(
                (code, answer.as_str()),
                (200, SUCCESS),
                "{name} wrapped on /"
            );
            assert_eq!(
                wrapped.deliveries(),
                raw_root.deliveries(),
                "{name}: raw and wrapped differ"
            );
        }
        if kind == "agent" {
            // An agent body makes the agent rules' deliveries alone (none
            // for the forwarder's empty ones, which name no agent); an
            // agent first heard of as lost is `lost`.
            let expected: &[&str] = match name.as_str() {
                "own-wrapped-agent-empty.json" => &[],
                "agent-lost-contact.json" => &[
                    "audit: agent build-agent-07 LostContact",
                    "ops: build-agent-07 lost contact",
                ],
                "own-agent-nested-lowercase.json" => &[
                    "audit: agent build-agent-04 LostContact",
                    "ops: build-agent-04 lost contact",
                ],
                "own-agent-unknown-enums.json" => &["audit: agent elastic-k8s-17 Hibernating"],
                "own-wrapped-agent.json" => &["audit: agent mac-mini-3 Building"],
                other => panic!("{other}: a new agent payload; say what it makes"),
            };
            assert_eq!(raw_root.deliveries(), expected, "{name}");
        }
    }
}

#[test]
fn deliveries_are_the_rules_and_a_repeat_makes_none() {
    let h = start(options());
    let body = payload("v4-deploy-failed.json");
    assert_eq!(h.post("/", &body, &[]), (200, SUCCESS.to_owned()));
    assert_eq!(
        h.deliveries(),
        [
            "audit: deploy-app deploy Failed",
            "ops: deploy-app/deploy failed"
        ]
    );
    // A forwarder's retry: answered success, delivered nothing again.
    assert_eq!(
        h.post("/stage-status", wrap("stage", &body), &[]),
        (200, SUCCESS.to_owned())
    );
    assert_eq!(h.deliveries().len(), 2);
}

#[test]
fn a_failed_delivery_answers_502_with_the_plugin_body() {
    let h = start(options());
    let body = payload("v4-deploy-failed.json");
    let body = body.replacen("\"deploy-app\"", "\"fail-me\"", 1);
    let (code, answer) = h.post("/", &body, &[]);
    assert_eq!(code, 502, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["status"], "failure");
    let messages = answer["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{answer}");
    let message = messages[0].as_str().unwrap();
    assert!(
        message.contains("broken") && message.contains("receiver down"),
        "{message}"
    );
    // The other targets still got theirs.
    assert_eq!(
        h.deliveries(),
        ["audit: fail-me deploy Failed", "ops: fail-me/deploy failed"]
    );
}

#[test]
fn interested_in_lists_stage_status_and_agent_status_for_agent_rules() {
    let h = start(options());
    let (code, answer) = h.post("/notifications-interested-in", "", &[]);
    assert_eq!(
        (code, answer.as_str()),
        (200, r#"{"notifications":["stage-status","agent-status"]}"#)
    );
}
