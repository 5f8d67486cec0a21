//! The registry's side of the `pegboard.v1.Registry` calls: opening a
//! session for an announcement, keeping it alive, ending it.

use crate::proto::v1::AnnounceRequest;

use super::book::{Announced, Session};
use super::checks::{check_address, check_node, check_plugin};
use super::remote_registry::RemoteRegistry;
use crate::error::RemoteError;
use crate::heartbeat::RemoteState;

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
