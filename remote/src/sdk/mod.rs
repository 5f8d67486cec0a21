//! The plugin SDK (SPEC R1): a plugin process serves its plugins over
//! `pegboard.v1.Plugin`, announces them to the host's registry, keeps them
//! alive with heartbeats and withdraws them when it stops.
//!
//! [`PluginProcess`] (and [`serve`]) are in [`plugin_process`]; the
//! settings it reads, from the builder or the environment ([`env`]), in
//! [`settings`]; the calls to the host's registry in [`agent`]; the signals
//! that end serving in [`shutdown`].

mod agent;
mod env;
mod error;
mod metadata;
mod plugin_process;
mod settings;
mod shutdown;
#[cfg(test)]
mod tests;

pub use env::{
    DEFAULT_LISTEN, ENV_ADVERTISE, ENV_HOST, ENV_LISTEN, ENV_NODE, ENV_TLS_CA, ENV_TLS_CERT,
    ENV_TLS_KEY, ENV_TLS_SERVE_CERT, ENV_TLS_SERVE_KEY, ENV_TOKEN,
};
pub use error::ServeError;
pub use metadata::Metadata;
pub use plugin_process::{PluginProcess, serve};
