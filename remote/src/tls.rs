//! TLS and mTLS for the gRPC services (feature `remote-tls`): rustls with
//! its `ring` crypto provider, through tonic.
//!
//! [`ServerTls`] is a server's side (the host's registry service): its
//! certificate chain and key, and optionally the CA that signs its clients'
//! certificates, which makes it mutual TLS: a client without a certificate
//! signed by that CA is refused during the handshake, before any call (and
//! so before its bearer token is read). [`ClientTls`] is a client's side (a
//! plugin process calling the host): the CA that signed the server's
//! certificate, optionally its own certificate and key for mTLS, and
//! optionally the name to verify the server's certificate against.
//!
//! Both read PEM, from bytes or files, and check it when built: a file that
//! cannot be read, or holds no certificate or no private key, is an error
//! naming it ([`TlsError`]).

use std::fmt;
use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity, Server, ServerTlsConfig};

/// Why TLS settings could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file could not be read.
    #[error("cannot read the {what} {}: {source}", path.display())]
    Read {
        /// What the file should hold (e.g. `server certificate chain`).
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// PEM that holds no certificate or no private key, or is malformed.
    #[error("invalid {what} {origin}: {reason}")]
    Invalid {
        /// What it should hold.
        what: &'static str,
        /// The file it came from, or `(PEM)` when it was given as bytes.
        origin: String,
        /// What is wrong with it.
        reason: String,
    },
    /// tonic (rustls) refused the settings, e.g. a key that does not match
    /// the certificate, or a client-side domain name that is not one.
    #[error("invalid TLS settings: {0}")]
    Config(String),
}

/// PEM given as bytes or read from a file, with where it came from.
#[derive(Clone)]
struct Pem {
    bytes: Vec<u8>,
    origin: String,
}

impl Pem {
    fn bytes(bytes: impl Into<Vec<u8>>) -> Self {
        Pem {
            bytes: bytes.into(),
            origin: "(PEM)".to_owned(),
        }
    }

    fn file(what: &'static str, path: &Path) -> Result<Self, TlsError> {
        let bytes = std::fs::read(path).map_err(|source| TlsError::Read {
            what,
            path: path.to_owned(),
            source,
        })?;
        Ok(Pem {
            bytes,
            origin: path.display().to_string(),
        })
    }

    fn invalid(&self, what: &'static str, reason: impl fmt::Display) -> TlsError {
        TlsError::Invalid {
            what,
            origin: self.origin.clone(),
            reason: reason.to_string(),
        }
    }

    /// Checks that it holds at least one certificate, and only well-formed
    /// ones.
    fn certificates(self, what: &'static str) -> Result<Self, TlsError> {
        let mut count = 0;
        for cert in CertificateDer::pem_slice_iter(&self.bytes) {
            cert.map_err(|e| self.invalid(what, e))?;
            count += 1;
        }
        if count == 0 {
            return Err(self.invalid(what, "no certificate (`BEGIN CERTIFICATE`) in it"));
        }
        Ok(self)
    }

    /// Checks that it holds a private key.
    fn private_key(self, what: &'static str) -> Result<Self, TlsError> {
        match PrivateKeyDer::from_pem_slice(&self.bytes) {
            Ok(_) => Ok(self),
            Err(rustls::pki_types::pem::Error::NoItemsFound) => Err(self.invalid(
                what,
                "no private key (`BEGIN PRIVATE KEY`, `BEGIN RSA PRIVATE KEY` or `BEGIN EC PRIVATE KEY`) in it",
            )),
            Err(e) => Err(self.invalid(what, e)),
        }
    }
}

/// A certificate chain and its private key.
#[derive(Clone)]
struct KeyPair {
    chain: Pem,
    key: Pem,
}

impl KeyPair {
    fn new(
        chain: Pem,
        chain_what: &'static str,
        key: Pem,
        key_what: &'static str,
    ) -> Result<Self, TlsError> {
        Ok(KeyPair {
            chain: chain.certificates(chain_what)?,
            key: key.private_key(key_what)?,
        })
    }

