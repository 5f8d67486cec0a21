//! Stage 6, report: what the registry says about its plugins, to people and
//! machines: [`PluginInfo`](info::PluginInfo), Prometheus metrics, and the HTTP
//! surface (the command line, which needs `pegboard-remote` too, is
//! `pegboard-cli`).

#[cfg(feature = "http")]
pub mod http;
pub mod info;
pub mod metrics;
pub mod testing;
