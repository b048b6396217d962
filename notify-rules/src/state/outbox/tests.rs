use super::*;
use crate::plugin::test_support::status;
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
    let Begun { id, gave_up } = o.begin(d);
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
    assert!(g[0].reason.contains("HTTP 404"));
    o.release(c[1].id);
    assert_eq!(o.keys().len(), 1);
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
