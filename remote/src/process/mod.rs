//! A plugin binary the host spawned (SPEC R2): its process, its output
//! forwarded into the host's logs, and how it is stopped.
//!
//! [`PluginChild`], the handle, is in [`child`]; the task that owns the
//! process and reaps it in [`supervise`]; forwarding its output into the
//! host's logs in [`output`].

mod child;
mod output;
mod supervise;
#[cfg(all(test, target_os = "linux"))]
mod tests;

pub use child::{PluginChild, ProcessError, StopOutcome};
