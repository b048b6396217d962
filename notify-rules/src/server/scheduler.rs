//! The scheduler: every second, the reminders and digests due on the
//! plugin's clock are written to the outbox and sent
//! ([`Plugin::send_due`]). A tick with nothing due is a read through the
//! due-time indexes (see `benches/scheduler.rs`).

use std::time::Duration;

use super::routes::{current, Current};
use super::{InFlight, Metrics};

/// How often due reminders and digests are looked for: a reminder or a
/// digest goes out within this of its time.
pub(crate) const TICK: Duration = Duration::from_secs(1);

/// Sends what is due, every `every`, until aborted. What does not go out
/// is counted as a notification's deliveries are (`kept`, `failed`): no
/// answer carries it; what is sent is counted by the wrapped notifiers.
pub(super) async fn send_due(
    plugin: Current,
    every: Duration,
    in_flight: InFlight,
    metrics: Option<Metrics>,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let guard = in_flight.enter();
        let plugin = current(&plugin);
        // The stores block (their clients must not run on the runtime's
        // threads).
        let sent = tokio::task::spawn_blocking(move || {
            let _guard = guard;
            plugin.send_due()
        })
        .await;
        if let (Ok(report), Some(metrics)) = (&sent, &metrics) {
            metrics.not_delivered(&report.problems);
        }
        match sent {
            Ok(report) if report.made == 0 && report.problems.is_empty() => {}
            Ok(report) if report.problems.is_empty() => {
                tracing::info!(made = report.made, "reminders and digests sent");
            }
            Ok(report) => {
                for problem in &report.problems {
                    tracing::warn!(made = report.made, problem = %problem, "reminders and digests");
                }
            }
            Err(e) => tracing::error!(error = %e, "the scheduler's tick failed"),
        }
    }
}
