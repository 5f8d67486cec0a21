//! Remote and local-process plugins as members of a [`Registry`](crate::Registry)
//! (SPEC R2, R5).
//!
//! See [`RemoteMembers`].

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use semver::{Version, VersionReq};
use tokio::runtime::Handle;
use tokio::sync::watch;
use tracing::Level;

use super::grpc::GrpcTransport;
use super::heartbeat::RemoteState;
use super::kind::{Invoker, RemoteKind, Transport, TransportError};
use super::process::PluginChild;
use super::registry::{RemoteRegistry, WeakRemoteRegistry};
use super::scan::{self, LocalBinary};
use super::{InvokeRequest, InvokeResponse};
use crate::compat::is_valid_name;
use crate::context::Context;
use crate::descriptor::{BoxError, DescriptorParts, PluginDescriptor};
use crate::instance::Instance;
use crate::lifecycle::{BoxFuture, DynLifecycle, Health};
use crate::location::{Connection, Location, Members, Placement, RemoteEndpoint};

/// Variables of the host's environment a local plugin process does not
/// inherit: the host's own secrets (with the host token, a process could
/// announce any plugin), and settings that would make every process
/// advertise the same address.
const HOST_ONLY: &[&str] = &[
    "PEGBOARD_REMOTE_TOKEN",
    "PEGBOARD_ADMIN_TOKEN",
    super::ENV_ADVERTISE,
    super::ENV_TLS_SERVE_CERT,
    super::ENV_TLS_SERVE_KEY,
];

/// The node label local plugin processes announce, unless told otherwise.
pub const DEFAULT_NODE: &str = "local";
/// How long a local plugin process has to exit after SIGTERM before it is
/// killed, unless told otherwise.
pub const DEFAULT_STOP_GRACE: Duration = Duration::from_secs(5);

/// The plugins a host runs outside its process, declared up front.
///
/// A host declares the plugins it expects to run outside its process, each
/// with its kind: [`RemoteMembersBuilder::remote`] for a plugin that another
/// machine starts and announces, [`RemoteMembersBuilder::process`] for a
/// binary the host spawns itself (found with [`scan`](super::scan)). Each
/// declared plugin becomes an ordinary registry plugin: it has an index, a
/// state, counters, metrics, a place in the start order, and other plugins
/// may depend on it. Its instance is a client stub of its kind
/// ([`RemoteKind::stub`]) whose calls go to wherever the plugin last
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
///   one that is [unavailable](super::RemoteState::Unavailable) is
///   unhealthy; one that missed a heartbeat is degraded. So the supervisor
///   fails it and restarts it under its restart policy (SPEC L5): for a
///   local process, a restart spawns a new process. Each change is logged
///   (`plugin.remote.connection`).
/// - **stop**: a local process gets SIGTERM, then SIGKILL after the grace
///   period ([`RemoteMembersBuilder::stop_grace`]), and is reaped; a
///   dropped instance kills its process too, so none outlives the host.
///
/// Announcements of declared plugins are checked against their
/// declaration: the version against the requirement (a local process must
/// announce the version of the directory it was started from), and a
/// per-process token may only announce its own plugin. Plugins that were
/// not declared may still announce themselves (with the host's token):
/// they are listed by [`RemoteRegistry::list`], but are not registry
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
/// holds `'static` descriptors. A remote plugin's descriptor has version
/// `0.0.0` until more is known; its announced version is in
/// [`PluginInfo::remote`](crate::PluginInfo::remote).
///
/// Give them to the registry
/// ([`RegistryBuilder::remote`](crate::RegistryBuilder::remote)) and to the
/// remote registry they announce to
/// ([`RemoteRegistryBuilder::members`](super::RemoteRegistryBuilder::members)).
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
    shared: Arc<Shared>,
}

struct Shared {
    members: Vec<Member>,
    by_id: HashMap<String, usize>,
    descriptors: Vec<&'static PluginDescriptor>,
    settings: Settings,
    /// The remote registry the members announce to, once one is built
    /// with them.
    registry: OnceLock<WeakRemoteRegistry>,
}

