//! Per-plugin invocation counters (SPEC X5), kept next to each plugin in the
//! registry and read by the status reports.
//!
//! They also hold the plugin's duration histograms, which
//! [`metrics`](crate::report::metrics) renders with the counts at scrape time.
//!
//! Recording is lock-free for every result but the failures that carry a
//! message, which also update [`last_error`] behind a mutex (failures are
//! the rare path). It allocates only on a plugin's first invocation (its
//! duration histograms) and when a failure's message does not fit the
//! buffer kept from the previous one.
//!
//! [`last_error`]: CounterSnapshot::last_error

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde::Serialize;

use crate::model::call_result::CallResult;
use crate::model::recorded::Durations;

/// Counters of one plugin's invocations (a plugin has exactly one kind, so
/// these are also its per-kind counters).
///
/// Every count (also each duration bucket and sum) is an atomic, updated
/// with `Relaxed` ordering: a [`snapshot`](Self::snapshot) taken while
/// invocations are being recorded is not one consistent cut (the count of
/// one result may already include an invocation whose `last_*` fields are
/// not written yet), but no count is ever lost.
#[derive(Debug)]
pub struct CallCounters {
    /// One count per [`CallResult`], indexed by [`CallResult::index`].
    by_result: [AtomicU64; CallResult::ALL.len()],
    /// The last invocation's duration in nanoseconds, plus one; 0 = none yet.
    last_duration_nanos: AtomicU64,
    /// The last invocation's [`CallResult::index`], plus one; 0 = none yet.
    last_result: AtomicU8,
    /// The message of the last failure. Written only on failures.
    last_error: Mutex<Option<String>>,
    /// Duration histograms per result, allocated on the first invocation
    /// (about 1 KiB; inline, every plugin of a large registry would carry
    /// them from the start).
    durations: OnceLock<Box<Durations>>,
}

impl Default for CallCounters {
    fn default() -> Self {
        Self::new()
    }
}

impl CallCounters {
    /// The longest `last_error` kept, in bytes; longer messages are cut at
    /// the last character boundary at or below this length.
    pub const MAX_ERROR_LEN: usize = 1000;

    /// All counters at zero, no last invocation.
    pub const fn new() -> Self {
        CallCounters {
            by_result: [const { AtomicU64::new(0) }; CallResult::ALL.len()],
            last_duration_nanos: AtomicU64::new(0),
            last_result: AtomicU8::new(0),
            last_error: Mutex::new(None),
            durations: OnceLock::new(),
        }
    }

    /// Records one invocation. `error` is the message for error, timeout,
    /// panic and rejected results (ignored for the others); a failure without
    /// a message is recorded with the result's name (`"timeout"`) as its
    /// message.
    ///
    /// Allocation-free except for the first invocation (which allocates
    /// the duration histograms) and when a failure's message does not fit
    /// the buffer kept from the previous failure.
    pub fn record(&self, result: CallResult, duration: Duration, error: Option<&str>) {
        self.by_result[result.index()].fetch_add(1, Ordering::Relaxed);
        // Durations beyond u64::MAX - 1 ns (584 years) saturate.
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        self.durations
            .get_or_init(Box::default)
            .observe(result, nanos);
        self.last_duration_nanos
            .store(nanos.min(u64::MAX - 1) + 1, Ordering::Relaxed);
        // At most 6 results, so `index() + 1` always fits a u8.
        self.last_result
            .store(result.index() as u8 + 1, Ordering::Relaxed);
        if is_failure(result) {
            let message = truncate(error.unwrap_or(result.as_str()), Self::MAX_ERROR_LEN);
            // A poisoned lock only means another recorder panicked mid-write
            // of a plain `Option<String>`; the value is still usable.
            let mut last = self.last_error.lock().unwrap_or_else(|e| e.into_inner());
            match last.as_mut() {
                Some(buffer) => {
                    buffer.clear();
                    buffer.push_str(message);
                }
                None => *last = Some(message.to_owned()),
            }
        }
    }

    /// How many invocations ended with `result`.
    pub(crate) fn count(&self, result: CallResult) -> u64 {
        self.by_result[result.index()].load(Ordering::Relaxed)
    }

