//! Remote and local-process plugins as members of a [`Registry`](pegboard_core::Registry)
//! (SPEC R2, R5).
//!
//! See [`RemoteMembers`].
//!
//! [`RemoteMembers`] and what is known of each member are in [`state`];
//! declaring them in [`declare`]; their side of the link to the remote
//! registry in [`announcements`]; an instance of a member, its client stub
//! in [`instance`] and its lifecycle in [`hooks`].

mod announcements;
mod declare;
mod hooks;
mod instance;
mod state;
#[cfg(test)]
mod tests;

pub use declare::{DEFAULT_NODE, DEFAULT_STOP_GRACE, MembersError, RemoteMembersBuilder};
pub use state::RemoteMembers;
