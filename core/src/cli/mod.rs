//! The reusable command line (feature `cli`): inspect a composition, check
//! and generate configuration.
//!
//! ```text
//! pegboard [--config FILE] [COMMAND]
//!   run                  start the plugins, supervise them until SIGINT/SIGTERM (the default)
//!   plugins list [--json]
//!   plugins graph [--dot]
//!   config check FILE    exit 0 when valid, 1 with every error otherwise
//!   config schema        one JSON Schema for the whole config file
//!   config default       a config file with every default filled in
//! ```
//!
//! A host application's `main` can be one line, given the [`Linked`] value
//! that [`link_plugins!`](crate::link_plugins) declares (so a host that
//! forgets it does not compile):
//!
//! ```no_run
//! pegboard::link_plugins!(PLUGINS);
//!
//! fn main() -> std::process::ExitCode {
//!     pegboard::cli::main(PLUGINS)
//! }
//! ```
//!
//! or, to accept its own config sections and check them too:
//!
//! ```no_run
//! pegboard::link_plugins!(PLUGINS);
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct Server { listen: String }
//!
//! fn main() -> std::process::ExitCode {
//!     pegboard::cli::Cli::new("my-host").section::<Server>("server").main(PLUGINS)
//! }
//! ```

mod graph;
mod list;
#[cfg(feature = "remote")]
pub mod remote;

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::catalog::Catalog;
use crate::config::{self, ConfigError, ConfigValidator, Document};
use crate::descriptor::PluginDescriptor;
use crate::linked::Linked;
use crate::registry::{Registry, RegistryBuilder};
use crate::supervisor::Supervisor;

/// Runs the command line of a host with no config sections of its own.
///
/// `plugins` comes from `pegboard::link_plugins!(PLUGINS)` at the root of the
/// binary: without it the plugin crates would not be linked, and the host
/// would run without them and without a word.
pub fn main(plugins: Linked) -> ExitCode {
    Cli::new("pegboard").main(plugins)
}

/// A host's command line: which plugins, which extra config sections.
pub struct Cli {
    name: String,
    serve: Option<ServeFn>,
    descriptors: Option<Vec<&'static PluginDescriptor>>,
    env: Option<Vec<(String, String)>>,
    sections: Vec<(String, serde_json::Value)>,
    /// What `link_plugins!()` linked, once `main` was given it.
    linked: Option<Linked>,
    /// The kinds whose plugins may run outside the host (`[remote]`).
    #[cfg(feature = "remote")]
    remote_kinds: Vec<(&'static str, remote::DeclareFn)>,
}

#[derive(Parser)]
#[command(version, about = "Inspect and run a pegboard plugin composition")]
struct Args {
    /// The configuration file (TOML). Without it, every plugin runs with its defaults.
    #[arg(long, short, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address the host listens on (`run`; overrides the host's own config).
    #[arg(long, global = true, value_name = "ADDR")]
    listen: Option<String>,
    /// Log format of `run`: `human` or `json` (the filter comes from `PEGBOARD_LOG`, default `info`).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Option<Command>,
}

/// How `run` prints its logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// One readable line per event.
    Human,
    /// One JSON object per event.
    Json,
}