struct Member {
    id: String,
    kind: &'static str,
    name: &'static str,
    location: Location,
    requirement: VersionReq,
    /// The binaries a local process may run, highest version first: the
    /// next is tried when the host refuses one's API (SPEC V3).
    binaries: Vec<LocalBinary>,
    /// The one it runs now, an index into `binaries`.
    current: std::sync::atomic::AtomicUsize,
    /// Why the host refused the last announcement of this plugin's API,
    /// since it was last spawned.
    refused: Mutex<Option<String>>,
    /// Where the plugin is reached, once it announced itself.
    link: watch::Sender<Option<Arc<Link>>>,
    /// The token the running process was given (local processes).
    token: Mutex<Option<String>>,
    /// The process id of the running process (local processes), 0 if none.
    pid: std::sync::atomic::AtomicU32,
    /// The connection state the last health check saw, for the events that
    /// report changes.
    reported: AtomicU8,
}

impl Member {
    /// The binary it runs now (local processes).
    fn binary(&self) -> Option<&LocalBinary> {
        self.binaries.get(self.current.load(Ordering::Acquire))
    }
}

/// One announcement of a member: where to reach it.
struct Link {
    /// The transport, or why none could be made for the address.
    transport: Result<GrpcTransport, String>,
    address: String,
    node: String,
    version: String,
    session: String,
}

/// Why members could not be declared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MembersError {
    /// A kind or plugin name is not a valid name.
    #[error("remote plugin `{id}`: invalid name (lower-case letters, digits and `-`)")]
    InvalidName {
        /// `<kind>.<name>` as declared.
        id: String,
    },
    /// The version requirement does not parse.
    #[error("remote plugin `{id}`: invalid version requirement `{requirement}`: {source}")]
    InvalidRequirement {
        /// The plugin's id.
        id: String,
        /// The requirement as written.
        requirement: String,
        /// The parse error.
        source: semver::Error,
    },
    /// The same plugin was declared twice.
    #[error("remote plugin `{id}` is declared twice")]
    Repeated {
        /// The plugin's id.
        id: String,
    },
    /// The plugin directory could not be read.
    #[error("remote plugin `{id}`: {source}")]
    Scan {
        /// The plugin's id.
        id: String,
        /// What failed.
        source: scan::ScanError,
    },
    /// No binary of the plugin in the plugin directory fits the requirement.
    #[error(
        "local plugin `{id}`: no binary `{name}/<version>/{name}-plugin` matching {requirement} \
         in {dir} (found: {found})"
    )]
    NoBinary {
        /// The plugin's id.
        id: String,
        /// The plugin's name.
        name: String,
        /// The plugin directory.
        dir: PathBuf,
        /// The requirement.
        requirement: String,
        /// The versions found, or `none`.
        found: String,
    },
    /// A local process is declared, but no plugin directory to find it in.
    #[error("local plugin `{id}`: no plugin directory to find its binary in")]
    NoPluginDir {
        /// The plugin's id.
        id: String,
    },
    /// Local processes are declared, but not where they should announce.
    #[error("local plugin processes are declared, but no host address: call `host(uri)`")]
    NoHost,
}

/// Declares [`RemoteMembers`].
#[must_use]
pub struct RemoteMembersBuilder {
    members: Vec<Declared>,
    settings: Settings,
}

/// How the members are spawned, stopped and called (see the builder).
struct Settings {
    host: Option<String>,
    node: String,
    stop_grace: Duration,
    call_timeout: Duration,
    /// How `https://` plugin services are called.
    #[cfg(feature = "remote-tls")]
    plugin_tls: Option<super::tls::ClientTls>,
}

struct Declared {
    id: String,
    kind: &'static str,
    name: String,
    location: Location,
    requirement: VersionReq,
    binaries: Vec<LocalBinary>,
    kind_type: fn() -> std::any::TypeId,
    factory: crate::descriptor::Factory,
}

impl RemoteMembers {
    /// Declares members.
    pub fn builder() -> RemoteMembersBuilder {
        RemoteMembersBuilder {
            members: Vec::new(),
            settings: Settings {
                host: None,
                node: DEFAULT_NODE.to_owned(),
                stop_grace: DEFAULT_STOP_GRACE,
                call_timeout: super::DEFAULT_TIMEOUT,
                #[cfg(feature = "remote-tls")]
                plugin_tls: None,
            },
        }
    }

