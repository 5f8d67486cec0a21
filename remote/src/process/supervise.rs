//! The task that owns a spawned process: it sends the signals the handle
//! asks for, reaps the process and publishes how it ended.

use std::process::ExitStatus;
use std::sync::Arc;
use std::time::Duration;

use tokio::process::Child;
use tokio::sync::{mpsc, watch};
use tracing::Level;

/// The `tracing` target of this file's events: the module path they had
/// before the stage folders, so log filters keep working.
const LOG_TARGET: &str = "pegboard::remote::process";

/// How long, once the process has ended, its output is still waited for
/// before `plugin.process.exited` is logged. Output normally ends with the
/// process; only a process it started that keeps its stdout or stderr open
/// makes this bound matter (its output is still forwarded, after the exit).
const OUTPUT_DRAIN: Duration = Duration::from_secs(1);

/// What the handle asks of the task that owns the process.
#[derive(Debug, Clone, Copy)]
pub(super) enum Control {
    Terminate,
    Kill,
}

/// What the supervising task owns.
pub(super) struct Supervised {
    pub(super) child: Child,
    pub(super) plugin_id: Arc<str>,
    pub(super) pid: u32,
    pub(super) requests: mpsc::UnboundedReceiver<Control>,
    pub(super) output: [Option<tokio::task::JoinHandle<()>>; 2],
    pub(super) status: watch::Sender<Option<String>>,
}

/// Waits for the process, sending it the signals asked for until it is
/// reaped; then logs and publishes how it ended.
pub(super) async fn supervise(mut s: Supervised) {
    let mut requested = false;
    let mut handle_alive = true;
    let ended = loop {
        tokio::select! {
            // `Child::wait` is cancel safe; the process is reaped only when
            // this branch completes, so every signal below goes to a pid
            // that is still ours (a zombie at worst).
            status = s.child.wait() => break status,
            request = s.requests.recv(), if handle_alive => {
                requested = true;
                match request {
                    Some(Control::Terminate) => terminate(&mut s.child),
                    Some(Control::Kill) => {
                        let _ = s.child.start_kill();
                    }
                    None => {
                        // The handle was dropped: the process must not
                        // outlive it.
                        handle_alive = false;
                        let _ = s.child.start_kill();
                    }
                }
            }
        }
    };
    let description = match ended {
        Ok(status) => describe(status),
        Err(e) => {
            // Could not wait (should not happen): make sure it dies;
            // `kill_on_drop` and tokio's orphan queue reap it.
            let _ = s.child.start_kill();
            format!("unknown: it could not be waited for: {e}")
        }
    };
    let [stdout, stderr] = s.output;
    let _ = tokio::time::timeout(OUTPUT_DRAIN, async {
        for reader in [stdout, stderr].into_iter().flatten() {
            let _ = reader.await;
        }
    })
    .await;
    if requested {
        tracing::event!(
            name: "plugin.process.exited",
            target: LOG_TARGET, Level::INFO,
            plugin_id = &*s.plugin_id,
            pid = s.pid,
            status = description.as_str(),
            "plugin.process.exited"
        );
    } else {
        tracing::event!(
            name: "plugin.process.exited",
            target: LOG_TARGET, Level::WARN,
            plugin_id = &*s.plugin_id,
            pid = s.pid,
            status = description.as_str(),
            "plugin.process.exited"
        );
    }
    s.status.send_replace(Some(description));
}

/// Sends SIGTERM to the process if tokio has not reaped it.
///
/// std and tokio only send SIGKILL (`start_kill`); SIGTERM by pid needs
/// `kill(2)`, which `nix` wraps safely (no `unsafe` here, errno as a
/// `Result`).
#[cfg(unix)]
fn terminate(child: &mut Child) {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;

    // `id()` is `None` once tokio has reaped the process.
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        // ESRCH cannot happen before the reap; any failure leaves the
        // process running, and `stop` kills it after the grace period.
        let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
    }
}

/// No SIGTERM without Unix signals: kills at once.
#[cfg(not(unix))]
fn terminate(child: &mut Child) {
    let _ = child.start_kill();
}

/// `exited with status 1`, `killed by signal 9 (SIGKILL)`.
fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exited with status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;

        if let Some(signal) = status.signal() {
            let name = nix::sys::signal::Signal::try_from(signal)
                .map(|s| s.as_str())
                .unwrap_or("unknown signal");
            let core = if status.core_dumped() {
                ", core dumped"
            } else {
                ""
            };
            return format!("killed by signal {signal} ({name}){core}");
        }
    }
    status.to_string()
}
