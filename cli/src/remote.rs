//! `[remote]`: plugins that run outside the host (features `cli` and
//! `remote`; see [`Cli::remote_kind`](crate::Cli::remote_kind)).
//!
//! ```toml
//! [remote]
//! listen = "127.0.0.1:50051"     # the registry service plugins announce to (port 0: any)
//! token = "s3cret"               # PEGBOARD_REMOTE_TOKEN overrides it
//! plugin_dir = "plugins-bin"     # <dir>/<name>/<version>/<name>-plugin (or v<version>)
//! heartbeat_interval_ms = 5000   # how often plugins must send a heartbeat
//! unhealthy_after_missed = 1     # missed heartbeats before a plugin is unhealthy (degraded)
//! unavailable_after_missed = 3   # missed heartbeats before it is unavailable (failed, restarted)
//!
//! [remote.tls]                   # optional: serve the registry over TLS (feature `remote-tls`)
//! cert = "host.pem"              # certificate chain, PEM, leaf first
//! key = "host.key"               # its private key, PEM
//! client_ca = "plugins-ca.pem"   # optional: mutual TLS, plugins need a certificate it signed
//! plugin_ca = "plugins-ca.pem"   # optional: calls plugins that serve https:// (PEGBOARD_TLS_SERVE_CERT)
//!
//! [remote.plugins."classifier.sentiment"]
//! location = "local_process"     # spawned from plugin_dir by the host
//! version = "^0.1"
//!
//! [remote.plugins."classifier.language-ml"]
//! location = "remote"            # started elsewhere; announces itself
//! version = "^1"
//! ```
//!
//! With `[remote.tls]`, plugins announce to `https://<listen address>`: a
//! remote plugin needs `PEGBOARD_TLS_CA` (the CA that signed `cert`), and
//! under mutual TLS `PEGBOARD_TLS_CERT` and `PEGBOARD_TLS_KEY`. Local
//! processes inherit the host's environment, so set these variables there
//! for them; their `PEGBOARD_HOST` is the bound address (e.g.
//! `https://127.0.0.1:50051`), which `cert` must then be valid for.
//!
//! A `local_process` plugin whose binary is not in `plugin_dir` (or whose
//! `plugin_dir` cannot be read) does not stop the host: it is `failed`,
//! with the paths searched and the versions found, and the rest run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pegboard_core::BoxError;
use pegboard_core::config::Document;
use pegboard_remote::{
    HeartbeatSettings, MembersError, RemoteKind, RemoteMembers, RemoteMembersBuilder,
};

/// The environment variable that overrides `[remote] token`
/// (`<PREFIX>_REMOTE_TOKEN` with [`Cli::env_prefix`](crate::Cli::env_prefix)).
pub const ENV_REMOTE_TOKEN: &str = "PEGBOARD_REMOTE_TOKEN";

/// `[remote]` of the config file.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RemoteConfig {
    /// Where the registry service listens that plugins announce to; port
    /// 0 picks a free one (local processes are told which).
    pub listen: String,
    /// The bearer token remote plugins must send (`PEGBOARD_REMOTE_TOKEN`
    /// overrides it). Required when a `remote` plugin is declared; local
    /// processes get a token of their own.
    pub token: Option<String>,
    /// The directory of local plugin binaries,
    /// `<dir>/<name>/<version>/<name>-plugin` (`<version>` may start with a
    /// `v`: `v1.2.3`), relative to the working directory. A declared
    /// `local_process` plugin without a matching binary there fails alone.
    pub plugin_dir: Option<PathBuf>,
    /// How often remote and local-process plugins must send a heartbeat,
    /// in milliseconds (default 5000); they are told this interval when
    /// they announce.
    #[schemars(range(min = 1))]
    pub heartbeat_interval_ms: u64,
    /// How many heartbeat intervals a plugin may miss before it is
    /// `unhealthy` (the plugin is then `degraded`); default 1.
    #[schemars(range(min = 1))]
    pub unhealthy_after_missed: u32,
    /// How many heartbeat intervals a plugin may miss before it is
    /// `unavailable` (the plugin then fails, and is restarted once it
    /// announces again); default 3. At or below `unhealthy_after_missed`,
    /// a plugin goes from healthy straight to unavailable.
    #[schemars(range(min = 1))]
    pub unavailable_after_missed: u32,
    /// How long a local process may take to exit after SIGTERM before it
    /// is killed.
    #[schemars(range(min = 1))]
    pub stop_grace_ms: u64,
    /// Serve the registry over TLS, or mutual TLS with `client_ca`
    /// (feature `remote-tls`; without it, `run` refuses the section).
    pub tls: Option<TlsConfig>,
    /// The plugins that run outside the host, by id (`kind.name`).
    pub plugins: BTreeMap<String, Declaration>,
}