    fn identity(&self) -> Identity {
        Identity::from_pem(&self.chain.bytes, &self.key.bytes)
    }
}

const SERVER_CERT: &str = "server certificate chain";
const SERVER_KEY: &str = "server private key";
const CLIENT_CA: &str = "client CA certificate";
const SERVER_CA: &str = "server CA certificate";
const CLIENT_CERT: &str = "client certificate chain";
const CLIENT_KEY: &str = "client private key";

/// A gRPC server's TLS settings: its identity and, for mutual TLS, the CA
/// its clients' certificates must be signed by.
///
/// ```no_run
/// # async fn host() -> Result<(), Box<dyn std::error::Error>> {
/// use pegboard::remote::{RemoteRegistry, ServerTls};
///
/// let catalog = pegboard::Catalog::compiled_in()?;
/// let remote = RemoteRegistry::builder(&catalog, "s3cret").build()?;
/// let tls = ServerTls::from_files("host.pem", "host.key")?
///     .client_ca_file("plugins-ca.pem")?; // mTLS; leave out for TLS alone
/// tls.server()?
///     .add_service(remote.health_service().await)
///     .add_service(remote.service())
///     .serve("0.0.0.0:50051".parse()?)
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ServerTls {
    identity: KeyPair,
    client_ca: Option<Pem>,
}

impl fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key.
        f.debug_struct("ServerTls")
            .field("cert", &self.identity.chain.origin)
            .field("client_ca", &self.client_ca.as_ref().map(|p| &p.origin))
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// The server's certificate chain (leaf first) and private key, PEM.
    pub fn from_pem(
        cert_chain: impl Into<Vec<u8>>,
        key: impl Into<Vec<u8>>,
    ) -> Result<Self, TlsError> {
        Ok(ServerTls {
            identity: KeyPair::new(
                Pem::bytes(cert_chain),
                SERVER_CERT,
                Pem::bytes(key),
                SERVER_KEY,
            )?,
            client_ca: None,
        })
    }

    /// The server's certificate chain (leaf first) and private key, read
    /// from PEM files.
    pub fn from_files(
        cert_chain: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<Self, TlsError> {
        Ok(ServerTls {
            identity: KeyPair::new(
                Pem::file(SERVER_CERT, cert_chain.as_ref())?,
                SERVER_CERT,
                Pem::file(SERVER_KEY, key.as_ref())?,
                SERVER_KEY,
            )?,
            client_ca: None,
        })
    }

    /// Requires clients to present a certificate signed by this CA (PEM):
    /// mutual TLS.
    pub fn client_ca_pem(mut self, ca: impl Into<Vec<u8>>) -> Result<Self, TlsError> {
        self.client_ca = Some(Pem::bytes(ca).certificates(CLIENT_CA)?);
        Ok(self)
    }

    /// Requires clients to present a certificate signed by the CA of this
    /// PEM file: mutual TLS.
    pub fn client_ca_file(mut self, ca: impl AsRef<Path>) -> Result<Self, TlsError> {
        self.client_ca = Some(Pem::file(CLIENT_CA, ca.as_ref())?.certificates(CLIENT_CA)?);
        Ok(self)
    }

    /// Whether clients must present a certificate (mutual TLS).
    pub fn is_mutual(&self) -> bool {
        self.client_ca.is_some()
    }

    /// tonic's server settings.
    pub fn config(&self) -> ServerTlsConfig {
        let config = ServerTlsConfig::new().identity(self.identity.identity());
        match &self.client_ca {
            Some(ca) => config.client_ca_root(Certificate::from_pem(&ca.bytes)),
            None => config,
        }
    }

    /// A tonic server builder that serves TLS with these settings
    /// (`Server::builder().tls_config(..)`); fails when rustls refuses them,
    /// e.g. a key that does not match the certificate.
    pub fn server(&self) -> Result<Server, TlsError> {
        ensure_crypto_provider();
        Server::builder()
            .tls_config(self.config())
            .map_err(|e| TlsError::Config(error_chain(&e)))
    }
}

