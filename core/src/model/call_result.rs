//! The result of one isolated invocation of one plugin.

use std::fmt;

use serde::Serialize;

/// How one plugin's part of a dispatch ended (SPEC X2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallResult {
    /// It returned a value.
    Ok,
    /// It returned an error.
    Error,
    /// It did not finish within the kind's timeout.
    Timeout,
    /// It panicked.
    Panic,
    /// A payload guard refused the input or the output.
    Rejected,
    /// It was not called because the plugin is not running.
    Skipped,
}

impl CallResult {
    /// Every result, in a fixed order (for pre-registered metric series).
    pub const ALL: [CallResult; 6] = [
        CallResult::Ok,
        CallResult::Error,
        CallResult::Timeout,
        CallResult::Panic,
        CallResult::Rejected,
        CallResult::Skipped,
    ];

    /// The name used in APIs, logs and metric labels (`"timeout"`).
    pub fn as_str(self) -> &'static str {
        match self {
            CallResult::Ok => "ok",
            CallResult::Error => "error",
            CallResult::Timeout => "timeout",
            CallResult::Panic => "panic",
            CallResult::Rejected => "rejected",
            CallResult::Skipped => "skipped",
        }
    }

    /// This result's position in [`ALL`](Self::ALL).
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for CallResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
