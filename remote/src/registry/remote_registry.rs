//! The registry handle: how it is built, what it holds, and what it lists.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::book::Book;
use crate::error::RemoteError;
use crate::heartbeat::{HeartbeatSettings, RemoteState};
use crate::link::{AnnouncedSessions, DeclaredMembers};
use pegboard_core::Catalog;

/// Where "now" comes from; tests pass a clock they move by hand.
type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// The host's registry of remote plugins (SPEC R3, R4): checks and records
/// their announcements, tracks their heartbeats and lists them with their
/// state. Serve it over gRPC with [`service`](Self::service) (and
/// [`health_service`](Self::health_service)).
///
/// Cloning is cheap and shares the registry.
#[derive(Clone)]
pub struct RemoteRegistry {
    pub(super) shared: Arc<Shared>,
}

pub(super) struct Shared {
    /// Ids of compiled-in plugins, which a remote plugin may not take.
    pub(super) compiled_in: HashSet<String>,
    pub(super) token: String,
    pub(super) settings: HeartbeatSettings,
    clock: Clock,
    book: Mutex<Book>,
    /// The declared plugins that announce here, if any.
    pub(super) members: Option<Arc<dyn DeclaredMembers>>,
}

/// A [`RemoteRegistry`] that does not keep it alive (held by its
/// [`RemoteMembers`](crate::RemoteMembers), which it holds).
#[derive(Clone)]
struct WeakRemoteRegistry(Weak<Shared>);

impl WeakRemoteRegistry {
    fn upgrade(&self) -> Option<RemoteRegistry> {
        self.0.upgrade().map(|shared| RemoteRegistry { shared })
    }
}

impl AnnouncedSessions for WeakRemoteRegistry {
    fn state_of(&self, id: &str) -> Option<(RemoteState, Duration)> {
        self.upgrade().and_then(|registry| registry.state_of(id))
    }

    fn forget(&self, id: &str) {
        if let Some(registry) = self.upgrade() {
            registry.forget(id);
        }
    }
}

/// Builds a [`RemoteRegistry`].
#[must_use]
pub struct RemoteRegistryBuilder {
    compiled_in: HashSet<String>,
    token: String,
    /// Set by [`heartbeat`](Self::heartbeat); else the members', else the
    /// default.
    settings: Option<HeartbeatSettings>,
    clock: Option<Clock>,
    members: Option<Arc<dyn DeclaredMembers>>,
}

impl RemoteRegistryBuilder {
    /// The declared plugins `ids` announce here, checked and told about
    /// their sessions by `members`: their ids are not refused as
    /// compiled-in. `RemoteRegistryBuilder::members` (public) calls this.
    pub(crate) fn declared<'a>(
        mut self,
        ids: impl IntoIterator<Item = &'a str>,
        members: Arc<dyn DeclaredMembers>,
    ) -> Self {
        for id in ids {
            self.compiled_in.remove(id);
        }
        self.members = Some(members);
        self
    }

    /// How often plugins must send heartbeats and how many they may miss
    /// (default: the [members'](crate::RemoteMembersBuilder::heartbeat), if
    /// they were given any, else [`HeartbeatSettings::default`]).
    pub fn heartbeat(mut self, settings: HeartbeatSettings) -> Self {
        self.settings = Some(settings);
        self
    }

    /// Where the registry reads the time (default: [`Instant::now`]); for
    /// tests that move time by hand instead of sleeping.
    pub fn clock(mut self, clock: impl Fn() -> Instant + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The registry, or [`RemoteError::EmptyToken`].
    pub fn build(self) -> Result<RemoteRegistry, RemoteError> {
        if self.token.is_empty() {
            return Err(RemoteError::EmptyToken);
        }
        let settings = self
            .settings
            .or_else(|| self.members.as_ref().and_then(|m| m.heartbeat()))
            .unwrap_or_default();
        let shared = Arc::new(Shared {
            compiled_in: self.compiled_in,
            token: self.token,
            settings,
            clock: self.clock.unwrap_or_else(|| Arc::new(Instant::now)),
            book: Mutex::default(),
            members: self.members,
        });
        if let Some(members) = &shared.members {
            if !members.attach(Box::new(WeakRemoteRegistry(Arc::downgrade(&shared)))) {
                return Err(RemoteError::MembersTaken);
            }
        }
        Ok(RemoteRegistry { shared })
    }
}

