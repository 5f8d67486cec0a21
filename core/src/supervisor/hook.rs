//! Running one hook in isolation: its own task, its own timeout.

use std::future::Future;
use std::time::Duration;

use crate::descriptor::BoxError;
use crate::registry::{error_chain, panic_message};
use crate::state::{Failure, Stage};

/// Runs `hook` as its own task, so a panic is caught by tokio and a hang is
/// cut off by `timeout` (the task is aborted), and maps every way it can
/// end to a [`Failure`] of `stage`.
pub(crate) async fn run<T, F>(stage: Stage, timeout: Duration, hook: F) -> Result<T, Failure>
where
    T: Send + 'static,
    F: Future<Output = Result<T, BoxError>> + Send + 'static,
{
    let mut task = tokio::spawn(hook);
    match tokio::time::timeout(timeout, &mut task).await {
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
            task.abort();
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