/// A gRPC client's TLS settings: the CA that signed the server's
/// certificate, and optionally the client's own certificate (for mutual
/// TLS) and the name the server's certificate is checked against (by
/// default the host of the URI called, a DNS name or an IP address).
///
/// ```no_run
/// # fn plugin() -> Result<(), Box<dyn std::error::Error>> {
/// use pegboard::remote::ClientTls;
///
/// let tls = ClientTls::from_ca_file("host-ca.pem")?
///     .identity_files("plugin.pem", "plugin.key")?; // mTLS; leave out for TLS alone
/// let endpoint = tls.endpoint("https://host.example:50051")?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ClientTls {
    ca: Pem,
    identity: Option<KeyPair>,
    domain: Option<String>,
}

impl fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key.
        f.debug_struct("ClientTls")
            .field("ca", &self.ca.origin)
            .field("cert", &self.identity.as_ref().map(|i| &i.chain.origin))
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

impl ClientTls {
    /// Trusts the CA certificates of this PEM (and only them).
    pub fn from_ca_pem(ca: impl Into<Vec<u8>>) -> Result<Self, TlsError> {
        Ok(ClientTls {
            ca: Pem::bytes(ca).certificates(SERVER_CA)?,
            identity: None,
            domain: None,
        })
    }

    /// Trusts the CA certificates of this PEM file (and only them).
    pub fn from_ca_file(ca: impl AsRef<Path>) -> Result<Self, TlsError> {
        Ok(ClientTls {
            ca: Pem::file(SERVER_CA, ca.as_ref())?.certificates(SERVER_CA)?,
            identity: None,
            domain: None,
        })
    }

    /// Presents this certificate chain (leaf first) and private key, PEM,
    /// to servers that ask for one (mutual TLS).
    pub fn identity_pem(
        mut self,
        cert_chain: impl Into<Vec<u8>>,
        key: impl Into<Vec<u8>>,
    ) -> Result<Self, TlsError> {
        self.identity = Some(KeyPair::new(
            Pem::bytes(cert_chain),
            CLIENT_CERT,
            Pem::bytes(key),
            CLIENT_KEY,
        )?);
        Ok(self)
    }

    /// Presents the certificate chain and private key of these PEM files to
    /// servers that ask for one (mutual TLS).
    pub fn identity_files(
        mut self,
        cert_chain: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<Self, TlsError> {
        self.identity = Some(KeyPair::new(
            Pem::file(CLIENT_CERT, cert_chain.as_ref())?,
            CLIENT_CERT,
            Pem::file(CLIENT_KEY, key.as_ref())?,
            CLIENT_KEY,
        )?);
        Ok(self)
    }

    /// Checks the server's certificate against this name rather than the
    /// host of the URI called.
    pub fn domain_name(mut self, name: impl Into<String>) -> Self {
        self.domain = Some(name.into());
        self
    }

    /// Whether a client certificate is presented.
    pub fn has_identity(&self) -> bool {
        self.identity.is_some()
    }

    /// tonic's client settings.
    pub fn config(&self) -> ClientTlsConfig {
        let mut config =
            ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&self.ca.bytes));
        if let Some(identity) = &self.identity {
            config = config.identity(identity.identity());
        }
        if let Some(domain) = &self.domain {
            config = config.domain_name(domain.clone());
        }
        config
    }

    /// An endpoint to the `https://` URI `uri` with these settings. (tonic
    /// speaks plaintext to an `http://` URI whatever the settings: that is
    /// refused here.)
    pub fn endpoint(&self, uri: &str) -> Result<Endpoint, TlsError> {
        let endpoint = Endpoint::from_shared(uri.to_owned())
            .map_err(|e| TlsError::Config(format!("`{uri}`: {}", error_chain(&e))))?;
        if endpoint.uri().scheme_str() != Some("https") {
            return Err(TlsError::Config(format!(
                "`{uri}`: TLS needs an https:// URI"
            )));
        }
        endpoint
            .tls_config(self.config())
            .map_err(|e| TlsError::Config(format!("`{uri}`: {}", error_chain(&e))))
    }
}