/// Logs to stderr, filtered by `PEGBOARD_LOG` (`RUST_LOG` syntax, default
/// `info`). Does nothing if the host already installed a subscriber.
fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("PEGBOARD_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

#[derive(Subcommand)]
enum Command {
    /// Start the plugins and supervise them until SIGINT/SIGTERM (the default command).
    Run,
    /// Inspect the compiled-in plugins.
    #[command(subcommand)]
    Plugins(PluginsCommand),
    /// Check and generate configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Subcommand)]
enum PluginsCommand {
    /// Every plugin: id, version, api, crate, source, state, dependencies.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The dependency graph, in start order.
    Graph {
        /// Print Graphviz DOT.
        #[arg(long)]
        dot: bool,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate a config file: exit 0 when valid, 1 with every error otherwise.
    Check {
        /// The file to check.
        file: PathBuf,
    },
    /// Print one JSON Schema for the whole config file.
    Schema,
    /// Print a config file with every setting's default, under its description
    /// (the host's own sections commented out).
    Default,
}

/// Exit codes: 0 success, 1 invalid input (config, composition), 2 usage or I/O.
const INVALID: u8 = 1;
const USAGE: u8 = 2;

impl Cli {
    /// A command line for the host `name` (used in messages), over every
    /// compiled-in plugin and the process environment.
    pub fn new(name: impl Into<String>) -> Self {
        Cli {
            name: name.into(),
            serve: None,
            descriptors: None,
            env: None,
            sections: Vec::new(),
            linked: None,
            #[cfg(feature = "remote")]
            remote_kinds: Vec::new(),
        }
    }

    /// Lets plugins of the remote kind `K` run outside the host, as
    /// declared in the config's `[remote]` section (see [`remote`]): `run`
    /// then serves the registry service they announce to, spawns the local
    /// ones from the plugin directory, and supervises, lists and calls
    /// them like the compiled-in plugins. Features `cli` and `remote`.
    #[cfg(feature = "remote")]
    pub fn remote_kind<K: crate::remote::RemoteKind + ?Sized>(mut self) -> Self {
        if self.remote_kinds.is_empty() {
            self = self.section::<remote::RemoteConfig>("remote");
        }
        self.remote_kinds.push((K::NAME, remote::declare::<K>));
        self
    }

    /// Uses these descriptors instead of the compiled-in ones (for tests).
    pub fn descriptors(mut self, d: impl IntoIterator<Item = &'static PluginDescriptor>) -> Self {
        self.descriptors = Some(d.into_iter().collect());
        self
    }

    /// Uses these environment variables instead of the process's (for tests).
    pub fn env<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Declares a top-level config section the host reads itself (e.g.
    /// `[server]`), so `config schema` includes it and `config check`
    /// checks it against `T`'s schema. `config check` rejects top-level
    /// sections that are neither declared nor pegboard's own (`plugins`,
    /// `supervision`, `dispatch`); see
    /// [`ConfigValidator::with_host_sections`].
    pub fn section<T: schemars::JsonSchema>(mut self, name: &str) -> Self {
        self.sections
            .push((name.to_owned(), schemars::schema_for!(T).to_value()));
        self
    }

    /// What `run` does once the plugins are started: typically bind a
    /// listener and serve until [`RunContext::shutdown`] is requested. When it returns, the plugins are stopped (reverse order) and
    /// the process exits (non-zero if it returned an error). Without it, `run`
    /// waits for SIGINT/SIGTERM.
    pub fn serve<F, Fut>(mut self, serve: F) -> Self
    where
        F: Fn(RunContext) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), crate::BoxError>> + Send + 'static,
    {
        self.serve = Some(Box::new(move |ctx| Box::pin(serve(ctx))));
        self
    }

    /// Parses the process arguments, runs, and returns the exit code.
    ///
    /// `plugins` comes from `pegboard::link_plugins!(PLUGINS)` at the root of
    /// the binary, which links every enabled plugin crate: requiring it makes
    /// a forgotten `link_plugins!()` a compile error rather than a host that
    /// runs with no plugins.
    pub fn main(mut self, plugins: Linked) -> ExitCode {
        self.linked = Some(plugins);
        let code = self.run(
            std::env::args_os(),
            &mut std::io::stdout(),
            &mut std::io::stderr(),
        );
        ExitCode::from(code)
    }

    /// Runs with the given arguments (the first is the program name),
    /// writing to `out` and `err`; returns the exit code.
    pub fn run<I, T>(&self, args: I, out: &mut dyn Write, err: &mut dyn Write) -> u8
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let args = match Args::try_parse_from(args) {
            Ok(a) => a,
            Err(e) => {
                let code = if e.use_stderr() { USAGE } else { 0 };
                let text = e.render().to_string();
                let _ = if e.use_stderr() {
                    err.write_all(text.as_bytes())
                } else {
                    out.write_all(text.as_bytes())
                };
                return code;
            }
        };
        match self.dispatch(args, out) {
            Ok(()) => 0,
            Err(Failed { code, message }) => {
                let _ = writeln!(err, "{}: {message}", self.name);
                code
            }
        }
    }

    fn dispatch(&self, args: Args, out: &mut dyn Write) -> Result<(), Failed> {
        let write = |r: std::io::Result<()>| {
            r.map_err(|e| Failed::usage(format!("cannot write output: {e}")))
        };
        match args.command.unwrap_or(Command::Run) {
            Command::Run => {
                // A deploy with a broken config file fails before anything
                // starts, with every error, rather than running half of it.
                let document = match args.config.as_deref() {
                    Some(path) => {
                        let document = self.load(path)?;
                        self.checked(path, document.clone())?;
                        document
                    }
                    None => Document::empty(),
                };
                init_logging(args.log_format);
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| Failed::usage(format!("cannot start the async runtime: {e}")))?;
                let result = runtime.block_on(async {
                    // Before any plugin starts: a signal during start-up
                    // then stops the host in order.
                    let shutdown = crate::supervisor::Shutdown::listen();
                    let registry = Arc::new(self.running_registry(&document, out).await?);
                    let supervisor = Supervisor::new(registry.clone());
                    let report = supervisor.start().await;
                    write(list::table(&registry, self.linked.as_ref(), out))?;
                    write(writeln!(
                        out,
                        "\n{} of {} plugins running (backend: {}); Ctrl-C or SIGTERM stops them",
                        report.running.len(),
                        registry.catalog().len(),
                        crate::discover::BACKEND
                    ))?;
                    write(out.flush())?;
                    let served = match &self.serve {
                        Some(serve) => {
                            let ctx = RunContext {
                                registry: registry.clone(),
                                document,
                                listen: args.listen.clone(),
                                shutdown: shutdown.clone(),
                            };
                            serve(ctx).await
                        }
                        None => {
                            shutdown.requested().await;
                            Ok(())
                        }
                    };
                    supervisor.shutdown().await;
                    write(writeln!(out, "stopped"))?;
                    served.map_err(|e| Failed::invalid(format!("serving failed: {e}")))
                });
                // Calls abandoned at their timeout may still occupy blocking
                // threads; do not wait for them on the way out.
                runtime.shutdown_background();
                result
            }
            Command::Plugins(PluginsCommand::List { json }) => {
                let registry = self.registry(args.config.as_deref())?;
                if json {
                    let text = serde_json::to_string_pretty(&registry.plugins())
                        .map_err(|e| Failed::usage(e.to_string()))?;
                    write(writeln!(out, "{text}"))
                } else {
                    write(list::table(&registry, self.linked.as_ref(), out))
                }
            }
            Command::Plugins(PluginsCommand::Graph { dot }) => {
                let registry = self.registry(args.config.as_deref())?;
                if dot {
                    write(graph::dot(&registry, out))
                } else {
                    write(graph::text(&registry, out))
                }
            }
            Command::Config(ConfigCommand::Check { file }) => self.check(&file, out),
            Command::Config(ConfigCommand::Schema) => {
                let (validator, _) = self.validator(&self.catalog()?);
                let schema = validator.document_schema(&[]);
                let text = serde_json::to_string_pretty(&schema)
                    .map_err(|e| Failed::usage(e.to_string()))?;
                write(writeln!(out, "{text}"))
            }
            Command::Config(ConfigCommand::Default) => {
                let (validator, _) = self.validator(&self.catalog()?);
                write(write!(out, "{}", validator.default_document()))
            }
        }
    }

    fn catalog(&self) -> Result<Catalog, Failed> {
        let catalog = match &self.descriptors {
            Some(d) => Catalog::new(d.iter().copied()),
            None => Catalog::compiled_in(),
        };
        catalog.map_err(|e| Failed::invalid(format!("the plugin composition is refused: {e}")))
    }

    /// The catalog `document` configures: with the plugins its `[remote]`
    /// section declares, which may have `[plugins.<kind>.<name>]` sections
    /// of their own (supervision, dispatch settings).
    #[cfg_attr(not(feature = "remote"), allow(unused_variables))]
    fn catalog_for(&self, document: &Document) -> Result<Catalog, Failed> {
        #[cfg(feature = "remote")]
        if let Some(members) = self.declared_members(document)? {
            use crate::location::Members;
            let mut all: Vec<&'static PluginDescriptor> = match &self.descriptors {
                Some(d) => d.clone(),
                None => crate::discover::compiled_in().collect(),
            };
            all.extend_from_slice(members.descriptors());
            return Catalog::new(all)
                .map_err(|e| Failed::invalid(format!("the plugin composition is refused: {e}")));
        }
        self.catalog()
    }

    /// The config validator of `catalog`, with the host's sections declared
    /// (so unknown top-level sections are errors), and the plugins whose
    /// config type cannot produce its defaults (by index), with why.
    fn validator(&self, catalog: &Catalog) -> (ConfigValidator, Vec<(usize, crate::Failure)>) {
        let (validator, failures) = crate::compat::config_validator(catalog);
        (
            validator.with_host_sections(self.sections.clone()),
            failures,
        )
    }

    fn env_vars(&self) -> Vec<(String, String)> {
        self.env.clone().unwrap_or_else(config::env_vars)
    }

    fn builder(&self) -> RegistryBuilder {
        let builder = Registry::builder().env(self.env_vars());
        match &self.descriptors {
            Some(d) => builder.descriptors(d.iter().copied()),
            None => builder,
        }
    }

    fn registry(&self, config: Option<&Path>) -> Result<Registry, Failed> {
        let document = match config {
            Some(path) => self.load(path)?,
            None => Document::empty(),
        };
        let builder = self.builder();
        #[cfg(feature = "remote")]
        let builder = match self.declared_members(&document)? {
            Some(members) => builder.remote(&members),
            None => builder,
        };
        builder
            .config(document)
            .build()
            .map_err(|e| Failed::invalid(e.to_string()))
    }

    /// The registry `run` supervises; with `[remote]`, the registry
    /// service its remote and local-process plugins announce to is bound
    /// and served first.
    async fn running_registry(
        &self,
        document: &Document,
        #[allow(unused_variables)] out: &mut dyn Write,
    ) -> Result<Registry, Failed> {
        let invalid = |e: &dyn std::fmt::Display| Failed::invalid(e.to_string());
        #[cfg(feature = "remote")]
        if let Some(config) = self.remote_config(document)? {
            let tls = config.server_tls().map_err(|e| invalid(&e))?;
            #[cfg(feature = "remote-tls")]
            let mut server = match &tls {
                Some(tls) => tls
                    .server()
                    .map_err(|e| invalid(&format!("[remote.tls]: {e}")))?,
                None => tonic::transport::Server::builder(),
            };
            #[cfg(not(feature = "remote-tls"))]
            let mut server = tonic::transport::Server::builder();
            let listener = tokio::net::TcpListener::bind(&config.listen)
                .await
                .map_err(|e| {
                    Failed::usage(format!("[remote] cannot listen on {}: {e}", config.listen))
                })?;
            let addr = listener
                .local_addr()
                .map_err(|e| Failed::usage(format!("[remote] {e}")))?;
            let scheme = if tls.is_some() { "https" } else { "http" };
            // Local processes are told where to announce: on this machine,
            // loopback reaches an address bound to every interface.
            let mut reach = addr;
            if reach.ip().is_unspecified() {
                reach.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            let host = format!("{scheme}://{reach}");
            let members = config
                .members(&self.remote_kinds, &host)
                .map_err(|e| invalid(&e))?;
            let token = config.token(&self.env_vars()).map_err(|e| invalid(&e))?;
            let registry = self
                .builder()
                .remote(&members)
                .config(document.clone())
                .build()
                .map_err(|e| invalid(&e))?;
            let service = crate::remote::RemoteRegistry::builder(registry.catalog(), token)
                .members(&members)
                .build()
                .map_err(|e| invalid(&e))?;
            // Served until the runtime ends, after the plugins stopped:
            // their processes withdraw on the way out.
            let serving = server
                .add_service(service.health_service().await)
                .add_service(service.service())
                .serve_with_incoming(
                    // Not set by `serve_with_incoming`: see the SDK.
                    tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
                );
            tokio::spawn(async move {
                if let Err(e) = serving.await {
                    tracing::error!(error = %e, "the remote registry service stopped: remote and local-process plugins can no longer announce");
                }
            });
            writeln!(out, "remote plugins announce to {host}")
                .map_err(|e| Failed::usage(format!("cannot write output: {e}")))?;
            return Ok(registry);
        }
        self.builder()
            .config(document.clone())
            .build()
            .map_err(|e| invalid(&e))
    }

    /// The plugins `document`'s `[remote]` declares, to list or check, not
    /// run: they are given no address to announce to.
    #[cfg(feature = "remote")]
    fn declared_members(
        &self,
        document: &Document,
    ) -> Result<Option<crate::remote::RemoteMembers>, Failed> {
        self.remote_config(document)?
            .map(|config| config.members(&self.remote_kinds, "http://127.0.0.1:0"))
            .transpose()
            .map_err(|e| Failed::invalid(e.to_string()))
    }

    /// `[remote]`, if the host accepts remote kinds and the document has it.
    #[cfg(feature = "remote")]
    fn remote_config(&self, document: &Document) -> Result<Option<remote::RemoteConfig>, Failed> {
        if self.remote_kinds.is_empty() {
            return Ok(None);
        }
        remote::RemoteConfig::of(document).map_err(|e| Failed::invalid(format!("[remote]: {e}")))
    }

    fn load(&self, path: &Path) -> Result<Document, Failed> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failed::usage(format!("cannot read {}: {e}", path.display())))?;
        Document::from_toml_str(&text)
            .map_err(|e| Failed::invalid(format!("{}: {e}", path.display())))
    }

    /// `config check`: every problem in the file, the host sections included.
    fn check(&self, path: &Path, out: &mut dyn Write) -> Result<(), Failed> {
        let document = self.load(path)?;
        let (plugins, disabled) = self.checked(path, document)?;
        writeln!(
            out,
            "{}: valid ({plugins} plugins, {disabled} disabled)",
            path.display()
        )
        .map_err(|e| Failed::usage(e.to_string()))
    }

    /// Every problem in `document`; on success, how many plugins it
    /// configures and how many of them it disables.
    fn checked(&self, path: &Path, mut document: Document) -> Result<(usize, usize), Failed> {
        let catalog = self.catalog_for(&document)?;
        let (validator, schema_failures) = self.validator(&catalog);
        let mut errors: Vec<String> = validator
            .apply_env(&mut document, self.env_vars())
            .iter()
            .map(ToString::to_string)
            .collect();
        let validated = validator.validate(&document);
        errors.extend(validated.errors().map(ToString::to_string));
        for (i, f) in &schema_failures {
            errors.push(format!("{}: {f}", catalog.id(*i)));
        }
        if errors.is_empty() {
            let disabled = validated.plugins.iter().filter(|p| !p.enabled).count();
            Ok((validated.plugins.len(), disabled))
        } else {
            Err(Failed::invalid(format!(
                "{}: {} error(s):\n{}",
                path.display(),
                errors.len(),
                errors
                    .iter()
                    .map(|e| format!("  - {e}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            )))
        }
    }
}

/// What a host's [`Cli::serve`] function gets: the running composition, the
/// whole config document (for the host's own sections) and `--listen`.
pub struct RunContext {
    /// The registry, its plugins started.
    pub registry: Arc<Registry>,
    /// The configuration document (`[server]` and other host sections).
    pub document: Document,
    /// `--listen ADDR`, if given.
    pub listen: Option<String>,
    /// Resolves when the host is asked to stop (SIGINT, SIGTERM), listened
    /// to since before the plugins started: serve until
    /// `shutdown.clone().requested()` (e.g. axum's `with_graceful_shutdown`).
    pub shutdown: crate::supervisor::Shutdown,
}

type ServeFn =
    Box<dyn Fn(RunContext) -> crate::BoxFuture<'static, Result<(), crate::BoxError>> + Send + Sync>;

struct Failed {
    code: u8,
    message: String,
}

impl Failed {
    fn usage(message: String) -> Self {
        Failed {
            code: USAGE,
            message,
        }
    }
    fn invalid(message: String) -> Self {
        Failed {
            code: INVALID,
            message,
        }
    }
}

impl From<ConfigError> for Failed {
    fn from(e: ConfigError) -> Self {
        Failed::invalid(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Server {
        port: u16,
    }

    fn cli(env: &[(&str, &str)]) -> Cli {
        Cli::new("host")
            .descriptors(Vec::new())
            .env(env.iter().copied())
            .section::<Server>("server")
    }

    fn run(cli: &Cli, args: &[&str]) -> (u8, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = cli.run(
            std::iter::once("host").chain(args.iter().copied()),
            &mut out,
            &mut err,
        );
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    fn file(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pegboard-cli-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn config_check_accepts_host_and_settings_sections() {
        let path = file(
            "good.toml",
            "[server]\nport = 80\n\n[supervision]\nstart_timeout_ms = 5\n[supervision.restart]\npolicy = \"never\"\n",
        );
        let (code, out, err) = run(&cli(&[]), &["config", "check", path.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("valid (0 plugins, 0 disabled)"), "{out}");
    }

    #[test]
    fn config_check_reports_host_sections_and_settings_one_per_line() {
        let path = file(
            "bad.toml",
            "[server]\nport = \"http\"\n\n[sevrer]\n\n[supervision]\nstart_timeout_ms = 0\n",
        );
        let cli = cli(&[("PEGBOARD_TIMEOUT_NOPE_MS", "1")]);
        let (code, _, err) = run(&cli, &["config", "check", path.to_str().unwrap()]);
        assert_eq!(code, INVALID);
        let lines: Vec<&str> = err.lines().collect();
        assert!(lines[0].ends_with("4 error(s):"), "{err}");
        for needle in [
            "  - environment variable `PEGBOARD_TIMEOUT_NOPE_MS` names no known plugin kind",
            "  - /sevrer: unknown section `sevrer` (did you mean `server`?) (rule: unknown_section)",
            "  - /server/port: \"http\" is not of type \"integer\" (rule: type)",
            "  - /supervision/start_timeout_ms: 0 is less than the minimum of 1 (rule: minimum)",
        ] {
            assert!(
                lines.iter().any(|l| l.starts_with(needle)),
                "{needle} missing from:\n{err}"
            );
        }
        assert_eq!(lines.len(), 5, "{err}");
    }

    #[test]
    fn config_schema_and_default_include_the_settings() {
        let (code, out, err) = run(&cli(&[]), &["config", "schema"]);
        assert_eq!(code, 0, "{err}");
        let schema: serde_json::Value = serde_json::from_str(&out).unwrap();
        for section in ["plugins", "supervision", "dispatch", "server"] {
            assert!(schema["properties"][section].is_object(), "{section}");
        }
        let (code, out, _) = run(&cli(&[]), &["config", "default"]);
        assert_eq!(code, 0);
        assert!(out.contains("[supervision]\n"), "{out}");
        assert!(out.contains("[supervision.restart]\n"), "{out}");
        let path = file("default.toml", &out);
        let (code, _, err) = run(&cli(&[]), &["config", "check", path.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
    }
}