/// One remote plugin as the host sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemotePlugin {
    /// `<kind>.<name>`.
    pub id: String,
    /// The plugin's kind.
    pub kind: String,
    /// The plugin's name within its kind.
    pub name: String,
    /// The node it runs on, as announced.
    pub node: String,
    /// Where the host reaches its plugin service.
    pub address: String,
    /// The plugin's own version.
    pub version: String,
    /// The pegboard API version it was built against, as announced.
    pub api: String,
    /// One line for operators.
    pub description: String,
    /// Capabilities or features, as announced.
    pub capabilities: Vec<String>,
    /// Dependencies, as announced.
    pub depends_on: Vec<String>,
    /// The session it was announced under.
    pub session: String,
    /// How it is, judged by its heartbeats.
    pub state: RemoteState,
    /// Time since its last heartbeat (or its announcement).
    #[serde(serialize_with = "as_millis")]
    pub since_last_seen: Duration,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u128(d.as_millis())
}
impl RemoteRegistry {
    /// A registry that refuses remote plugins whose id is one of `catalog`'s
    /// (the compiled-in plugins), and calls without `token`.
    pub fn builder(catalog: &Catalog, token: impl Into<String>) -> RemoteRegistryBuilder {
        RemoteRegistryBuilder {
            compiled_in: catalog.ids().map(str::to_owned).collect(),
            token: token.into(),
            settings: None,
            clock: None,
            members: None,
        }
    }

    /// The heartbeat settings.
    pub fn settings(&self) -> HeartbeatSettings {
        self.shared.settings
    }

    /// The time on the registry's clock.
    pub fn now(&self) -> Instant {
        (self.shared.clock)()
    }

    /// Every remote plugin, sorted by id, with its state now.
    pub fn list(&self) -> Vec<RemotePlugin> {
        self.list_at(self.now())
    }

    /// Every remote plugin, sorted by id, with its state at `now`.
    pub fn list_at(&self, now: Instant) -> Vec<RemotePlugin> {
        let book = self.book();
        let settings = self.shared.settings;
        let mut out: Vec<RemotePlugin> = book
            .sessions
            .iter()
            .flat_map(|(session_id, s)| {
                let state = settings.state(s.last_seen, now);
                let since = now.saturating_duration_since(s.last_seen);
                s.plugins.iter().map(move |p| RemotePlugin {
                    id: p.id.clone(),
                    kind: p.meta.kind.clone(),
                    name: p.meta.name.clone(),
                    node: s.node.clone(),
                    address: s.address.clone(),
                    version: p.meta.version.clone(),
                    api: p.meta.api.clone(),
                    description: p.meta.description.clone(),
                    capabilities: p.meta.capabilities.clone(),
                    depends_on: p.meta.depends_on.clone(),
                    session: session_id.clone(),
                    state,
                    since_last_seen: since,
                })
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    pub(crate) fn token(&self) -> &str {
        &self.shared.token
    }

    /// The declared members, if any.
    pub(crate) fn members(&self) -> Option<&dyn DeclaredMembers> {
        self.shared.members.as_deref()
    }

    /// The heartbeat state of the plugin `id` now, and the time since its
    /// session was last heard from; `None` if it is not announced.
    pub(crate) fn state_of(&self, id: &str) -> Option<(RemoteState, Duration)> {
        let now = self.now();
        let book = self.book();
        let session = book.sessions.get(book.owners.get(id)?)?;
        Some((
            self.shared.settings.state(session.last_seen, now),
            now.saturating_duration_since(session.last_seen),
        ))
    }

    /// Drops the session that announced `id` (with every plugin it
    /// announced): the host is replacing the process behind it.
    pub(crate) fn forget(&self, id: &str) {
        let mut book = self.book();
        if let Some(session) = book.owners.get(id).cloned() {
            if let Some((_, ids)) = book.remove(&session) {
                drop(book);
                self.disconnect(&ids, &session);
            }
        }
    }

    pub(super) fn disconnect(&self, ids: &[String], session: &str) {
        if let Some(members) = &self.shared.members {
            for id in ids {
                members.disconnect(id, session);
            }
        }
    }

    pub(super) fn book(&self) -> MutexGuard<'_, Book> {
        // No code path panics while holding the lock with the book half
        // updated, so a poisoned lock still guards a consistent book.
        self.shared.book.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for RemoteRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the token.
        f.debug_struct("RemoteRegistry")
            .field("settings", &self.shared.settings)
            .field("compiled_in", &self.shared.compiled_in.len())
            .field("sessions", &self.book().sessions.len())
            .finish_non_exhaustive()
    }
}