    /// The declared plugins' ids, in declaration order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.shared.members.iter().map(|m| m.id.as_str())
    }

    fn member(&self, id: &str) -> Option<&Member> {
        self.shared.by_id.get(id).map(|&i| &self.shared.members[i])
    }

    /// Ties the members to the remote registry they announce to.
    pub(crate) fn attach(&self, registry: WeakRemoteRegistry) -> bool {
        self.shared.registry.set(registry).is_ok()
    }

    fn registry(&self) -> Option<RemoteRegistry> {
        self.shared
            .registry
            .get()
            .and_then(WeakRemoteRegistry::upgrade)
    }

    /// Checks an announced plugin against its declaration, if it is a
    /// member; `token_owner` is the member whose per-process token the
    /// announcement carried, if any.
    pub(crate) fn check(
        &self,
        id: &str,
        version: &str,
        token_owner: Option<&str>,
    ) -> Result<(), super::RemoteError> {
        if let Some(owner) = token_owner.filter(|owner| *owner != id) {
            return Err(super::RemoteError::TokenNotFor {
                plugin_id: id.to_owned(),
                owner: owner.to_owned(),
            });
        }
        let Some(member) = self.member(id) else {
            return Ok(());
        };
        let announced = Version::parse(version).ok();
        // A local process must be the version of the binary the host ran.
        let (fits, requirement) = match member.binary() {
            Some(b) => (
                announced.as_ref() == Some(&b.version),
                format!("={}", b.version),
            ),
            None => (
                announced.is_some_and(|v| member.requirement.matches(&v)),
                member.requirement.to_string(),
            ),
        };
        if fits {
            Ok(())
        } else {
            Err(super::RemoteError::UnexpectedVersion {
                plugin_id: id.to_owned(),
                version: version.to_owned(),
                requirement,
            })
        }
    }

    /// Records that the host refused the API of the member `id` (SPEC V3):
    /// starting it then tries its next binary.
    pub(crate) fn refused(&self, id: &str, reason: String) {
        if let Some(member) = self.member(id) {
            *lock(&member.refused) = Some(reason);
        }
    }

    /// The member whose current per-process token `token` is, if any.
    pub(crate) fn token_owner(&self, token: &[u8]) -> Option<&str> {
        use subtle::ConstantTimeEq;
        let mut owner = None;
        // Every token is compared, whichever matches.
        for m in &self.shared.members {
            let guard = lock(&m.token);
            if let Some(t) = guard.as_deref() {
                let t = t.as_bytes();
                if t.len() == token.len() && bool::from(t.ct_eq(token)) {
                    owner = Some(m.id.as_str());
                }
            }
        }
        owner
    }

    /// Records where the member `id` is reached after an accepted
    /// announcement (nothing if `id` is not a member).
    pub(crate) fn connect(
        &self,
        id: &str,
        address: &str,
        node: &str,
        version: &str,
        session: &str,
        token: &str,
    ) {
        let Some(member) = self.member(id) else {
            return;
        };
        // The token it announced with is the one its service expects.
        let transport = match Handle::try_current() {
            Ok(handle) => self.transport(address, handle).map(|t| {
                t.timeout(self.shared.settings.call_timeout)
                    .with_token(token)
            }),
            Err(_) => Err("no tokio runtime to make calls from".to_owned()),
        };
        if let Err(error) = &transport {
            tracing::event!(
                name: "plugin.remote.unreachable",
                Level::WARN,
                plugin_id = id,
                address,
                error = error.as_str(),
                "plugin.remote.unreachable"
            );
        }
        member.link.send_replace(Some(Arc::new(Link {
            transport,
            address: address.to_owned(),
            node: node.to_owned(),
            version: version.to_owned(),
            session: session.to_owned(),
        })));
    }

    /// A transport to the plugin service at `address`: over TLS for an
    /// `https://` address when TLS settings were given.
    fn transport(&self, address: &str, handle: Handle) -> Result<GrpcTransport, String> {
        #[cfg(feature = "remote-tls")]
        if let Some(tls) = &self.shared.settings.plugin_tls {
            if address
                .get(..8)
                .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
            {
                return GrpcTransport::connect_lazy_tls(address, tls, handle)
                    .map_err(|e| e.to_string());
            }
        }
        GrpcTransport::connect_lazy(address, handle).map_err(|e| e.to_string())
    }

    /// Forgets where the member `id` is reached, if it was reached through
    /// `session` (a withdrawal of an older session changes nothing).
    pub(crate) fn disconnect(&self, id: &str, session: &str) {
        if let Some(member) = self.member(id) {
            member.link.send_if_modified(|link| {
                let ours = link.as_ref().is_some_and(|l| l.session == session);
                if ours {
                    *link = None;
                }
                ours
            });
        }
    }

    /// The connection state of a member now, with the time since it was
    /// last heard from.
    fn connection(&self, member: &Member) -> (Connection, Option<Duration>) {
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

impl RemoteMembersBuilder {
    /// The registry address spawned plugin processes announce to
    /// (`PEGBOARD_HOST`), e.g. `http://127.0.0.1:50051`. Required when a
    /// local process is declared.
    pub fn host(mut self, uri: impl Into<String>) -> Self {
        self.settings.host = Some(uri.into());
        self
    }

    /// The node label spawned processes announce (default
    /// [`DEFAULT_NODE`]).
    pub fn node(mut self, node: impl Into<String>) -> Self {
        self.settings.node = node.into();
        self
    }

    /// How long a local process may take to exit after SIGTERM before it
    /// is killed (default [`DEFAULT_STOP_GRACE`]). Keep it below the
    /// plugins' stop timeout.
    pub fn stop_grace(mut self, grace: Duration) -> Self {
        self.settings.stop_grace = grace;
        self
    }

    /// Calls plugin services that announce an `https://` address over TLS
    /// with these settings (the CA that signed their certificates; a client
    /// certificate if they require one). Without, such calls fail. Feature
    /// `remote-tls`.
    #[cfg(feature = "remote-tls")]
    pub fn plugin_tls(mut self, tls: super::tls::ClientTls) -> Self {
        self.settings.plugin_tls = Some(tls);
        self
    }

    /// The longest a single remote call may take before it fails with a
    /// timeout (default [`DEFAULT_TIMEOUT`](super::DEFAULT_TIMEOUT));
    /// dispatch's own timeouts apply as well.
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.settings.call_timeout = timeout;
        self
    }

    /// Declares the plugin `name` of kind `K`, run elsewhere, whose version
    /// must match `requirement` (e.g. `"^1"`, or `"*"`).
    pub fn remote<K: RemoteKind + ?Sized>(
        self,
        name: &str,
        requirement: &str,
    ) -> Result<Self, MembersError> {
        let requirement = parse_requirement(K::NAME, name, requirement)?;
        self.declare::<K>(name, Location::Remote, requirement, Vec::new())
    }

    /// Declares the plugin `name` of kind `K`, run by the host from
    /// `binary`, which is version `version` of the plugin.
    pub fn process<K: RemoteKind + ?Sized>(
        self,
        name: &str,
        binary: LocalBinary,
    ) -> Result<Self, MembersError> {
        let requirement = VersionReq {
            comparators: vec![semver::Comparator {
                op: semver::Op::Exact,
                major: binary.version.major,
                minor: Some(binary.version.minor),
                patch: Some(binary.version.patch),
                pre: binary.version.pre.clone(),
            }],
        };
        self.declare::<K>(name, Location::LocalProcess, requirement, vec![binary])
    }

    /// Declares the plugin `name` of kind `K`, run by the host from the
    /// highest version of its binary in `dir` that matches `requirement`
    /// (see [`scan`](super::scan)).
    pub fn process_from_dir<K: RemoteKind + ?Sized>(
        self,
        name: &str,
        dir: &Path,
        requirement: &str,
    ) -> Result<Self, MembersError> {
        let req = parse_requirement(K::NAME, name, requirement)?;
        let id = format!("{}.{name}", K::NAME);
        let found = scan::scan(dir).map_err(|source| MembersError::Scan {
            id: id.clone(),
            source,
        })?;
        let plugin = found.plugins.iter().find(|p| p.name == name);
        let binaries: Vec<LocalBinary> = plugin
            .map(|p| p.candidates(Some(&req)).cloned().collect())
            .unwrap_or_default();
        match binaries.is_empty() {
            false => self.declare::<K>(name, Location::LocalProcess, req, binaries),
            true => Err(MembersError::NoBinary {
                id,
                name: name.to_owned(),
                dir: dir.to_owned(),
                requirement: req.to_string(),
                found: plugin
                    .map(|p| {
                        p.versions
                            .iter()
                            .map(|b| b.version.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "none".to_owned()),
            }),
        }
    }

    fn declare<K: RemoteKind + ?Sized>(
        mut self,
        name: &str,
        location: Location,
        requirement: VersionReq,
        binaries: Vec<LocalBinary>,
    ) -> Result<Self, MembersError> {
        let id = format!("{}.{name}", K::NAME);
        if !is_valid_name(K::NAME) || !is_valid_name(name) {
            return Err(MembersError::InvalidName { id });
        }
        if self.members.iter().any(|m| m.id == id) {
            return Err(MembersError::Repeated { id });
        }
        self.members.push(Declared {
            id,
            kind: K::NAME,
            name: name.to_owned(),
            location,
            requirement,
            binaries,
            kind_type: crate::__private::type_id_of::<K>,
            factory: member_factory::<K>,
        });
        Ok(self)
    }

    /// The members.
    pub fn build(self) -> Result<RemoteMembers, MembersError> {
        let spawns = self
            .members
            .iter()
            .any(|m| m.location == Location::LocalProcess);
        if spawns && self.settings.host.is_none() {
            return Err(MembersError::NoHost);
        }
        let mut members = Vec::with_capacity(self.members.len());
        let mut descriptors = Vec::with_capacity(self.members.len());
        let mut by_id = HashMap::with_capacity(self.members.len());
        for (i, d) in self.members.into_iter().enumerate() {
            let name: &'static str = Box::leak(d.name.into_boxed_str());
            let version: &'static str = match d.binaries.first() {
                Some(b) => Box::leak(b.version.to_string().into_boxed_str()),
                None => "0.0.0",
            };
            let description: &'static str = Box::leak(
                match d.binaries.first() {
                    Some(b) => format!("local plugin process {}", b.path.display()),
                    None => format!("remote plugin, version {}", d.requirement),
                }
                .into_boxed_str(),
            );
            descriptors.push(&*Box::leak(Box::new(PluginDescriptor::from_parts(
                DescriptorParts {
                    name,
                    kind: d.kind,
                    kind_type: d.kind_type,
                    version,
                    api: crate::API_VERSION,
                    description,
                    crate_name: match d.location {
                        Location::LocalProcess => "(local process)",
                        _ => "(remote)",
                    },
                    crate_version: version,
                    file: match d.binaries.first() {
                        Some(b) => Box::leak(b.path.display().to_string().into_boxed_str()),
                        None => "(announced)",
                    },
                    line: 0,
                    dependencies: &[],
                    capabilities: &[],
                    config: None,
                    factory: d.factory,
                },
            ))));
            by_id.insert(d.id.clone(), i);
            members.push(Member {
                id: d.id,
                kind: d.kind,
                name,
                location: d.location,
                requirement: d.requirement,
                binaries: d.binaries,
                current: std::sync::atomic::AtomicUsize::new(0),
                refused: Mutex::new(None),
                link: watch::Sender::new(None),
                token: Mutex::new(None),
                pid: std::sync::atomic::AtomicU32::new(0),
                reported: AtomicU8::new(u8::MAX),
            });
        }
        Ok(RemoteMembers {
            shared: Arc::new(Shared {
                members,
                by_id,
                descriptors,
                settings: self.settings,
                registry: OnceLock::new(),
            }),
        })
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

impl crate::RegistryBuilder {
    /// Adds the plugins declared in `members`, which run outside this
    /// process (see [`RemoteMembers`]).
    pub fn remote(self, members: &RemoteMembers) -> Self {
        self.members(Arc::new(members.clone()))
    }
}

/// `requirement` of the member `kind.name`, parsed.
fn parse_requirement(
    kind: &str,
    name: &str,
    requirement: &str,
) -> Result<VersionReq, MembersError> {
    VersionReq::parse(requirement).map_err(|source| MembersError::InvalidRequirement {
        id: format!("{kind}.{name}"),
        requirement: requirement.to_owned(),
        source,
    })
}

/// The factory of every member of kind `K`: a client stub whose calls go
/// where the member last announced itself, and the hooks that spawn,
/// watch and stop it.
fn member_factory<K: RemoteKind + ?Sized>(
    ctx: &Context<'_>,
    _config: serde_json::Value,
) -> Result<Instance, BoxError> {
    let members = ctx
        .registry()
        .members()
        .and_then(|m| m.as_any().downcast_ref::<RemoteMembers>())
        .ok_or("a remote member built by a registry without its `RemoteMembers`")?;
    let index = *members
        .shared
        .by_id
        .get(ctx.id())
        .ok_or("not a declared remote member")?;
    let member = &members.shared.members[index];
    let transport = MemberTransport {
        members: members.clone(),
        index,
    };
    let stub = K::stub(Invoker::new(member.kind, member.name, Arc::new(transport)));
    let hooks = Arc::new(MemberHooks {
        members: members.clone(),
        index,
        child: Mutex::new(None),
    });
    Ok(Instance::new::<K>(stub).with_lifecycle(hooks))
}

/// Sends a stub's calls to where its member last announced itself.
struct MemberTransport {
    members: RemoteMembers,
    index: usize,
}

impl Transport for MemberTransport {
    fn invoke(&self, request: InvokeRequest) -> Result<InvokeResponse, TransportError> {
        let member = &self.members.shared.members[self.index];
        let link = member.link.borrow().clone();
        match link.as_ref().map(|l| &l.transport) {
            Some(Ok(transport)) => transport.invoke(request),
            Some(Err(reason)) => Err(TransportError::Status {
                code: tonic::Code::Unavailable,
                message: format!("plugin `{}` cannot be reached: {reason}", member.id),
            }),
            None => Err(TransportError::Status {
                code: tonic::Code::Unavailable,
                message: format!("plugin `{}` is not announced", member.id),
            }),
        }
    }
}

/// The lifecycle of one instance of a member.
struct MemberHooks {
    members: RemoteMembers,
    index: usize,
    /// The process this instance started (local processes).
    child: Mutex<Option<Arc<PluginChild>>>,
}

impl MemberHooks {
    fn member(&self) -> &Member {
        &self.members.shared.members[self.index]
    }

    /// Spawns the member's binary, with a fresh token.
    async fn spawn(&self, binary: &LocalBinary) -> Result<(), BoxError> {
        let member = self.member();
        let shared = &self.members.shared;
        let host = shared
            .settings
            .host
            .clone()
            .ok_or("no host address to announce to")?;
        // A process from an earlier instance is gone (killed, crashed):
        // its token first, so that it cannot announce again, then its
        // session, so that it does not hold the id against the new one.
        let token = uuid::Uuid::new_v4().simple().to_string();
        *lock(&member.token) = Some(token.clone());
        if let Some(registry) = self.members.registry() {
            registry.forget(&member.id);
        }
        member.link.send_replace(None);
        let env = [
            (super::ENV_HOST.to_owned(), host),
            (super::ENV_NODE.to_owned(), shared.settings.node.clone()),
            (super::ENV_TOKEN.to_owned(), token),
            (super::ENV_LISTEN.to_owned(), "127.0.0.1:0".to_owned()),
        ];
        let child = PluginChild::spawn(&member.id, &binary.path, &env, HOST_ONLY)?;
        member.pid.store(child.pid(), Ordering::Release);
        *lock(&self.child) = Some(Arc::new(child));
        Ok(())
    }

    /// Resolves once the member is announced and not unavailable: a
    /// restart after it became unavailable waits for it to announce again
    /// (bounded by the start timeout) instead of starting it unreachable.
    async fn announced(&self) -> Result<(), BoxError> {
        let member = self.member();
        let mut link = member.link.subscribe();
        loop {
            if link.borrow_and_update().is_some()
                && self.members.connection(member).0 != Connection::Unavailable
            {
                return Ok(());
            }
            // Every announcement replaces the link, which wakes this.
            link.changed().await.map_err(|e| e.to_string())?;
        }
    }
}

impl DynLifecycle for MemberHooks {
    fn start(&self) -> BoxFuture<'_, Result<(), BoxError>> {
        Box::pin(self.start())
    }
    fn stop(&self) -> BoxFuture<'_, Result<(), BoxError>> {
        Box::pin(self.stop())
    }
    fn health(&self) -> BoxFuture<'_, Health> {
        Box::pin(self.health())
    }
    /// A process that exits is checked at once (and so failed and
    /// restarted), not at the next health interval.
    fn changed(&self) -> BoxFuture<'_, ()> {
        let child = lock(&self.child).clone();
        Box::pin(async move {
            match child {
                Some(child) => drop(child.wait_exit().await),
                None => std::future::pending().await,
            }
        })
    }
}

