//! The baseline: a minimal hyper server that answers every `POST` with the JSON a gateway
//! answers a blocking `SendMessage` with (a completed task with one artifact), and
//! `POST /stream` with the SSE stream of a `SendStreamingMessage` — no parsing, no store,
//! no work. It runs as its own process (`a2agw-bench baseline`), alone like every server
//! measured, so its figures are what the load generator and the loopback can do on this
//! machine at that moment: every other figure is printed as a ratio to it.

use anyhow::Result;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::io::Write;
use tokio::net::TcpListener;

/// A gateway's answer to a blocking `SendMessage` to the echo agent (captured, ids kept).
const TASK: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"task":{"id":"019aa4e4-8d0f-7a33-9c1e-4c1f0e0b8f51","contextId":"019aa4e4-8d0f-7a33-9c1e-4c2a7d3c1e22","status":{"state":"TASK_STATE_COMPLETED","timestamp":"2026-12-07T23:40:00.000Z"},"artifacts":[{"artifactId":"019aa4e4-8d0f-7a33-9c1e-4c3b9e8f0a13","name":"echo","parts":[{"text":"hello gateway"}]}],"history":[{"messageId":"bench-1-1","contextId":"019aa4e4-8d0f-7a33-9c1e-4c2a7d3c1e22","taskId":"019aa4e4-8d0f-7a33-9c1e-4c1f0e0b8f51","role":"ROLE_USER","parts":[{"text":"hello gateway"}]}]}}}"#;

/// The SSE answer to a `SendStreamingMessage` of the echo agent: the task, the artifact,
/// the final status.
const STREAM: &str = concat!(
    "id: 1\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"task\":{\"id\":\"t\",\"contextId\":\"c\",\"status\":{\"state\":\"TASK_STATE_SUBMITTED\"}}}}\n\n",
    "id: 2\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"artifactUpdate\":{\"taskId\":\"t\",\"contextId\":\"c\",\"artifact\":{\"artifactId\":\"a\",\"name\":\"echo\",\"parts\":[{\"text\":\"hello gateway\"}]},\"lastChunk\":true}}}\n\n",
    "id: 3\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"statusUpdate\":{\"taskId\":\"t\",\"contextId\":\"c\",\"status\":{\"state\":\"TASK_STATE_COMPLETED\"}}}}\n\n",
);

/// Serves on `listen` (`127.0.0.1:0` picks a port), and the gRPC baseline
/// ([`crate::grpc_baseline`]) on another port of the same host, and prints
/// `listening <addr> grpc <addr>` once both are bound.
pub(crate) async fn serve(listen: &str) -> Result<()> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let grpc = TcpListener::bind((addr.ip(), 0)).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening {addr} grpc {}", grpc.local_addr()?)?;
    out.flush()?;
    drop(out);
    tokio::spawn(async move {
        if let Err(e) = crate::grpc_baseline::serve(grpc).await {
            eprintln!("the gRPC baseline stopped: {e}");
        }
    });
    loop {
        let (tcp, _) = listener.accept().await?;
        let _ = tcp.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                let stream = req.uri().path() == "/stream";
                // Read the request body, as any server must.
                let _ = req.into_body().collect().await;
                let (body, kind) = if stream {
                    (STREAM, "text/event-stream")
                } else {
                    (TASK, "application/json")
                };
                Ok::<_, Infallible>(
                    hyper::Response::builder()
                        .header(http::header::CONTENT_TYPE, kind)
                        .body(Full::new(Bytes::from_static(body.as_bytes())))
                        .unwrap_or_default(),
                )
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        });
    }
}
