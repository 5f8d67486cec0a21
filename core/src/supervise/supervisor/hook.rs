//! Running one hook in isolation: its own task, its own timeout.

use std::future::Future;
use std::time::Duration;

use crate::model::descriptor::BoxError;
use crate::model::error::{error_chain, panic_message};
use crate::model::state::{Failure, Stage};

/// Runs `hook` as its own task, so a panic is caught by tokio and a hang is
/// cut off by `timeout` (the task is aborted), and maps every way it can
/// end to a [`Failure`] of `stage`.
pub(crate) async fn run<T, F>(stage: Stage, timeout: Duration, hook: F) -> Result<T, Failure>
where
    T: Send + 'static,
    F: Future<Output = Result<T, BoxError>> + Send + 'static,
{
    let mut task = AbortOnDrop(tokio::spawn(hook));
    match tokio::time::timeout(timeout, &mut task.0).await {
        Ok(Ok(Ok(value))) => Ok(value),
        Ok(Ok(Err(e))) => Err(Failure::Error {
            stage,
            message: error_chain(&*e),
        }),
        Ok(Err(join)) if join.is_panic() => Err(Failure::Panic {
            stage,
            message: panic_message(&*join.into_panic()),
        }),
        Ok(Err(_)) => Err(Failure::Error {
            stage,
            message: "the hook's task was cancelled".to_owned(),
        }),
        Err(_) => {
            task.0.abort();
            Err(Failure::Timeout {
                stage,
                message: format!(
                    "did not finish within {}",
                    humantime::format_duration(timeout)
                ),
            })
        }
    }
}

/// Aborts the hook's task when the caller stops waiting for it: a hook
/// whose waiter was dropped (a restart cancelled by shutdown) must not go
/// on in the background, e.g. spawning a plugin process nobody will stop.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tells a channel when it is dropped: the hook's future went away.
    struct Dropped(Option<tokio::sync::oneshot::Sender<()>>);

    impl Drop for Dropped {
        fn drop(&mut self) {
            if let Some(tx) = self.0.take() {
                let _ = tx.send(());
            }
        }
    }

    #[tokio::test]
    async fn a_hook_whose_waiter_is_dropped_is_aborted() {
        let (tx, dropped) = tokio::sync::oneshot::channel();
        let (started_tx, started) = tokio::sync::oneshot::channel::<()>();
        let hook = async move {
            let _guard = Dropped(Some(tx));
            let _ = started_tx.send(());
            std::future::pending::<Result<(), BoxError>>().await
        };
        let waiter = run(Stage::Start, Duration::from_secs(3600), hook);
        tokio::select! {
            _ = waiter => unreachable!("the hook never finishes"),
            _ = started => {}
        }
        // The waiter is gone: the hook's task is aborted, not left running.
        tokio::time::timeout(Duration::from_secs(10), dropped)
            .await
            .expect("the hook's future was dropped")
            .expect("its guard reported");
    }
}
