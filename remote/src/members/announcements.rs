//! The members' side of the link to the remote registry: announcements
//! checked against declarations, and where each member is reached.

use std::sync::Arc;

use semver::Version;
use tokio::runtime::Handle;
use tracing::Level;

use super::state::{Link, RemoteMembers, lock};
use crate::error::RemoteError;
use crate::grpc::GrpcTransport;
use crate::heartbeat::HeartbeatSettings;
use crate::link::{AnnouncedSessions, DeclaredMembers};
use crate::registry::RemoteRegistryBuilder;

/// The `tracing` target of this file's events: the module path they had
/// before the stage folders, so log filters keep working.
const LOG_TARGET: &str = "pegboard::remote::members";

impl RemoteRegistryBuilder {
    /// The plugins this host declared to run outside its process
    /// ([`RemoteMembers`]): their ids are not refused as compiled-in, their
    /// announcements are checked against their declarations, and they are
    /// called where they announce themselves. Local plugin processes may
    /// announce with the token they were started with. The members'
    /// [heartbeat settings](crate::RemoteMembersBuilder::heartbeat), if
    /// any, are the registry's unless [`heartbeat`](Self::heartbeat) sets
    /// others.
    pub fn members(self, members: &RemoteMembers) -> Self {
        self.declared(members.ids(), Arc::new(members.clone()))
    }
}

impl DeclaredMembers for RemoteMembers {
    /// Ties the members to the remote registry they announce to.
    fn attach(&self, registry: Box<dyn AnnouncedSessions>) -> bool {
        self.shared.registry.set(registry).is_ok()
    }

    fn heartbeat(&self) -> Option<HeartbeatSettings> {
        self.shared.settings.heartbeat
    }

    /// Checks an announced plugin against its declaration, if it is a
    /// member; `token_owner` is the member whose per-process token the
    /// announcement carried, if any.
    fn check(&self, id: &str, version: &str, token_owner: Option<&str>) -> Result<(), RemoteError> {
        if let Some(owner) = token_owner.filter(|owner| *owner != id) {
            return Err(RemoteError::TokenNotFor {
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
            Err(RemoteError::UnexpectedVersion {
                plugin_id: id.to_owned(),
                version: version.to_owned(),
                requirement,
            })
        }
    }

    /// Records that the host refused the API of the member `id` (SPEC V3):
    /// starting it then tries its next binary.
    fn refused(&self, id: &str, reason: String) {
        if let Some(member) = self.member(id) {
            *lock(&member.refused) = Some(reason);
        }
    }

    /// The member whose current per-process token `token` is, if any.
    fn token_owner(&self, token: &[u8]) -> Option<&str> {
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
    fn connect(
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
                target: LOG_TARGET, Level::WARN,
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

    /// Forgets where the member `id` is reached, if it was reached through
    /// `session` (a withdrawal of an older session changes nothing).
    fn disconnect(&self, id: &str, session: &str) {
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
}

impl RemoteMembers {
    /// A transport to the plugin service at `address`: over TLS for an
    /// `https://` address when TLS settings were given.
    fn transport(&self, address: &str, handle: Handle) -> Result<GrpcTransport, String> {
        #[cfg(feature = "tls")]
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
}
