use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::exemplar::CounterWithExemplar;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use super::{to_classic, MetricsFormat};
use crate::plugin::Problem;
use crate::server::Metrics;
use crate::{Delivery, NotifyError};

/// Every line of `text` that starts with `start`, in order.
fn lines<'t>(text: &'t str, start: &str) -> Vec<&'t str> {
    text.lines().filter(|l| l.starts_with(start)).collect()
}

/// Our registry with something in each kind of metric it has.
fn ours() -> Metrics {
    let metrics = Metrics::new();
    let ops = metrics.observe("ops", |_: &Delivery| -> Result<(), NotifyError> { Ok(()) });
    crate::Notifier::send(
        &ops,
        &Delivery::new("ops", "x", std::sync::Arc::new(stage())),
    )
    .unwrap();
    metrics.failed_again(&[Problem::NotDelivered {
        target: "ops".into(),
        reason: "HTTP 503".into(),
        kept: true,
    }]);
    metrics.outbox_waiting(&[("ops".to_owned(), 1)]);
    metrics.request("/stage-status", 200, 0.002);
    metrics.rules_in_force(3);
    // A family with no series yet is not shown at all.
    metrics.reloaded(true);
    metrics
}

fn stage() -> crate::model::StageStatus {
    crate::protocol::parse_notification(
        r#"{"pipeline":{"name":"p","counter":"1","stage":{"name":"s","counter":"1"}}}"#,
    )
    .ok()
    .and_then(|n| match n.notification {
        crate::protocol::Notification::Stage(s) => Some(s),
        _ => None,
    })
    .expect("a stage body")
}

#[test]
fn our_registry_in_the_classic_format_names_counters_by_their_samples() {
    let metrics = ours();
    let open = metrics.encode(MetricsFormat::OpenMetrics);
    let classic = metrics.encode(MetricsFormat::Prometheus);
    assert!(open.ends_with("# EOF\n"), "{open}");
    assert!(!classic.contains("# EOF"), "{classic}");
    assert!(!classic.contains("# UNIT"), "{classic}");
    assert_eq!(
        lines(&classic, "# TYPE notify_rules_deliveries"),
        ["# TYPE notify_rules_deliveries_total counter"]
    );
    assert_eq!(
        lines(&classic, "# HELP notify_rules_deliveries"),
        ["# HELP notify_rules_deliveries_total Deliveries, by target and outcome (sent, failed, kept, suppressed, held, silenced)."]
    );
    for (name, kind) in [
        ("notify_rules_notifications_total", "counter"),
        ("notify_rules_signature_failures_total", "counter"),
        ("notify_rules_reloads_total", "counter"),
        ("notify_rules_outbox_waiting", "gauge"),
        ("notify_rules_rules", "gauge"),
        ("notify_rules_delivery_duration_seconds", "histogram"),
        ("notify_rules_request_duration_seconds", "histogram"),
    ] {
        let type_line = format!("# TYPE {name} {kind}");
        assert_eq!(
            lines(&classic, &type_line),
            [type_line.as_str()],
            "{classic}"
        );
        // Each TYPE follows the HELP of the same name.
        let at = classic.find(&type_line).unwrap();
        let before = classic[..at].lines().last().unwrap();
        assert!(before.starts_with(&format!("# HELP {name} ")), "{before}");
    }
    // The samples are the same, in the same order.
    let samples = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(samples(&open), samples(&classic));
    for line in [
        r#"notify_rules_deliveries_total{target="ops",outcome="sent"} 1"#,
        r#"notify_rules_deliveries_total{target="ops",outcome="failed"} 1"#,
        r#"notify_rules_outbox_waiting{target="ops"} 1"#,
        r#"notify_rules_outbox_waiting{target=""} 1"#,
        "notify_rules_rules 3",
    ] {
        assert_eq!(lines(&classic, line), [line], "{classic}");
    }
}

#[test]
fn exemplars_units_info_and_unknown_become_classic() {
    let mut registry = Registry::default();
    let with_exemplar = CounterWithExemplar::<Vec<(String, String)>>::default();
    with_exemplar.inc_by(2, Some(vec![("trace".into(), "a # b}".into())]), None);
    registry.register("traced", "Traced \"things\"", with_exemplar);
    let plain: Counter = Counter::default();
    registry.register_with_unit(
        "waited",
        "Time waited",
        prometheus_client::registry::Unit::Seconds,
        plain,
    );
    registry.register(
        "build",
        "The build",
        Info::new(vec![("version".to_owned(), "1.2".to_owned())]),
    );
    let mut open = String::new();
    encode(&mut open, &registry).unwrap();
    assert!(open.contains(" # {trace="), "an exemplar to drop: {open}");
    assert_eq!(
        to_classic(&open),
        "# HELP traced_total Traced \"things\".\n\
         # TYPE traced_total counter\n\
         traced_total 2\n\
         # HELP waited_seconds_total Time waited.\n\
         # TYPE waited_seconds_total counter\n\
         waited_seconds_total 0\n\
         # HELP build_info The build.\n\
         # TYPE build_info gauge\n\
         build_info{version=\"1.2\"} 1\n"
    );
}

#[test]
fn an_unknown_type_is_untyped_and_a_hash_in_a_label_stays() {
    let open = "# HELP odd Odd.\n# TYPE odd unknown\nodd{path=\"/a#b\",x=\"}\\\"#\"} 1 # {t=\"1\"} 1.0\n# EOF\n";
    assert_eq!(
        to_classic(open),
        "# HELP odd Odd.\n# TYPE odd untyped\nodd{path=\"/a#b\",x=\"}\\\"#\"} 1\n"
    );
}

#[test]
fn accept_chooses_openmetrics_only_when_asked_for_at_least_as_gladly() {
    use MetricsFormat::{OpenMetrics, Prometheus};
    for (accept, format) in [
        (None, Prometheus),
        (Some(""), Prometheus),
        (Some("*/*"), Prometheus),
        (Some("text/plain"), Prometheus),
        (Some("text/plain;version=0.0.4"), Prometheus),
        (Some("application/openmetrics-text"), OpenMetrics),
        (Some("Application/OpenMetrics-Text; version=1.0.0"), OpenMetrics),
        (
            Some("application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.9"),
            Prometheus,
        ),
        (Some("application/openmetrics-text;q=0"), Prometheus),
        (Some("text/plain;q=0.5, application/openmetrics-text"), OpenMetrics),
        // What Prometheus itself sends.
        (
            Some("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
            OpenMetrics,
        ),
    ] {
        assert_eq!(MetricsFormat::for_accept(accept), format, "{accept:?}");
    }
}
