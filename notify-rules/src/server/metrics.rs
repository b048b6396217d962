//! What `GET /metrics` shows, in the Prometheus text format (or
//! OpenMetrics, see [`MetricsFormat`]): notifications and deliveries counted
//! by outcome, what waits in the outbox per target, delivery and request
//! times.
//!
//! Every label takes few values, so that series cannot grow with traffic:
//! notification kinds and outcomes, the configured targets, the server's
//! paths and the statuses it answers. Never a pipeline name.
//!
//! ```
//! use notify_rules::server::{Metrics, MetricsFormat};
//! use notify_rules::{Delivery, Notifier, NotifyError};
//!
//! let metrics = Metrics::new();
//! let ops = metrics.observe("ops", |_: &Delivery| -> Result<(), NotifyError> { Ok(()) });
//! # let _ = ops;
//! metrics.outbox_waiting(&[("ops".to_owned(), 2)]);
//! let text = metrics.encode(MetricsFormat::Prometheus);
//! assert!(text.contains("# TYPE notify_rules_deliveries_total counter\n"));
//! assert!(text.contains(r#"notify_rules_deliveries_total{target="ops",outcome="sent"} 0"#));
//! assert!(text.contains(r#"notify_rules_outbox_waiting{target="ops"} 2"#));
//! assert!(text.contains(r#"notify_rules_outbox_waiting{target=""} 2"#));
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

use super::exposition::{self, MetricsFormat};
use crate::deliver::Context;
use crate::plugin::{Answer, Problem};
use crate::util::lock;
use crate::{Delivery, Notifier, NotifyError};

/// The outcomes of a notification, as `notify_rules_notifications_total`
/// counts them: every delivery made (`ok`), some not (`failed`), the state
/// store could not keep it (`unavailable`), not read or not signed
/// (`refused`), or no answer within the request's time (`timeout`).
pub(crate) const NOTIFICATION_OUTCOMES: [&str; 5] =
    ["ok", "failed", "unavailable", "refused", "timeout"];

/// The outcomes of a delivery (`config.md`): `sent`; waiting in the outbox
/// after its first tries (`kept`); given up, or failed again when tried
/// from the outbox (`failed`); `suppressed`, `held` and `silenced` are
/// counted by the rules that make them. A held message counts once, `held`;
/// the digest that later carries it is a delivery of its own and counts once
/// too (`sent`, ...), and a held message a silence leaves out of its digest
/// counts `silenced` then (docs/time.md, "Metrics").
const DELIVERY_OUTCOMES: [&str; 6] = ["sent", "failed", "kept", "suppressed", "held", "silenced"];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NotificationLabels {
    kind: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    target: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TargetLabel {
    target: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    path: &'static str,
    status: u16,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// From 1 ms to about 33 s, doubling: a console line to a slow webhook
/// retried within its time limit.
fn delivery_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// From 100 µs to about 13 s, doubling: a refusal to a request that waits
/// for its deliveries.
fn request_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 18))
}

struct Inner {
    registry: Registry,
    notifications: Family<NotificationLabels, Counter>,
    deliveries: Family<DeliveryLabels, Counter>,
    delivery_seconds: Histograms<TargetLabel>,
    outbox_waiting: Family<TargetLabel, Gauge>,
    /// The targets `outbox_waiting` shows, each at 0 when nothing waits
    /// for it: the configured ones, and any met in the outbox.
    outbox_targets: Mutex<BTreeSet<String>>,
    signature_failures: Family<ReasonLabel, Counter>,
    requests: Histograms<RequestLabels>,
    rules: Gauge,
    reloads: Family<ReasonLabel, Counter>,
}

