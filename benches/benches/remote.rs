//! SPEC P5: a remote `Invoke` over loopback, beside a bare tonic unary call
//! of the same RPC with the same payload bytes.
//!
//! * `p5_remote_invoke/pegboard`: `echo.echo(&payload)` on an
//!   `Arc<dyn Echo>` made by `pegboard::remote::stub::<dyn Echo>("loopback",
//!   Arc::new(GrpcTransport::new(channel, handle)))`. The generated stub
//!   encodes the arguments as JSON (`[{...}]`, 1,071 bytes), the `Invoker`
//!   builds an `InvokeRequest` and the transport makes the
//!   `pegboard.v1.Plugin/Invoke` call with tonic, under its timeout, blocking
//!   the calling thread (`Handle::block_on`: criterion's thread is outside
//!   any runtime). On the server, `PluginService` finds the plugin by (kind,
//!   name) and runs the generated adapter with the panic caught, on the
//!   server task that received the call (the plugin is served with
//!   `add_inline`: it never blocks): it decodes the arguments, calls `Loopback::echo` (which
//!   clones the payload) and encodes `{"Ok": {...}}` (1,076 bytes) as the
//!   response. Back in the stub, the response is decoded into
//!   `Result<Payload, EchoError>`.
//! * `p5_remote_invoke/pegboard_blocking_pool` (context): the same, with
//!   the plugin served with `add`, the default for plugins that may block:
//!   every call hops to tokio's blocking pool and back.
//! * `p5_remote_invoke/tonic_unary` (the baseline): the same
//!   `pegboard.v1.Plugin/Invoke` RPC made with the generated `PluginClient`
//!   directly, blocking the same kind of thread the same way
//!   (`Handle::block_on` of the same runtime), with a clone of an
//!   `InvokeRequest` whose `request` is the very bytes the stub sends. The
//!   server is a minimal hand-written `Plugin` service that answers with
//!   those request bytes as its response (no lookup, no blocking pool, no
//!   JSON).
//!
//! So both sides move the same ~1 KiB each way over the same HTTP/2 stack and the
//! difference is pegboard's: the stub and `Invoker` (JSON encode of the
//! arguments, decode of the result, building the request), the transport's
//! timeout, and the plugin service (lookup, panic isolation, the adapter's
//! JSON decode and encode).
//!
//! `pegboard_blocking_pool` has one more thread hop per call (to the
//! blocking pool and back, on the plugin's side): ~12-15 µs on a quiet
//! machine, much more under CPU contention from other processes.
//!
//! Both use one multi-thread tokio runtime (2 workers, IO and time enabled)
//! that runs both servers and both channels; each side has its own server
//! (`tonic::transport::Server` with default settings on 127.0.0.1:0, its
//! accepted connections set to `TCP_NODELAY` as `Server::serve` would do)
//! and its own channel (`Endpoint::connect` with default settings, which
//! include `TCP_NODELAY`, connected before measuring), so neither shares a
//! connection with the other.

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use pegboard::remote::proto::v1::invoke_response::Outcome;
use pegboard::remote::proto::v1::plugin_client::PluginClient;
use pegboard::remote::proto::v1::plugin_server::{Plugin, PluginServer};
use pegboard::remote::proto::v1::{
    HealthRequest, HealthResponse, InvokeRequest, InvokeResponse, StartRequest, StartResponse,
    StopRequest, StopResponse,
};
use pegboard::remote::{GrpcTransport, PluginService, RemoteCallError, TransportError, stub};
use serde::{Deserialize, Serialize};
use tokio::runtime::{Handle, Runtime};
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint, Server};
use tonic::{Request, Response, Status};

/// What travels: a record with ~1,000 characters of text and a few numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    pub id: u64,
    pub offset: i64,
    pub weight: f64,
    pub count: u32,
    pub text: String,
}

/// The kind's error: its own refusals travel as values; a failed call keeps
/// the `RemoteCallError` (not sent).
#[derive(Debug, Serialize, Deserialize)]
pub enum EchoError {
    Refused(String),
    #[serde(skip)]
    Call(RemoteCallError),
}

impl From<RemoteCallError> for EchoError {
    fn from(err: RemoteCallError) -> Self {
        EchoError::Call(err)
    }
}

/// A remote kind with one operation that answers with its argument.
#[pegboard::kind(remote)]
pub trait Echo {
    /// `payload`, unchanged.
    fn echo(&self, payload: &Payload) -> Result<Payload, EchoError>;
}

/// The plugin behind the stub.
struct Loopback;

impl Echo for Loopback {
    fn echo(&self, payload: &Payload) -> Result<Payload, EchoError> {
        Ok(payload.clone())
    }
}

/// The baseline's server: `Invoke` answers with the request's bytes.
struct BareEcho;

#[tonic::async_trait]
impl Plugin for BareEcho {
    async fn start(&self, _: Request<StartRequest>) -> Result<Response<StartResponse>, Status> {
        Err(Status::unimplemented("not part of the baseline"))
    }

