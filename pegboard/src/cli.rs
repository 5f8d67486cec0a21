//! The reusable command line of a host (feature `cli`; crate
//! `pegboard-cli`): run and supervise the plugins, inspect a composition,
//! check and generate configuration. It sits above the engine and
//! [`remote`](crate::remote) (with the `remote` feature), since `run`
//! serves the `[remote]` section too.
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
//! A host application's `main` can be one line, given the [`Linked`](crate::Linked) value
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

pub use pegboard_cli::*;
