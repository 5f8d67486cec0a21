use std::collections::BTreeMap;

use tracing::field::{Field, Visit};
use tracing::{Event, Metadata, Subscriber, span};

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::mpsc;
use tracing::Level;

use super::{PluginChild, ProcessError, StopOutcome};

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
        self.wait_for(|e| e.name == "plugin.process.exited" && e.field("plugin_id") == plugin_id)
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
    // Another test thread may fork while this one still holds the script
    // open for writing; its child keeps that descriptor until it execs, and
    // until then running the script fails with ETXTBSY. That passes within
    // moments, so try again, a bounded number of times.
    let mut tries = 0;
    let child = loop {
        match PluginChild::spawn(plugin_id, &binary, env, unset) {
            Err(ProcessError::Spawn { source, .. })
                if source.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 200 =>
            {
                tries += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
            other => break other.unwrap(),
        }
    };
    (child, dir)
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
    let err = PluginChild::spawn("classifier.early", Path::new("/bin/true"), &[], &[]).unwrap_err();
    assert!(matches!(err, ProcessError::NoRuntime { .. }), "{err:?}");
    assert!(err.to_string().contains("/bin/true"), "{err}");
}
