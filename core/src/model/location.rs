//! Where a plugin runs (SPEC R5): in the host's own process, in a child
//! process the host spawned, or in a process elsewhere that announced
//! itself. Reports ([`PluginInfo`](crate::report::info::PluginInfo), `/api/plugins`, the
//! admin status) say which, and how the host reaches the plugin.

use std::any::Any;

use serde::Serialize;

use crate::model::descriptor::PluginDescriptor;

/// Where a plugin runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// Compiled into the host and called directly.
    #[default]
    InProcess,
    /// A plugin binary the host spawned from its plugin directory and
    /// supervises (SPEC R2).
    LocalProcess,
    /// A plugin process the host did not start, reached over gRPC (SPEC R3).
    Remote,
}

impl Location {
    /// `in_process`, `local_process` or `remote`.
    pub fn as_str(self) -> &'static str {
        match self {
            Location::InProcess => "in_process",
            Location::LocalProcess => "local_process",
            Location::Remote => "remote",
        }
    }
}

/// How the host is connected to a plugin that runs outside its process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Connection {
    /// It has not announced itself (yet), or it withdrew.
    NotAnnounced,
    /// Announced, and its heartbeats arrive.
    Healthy,
    /// It missed a heartbeat.
    Unhealthy,
    /// It missed too many heartbeats; calls are not sent to it until it
    /// announces itself again.
    Unavailable,
}

/// What the host knows of how to reach a plugin outside its process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteEndpoint {
    /// Whether the plugin is announced, and its heartbeats.
    pub connection: Connection,
    /// The address of its plugin service, once announced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Its version, as announced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The version requirement the host declared for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirement: Option<String>,
    /// Milliseconds since its last heartbeat (or announcement).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since_last_seen_ms: Option<u64>,
    /// The binary the host runs (local processes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binary: Option<String>,
    /// The process id of the running binary (local processes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
}

/// Where one plugin runs, and on which node: what a [`Members`] source
/// tells the registry's reports about each of its plugins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// In process, in a child process, or elsewhere.
    pub location: Location,
    /// The node it runs on, when it is not the host's.
    pub node: Option<String>,
    /// How the host reaches it, and what it last heard.
    pub endpoint: Option<RemoteEndpoint>,
}

/// The plugins of a registry that run outside its process: they are given
/// to the registry's build as descriptors made at run time, and asked where
/// each one runs when it is reported. Implemented by `pegboard-remote`'s
/// `RemoteMembers` (`pegboard::remote`); a trait so that the registry
/// itself does not depend on that crate. Given to
/// [`RegistryBuilder::members`](crate::RegistryBuilder::members).
pub trait Members: Send + Sync + 'static {
    /// The members' descriptors, added to the registry's catalog.
    fn descriptors(&self) -> &[&'static PluginDescriptor];
    /// Where the plugin `id` runs, if it is a member.
    fn placement(&self, id: &str) -> Option<Placement>;
    /// For the members' own factories, which know the concrete type
    /// (they reach it from [`Registry::members`](crate::Registry::members)).
    fn as_any(&self) -> &dyn Any;
}
