//! The host's book of remote plugins: who announced what, under which
//! session, and when each session was last heard from.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use pegboard_proto::v1::{AnnounceRequest, PluginMeta};
use serde::Serialize;

use super::error::RemoteError;
use super::heartbeat::{HeartbeatSettings, RemoteState};
use super::members::RemoteMembers;
use crate::catalog::Catalog;

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
    shared: Arc<Shared>,
}

struct Shared {
    /// Ids of compiled-in plugins, which a remote plugin may not take.
    compiled_in: HashSet<String>,
    token: String,
    settings: HeartbeatSettings,
    clock: Clock,
    book: Mutex<Book>,
    /// The declared plugins that announce here, if any.
    members: Option<RemoteMembers>,
}

/// A [`RemoteRegistry`] that does not keep it alive (held by its
/// [`RemoteMembers`], which it holds).
#[derive(Clone)]
pub(crate) struct WeakRemoteRegistry(Weak<Shared>);

impl WeakRemoteRegistry {
    pub(crate) fn upgrade(&self) -> Option<RemoteRegistry> {
        self.0.upgrade().map(|shared| RemoteRegistry { shared })
    }
}

#[derive(Default)]
struct Book {
    sessions: HashMap<String, Session>,
    /// Plugin id → the session that announced it.
    owners: HashMap<String, String>,
}

struct Session {
    node: String,
    address: String,
    plugins: Vec<Announced>,
    last_seen: Instant,
}

struct Announced {
    id: String,
    meta: PluginMeta,
}

/// Builds a [`RemoteRegistry`].
#[must_use]
pub struct RemoteRegistryBuilder {
    compiled_in: HashSet<String>,
    token: String,
    settings: HeartbeatSettings,
    clock: Option<Clock>,
    members: Option<RemoteMembers>,
}

impl RemoteRegistryBuilder {
    /// The plugins this host declared to run outside its process
    /// ([`RemoteMembers`]): their ids are not refused as compiled-in, their
    /// announcements are checked against their declarations, and they are
    /// called where they announce themselves. Local plugin processes may
    /// announce with the token they were started with.
    pub fn members(mut self, members: &RemoteMembers) -> Self {
        for id in members.ids() {
            self.compiled_in.remove(id);
        }
        self.members = Some(members.clone());
        self
    }

