//! Stage 4, supervise: the [`Registry`](registry::Registry) that holds the
//! ordered plugins and builds them lazily, and the
//! [`Supervisor`](supervisor::Supervisor) that starts, watches, restarts
//! and stops them.

pub mod build;
pub mod composition_error;
pub mod current;
pub mod registry;
pub mod supervisor;
