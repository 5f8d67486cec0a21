//! A plugin process's settings: those given to its builder, the rest read
//! from the environment, checked and resolved once when it starts serving.

use std::net::SocketAddr;
use std::time::Duration;

use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};

use super::env::{
    DEFAULT_LISTEN, ENV_ADVERTISE, ENV_HOST, ENV_LISTEN, ENV_NODE, ENV_TLS_CA, ENV_TLS_CERT,
    ENV_TLS_KEY, ENV_TLS_SERVE_CERT, ENV_TLS_SERVE_KEY, ENV_TOKEN,
};
use super::error::ServeError;

/// The settings given to the builder; the others come from the
/// environment.
#[derive(Default)]
pub(super) struct Given {
    pub(super) host: Option<String>,
    pub(super) node: Option<String>,
    pub(super) token: Option<String>,
    pub(super) listen: Option<SocketAddr>,
    pub(super) advertise: Option<String>,
    #[cfg(feature = "tls")]
    pub(super) host_tls: Option<crate::tls::ClientTls>,
    #[cfg(feature = "tls")]
    pub(super) serve_tls: Option<crate::tls::ServerTls>,
}

impl Given {
    /// The settings, those not set on the builder read with `env`.
    pub(super) fn resolve(
        &self,
        env: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Result<Settings, ServeError> {
        let read = |var: &'static str, what: &'static str| -> Result<Option<String>, ServeError> {
            match env(var) {
                None => Ok(None),
                Some(v) => v.into_string().map(Some).map_err(|v| ServeError::Invalid {
                    what,
                    value: v.to_string_lossy().into_owned(),
                    reason: format!("{var} is not valid UTF-8"),
                }),
            }
        };
        let required = |given: &Option<String>, var: &'static str, what: &'static str| match given {
            Some(v) => Ok(v.clone()),
            None => read(var, what)?.ok_or(ServeError::MissingEnv { var, what }),
        };
        let host = required(&self.host, ENV_HOST, "the host's registry address")?;
        let node = required(&self.node, ENV_NODE, "the node name")?;
        let token = required(&self.token, ENV_TOKEN, "the host's token")?;
        if token.is_empty() {
            return Err(ServeError::Invalid {
                what: "token (PEGBOARD_TOKEN)",
                value: String::new(),
                reason: "the token is empty".to_owned(),
            });
        }
        let listen = match self.listen {
            Some(a) => a,
            None => match read(ENV_LISTEN, "listening address (PEGBOARD_LISTEN)")? {
                None => DEFAULT_LISTEN,
                Some(v) => {
                    v.parse()
                        .map_err(|e: std::net::AddrParseError| ServeError::Invalid {
                            what: "listening address (PEGBOARD_LISTEN)",
                            value: v.clone(),
                            reason: format!("{e}; expected e.g. 127.0.0.1:0"),
                        })?
                }
            },
        };
        let advertise = match &self.advertise {
            Some(a) => Some(a.clone()),
            None => read(ENV_ADVERTISE, "advertised address (PEGBOARD_ADVERTISE)")?,
        };
        let https = host
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"));
        let tls_env = [ENV_TLS_CA, ENV_TLS_CERT, ENV_TLS_KEY]
            .into_iter()
            .find(|var| env(var).is_some());
        let serve_cert = read(
            ENV_TLS_SERVE_CERT,
            "the plugin service's certificate (PEGBOARD_TLS_SERVE_CERT)",
        )?;
        let serve_key = read(
            ENV_TLS_SERVE_KEY,
            "the plugin service's private key (PEGBOARD_TLS_SERVE_KEY)",
        )?;
        #[cfg(not(feature = "tls"))]
        if serve_cert.is_some() || serve_key.is_some() {
            return Err(ServeError::Invalid {
                what: "plugin service's certificate (PEGBOARD_TLS_SERVE_CERT)",
                value: serve_cert.or(serve_key).unwrap_or_default(),
                reason: "TLS needs pegboard's `remote-tls` feature".to_owned(),
            });
        }
        #[cfg(feature = "tls")]
        let serve_tls = match (&self.serve_tls, serve_cert, serve_key) {
            (Some(tls), _, _) => Some(tls.clone()),
            (None, Some(cert), Some(key)) => Some(crate::tls::ServerTls::from_files(cert, key)?),
            (None, None, None) => None,
            (None, Some(_), None) => {
                return Err(ServeError::MissingEnv {
                    var: ENV_TLS_SERVE_KEY,
                    what: "the private key of PEGBOARD_TLS_SERVE_CERT",
                });
            }
            (None, None, Some(_)) => {
                return Err(ServeError::MissingEnv {
                    var: ENV_TLS_SERVE_CERT,
                    what: "the certificate of PEGBOARD_TLS_SERVE_KEY",
                });
            }
        };
        #[cfg(not(feature = "tls"))]
        if https || tls_env.is_some() {
            return Err(ServeError::Invalid {
                what: "host's registry address (PEGBOARD_HOST)",
                value: host,
                reason: "TLS (https://, PEGBOARD_TLS_*) needs pegboard's `remote-tls` feature"
                    .to_owned(),
            });
        }
        #[cfg(feature = "tls")]
        let tls = match (&self.host_tls, https) {
            (Some(tls), true) => Some(tls.clone()),
            (None, false) => {
                if let Some(var) = tls_env {
                    return Err(not_https(host, &format!("{var} is set")));
                }
                None
            }
            (Some(_), false) => return Err(not_https(host, "TLS settings were given")),
            (None, true) => {
                let what = "the CA certificate of the host's https:// address (PEGBOARD_TLS_CA)";
                let ca = read(ENV_TLS_CA, what)?.ok_or(ServeError::MissingEnv {
                    var: ENV_TLS_CA,
                    what,
                })?;
                let mut tls = crate::tls::ClientTls::from_ca_file(ca)?;
                let cert = read(ENV_TLS_CERT, "the plugin's certificate (PEGBOARD_TLS_CERT)")?;
                let key = read(ENV_TLS_KEY, "the plugin's private key (PEGBOARD_TLS_KEY)")?;
                match (cert, key) {
                    (Some(cert), Some(key)) => tls = tls.identity_files(cert, key)?,
                    (None, None) => {}
                    (Some(_), None) => {
                        return Err(ServeError::MissingEnv {
                            var: ENV_TLS_KEY,
                            what: "the private key of PEGBOARD_TLS_CERT",
                        });
                    }
                    (None, Some(_)) => {
                        return Err(ServeError::MissingEnv {
                            var: ENV_TLS_CERT,
                            what: "the certificate of PEGBOARD_TLS_KEY",
                        });
                    }
                }
                Some(tls)
            }
        };
        Ok(Settings {
            host,
            node,
            token,
            listen,
            advertise,
            #[cfg(feature = "tls")]
            tls,
            #[cfg(feature = "tls")]
            serve_tls,
        })
    }
}

/// TLS settings with a host address that is not `https://`.
#[cfg(feature = "tls")]
fn not_https(host: String, why: &str) -> ServeError {
    ServeError::Invalid {
        what: "host's registry address (PEGBOARD_HOST)",
        value: host,
        reason: format!("{why}, but TLS needs an https:// address"),
    }
}

/// The resolved settings.
pub(super) struct Settings {
    pub(super) host: String,
    pub(super) node: String,
    pub(super) token: String,
    pub(super) listen: SocketAddr,
    pub(super) advertise: Option<String>,
    /// With an `https://` host.
    #[cfg(feature = "tls")]
    pub(super) tls: Option<crate::tls::ClientTls>,
    /// The plugin service's own TLS.
    #[cfg(feature = "tls")]
    pub(super) serve_tls: Option<crate::tls::ServerTls>,
}

impl Settings {
    pub(super) fn channel(&self, timeout: Duration) -> Result<Channel, ServeError> {
        #[cfg(feature = "tls")]
        let endpoint = match &self.tls {
            Some(tls) => Some(tls.endpoint(&self.host)?),
            None => None,
        };
        #[cfg(not(feature = "tls"))]
        let endpoint = None;
        let endpoint = match endpoint {
            Some(endpoint) => endpoint,
            None => Endpoint::from_shared(self.host.clone()).map_err(|e| ServeError::Invalid {
                what: "host's registry address (PEGBOARD_HOST)",
                value: self.host.clone(),
                reason: e.to_string(),
            })?,
        };
        Ok(endpoint
            .connect_timeout(timeout)
            .timeout(timeout)
            .connect_lazy())
    }

    pub(super) fn token_value(&self) -> Result<MetadataValue<tonic::metadata::Ascii>, ServeError> {
        format!("{}{}", crate::proto::BEARER, self.token)
            .parse()
            .map_err(|_| ServeError::Invalid {
                what: "token (PEGBOARD_TOKEN)",
                value: "<hidden>".to_owned(),
                reason: "it is not valid in an HTTP header (printable ASCII only)".to_owned(),
            })
    }
}
