//! Streaming fan-out: `n` SSE subscribers (`SubscribeToTask` on JSON-RPC) on one task, or
//! spread over several, of the demo agent's `slow` mode (one status event a second). Once
//! every subscriber has its first event, the next event's arrival is taken at each: the
//! spread from the first subscriber that got it to the last is the time for one event to
//! reach all of them. The server's RSS before and with the streams open gives the memory
//! per open stream.

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::{Barrier, mpsc};

/// What one fan-out run measured.
#[derive(Debug)]
pub(crate) struct FanOut {
    /// Subscribers.
    pub streams: usize,
    /// Tasks they were spread over.
    pub tasks: usize,
    /// Time to open every stream (each has its first event).
    pub connect: Duration,
    /// From the first subscriber that got the next event to the last.
    pub spread: Duration,
    /// Subscribers that got the next event.
    pub reached: usize,
    /// Server RSS growth per open stream, KiB.
    pub rss_per_stream_kib: f64,
}

async fn post(addr: SocketAddr, body: String) -> Result<hyper::Response<hyper::body::Incoming>> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
    tokio::spawn(conn);
    let req = http::Request::post("/")
        .header(http::header::HOST, addr.to_string())
        .header(http::header::CONTENT_TYPE, "application/json")
        .header("A2A-Version", "1.0")
        .body(Full::new(Bytes::from(body)))?;
    Ok(sender.send_request(req).await?)
}

/// Starts a `slow` demo task that runs for `secs`, answered at once: its id.
async fn start_task(addr: SocketAddr, secs: u64, n: usize) -> Result<String> {
    start(addr, &format!("slow {secs}"), n).await
}

/// Starts a demo task given `text`, answered at once: its id.
async fn start(addr: SocketAddr, text: &str, n: usize) -> Result<String> {
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{{"message":{{"messageId":"fanout-{}-{n}-{}","role":"ROLE_USER","parts":[{{"text":"{text}"}}]}},"configuration":{{"returnImmediately":true}}}}}}"#,
        std::process::id(),
        text.len()
    );
    let resp = post(addr, body).await?;
    let bytes = resp.into_body().collect().await?.to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&bytes)?;
    v["result"]["task"]["id"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no task in {v}"))
}

/// Subscribes to `task` and reports the arrival time of each event after the first.
async fn subscriber(
    addr: SocketAddr,
    task: String,
    connected: Arc<Barrier>,
    events: mpsc::UnboundedSender<Instant>,
) -> Result<()> {
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"SubscribeToTask","params":{{"id":"{task}"}}}}"#
    );
    let resp = post(addr, body).await?;
    if !resp.status().is_success() {
        bail!("SubscribeToTask: {}", resp.status());
    }
    let mut body = resp.into_body();
    let mut first = true;
    while let Some(frame) = body.frame().await {
        let frame = frame?;
        let Some(data) = frame.data_ref() else {
            continue;
        };
        // An event ends with a blank line; keep-alive comments start with ':'.
        if !data.windows(6).any(|w| w == b"data: ") {
            continue;
        }
        if first {
            first = false;
            connected.wait().await;
        } else if events.send(Instant::now()).is_err() {
            break;
        }
    }
    Ok(())
}

/// `streams` subscribers over `tasks` tasks, against the gateway at `addr` (pid `rss` reads
/// its RSS in KiB).
pub(crate) async fn run(
    addr: SocketAddr,
    streams: usize,
    tasks: usize,
    rss: impl Fn() -> Result<u64>,
) -> Result<FanOut> {
    let before = rss()?;
    // Long enough for every stream to connect, then a few events.
    let secs = 60;
    let mut ids = Vec::with_capacity(tasks);
    for n in 0..tasks {
        ids.push(start_task(addr, secs, n).await?);
    }
    let started = Instant::now();
    let connected = Arc::new(Barrier::new(streams + 1));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut handles = Vec::with_capacity(streams);
    for i in 0..streams {
        let task = ids[i % tasks].clone();
        handles.push(tokio::spawn(subscriber(
            addr,
            task,
            Arc::clone(&connected),
            tx.clone(),
        )));
    }
    drop(tx);
    tokio::time::timeout(Duration::from_secs(secs / 2), connected.wait())
        .await
        .context("not every stream opened in time")?;
    let connect = started.elapsed();
    let with_streams = rss()?;
    // Events that were already on their way when the last stream opened are skipped: the
    // next event is the first one after a quiet moment.
    let mut first: Option<Instant> = None;
    let mut last = None;
    let mut reached = 0;
    let deadline = tokio::time::sleep(Duration::from_secs(5));
    tokio::pin!(deadline);
    let mut gap_open = Instant::now();
    loop {
        tokio::select! {
            at = rx.recv() => {
                let Some(at) = at else { break };
                match first {
                    // Wait for an event that starts after 300 ms of silence (the demo
                    // ticks once a second).
                    None if at.duration_since(gap_open) < Duration::from_millis(300) => gap_open = at,
                    None => { first = Some(at); last = Some(at); reached = 1; }
                    Some(f) if at.duration_since(f) < Duration::from_millis(500) => { last = Some(at); reached += 1; }
                    Some(_) => break,
                }
            }
            () = &mut deadline => break,
        }
    }
    for h in handles {
        h.abort();
    }
    let spread = match (first, last) {
        (Some(f), Some(l)) => l.duration_since(f),
        _ => bail!(
            "no event reached the {streams} subscribers within 5 s of their opening (all open after {:.1} s)",
            connect.as_secs_f64()
        ),
    };
    Ok(FanOut {
        streams,
        tasks,
        connect,
        spread,
        reached,
        rss_per_stream_kib: with_streams.saturating_sub(before) as f64 / streams as f64,
    })
}

/// The gateway's count of store reads made for subscriptions, from `/metrics` (0 before
/// the first).
async fn subscription_reads(addr: SocketAddr) -> Result<f64> {
    let tcp = TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
    tokio::spawn(conn);
    let req = http::Request::get("/metrics")
        .header(http::header::HOST, addr.to_string())
        .body(Full::new(Bytes::new()))?;
    let resp = sender.send_request(req).await?;
    let bytes = resp.into_body().collect().await?.to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    Ok(text
        .lines()
        .find_map(|l| l.strip_prefix("a2agw_subscription_store_reads_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0))
}

/// `streams` subscribers over `tasks` tasks that wait for input (nothing happens to
/// them): the store reads per second the gateway makes for the open streams, over
/// `window`.
pub(crate) async fn idle(
    addr: SocketAddr,
    streams: usize,
    tasks: usize,
    window: Duration,
) -> Result<f64> {
    let mut ids = Vec::with_capacity(tasks);
    for n in 0..tasks {
        ids.push(start(addr, "input please", n).await?);
    }
    let connected = Arc::new(Barrier::new(streams + 1));
    let (tx, _rx) = mpsc::unbounded_channel();
    let mut handles = Vec::with_capacity(streams);
    for i in 0..streams {
        handles.push(tokio::spawn(subscriber(
            addr,
            ids[i % tasks].clone(),
            Arc::clone(&connected),
            tx.clone(),
        )));
    }
    tokio::time::timeout(Duration::from_secs(30), connected.wait())
        .await
        .context("not every idle stream opened in time")?;
    // Settled: every subscriber has replayed the log and waits.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = subscription_reads(addr).await?;
    tokio::time::sleep(window).await;
    let after = subscription_reads(addr).await?;
    for h in handles {
        h.abort();
    }
    Ok((after - before) / window.as_secs_f64())
}
