//! What the registry records of announcements: sessions and the plugins
//! each announced.

use std::collections::HashMap;
use std::time::Instant;

use crate::proto::v1::PluginMeta;

#[derive(Default)]
pub(super) struct Book {
    pub(super) sessions: HashMap<String, Session>,
    /// Plugin id → the session that announced it.
    pub(super) owners: HashMap<String, String>,
}

pub(super) struct Session {
    pub(super) node: String,
    pub(super) address: String,
    pub(super) plugins: Vec<Announced>,
    pub(super) last_seen: Instant,
}

pub(super) struct Announced {
    pub(super) id: String,
    pub(super) meta: PluginMeta,
}

impl Book {
    pub(super) fn remove(&mut self, session: &str) -> Option<(String, Vec<String>)> {
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
