//! The logs of `run`: their format, and the subscriber that prints them.

/// How `run` prints its logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum LogFormat {
    /// One readable line per event.
    Human,
    /// One JSON object per event.
    Json,
}

/// Logs to stderr, filtered by the variable `filter_var` (`PEGBOARD_LOG`,
/// or `<PREFIX>_LOG`; `RUST_LOG` syntax, default `info`). Does nothing if
/// the host already installed a subscriber.
pub(super) fn init_logging(format: LogFormat, filter_var: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env(filter_var).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    if format == LogFormat::Json {
        // The default hook prints a panic as text on stderr, even one the
        // dispatcher catches and isolates: in JSON mode it is an event.
        std::panic::set_hook(Box::new(|info| {
            let panic = pegboard_core::extend::panic_message(info.payload());
            let location = info.location().map(ToString::to_string).unwrap_or_default();
            let thread = std::thread::current();
            tracing::error!(
                name: "plugin.panic",
                target: LOG_TARGET,
                panic,
                location,
                thread = thread.name().unwrap_or("unnamed"),
                "plugin.panic"
            );
        }));
    }
}

/// The `tracing` target of the host's own events (`host.*`, `plugin.panic`).
pub(super) const LOG_TARGET: &str = "pegboard::cli";
