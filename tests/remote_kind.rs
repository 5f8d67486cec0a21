//! Remote kinds (issue 6, `#[pegboard::kind(remote)]`; SPEC R1, R6, S5): the
//! host calls `Arc<dyn Kind>` stubs that reach plugins over a real tonic
//! server on 127.0.0.1, served through the generated adapter. Whatever the
//! plugin or the wire does (errors, panics, garbage, silence), the host
//! gets an `Err`, never a panic or a hang.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ingest_kinds::{Classifier, ClassifyError};
use pegboard::remote::proto::v1::invoke_response::Outcome;
use pegboard::remote::proto::v1::plugin_client::PluginClient;
use pegboard::remote::proto::v1::{InvokeRequest, InvokeResponse};
use pegboard::remote::{
    GrpcTransport, InvokeErrorCode, PluginService, RemoteCallError, RemoteKind, Transport,
    TransportError, stub,
};
use serde::{Deserialize, Serialize};
use tokio::runtime::Handle;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Server;

/// A point, to send by reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x: i64,
    pub y: i64,
}

/// The test kind's error: its own failures travel as values; a failed call
/// keeps the `RemoteCallError` (not sent, so skipped by serde).
#[derive(Debug, Serialize, Deserialize)]
pub enum CalcError {
    Negative(i64),
    #[serde(skip)]
    Call(RemoteCallError),
}

impl From<RemoteCallError> for CalcError {
    fn from(err: RemoteCallError) -> Self {
        CalcError::Call(err)
    }
}

/// Every argument form a remote kind accepts.
#[pegboard::kind(remote)]
pub trait Calc {
    /// Borrowed slice, sent as `Vec<i64>`.
    fn sum(&self, xs: &[i64]) -> Result<i64, CalcError>;
    /// Borrowed struct and owned string.
    fn describe(&self, p: &Point, label: String) -> Result<String, CalcError>;
    /// No arguments, unit result.
    fn ping(&self) -> Result<(), CalcError>;
    /// Takes `ms` milliseconds.
    fn slow(&self, ms: u64) -> Result<(), CalcError>;
}

struct Math;

impl Calc for Math {
    fn sum(&self, xs: &[i64]) -> Result<i64, CalcError> {
        match xs.iter().find(|x| **x < 0) {
            Some(&x) => Err(CalcError::Negative(x)),
            None => Ok(xs.iter().sum()),
        }
    }
    fn describe(&self, p: &Point, label: String) -> Result<String, CalcError> {
        Ok(format!("{label} at ({}, {})", p.x, p.y))
    }
    fn ping(&self) -> Result<(), CalcError> {
        Ok(())
    }
    fn slow(&self, ms: u64) -> Result<(), CalcError> {
        std::thread::sleep(Duration::from_millis(ms));
        Ok(())
    }
}

/// Tags each word; errors on "fail", panics on "panic".
struct Words;

impl Classifier for Words {
    fn classify(&self, text: &str) -> Result<Vec<String>, ClassifyError> {
        match text {
            "fail" => Err(ClassifyError("cannot classify `fail`".into())),
            "panic" => panic!("the words plugin fell over"),
            _ => Ok(text.split_whitespace().map(str::to_owned).collect()),
        }
    }
}

/// Serves `words` (classifier) and `math` (calc) on 127.0.0.1.
async fn serve() -> SocketAddr {
    let service = PluginService::builder()
        .add::<dyn Classifier>("words", Arc::new(Words))
        .add_inline::<dyn Classifier>("inline-words", Arc::new(Words))
        .add::<dyn Calc>("math", Arc::new(Math))
        .build()
        .unwrap();
    serve_service(service).await
}

/// Serves `service` on a free port of 127.0.0.1.
async fn serve_service(service: PluginService) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        Server::builder()
            .add_service(service.into_server())
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    addr
}

fn transport(addr: SocketAddr) -> GrpcTransport {
    GrpcTransport::connect_lazy(&format!("http://{addr}"), Handle::current()).unwrap()
}

