//! # pegboard
//!
//! Build-time static plugin composition. A plugin is a struct with
//! `#[pegboard::plugin(...)]` on it; the macro registers a `'static`
//! descriptor at link time, so the binary knows every compiled-in plugin at
//! startup, with nothing loaded at run time. A typed [`Registry`] then
//! validates the plugins (API version, configuration), orders them
//! (dependencies) and builds them lazily.
//!
//! ```standalone_crate
//! use std::sync::Arc;
//!
//! /// Where documents live.
//! #[pegboard::kind]
//! pub trait Store {
//!     fn put(&self, text: &str) -> usize;
//! }
//!
//! #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, Default)]
//! pub struct MemoryConfig {
//!     capacity: Option<usize>,
//! }
//!
//! /// Keeps documents in memory.
//! #[pegboard::plugin(name = "memory", version = "1.0.0", api = "0.1", kind = Store, config = MemoryConfig)]
//! pub struct Memory {
//!     docs: std::sync::Mutex<Vec<String>>,
//! }
//!
//! impl From<MemoryConfig> for Memory {
//!     fn from(_: MemoryConfig) -> Self {
//!         Memory { docs: Default::default() }
//!     }
//! }
//!
//! impl Store for Memory {
//!     fn put(&self, text: &str) -> usize {
//!         let mut docs = self.docs.lock().unwrap();
//!         docs.push(text.to_owned());
//!         docs.len()
//!     }
//! }
//!
//! let registry = pegboard::Registry::builder().build()?;
//! let store: Arc<dyn Store> = registry.get::<dyn Store>("memory")?;
//! assert_eq!(store.put("hello"), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Crates
//!
//! This crate is the one to depend on. It re-exports, under one set of
//! paths, the crates pegboard is made of:
//!
//! | crate | what | here |
//! |---|---|---|
//! | `pegboard-core` | the engine: discover, validate, order, supervise, dispatch, report (HTTP with feature `http`) | everything at the root: [`Registry`], [`config`], [`metrics`], ... |
//! | `pegboard-remote` | the out-of-process runtime: the gRPC protocol, the registry service, the plugin SDK, spawned plugin processes | `pegboard::remote` (feature `remote`; TLS with `remote-tls`) |
//! | `pegboard-cli` | the command line of a host (`run`, `plugins list`, `config check`, ...) | `pegboard::cli` (feature `cli`) |
//! | `pegboard-macros` | `#[pegboard::plugin]`, `#[pegboard::kind]`, `link_plugins!` | [`plugin`], [`kind`], [`link_plugins!`] |
//!
//! `pegboard-remote` builds on the engine's public extension API
//! ([`extend`]), the way any crate adding plugins of its own to a registry
//! would; the engine knows nothing of gRPC.
#![warn(missing_docs)]

pub use pegboard_core::*;

// Modules re-exporting the crates (rather than `pub use pegboard_cli as
// cli`), so that rustc's diagnostics name their items `pegboard::cli::...`
// and `pegboard::remote::...`, and their documentation and examples live
// at the paths users write.
#[cfg(feature = "cli")]
pub mod cli;

#[cfg(feature = "remote")]
pub mod remote;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

