//! Small helpers more than one module needs: a mutex lock that a panic on
//! another thread cannot poison, and times as the clock can hold them and as
//! people say them.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Locks `m`, taking the data of a poisoned mutex as it is: every lock here
/// guards data a panicking thread leaves whole (it panics between updates).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `start` plus `wait`, or a time so far off it never comes when that is past
/// what an `Instant` can hold: waits come from configuration and files, and may
/// be anything (`Duration::MAX` for "never").
pub(crate) fn instant_after(start: Instant, wait: Duration) -> Instant {
    start.checked_add(wait).unwrap_or_else(|| {
        // A century is beyond any process; if even that does not fit, a year,
        // and so on down.
        [100 * 365, 365, 1]
            .into_iter()
            .find_map(|days| start.checked_add(Duration::from_secs(days * 86_400)))
            .unwrap_or(start)
    })
}

/// Seconds since 1970, for what is written to files; 0 on a clock set before.
pub(crate) fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `1d`, `3h`, `10m`, `45s`: a duration as people say it.
pub(crate) fn show_age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => format!("{}ms", d.as_millis()),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Whether a host name is this machine: `localhost` or a loopback address
/// (`127.0.0.0/8`, `::1`, IPv4-mapped forms, in brackets or not). What may be
/// sent a password in clear (the e-mail notifier, the PostgreSQL store).
#[cfg(any(feature = "email", feature = "postgres"))]
pub(crate) fn is_loopback(host: &str) -> bool {
    let host = host.trim();
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().is_ok_and(ip_is_loopback)
}

/// Whether an address is this machine's, IPv4-mapped forms included.
#[cfg(any(feature = "email", feature = "postgres"))]
pub(crate) fn ip_is_loopback(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        std::net::IpAddr::V4(v4) => v4.is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_as_people_say_them() {
        assert_eq!(show_age(Duration::from_secs(86_400)), "1d");
        assert_eq!(show_age(Duration::from_secs(7_200)), "2h");
        assert_eq!(show_age(Duration::from_secs(600)), "10m");
        assert_eq!(show_age(Duration::from_secs(90)), "90s");
        assert_eq!(show_age(Duration::from_millis(5)), "5ms");
    }

    #[test]
    fn waits_past_the_clock_are_far_off_not_a_panic() {
        let now = Instant::now();
        assert!(instant_after(now, Duration::MAX) > now + Duration::from_secs(86_400));
        assert_eq!(instant_after(now, Duration::ZERO), now);
    }
}
