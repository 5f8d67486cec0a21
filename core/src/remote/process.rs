//! A plugin binary the host spawned (SPEC R2): its process, its output
//! forwarded into the host's logs, and how it is stopped.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, watch};
use tracing::Level;

/// The longest line of output forwarded whole; the rest of a longer line is
/// dropped (the event says so).
const MAX_LINE: usize = 16 * 1024;

/// How long, once the process has ended, its output is still waited for
/// before `plugin.process.exited` is logged. Output normally ends with the
/// process; only a process it started that keeps its stdout or stderr open
/// makes this bound matter (its output is still forwarded, after the exit).
const OUTPUT_DRAIN: Duration = Duration::from_secs(1);

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

/// What the handle asks of the task that owns the process.
#[derive(Debug, Clone, Copy)]
enum Control {
    Terminate,
    Kill,
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
            Level::INFO,
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

/// What the supervising task owns.
struct Supervised {
    child: Child,
    plugin_id: Arc<str>,
    pid: u32,
    requests: mpsc::UnboundedReceiver<Control>,
    output: [Option<tokio::task::JoinHandle<()>>; 2],
    status: watch::Sender<Option<String>>,
}

/// Waits for the process, sending it the signals asked for until it is
/// reaped; then logs and publishes how it ended.
async fn supervise(mut s: Supervised) {
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
            Level::INFO,
            plugin_id = &*s.plugin_id,
            pid = s.pid,
            status = description.as_str(),
            "plugin.process.exited"
        );
    } else {
        tracing::event!(
            name: "plugin.process.exited",
            Level::WARN,
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

#[derive(Debug, Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

/// Logs every line `reader` gives, until its end (or a read error).
async fn forward(plugin_id: Arc<str>, stream: Stream, reader: impl AsyncRead + Unpin) {
    let mut reader = BufReader::new(reader);
    let mut line = Vec::new();
    // The current line was too long: it has been logged, cut; the rest of
    // it is skipped.
    let mut skipping = false;
    // A read error on a pipe ends the output (the process's fate is the
    // supervising task's business).
    while let Ok(buffer) = reader.fill_buf().await {
        if buffer.is_empty() {
            if !line.is_empty() {
                emit(&plugin_id, stream, &line, false);
            }
            break;
        }
        let (part, newline) = match buffer.iter().position(|&b| b == b'\n') {
            Some(i) => (&buffer[..i], true),
            None => (buffer, false),
        };
        let used = part.len() + usize::from(newline);
        if !skipping {
            let room = MAX_LINE - line.len();
            if part.len() > room {
                line.extend_from_slice(&part[..room]);
                emit(&plugin_id, stream, &line, true);
                line.clear();
                skipping = true;
            } else {
                line.extend_from_slice(part);
            }
        }
        reader.consume(used);
        if newline {
            if !skipping {
                emit(&plugin_id, stream, &line, false);
            }
            line.clear();
            skipping = false;
        }
    }
}

/// Logs one line of output.
fn emit(plugin_id: &str, stream: Stream, line: &[u8], cut: bool) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut text = String::from_utf8_lossy(line).into_owned();
    if cut {
        text.push_str(&format!(" [cut: line longer than {MAX_LINE} bytes]"));
    }
    match stream {
        Stream::Stdout => tracing::event!(
            name: "plugin.process.output",
            Level::INFO,
            plugin_id,
            stream = "stdout",
            line = text.as_str(),
            "plugin.process.output"
        ),
        Stream::Stderr => tracing::event!(
            name: "plugin.process.output",
            Level::WARN,
            plugin_id,
            stream = "stderr",
            line = text.as_str(),
            "plugin.process.output"
        ),
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::collections::BTreeMap;

    use tracing::field::{Field, Visit};
    use tracing::{Event, Metadata, Subscriber, span};

    use super::*;

    /// Only a safety net: every wait below ends on an event long before.
    const SAFETY: Duration = Duration::from_secs(20);

    /// One recorded event.
    #[derive(Debug, Clone)]
    struct Captured {
        name: String,
        level: Level,
        fields: BTreeMap<String, String>,
    }

    impl Captured {
        fn field(&self, name: &str) -> &str {
            self.fields.get(name).map_or("", String::as_str)
        }
    }

    #[derive(Default)]
    struct Fields(BTreeMap<String, String>);

    impl Visit for Fields {
        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            self.0.insert(field.name().to_owned(), format!("{value:?}"));
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            self.0.insert(field.name().to_owned(), value.to_owned());
        }
    }

    /// A subscriber that sends every event to the test.
    struct Sink(mpsc::UnboundedSender<Captured>);

    impl Subscriber for Sink {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
            span::Id::from_u64(1)
        }
        fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
        fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut fields = Fields::default();
            event.record(&mut fields);
            let _ = self.0.send(Captured {
                name: event.metadata().name().to_owned(),
                level: *event.metadata().level(),
                fields: fields.0,
            });
        }
        fn enter(&self, _: &span::Id) {}
        fn exit(&self, _: &span::Id) {}
    }

    /// The events of the current thread (the tests run on a current-thread
    /// runtime, so the supervising and forwarding tasks log here too).
    struct Events {
        rx: mpsc::UnboundedReceiver<Captured>,
        seen: Vec<Captured>,
        _guard: tracing::subscriber::DefaultGuard,
    }

    impl Events {
        fn capture() -> Self {
            let (tx, rx) = mpsc::unbounded_channel();
            let guard = tracing::subscriber::set_default(Sink(tx));
            Events {
                rx,
                seen: Vec::new(),
                _guard: guard,
            }
        }

        /// Waits for the first event (since the last wait) `what` accepts.
        async fn wait_for(&mut self, what: impl Fn(&Captured) -> bool) -> Captured {
            let found = tokio::time::timeout(SAFETY, async {
                while let Some(event) = self.rx.recv().await {
                    self.seen.push(event.clone());
                    if what(&event) {
                        return Some(event);
                    }
                }
                None
            })
            .await;
            match found {
                Ok(Some(event)) => event,
                _ => panic!("no such event; seen: {:#?}", self.seen),
            }
        }

        async fn line(&mut self, plugin_id: &str, line: &str) -> Captured {
            self.wait_for(|e| {
                e.name == "plugin.process.output"
                    && e.field("plugin_id") == plugin_id
                    && e.field("line") == line
            })
            .await
        }

        async fn exited(&mut self, plugin_id: &str) -> Captured {
            self.wait_for(|e| {
                e.name == "plugin.process.exited" && e.field("plugin_id") == plugin_id
            })
            .await
        }

        /// Every event seen so far named `name`, for `plugin_id`.
        fn named(&mut self, name: &str, plugin_id: &str) -> Vec<Captured> {
            while let Ok(event) = self.rx.try_recv() {
                self.seen.push(event);
            }
            self.seen
                .iter()
                .filter(|e| e.name == name && e.field("plugin_id") == plugin_id)
                .cloned()
                .collect()
        }
    }

    /// The directory of a test's script, removed when the test ends.
    struct ScriptDir(PathBuf);

    impl Drop for ScriptDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn sh(plugin_id: &str, script: &str) -> (PluginChild, ScriptDir) {
        sh_env(plugin_id, script, &[], &[])
    }

    /// Spawns a `/bin/sh` script (a file: `spawn` takes no arguments).
    fn sh_env(
        plugin_id: &str,
        script: &str,
        env: &[(String, String)],
        unset: &[&str],
    ) -> (PluginChild, ScriptDir) {
        let dir = ScriptDir(std::env::temp_dir().join(format!(
            "pegboard-process-{}-{plugin_id}",
            std::process::id()
        )));
        std::fs::create_dir_all(&dir.0).unwrap();
        let binary = dir.0.join("plugin.sh");
        std::fs::write(&binary, format!("#!/bin/sh\n{script}\n")).unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        (
            PluginChild::spawn(plugin_id, &binary, env, unset).unwrap(),
            dir,
        )
    }

    /// Whether no process `pid` is left, or none that is a zombie.
    fn reaped(pid: u32) -> bool {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => true,
            // `pid (comm) S ...`: the state follows the last `)`.
            Ok(stat) => stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        }
    }

    async fn within_safety<T>(what: impl std::future::Future<Output = T>) -> T {
        tokio::time::timeout(SAFETY, what)
            .await
            .expect("timed out (safety net)")
    }

    #[tokio::test]
    async fn output_lines_are_forwarded_with_the_plugin_id() {
        let mut events = Events::capture();
        let (child, _script) = sh_env(
            "test.output",
            r#"echo hello
echo "node=$PEGBOARD_NODE"
echo "home=$HOME"
echo oops >&2
printf '\377abc\r\n'
head -c 20000 /dev/zero | tr '\0' a
echo
echo after
printf 'no newline'"#,
            &[("PEGBOARD_NODE".to_owned(), "n1".to_owned())],
            // Inherited from the host unless unset.
            &["HOME"],
        );
        let pid = child.pid();
        assert_eq!(
            within_safety(child.wait_exit()).await,
            "exited with status 0"
        );
        assert_eq!(child.exited().as_deref(), Some("exited with status 0"));

        let spawned = events.named("plugin.process.spawned", "test.output");
        assert_eq!(spawned.len(), 1, "{spawned:?}");
        assert_eq!(spawned[0].level, Level::INFO);
        assert_eq!(spawned[0].field("pid"), pid.to_string());
        assert!(spawned[0].field("binary").ends_with("plugin.sh"));

        // Everything written before the exit is logged before it returns.
        let output = events.named("plugin.process.output", "test.output");
        let lines = |stream: &str| {
            output
                .iter()
                .filter(|e| e.field("stream") == stream)
                .map(|e| (e.level, e.field("line").to_owned()))
                .collect::<Vec<_>>()
        };
        let cut = format!("{} [cut: line longer than 16384 bytes]", "a".repeat(16384));
        let info = |l: &str| (Level::INFO, l.to_owned());
        assert_eq!(
            lines("stdout"),
            vec![
                info("hello"),
                info("node=n1"),
                info("home="),
                info("\u{FFFD}abc"),
                info(&cut),
                info("after"),
                info("no newline"),
            ]
        );
        assert_eq!(lines("stderr"), vec![(Level::WARN, "oops".to_owned())]);
        assert!(
            output
                .iter()
                .all(|e| e.fields["message"] == "plugin.process.output")
        );

        // It ended on its own: a warning.
        let exited = events.named("plugin.process.exited", "test.output");
        assert_eq!(exited.len(), 1, "{exited:?}");
        assert_eq!(exited[0].level, Level::WARN);
        assert_eq!(exited[0].field("status"), "exited with status 0");
        assert_eq!(exited[0].field("pid"), pid.to_string());
        assert!(reaped(pid));
    }

    #[tokio::test]
    async fn stop_ends_a_process_that_exits_on_sigterm() {
        let mut events = Events::capture();
        let (child, _script) = sh(
            "test.term",
            // The trap runs once the current `sleep` ends; no process is left
            // behind holding the output open.
            "trap 'echo bye; exit 3' TERM\necho ready\nwhile :; do sleep 0.01; done",
        );
        events.line("test.term", "ready").await;
        let outcome = within_safety(child.stop(SAFETY)).await;
        assert_eq!(
            outcome,
            StopOutcome::Exited("exited with status 3".to_owned())
        );
        assert!(reaped(child.pid()));
        assert_eq!(
            events
                .named("plugin.process.output", "test.term")
                .last()
                .map(|e| e.field("line").to_owned()),
            Some("bye".to_owned())
        );
        // A requested stop is no warning.
        let exited = events.named("plugin.process.exited", "test.term");
        assert_eq!(exited.len(), 1, "{exited:?}");
        assert_eq!(exited[0].level, Level::INFO);
        // Idempotent.
        assert_eq!(
            within_safety(child.stop(SAFETY)).await,
            StopOutcome::AlreadyExited("exited with status 3".to_owned())
        );
    }

    #[tokio::test]
    async fn stop_kills_a_process_that_ignores_sigterm_after_the_grace() {
        let mut events = Events::capture();
        let (child, _script) = sh("test.stubborn", "trap '' TERM\necho ready\nexec sleep 30");
        events.line("test.stubborn", "ready").await;
        let outcome = within_safety(child.stop(Duration::from_millis(50))).await;
        assert_eq!(
            outcome,
            StopOutcome::Killed("killed by signal 9 (SIGKILL)".to_owned())
        );
        assert!(reaped(child.pid()));
        assert_eq!(events.exited("test.stubborn").await.level, Level::INFO);
    }

    #[tokio::test]
    async fn a_kill_from_outside_is_reported() {
        let mut events = Events::capture();
        let (child, _script) = sh("test.killed", "exec sleep 30");
        assert_eq!(child.exited(), None);
        let pid = i32::try_from(child.pid()).unwrap();
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        assert_eq!(
            within_safety(child.wait_exit()).await,
            "killed by signal 9 (SIGKILL)"
        );
        assert_eq!(
            child.exited().as_deref(),
            Some("killed by signal 9 (SIGKILL)")
        );
        assert!(reaped(child.pid()));
        let exited = events.exited("test.killed").await;
        assert_eq!(exited.level, Level::WARN);
        assert_eq!(exited.field("status"), "killed by signal 9 (SIGKILL)");
        assert_eq!(
            within_safety(child.stop(Duration::ZERO)).await,
            StopOutcome::AlreadyExited("killed by signal 9 (SIGKILL)".to_owned())
        );
    }

    #[tokio::test]
    async fn dropping_the_handle_kills_and_reaps_the_process() {
        let mut events = Events::capture();
        let (child, _script) = sh("test.dropped", "echo ready\nexec sleep 30");
        let pid = child.pid();
        events.line("test.dropped", "ready").await;
        drop(child);
        // Logged once the process has been reaped.
        let exited = events.exited("test.dropped").await;
        assert_eq!(exited.field("status"), "killed by signal 9 (SIGKILL)");
        assert_eq!(exited.level, Level::INFO);
        // The reap itself, seen from the OS: bounded polling.
        let mut tries = 0;
        while !reaped(pid) {
            tries += 1;
            assert!(tries < 500, "process {pid} is still a zombie");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn a_missing_binary_is_an_error_naming_it() {
        let binary = Path::new("/nonexistent/pegboard/missing-plugin");
        let err = PluginChild::spawn("classifier.missing", binary, &[], &[]).unwrap_err();
        assert!(matches!(err, ProcessError::Spawn { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains("/nonexistent/pegboard/missing-plugin"),
            "{message}"
        );
        assert!(message.contains("classifier.missing"), "{message}");
    }

    #[test]
    fn spawning_outside_a_runtime_is_an_error() {
        let err =
            PluginChild::spawn("classifier.early", Path::new("/bin/true"), &[], &[]).unwrap_err();
        assert!(matches!(err, ProcessError::NoRuntime { .. }), "{err:?}");
        assert!(err.to_string().contains("/bin/true"), "{err}");
    }
}