    /// The duration histograms, unless nothing was recorded yet.
    pub(crate) fn durations(&self) -> Option<&Durations> {
        self.durations.get().map(|d| &**d)
    }

    /// The counters as they are now.
    pub fn snapshot(&self) -> CounterSnapshot {
        let count = |r: CallResult| self.count(r);
        let errors = count(CallResult::Error);
        let timeouts = count(CallResult::Timeout);
        let panics = count(CallResult::Panic);
        let rejected = count(CallResult::Rejected);
        let last_duration_ms = match self.last_duration_nanos.load(Ordering::Relaxed) {
            0 => None,
            n => Some((n - 1) as f64 / 1e6),
        };
        let last_result = match self.last_result.load(Ordering::Relaxed) {
            0 => None,
            i => CallResult::ALL.get(usize::from(i) - 1).copied(),
        };
        let last_error = self
            .last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        CounterSnapshot {
            successes: count(CallResult::Ok),
            failures: errors + timeouts + panics + rejected,
            errors,
            timeouts,
            panics,
            rejected,
            skipped: count(CallResult::Skipped),
            last_error,
            last_duration_ms,
            last_result,
        }
    }
}

/// A failure is an invocation that reached the plugin (or its guard) and did
/// not return a value: error, timeout, panic, rejected.
fn is_failure(result: CallResult) -> bool {
    matches!(
        result,
        CallResult::Error | CallResult::Timeout | CallResult::Panic | CallResult::Rejected
    )
}

