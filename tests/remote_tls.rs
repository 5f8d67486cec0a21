//! TLS and mutual TLS for the registry service (SPEC R4, feature
//! `remote-tls`) on loopback. The CAs and certificates are made at test
//! time with `rcgen`: no key is committed. The host serves its
//! `RemoteRegistry` with `ServerTls::server`; plugins reach it with the SDK
//! (`PluginProcess::host_tls`) or with a raw gRPC client over a TLS
//! channel. Nothing sleeps and hopes: waits poll with a deadline, and every
//! connection attempt is bounded by a timeout that only a hang would reach.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ingest_kinds::{Classifier, ClassifyError};
use pegboard::remote::proto::health::pb::HealthCheckRequest;
use pegboard::remote::proto::health::pb::health_check_response::ServingStatus;
use pegboard::remote::proto::health::pb::health_client::HealthClient;
use pegboard::remote::proto::v1::registry_client::RegistryClient;
use pegboard::remote::proto::v1::{AnnounceRequest, PluginMeta};
use pegboard::remote::{
    ClientTls, GrpcTransport, Metadata, PluginProcess, RemoteMembers, RemotePlugin, RemoteRegistry,
    ServeError, ServerTls, stub,
};
use pegboard::{Catalog, Registry, Supervisor};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Request};

const TOKEN: &str = "tls-s3cret";
const DEADLINE: Duration = Duration::from_secs(10);

/// A certificate authority made for one test.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate and its key, PEM.
struct Leaf {
    cert: String,
    key: String,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut params = CertificateParams::default();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().unwrap();
        Ca {
            issuer: CertifiedIssuer::self_signed(params, key).unwrap(),
        }
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    fn leaf(&self, names: &[&str], usage: ExtendedKeyUsagePurpose) -> Leaf {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "pegboard test");
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }

    /// A server certificate for `localhost` and 127.0.0.1.
    fn server(&self) -> Leaf {
        self.leaf(
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
        )
    }

    /// A client certificate.
    fn client(&self) -> Leaf {
        self.leaf(&["plugin.test"], ExtendedKeyUsagePurpose::ClientAuth)
    }
}

/// A host serving the registry over TLS on 127.0.0.1.
struct Host {
    remote: RemoteRegistry,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<Result<(), tonic::transport::Error>>>,
}

impl Host {
    async fn start(tls: &ServerTls) -> Host {
        // No compiled-in plugins, so any announced id is free.
        let catalog = Catalog::new([]).unwrap();
        Host::serve(
            RemoteRegistry::builder(&catalog, TOKEN).build().unwrap(),
            tls,
        )
        .await
    }