/// `[remote.tls]`: the registry service's TLS settings (PEM files,
/// relative to the working directory).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The host's certificate chain, leaf first.
    pub cert: PathBuf,
    /// The certificate's private key.
    pub key: PathBuf,
    /// The CA that signs the plugins' client certificates: mutual TLS, a
    /// plugin without such a certificate is refused at the handshake.
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
    /// The CA that signed the certificates of plugin services announced at
    /// `https://` addresses (plugins serving with `PEGBOARD_TLS_SERVE_CERT`):
    /// the host calls them over TLS. Without it, such plugins cannot be
    /// called.
    #[serde(default)]
    pub plugin_ca: Option<PathBuf>,
}

impl Default for RemoteConfig {
    fn default() -> Self {
        RemoteConfig {
            listen: "127.0.0.1:0".to_owned(),
            token: None,
            plugin_dir: None,
            heartbeat_interval_ms: 5000,
            unhealthy_after_missed: 1,
            unavailable_after_missed: 3,
            stop_grace_ms: 5000,
            tls: None,
            plugins: BTreeMap::new(),
        }
    }
}

/// One plugin declared in `[remote.plugins]`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Declaration {
    /// `local_process` (the host spawns it from `plugin_dir`) or `remote`
    /// (it announces itself).
    pub location: DeclaredLocation,
    /// A semver requirement on its version (default: any).
    #[serde(default = "any_version")]
    pub version: String,
}

fn any_version() -> String {
    "*".to_owned()
}

/// Where a declared plugin runs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DeclaredLocation {
    /// Spawned by the host from its plugin directory.
    LocalProcess,
    /// Started elsewhere; announces itself to the host.
    Remote,
}

/// Declares one plugin of a remote kind on a members builder.
pub(super) type DeclareFn = fn(
    RemoteMembersBuilder,
    &str,
    &Declaration,
    Option<&Path>,
) -> Result<RemoteMembersBuilder, MembersError>;

/// [`DeclareFn`] for kind `K`.
pub(super) fn declare<K: RemoteKind + ?Sized>(
    builder: RemoteMembersBuilder,
    name: &str,
    declaration: &Declaration,
    dir: Option<&Path>,
) -> Result<RemoteMembersBuilder, MembersError> {
    match declaration.location {
        DeclaredLocation::Remote => builder.remote::<K>(name, &declaration.version),
        DeclaredLocation::LocalProcess => {
            let dir = dir.ok_or_else(|| MembersError::NoPluginDir {
                id: format!("{}.{name}", K::NAME),
            })?;
            builder.process_from_dir::<K>(name, dir, &declaration.version)
        }
    }
}

impl RemoteConfig {
    /// `[remote]` of `document`, if it has one.
    pub(super) fn of(document: &Document) -> Result<Option<RemoteConfig>, BoxError> {
        match document.section("remote") {
            Some(section) => Ok(Some(serde_json::from_value(section.clone())?)),
            None => Ok(None),
        }
    }

    /// The heartbeat settings of `heartbeat_interval_ms`,
    /// `unhealthy_after_missed` and `unavailable_after_missed`: those of
    /// the registry service the declared plugins announce to.
    pub fn heartbeat(&self) -> HeartbeatSettings {
        HeartbeatSettings {
            interval: Duration::from_millis(self.heartbeat_interval_ms),
            unhealthy_after: self.unhealthy_after_missed,
            unavailable_after: self.unavailable_after_missed,
        }
    }

