//! `pegboard`: the reference host application, a small document-ingest
//! service whose every part is a plugin.
//!
//! Each plugin crate is a cargo feature of this crate; `link_plugins!`
//! makes sure every enabled one is linked (and, under `cargo test`, that
//! they form a sound composition). `pegboard run` (the default
//! command) starts the plugins and serves the operator endpoints of
//! `pegboard::http` plus the document API of [`api`].

mod api;
mod server;

pegboard::link_plugins!(PLUGINS);

fn main() -> std::process::ExitCode {
    let cli = pegboard::cli::Cli::new("pegboard").section::<server::ServerConfig>("server");
    // Classifiers may run outside the host, as declared in `[remote]`.
    #[cfg(feature = "remote")]
    let cli = cli.remote_kind::<dyn ingest_kinds::Classifier>();
    cli.serve(server::serve).main(PLUGINS)
}
