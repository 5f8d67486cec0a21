//! The signals that end serving.

use std::future::Future;

use super::error::ServeError;

/// SIGTERM (on Unix) or ctrl-c.
pub(super) fn shutdown_signal() -> Result<impl Future<Output = ()> + Send, ServeError> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|source| ServeError::Runtime {
            what: "cannot listen for SIGTERM",
            source,
        })?;
    Ok(async move {
        #[cfg(unix)]
        let term = async move {
            term.recv().await;
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        let mut term = std::pin::pin!(term);
        tokio::select! {
            r = tokio::signal::ctrl_c() => {
                if r.is_err() {
                    // No ctrl-c handler: wait for SIGTERM alone.
                    term.as_mut().await;
                }
            }
            () = term.as_mut() => {}
        }
    })
}
