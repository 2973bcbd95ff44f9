//! The load generator: `c` closed-loop clients, each on its own keep-alive connection
//! (HTTP/1.1 through hyper, or an HTTP/2 gRPC channel through tonic), sending one request
//! after the other until the deadline; every latency is kept (microseconds), so the
//! percentiles are exact.

use a2agw_proto::v1::a2a_service_client::A2aServiceClient;
use a2agw_proto::v1::{Message, Part, Role, SendMessageRequest, part};
use anyhow::{Context, Result, anyhow};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// What one client sends.
#[derive(Clone, Debug)]
pub(crate) enum Request {
    /// `POST path` with this JSON body; `{MID}` in it is replaced by a fresh message id.
    Http {
        /// The request path.
        path: String,
        /// The body template.
        body: String,
        /// Whether the answer is an SSE stream (read to its end).
        stream: bool,
    },
    /// A gRPC `SendMessage` with this text.
    Grpc {
        /// The message text.
        text: String,
    },
}

/// The result of one load run.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Requests answered with success.
    pub ok: u64,
    /// Requests that failed (status, error body, transport).
    pub errors: u64,
    /// The first failure seen, for the report.
    pub first_error: Option<String>,
    /// Latencies of the successful requests, microseconds, sorted.
    pub latencies_us: Vec<u32>,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// For streams: time to the first event of each request, microseconds, sorted.
    pub first_event_us: Vec<u32>,
    /// For streams: events received in all.
    pub events: u64,
}

impl Outcome {
    /// Successful requests per second.
    pub(crate) fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `q` quantile (0..1) of the latencies, milliseconds.
    pub(crate) fn quantile_ms(&self, q: f64) -> f64 {
        quantile(&self.latencies_us, q)
    }
}

/// The `q` quantile of sorted microsecond samples, in milliseconds (0 when empty).
pub(crate) fn quantile(sorted_us: &[u32], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let i = ((sorted_us.len() as f64 - 1.0) * q).round() as usize;
    f64::from(sorted_us[i.min(sorted_us.len() - 1)]) / 1000.0
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn message_id() -> String {
    format!(
        "bench-{}-{}",
        std::process::id(),
        NEXT_ID.fetch_add(1, Ordering::Relaxed)
    )
}

#[derive(Default)]
struct ClientResult {
    ok: u64,
    errors: u64,
    first_error: Option<String>,
    latencies: Vec<u32>,
    first_events: Vec<u32>,
    events: u64,
}

impl ClientResult {
    fn fail(&mut self, why: impl Into<String>) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(why.into());
        }
    }
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

/// Runs `clients` clients sending `request` to `addr` for `duration`.
pub(crate) async fn run(
    addr: SocketAddr,
    request: &Request,
    clients: usize,
    duration: Duration,
) -> Result<Outcome> {
    run_on(&[addr], request, clients, duration).await
}

/// [`run`] with the clients spread over several servers (client `i` on `addrs[i % n]`).
pub(crate) async fn run_on(
    addrs: &[SocketAddr],
    request: &Request,
    clients: usize,
    duration: Duration,
) -> Result<Outcome> {
    let started = Instant::now();
    let deadline = started + duration;
    let request = Arc::new(request.clone());
    let mut tasks = Vec::with_capacity(clients);
    for i in 0..clients {
        let addr = addrs[i % addrs.len().max(1)];
        let request = Arc::clone(&request);
        tasks.push(tokio::spawn(async move {
            match &*request {
                Request::Http { path, body, stream } => {
                    http_client(addr, path, body, *stream, deadline).await
                }
                Request::Grpc { text } => grpc_client(addr, text, deadline).await,
            }
        }));
    }
    let mut out = Outcome::default();
    for t in tasks {
        let r = t.await.context("a load client panicked")??;
        out.ok += r.ok;
        out.errors += r.errors;
        if out.first_error.is_none() {
            out.first_error = r.first_error;
        }
        out.latencies_us.extend(r.latencies);
        out.first_event_us.extend(r.first_events);
        out.events += r.events;
    }
    out.elapsed = started.elapsed();
    out.latencies_us.sort_unstable();
    out.first_event_us.sort_unstable();
    Ok(out)
}

