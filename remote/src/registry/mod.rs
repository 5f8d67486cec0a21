//! The host's book of remote plugins: who announced what, under which
//! session, and when each session was last heard from.
//!
//! [`RemoteRegistry`] is the handle ([`remote_registry`]); the book it
//! keeps is in [`book`], the calls of the `pegboard.v1.Registry` protocol
//! that change it in [`sessions`], and the checks an announcement must
//! pass in [`checks`].

mod book;
mod checks;
mod remote_registry;
mod sessions;
#[cfg(test)]
mod tests;

pub use remote_registry::{RemotePlugin, RemoteRegistry, RemoteRegistryBuilder};
