//! The declared members and what is known of each: where it was last
//! announced, its process, its connection state.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use semver::VersionReq;
use tokio::sync::watch;

use crate::grpc::GrpcTransport;
use crate::heartbeat::{HeartbeatSettings, RemoteState};
use crate::link::AnnouncedSessions;
use crate::scan::LocalBinary;
use pegboard_core::PluginDescriptor;
use pegboard_core::extend::{Members, Placement};
use pegboard_core::{Connection, Location, RemoteEndpoint};

/// The plugins a host runs outside its process, declared up front.
///
/// A host declares the plugins it expects to run outside its process, each
/// with its kind: [`RemoteMembersBuilder::remote`](crate::RemoteMembersBuilder::remote) for a plugin that another
/// machine starts and announces, [`RemoteMembersBuilder::process`](crate::RemoteMembersBuilder::process) for a
/// binary the host spawns itself (found with [`scan`](crate::scan)). Each
/// declared plugin becomes an ordinary registry plugin: it has an index, a
/// state, counters, metrics, a place in the start order, and other plugins
/// may depend on it. Its instance is a client stub of its kind
/// ([`RemoteKind::stub`](crate::RemoteKind::stub)) whose calls go to wherever the plugin last
/// announced itself, so dispatch reaches it with the same timeouts,
/// isolation and counters as a compiled-in plugin.
///
/// Its lifecycle hooks do the rest:
///
/// - **start**: a local process is spawned with `PEGBOARD_HOST`,
///   `PEGBOARD_NODE`, a fresh per-process `PEGBOARD_TOKEN` and
///   `PEGBOARD_LISTEN=127.0.0.1:0`; then (both locations) the hook waits
///   until the plugin has announced itself. The plugin's start timeout
///   bounds the wait; a process that exits first fails the start.
/// - **health**: a process that exited, a plugin that is not announced, or
///   one that is [unavailable](crate::RemoteState::Unavailable) is
///   unhealthy; one that missed a heartbeat is degraded. So the supervisor
///   fails it and restarts it under its restart policy (SPEC L5): for a
///   local process, a restart spawns a new process. Each change is logged
///   (`plugin.remote.connection`).
/// - **stop**: a local process gets SIGTERM, then SIGKILL after the grace
///   period ([`RemoteMembersBuilder::stop_grace`](crate::RemoteMembersBuilder::stop_grace)), and is reaped; a
///   dropped instance kills its process too, so none outlives the host.
///
/// Announcements of declared plugins are checked against their
/// declaration: the version against the requirement (a local process must
/// announce the version of the directory it was started from), and a
/// per-process token may only announce its own plugin. Plugins that were
/// not declared may still announce themselves (with the host's token):
/// they are listed by [`RemoteRegistry::list`](crate::RemoteRegistry::list), but are not registry
/// members and are not called.
///
/// A local process that exits is health-checked at once, not at the next
/// interval: it fails (after `unhealthy_threshold` checks, which then run
/// back to back) and is restarted without waiting for `health_interval_ms`.
/// Periodic checks (heartbeats, a process that stops answering) still need
/// health checks on (`health_interval_ms` > 0, the default).
///
/// The descriptors of declared plugins are made at run time and leaked
/// (a few hundred bytes per plugin, once per `RemoteMembers`): the catalog
/// holds `'static` descriptors. The descriptor's `api` is this host's,
/// `MAJOR.MINOR` as plugins declare it (`0.1`); its version is the
/// binary's for a local process, else the declared requirement (`^1`,
/// what is known before it announces); the announced version is in
/// [`PluginInfo::remote`](pegboard_core::PluginInfo::remote).
///
/// A local process declared with
/// [`process_from_dir`](crate::RemoteMembersBuilder::process_from_dir)
/// whose binary is not there fails alone: its instance cannot be built,
/// and the registry reports it `failed` with the paths it searched and the
/// versions it found.
///
/// Give them to the registry
/// ([`RegistryBuilder::remote`](pegboard_core::RegistryBuilder::remote)) and to the
/// remote registry they announce to
/// ([`RemoteRegistryBuilder::members`](crate::RemoteRegistryBuilder::members)).
///
/// Cloning is cheap and shares the members.
///
/// ```no_run
/// # #[pegboard::kind(remote)]
/// # pub trait Classifier { fn classify(&self, text: String) -> Result<Vec<String>, Oops>; }
/// # #[derive(Debug, serde::Serialize, serde::Deserialize)] pub struct Oops(String);
/// # impl From<pegboard::remote::RemoteCallError> for Oops {
/// #     fn from(e: pegboard::remote::RemoteCallError) -> Self { Oops(e.to_string()) }
/// # }
/// # async fn host() -> Result<(), Box<dyn std::error::Error>> {
/// use pegboard::remote::{RemoteMembers, RemoteRegistry};
///
/// let members = RemoteMembers::builder()
///     .host("http://127.0.0.1:50051") // where spawned plugins announce
///     .process_from_dir::<dyn Classifier>("sentiment", "plugins-bin".as_ref(), "^0.1")?
///     .remote::<dyn Classifier>("language", "^1")?
///     .build()?;
/// let registry = pegboard::Registry::builder().remote(&members).build()?;
/// let remote = RemoteRegistry::builder(registry.catalog(), "s3cret")
///     .members(&members)
///     .build()?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RemoteMembers {
    pub(super) shared: Arc<Shared>,
}

