//! Waiting for the signals that ask a host to shut down.

use std::future::Future;

use tokio::sync::watch;

/// The `tracing` target of this file's events: the module path they had
/// before the stage folders, so log filters keep working.
const LOG_TARGET: &str = "pegboard::supervisor::signal";

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (on Unix; Ctrl-C elsewhere).
///
/// The signal handlers are installed when this is called, not when the
/// future is first polled, so a signal that arrives in between is not lost
/// (and does not kill the process with the default action). Must be called
/// within a Tokio runtime.
///
/// ```no_run
/// # extern crate pegboard_core as pegboard;
/// # async fn f(supervisor: pegboard::Supervisor) {
/// pegboard::supervisor::shutdown_signal().await;
/// supervisor.shutdown().await;
/// # }
/// ```
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                (interrupt, terminate) => {
                    let e = interrupt.err().or(terminate.err());
                    tracing::warn!(
                        target: LOG_TARGET, error = e.map(|e| e.to_string()).unwrap_or_default(),
                        "cannot listen for SIGINT and SIGTERM; waiting for Ctrl-C only"
                    );
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// A shutdown request that many tasks can wait for: the signals of
/// [`shutdown_signal`], listened to from the moment [`Shutdown::listen`] is
/// called, or [`Shutdown::trigger`].
///
/// The command line's `run` listens before it starts any plugin and hands
/// a clone to the host's serve hook (`pegboard::cli::RunContext`),
/// so a SIGTERM during start-up stops the host in order instead of killing it.
///
/// ```
/// # extern crate pegboard_core as pegboard;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let shutdown = pegboard::supervisor::Shutdown::listen();
/// let waiter = tokio::spawn(shutdown.clone().requested());
/// shutdown.trigger();
/// waiter.await.unwrap();
/// assert!(shutdown.is_requested());
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Shutdown {
    sender: std::sync::Arc<watch::Sender<bool>>,
    receiver: watch::Receiver<bool>,
}

impl Shutdown {
    /// Starts listening for SIGINT and SIGTERM now. Must be called within a
    /// Tokio runtime.
    pub fn listen() -> Self {
        let (sender, receiver) = watch::channel(false);
        let shutdown = Shutdown {
            sender: std::sync::Arc::new(sender),
            receiver,
        };
        let signal = shutdown_signal();
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            signal.await;
            trigger.trigger();
        });
        shutdown
    }

    /// Requests the shutdown, as a signal would.
    pub fn trigger(&self) {
        self.sender.send_replace(true);
    }

    /// Whether a shutdown has been requested.
    pub fn is_requested(&self) -> bool {
        *self.receiver.borrow()
    }

    /// Resolves once a shutdown is requested (at once if it already was).
    pub fn requested(self) -> impl Future<Output = ()> + Send + 'static {
        let Shutdown {
            sender,
            mut receiver,
        } = self;
        async move {
            // Cannot fail: `sender` is kept alive right here.
            let _ = receiver.wait_for(|requested| *requested).await;
            drop(sender);
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// SIGTERM to this very test process. Were the handler installed only
    /// when the future is first polled, the default action would kill the
    /// test binary here.
    fn terminate_self() {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &std::process::id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    #[tokio::test]
    async fn a_signal_before_the_first_poll_is_not_lost() {
        let signal = shutdown_signal();
        terminate_self();
        tokio::time::timeout(std::time::Duration::from_secs(30), signal)
            .await
            .expect("the SIGTERM sent before polling resolves it");
    }

    #[tokio::test]
    async fn a_shutdown_requested_before_anyone_waits_is_seen_by_every_waiter() {
        let shutdown = Shutdown::listen();
        assert!(!shutdown.is_requested());
        shutdown.trigger();
        shutdown.clone().requested().await;
        shutdown.clone().requested().await;
        assert!(shutdown.is_requested());
    }
}
