//! A plugin's state over time: transitions with timestamps, the last
//! failure and error, health and restarts (SPEC L3).

use std::collections::VecDeque;
use std::time::SystemTime;

use serde::{Serialize, Serializer};

use crate::model::lifecycle::Health;
use crate::model::state::{Failure, PluginState};

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
    pub transitions: History,
    pub health: Option<Health>,
    pub health_checked_at: Option<SystemTime>,
    pub restarts: u32,
}

impl Status {
    /// A plugin that left `registered` for `state` at `now` (one clock
    /// reading serves a whole registry build).
    pub fn new(state: PluginState, failure: Option<Failure>, now: SystemTime) -> Self {
        let mut status = Status {
            state: PluginState::Registered,
            failure: None,
            last_error: None,
            updated_at: now,
            transitions: History::default(),
            health: None,
            health_checked_at: None,
            restarts: 0,
        };
        status.set_at(state, failure, now);
        status
    }

    /// Moves to `to`, recording the transition; a failure becomes the last
    /// error too. Returns whether the state changed.
    pub fn set(&mut self, to: PluginState, failure: Option<Failure>) -> bool {
        self.set_at(to, failure, SystemTime::now())
    }

    fn set_at(&mut self, to: PluginState, failure: Option<Failure>, now: SystemTime) -> bool {
        let reason = failure.as_ref().map(ToString::to_string);
        if let Some(r) = &reason {
            if !matches!(failure, Some(Failure::Disabled)) {
                self.last_error = Some(r.clone());
            }
        }
        let changed = to != self.state || failure != self.failure;
        self.failure = failure;
        if changed {
            self.transitions.push(Transition {
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

/// The last [`HISTORY`] transitions, oldest first.
///
/// The first one is kept inline: every plugin has one (from `registered`,
/// when the registry is built) and most never get another, so a registry
/// build allocates no history at all.
#[derive(Debug, Clone, Default)]
pub(crate) struct History {
    first: Option<Transition>,
    rest: VecDeque<Transition>,
}

impl History {
    /// Appends `t`, dropping the oldest transition when [`HISTORY`] are kept.
    pub fn push(&mut self, t: Transition) {
        if self.first.is_none() && self.rest.is_empty() {
            self.first = Some(t);
            return;
        }
        if self.len() == HISTORY && self.first.take().is_none() {
            self.rest.pop_front();
        }
        self.rest.push_back(t);
    }

    /// How many transitions are kept.
    pub fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }
}

impl From<History> for Vec<Transition> {
    fn from(h: History) -> Self {
        let mut v = Vec::with_capacity(h.len());
        v.extend(h.first);
        v.extend(h.rest);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to(state: PluginState, n: u64) -> Transition {
        Transition {
            from: PluginState::Registered,
            to: state,
            at: SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(n),
            reason: None,
        }
    }

    #[test]
    fn a_new_status_keeps_its_first_transition_inline() {
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(7);
        let status = Status::new(PluginState::Configured, None, now);
        assert_eq!(status.transitions.len(), 1);
        assert_eq!(status.transitions.rest.capacity(), 0, "nothing allocated");
        let all: Vec<Transition> = status.transitions.into();
        assert_eq!(all[0].from, PluginState::Registered);
        assert_eq!(all[0].to, PluginState::Configured);
        assert_eq!(all[0].at, now);
    }

    #[test]
    fn the_history_keeps_the_last_transitions_in_order() {
        let mut h = History::default();
        for n in 0..(HISTORY as u64 + 5) {
            h.push(to(PluginState::Running, n));
            assert_eq!(h.len(), (n as usize + 1).min(HISTORY));
        }
        let kept: Vec<u64> = Vec::from(h)
            .iter()
            .map(|t| {
                t.at.duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap()
                    .as_secs()
            })
            .collect();
        let expected: Vec<u64> = (5..HISTORY as u64 + 5).collect();
        assert_eq!(kept, expected);
    }
}
