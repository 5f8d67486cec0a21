//! Declaring members: which plugins, of which kind, run where, from which
//! binary.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::atomic::AtomicU8;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use semver::VersionReq;
use tokio::sync::watch;

use super::instance::member_factory;
use super::state::{Member, RemoteMembers, Settings, Shared};
use crate::grpc::DEFAULT_TIMEOUT;
use crate::heartbeat::HeartbeatSettings;
use crate::kind::RemoteKind;
use crate::scan::{self, LocalBinary};
use pegboard_core::Location;
use pegboard_core::PluginDescriptor;
use pegboard_core::extend::DescriptorParts;
use pegboard_core::is_valid_name;

/// The node label local plugin processes announce, unless told otherwise.
pub const DEFAULT_NODE: &str = "local";
/// How long a local plugin process has to exit after SIGTERM before it is
/// killed, unless told otherwise.
pub const DEFAULT_STOP_GRACE: Duration = Duration::from_secs(5);

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
    /// The plugin directory could not be read. Like
    /// [`NoBinary`](Self::NoBinary), the reason the plugin fails, not an
    /// error of [`process_from_dir`](RemoteMembersBuilder::process_from_dir).
    #[error(
        "local plugin `{id}`: {source}; create it with the plugin's binary at \
         <name>/<version>/<name>-plugin, or give the directory that has it"
    )]
    Scan {
        /// The plugin's id.
        id: String,
        /// What failed.
        source: scan::ScanError,
    },
    /// No binary of the plugin in the plugin directory fits the requirement.
    /// [`process_from_dir`](RemoteMembersBuilder::process_from_dir) does not
    /// return it: the plugin is declared, and fails with this message when
    /// the registry builds it, so the other plugins still run.
    #[error(
        "local plugin `{id}`: no binary matching {requirement} (searched {searched}; \
         versions found: {found}{skipped}); install the binary there or change the \
         declared version requirement"
    )]
    NoBinary {
        /// The plugin's id.
        id: String,
        /// The requirement.
        requirement: String,
        /// Where its binary was looked for:
        /// `<dir>/<name>/<version>/<name>-plugin` and
        /// `<dir>/<name>/v<version>/<name>-plugin`.
        searched: String,
        /// The versions found, or `none`.
        found: String,
        /// The entries of `<dir>/<name>` passed over, with why (`; skipped:
        /// ...`), or empty.
        skipped: String,
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

struct Declared {
    id: String,
    kind: &'static str,
    name: String,
    location: Location,
    requirement: VersionReq,
    binaries: Vec<LocalBinary>,
    /// Why it cannot run (a local process without a binary): its factory
    /// fails with this.
    missing: Option<String>,
    kind_type: fn() -> std::any::TypeId,
    factory: pegboard_core::extend::Factory,
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
                call_timeout: DEFAULT_TIMEOUT,
                heartbeat: None,
                #[cfg(feature = "tls")]
                plugin_tls: None,
            },
        }
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
    #[cfg(feature = "tls")]
    pub fn plugin_tls(mut self, tls: crate::tls::ClientTls) -> Self {
        self.settings.plugin_tls = Some(tls);
        self
    }

    /// The longest a single remote call may take before it fails with a
    /// timeout (default [`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT));
    /// dispatch's own timeouts apply as well.
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.settings.call_timeout = timeout;
        self
    }

    /// How often the members must send heartbeats and how many they may
    /// miss: the settings of the
    /// [`RemoteRegistry`](crate::RemoteRegistry) built with these members
    /// ([`RemoteRegistryBuilder::members`](crate::RemoteRegistryBuilder::members)),
    /// unless its own [`heartbeat`](crate::RemoteRegistryBuilder::heartbeat)
    /// is set (default: [`HeartbeatSettings::default`]).
    pub fn heartbeat(mut self, settings: HeartbeatSettings) -> Self {
        self.settings.heartbeat = Some(settings);
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
        self.declare::<K>(name, Location::Remote, requirement, Vec::new(), None)
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
        self.declare::<K>(
            name,
            Location::LocalProcess,
            requirement,
            vec![binary],
            None,
        )
    }

    /// Declares the plugin `name` of kind `K`, run by the host from the
    /// highest version of its binary in `dir` that matches `requirement`
    /// (see [`scan`](crate::scan)).
    ///
    /// A plugin without such a binary (or whose `dir` cannot be read) is
    /// declared all the same: it fails alone when the registry builds it,
    /// with [`MembersError::NoBinary`] (or [`MembersError::Scan`]) as its
    /// reason, and the other plugins run. Only an invalid name or
    /// requirement is an error here.
    pub fn process_from_dir<K: RemoteKind + ?Sized>(
        self,
        name: &str,
        dir: &Path,
        requirement: &str,
    ) -> Result<Self, MembersError> {
        let req = parse_requirement(K::NAME, name, requirement)?;
        let id = format!("{}.{name}", K::NAME);
        let found = match scan::scan(dir) {
            Ok(found) => found,
            Err(source) => {
                let missing = MembersError::Scan { id, source }.to_string();
                return self.declare::<K>(
                    name,
                    Location::LocalProcess,
                    req,
                    Vec::new(),
                    Some(missing),
                );
            }
        };
        let plugin = found.plugins.iter().find(|p| p.name == name);
        let binaries: Vec<LocalBinary> = plugin
            .map(|p| p.candidates(Some(&req)).cloned().collect())
            .unwrap_or_default();
        if !binaries.is_empty() {
            return self.declare::<K>(name, Location::LocalProcess, req, binaries, None);
        }
        let searched = dir.join(name);
        let skipped: Vec<String> = found
            .skipped
            .iter()
            .filter(|s| s.path.starts_with(&searched))
            .map(|s| format!("{}: {}", s.path.display(), s.reason))
            .collect();
        let missing = MembersError::NoBinary {
            id,
            requirement: req.to_string(),
            searched: format!(
                "{0}/<version>/{name}-plugin and {0}/v<version>/{name}-plugin",
                searched.display()
            ),
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
            skipped: match skipped.is_empty() {
                true => String::new(),
                false => format!("; skipped: {}", skipped.join(", ")),
            },
        }
        .to_string();
        self.declare::<K>(name, Location::LocalProcess, req, Vec::new(), Some(missing))
    }

    fn declare<K: RemoteKind + ?Sized>(
        mut self,
        name: &str,
        location: Location,
        requirement: VersionReq,
        binaries: Vec<LocalBinary>,
        missing: Option<String>,
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
            missing,
            kind_type: pegboard_core::__private::type_id_of::<K>,
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
            // The version of the binary it runs; without one (a remote
            // plugin before it announces, a local one without a binary),
            // the declared requirement: what is known of it.
            let version: &'static str = Box::leak(
                match d.binaries.first() {
                    Some(b) => b.version.to_string(),
                    None => d.requirement.to_string(),
                }
                .into_boxed_str(),
            );
            let description: &'static str = Box::leak(
                match d.binaries.first() {
                    Some(b) => format!("local plugin process {}", b.path.display()),
                    None if d.missing.is_some() => {
                        format!(
                            "local plugin process, no binary found for {}",
                            d.requirement
                        )
                    }
                    None => format!("remote plugin, version {}", d.requirement),
                }
                .into_boxed_str(),
            );
            // Checked here rather than by the registry: the version is a
            // parsed version or, before one is known, the requirement (not
            // a version), and the API is this host's own.
            descriptors.push(&*Box::leak(Box::new(PluginDescriptor::from_checked_parts(
                DescriptorParts {
                    name,
                    kind: d.kind,
                    kind_type: d.kind_type,
                    version,
                    api: short_api(),
                    description,
                    crate_name: match d.location {
                        Location::LocalProcess => "(local process)",
                        _ => "(remote)",
                    },
                    crate_version: version,
                    file: match d.binaries.first() {
                        Some(b) => Box::leak(b.path.display().to_string().into_boxed_str()),
                        None if d.missing.is_some() => "(no binary)",
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
                missing: d.missing,
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

/// This host's API version as `#[pegboard::plugin]` plugins give theirs,
/// `MAJOR.MINOR` (`0.1`): what a member's `api` shows.
fn short_api() -> &'static str {
    static SHORT: OnceLock<String> = OnceLock::new();
    SHORT.get_or_init(|| {
        let api = pegboard_api::api_version();
        format!("{}.{}", api.major, api.minor)
    })
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
