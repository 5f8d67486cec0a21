//! The handle of a spawned plugin process: spawning it, watching it end,
//! stopping it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tokio::process::Command;
use tokio::sync::{mpsc, watch};
use tracing::Level;

use super::output::{Stream, forward};
use super::supervise::{Control, Supervised, supervise};

/// The `tracing` target of this file's events: the module path they had
/// before the stage folders, so log filters keep working.
const LOG_TARGET: &str = "pegboard::remote::process";

/// A plugin process could not be started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProcessError {
    /// The binary could not be run (missing, not executable, ...).
    #[error("cannot start plugin `{plugin_id}` from {}: {source}", .binary.display())]
    Spawn {
        /// The plugin's id (`<kind>.<name>`, or however the host names it).
        plugin_id: String,
        /// The binary.
        binary: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// [`PluginChild::spawn`] was called outside a tokio runtime.
    #[error(
        "cannot start plugin `{plugin_id}` from {}: not called inside a tokio runtime",
        .binary.display()
    )]
    NoRuntime {
        /// The plugin's id.
        plugin_id: String,
        /// The binary.
        binary: PathBuf,
    },
}

/// How [`PluginChild::stop`] ended the process; each carries the exit
/// description (as [`PluginChild::exited`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopOutcome {
    /// It had already ended before `stop` was called.
    AlreadyExited(String),
    /// It ended after SIGTERM, within the grace period.
    Exited(String),
    /// It was still running after the grace period and got SIGKILL.
    Killed(String),
}

impl StopOutcome {
    /// How the process ended (`exited with status 0`, `killed by signal 9
    /// (SIGKILL)`, ...).
    pub fn description(&self) -> &str {
        match self {
            StopOutcome::AlreadyExited(d) | StopOutcome::Exited(d) | StopOutcome::Killed(d) => d,
        }
    }
}

/// A running (or ended) plugin binary the host spawned.
///
/// One background task owns the process: it waits for it, reaps it and
/// publishes how it ended; signals asked for through this handle are sent
/// by that task, and only while it has not reaped the process, so a pid
/// the OS has reused never gets them. The process's stdout and stderr are
/// forwarded line by line into `tracing`. It does not outlive its handle:
/// dropping the handle kills it (and it is still reaped), and so does
/// shutting the runtime down (`kill_on_drop`).
///
/// Log events (`tracing`, the name is also the message):
///
/// | event | level | fields |
/// |---|---|---|
/// | `plugin.process.spawned` | INFO | `plugin_id`, `pid`, `binary` |
/// | `plugin.process.output` | INFO (stdout), WARN (stderr) | `plugin_id`, `stream` (`stdout`, `stderr`), `line` |
/// | `plugin.process.exited` | WARN; INFO after a requested stop (or a drop) | `plugin_id`, `pid`, `status` |
///
/// A line is logged without its line ending; non-UTF-8 bytes are replaced
/// (U+FFFD), and a line longer than 16 KiB is cut there, with
/// `[cut: line longer than 16384 bytes]` appended. What the process wrote
/// before it ended is logged before `plugin.process.exited`.
pub struct PluginChild {
    plugin_id: Arc<str>,
    binary: PathBuf,
    pid: u32,
    /// `None` while it runs; then how it ended.
    status: watch::Receiver<Option<String>>,
    control: mpsc::UnboundedSender<Control>,
}

impl fmt::Debug for PluginChild {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginChild")
            .field("plugin_id", &self.plugin_id)
            .field("binary", &self.binary)
            .field("pid", &self.pid)
            .field("exited", &*self.status.borrow())
            .finish()
    }
}

