//! The link between an announced session and a declared member: what the
//! [`RemoteRegistry`](crate::RemoteRegistry) tells the
//! [`RemoteMembers`](crate::RemoteMembers) a host declared, and what
//! they ask of it.
//!
//! Each side holds the other only as one of these traits, so neither the
//! registry's files nor the members' import each other: the registry keeps
//! the book of sessions, the members spawn, watch and call plugins, and
//! both depend on this contract alone.

use std::time::Duration;

use super::error::RemoteError;
use super::heartbeat::{HeartbeatSettings, RemoteState};

/// The declared members, as the remote registry they announce to sees
/// them (implemented by `RemoteMembers`).
pub(crate) trait DeclaredMembers: Send + Sync {
    /// Ties the members to the registry they announce to; `false` if they
    /// already announce to another one.
    fn attach(&self, sessions: Box<dyn AnnouncedSessions>) -> bool;

    /// The heartbeat settings the members were declared with, if any: the
    /// registry's, unless it was given its own.
    fn heartbeat(&self) -> Option<HeartbeatSettings>;

    /// Checks an announced plugin against its declaration, if it is a
    /// member; `token_owner` is the member whose per-process token the
    /// announcement carried, if any.
    fn check(&self, id: &str, version: &str, token_owner: Option<&str>) -> Result<(), RemoteError>;

    /// Records that the host refused the API of the member `id` (SPEC V3):
    /// starting it then tries its next binary.
    fn refused(&self, id: &str, reason: String);

    /// The member whose current per-process token `token` is, if any.
    fn token_owner(&self, token: &[u8]) -> Option<&str>;

    /// Records where the member `id` is reached after an accepted
    /// announcement (nothing if `id` is not a member).
    fn connect(
        &self,
        id: &str,
        address: &str,
        node: &str,
        version: &str,
        session: &str,
        token: &str,
    );

    /// Forgets where the member `id` is reached, if it was reached through
    /// `session` (a withdrawal of an older session changes nothing).
    fn disconnect(&self, id: &str, session: &str);
}

/// The sessions of the remote registry the members announce to, as the
/// members see them (implemented by a handle that does not keep the
/// registry alive: the registry holds its members).
pub(crate) trait AnnouncedSessions: Send + Sync {
    /// The heartbeat state of the plugin `id` now, and the time since its
    /// session was last heard from; `None` if it is not announced (or the
    /// registry is gone).
    fn state_of(&self, id: &str) -> Option<(RemoteState, Duration)>;

    /// Drops the session that announced `id` (with every plugin it
    /// announced): the host is replacing the process behind it.
    fn forget(&self, id: &str);
}
