//! The extension API: what a crate needs to add plugins of its own to a
//! [`Registry`](crate::Registry), next to the compiled-in ones.
//!
//! `pegboard-remote` is built on it: its `RemoteMembers` implements
//! [`Members`] for plugins that run in other processes, gives the registry
//! their descriptors (made at run time with [`DescriptorParts`]), and tells
//! each report where they run ([`Placement`]). The registry validates,
//! orders, builds, supervises and reports such members exactly as it does
//! compiled-in plugins.
//!
//! A host's own front end (as `pegboard-cli` is) also finds here what the
//! registry's build does in steps: the compiled-in descriptors
//! ([`compiled_in`]) and the config validator of a catalog
//! ([`config_validator`]).
//!
//! ```
//! # extern crate pegboard_core as pegboard;
//! use std::any::Any;
//! use std::sync::Arc;
//!
//! use pegboard::PluginDescriptor;
//! use pegboard::extend::{Members, Placement};
//!
//! /// A members source with no plugins: the smallest implementation.
//! struct Nobody;
//!
//! impl Members for Nobody {
//!     fn descriptors(&self) -> &[&'static PluginDescriptor] {
//!         &[]
//!     }
//!     fn placement(&self, _id: &str) -> Option<Placement> {
//!         None
//!     }
//!     fn as_any(&self) -> &dyn Any {
//!         self
//!     }
//! }
//!
//! let registry = pegboard::Registry::builder().members(Arc::new(Nobody)).build()?;
//! assert!(registry.members().is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use crate::discover::compiled_in;
pub use crate::model::descriptor::{DescriptorParts, Factory};
pub use crate::model::error::panic_message;
pub use crate::model::lifecycle::DynLifecycle;
pub use crate::model::location::{Members, Placement};
pub use crate::validate::compat::config_validator;
