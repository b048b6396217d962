use super::*;
use crate::plugin::test_support::{status, temp_file};
use crate::rules::Transition;
use std::sync::Arc;

fn delivery(target: &str, rule: u32, transition: Option<Transition>) -> Delivery<'static> {
    let s = status("shop", 3, "deploy", 1, "Failed");
    Delivery::restored(
        target.to_owned(),
        format!("to {target}"),
        Arc::new(s),
        transition,
        rule,
        1,
    )
}

/// Writes a delivery ahead, as a fresh one is, and fails its first try: what
/// a delivery whose target is down leaves behind.
fn park(o: &Outbox, d: &Delivery<'static>) -> Vec<GaveUp> {
    let Begun { id, gave_up, io } = o.begin(d);
    assert!(io.is_none(), "{io:?}");
    if let Some(id) = id {
        o.failed(id, &"down".into());
    }
    gave_up
}

fn quick() -> OutboxPolicy {
    OutboxPolicy {
        first_retry_after: Duration::ZERO,
        ..OutboxPolicy::default()
    }
}

#[test]
fn claims_are_exclusive_and_deliveries_leave() {
    let o = Outbox::in_memory(quick());
    let d = delivery("ops", 2, None);
    park(&o, &d);
    park(&o, &d);
    assert_eq!(o.len(), 1);
    let first = o.claim(false, usize::MAX).claimed;
    assert_eq!(first.len(), 1);
    assert!(
        o.claim(true, usize::MAX).claimed.is_empty(),
        "claimed twice"
    );
    o.failed(first[0].id, &"down".into());
    let again = o.claim(true, usize::MAX).claimed;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].delivery.idempotency_key(), d.idempotency_key());
    o.delivered(again[0].id);
    assert_eq!(o.len(), 0);
    assert!(o.claim(true, usize::MAX).claimed.is_empty());
}

#[test]
fn waits_grow_and_force_ignores_them() {
    let o = Outbox::in_memory(OutboxPolicy::default());
    park(&o, &delivery("ops", 0, None));
    assert!(
        o.claim(false, usize::MAX).claimed.is_empty(),
        "due before its first wait"
    );
    let c = o.claim(true, usize::MAX).claimed;
    o.release(c[0].id);
    assert_eq!(o.claim(true, usize::MAX).claimed.len(), 1);
}

#[test]
fn permanent_failures_and_overflow_give_up() {
    let o = Outbox::in_memory(OutboxPolicy {
        capacity: 2,
        ..quick()
    });
    park(&o, &delivery("a", 0, None));
    park(&o, &delivery("b", 0, None));
    let gave_up = park(&o, &delivery("c", 0, None));
    assert_eq!(gave_up.len(), 1);
    assert_eq!(gave_up[0].target, "a");
    let c = o.claim(true, usize::MAX).claimed;
    let g = o.failed(c[0].id, &NotifyError::permanent("HTTP 404"));
    assert!(g.gave_up[0].reason.contains("HTTP 404"));
    o.release(c[1].id);
    assert_eq!(o.keys().len(), 1);
}

#[test]
fn the_file_keeps_entries_across_a_restart() {
    let (_dir, path) = temp_file("restart");
    let o = Outbox::open(&path, OutboxPolicy::default()).unwrap();
    let kept = delivery("ops", 4, Some(Transition::Broken));
    park(&o, &kept);
    park(&o, &delivery("audit", 1, None));
    let c = o.claim(true, usize::MAX).claimed;
    let audit = c.iter().find(|c| c.delivery.target() == "audit").unwrap();
    o.delivered(audit.id);
    drop(o);
    let o = Outbox::open(&path, OutboxPolicy::default()).unwrap();
    assert_eq!(o.path().as_deref(), Some(path.as_path()));
    assert!(
        o.claim(false, usize::MAX).claimed.is_empty(),
        "a restored entry keeps its wait"
    );
    let c = o.claim(true, usize::MAX).claimed;
    assert_eq!(c.len(), 1);
    let back = &c[0].delivery;
    assert_eq!(back.idempotency_key(), kept.idempotency_key());
    assert_eq!(back.text(), kept.text());
    assert_eq!(back.transition(), Some(Transition::Broken));
    assert_eq!(back.rule_index(), 4);
    o.delivered(c[0].id);
    drop(o);
    let o = Outbox::open(&path, OutboxPolicy::default()).unwrap();
    assert_eq!(o.len(), 0);
}

#[test]
fn a_fresh_delivery_is_kept_once_and_a_cut_short_try_is_due_after_a_restart() {
    let (_dir, path) = temp_file("ahead");
    let o = Outbox::open(&path, OutboxPolicy::default()).unwrap();
    let d = delivery("ops", 1, None);
    let Begun { id, io, .. } = o.begin(&d);
    assert!(id.is_some() && io.is_none());
    // Being sent: the same key is not begun a second time.
    assert_eq!(o.begin(&d).id, None);
    assert_eq!(o.len(), 1);
    // A crash before the send finished: the entry is due at once.
    drop(o);
    let o = Outbox::open(&path, OutboxPolicy::default()).unwrap();
    let c = o.claim(false, usize::MAX).claimed;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].delivery.idempotency_key(), d.idempotency_key());
}

