//! # pegboard-cli
//!
//! The reusable command line of a pegboard host: `run`, `plugins list`,
//! `plugins graph`, `config check`, `config schema`, `config default`
//! ([`main`], [`Cli`]). It sits above the engine (`pegboard-core`) and,
//! with its `remote` feature, `pegboard-remote`, since `run` serves a
//! config file's `[remote]` section. Use it through `pegboard`, whose `cli`
//! feature re-exports it as `pegboard::cli`, documented there with
//! examples.

#![warn(missing_docs)]

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
mod host;
mod list;
mod logging;
#[cfg(feature = "remote")]
pub mod remote;
mod run;
mod run_context;
#[cfg(test)]
mod tests;

use std::process::ExitCode;

use pegboard_core::Linked;

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