    /// The declared members, announcing to `host` (a URI), for the kinds
    /// the host accepts remotely; the registry service built with them
    /// takes their [`heartbeat`](Self::heartbeat) settings.
    pub(super) fn members(
        &self,
        kinds: &[(&'static str, DeclareFn)],
        host: &str,
    ) -> Result<RemoteMembers, BoxError> {
        let mut builder = RemoteMembers::builder()
            .host(host)
            .stop_grace(Duration::from_millis(self.stop_grace_ms))
            .heartbeat(self.heartbeat());
        #[cfg(feature = "tls")]
        if let Some(ca) = self.tls.as_ref().and_then(|t| t.plugin_ca.as_ref()) {
            let tls = pegboard_remote::ClientTls::from_ca_file(ca)
                .map_err(|e| format!("[remote.tls] plugin_ca: {e}"))?;
            builder = builder.plugin_tls(tls);
        }
        for (id, declaration) in &self.plugins {
            let (kind, name) = id
                .split_once('.')
                .ok_or_else(|| format!("[remote.plugins] `{id}`: expected `<kind>.<name>`"))?;
            let Some((_, declare)) = kinds.iter().find(|(k, _)| *k == kind) else {
                let known: Vec<&str> = kinds.iter().map(|(k, _)| *k).collect();
                return Err(format!(
                    "[remote.plugins] `{id}`: kind `{kind}` cannot run outside the host \
                     (remote kinds of this host: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                )
                .into());
            };
            builder = declare(builder, name, declaration, self.plugin_dir.as_deref())?;
        }
        Ok(builder.build()?)
    }

    /// The registry service's TLS settings, read from `[remote.tls]`'s
    /// files.
    #[cfg(feature = "tls")]
    pub(super) fn server_tls(&self) -> Result<Option<pegboard_remote::ServerTls>, BoxError> {
        let Some(tls) = &self.tls else {
            return Ok(None);
        };
        let server = pegboard_remote::ServerTls::from_files(&tls.cert, &tls.key)
            .map_err(|e| format!("[remote.tls]: {e}"))?;
        Ok(Some(match &tls.client_ca {
            Some(ca) => server
                .client_ca_file(ca)
                .map_err(|e| format!("[remote.tls]: {e}"))?,
            None => server,
        }))
    }

    /// `[remote.tls]` is refused without the `remote-tls` feature.
    #[cfg(not(feature = "tls"))]
    pub(super) fn server_tls(&self) -> Result<Option<std::convert::Infallible>, BoxError> {
        match self.tls {
            Some(_) => Err(
                "[remote.tls] is set, but this host was built without TLS support \
                 (pegboard's `remote-tls` feature)"
                    .into(),
            ),
            None => Ok(None),
        }
    }

    /// The token remote plugins must send: the environment's (`var`, the
    /// variable `<PREFIX>_REMOTE_TOKEN` and its value if set), the
    /// config's, or, when only local processes are declared (they get
    /// tokens of their own), a random one nobody knows.
    pub(super) fn token(&self, var: (&str, Option<String>)) -> Result<String, BoxError> {
        let (name, from_env) = var;
        match from_env
            .filter(|t| !t.is_empty())
            .or_else(|| self.token.clone())
        {
            Some(token) if !token.is_empty() => Ok(token),
            _ if self
                .plugins
                .values()
                .all(|d| d.location == DeclaredLocation::LocalProcess) =>
            {
                Ok(uuid::Uuid::new_v4().simple().to_string())
            }
            _ => Err(format!(
                "[remote] declares remote plugins but has no token: set `token` or {name}"
            )
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(toml: &str) -> Result<Option<RemoteConfig>, BoxError> {
        RemoteConfig::of(&Document::from_toml_str(toml).unwrap())
    }

    #[test]
    fn the_remote_token_variable_is_the_hosts_and_named_when_missing() {
        let c = config(
            "[remote]\n[remote.plugins.\"classifier.far\"]\nlocation = \"remote\"\nversion = \"^1\"\n",
        )
        .unwrap()
        .unwrap();
        let token = c.token(("SIFT_PLUGIN_REMOTE_TOKEN", Some("t0k".into())));
        assert_eq!(token.unwrap(), "t0k");
        let err = c
            .token(("SIFT_PLUGIN_REMOTE_TOKEN", Some(String::new())))
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("set `token` or SIFT_PLUGIN_REMOTE_TOKEN"),
            "{err}"
        );
        let cli = crate::Cli::new("sift").env_prefix("SIFT_PLUGIN").env([
            ("SIFT_PLUGIN_REMOTE_TOKEN", "x"),
            ("PEGBOARD_REMOTE_TOKEN", "y"),
        ]);
        assert_eq!(
            cli.host_var("REMOTE_TOKEN"),
            ("SIFT_PLUGIN_REMOTE_TOKEN".to_owned(), Some("x".to_owned()))
        );
    }

    #[test]
    fn the_heartbeat_keys_reach_the_registry_service_built_with_the_members() {
        // Unset, they are the library's defaults.
        let c = config("[remote]\n").unwrap().unwrap();
        assert_eq!(c.heartbeat(), HeartbeatSettings::default());
        let c = config(
            "[remote]\nheartbeat_interval_ms = 250\nunhealthy_after_missed = 2\n\
             unavailable_after_missed = 6\n",
        )
        .unwrap()
        .unwrap();
        let want = HeartbeatSettings {
            interval: Duration::from_millis(250),
            unhealthy_after: 2,
            unavailable_after: 6,
        };
        assert_eq!(c.heartbeat(), want);
        // As `run` builds the registry service: from the members.
        let members = c.members(&[], "http://127.0.0.1:1").unwrap();
        let catalog = pegboard_core::Catalog::new([]).unwrap();
        let service = pegboard_remote::RemoteRegistry::builder(&catalog, "t")
            .members(&members)
            .build()
            .unwrap();
        assert_eq!(service.settings(), want);
        assert!(config("[remote]\nheartbeat_interval = 5\n").is_err());
    }

    #[test]
    fn the_tls_section_is_read_and_a_missing_file_is_named() {
        let c = config(
            "[remote.tls]\ncert = \"/nonexistent/host.pem\"\nkey = \"/nonexistent/host.key\"\n",
        )
        .unwrap()
        .unwrap();
        let tls = c.tls.as_ref().unwrap();
        assert_eq!(tls.key, Path::new("/nonexistent/host.key"));
        assert_eq!(tls.client_ca, None);
        let err = c.server_tls().unwrap_err().to_string();
        assert!(err.contains("[remote.tls]"), "{err}");
        #[cfg(feature = "tls")]
        assert!(err.contains("/nonexistent/host.pem"), "{err}");
        #[cfg(not(feature = "tls"))]
        assert!(err.contains("remote-tls"), "{err}");

        // No section, no TLS: plaintext as before.
        let c = config("[remote]\nlisten = \"127.0.0.1:0\"\n")
            .unwrap()
            .unwrap();
        assert!(c.server_tls().unwrap().is_none());
        // `cert` and `key` are required, unknown keys refused.
        assert!(config("[remote.tls]\ncert = \"a.pem\"\n").is_err());
        assert!(config("[remote.tls]\ncert = \"a\"\nkey = \"b\"\nca = \"c\"\n").is_err());
    }

    #[cfg(feature = "tls")]
    #[test]
    fn a_missing_client_ca_is_named() {
        let dir = std::env::temp_dir().join(format!("pegboard-cli-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cert = dir.join("host.pem");
        let key = dir.join("host.key");
        std::fs::write(
            &cert,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        std::fs::write(
            &key,
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let c = RemoteConfig {
            tls: Some(TlsConfig {
                cert,
                key,
                client_ca: Some("/nonexistent/plugins-ca.pem".into()),
                plugin_ca: None,
            }),
            ..RemoteConfig::default()
        };
        let err = c.server_tls().unwrap_err().to_string();
        assert!(err.contains("/nonexistent/plugins-ca.pem"), "{err}");
        assert!(err.contains("client CA"), "{err}");

        let mut tls = c.tls.clone().unwrap();
        tls.client_ca = None;
        tls.plugin_ca = Some("/nonexistent/plugin-services-ca.pem".into());
        let c = RemoteConfig {
            tls: Some(tls),
            ..RemoteConfig::default()
        };
        assert!(c.server_tls().unwrap().is_some());
        let err = c
            .members(&[], "https://127.0.0.1:1")
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/plugin-services-ca.pem"), "{err}");
        assert!(err.contains("plugin_ca"), "{err}");
    }
}