/// Installs rustls's `ring` provider as the process default unless one is
/// installed: tonic's server settings use the process default, which rustls
/// cannot pick by itself when more than one provider is compiled in.
fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Another thread may have installed one meanwhile: either is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// An error with its sources, `a: b: c`.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    // A syntactically valid certificate block is enough for these checks:
    // nothing here builds a rustls config.
    const CERT: &str = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    const KEY: &str = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";

    fn temp(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pegboard-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_missing_file_is_named() {
        let missing = std::env::temp_dir().join("pegboard-tls-nowhere/host.pem");
        let err = ServerTls::from_files(&missing, "host.key").unwrap_err();
        assert!(
            matches!(
                err,
                TlsError::Read {
                    what: SERVER_CERT,
                    ..
                }
            ),
            "{err}"
        );
        let text = err.to_string();
        assert!(text.contains("server certificate chain"), "{text}");
        assert!(text.contains(&missing.display().to_string()), "{text}");

        let cert = temp("a_missing_file_is_named.pem", CERT);
        let err = ServerTls::from_files(&cert, "/nonexistent/host.key").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/host.key"), "{err}");
        assert!(err.to_string().contains("server private key"), "{err}");

        let err = ClientTls::from_ca_file("/nonexistent/ca.pem").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
        let err = ClientTls::from_ca_pem(CERT)
            .unwrap()
            .identity_files(&cert, "/nonexistent/plugin.key")
            .unwrap_err();
        assert!(err.to_string().contains("client private key"), "{err}");
    }

    #[test]
    fn a_file_without_a_certificate_or_key_is_named() {
        let key = temp("a_file_without.key", KEY);
        let cert = temp("a_file_without.pem", CERT);
        // The key given as the certificate, and the other way round.
        let err = ServerTls::from_files(&key, &key).unwrap_err();
        assert!(
            matches!(
                err,
                TlsError::Invalid {
                    what: SERVER_CERT,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().contains(&key.display().to_string()),
            "{err}"
        );
        assert!(err.to_string().contains("no certificate"), "{err}");
        let err = ServerTls::from_files(&cert, &cert).unwrap_err();
        assert!(err.to_string().contains("no private key"), "{err}");
        assert!(
            err.to_string().contains(&cert.display().to_string()),
            "{err}"
        );

        let err = ServerTls::from_pem(CERT, KEY)
            .unwrap()
            .client_ca_file(&key)
            .unwrap_err();
        assert!(err.to_string().contains("client CA certificate"), "{err}");
        let err = ClientTls::from_ca_pem("not PEM at all").unwrap_err();
        assert!(err.to_string().contains("(PEM)"), "{err}");
    }

    #[test]
    fn settings_are_kept_and_keys_never_shown() {
        let tls = ServerTls::from_pem(CERT, KEY).unwrap();
        assert!(!tls.is_mutual());
        let tls = tls.client_ca_pem(CERT).unwrap();
        assert!(tls.is_mutual());
        assert!(!format!("{tls:?}").contains("AAAA"));
        let client = ClientTls::from_ca_pem(CERT)
            .unwrap()
            .identity_pem(CERT, KEY)
            .unwrap()
            .domain_name("host.example");
        assert!(client.has_identity());
        assert!(!format!("{client:?}").contains("AAAA"));
        assert!(format!("{client:?}").contains("host.example"));
    }

    #[test]
    fn an_http_uri_is_not_a_tls_endpoint() {
        let client = ClientTls::from_ca_pem(CERT).unwrap();
        let err = client.endpoint("http://127.0.0.1:1").unwrap_err();
        assert!(err.to_string().contains("https://"), "{err}");
    }
}
