//! Large rule sets go through an index by exact pipeline name; it must choose
//! what trying every rule in order chooses (`explain` does that), in any case,
//! with globs, regexes and `stop` among the indexed rules. And what evaluation
//! hands back: deliveries that borrow the notification, can be made to outlive
//! it, and share one message among the targets that get the same text.

use std::sync::Arc;

use notify_rules::model::{StageResult, StageState, StageStatus};
use notify_rules::{rules_file, Delivery, Outcome, RuleSet};
use notify_rules_test_kit::stage;

const SOURCE: &str = include_str!("rules/index.rules");

fn sets() -> [(&'static str, RuleSet); 2] {
    [
        ("compiled", rules_file!("tests/rules/index.rules")),
        ("loaded", RuleSet::parse(SOURCE).unwrap()),
    ]
}

fn status(name: &str, stage_name: &str, state: StageState) -> StageStatus {
    let mut s = stage("v4-deploy-failed.json");
    s.pipeline.name = name.to_owned();
    s.pipeline.stage.name = stage_name.to_owned();
    s.pipeline.stage.result = match state {
        StageState::Passed => StageResult::Passed,
        StageState::Failed => StageResult::Failed,
        StageState::Cancelled => StageResult::Cancelled,
        _ => StageResult::Unknown,
    };
    s.pipeline.stage.state = state;
    s
}

/// Notifications on indexed names in several cases, names no rule keys, and
/// names that globs and regexes match.
fn notifications() -> Vec<StageStatus> {
    let names = [
        "Shop-API",
        "shop-api",
        "SHOP-API",
        "shop-web",
        "docs",
        "DOCS",
        "deploy-app",
        "Deploy-App",
        "halt",
        "HALT",
        "svc-05",
        "SVC-29",
        "svc-30",
        "svc-0",
        "other",
        "",
    ];
    let mut out = Vec::new();
    for name in names {
        for stage_name in ["deploy", "build", "test"] {
            for state in [
                StageState::Failed,
                StageState::Passed,
                StageState::Cancelled,
            ] {
                out.push(status(name, stage_name, state));
            }
        }
    }
    out
}

#[test]
fn the_index_picks_what_trying_every_rule_in_order_picks() {
    // Rule k is the k-th line that starts with `on`; those that only stop
    // deliver nothing.
    let sends: Vec<bool> = SOURCE
        .lines()
        .filter(|l| l.starts_with("on "))
        .map(|l| l.contains("send("))
        .collect();
    assert!(sends.len() >= 32, "large enough to be indexed");
    let [(_, compiled), (_, loaded)] = sets();
    for s in notifications() {
        let linear: Vec<usize> = loaded
            .explain(&s)
            .unwrap()
            .into_iter()
            .filter(|e| matches!(e.outcome, Outcome::Matched { .. }) && sends[e.index])
            .map(|e| e.index)
            .collect();
        let c = compiled.evaluate(&s);
        let l = loaded.evaluate(&s);
        let rules = |made: &[Delivery<'_>]| {
            let mut ids: Vec<usize> = made.iter().map(Delivery::rule_index).collect();
            ids.dedup();
            ids
        };
        let name = &s.pipeline.name;
        assert_eq!(rules(&c), linear, "compiled, {name:?}");
        assert_eq!(rules(&l), linear, "loaded, {name:?}");
        assert_eq!(c, l, "{name:?}");
    }
}

#[test]
fn indexed_names_match_without_regard_to_case_and_keep_rule_order() {
    for (engine, rules) in sets() {
        let s = status("SHOP-API", "deploy", StageState::Failed);
        let deliveries = rules.evaluate(&s);
        let made: Vec<(usize, &str, String)> = deliveries
            .iter()
            .map(|d| (d.rule_index(), d.target(), d.text().to_owned()))
            .collect();
        let want = [
            (0, "ops", "SHOP-API #42".to_owned()),
            (1, "qa", "glob SHOP-API".to_owned()),
            (2, "audit", "SHOP-API Failed".to_owned()),
            (3, "qa", "SHOP-API #42: stage deploy #1 Failed".to_owned()),
            (8, "audit", "after halt".to_owned()),
            (
                9,
                "audit",
                "SHOP-API #42: stage deploy #1 Failed".to_owned(),
            ),
            (43, "ops", "SHOP-API #42".to_owned()),
        ];
        assert_eq!(made, want, "{engine}");
        // `halt` stops before the rule it shares with `shop-api`.
        let halting = status("Halt", "test", StageState::Passed);
        let halt = rules.evaluate(&halting);
        assert!(halt.is_empty(), "{engine}: {halt:?}");
    }
}

#[test]
fn a_delivery_borrows_its_notification_and_can_be_made_to_outlive_it() {
    for (engine, rules) in sets() {
        let kept: Vec<Delivery<'static>> = {
            let s = status("svc-05", "deploy", StageState::Failed);
            let made = rules.evaluate(&s);
            assert!(made.iter().all(|d| d.is_borrowed()), "{engine}");
            assert!(
                made.iter().all(|d| std::ptr::eq(d.status().unwrap(), &s)),
                "{engine}"
            );
            made.into_iter().map(Delivery::into_owned).collect()
        };
        let texts: Vec<&str> = kept.iter().map(Delivery::text).collect();
        assert_eq!(
            texts,
            [
                "svc-05 #42: stage deploy #1 Failed",
                "svc svc-05",
                "svc-05 failed",
                "svc-05 #42"
            ],
            "{engine}"
        );
        assert!(kept.iter().all(|d| !d.is_borrowed()));
        assert!(kept
            .iter()
            .all(|d| d.status().unwrap().pipeline.name == "svc-05"));
        assert_eq!(
            kept[1].idempotency_key(),
            "svc-05/42/deploy/1/Failed/r15a0/ops"
        );
    }
}

#[test]
fn shared_notifications_are_shared_not_copied() {
    for (engine, rules) in sets() {
        let s = Arc::new(status("deploy-app", "deploy", StageState::Failed));
        let made: Vec<Delivery<'static>> = rules.evaluate_shared(&s, None, None);
        assert_eq!(made.len(), 4, "{engine}: {made:?}");
        assert!(
            made.iter().all(|d| std::ptr::eq(d.status().unwrap(), &*s)),
            "{engine}"
        );
        assert_eq!(Arc::strong_count(&s), 1 + made.len());
    }
}

#[test]
fn one_message_for_several_targets_is_rendered_once() {
    for (engine, rules) in sets() {
        let s = status("deploy-app", "deploy", StageState::Failed);
        let made = rules.evaluate(&s);
        let same: Vec<&Delivery<'_>> = made
            .iter()
            .filter(|d| d.text() == "deploy-app #42")
            .collect();
        // Rules 5, 6 and 43 use the same template, for two targets.
        assert_eq!(same.len(), 3, "{engine}: {made:?}");
        assert_eq!(same[1].target(), "qa");
        for d in &same[1..] {
            assert!(
                std::ptr::eq(d.text().as_ptr(), same[0].text().as_ptr()),
                "{engine}: one message, not three"
            );
        }
    }
}