impl PluginChild {
    /// Spawns `binary` (stdin null; stdout and stderr piped) with the
    /// host's environment, less the variables named in `unset`, plus `env`.
    ///
    /// Must be called inside a tokio runtime (else
    /// [`ProcessError::NoRuntime`]); the process is supervised by a task
    /// of that runtime.
    pub fn spawn(
        plugin_id: &str,
        binary: &Path,
        env: &[(String, String)],
        unset: &[&str],
    ) -> Result<PluginChild, ProcessError> {
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| ProcessError::NoRuntime {
                plugin_id: plugin_id.to_owned(),
                binary: binary.to_owned(),
            })?;
        let spawn_error = |source| ProcessError::Spawn {
            plugin_id: plugin_id.to_owned(),
            binary: binary.to_owned(),
            source,
        };
        // No parent-death signal (`PR_SET_PDEATHSIG`): Linux sends it when
        // the *thread* that spawned the child ends, not the process, and
        // this may be called from a short-lived thread (tokio's blocking
        // pool ends idle threads), which would kill a healthy plugin. The
        // handle's drop and `kill_on_drop` cover every exit of the host
        // but an abrupt one (SIGKILL, abort).
        let mut command = Command::new(binary);
        for name in unset {
            command.env_remove(name);
        }
        let mut child = command
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(spawn_error)?;
        let Some(pid) = child.id() else {
            // Unreachable in practice: tokio knows no pid only once it has
            // reaped the process, which nothing has asked for yet.
            return Err(spawn_error(std::io::Error::other(
                "the process ended before its pid could be read",
            )));
        };
        let plugin_id: Arc<str> = Arc::from(plugin_id);
        tracing::event!(
            name: "plugin.process.spawned",
            target: LOG_TARGET, Level::INFO,
            plugin_id = &*plugin_id,
            pid,
            binary = %binary.display(),
            "plugin.process.spawned"
        );
        let stdout = child
            .stdout
            .take()
            .map(|out| runtime.spawn(forward(plugin_id.clone(), Stream::Stdout, out)));
        let stderr = child
            .stderr
            .take()
            .map(|err| runtime.spawn(forward(plugin_id.clone(), Stream::Stderr, err)));
        let (status_tx, status) = watch::channel(None);
        let (control, requests) = mpsc::unbounded_channel();
        runtime.spawn(supervise(Supervised {
            child,
            plugin_id: plugin_id.clone(),
            pid,
            requests,
            output: [stdout, stderr],
            status: status_tx,
        }));
        Ok(PluginChild {
            plugin_id,
            binary: binary.to_owned(),
            pid,
            status,
            control,
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The plugin id it was spawned for.
    pub fn plugin_id(&self) -> &str {
        &self.plugin_id
    }

    /// The binary it runs.
    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// Non-blocking: `Some(description)` once the process has ended (and
    /// been reaped), e.g. `killed by signal 9 (SIGKILL)` or `exited with
    /// status 1`.
    pub fn exited(&self) -> Option<String> {
        self.status.borrow().clone()
    }

    /// Resolves when the process has ended (and was reaped), with the same
    /// description as [`exited`](Self::exited).
    pub async fn wait_exit(&self) -> String {
        let mut status = self.status.clone();
        match status.wait_for(Option::is_some).await {
            Ok(ended) => ended.clone().unwrap_or_default(),
            // The supervising task is gone without a word: its runtime
            // shut down, which killed the process (`kill_on_drop`).
            Err(_) => self
                .status
                .borrow()
                .clone()
                .unwrap_or_else(|| "unknown: its runtime shut down, which killed it".to_owned()),
        }
    }

    /// Stops the process: SIGTERM, then SIGKILL if it has not ended after
    /// `grace`; returns once it has been reaped. Idempotent; fine if it has
    /// already ended. (Without Unix signals, it is killed at once.)
    pub async fn stop(&self, grace: Duration) -> StopOutcome {
        if let Some(ended) = self.exited() {
            return StopOutcome::AlreadyExited(ended);
        }
        // A send fails only when the supervising task is gone, and with
        // it the process; waiting then answers at once.
        let _ = self.control.send(Control::Terminate);
        match tokio::time::timeout(grace, self.wait_exit()).await {
            Ok(ended) => StopOutcome::Exited(ended),
            Err(_) => {
                let _ = self.control.send(Control::Kill);
                StopOutcome::Killed(self.wait_exit().await)
            }
        }
    }
}

impl Drop for PluginChild {
    /// Kills the process if it still runs; the supervising task reaps it.
    /// Never blocks.
    fn drop(&mut self) {
        if self.status.borrow().is_none() {
            // Dropping the sender right after tells the task as well; the
            // explicit request only makes the intent plain.
            let _ = self.control.send(Control::Kill);
        }
    }
}