#[test]
fn the_macro_lists_the_operations() {
    assert_eq!(
        <dyn Calc as RemoteKind>::OPERATIONS,
        ["sum", "describe", "ping", "slow"]
    );
    assert_eq!(<dyn Classifier as RemoteKind>::OPERATIONS, ["classify"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_calls_a_remote_classifier_through_arc_dyn() {
    let addr = serve().await;
    // Served on the blocking pool (`add`) and on the server's task
    // (`add_inline`): the same answers, panics isolated either way.
    for name in ["words", "inline-words"] {
        calls_through_arc_dyn(stub::<dyn Classifier>(name, Arc::new(transport(addr)))).await;
    }
}

async fn calls_through_arc_dyn(words: Arc<dyn Classifier>) {
    assert_eq!(
        words.classify("hello remote world").unwrap(),
        ["hello", "remote", "world"]
    );
    // The plugin's own error arrives as its `Err` value, message intact.
    let err = words.classify("fail").unwrap_err();
    assert_eq!(err.0, "cannot classify `fail`");
    // A panic in the plugin is an error for the host, and the plugin's
    // server goes on serving.
    let err = words.classify("panic").unwrap_err();
    assert!(err.0.contains("INVOKE_ERROR_CODE_PANIC"), "{err}");
    assert!(err.0.contains("the words plugin fell over"), "{err}");
    assert_eq!(words.classify("still here").unwrap(), ["still", "here"]);

    // From a task on a worker, and from a blocking thread (as dispatch's
    // `call_blocking` does).
    let w = words.clone();
    let from_task = tokio::spawn(async move { w.classify("from a task") })
        .await
        .unwrap();
    assert_eq!(from_task.unwrap(), ["from", "a", "task"]);
    let w = words.clone();
    let from_blocking = tokio::task::spawn_blocking(move || w.classify("blocking"))
        .await
        .unwrap();
    assert_eq!(from_blocking.unwrap(), ["blocking"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_argument_form_round_trips() {
    let addr = serve().await;
    let math: Arc<dyn Calc> = stub::<dyn Calc>("math", Arc::new(transport(addr)));

    assert_eq!(math.sum(&[1, 2, 3]).unwrap(), 6);
    assert_eq!(math.sum(&[]).unwrap(), 0);
    let p = Point { x: 3, y: -4 };
    assert_eq!(
        math.describe(&p, "corner".into()).unwrap(),
        "corner at (3, -4)"
    );
    math.ping().unwrap();
    // A typed plugin error stays typed.
    assert!(matches!(math.sum(&[1, -7]), Err(CalcError::Negative(-7))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_plugin_is_an_error() {
    let addr = serve().await;
    let nobody: Arc<dyn Calc> = stub::<dyn Calc>("nobody", Arc::new(transport(addr)));
    match nobody.ping() {
        Err(CalcError::Call(RemoteCallError::Remote {
            plugin_id, code, ..
        })) => {
            assert_eq!(plugin_id, "calc.nobody");
            assert_eq!(code, InvokeErrorCode::UnknownPlugin);
        }
        other => panic!("expected an unknown-plugin error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_operations_and_bad_arguments_are_invoke_errors() {
    let addr = serve().await;
    let mut client = PluginClient::connect(format!("http://{addr}"))
        .await
        .unwrap();
    let call = |operation: &str, request: &[u8]| InvokeRequest {
        plugin: "math".into(),
        kind: "calc".into(),
        operation: operation.into(),
        request: request.to_vec(),
    };
    let error_of = |response: InvokeResponse| match response.outcome {
        Some(Outcome::Error(e)) => e,
        other => panic!("expected an InvokeError, got {other:?}"),
    };

    let err = error_of(
        client
            .invoke(call("frobnicate", b"[]"))
            .await
            .unwrap()
            .into_inner(),
    );
    assert_eq!(err.code(), InvokeErrorCode::UnknownOperation);
    assert!(err.message.contains("frobnicate"), "{}", err.message);
    assert!(
        err.message.contains("sum, describe, ping, slow"),
        "{}",
        err.message
    );

    for garbage in [&b"not json"[..], b"[\"six\"]", b"[[1], 2]", b""] {
        let err = error_of(
            client
                .invoke(call("sum", garbage))
                .await
                .unwrap()
                .into_inner(),
        );
        assert_eq!(err.code(), InvokeErrorCode::Decode, "{garbage:?}");
        assert!(err.message.contains("calc.sum"), "{}", err.message);
    }

    // The wire format: arguments as a JSON array, the whole Result back.
    let response = client
        .invoke(call("sum", b"[[2, 3]]"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        response.outcome,
        Some(Outcome::Response(br#"{"Ok":5}"#.to_vec()))
    );
}

/// An in-memory transport that always answers `answer`.
fn answering(answer: Result<InvokeResponse, TransportError>) -> Arc<dyn Transport> {
    Arc::new(move |_: InvokeRequest| answer.clone())
}

#[test]
fn a_malformed_or_failed_response_is_an_error_not_a_panic() {
    let response = |outcome| Ok(InvokeResponse { outcome });
    let cases = [
        (
            response(Some(Outcome::Response(b"garbage".to_vec()))),
            "decode",
        ),
        (
            response(Some(Outcome::Response(br#"{"Ok":"six"}"#.to_vec()))),
            "decode",
        ),
        (
            response(Some(Outcome::Response(br#"{"Maybe":6}"#.to_vec()))),
            "decode",
        ),
        (response(None), "decode"),
        (
            Err(TransportError::Status {
                code: tonic::Code::Unavailable,
                message: "connection refused".into(),
            }),
            "transport",
        ),
        (
            Err(TransportError::Timeout(Duration::from_millis(5))),
            "timeout",
        ),
    ];
    for (answer, expected) in cases {
        let math = stub::<dyn Calc>("math", answering(answer.clone()));
        let got = match math.sum(&[1]) {
            Err(CalcError::Call(RemoteCallError::Decode { .. })) => "decode",
            Err(CalcError::Call(RemoteCallError::Transport { .. })) => "transport",
            Err(CalcError::Call(RemoteCallError::Timeout { .. })) => "timeout",
            other => panic!("{answer:?}: unexpected {other:?}"),
        };
        assert_eq!(got, expected, "{answer:?}");
    }
    // The same through the reference kind, whose error is a message.
    let words = stub::<dyn Classifier>(
        "words",
        answering(response(Some(Outcome::Response(b"\xff\xfe".to_vec())))),
    );
    let err = words.classify("x").unwrap_err();
    assert!(err.0.contains("malformed response"), "{err}");
    assert!(err.0.contains("classifier.words"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_plugin_costs_at_most_the_timeout() {
    let addr = serve().await;
    let math = stub::<dyn Calc>(
        "math",
        Arc::new(transport(addr).timeout(Duration::from_millis(200))),
    );
    let started = Instant::now();
    let got = math.slow(1_500);
    assert!(
        matches!(got, Err(CalcError::Call(RemoteCallError::Timeout { .. }))),
        "{got:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_call_from_a_current_thread_runtime_is_an_error() {
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // Nothing listens there: the call must be refused before it is tried.
    let transport =
        GrpcTransport::connect_lazy("http://127.0.0.1:9", multi.handle().clone()).unwrap();
    let words = stub::<dyn Classifier>("words", Arc::new(transport));
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let err = current.block_on(async { words.classify("x") }).unwrap_err();
    assert!(err.0.contains("current-thread"), "{err}");

    // A transport whose own runtime is current-thread is refused too: no
    // one would drive its IO while the caller waits.
    let transport =
        GrpcTransport::connect_lazy("http://127.0.0.1:9", current.handle().clone()).unwrap();
    let math = stub::<dyn Calc>("math", Arc::new(transport));
    assert!(
        matches!(
            math.ping(),
            Err(CalcError::Call(RemoteCallError::Runtime { .. }))
        ),
        "a current-thread transport runtime must be refused"
    );
}

#[test]
fn the_plugin_service_refuses_bad_and_repeated_names() {
    let err = PluginService::builder()
        .add::<dyn Calc>("Math", Arc::new(Math))
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("invalid plugin name `Math`"),
        "{err}"
    );
    let err = PluginService::builder()
        .add::<dyn Calc>("math", Arc::new(Math))
        .add::<dyn Calc>("math", Arc::new(Math))
        .build()
        .unwrap_err();
    assert_eq!(err.to_string(), "plugin `calc.math` was added twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_knows_when_the_host_stopped_every_plugin() {
    use pegboard::remote::proto::v1::StopRequest;
    let (service, addr) = serve_words_and_math().await;
    let mut client = PluginClient::connect(format!("http://{addr}"))
        .await
        .unwrap();
    let stop = |kind: &str, plugin: &str| StopRequest {
        kind: kind.into(),
        plugin: plugin.into(),
    };
    let all_stopped = service.all_stopped();
    tokio::pin!(all_stopped);

    let unknown = client
        .stop(stop("classifier", "nobody"))
        .await
        .unwrap()
        .into_inner();
    assert!(unknown.error.is_some());
    assert!(
        client
            .stop(stop("classifier", "words"))
            .await
            .unwrap()
            .into_inner()
            .error
            .is_none()
    );
    // One plugin is still served: not yet.
    assert!(futures_poll_once(all_stopped.as_mut()).await.is_none());
    // And it still answers.
    let math = stub::<dyn Calc>("math", Arc::new(transport(addr)));
    tokio::task::spawn_blocking(move || math.ping())
        .await
        .unwrap()
        .unwrap();
    assert!(
        client
            .stop(stop("calc", "math"))
            .await
            .unwrap()
            .into_inner()
            .error
            .is_none()
    );
    tokio::time::timeout(Duration::from_secs(10), all_stopped)
        .await
        .expect("every plugin is stopped");
}

/// Serves `words` and `math` on 127.0.0.1; the service is kept to watch
/// its stops.
async fn serve_words_and_math() -> (PluginService, SocketAddr) {
    let service = PluginService::builder()
        .add::<dyn Classifier>("words", Arc::new(Words))
        .add::<dyn Calc>("math", Arc::new(Math))
        .build()
        .unwrap();
    let addr = serve_service(service.clone()).await;
    (service, addr)
}

/// Polls `f` once: `Some` if it is ready.
async fn futures_poll_once<F: std::future::Future + Unpin>(f: F) -> Option<F::Output> {
    let mut f = f;
    std::future::poll_fn(|cx| {
        std::task::Poll::Ready(match std::pin::Pin::new(&mut f).poll(cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        })
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_started_again_after_a_stop_is_no_longer_stopped() {
    use pegboard::remote::proto::v1::{StartRequest, StopRequest};
    let (service, addr) = serve_words_and_math().await;
    let mut client = PluginClient::connect(format!("http://{addr}"))
        .await
        .unwrap();
    let all_stopped = service.all_stopped();
    tokio::pin!(all_stopped);

    let words = || StopRequest {
        kind: "classifier".into(),
        plugin: "words".into(),
    };
    client.stop(words()).await.unwrap();
    client
        .start(StartRequest {
            kind: "classifier".into(),
            plugin: "words".into(),
            config: Vec::new(),
        })
        .await
        .unwrap();
    client
        .stop(StopRequest {
            kind: "calc".into(),
            plugin: "math".into(),
        })
        .await
        .unwrap();
    // Words was restarted: the process still has a plugin to serve.
    assert!(futures_poll_once(all_stopped.as_mut()).await.is_none());
    client.stop(words()).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), all_stopped)
        .await
        .expect("every plugin is stopped");
}