/// The hooks themselves (inherent: `DynLifecycle` is implemented directly,
/// for `changed`).
impl MemberHooks {
    async fn start(&self) -> Result<(), BoxError> {
        let member = self.member();
        let Some(mut binary) = member.binary().cloned() else {
            return self.announced().await;
        };
        loop {
            *lock(&member.refused) = None;
            self.spawn(&binary).await?;
            let Some(child) = lock(&self.child).clone() else {
                return Err("the process was not kept".into());
            };
            let status = tokio::select! {
                r = self.announced() => return r,
                status = child.wait_exit() => status,
            };
            let refused = lock(&member.refused).take();
            let next = member.current.load(Ordering::Acquire) + 1;
            match (refused, member.binaries.get(next)) {
                // Its API is not this host's: the next version may be.
                (Some(reason), Some(older)) => {
                    tracing::event!(
                        name: "plugin.process.fallback",
                        Level::WARN,
                        plugin_id = member.id.as_str(),
                        refused = %binary.version,
                        next = %older.version,
                        reason = reason.as_str(),
                        "plugin.process.fallback"
                    );
                    member.current.store(next, Ordering::Release);
                    binary = older.clone();
                }
                (Some(reason), None) => {
                    return Err(
                        format!("no binary of it is compatible with this host: {reason}").into(),
                    );
                }
                (None, _) => {
                    return Err(format!("the process {status} before it announced itself").into());
                }
            }
        }
    }