/// Declares a plugin kind: a trait whose implementors can be registered as
/// plugins, looked up as `Arc<dyn Trait>`.
///
/// The kind's name is the trait's name in snake_case (`HttpRoutes` →
/// `http_routes`) unless given with `#[pegboard::kind(name = "...")]`; it must
/// match `[a-z0-9][a-z0-9_-]*`. The macro adds `Send + Sync` to the trait's
/// supertraits (plugins are shared across threads) and implements [`Kind`]
/// for `dyn Trait`. A kind cannot be generic.
///
/// ```
/// #[pegboard::kind(name = "routes")]
/// pub trait HttpRoutes {
///     fn base_path(&self) -> &str;
/// }
///
/// assert_eq!(<dyn HttpRoutes as pegboard::Kind>::NAME, "routes");
/// ```
///
/// Methods may be `async fn`, mixed with synchronous ones; plugins implement
/// them with plain `async fn`, and callers await them on the `Arc<dyn Trait>`
/// the registry hands out, or through [`Registry::dispatch`] under the
/// kind's timeout:
///
/// ```standalone_crate
/// #[pegboard::kind]
/// pub trait Notifier {
///     async fn notify(&self, message: &str) -> String;
/// }
///
/// #[derive(Default)]
/// #[pegboard::plugin(name = "email", version = "0.1.0", api = "0.1", kind = Notifier)]
/// pub struct Email;
///
/// impl Notifier for Email {
///     async fn notify(&self, message: &str) -> String {
///         format!("mailed {message}")
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let registry = pegboard::Registry::builder().build().unwrap();
/// let email = registry.get::<dyn Notifier>("email").unwrap();
/// assert_eq!(email.notify("hi").await, "mailed hi");
///
/// let all = registry
///     .dispatch::<dyn Notifier>()
///     .fan_out(|n| async move { Ok::<_, String>(n.notify("hi").await) })
///     .await;
/// assert_eq!(all.successes().count(), 1);
/// # }
/// ```
///
/// Each `async fn m(&self, ..) -> R` becomes `fn m(&self, ..) -> impl
/// Future<Output = R> + Send where Self: Sized` (so a plugin's future must be
/// `Send`), and `dyn Trait` gets a method `m` on `Arc<dyn Trait>` returning a
/// [`BoxFuture`]; a bare `&dyn Trait` finds only the trait's own `m`, which
/// it cannot call. Such a method must take `&self`, and cannot have type
/// parameters, `impl Trait` or `Self` in its signature (all compile errors),
/// unless it is kept off `dyn` with `where Self: Sized`. Write the hidden
/// lifetimes of borrowed argument types (`Formatter<'_>`), which the macro
/// cannot see.
///
/// `#[pegboard::kind(remote)]` (with the `remote` feature) also makes the
/// kind callable across processes: it implements `pegboard::remote::RemoteKind`
/// for `dyn Trait`, a client stub and a server adapter (see
/// `pegboard::remote`). Every method must take `&self`, have no generic or
/// lifetime parameters and no `async`, take owned serde types or `&str`,
/// `&[T]`, `&T` (sent as `String`, `Vec<T>`, `T`), and return
/// `Result<T, E>` where `T` is serde and `E` is serde and
/// `From<pegboard::remote::RemoteCallError>`. Anything else is a compile
/// error naming the method.
pub use pegboard_macros::kind;

/// Registers a struct as a plugin.
///
/// | key | required | meaning |
/// |---|---|---|
/// | `name` | yes | `[a-z0-9][a-z0-9_-]*`, unique within the kind |
/// | `version` | yes | the plugin's own semver version |
/// | `api` | yes | the pegboard API it was written against, `"MAJOR.MINOR"` or full semver; one incompatible with [`API_VERSION`] is a compile error naming both |
/// | `kind` | yes | the kind trait, declared with [`#[pegboard::kind]`](macro@kind) |
/// | `description` | no | defaults to the first paragraph of the struct's doc comment |
/// | `depends_on` | no | `["name", "kind.name", "name@^1.2", "cache?"]`: `@` a semver requirement on the dependency's version, a trailing `?` makes it optional |
/// | `config` | no | a type implementing `Serialize + Deserialize + JsonSchema + Default`; its section is `[plugins.<kind>.<name>]` |
/// | `capabilities` | no | each `[a-z0-9][a-z0-9_-]*`, e.g. `["search", "fts"]`; listed in `/api/plugins`, the admin status and `plugins list --json` |
/// | `new` | no | a constructor `fn(Config, &Context) -> Result<Self, E>`, or `fn(&Context) -> Result<Self, E>` without `config` |
/// | `lifecycle` | no | asserts that the struct implements [`Lifecycle`] (a compile error at the key otherwise); without it an impl is found all the same and its hooks run |
///
/// Without `new`, a plugin with `config = T` is built with `From<T>` or
/// `TryFrom<T>` (whose error fails just this plugin), and one without config
/// with `Default`. Nothing is built until the registry first needs it, and
/// then exactly once.
///
/// ```standalone_crate
/// use pegboard::Context;
/// use std::sync::Arc;
///
/// #[pegboard::kind]
/// pub trait Clock {
///     fn now(&self) -> u64;
/// }
///
/// /// A clock that never moves.
/// #[derive(Default)]
/// #[pegboard::plugin(name = "fixed", version = "1.0.0", api = "0.1", kind = Clock)]
/// pub struct Fixed;
///
/// impl Clock for Fixed {
///     fn now(&self) -> u64 {
///         42
///     }
/// }
///
/// /// A clock one ahead of the fixed one.
/// #[pegboard::plugin(
///     name = "ahead",
///     version = "1.0.0",
///     api = "0.1",
///     kind = Clock,
///     depends_on = ["clock.fixed@^1"],
///     new = Ahead::new,
/// )]
/// pub struct Ahead(Arc<dyn Clock>);
///
/// impl Ahead {
///     fn new(ctx: &Context<'_>) -> Result<Self, pegboard::Error> {
///         Ok(Ahead(ctx.dependency::<dyn Clock>("fixed")?))
///     }
/// }
///
/// impl Clock for Ahead {
///     fn now(&self) -> u64 {
///         self.0.now() + 1
///     }
/// }
///
/// let registry = pegboard::Registry::builder().build().unwrap();
/// assert_eq!(registry.get::<dyn Clock>("ahead").unwrap().now(), 43);
/// assert_eq!(registry.plugin("clock.fixed").unwrap().description, "A clock that never moves.");
/// let order: Vec<&str> = registry.start_order().collect();
/// assert_eq!(order, ["clock.fixed", "clock.ahead"]);
/// ```
pub use pegboard_macros::plugin;

