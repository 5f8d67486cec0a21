//! The reusable command line (feature `cli`): inspect a composition, check
//! and generate configuration.
//!
//! ```text
//! pegboard [--config FILE] [COMMAND]
//!   run                  start the plugins, supervise them until SIGINT/SIGTERM (the default)
//!   plugins list [--json]
//!   plugins graph [--dot]
//!   config check FILE    exit 0 when valid, 1 with every error otherwise
//!   config schema        one JSON Schema for the whole config file
//!   config default       a config file with every default filled in
//! ```
//!
//! A host application's `main` can be one line, given the [`Linked`] value
//! that [`link_plugins!`](crate::link_plugins) declares (so a host that
//! forgets it does not compile):
//!
//! ```no_run
//! pegboard::link_plugins!(PLUGINS);
//!
//! fn main() -> std::process::ExitCode {
//!     pegboard::cli::main(PLUGINS)
//! }
//! ```
//!
//! or, to accept its own config sections and check them too:
//!
//! ```no_run
//! pegboard::link_plugins!(PLUGINS);
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct Server { listen: String }
//!
//! fn main() -> std::process::ExitCode {
//!     pegboard::cli::Cli::new("my-host").section::<Server>("server").main(PLUGINS)
//! }
//! ```

// One concept per file. The imports among them go one way (nothing a file
// uses uses it back) and none comes from this file, so each file can be
// read and changed knowing only what it imports.
mod args;
mod builder;
mod composition;
mod config_check;
mod config_default;
mod config_schema;
mod entry;
mod failed;
mod graph;
mod list;
mod logging;
#[cfg(feature = "remote")]
pub mod remote;
mod run;
mod run_context;
#[cfg(test)]
mod tests;

use std::process::ExitCode;

use crate::model::linked::Linked;

pub use builder::Cli;
pub use run_context::RunContext;

/// Runs the command line of a host with no config sections of its own.
///
/// `plugins` comes from `pegboard::link_plugins!(PLUGINS)` at the root of the
/// binary: without it the plugin crates would not be linked, and the host
/// would run without them and without a word.
pub fn main(plugins: Linked) -> ExitCode {
    Cli::new("pegboard").main(plugins)
}
