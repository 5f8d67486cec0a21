//! When a remote plugin counts as healthy, unhealthy or unavailable: a pure
//! function of its last heartbeat, the time now and the settings, so every
//! case is a table row in a unit test.

use std::fmt;
use std::time::{Duration, Instant};

use serde::Serialize;

/// How often remote plugins must send heartbeats and how many they may miss.
///
/// A heartbeat arriving less than [`interval`](Self::interval) after the
/// previous one (or the announcement) is on time. Each further full interval
/// without one is a missed heartbeat: [`unhealthy_after`](Self::unhealthy_after)
/// missed (one by default) make the plugin
/// [`Unhealthy`](RemoteState::Unhealthy), [`unavailable_after`](Self::unavailable_after)
/// missed make it [`Unavailable`](RemoteState::Unavailable). Plugins should
/// therefore send heartbeats somewhat more often than the interval.
///
/// A host built on `pegboard::cli` reads them from `[remote]`
/// (`heartbeat_interval_ms`, `unhealthy_after_missed`,
/// `unavailable_after_missed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeartbeatSettings {
    /// The interval plugins are told to keep; zero is read as one
    /// millisecond.
    pub interval: Duration,
    /// How many missed intervals make a plugin unhealthy; zero is read as
    /// one. At or above [`unavailable_after`](Self::unavailable_after), a
    /// plugin goes from healthy straight to unavailable.
    pub unhealthy_after: u32,
    /// How many missed intervals make a plugin unavailable; zero is read as
    /// one (then a plugin goes from healthy straight to unavailable).
    pub unavailable_after: u32,
}

impl Default for HeartbeatSettings {
    /// A heartbeat every 5 seconds; unhealthy after 1 missed (5 s),
    /// unavailable after 3 missed (15 s).
    fn default() -> Self {
        HeartbeatSettings {
            interval: Duration::from_secs(5),
            unhealthy_after: 1,
            unavailable_after: 3,
        }
    }
}

impl HeartbeatSettings {
    /// The interval as it is used: never zero.
    pub fn effective_interval(&self) -> Duration {
        self.interval.max(Duration::from_millis(1))
    }

    /// The interval in whole milliseconds, as the protocol sends it.
    pub(crate) fn interval_ms(&self) -> u64 {
        u64::try_from(self.effective_interval().as_millis()).unwrap_or(u64::MAX)
    }

    /// How many intervals were missed between `last_seen` and `now`.
    pub fn missed(&self, last_seen: Instant, now: Instant) -> u128 {
        // A clock read before `last_seen` (another thread's, or a test's)
        // counts as no time passed, not as an error.
        let elapsed = now.saturating_duration_since(last_seen);
        elapsed.as_nanos() / self.effective_interval().as_nanos()
    }

    /// The state of a remote plugin last heard from at `last_seen`, at `now`.
    pub fn state(&self, last_seen: Instant, now: Instant) -> RemoteState {
        let missed = self.missed(last_seen, now);
        if missed >= u128::from(self.unavailable_after.max(1)) {
            RemoteState::Unavailable
        } else if missed >= u128::from(self.unhealthy_after.max(1)) {
            RemoteState::Unhealthy
        } else {
            RemoteState::Healthy
        }
    }
}

/// How a remote plugin is, judged by its heartbeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RemoteState {
    /// Its heartbeats are on time.
    Healthy,
    /// It missed [`HeartbeatSettings::unhealthy_after`] heartbeats or more
    /// (one by default), fewer than [`HeartbeatSettings::unavailable_after`].
    Unhealthy,
    /// It missed [`HeartbeatSettings::unavailable_after`] heartbeats or more:
    /// the host no longer counts on it, and it must announce again to come
    /// back.
    Unavailable,
}

impl RemoteState {
    /// `healthy`, `unhealthy` or `unavailable`.
    pub fn as_str(self) -> &'static str {
        match self {
            RemoteState::Healthy => "healthy",
            RemoteState::Unhealthy => "unhealthy",
            RemoteState::Unavailable => "unavailable",
        }
    }
}