#[test]
fn the_wait_and_the_order_survive_a_restart() {
    let (_dir, path) = temp_file("wait");
    let policy = OutboxPolicy {
        first_retry_after: Duration::from_secs(3600),
        ..OutboxPolicy::default()
    };
    let o = Outbox::open(&path, policy).unwrap();
    let (a, b) = (delivery("ops", 1, None), delivery("ops", 2, None));
    park(&o, &a);
    park(&o, &b);
    // A second failure of the older one rewrites its line: it stays first.
    let c = o.claim(true, 1).claimed;
    assert_eq!(c[0].delivery.idempotency_key(), a.idempotency_key());
    o.failed(c[0].id, &"down".into());
    drop(o);
    let o = Outbox::open(&path, policy).unwrap();
    assert!(
        o.claim(false, usize::MAX).claimed.is_empty(),
        "backoff forgotten"
    );
    assert_eq!(o.keys(), [a.idempotency_key(), b.idempotency_key()]);
}

#[test]
fn claims_are_bounded_per_target_oldest_first() {
    let o = Outbox::in_memory(quick());
    let ops: Vec<Delivery> = (0..3).map(|r| delivery("ops", r, None)).collect();
    for d in &ops {
        park(&o, d);
    }
    park(&o, &delivery("audit", 0, None));
    let c = o.claim(false, 2).claimed;
    let keys: Vec<String> = c.iter().map(|c| c.delivery.idempotency_key()).collect();
    assert_eq!(
        keys,
        [
            ops[0].idempotency_key(),
            ops[1].idempotency_key(),
            delivery("audit", 0, None).idempotency_key()
        ]
    );
    let rest = o.claim(false, 2).claimed;
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].delivery.idempotency_key(), ops[2].idempotency_key());
}

#[test]
fn the_file_keeps_no_material_credentials_and_restores_the_same_delivery() {
    let (_dir, path) = temp_file("credentials");
    let mut s = status("shop", 3, "deploy", 1, "Failed");
    s.pipeline.build_cause = vec![serde_json::from_str(
        r#"{"material":{"type":"git","git-configuration":
            {"url":"https://deploy:hunter2@git.example.org/x.git?private_token=glpat123"}},
            "changed":true,"modifications":[{"revision":"abc123","data":
            {"url":"https://bob:s3cr3tpw@git.example.org/y"}}]}"#,
    )
    .unwrap()];
    let d = Delivery::restored(
        "ops".to_owned(),
        "Deploy of shop failed at https://git.example.org/x.git".to_owned(),
        Arc::new(s),
        Some(Transition::Broken),
        2,
        1,
    );
    let o = Outbox::open(&path, quick()).unwrap();
    park(&o, &d);
    drop(o);
    let text = std::fs::read_to_string(&path).unwrap();
    for secret in ["hunter2", "glpat123", "s3cr3tpw", "deploy:", "bob:"] {
        assert!(!text.contains(secret), "`{secret}` in the file: {text}");
    }
    let o = Outbox::open(&path, quick()).unwrap();
    let claimed = o.claim(true, usize::MAX).claimed;
    assert_eq!(claimed.len(), 1);
    let back = &claimed[0].delivery;
    assert_eq!(back.idempotency_key(), d.idempotency_key());
    assert_eq!(back.text(), d.text());
    assert_eq!(back.transition(), d.transition());
    assert_eq!(back.status().pipeline.name, "shop");
    drop(o);
}

#[test]
fn waits_past_what_an_instant_holds_do_not_panic() {
    let (_dir, path) = temp_file("endless");
    let endless = OutboxPolicy {
        first_retry_after: Duration::MAX,
        max_retry_after: Duration::MAX,
        max_age: Duration::MAX,
        capacity: usize::MAX,
    };
    let o = Outbox::open(&path, endless).unwrap();
    park(&o, &delivery("ops", 0, None));
    assert!(o.claim(false, usize::MAX).claimed.is_empty(), "due at once");
    let c = o.claim(true, usize::MAX).claimed;
    assert_eq!(c.len(), 1);
    o.failed(c[0].id, &"down again".into());
    drop(o);
    let o = Outbox::open(&path, endless).unwrap();
    assert_eq!(o.len(), 1);
    assert!(
        o.claim(false, usize::MAX).claimed.is_empty(),
        "due after a restart"
    );
    drop(o);
}

#[test]
fn a_file_saying_next_try_at_the_end_of_time_opens() {
    let (_dir, path) = temp_file("far-next");
    let o = Outbox::open(&path, quick()).unwrap();
    park(&o, &delivery("ops", 0, None));
    drop(o);
    let text = std::fs::read_to_string(&path).unwrap();
    let far = format!("\"next\":{}", u64::MAX);
    let edited = regex::Regex::new(r#""next":\d+"#)
        .unwrap()
        .replace_all(&text, far.as_str())
        .into_owned();
    assert!(edited.contains(&far), "{edited}");
    std::fs::write(&path, edited).unwrap();
    let o = Outbox::open(&path, quick()).unwrap();
    assert_eq!(o.len(), 1);
    assert!(o.claim(false, usize::MAX).claimed.is_empty(), "due at once");
    assert_eq!(o.claim(true, usize::MAX).claimed.len(), 1);
    drop(o);
}
