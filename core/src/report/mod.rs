//! Stage 6, report: what the registry says about its plugins, to people and
//! machines: [`PluginInfo`](info::PluginInfo), Prometheus metrics, the HTTP
//! surface and the command line.

#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "http")]
pub mod http;
pub mod info;
pub mod metrics;
pub mod testing;