    /// How often plugins must send heartbeats and how many they may miss
    /// (default: [`HeartbeatSettings::default`]).
    pub fn heartbeat(mut self, settings: HeartbeatSettings) -> Self {
        self.settings = settings;
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
        let shared = Arc::new(Shared {
            compiled_in: self.compiled_in,
            token: self.token,
            settings: self.settings,
            clock: self.clock.unwrap_or_else(|| Arc::new(Instant::now)),
            book: Mutex::default(),
            members: self.members,
        });
        if let Some(members) = &shared.members {
            if !members.attach(WeakRemoteRegistry(Arc::downgrade(&shared))) {
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

/// What an accepted announcement got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Accepted {
    pub(crate) session: String,
    /// Sessions this announcement replaced (unavailable, or the same node and
    /// address announcing again).
    pub(crate) replaced: Vec<String>,
    pub(crate) ids: Vec<String>,
}

impl RemoteRegistry {
    /// A registry that refuses remote plugins whose id is one of `catalog`'s
    /// (the compiled-in plugins), and calls without `token`.
    pub fn builder(catalog: &Catalog, token: impl Into<String>) -> RemoteRegistryBuilder {
        RemoteRegistryBuilder {
            compiled_in: catalog.ids().map(str::to_owned).collect(),
            token: token.into(),
            settings: HeartbeatSettings::default(),
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
    pub(crate) fn members(&self) -> Option<&RemoteMembers> {
        self.shared.members.as_ref()
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

    fn disconnect(&self, ids: &[String], session: &str) {
        if let Some(members) = &self.shared.members {
            for id in ids {
                members.disconnect(id, session);
            }
        }
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        // No code path panics while holding the lock with the book half
        // updated, so a poisoned lock still guards a consistent book.
        self.shared.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Checks an announcement and, when every plugin in it passes, opens a
    /// session for them. Nothing is recorded when one fails.
    #[cfg(test)]
    pub(crate) fn announce(&self, req: AnnounceRequest) -> Result<Accepted, RemoteError> {
        let token = self.shared.token.clone();
        self.announce_with(req, None, &token)
    }

    /// [`announce`](Self::announce), by the local plugin process whose
    /// per-process token the call carried, if it did.
    pub(crate) fn announce_with(
        &self,
        req: AnnounceRequest,
        token_owner: Option<&str>,
        token: &str,
    ) -> Result<Accepted, RemoteError> {
        check_node(&req.node)?;
        check_address(&req.address)?;
        if req.plugins.is_empty() {
            return Err(RemoteError::NoPlugins);
        }
        let provided = pegboard_api::api_version();
        let mut ids = Vec::with_capacity(req.plugins.len());
        for meta in &req.plugins {
            let id = match check_plugin(meta, &provided) {
                Ok(id) => id,
                Err(e) => {
                    // Only the member's own process makes the host try its
                    // next binary.
                    if let (Some(members), RemoteError::Incompatible { plugin_id, .. }) =
                        (&self.shared.members, &e)
                    {
                        if token_owner == Some(plugin_id.as_str()) {
                            members.refused(plugin_id, e.to_string());
                        }
                    }
                    return Err(e);
                }
            };
            if ids.contains(&id) {
                return Err(RemoteError::Repeated { plugin_id: id });
            }
            if self.shared.compiled_in.contains(&id) {
                return Err(RemoteError::CompiledIn { plugin_id: id });
            }
            if let Some(members) = &self.shared.members {
                members.check(&id, &meta.version, token_owner)?;
            }
            ids.push(id);
        }

        let now = self.now();
        let settings = self.shared.settings;
        let mut book = self.book();
        let mut replaced: Vec<String> = Vec::new();
        for id in &ids {
            let Some(owner) = book.owners.get(id) else {
                continue;
            };
            let Some(held) = book.sessions.get(owner) else {
                continue;
            };
            // A node restarting at the same address, or coming back after it
            // was given up on, takes its plugins back; a live plugin elsewhere
            // keeps them.
            let same_place = held.node == req.node && held.address == req.address;
            if same_place || settings.state(held.last_seen, now) == RemoteState::Unavailable {
                if !replaced.contains(owner) {
                    replaced.push(owner.clone());
                }
            } else {
                return Err(RemoteError::AlreadyAnnounced {
                    plugin_id: id.clone(),
                    node: held.node.clone(),
                    address: held.address.clone(),
                });
            }
        }
        let mut gone = Vec::new();
        for old in &replaced {
            if let Some((_, ids)) = book.remove(old) {
                gone.push((old.clone(), ids));
            }
        }
        let session = uuid::Uuid::new_v4().simple().to_string();
        for id in &ids {
            book.owners.insert(id.clone(), session.clone());
        }
        let plugins = ids
            .iter()
            .cloned()
            .zip(req.plugins)
            .map(|(id, meta)| Announced { id, meta })
            .collect::<Vec<_>>();
        if let Some(members) = &self.shared.members {
            for (old, ids) in &gone {
                for id in ids {
                    members.disconnect(id, old);
                }
            }
            for a in &plugins {
                members.connect(
                    &a.id,
                    &req.address,
                    &req.node,
                    &a.meta.version,
                    &session,
                    token,
                );
            }
        }
        book.sessions.insert(
            session.clone(),
            Session {
                node: req.node,
                address: req.address,
                plugins,
                last_seen: now,
            },
        );
        Ok(Accepted {
            session,
            replaced,
            ids,
        })
    }

    /// Records a heartbeat of `session`.
    pub(crate) fn heartbeat(&self, session: &str) -> Result<(), RemoteError> {
        let now = self.now();
        let settings = self.shared.settings;
        let mut book = self.book();
        let Some(s) = book.sessions.get_mut(session) else {
            return Err(RemoteError::UnknownSession {
                session: session.to_owned(),
            });
        };
        // Once unavailable, a plugin must announce again so that everything
        // (API version, duplicates) is checked afresh; the old session stays
        // listed as unavailable until it is replaced or withdrawn.
        if settings.state(s.last_seen, now) == RemoteState::Unavailable {
            return Err(RemoteError::Expired {
                session: session.to_owned(),
            });
        }
        s.last_seen = now;
        Ok(())
    }

    /// Ends `session`; returns its node and plugin ids.
    pub(crate) fn withdraw(&self, session: &str) -> Result<(String, Vec<String>), RemoteError> {
        let removed = self
            .book()
            .remove(session)
            .ok_or_else(|| RemoteError::UnknownSession {
                session: session.to_owned(),
            })?;
        self.disconnect(&removed.1, session);
        Ok(removed)
    }

    /// The node of a session, for logs.
    pub(crate) fn node_of(&self, session: &str) -> Option<String> {
        self.book().sessions.get(session).map(|s| s.node.clone())
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

impl Book {
    fn remove(&mut self, session: &str) -> Option<(String, Vec<String>)> {
        let s = self.sessions.remove(session)?;
        let ids: Vec<String> = s.plugins.into_iter().map(|p| p.id).collect();
        for id in &ids {
            if self.owners.get(id).is_some_and(|o| o == session) {
                self.owners.remove(id);
            }
        }
        Some((s.node, ids))
    }
}

fn check_node(node: &str) -> Result<(), RemoteError> {
    if node.is_empty() || node.chars().any(char::is_control) {
        return Err(RemoteError::InvalidNode {
            node: format!("{node:?}"),
        });
    }
    Ok(())
}

fn check_address(address: &str) -> Result<(), RemoteError> {
    let invalid = |reason: &str| RemoteError::InvalidAddress {
        address: address.to_owned(),
        reason: reason.to_owned(),
    };
    let uri: tonic::codegen::http::Uri = address
        .parse()
        .map_err(|e: tonic::codegen::http::uri::InvalidUri| invalid(&e.to_string()))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(invalid("expected an http:// or https:// URI"));
    }
    if uri.authority().is_none() {
        return Err(invalid("expected a host and port"));
    }
    Ok(())
}

/// Checks one plugin's metadata; returns its id.
fn check_plugin(meta: &PluginMeta, provided: &semver::Version) -> Result<String, RemoteError> {
    let id = format!("{}.{}", meta.kind, meta.name);
    for (what, name) in [("kind", &meta.kind), ("plugin", &meta.name)] {
        if !crate::is_valid_name(name) {
            return Err(RemoteError::InvalidName {
                plugin_id: id,
                what,
                name: name.clone(),
            });
        }
    }
    if let Err(e) = semver::Version::parse(&meta.version) {
        return Err(RemoteError::InvalidVersion {
            plugin_id: id,
            version: meta.version.clone(),
            reason: e.to_string(),
        });
    }
    let required = match pegboard_api::parse_api_version(&meta.api) {
        Ok(v) => v,
        Err(source) => {
            return Err(RemoteError::InvalidApi {
                plugin_id: id,
                source,
            });
        }
    };
    if let Err(source) = pegboard_api::check_compatible(&required, provided) {
        return Err(RemoteError::Incompatible {
            plugin_id: id,
            source,
        });
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// A registry on a clock moved by hand: 100 ms heartbeats, unavailable
    /// after 3 missed.
    fn registry() -> (RemoteRegistry, Arc<Mutex<Instant>>) {
        let now = Arc::new(Mutex::new(Instant::now()));
        let clock = now.clone();
        let catalog = Catalog::new([]).unwrap();
        let registry = RemoteRegistry::builder(&catalog, "t")
            .heartbeat(HeartbeatSettings {
                interval: 100 * MS,
                unavailable_after: 3,
            })
            .clock(move || *clock.lock().unwrap())
            .build()
            .unwrap();
        (registry, now)
    }

    fn advance(clock: &Mutex<Instant>, by: Duration) {
        *clock.lock().unwrap() += by;
    }

    fn meta(kind: &str, name: &str) -> PluginMeta {
        PluginMeta {
            kind: kind.into(),
            name: name.into(),
            version: "1.0.0".into(),
            api: pegboard_api::API_VERSION.into(),
            ..PluginMeta::default()
        }
    }

    fn announce(node: &str, address: &str, plugins: Vec<PluginMeta>) -> AnnounceRequest {
        AnnounceRequest {
            node: node.into(),
            address: address.into(),
            plugins,
        }
    }

    fn states(r: &RemoteRegistry) -> Vec<(String, String, RemoteState)> {
        r.list()
            .into_iter()
            .map(|p| (p.id, p.node, p.state))
            .collect()
    }

    #[test]
    fn an_empty_token_is_refused() {
        let catalog = Catalog::new([]).unwrap();
        let err = RemoteRegistry::builder(&catalog, "").build().unwrap_err();
        assert_eq!(err, RemoteError::EmptyToken);
    }

    #[test]
    fn addresses_must_be_absolute_http_uris() {
        for ok in [
            "http://127.0.0.1:1",
            "https://node-7.example:443",
            "http://[::1]:50051",
        ] {
            assert_eq!(check_address(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "127.0.0.1:50051",
            "ftp://host:1",
            "/path",
            "http://",
            "not a uri",
        ] {
            assert_eq!(
                check_address(bad).map_err(|e| e.reason()),
                Err("invalid_address"),
                "{bad}"
            );
        }
    }

    #[test]
    fn nodes_must_be_printable_labels() {
        assert_eq!(check_node("node-7"), Ok(()));
        assert!(check_node("").is_err());
        assert!(check_node("a\nb").is_err());
    }

    #[test]
    fn each_plugin_is_checked() {
        let api = pegboard_api::api_version();
        let reason = |m: PluginMeta| check_plugin(&m, &api).map_err(|e| e.reason());
        assert_eq!(reason(meta("store", "memory")), Ok("store.memory".into()));
        assert_eq!(reason(meta("Store", "memory")), Err("invalid_name"));
        assert_eq!(reason(meta("store", "")), Err("invalid_name"));
        let mut m = meta("store", "memory");
        m.version = "1".into();
        assert_eq!(reason(m), Err("invalid_version"));
        let mut m = meta("store", "memory");
        m.api = "one".into();
        assert_eq!(reason(m), Err("invalid_api"));
        let mut m = meta("store", "memory");
        m.api = "99.0".into();
        assert_eq!(reason(m), Err("incompatible_api"));
    }

    #[test]
    fn an_announcement_is_all_or_nothing() {
        let (r, _) = registry();
        let mut bad = meta("store", "b");
        bad.api = "99.0".into();
        let err = r
            .announce(announce("n", "http://a:1", vec![meta("store", "a"), bad]))
            .unwrap_err();
        assert_eq!(err.plugin_id(), Some("store.b"));
        assert!(r.list().is_empty());
        let err = r
            .announce(announce(
                "n",
                "http://a:1",
                vec![meta("s", "a"), meta("s", "a")],
            ))
            .unwrap_err();
        assert_eq!(
            err,
            RemoteError::Repeated {
                plugin_id: "s.a".into()
            }
        );
        assert_eq!(
            r.announce(announce("n", "http://a:1", vec![])),
            Err(RemoteError::NoPlugins)
        );
        assert!(r.list().is_empty());
    }

    #[test]
    fn heartbeats_keep_a_session_healthy_and_silence_makes_it_unavailable() {
        let (r, clock) = registry();
        let s = r
            .announce(announce("n", "http://a:1", vec![meta("s", "a")]))
            .unwrap()
            .session;
        for _ in 0..10 {
            advance(&clock, 99 * MS);
            assert_eq!(r.heartbeat(&s), Ok(()));
            assert_eq!(r.list()[0].state, RemoteState::Healthy);
        }
        advance(&clock, 100 * MS);
        assert_eq!(r.list()[0].state, RemoteState::Unhealthy);
        assert_eq!(r.list()[0].since_last_seen, 100 * MS);
        // An unhealthy session recovers with a heartbeat.
        assert!(r.heartbeat(&s).is_ok());
        assert_eq!(r.list()[0].state, RemoteState::Healthy);
        advance(&clock, 300 * MS);
        assert_eq!(r.list()[0].state, RemoteState::Unavailable);
        // An unavailable one must announce again.
        assert_eq!(
            r.heartbeat(&s),
            Err(RemoteError::Expired { session: s.clone() })
        );
        assert_eq!(r.list()[0].state, RemoteState::Unavailable);
    }

    #[test]
    fn a_live_plugin_keeps_its_id_against_another_node() {
        let (r, clock) = registry();
        r.announce(announce("one", "http://a:1", vec![meta("s", "a")]))
            .unwrap();
        advance(&clock, 250 * MS); // unhealthy, not yet unavailable
        let err = r
            .announce(announce("two", "http://b:1", vec![meta("s", "a")]))
            .unwrap_err();
        assert_eq!(
            err,
            RemoteError::AlreadyAnnounced {
                plugin_id: "s.a".into(),
                node: "one".into(),
                address: "http://a:1".into()
            }
        );
        // Once unavailable, the other node takes it over.
        advance(&clock, 50 * MS);
        let accepted = r
            .announce(announce("two", "http://b:1", vec![meta("s", "a")]))
            .unwrap();
        assert_eq!(accepted.replaced.len(), 1);
        assert_eq!(
            states(&r),
            [("s.a".into(), "two".into(), RemoteState::Healthy)]
        );
    }

    #[test]
    fn the_same_node_and_address_replace_their_old_session_at_once() {
        let (r, _) = registry();
        let first = r
            .announce(announce(
                "one",
                "http://a:1",
                vec![meta("s", "a"), meta("s", "b")],
            ))
            .unwrap();
        let second = r
            .announce(announce("one", "http://a:1", vec![meta("s", "a")]))
            .unwrap();
        assert_eq!(second.replaced, std::slice::from_ref(&first.session));
        // The old session is gone with all its plugins.
        assert_eq!(
            states(&r),
            [("s.a".into(), "one".into(), RemoteState::Healthy)]
        );
        assert_eq!(
            r.heartbeat(&first.session),
            Err(RemoteError::UnknownSession {
                session: first.session
            })
        );
    }

    #[test]
    fn withdraw_frees_the_ids() {
        let (r, _) = registry();
        let s = r
            .announce(announce("one", "http://a:1", vec![meta("s", "a")]))
            .unwrap()
            .session;
        assert_eq!(r.withdraw(&s), Ok(("one".into(), vec!["s.a".into()])));
        assert!(r.list().is_empty());
        assert!(r.withdraw(&s).is_err());
        r.announce(announce("two", "http://b:1", vec![meta("s", "a")]))
            .unwrap();
        assert_eq!(
            states(&r),
            [("s.a".into(), "two".into(), RemoteState::Healthy)]
        );
    }

    #[test]
    fn the_listing_is_sorted_by_id_and_serializes() {
        let (r, _) = registry();
        r.announce(announce(
            "n",
            "http://a:1",
            vec![meta("s", "b"), meta("s", "a")],
        ))
        .unwrap();
        r.announce(announce("m", "http://b:1", vec![meta("r", "z")]))
            .unwrap();
        let ids: Vec<String> = r.list().into_iter().map(|p| p.id).collect();
        assert_eq!(ids, ["r.z", "s.a", "s.b"]);
        let json = serde_json::to_value(&r.list()[0]).unwrap();
        assert_eq!(json["state"], "healthy");
        assert_eq!(json["since_last_seen"], 0);
        assert_eq!(json["node"], "m");
    }
}