    async fn stop(&self) -> Result<(), BoxError> {
        // Left in place while it stops: if this is cut off by the stop
        // timeout, dropping the instance cleans up (see `Drop`).
        let child = lock(&self.child).clone();
        if let Some(child) = child {
            child.stop(self.members.shared.settings.stop_grace).await;
            self.forget_process();
        }
        Ok(())
    }

    async fn health(&self) -> Health {
        let member = self.member();
        let child = lock(&self.child).clone();
        if let Some(child) = child {
            if let Some(status) = child.exited() {
                report(member, Connection::NotAnnounced, "process exited");
                return Health::unhealthy(format!("the process {status}"));
            }
        }
        let unreachable = member
            .link
            .borrow()
            .as_ref()
            .and_then(|l| l.transport.as_ref().err().cloned());
        if let Some(reason) = unreachable {
            return Health::unhealthy(format!("cannot be reached: {reason}"));
        }
        let (connection, since) = self.members.connection(member);
        let since_ms = since.map_or(0, |d| d.as_millis());
        report(member, connection, "");
        match connection {
            Connection::Healthy => Health::healthy(),
            Connection::Unhealthy => Health::degraded(format!(
                "missed heartbeats: last heard from {since_ms} ms ago"
            )),
            Connection::Unavailable => {
                Health::unhealthy(format!("unavailable: last heard from {since_ms} ms ago"))
            }
            Connection::NotAnnounced => Health::unhealthy("not announced"),
        }
    }
}

