use super::*;
use crate::plugin::test_support::status;

fn delivery(target: &str, rule: u32, transition: Option<Transition>) -> Delivery {
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

fn temp(name: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!(
        "notify-rules-outbox-{name}-{}.journal",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&p);
    p
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
    o.add(&d);
    o.add(&d);
    assert_eq!(o.len(), 1);
    let (first, _, _) = o.claim(false);
    assert_eq!(first.len(), 1);
    assert!(o.claim(true).0.is_empty(), "claimed twice");
    o.failed(first[0].id, &"down".into());
    let (again, _, _) = o.claim(true);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].delivery.idempotency_key(), d.idempotency_key());
    o.delivered(again[0].id);
    assert_eq!(o.len(), 0);
    assert!(o.claim(true).0.is_empty());
}

#[test]
fn waits_grow_and_force_ignores_them() {
    let o = Outbox::in_memory(OutboxPolicy::default());
    o.add(&delivery("ops", 0, None));
    assert!(o.claim(false).0.is_empty(), "due before its first wait");
    let (c, _, _) = o.claim(true);
    o.release(c[0].id);
    assert_eq!(o.claim(true).0.len(), 1);
}

#[test]
fn permanent_failures_and_overflow_give_up() {
    let o = Outbox::in_memory(OutboxPolicy {
        capacity: 2,
        ..quick()
    });
    o.add(&delivery("a", 0, None));
    o.add(&delivery("b", 0, None));
    let (gave_up, _) = o.add(&delivery("c", 0, None));
    assert_eq!(gave_up.len(), 1);
    assert_eq!(gave_up[0].target, "a");
    let (c, _, _) = o.claim(true);
    let (g, _) = o.failed(c[0].id, &NotifyError::permanent("HTTP 404"));
    assert!(g.unwrap().reason.contains("HTTP 404"));
    o.release(c[1].id);
    assert_eq!(o.keys().len(), 1);
}

#[test]
fn the_file_keeps_entries_across_a_restart() {
    let path = temp("restart");
    let o = Outbox::open(&path, OutboxPolicy::default()).unwrap();
    let kept = delivery("ops", 4, Some(Transition::Broken));
    o.add(&kept);
    o.add(&delivery("audit", 1, None));
    let (c, _, _) = o.claim(true);
    let audit = c.iter().find(|c| c.delivery.target() == "audit").unwrap();
    o.delivered(audit.id);
    drop(o);
    let o = Outbox::open(&path, OutboxPolicy::default()).unwrap();
    assert_eq!(o.path().as_deref(), Some(path.as_path()));
    let (c, _, _) = o.claim(false);
    assert_eq!(c.len(), 1, "a restored entry is due at once");
    let back = &c[0].delivery;
    assert_eq!(back.idempotency_key(), kept.idempotency_key());
    assert_eq!(back.text(), kept.text());
    assert_eq!(back.transition(), Some(Transition::Broken));
    assert_eq!(back.rule_index(), 4);
    o.delivered(c[0].id);
    drop(o);
    let o = Outbox::open(&path, OutboxPolicy::default()).unwrap();
    assert_eq!(o.len(), 0);
    std::fs::remove_file(&path).unwrap();
}
