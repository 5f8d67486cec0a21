//! Errors of registry lookups and composition.

use crate::model::state::{Failure, PluginState};

/// A boxed error as returned by plugin constructors.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A lookup or instantiation on a [`Registry`](crate::supervise::registry::Registry) failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// No plugin `kind.name` is compiled in.
    #[error("no plugin `{kind}.{name}` is compiled in{}", suggest(.suggestion))]
    NotFound {
        /// The kind asked for.
        kind: String,
        /// The name asked for.
        name: String,
        /// The closest id that exists, if any is close.
        suggestion: Option<String>,
    },
    /// The plugin exists but is failed, disabled or blocked.
    #[error("plugin `{id}` is {state}: {failure}")]
    Unavailable {
        /// The plugin id.
        id: String,
        /// Its state.
        state: PluginState,
        /// Why.
        failure: Failure,
    },
    /// The plugin was built, but as another type than its kind (two traits with one kind name).
    #[error("plugin `{id}` is not of kind type `{expected}`")]
    KindMismatch {
        /// The plugin id.
        id: String,
        /// The type asked for.
        expected: &'static str,
    },
    /// A constructor asked for a plugin it did not declare in `depends_on`.
    #[error(
        "plugin `{plugin}` asked for `{dependency}`, which is not in its `depends_on`; declare it there"
    )]
    UndeclaredDependency {
        /// The plugin being built.
        plugin: String,
        /// What it asked for.
        dependency: String,
    },
}

fn suggest(s: &Option<String>) -> String {
    match s {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => String::new(),
    }
}

/// `e`, then each `source()`, joined by `: `.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

/// The message of a caught panic (`&str` or `String` payloads; anything else
/// says it is not a string).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}
