//! What a dispatch returns: per plugin, its value or why there is none.

use std::time::Duration;

use serde::Serialize;

use crate::model::call_result::CallResult;

/// One plugin's part of a dispatch (SPEC X2).
#[derive(Debug, Clone, Serialize)]
pub struct Outcome<'r, T> {
    /// The plugin's id.
    pub plugin: &'r str,
    /// How the call ended.
    pub result: CallResult,
    /// The value, when `result` is `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<T>,
    /// Why there is no value, otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How long the call took (zero when it was not made).
    #[serde(serialize_with = "millis")]
    pub duration: Duration,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

impl<'r, T> Outcome<'r, T> {
    /// Whether the call returned a value.
    pub fn is_ok(&self) -> bool {
        self.result == CallResult::Ok
    }

    /// The value, or the failure as an error.
    pub fn into_result(self) -> Result<T, CallError> {
        match self.value {
            Some(value) if self.result == CallResult::Ok => Ok(value),
            _ => Err(CallError {
                plugin: self.plugin.to_owned(),
                result: self.result,
                message: self.error.unwrap_or_default(),
            }),
        }
    }
}

/// A call that did not return a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{plugin}: {result}: {message}")]
pub struct CallError {
    /// The plugin's id.
    pub plugin: String,
    /// How the call ended (never `ok`).
    pub result: CallResult,
    /// Why.
    pub message: String,
}

/// The outcome of a fan-out: every plugin's [`Outcome`], in name order
/// (SPEC X3). One plugin failing never fails the whole call.
#[derive(Debug, Clone, Serialize)]
pub struct FanOut<'r, T> {
    /// The kind that was called.
    pub kind: &'static str,
    /// Every plugin of the kind (but disabled ones), in name order.
    pub outcomes: Vec<Outcome<'r, T>>,
}

impl<'r, T> FanOut<'r, T> {
    /// The plugins that returned a value, with it.
    pub fn successes(&self) -> impl Iterator<Item = (&'r str, &T)> {
        self.outcomes.iter().filter_map(|o| {
            o.value
                .as_ref()
                .filter(|_| o.is_ok())
                .map(|v| (o.plugin, v))
        })
    }

    /// The plugins that did not.
    pub fn failures(&self) -> impl Iterator<Item = &Outcome<'r, T>> {
        self.outcomes.iter().filter(|o| !o.is_ok())
    }

    /// Whether every plugin returned a value.
    pub fn is_complete(&self) -> bool {
        self.outcomes.iter().all(Outcome::is_ok)
    }

    /// The outcome of one plugin by id.
    pub fn get(&self, plugin: &str) -> Option<&Outcome<'r, T>> {
        self.outcomes.iter().find(|o| o.plugin == plugin)
    }
}