/// `s` cut to at most `max` bytes, at a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// One plugin's counters at one moment (what the status API reports).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CounterSnapshot {
    /// Invocations that returned a value (`ok`).
    pub successes: u64,
    /// `errors + timeouts + panics + rejected`.
    pub failures: u64,
    /// Invocations that returned an error.
    pub errors: u64,
    /// Invocations that did not finish in time.
    pub timeouts: u64,
    /// Invocations that panicked.
    pub panics: u64,
    /// Invocations refused by a payload guard.
    pub rejected: u64,
    /// Calls not made because the plugin was not running.
    pub skipped: u64,
    /// The message of the last failure (at most
    /// [`CallCounters::MAX_ERROR_LEN`] bytes); kept after later successes.
    pub last_error: Option<String>,
    /// How long the last invocation took, in milliseconds.
    pub last_duration_ms: Option<f64>,
    /// How the last invocation ended.
    pub last_result: Option<CallResult>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn counters_start_empty() {
        let snapshot = CallCounters::new().snapshot();
        assert_eq!(
            snapshot,
            CounterSnapshot {
                successes: 0,
                failures: 0,
                errors: 0,
                timeouts: 0,
                panics: 0,
                rejected: 0,
                skipped: 0,
                last_error: None,
                last_duration_ms: None,
                last_result: None,
            }
        );
    }

    #[test]
    fn counters_count_each_result_and_sum_failures() {
        let c = CallCounters::new();
        let ms = Duration::from_millis;
        c.record(CallResult::Ok, ms(1), None);
        c.record(CallResult::Ok, ms(1), None);
        c.record(CallResult::Error, ms(2), Some("boom"));
        c.record(CallResult::Timeout, ms(3), Some("timed out after 3ms"));
        c.record(CallResult::Timeout, ms(3), Some("timed out after 3ms"));
        c.record(CallResult::Panic, ms(4), Some("panicked: oops"));
        c.record(CallResult::Rejected, ms(0), Some("payload too large"));
        c.record(CallResult::Skipped, Duration::ZERO, None);
        let s = c.snapshot();
        assert_eq!(s.successes, 2);
        assert_eq!(s.errors, 1);
        assert_eq!(s.timeouts, 2);
        assert_eq!(s.panics, 1);
        assert_eq!(s.rejected, 1);
        assert_eq!(s.skipped, 1);
        assert_eq!(s.failures, 5);
        assert_eq!(s.last_result, Some(CallResult::Skipped));
        assert_eq!(s.last_duration_ms, Some(0.0));
        assert_eq!(s.last_error.as_deref(), Some("payload too large"));
    }

    #[test]
    fn counters_keep_last_error_and_duration() {
        let c = CallCounters::new();
        c.record(
            CallResult::Error,
            Duration::from_micros(1500),
            Some("first"),
        );
        let s = c.snapshot();
        assert_eq!(s.last_error.as_deref(), Some("first"));
        assert_eq!(s.last_duration_ms, Some(1.5));
        assert_eq!(s.last_result, Some(CallResult::Error));

        // A success updates the duration and result but keeps the last error.
        c.record(CallResult::Ok, Duration::from_micros(250), Some("ignored"));
        let s = c.snapshot();
        assert_eq!(s.last_error.as_deref(), Some("first"));
        assert_eq!(s.last_duration_ms, Some(0.25));
        assert_eq!(s.last_result, Some(CallResult::Ok));

        // A later failure replaces it; one without a message names the result.
        c.record(CallResult::Panic, Duration::from_millis(7), Some("second"));
        assert_eq!(c.snapshot().last_error.as_deref(), Some("second"));
        c.record(CallResult::Timeout, Duration::from_secs(5), None);
        let s = c.snapshot();
        assert_eq!(s.last_error.as_deref(), Some("timeout"));
        assert_eq!(s.last_duration_ms, Some(5000.0));
    }

    #[test]
    fn counters_truncate_last_error_on_a_char_boundary() {
        let c = CallCounters::new();
        // 999 ASCII bytes then a 3-byte char straddling the 1,000-byte limit.
        let long = format!("{}€ and more", "x".repeat(999));
        c.record(CallResult::Error, Duration::ZERO, Some(&long));
        let kept = c.snapshot().last_error.unwrap();
        assert_eq!(kept, "x".repeat(999));

        // Exactly at the limit: kept whole.
        let exact = "é".repeat(500); // 1,000 bytes
        c.record(CallResult::Error, Duration::ZERO, Some(&exact));
        assert_eq!(c.snapshot().last_error.unwrap(), exact);

        // Far beyond: at most MAX_ERROR_LEN bytes, valid UTF-8, a prefix.
        let huge = "日本".repeat(10_000);
        c.record(CallResult::Error, Duration::ZERO, Some(&huge));
        let kept = c.snapshot().last_error.unwrap();
        assert!(kept.len() <= CallCounters::MAX_ERROR_LEN);
        assert_eq!(kept.len(), 999); // 333 chars of 3 bytes
        assert!(huge.starts_with(&kept));
    }

    #[test]
    fn counters_sum_concurrent_records() {
        let c = Arc::new(CallCounters::new());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let c = Arc::clone(&c);
                std::thread::spawn(move || {
                    for i in 0..10_000u32 {
                        let result = CallResult::ALL[(i as usize + t) % CallResult::ALL.len()];
                        let error = (result != CallResult::Ok).then_some("failed");
                        c.record(result, Duration::from_nanos(u64::from(i)), error);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let mut expected = [0u64; CallResult::ALL.len()];
        for t in 0..8 {
            for i in 0..10_000 {
                expected[(i + t) % CallResult::ALL.len()] += 1;
            }
        }
        let s = c.snapshot();
        assert_eq!(s.successes + s.failures + s.skipped, 80_000);
        assert_eq!(
            [
                s.successes,
                s.errors,
                s.timeouts,
                s.panics,
                s.rejected,
                s.skipped
            ],
            expected
        );
        assert_eq!(s.failures, s.errors + s.timeouts + s.panics + s.rejected);
        assert_eq!(s.last_error.as_deref(), Some("failed"));
    }

    #[test]
    fn counter_snapshot_serializes_with_snake_case_result() {
        let c = CallCounters::new();
        c.record(CallResult::Timeout, Duration::from_millis(2), Some("slow"));
        let json = serde_json::to_value(c.snapshot()).unwrap();
        assert_eq!(json["failures"], 1);
        assert_eq!(json["timeouts"], 1);
        assert_eq!(json["last_result"], "timeout");
        assert_eq!(json["last_error"], "slow");
        assert_eq!(json["last_duration_ms"], 2.0);
    }
}