    async fn stop(&self, _: Request<StopRequest>) -> Result<Response<StopResponse>, Status> {
        Err(Status::unimplemented("not part of the baseline"))
    }

    async fn health(&self, _: Request<HealthRequest>) -> Result<Response<HealthResponse>, Status> {
        Err(Status::unimplemented("not part of the baseline"))
    }

    async fn invoke(
        &self,
        request: Request<InvokeRequest>,
    ) -> Result<Response<InvokeResponse>, Status> {
        Ok(Response::new(InvokeResponse {
            outcome: Some(Outcome::Response(request.into_inner().request)),
        }))
    }
}

fn payload() -> Payload {
    let words = "the quick brown fox jumps over the lazy dog while the slow grey cat sleeps ";
    let text: String = words.chars().cycle().take(1000).collect();
    Payload {
        id: 4_812_337,
        offset: -20_431,
        weight: 0.8125,
        count: 1000,
        text,
    }
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Serves `server` on 127.0.0.1:0 (default server settings, `TCP_NODELAY`
/// on accepted connections) on the current runtime.
async fn serve<S: Plugin>(server: PluginServer<S>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds 127.0.0.1:0");
    let addr = listener.local_addr().expect("a local address");
    // `serve_with_incoming` ignores the builder's `tcp_nodelay`; without it
    // the response's frames meet Nagle and delayed ACKs (~40 ms a call).
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    tokio::spawn(
        Server::builder()
            .add_service(server)
            .serve_with_incoming(incoming),
    );
    addr
}

/// A channel to `addr` (default endpoint settings), connected.
async fn channel(addr: SocketAddr) -> Channel {
    Endpoint::from_shared(format!("http://{addr}"))
        .expect("a valid address")
        .connect()
        .await
        .expect("connects over loopback")
}

fn p5_remote_invoke(c: &mut Criterion) {
    let rt = runtime();
    let handle: Handle = rt.handle().clone();
    let payload = payload();

    // pegboard: the stub, through `GrpcTransport`, to `PluginService`; the
    // plugin served with `add_inline` (it never blocks), and, for context,
    // with `add` (every call on the blocking pool).
    let echo_over = |service: PluginService| -> Arc<dyn Echo> {
        let channel = rt.block_on(async { channel(serve(service.into_server()).await).await });
        stub::<dyn Echo>(
            "loopback",
            Arc::new(GrpcTransport::new(channel, handle.clone())),
        )
    };
    let echo = echo_over(
        PluginService::builder()
            .add_inline::<dyn Echo>("loopback", Arc::new(Loopback))
            .build()
            .expect("the plugin service builds"),
    );
    let pooled = echo_over(
        PluginService::builder()
            .add::<dyn Echo>("loopback", Arc::new(Loopback))
            .build()
            .expect("the plugin service builds"),
    );

    // The baseline: the same request bytes, to the bare echo service.
    let bare_channel =
        rt.block_on(async { channel(serve(PluginServer::new(BareEcho)).await).await });
    let client = PluginClient::new(bare_channel);
    let request = InvokeRequest {
        plugin: "loopback".to_owned(),
        kind: <dyn Echo as pegboard::Kind>::NAME.to_owned(),
        operation: "echo".to_owned(),
        // What the stub encodes: the arguments as a JSON array.
        request: serde_json::to_vec(&(&payload,)).expect("encodes"),
    };
    assert!(
        (1000..=1100).contains(&request.request.len()),
        "the payload is {} bytes",
        request.request.len()
    );
    let bare = |request: InvokeRequest| {
        let mut client = client.clone();
        handle.block_on(async move { client.invoke(request).await })
    };

    // The baseline sends the very bytes the stub sends.
    let sent = Arc::new(Mutex::new(None));
    let capture = {
        let sent = sent.clone();
        move |request: InvokeRequest| {
            *sent.lock().unwrap() = Some(request);
            Err(TransportError::Runtime("captured".to_owned()))
        }
    };
    let _ = stub::<dyn Echo>("loopback", Arc::new(capture)).echo(&payload);
    assert_eq!(sent.lock().unwrap().as_ref(), Some(&request));

    // Both sides answer, with what they were sent.
    assert_eq!(echo.echo(&payload).expect("echoes"), payload);
    assert_eq!(pooled.echo(&payload).expect("echoes"), payload);
    let answer = bare(request.clone()).expect("echoes").into_inner();
    assert_eq!(
        answer.outcome,
        Some(Outcome::Response(request.request.clone()))
    );

    let mut group = c.benchmark_group("p5_remote_invoke");
    group
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    group.bench_function("pegboard", |b| {
        b.iter(|| black_box(&echo).echo(black_box(&payload)))
    });
    group.bench_function("pegboard_blocking_pool", |b| {
        b.iter(|| black_box(&pooled).echo(black_box(&payload)))
    });
    group.bench_function("tonic_unary", |b| {
        b.iter(|| bare(black_box(&request).clone()))
    });
    group.finish();
}

criterion_group!(benches, p5_remote_invoke);
criterion_main!(benches);