/// The server's metrics: one registry, shared by the routes and by the
/// notifiers it wraps ([`Metrics::observe`]). Cloning shares it.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// A registry with every metric at zero.
    pub fn new() -> Metrics {
        let notifications = Family::<NotificationLabels, Counter>::default();
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        let delivery_seconds: Histograms<TargetLabel> =
            Family::new_with_constructor(delivery_histogram);
        let outbox_waiting = Family::<TargetLabel, Gauge>::default();
        let signature_failures = Family::<ReasonLabel, Counter>::default();
        let requests: Histograms<RequestLabels> = Family::new_with_constructor(request_histogram);
        let rules = Gauge::default();
        let reloads = Family::<ReasonLabel, Counter>::default();

        let mut registry = Registry::with_prefix("notify_rules");
        registry.register(
            "notifications",
            "Notifications received, by kind (stage-status, agent-status, unknown) and outcome",
            notifications.clone(),
        );
        registry.register(
            "deliveries",
            "Deliveries, by target and outcome (sent, failed, kept, suppressed, held, silenced)",
            deliveries.clone(),
        );
        registry.register_with_unit(
            "delivery_duration",
            "Time of each try to send a delivery, by target",
            Unit::Seconds,
            delivery_seconds.clone(),
        );
        registry.register(
            "outbox_waiting",
            "Deliveries waiting in the outbox (target \"\": all targets)",
            outbox_waiting.clone(),
        );
        registry.register(
            "signature_failures",
            "Requests refused for their signature, by reason (missing, wrong)",
            signature_failures.clone(),
        );
        registry.register_with_unit(
            "request_duration",
            "Time to answer a request, by path and status",
            Unit::Seconds,
            requests.clone(),
        );
        registry.register("rules", "Rules in force", rules.clone());
        registry.register(
            "reloads",
            "Reloads asked for with SIGHUP, by outcome (done, refused)",
            reloads.clone(),
        );
        for kind in ["stage-status", "agent-status"] {
            for outcome in NOTIFICATION_OUTCOMES {
                notifications.get_or_create_owned(&NotificationLabels { kind, outcome });
            }
        }
        for reason in ["missing", "wrong"] {
            signature_failures.get_or_create_owned(&ReasonLabel { reason });
        }
        outbox_waiting.get_or_create_owned(&TargetLabel {
            target: String::new(),
        });
        Metrics(Arc::new(Inner {
            registry,
            notifications,
            deliveries,
            delivery_seconds,
            outbox_waiting,
            outbox_targets: Mutex::default(),
            signature_failures,
            requests,
            rules,
            reloads,
        }))
    }

    /// `notifier`, its sends counted as `sent` for `target` and timed. Every
    /// outcome of the target shows from the start, at 0, so that an alert
    /// on a rate has a series to look at; so does what waits for it.
    pub fn observe(&self, target: &str, notifier: impl Notifier + 'static) -> impl Notifier {
        self.waiting_for(target);
        for outcome in DELIVERY_OUTCOMES {
            self.0.deliveries.get_or_create_owned(&DeliveryLabels {
                target: target.to_owned(),
                outcome,
            });
        }
        Observed {
            sent: self.0.deliveries.get_or_create_owned(&DeliveryLabels {
                target: target.to_owned(),
                outcome: "sent",
            }),
            seconds: self.0.delivery_seconds.get_or_create_owned(&TargetLabel {
                target: target.to_owned(),
            }),
            notifier,
        }
    }

    /// The text `GET /metrics` answers by default (the classic Prometheus
    /// format), with `outbox_waiting` deliveries in the outbox in all (what
    /// waits per target is left as [`outbox_waiting`](Self::outbox_waiting)
    /// last said).
    pub fn render(&self, outbox_waiting: usize) -> String {
        gauge(&self.0.outbox_waiting, "").set(count(outbox_waiting));
        self.encode(MetricsFormat::Prometheus)
    }

    /// Says what waits in the outbox, per target (as
    /// [`Plugin::outbox_by_target`](crate::Plugin::outbox_by_target) counts
    /// it): each target listed, every other one shown so far at 0, and
    /// their sum as `target=""`.
    pub fn outbox_waiting(&self, by_target: &[(String, usize)]) {
        let mut targets = lock(&self.0.outbox_targets);
        for (target, _) in by_target {
            if !targets.contains(target) {
                targets.insert(target.clone());
            }
        }
        for target in targets.iter() {
            let n = by_target
                .iter()
                .find(|(t, _)| t == target)
                .map_or(0, |(_, n)| *n);
            gauge(&self.0.outbox_waiting, target).set(count(n));
        }
        let total = by_target.iter().map(|(_, n)| n).sum();
        gauge(&self.0.outbox_waiting, "").set(count(total));
    }

    /// Every metric, as text in `format`.
    pub fn encode(&self, format: MetricsFormat) -> String {
        let mut text = String::new();
        // Writing to a String does not fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.0.registry);
        match format {
            MetricsFormat::OpenMetrics => text,
            MetricsFormat::Prometheus => exposition::to_classic(&text),
        }
    }

    /// `target`'s series of `outbox_waiting`, at 0 until counted.
    fn waiting_for(&self, target: &str) {
        if lock(&self.0.outbox_targets).insert(target.to_owned()) {
            gauge(&self.0.outbox_waiting, target);
        }
    }

    /// Says how many rules are in force.
    pub fn rules_in_force(&self, n: usize) {
        self.0.rules.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    /// Counts a reload: `done`, or `refused` for an error in the files.
    pub fn reloaded(&self, done: bool) {
        let reason = if done { "done" } else { "refused" };
        self.0.reloads.get_or_create(&ReasonLabel { reason }).inc();
    }

    pub(crate) fn notification(&self, kind: &'static str, outcome: &'static str) {
        self.0
            .notifications
            .get_or_create(&NotificationLabels { kind, outcome })
            .inc();
    }

    /// Counts the deliveries an answer says did not go out: kept in the
    /// outbox, or given up.
    pub(crate) fn problems(&self, answer: &Answer) {
        self.not_delivered(&answer.problems);
    }

    /// Counts deliveries that did not go out, from an answer or from a
    /// flush of the outbox between requests.
    pub(crate) fn not_delivered(&self, problems: &[Problem]) {
        for problem in problems {
            let (target, outcome) = match problem {
                Problem::NotDelivered {
                    target, kept: true, ..
                } => (target, "kept"),
                Problem::NotDelivered { target, .. }
                | Problem::GaveUp { target, .. }
                | Problem::NoNotifier { target } => (target, "failed"),
                Problem::Store(_) | Problem::Unavailable(_) => continue,
            };
            self.0
                .deliveries
                .get_or_create(&DeliveryLabels {
                    target: target.clone(),
                    outcome,
                })
                .inc();
        }
    }

    /// Counts as `failed` each delivery that failed again when the outbox
    /// tried it (it still waits): in a request, a scheduler's tick or a
    /// flush. A store's error, with no target, is not a delivery.
    pub(crate) fn failed_again(&self, problems: &[Problem]) {
        for target in problems.iter().filter_map(Problem::target) {
            self.0
                .deliveries
                .get_or_create(&DeliveryLabels {
                    target: target.to_owned(),
                    outcome: "failed",
                })
                .inc();
        }
    }

    /// Counts a delivery withheld by the rules' time forms or a silence
    /// (`suppressed`, `held`, `silenced`).
    pub(crate) fn withheld(&self, target: &str, why: crate::plugin::Withheld) {
        self.0
            .deliveries
            .get_or_create(&DeliveryLabels {
                target: target.to_owned(),
                outcome: why.as_str(),
            })
            .inc();
    }

    pub(crate) fn signature_failure(&self, missing: bool) {
        let reason = if missing { "missing" } else { "wrong" };
        self.0
            .signature_failures
            .get_or_create(&ReasonLabel { reason })
            .inc();
    }

    pub(crate) fn request(&self, path: &'static str, status: u16, seconds: f64) {
        self.0
            .requests
            .get_or_create(&RequestLabels { path, status })
            .observe(seconds);
    }
}

/// The series of `family` for `target`, made when missing.
fn gauge(family: &Family<TargetLabel, Gauge>, target: &str) -> Gauge {
    family.get_or_create_owned(&TargetLabel {
        target: target.to_owned(),
    })
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A notifier whose successful sends are counted and every try timed.
struct Observed<N> {
    sent: Counter,
    seconds: Histogram,
    notifier: N,
}

impl<N: Notifier> Observed<N> {
    fn observed(&self, send: impl FnOnce() -> Result<(), NotifyError>) -> Result<(), NotifyError> {
        let started = Instant::now();
        let sent = send();
        self.seconds.observe(started.elapsed().as_secs_f64());
        if sent.is_ok() {
            self.sent.inc();
        }
        sent
    }
}

impl<N: Notifier> Notifier for Observed<N> {
    fn send(&self, delivery: &Delivery) -> Result<(), NotifyError> {
        self.observed(|| self.notifier.send(delivery))
    }

    fn send_with(&self, delivery: &Delivery, context: &Context<'_>) -> Result<(), NotifyError> {
        self.observed(|| self.notifier.send_with(delivery, context))
    }
}