impl fmt::Display for RemoteState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RemoteState::*;

    fn settings(interval_ms: u64, unavailable_after: u32) -> HeartbeatSettings {
        HeartbeatSettings {
            interval: Duration::from_millis(interval_ms),
            unhealthy_after: 1,
            unavailable_after,
        }
    }

    #[test]
    fn state_table() {
        let t0 = Instant::now();
        // (interval ms, unavailable_after, ms since last seen, expected)
        let table: &[(u64, u32, u64, RemoteState)] = &[
            // on time, up to the last nanosecond of the interval
            (100, 3, 0, Healthy),
            (100, 3, 1, Healthy),
            (100, 3, 99, Healthy),
            // one interval missed
            (100, 3, 100, Unhealthy),
            (100, 3, 199, Unhealthy),
            // two missed, still fewer than three
            (100, 3, 200, Unhealthy),
            (100, 3, 299, Unhealthy),
            // three missed: unavailable, and it stays so
            (100, 3, 300, Unavailable),
            (100, 3, 10_000, Unavailable),
            // unavailable after one: never unhealthy
            (100, 1, 99, Healthy),
            (100, 1, 100, Unavailable),
            // zero read as one
            (100, 0, 99, Healthy),
            (100, 0, 100, Unavailable),
            // unavailable after two
            (100, 2, 100, Unhealthy),
            (100, 2, 200, Unavailable),
            // a zero interval is one millisecond
            (0, 3, 0, Healthy),
            (0, 3, 1, Unhealthy),
            (0, 3, 3, Unavailable),
            // a huge threshold
            (100, u32::MAX, 100 * 1_000_000, Unhealthy),
        ];
        for &(interval, after, since, want) in table {
            let s = settings(interval, after);
            let got = s.state(t0, t0 + Duration::from_millis(since));
            assert_eq!(
                got, want,
                "interval {interval} ms, unavailable after {after}, {since} ms since last seen"
            );
        }
    }

    #[test]
    fn the_misses_before_unhealthy_are_configurable() {
        let t0 = Instant::now();
        // (unhealthy_after, unavailable_after, intervals missed, expected)
        let table: &[(u32, u32, u64, RemoteState)] = &[
            // two misses tolerated, unhealthy at the third
            (3, 5, 1, Healthy),
            (3, 5, 2, Healthy),
            (3, 5, 3, Unhealthy),
            (3, 5, 4, Unhealthy),
            (3, 5, 5, Unavailable),
            // zero read as one: the default
            (0, 3, 0, Healthy),
            (0, 3, 1, Unhealthy),
            // at or above `unavailable_after`: never unhealthy
            (3, 3, 2, Healthy),
            (3, 3, 3, Unavailable),
            (9, 2, 1, Healthy),
            (9, 2, 2, Unavailable),
        ];
        for &(unhealthy_after, unavailable_after, missed, want) in table {
            let s = HeartbeatSettings {
                interval: Duration::from_millis(100),
                unhealthy_after,
                unavailable_after,
            };
            let got = s.state(t0, t0 + Duration::from_millis(100 * missed));
            assert_eq!(
                got, want,
                "unhealthy after {unhealthy_after}, unavailable after {unavailable_after}, {missed} missed"
            );
        }
    }

    #[test]
    fn the_last_nanosecond_of_an_interval_is_on_time() {
        let t0 = Instant::now();
        let s = settings(100, 3);
        let edge = Duration::from_millis(100);
        assert_eq!(s.state(t0, t0 + edge - Duration::from_nanos(1)), Healthy);
        assert_eq!(s.state(t0, t0 + edge), Unhealthy);
        assert_eq!(
            s.state(t0, t0 + 3 * edge - Duration::from_nanos(1)),
            Unhealthy
        );
        assert_eq!(s.state(t0, t0 + 3 * edge), Unavailable);
    }

    #[test]
    fn a_clock_behind_the_last_heartbeat_is_healthy() {
        let t0 = Instant::now();
        let s = settings(100, 3);
        assert_eq!(s.state(t0 + Duration::from_secs(5), t0), Healthy);
        assert_eq!(s.missed(t0 + Duration::from_secs(5), t0), 0);
    }

    #[test]
    fn the_state_never_improves_as_time_passes() {
        let t0 = Instant::now();
        for after in 0..5 {
            let s = settings(10, after);
            let mut prev = Healthy;
            for ms in 0..100 {
                let now = s.state(t0, t0 + Duration::from_millis(ms));
                assert!(now >= prev, "{prev} -> {now} at {ms} ms (after {after})");
                prev = now;
            }
            assert_eq!(prev, Unavailable);
        }
    }

    #[test]
    fn defaults_and_wire_values() {
        let s = HeartbeatSettings::default();
        assert_eq!(s.interval, Duration::from_secs(5));
        assert_eq!(s.unavailable_after, 3);
        assert_eq!(s.interval_ms(), 5000);
        assert_eq!(settings(0, 3).interval_ms(), 1);
        assert_eq!(s.unhealthy_after, 1);
        let huge = HeartbeatSettings {
            interval: Duration::MAX,
            ..HeartbeatSettings::default()
        };
        assert_eq!(huge.interval_ms(), u64::MAX);
    }

    #[test]
    fn names() {
        assert_eq!(Healthy.to_string(), "healthy");
        assert_eq!(Unhealthy.as_str(), "unhealthy");
        assert_eq!(
            serde_json::to_string(&Unavailable).unwrap(),
            "\"unavailable\""
        );
    }
}
