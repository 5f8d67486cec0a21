//! # pegboard
//!
//! Build-time static plugin composition. A plugin is a struct with
//! `#[pegboard::plugin(...)]` on it; the macro registers a `'static`
//! descriptor at link time, so the binary knows every compiled-in plugin at
//! startup, with nothing loaded at run time. A typed [`Registry`] then
//! validates the plugins (API version, configuration), orders them
//! (dependencies) and builds them lazily.
//!
//! ```standalone_crate
//! use std::sync::Arc;
//!
//! /// Where documents live.
//! #[pegboard::kind]
//! pub trait Store {
//!     fn put(&self, text: &str) -> usize;
//! }
//!
//! #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, Default)]
//! pub struct MemoryConfig {
//!     capacity: Option<usize>,
//! }
//!
//! /// Keeps documents in memory.
//! #[pegboard::plugin(name = "memory", version = "1.0.0", api = "0.1", kind = Store, config = MemoryConfig)]
//! pub struct Memory {
//!     docs: std::sync::Mutex<Vec<String>>,
//! }
//!
//! impl From<MemoryConfig> for Memory {
//!     fn from(_: MemoryConfig) -> Self {
//!         Memory { docs: Default::default() }
//!     }
//! }
//!
//! impl Store for Memory {
//!     fn put(&self, text: &str) -> usize {
//!         let mut docs = self.docs.lock().unwrap();
//!         docs.push(text.to_owned());
//!         docs.len()
//!     }
//! }
//!
//! let registry = pegboard::Registry::builder().build()?;
//! let store: Arc<dyn Store> = registry.get::<dyn Store>("memory")?;
//! assert_eq!(store.put("hello"), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The pipeline has one module per stage: [`discover`] → [`catalog`] →
//! [`config`] (validate) → [`order`] → [`registry`].
#![warn(missing_docs)]

pub mod catalog;
#[cfg(feature = "cli")]
pub mod cli;
mod compat;
pub mod config;
mod context;
mod descriptor;
pub mod discover;
mod error;
mod info;
mod instance;
mod kind;
pub mod order;
pub mod registry;
mod resolve;
mod state;
mod suggest;
pub mod testing;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use catalog::{Catalog, CatalogError, Duplicate};
pub use compat::is_valid_name;
pub use context::Context;
pub use descriptor::{BoxError, ConfigSpec, Dependency, PluginDescriptor};
pub use error::{CompositionError, Error};
pub use info::{DependencyInfo, PluginInfo, SourceLocation};
pub use instance::Instance;
pub use kind::Kind;
pub use pegboard_api::{
    API_VERSION, ApiParseError, Incompatible, IncompatibleReason, check_compatible,
    parse_api_version,
};
pub use pegboard_macros::{kind, link_plugins, plugin};
pub use registry::{Registry, RegistryBuilder};
pub use state::{Failure, PluginState};

/// The README's examples, compiled and run as doc tests (they use the CLI).
#[doc = include_str!("../../README.md")]
#[cfg(all(doctest, feature = "cli"))]
pub struct ReadmeDoctests;