/// An instance dropped without a clean stop (its start timed out or was
/// cancelled, its stop timed out, it failed): its process is killed by the
/// child handle's own drop; what the member records of that process goes
/// with it.
impl Drop for MemberHooks {
    fn drop(&mut self) {
        self.forget_process();
    }
}

impl MemberHooks {
    /// Forgets this instance's process: the member's pid, token, session
    /// and link, unless a newer instance has spawned since.
    fn forget_process(&self) {
        let Some(child) = lock(&self.child).take() else {
            return;
        };
        let member = self.member();
        if member
            .pid
            .compare_exchange(child.pid(), 0, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        *lock(&member.token) = None;
        if let Some(registry) = self.members.registry() {
            registry.forget(&member.id);
        }
        member.link.send_replace(None);
    }
}

/// Logs `plugin.remote.connection` when a member's connection state
/// differs from what the last health check saw.
fn report(member: &Member, connection: Connection, cause: &str) {
    let code = connection as u8;
    let before = member.reported.swap(code, Ordering::AcqRel);
    if before == code {
        return;
    }
    let state = serde_json::to_value(connection)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let plugin_id = member.id.as_str();
    let location = member.location.as_str();
    if connection == Connection::Healthy {
        tracing::event!(name: "plugin.remote.connection", Level::INFO, plugin_id, location, state, cause, "plugin.remote.connection");
    } else {
        tracing::event!(name: "plugin.remote.connection", Level::WARN, plugin_id, location, state, cause, "plugin.remote.connection");
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
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

impl fmt::Debug for RemoteMembersBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteMembersBuilder")
            .field(
                "ids",
                &self.members.iter().map(|m| &m.id).collect::<Vec<_>>(),
            )
            .field("host", &self.settings.host)
            .field("node", &self.settings.node)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::{RemoteCallError, RemoteError};

    #[crate::kind(remote)]
    pub trait Probe {
        fn probe(&self, x: u32) -> Result<u32, ProbeError>;
    }

    #[derive(Debug, serde::Serialize, serde::Deserialize)]
    pub struct ProbeError(String);

    impl From<RemoteCallError> for ProbeError {
        fn from(e: RemoteCallError) -> Self {
            ProbeError(e.to_string())
        }
    }

    fn members() -> RemoteMembers {
        RemoteMembers::builder()
            .remote::<dyn Probe>("far", "^1")
            .unwrap()
            .remote::<dyn Probe>("near", "*")
            .unwrap()
            .build()
            .unwrap()
    }

    #[test]
    fn a_process_token_announces_only_its_own_plugin() {
        let m = members();
        let far = m.member("probe.far").unwrap();
        *lock(&far.token) = Some("t-far".to_owned());
        assert_eq!(m.token_owner(b"t-far"), Some("probe.far"));
        assert_eq!(m.token_owner(b"t-fa"), None);
        assert_eq!(m.token_owner(b"t-far!"), None);
        assert!(matches!(
            m.check("probe.near", "1.0.0", Some("probe.far")),
            Err(RemoteError::TokenNotFor { ref plugin_id, ref owner })
                if plugin_id == "probe.near" && owner == "probe.far"
        ));
        assert!(m.check("probe.far", "1.0.0", Some("probe.far")).is_ok());
    }

    #[test]
    fn declared_versions_are_enforced_and_undeclared_ids_left_alone() {
        let m = members();
        assert!(matches!(
            m.check("probe.far", "2.0.0", None),
            Err(RemoteError::UnexpectedVersion { ref requirement, .. }) if requirement == "^1"
        ));
        assert!(m.check("probe.far", "1.4.2", None).is_ok());
        assert!(m.check("probe.near", "9.9.9", None).is_ok());
        assert!(m.check("probe.other", "0.0.1", None).is_ok());
    }

    #[test]
    fn a_withdrawal_only_forgets_the_session_that_announced() {
        let m = members();
        m.connect(
            "probe.far",
            "http://10.0.0.1:1",
            "node-a",
            "1.0.0",
            "s1",
            "t",
        );
        let placement = |m: &RemoteMembers| m.placement("probe.far").unwrap();
        assert_eq!(placement(&m).node.as_deref(), Some("node-a"));
        m.disconnect("probe.far", "s0");
        assert_eq!(
            placement(&m).endpoint.unwrap().address.as_deref(),
            Some("http://10.0.0.1:1")
        );
        m.disconnect("probe.far", "s1");
        let endpoint = placement(&m).endpoint.unwrap();
        assert_eq!(
            (endpoint.address, endpoint.connection),
            (None, Connection::NotAnnounced)
        );
        assert_eq!(placement(&m).location, Location::Remote);
        assert_eq!(m.placement("probe.other"), None);
    }
}
