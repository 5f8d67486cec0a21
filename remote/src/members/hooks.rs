//! The lifecycle of an instance of a member: spawning a local process and
//! waiting for its announcement, health from its process and heartbeats,
//! stopping it.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use tracing::Level;

use super::state::{Member, RemoteMembers, lock};
use crate::process::PluginChild;
use crate::scan::LocalBinary;
use crate::sdk::{
    ENV_ADVERTISE, ENV_HOST, ENV_LISTEN, ENV_NODE, ENV_TLS_SERVE_CERT, ENV_TLS_SERVE_KEY, ENV_TOKEN,
};
use pegboard_core::BoxError;
use pegboard_core::Connection;
use pegboard_core::extend::DynLifecycle;
use pegboard_core::{BoxFuture, Health};

/// The `tracing` target of this file's events: the module path they had
/// before the stage folders, so log filters keep working.
const LOG_TARGET: &str = "pegboard::remote::members";

/// Variables of the host's environment a local plugin process does not
/// inherit: the host's own secrets (with the host token, a process could
/// announce any plugin), and settings that would make every process
/// advertise the same address.
const HOST_ONLY: &[&str] = &[
    "PEGBOARD_REMOTE_TOKEN",
    "PEGBOARD_ADMIN_TOKEN",
    ENV_ADVERTISE,
    ENV_TLS_SERVE_CERT,
    ENV_TLS_SERVE_KEY,
];

/// The lifecycle of one instance of a member.
pub(super) struct MemberHooks {
    members: RemoteMembers,
    index: usize,
    /// The process this instance started (local processes).
    child: Mutex<Option<Arc<PluginChild>>>,
}

impl MemberHooks {
    /// The hooks of a new instance of the member at `index`, which has not
    /// started a process yet.
    pub(super) fn new(members: RemoteMembers, index: usize) -> Self {
        MemberHooks {
            members,
            index,
            child: Mutex::new(None),
        }
    }

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
            (ENV_HOST.to_owned(), host),
            (ENV_NODE.to_owned(), shared.settings.node.clone()),
            (ENV_TOKEN.to_owned(), token),
            (ENV_LISTEN.to_owned(), "127.0.0.1:0".to_owned()),
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
                        target: LOG_TARGET, Level::WARN,
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
        tracing::event!(name: "plugin.remote.connection", target: LOG_TARGET, Level::INFO, plugin_id, location, state, cause, "plugin.remote.connection");
    } else {
        tracing::event!(name: "plugin.remote.connection", target: LOG_TARGET, Level::WARN, plugin_id, location, state, cause, "plugin.remote.connection");
    }
}
