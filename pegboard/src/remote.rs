//! Remote plugins (SPEC R3, R4), host side: the gRPC registry service that
//! plugins running in other processes or on other machines announce
//! themselves to; and [`scan`], finding local plugin binaries (R2). Behind
//! `pegboard`'s `remote` feature: crate `pegboard-remote`, built on the
//! engine's extension API ([`extend`](crate::extend)), which owns the gRPC
//! protocol ([`proto`]).
//!
//! Remote kinds (`#[pegboard::kind(remote)]`, see [`RemoteKind`]): the host
//! calls a remote plugin through a client stub that implements the kind's
//! trait ([`stub`], over a [`GrpcTransport`]); the plugin's process serves
//! its plugins with [`PluginService`].
//!
//! The plugin SDK (SPEC R1): a plugin binary's `main` is
//! `pegboard::remote::serve::<dyn Kind>("name", Arc::new(MyPlugin))` ([`serve`]),
//! or a [`PluginProcess`] for several plugins, explicit settings or an
//! explicit shutdown ([`PluginProcess::serve_until`]). It serves the plugins,
//! announces them once its server answers, keeps them alive with heartbeats,
//! announces again when the host forgets them, and withdraws on SIGTERM,
//! ctrl-c, or a `Stop` of every plugin it serves. Settings not given to the builder come from `PEGBOARD_HOST`,
//! `PEGBOARD_NODE`, `PEGBOARD_TOKEN`, `PEGBOARD_LISTEN` (default
//! `127.0.0.1:0`) and `PEGBOARD_ADVERTISE` (default `http://<bound address>`).
//!
//! Registry members (SPEC R2, R5): [`RemoteMembers`] declares the plugins
//! a host expects outside its process, remote ones and local binaries it
//! spawns ([`PluginChild`]) from a plugin directory; given to the
//! [`Registry`](pegboard_core::Registry) and to the [`RemoteRegistry`], each
//! becomes a plugin like a compiled-in one, with its `location` and node in
//! every report. `Cli::remote_kind` wires it all from a `[remote]` config
//! section.
//!
//! A plugin calls `Announce` (package `pegboard.v1`, see
//! [`proto`]) with its node, the address of its own plugin
//! service and its plugins' metadata, then `Heartbeat` at the interval the
//! host answers with, and `Withdraw` when it shuts down. Every call carries
//! `authorization: Bearer <token>`.
//!
//! | refusal | status |
//! |---|---|
//! | missing or wrong token | `UNAUTHENTICATED` |
//! | invalid node, address, kind or plugin name, version or API string; no plugins; an id listed twice | `INVALID_ARGUMENT` |
//! | API version incompatible with [`API_VERSION`](crate::API_VERSION) (SPEC V3); the message names both | `FAILED_PRECONDITION` |
//! | the id of a compiled-in plugin, or of a remote plugin another live node announced | `ALREADY_EXISTS` |
//! | heartbeat or withdrawal of an unknown session; heartbeat of an unavailable one | `NOT_FOUND` (announce again) |
//!
//! A plugin whose heartbeats stop becomes [`unhealthy`](RemoteState::Unhealthy)
//! after one missed interval and [`unavailable`](RemoteState::Unavailable)
//! after [`HeartbeatSettings::unavailable_after`]; announcing again brings it
//! back (and replaces its old session). The state is computed when it is
//! read ([`RemoteRegistry::list`]), from the last heartbeat and the
//! registry's clock.
//!
//! TLS (feature `remote-tls`, rustls): the host serves the registry with
//! `ServerTls` (its certificate and key; with a client CA, mutual TLS, where
//! a plugin without a certificate signed by that CA is refused at the
//! handshake), e.g. `ServerTls::server()` in place of `Server::builder()`
//! below; a plugin whose `PEGBOARD_HOST` is `https://` connects with
//! `ClientTls`, from `PEGBOARD_TLS_CA` (the CA that signed the host's
//! certificate) and, for mutual TLS, `PEGBOARD_TLS_CERT` and
//! `PEGBOARD_TLS_KEY`, or from `PluginProcess::host_tls`. The bearer token
//! is still required over TLS. Without TLS everything is plaintext
//! `http://`, the token included. A plugin's own `pegboard.v1.Plugin`
//! service, which the host calls, is plaintext unless the plugin serves it
//! with TLS too (`PEGBOARD_TLS_SERVE_CERT` and `PEGBOARD_TLS_SERVE_KEY`, or
//! `PluginProcess::serve_tls`; announced as `https://`), and the host calls
//! it with `RemoteMembersBuilder::plugin_tls` (`GrpcTransport::connect_lazy_tls`).
//!
//! Log events (`tracing`, the name is also the message):
//!
//! | event | level | fields |
//! |---|---|---|
//! | `plugin.remote.accepted` | INFO | `plugin_id`, `node`, `address`, `session` |
//! | `plugin.remote.rejected` | WARN | `plugin_id` (the ids announced when the refusal is not about one), `node`, `reason` ([`RemoteError::reason`]), `error` |
//! | `plugin.remote.replaced` | INFO | `node`, `session`, `by` |
//! | `plugin.remote.withdrawn` | INFO | `plugin_id`, `node`, `session` |
//! | `plugin.remote.unknown_session` | DEBUG | `session`, `reason` |
//!
//! ```no_run
//! # async fn host() -> Result<(), Box<dyn std::error::Error>> {
//! use pegboard::remote::RemoteRegistry;
//!
//! let catalog = pegboard::Catalog::compiled_in()?;
//! let remote = RemoteRegistry::builder(&catalog, "s3cret").build()?;
//! tonic::transport::Server::builder()
//!     .add_service(remote.health_service().await)
//!     .add_service(remote.service())
//!     .serve("0.0.0.0:50051".parse()?)
//!     .await?;
//! # Ok(())
//! # }
//! ```

pub use pegboard_remote::*;
