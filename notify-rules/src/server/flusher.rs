//! The outbox tried again between requests, so that a delivery waits no
//! longer than the flush interval when no notification comes to retry it.

use std::time::Duration;

use super::routes::{current, Current};
use super::{InFlight, Metrics, MAX_WAIT};

/// Tries the outbox again every `every` while it holds deliveries.
pub(super) async fn flush_outbox(
    plugin: Current,
    every: Duration,
    in_flight: InFlight,
    metrics: Option<Metrics>,
) {
    let mut ticks = tokio::time::interval(every.min(MAX_WAIT));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate; nothing has failed yet at start.
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let guard = in_flight.enter();
        let plugin = current(&plugin);
        // A database store blocks, even to count what waits (its clients
        // must not run on the runtime's threads).
        let flushed = tokio::task::spawn_blocking(move || {
            let _guard = guard;
            (plugin.outbox_len() > 0).then(|| plugin.flush_outbox())
        })
        .await;
        if let (Ok(Some(report)), Some(metrics)) = (&flushed, &metrics) {
            // Between requests: no answer carries them.
            metrics.failed_again(&report.failed);
            metrics.not_delivered(&report.given_up);
        }
        match flushed {
            Ok(None) => {}
            Ok(Some(report)) if report.failed.is_empty() && report.given_up.is_empty() => {
                tracing::info!(
                    delivered = report.delivered,
                    waiting = report.pending,
                    "outbox tried again"
                );
            }
            Ok(Some(report)) => tracing::warn!(report = %report, "outbox tried again"),
            Err(e) => tracing::error!(error = %e, "the outbox flush failed"),
        }
    }
}