pub(super) struct Shared {
    pub(super) members: Vec<Member>,
    pub(super) by_id: HashMap<String, usize>,
    pub(super) descriptors: Vec<&'static PluginDescriptor>,
    pub(super) settings: Settings,
    /// The remote registry the members announce to, once one is built
    /// with them.
    pub(super) registry: OnceLock<Box<dyn AnnouncedSessions>>,
}

pub(super) struct Member {
    pub(super) id: String,
    pub(super) kind: &'static str,
    pub(super) name: &'static str,
    pub(super) location: Location,
    pub(super) requirement: VersionReq,
    /// The binaries a local process may run, highest version first: the
    /// next is tried when the host refuses one's API (SPEC V3).
    pub(super) binaries: Vec<LocalBinary>,
    /// Why it cannot run (a local process without a binary), if so: its
    /// factory fails with this, so the registry reports it failed.
    pub(super) missing: Option<String>,
    /// The one it runs now, an index into `binaries`.
    pub(super) current: std::sync::atomic::AtomicUsize,
    /// Why the host refused the last announcement of this plugin's API,
    /// since it was last spawned.
    pub(super) refused: Mutex<Option<String>>,
    /// Where the plugin is reached, once it announced itself.
    pub(super) link: watch::Sender<Option<Arc<Link>>>,
    /// The token the running process was given (local processes).
    pub(super) token: Mutex<Option<String>>,
    /// The process id of the running process (local processes), 0 if none.
    pub(super) pid: std::sync::atomic::AtomicU32,
    /// The connection state the last health check saw, for the events that
    /// report changes.
    pub(super) reported: AtomicU8,
}

impl Member {
    /// The binary it runs now (local processes).
    pub(super) fn binary(&self) -> Option<&LocalBinary> {
        self.binaries.get(self.current.load(Ordering::Acquire))
    }
}

/// One announcement of a member: where to reach it.
pub(super) struct Link {
    /// The transport, or why none could be made for the address.
    pub(super) transport: Result<GrpcTransport, String>,
    pub(super) address: String,
    pub(super) node: String,
    pub(super) version: String,
    pub(super) session: String,
}

/// How the members are spawned, stopped and called (see the builder).
pub(super) struct Settings {
    pub(super) host: Option<String>,
    pub(super) node: String,
    pub(super) stop_grace: Duration,
    pub(super) call_timeout: Duration,
    /// The heartbeat settings of the remote registry they announce to,
    /// unless it is given its own.
    pub(super) heartbeat: Option<HeartbeatSettings>,
    /// How `https://` plugin services are called.
    #[cfg(feature = "tls")]
    pub(super) plugin_tls: Option<crate::tls::ClientTls>,
}

impl RemoteMembers {
    /// The declared plugins' ids, in declaration order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.shared.members.iter().map(|m| m.id.as_str())
    }

    pub(super) fn member(&self, id: &str) -> Option<&Member> {
        self.shared.by_id.get(id).map(|&i| &self.shared.members[i])
    }

    /// The sessions of the remote registry the members announce to, once
    /// one is built with them.
    pub(super) fn registry(&self) -> Option<&dyn AnnouncedSessions> {
        self.shared.registry.get().map(|sessions| &**sessions)
    }

    /// The connection state of a member now, with the time since it was
    /// last heard from.
    pub(super) fn connection(&self, member: &Member) -> (Connection, Option<Duration>) {
        if member.link.borrow().is_none() {
            return (Connection::NotAnnounced, None);
        }
        let Some((state, since)) = self.registry().and_then(|r| r.state_of(&member.id)) else {
            return (Connection::NotAnnounced, None);
        };
        let connection = match state {
            RemoteState::Healthy => Connection::Healthy,
            RemoteState::Unhealthy => Connection::Unhealthy,
            RemoteState::Unavailable => Connection::Unavailable,
        };
        (connection, Some(since))
    }
}

impl Members for RemoteMembers {
    fn descriptors(&self) -> &[&'static PluginDescriptor] {
        &self.shared.descriptors
    }

    fn placement(&self, id: &str) -> Option<Placement> {
        let member = self.member(id)?;
        let (connection, since) = self.connection(member);
        let link = member.link.borrow().clone();
        let pid = member.pid.load(Ordering::Acquire);
        Some(Placement {
            location: member.location,
            node: match &link {
                Some(l) => Some(l.node.clone()),
                None if member.location == Location::LocalProcess => {
                    Some(self.shared.settings.node.clone())
                }
                None => None,
            },
            endpoint: Some(RemoteEndpoint {
                connection,
                address: link.as_ref().map(|l| l.address.clone()),
                version: link.as_ref().map(|l| l.version.clone()),
                requirement: Some(member.requirement.to_string()),
                since_last_seen_ms: since.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                binary: member.binary().map(|b| b.path.display().to_string()),
                pid: (pid != 0).then_some(pid),
            }),
        })
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Only whole values are written under these locks.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl fmt::Debug for RemoteMembers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteMembers")
            .field("ids", &self.ids().collect::<Vec<_>>())
            .field("host", &self.shared.settings.host)
            .field("node", &self.shared.settings.node)
            .finish_non_exhaustive()
    }
}