    async fn serve(remote: RemoteRegistry, tls: &ServerTls) -> Host {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(
            tls.server()
                .unwrap()
                .add_service(remote.health_service().await)
                .add_service(remote.service())
                .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async {
                    let _ = stopped.await;
                }),
        );
        Host {
            remote,
            addr,
            stop: Some(stop),
            server: Some(server),
        }
    }

    fn https(&self) -> String {
        format!("https://{}", self.addr)
    }

    fn words(&self) -> Option<RemotePlugin> {
        self.remote
            .list()
            .into_iter()
            .find(|p| p.id == "classifier.words")
    }

    async fn wait_for_words(&self) -> RemotePlugin {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(p) = self.words() {
                return p;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for the announcement"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Whether a client with `tls` (plaintext without) gets an answer from
    /// the host's health service; `Err` with why not.
    async fn answers(&self, tls: Option<&ClientTls>) -> Result<(), String> {
        let endpoint = match tls {
            Some(tls) => tls.endpoint(&self.https()).map_err(|e| e.to_string())?,
            None => Endpoint::from_shared(format!("http://{}", self.addr)).unwrap(),
        };
        let attempt = async {
            let channel = endpoint.connect().await.map_err(|e| format!("{e:?}"))?;
            let answer = HealthClient::new(channel)
                .check(HealthCheckRequest {
                    service: "pegboard.v1.Registry".to_owned(),
                })
                .await
                .map_err(|s| format!("{s:?}"))?;
            assert_eq!(answer.get_ref().status(), ServingStatus::Serving);
            Ok(())
        };
        tokio::time::timeout(DEADLINE, attempt)
            .await
            .expect("the connection was neither accepted nor refused: it hung")
    }

    async fn stop(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        let server = self.server.take().unwrap();
        tokio::time::timeout(DEADLINE, server)
            .await
            .expect("the server did not stop")
            .unwrap()
            .unwrap();
    }
}

/// The test plugin.
struct Words;

impl Classifier for Words {
    fn classify(&self, text: &str) -> Result<Vec<String>, ClassifyError> {
        Ok(text.split_whitespace().map(str::to_owned).collect())
    }
}

fn process(host: &Host, tls: ClientTls) -> PluginProcess {
    PluginProcess::new()
        .plugin_with::<dyn Classifier>("words", Arc::new(Words), Metadata::new("1.0.0"))
        .host(host.https())
        .host_tls(tls)
        .node("node-tls")
        .token(TOKEN)
        .listen("127.0.0.1:0".parse().unwrap())
}

/// Serves `process` until the returned sender is used or dropped.
fn spawn(process: PluginProcess) -> (oneshot::Sender<()>, JoinHandle<Result<(), ServeError>>) {
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(process.serve_until(async {
        let _ = stopped.await;
    }));
    (stop, task)
}

async fn shut_down(stop: oneshot::Sender<()>, task: JoinHandle<Result<(), ServeError>>) {
    stop.send(()).unwrap();
    tokio::time::timeout(DEADLINE, task)
        .await
        .expect("serve_until did not return after the shutdown")
        .unwrap()
        .unwrap();
}

fn announcement() -> AnnounceRequest {
    AnnounceRequest {
        node: "raw".to_owned(),
        address: "http://127.0.0.1:1".to_owned(),
        plugins: vec![PluginMeta {
            kind: "classifier".to_owned(),
            name: "raw".to_owned(),
            version: "1.0.0".to_owned(),
            api: pegboard::API_VERSION.to_owned(),
            ..PluginMeta::default()
        }],
    }
}

fn with_token<T>(message: T, token: &str) -> Request<T> {
    let mut req = Request::new(message);
    req.metadata_mut().insert(
        pegboard::remote::proto::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    req
}

fn registry(channel: Channel) -> RegistryClient<Channel> {
    RegistryClient::new(channel)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_announces_over_tls_and_withdraws() {
    let ca = Ca::new("host CA");
    let leaf = ca.server();
    let host = Host::start(&ServerTls::from_pem(leaf.cert, leaf.key).unwrap()).await;
    let trust = ClientTls::from_ca_pem(ca.pem()).unwrap();

    let (stop, task) = spawn(process(&host, trust.clone()));
    let listed = host.wait_for_words().await;
    assert_eq!(listed.node, "node-tls");
    assert_eq!(listed.version, "1.0.0");
    // Its own plugin service stays plaintext.
    assert!(
        listed.address.starts_with("http://127.0.0.1:"),
        "{}",
        listed.address
    );
    shut_down(stop, task).await;
    assert!(host.remote.list().is_empty(), "{:?}", host.remote.list());

    // Over TLS the bearer token is still checked.
    let channel = trust
        .endpoint(&host.https())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let refused = registry(channel.clone())
        .announce(with_token(announcement(), "wrong"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    registry(channel)
        .announce(with_token(announcement(), TOKEN))
        .await
        .unwrap();
    assert!(host.remote.list().iter().any(|p| p.id == "classifier.raw"));

    // The name checked can differ from the host of the URI.
    let by_name = trust.clone().domain_name("localhost");
    host.answers(Some(&by_name)).await.unwrap();
    let wrong_name = trust.domain_name("elsewhere.test");
    assert!(host.answers(Some(&wrong_name)).await.is_err());
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_and_untrusting_clients_are_refused() {
    let ca = Ca::new("host CA");
    let leaf = ca.server();
    let host = Host::start(&ServerTls::from_pem(leaf.cert, leaf.key).unwrap()).await;
    host.answers(Some(&ClientTls::from_ca_pem(ca.pem()).unwrap()))
        .await
        .unwrap();

    // Plaintext to a TLS server.
    let err = host.answers(None).await.unwrap_err();
    assert!(!err.is_empty());

    // A client that trusts another CA does not trust the host.
    let other = Ca::new("another CA");
    let err = host
        .answers(Some(&ClientTls::from_ca_pem(other.pem()).unwrap()))
        .await
        .unwrap_err();
    assert!(err.to_lowercase().contains("certificate"), "{err}");

    // Nor does the SDK: it retries until its announcement deadline, then
    // says the host is unreachable.
    let (_stop, task) = spawn(
        process(&host, ClientTls::from_ca_pem(other.pem()).unwrap())
            .announce_timeout(Duration::from_millis(300)),
    );
    let outcome = tokio::time::timeout(DEADLINE, task)
        .await
        .expect("serve_until did not give up")
        .unwrap();
    assert!(
        matches!(outcome, Err(ServeError::Unreachable { .. })),
        "{outcome:?}"
    );
    assert!(host.remote.list().is_empty());
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_refuses_clients_without_a_certificate_of_its_ca() {
    let host_ca = Ca::new("host CA");
    let plugins_ca = Ca::new("plugins CA");
    let leaf = host_ca.server();
    let tls = ServerTls::from_pem(leaf.cert, leaf.key)
        .unwrap()
        .client_ca_pem(plugins_ca.pem())
        .unwrap();
    assert!(tls.is_mutual());
    let host = Host::start(&tls).await;
    let trust = ClientTls::from_ca_pem(host_ca.pem()).unwrap();

    // No client certificate.
    assert!(host.answers(Some(&trust)).await.is_err());
    // A client certificate another CA signed.
    let stranger = Ca::new("stranger CA").client();
    let with_stranger = trust
        .clone()
        .identity_pem(stranger.cert, stranger.key)
        .unwrap();
    assert!(host.answers(Some(&with_stranger)).await.is_err());
    // Plaintext.
    assert!(host.answers(None).await.is_err());

    // A certificate the plugins' CA signed.
    let plugin = plugins_ca.client();
    let with_plugin = trust.identity_pem(plugin.cert, plugin.key).unwrap();
    host.answers(Some(&with_plugin)).await.unwrap();

    // The SDK presents it and announces.
    let (stop, task) = spawn(process(&host, with_plugin));
    let listed = host.wait_for_words().await;
    assert_eq!(listed.node, "node-tls");
    shut_down(stop, task).await;
    assert!(host.remote.list().is_empty(), "{:?}", host.remote.list());
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_calls_a_plugin_service_that_serves_tls() {
    let ca = Ca::new("test CA");
    let trust = ClientTls::from_ca_pem(ca.pem()).unwrap();
    let members = RemoteMembers::builder()
        .remote::<dyn Classifier>("words", "*")
        .unwrap()
        .plugin_tls(trust.clone())
        .build()
        .unwrap();
    let registry = Arc::new(
        Registry::builder()
            .descriptors([])
            .remote(&members)
            .build()
            .unwrap(),
    );
    let remote = RemoteRegistry::builder(registry.catalog(), TOKEN)
        .members(&members)
        .build()
        .unwrap();
    let leaf = ca.server();
    let host = Host::serve(remote, &ServerTls::from_pem(leaf.cert, leaf.key).unwrap()).await;

    let leaf = ca.server();
    let (stop, task) =
        spawn(process(&host, trust).serve_tls(ServerTls::from_pem(leaf.cert, leaf.key).unwrap()));
    let listed = host.wait_for_words().await;
    assert!(
        listed.address.starts_with("https://127.0.0.1:"),
        "{}",
        listed.address
    );

    // Started (the host calls its Start over TLS) and dispatched to.
    let supervisor = Supervisor::new(registry.clone());
    let report = supervisor.start().await;
    assert_eq!(report.running, ["classifier.words"], "{report:?}");
    let out = registry
        .dispatch::<dyn Classifier>()
        .fan_out_blocking(|c| c.classify("over tls"))
        .await;
    assert_eq!(
        out.get("classifier.words").unwrap().value,
        Some(vec!["over".to_owned(), "tls".to_owned()])
    );

    // Plaintext to the plugin's TLS service fails.
    let plain = listed.address.replacen("https://", "http://", 1);
    let plain = GrpcTransport::connect_lazy(&plain, tokio::runtime::Handle::current())
        .unwrap()
        .timeout(DEADLINE);
    let words = stub::<dyn Classifier>("words", Arc::new(plain));
    let answer = tokio::task::spawn_blocking(move || words.classify("in clear"))
        .await
        .unwrap();
    assert!(answer.is_err(), "{answer:?}");

    supervisor.shutdown().await;
    shut_down(stop, task).await;
    host.stop().await;
}

#[test]
fn a_key_that_does_not_match_the_certificate_is_refused_when_serving() {
    let ca = Ca::new("host CA");
    let one = ca.server();
    let two = ca.server();
    let tls = ServerTls::from_pem(one.cert, two.key).unwrap();
    let err = tls.server().unwrap_err();
    assert!(err.to_string().contains("invalid TLS settings"), "{err}");
}