async fn http_client(
    addr: SocketAddr,
    path: &str,
    body: &str,
    stream: bool,
    deadline: Instant,
) -> Result<ClientResult> {
    let tcp = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    tcp.set_nodelay(true)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
    tokio::spawn(conn);
    let host = addr.to_string();
    let mut r = ClientResult::default();
    while Instant::now() < deadline {
        let payload = body.replace("{MID}", &message_id());
        let req = http::Request::post(path)
            .header(http::header::HOST, &host)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header("A2A-Version", "1.0")
            .body(Full::new(Bytes::from(payload)))?;
        if sender.ready().await.is_err() {
            r.fail("the connection closed");
            break;
        }
        let sent = Instant::now();
        let resp = match sender.send_request(req).await {
            Ok(resp) => resp,
            Err(e) => {
                r.fail(format!("send: {e}"));
                break;
            }
        };
        let status = resp.status();
        let mut body = resp.into_body();
        let mut bytes = Vec::new();
        let mut first = None;
        let mut events = 0u64;
        let mut failed = None;
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(f) => {
                    if let Some(data) = f.data_ref() {
                        if stream {
                            if first.is_none() {
                                first = Some(sent.elapsed());
                            }
                            events += count(data, b"\n\n");
                        }
                        if bytes.len() < 1 << 20 {
                            bytes.extend_from_slice(data);
                        }
                    }
                }
                Err(e) => {
                    failed = Some(format!("body: {e}"));
                    break;
                }
            }
        }
        let took = sent.elapsed();
        if let Some(why) = failed {
            r.fail(why);
            continue;
        }
        if !status.is_success() || is_error(&bytes) {
            r.fail(format!(
                "{status}: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
            ));
            continue;
        }
        r.ok += 1;
        r.latencies.push(micros(took));
        if let Some(f) = first {
            r.first_events.push(micros(f));
        }
        r.events += events;
    }
    Ok(r)
}

/// How many times `needle` occurs in `hay`.
fn count(hay: &[u8], needle: &[u8]) -> u64 {
    hay.windows(needle.len()).filter(|w| *w == needle).count() as u64
}

/// Whether a JSON-RPC (or SSE) answer carries an error object.
fn is_error(body: &[u8]) -> bool {
    body.windows(8).any(|w| w == b"\"error\":")
}

async fn grpc_client(addr: SocketAddr, text: &str, deadline: Instant) -> Result<ClientResult> {
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .map_err(|e| anyhow!("{e}"))?
        .tcp_nodelay(true)
        .connect()
        .await
        .with_context(|| format!("gRPC connect to {addr}"))?;
    let mut client = A2aServiceClient::new(channel);
    let mut r = ClientResult::default();
    while Instant::now() < deadline {
        let req = SendMessageRequest {
            message: Some(Message {
                message_id: message_id(),
                role: Role::User.into(),
                parts: vec![Part {
                    content: Some(part::Content::Text(text.to_owned())),
                    ..Part::default()
                }],
                ..Message::default()
            }),
            ..SendMessageRequest::default()
        };
        let mut req = tonic::Request::new(req);
        req.metadata_mut().insert(
            "a2a-version",
            tonic::metadata::MetadataValue::from_static("1.0"),
        );
        let sent = Instant::now();
        match client.send_message(req).await {
            Ok(_) => {
                r.ok += 1;
                r.latencies.push(micros(sent.elapsed()));
            }
            Err(status) => r.fail(format!("gRPC {:?}: {}", status.code(), status.message())),
        }
    }
    Ok(r)
}

/// One HTTP request (for readiness and set-up): its status and body.
pub(crate) async fn get(addr: SocketAddr, path: &str) -> Result<(u16, Vec<u8>)> {
    let tcp = TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
    tokio::spawn(conn);
    let req = http::Request::get(path)
        .header(http::header::HOST, addr.to_string())
        .body(Full::new(Bytes::new()))?;
    let resp = sender.send_request(req).await?;
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await?.to_bytes().to_vec();
    Ok((status, body))
}