/// Links every plugin crate the calling crate depends on; put it once at the
/// root of a host binary, as `pegboard::link_plugins!(PLUGINS);`, and pass
/// `PLUGINS` to the command line's entry point.
///
/// A crate that a binary depends on but never names is not linked at all, so
/// its link-time registrations silently vanish, with `linkme` and `inventory`
/// alike. `link_plugins!()` reads the crate's `Cargo.toml` and emits
/// `extern crate dep as _;` for every dependency, under the `cfg` that makes
/// cargo pass it:
///
/// | in `Cargo.toml` | linked |
/// |---|---|
/// | `[dependencies]`, renamed (`x = { package = "y" }`) or inherited (`x.workspace = true`) | always (as `x`) |
/// | `optional = true` | under `cfg(any(feature = ...))`, every feature that enables it, transitively |
/// | `[target.'cfg(unix)'.dependencies]` | under `cfg(unix)`; a target triple (`[target.x86_64-unknown-linux-gnu.dependencies]`) is a compile error, since no `cfg` says it |
/// | `[dev-dependencies]` | in example, test and bench targets; under `cfg(test)` in a library or binary (its unit tests) |
/// | the package's own library | in its binaries, examples, tests and benches |
///
/// Enabling a plugin crate's feature is then the only step needed to include
/// it. Given a name, it also declares `const NAME: pegboard::Linked`, which
/// [`cli::main`] and `Cli::main` require, so a host that
/// forgets the macro does not compile. In a binary it also adds a
/// `#[cfg(test)]` test, `__pegboard_link_plugins::composition_is_sound`, so
/// the application's own `cargo test` fails on a duplicate (kind, name),
/// an incompatible API, an invalid default config, a cycle or a missing
/// dependency, with no test written by the application (see
/// [`testing::assert_composition_sound`]).
///
/// ```toml
/// [features]
/// default = ["store-memory"]
/// store-memory = ["dep:store-memory"]
///
/// [dependencies]
/// store-memory = { path = "../plugins/store-memory", optional = true }
/// ```
///
/// ```no_run
/// // src/main.rs
/// pegboard::link_plugins!(PLUGINS);
///
/// fn main() -> std::process::ExitCode {
///     pegboard::cli::main(PLUGINS)
/// }
/// ```
///
/// Without a name (`pegboard::link_plugins!();`) it only links: for tests,
/// examples and hosts that build a [`Registry`] themselves. Plugin crates that
/// are dependencies of a dependency are linked only if that crate links them.
pub use pegboard_macros::link_plugins;

/// The README's examples, compiled and run as doc tests (they use the CLI).
#[doc = include_str!("../../README.md")]
#[cfg(all(doctest, feature = "cli"))]
pub struct ReadmeDoctests;
