//! A plugin's state over time: transitions with timestamps, the last
//! failure and error, health and restarts (SPEC L3).

use std::collections::VecDeque;
use std::time::SystemTime;

use serde::{Serialize, Serializer};

use crate::lifecycle::Health;
use crate::state::{Failure, PluginState};

/// How many transitions each plugin keeps.
const HISTORY: usize = 32;

/// One state change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    /// The state before.
    pub from: PluginState,
    /// The state after.
    pub to: PluginState,
    /// When (RFC 3339, UTC).
    #[serde(serialize_with = "rfc3339")]
    pub at: SystemTime,
    /// Why, when it is not the normal course of things.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Serializes a time as RFC 3339 with milliseconds.
pub(crate) fn rfc3339<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&humantime::format_rfc3339_millis(*t))
}

/// Serializes an optional time as RFC 3339 with milliseconds.
pub(crate) fn rfc3339_opt<S: Serializer>(t: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, s),
        None => s.serialize_none(),
    }
}

/// Everything that changes about a plugin while it lives.
#[derive(Debug, Clone)]
pub(crate) struct Status {
    pub state: PluginState,
    /// Why it is failed, disabled or blocked (cleared when it runs again).
    pub failure: Option<Failure>,
    /// The last error it ever had, kept after it recovers.
    pub last_error: Option<String>,
    pub updated_at: SystemTime,
    pub transitions: VecDeque<Transition>,
    pub health: Option<Health>,
    pub health_checked_at: Option<SystemTime>,
    pub restarts: u32,
}

impl Status {
    pub fn new(state: PluginState, failure: Option<Failure>) -> Self {
        let now = SystemTime::now();
        let mut status = Status {
            state: PluginState::Registered,
            failure: None,
            last_error: None,
            updated_at: now,
            transitions: VecDeque::new(),
            health: None,
            health_checked_at: None,
            restarts: 0,
        };
        status.set(state, failure);
        status
    }

    /// Moves to `to`, recording the transition; a failure becomes the last
    /// error too. Returns whether the state changed.
    pub fn set(&mut self, to: PluginState, failure: Option<Failure>) -> bool {
        let reason = failure.as_ref().map(ToString::to_string);
        if let Some(r) = &reason {
            if !matches!(failure, Some(Failure::Disabled)) {
                self.last_error = Some(r.clone());
            }
        }
        let changed = to != self.state || failure != self.failure;
        self.failure = failure;
        if changed {
            let now = SystemTime::now();
            if self.transitions.len() == HISTORY {
                self.transitions.pop_front();
            }
            self.transitions.push_back(Transition {
                from: self.state,
                to,
                at: now,
                reason,
            });
            self.state = to;
            self.updated_at = now;
        }
        changed
    }
}
