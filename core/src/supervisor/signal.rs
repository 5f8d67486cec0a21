//! Waiting for the signals that ask a host to shut down.

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (on Unix; Ctrl-C elsewhere).
///
/// ```no_run
/// # async fn f(supervisor: pegboard::Supervisor) {
/// pegboard::supervisor::shutdown_signal().await;
/// supervisor.shutdown().await;
/// # }
/// ```
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; waiting for Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
