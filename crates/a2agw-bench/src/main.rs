//! `a2agw-bench`: the benchmarks `cargo xtask bench` runs.
//!
//! Every server measured is a process of its own, run alone: the baseline (a minimal hyper
//! server answering the same JSON, [`baseline`]) and the `a2a-gateway` binary on each
//! store. The load generator ([`load`]) runs here, closed-loop, one keep-alive connection
//! per client. Machines here are noisy and shared: every throughput is printed with its
//! ratio to the baseline measured in the same run with the same generator, which is what
//! the targets are stated in (BENCHMARKS.md).
//!
//! ```text
//! a2agw-bench run --gateway target/release/a2a-gateway [--duration 10] [--smoke]
//!                 [--stores memory,sqlite,postgres] [--agents echo,demo]
//!                 [--only send,stream,startup,scale,fanout] [--out FILE]
//! a2agw-bench baseline 127.0.0.1:0
//! ```
//!
//! The flags are parsed by hand: a handful of options of an internal tool, where a CLI
//! crate would add build time to every CI run for nothing a user sees.

// A benchmark tool reports on stdout.
#![allow(clippy::print_stdout)]

mod baseline;
mod fanout;
mod grpc_baseline;
mod load;
mod process;

use anyhow::{Context, Result, bail};
use load::{Outcome, Request};
use process::Server;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// The options of `run`.
#[derive(Debug)]
struct Options {
    gateway: PathBuf,
    duration: Duration,
    smoke: bool,
    stores: Vec<String>,
    agents: Vec<String>,
    only: Vec<String>,
    out: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut o = Options {
        gateway: PathBuf::from("target/release/a2a-gateway"),
        duration: Duration::from_secs(10),
        smoke: false,
        stores: vec!["memory".into(), "sqlite".into(), "postgres".into()],
        agents: vec!["echo".into(), "demo".into()],
        only: Vec::new(),
        out: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .with_context(|| format!("{a} needs a value"))
        };
        match a.as_str() {
            "--gateway" => o.gateway = PathBuf::from(value()?),
            "--duration" => {
                let secs: f64 = value()?.parse().context("--duration: seconds")?;
                o.duration = Duration::from_secs_f64(secs.max(0.1));
            }
            "--smoke" => o.smoke = true,
            "--stores" => o.stores = value()?.split(',').map(str::to_owned).collect(),
            "--only" => o.only = value()?.split(',').map(str::to_owned).collect(),
            "--agents" => o.agents = value()?.split(',').map(str::to_owned).collect(),
            "--out" => o.out = Some(PathBuf::from(value()?)),
            other => bail!("unknown option `{other}` (see the crate docs)"),
        }
    }
    if o.smoke {
        o.duration = Duration::from_secs(1);
        o.agents.truncate(1);
    }
    Ok(o)
}

/// One measured point.
#[derive(Debug)]
struct Point {
    scenario: String,
    clients: usize,
    outcome: Outcome,
    /// Server CPU time per successful request.
    cpu_per_req: Duration,
    /// The baseline's rate at the same concurrency, for the ratio.
    baseline_rate: f64,
}

/// The process figures of one gateway run.
#[derive(Debug)]
struct Startup {
    store: String,
    ready: Duration,
    idle_rss_kib: u64,
    peak_rss_kib: u64,
}

const TEXT: &str = "hello gateway";

fn jsonrpc(method: &str, text: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{{"message":{{"messageId":"{{MID}}","role":"ROLE_USER","parts":[{{"text":"{text}"}}]}}}}}}"#
    )
}

fn rest_body(text: &str) -> String {
    format!(
        r#"{{"message":{{"messageId":"{{MID}}","role":"ROLE_USER","parts":[{{"text":"{text}"}}]}}}}"#
    )
}

/// Measures `request` against `server` with `clients` clients.
async fn measure(
    server: &Server,
    scenario: String,
    request: &Request,
    clients: usize,
    duration: Duration,
    baseline_rate: f64,
) -> Result<Point> {
    let before = server.cpu()?;
    let addr = match request {
        Request::Grpc { .. } => server.grpc_addr.unwrap_or(server.addr),
        Request::Http { .. } => server.addr,
    };
    let outcome = load::run(addr, request, clients, duration).await?;
    let cpu = server.cpu()?.since(before);
    let cpu_per_req = if outcome.ok == 0 {
        Duration::ZERO
    } else {
        cpu / u32::try_from(outcome.ok).unwrap_or(u32::MAX)
    };
    let point = Point {
        scenario,
        clients,
        outcome,
        cpu_per_req,
        baseline_rate,
    };
    eprintln!("  {}", row(&point));
    Ok(point)
}

fn row(p: &Point) -> String {
    let o = &p.outcome;
    let ratio = if p.baseline_rate > 0.0 {
        format!("{:.3}×", o.rate() / p.baseline_rate)
    } else {
        "–".into()
    };
    let mut errors = o.errors.to_string();
    if let Some(e) = &o.first_error {
        let e: String = e.chars().take(80).collect();
        let _ = write!(errors, " ({e})");
    }
    let first = if o.first_event_us.is_empty() {
        String::new()
    } else {
        format!(
            " | first event p50 {:.3} ms, {:.0} events/s",
            load::quantile(&o.first_event_us, 0.5),
            o.events as f64 / o.elapsed.as_secs_f64().max(1e-9)
        )
    };
    format!(
        "| {} | {} | {:.0} | {ratio} | {:.3} | {:.3} | {:.0} | {errors}{first} |",
        p.scenario,
        p.clients,
        o.rate(),
        o.quantile_ms(0.5),
        o.quantile_ms(0.99),
        p.cpu_per_req.as_secs_f64() * 1e6,
    )
}

fn postgres_url() -> String {
    std::env::var("A2AGW_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn postgres_reachable() -> bool {
    std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], 5432)),
        Duration::from_secs(1),
    )
    .is_ok()
}

/// The environment that selects `store` for a gateway run in `dir` (`n` numbers runs).
fn store_env(store: &str, dir: &std::path::Path, n: usize) -> Vec<(&'static str, String)> {
    let mut env = vec![("A2AGW_STORE", store.to_owned())];
    match store {
        "sqlite" => env.push((
            "A2AGW_SQLITE_PATH",
            dir.join("bench.db").display().to_string(),
        )),
        "postgres" => {
            env.push(("A2AGW_DATABASE_URL", postgres_url()));
            env.push((
                "A2AGW_DATABASE_SCHEMA",
                format!("bench_{}_{n}", std::process::id()),
            ));
        }
        _ => {}
    }
    env
}

/// Drops the PostgreSQL schemas of this run (best effort, with `psql` when installed).
fn drop_schemas(runs: usize) {
    for n in 0..runs {
        let _ = std::process::Command::new("psql")
            .arg(postgres_url())
            .args([
                "-q",
                "-c",
                &format!(
                    "DROP SCHEMA IF EXISTS bench_{}_{n} CASCADE",
                    std::process::id()
                ),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

async fn run(o: Options) -> Result<()> {
    let wants = |s: &str| o.only.is_empty() || o.only.iter().any(|x| x == s);
    let clients: &[usize] = &[1, 64];
    let mut points = Vec::new();
    let mut startups = Vec::new();

    // The baseline, alone.
    eprintln!("baseline (minimal hyper server, same JSON)");
    let base = Server::baseline().await?;
    let mut base_rate = std::collections::HashMap::new();
    for &c in clients {
        let req = Request::Http {
            path: "/".into(),
            body: jsonrpc("SendMessage", TEXT),
            stream: false,
        };
        let p = measure(&base, "baseline".into(), &req, c, o.duration, 0.0).await?;
        base_rate.insert(("send", c), p.outcome.rate());
        points.push(p);
        let req = Request::Http {
            path: "/stream".into(),
            body: jsonrpc("SendStreamingMessage", TEXT),
            stream: true,
        };
        let p = measure(&base, "baseline stream".into(), &req, c, o.duration, 0.0).await?;
        base_rate.insert(("stream", c), p.outcome.rate());
        points.push(p);
        // The gRPC ceiling (tonic, HTTP/2), as a ratio to the HTTP/1.1 one.
        let req = Request::Grpc { text: TEXT.into() };
        let rate = base_rate.get(&("send", c)).copied().unwrap_or(0.0);
        let p = measure(&base, "baseline gRPC".into(), &req, c, o.duration, rate).await?;
        points.push(p);
    }
    base.stop().await;

    let mut runs = 0;
    for store in &o.stores {
        if store == "postgres" && !postgres_reachable() {
            eprintln!("postgres: nothing listens on 127.0.0.1:5432; skipped");
            continue;
        }
        for agent in &o.agents {
            let dir = tempdir()?;
            let env = store_env(store, &dir, runs);
            runs += 1;
            let config = format!("[agent]\nprovider = \"{agent}\"\nstreaming = true\n");
            eprintln!("gateway: {store} store, {agent} agent");
            let gw = Server::gateway(&o.gateway, &dir, &config, &env).await?;
            let (_, idle_rss_kib) = gw.rss_kib()?;
            if !o.smoke {
                // Warm up: connections, caches, the store's first pages.
                let req = Request::Http {
                    path: "/".into(),
                    body: jsonrpc("SendMessage", TEXT),
                    stream: false,
                };
                let _ = load::run(gw.addr, &req, 16, Duration::from_secs(1)).await?;
            }
            if wants("send") {
                for &c in clients {
                    for (binding, req) in [
                        (
                            "JSON-RPC",
                            Request::Http {
                                path: "/".into(),
                                body: jsonrpc("SendMessage", TEXT),
                                stream: false,
                            },
                        ),
                        (
                            "HTTP+JSON",
                            Request::Http {
                                path: "/message:send".into(),
                                body: rest_body(TEXT),
                                stream: false,
                            },
                        ),
                        ("gRPC", Request::Grpc { text: TEXT.into() }),
                    ] {
                        let name = format!("SendMessage {binding}, {store}, {agent}");
                        let rate = base_rate.get(&("send", c)).copied().unwrap_or(0.0);
                        points.push(measure(&gw, name, &req, c, o.duration, rate).await?);
                    }
                }
            }
            if wants("stream") {
                for &c in clients {
                    let req = Request::Http {
                        path: "/".into(),
                        body: jsonrpc("SendStreamingMessage", TEXT),
                        stream: true,
                    };
                    let name = format!("SendStreamingMessage JSON-RPC, {store}, {agent}");
                    let rate = base_rate.get(&("stream", c)).copied().unwrap_or(0.0);
                    points.push(measure(&gw, name, &req, c, o.duration, rate).await?);
                }
            }
            if Some(agent) == o.agents.first() && wants("startup") {
                startups.push(Startup {
                    store: store.clone(),
                    ready: gw.ready_after,
                    idle_rss_kib,
                    peak_rss_kib: gw.rss_kib()?.0,
                });
            }
            gw.stop().await;
        }
    }
    let mut scale = None;
    if wants("scale") && o.stores.iter().any(|s| s == "postgres") && postgres_reachable() {
        scale = Some(two_processes(&o, runs, base_rate.get(&("send", 64)).copied()).await?);
        runs += 1;
    }
    let mut fanouts = Vec::new();
    if wants("fanout") {
        let store = o.stores.first().cloned().unwrap_or_else(|| "sqlite".into());
        let dir = tempdir()?;
        let env = store_env(&store, &dir, runs);
        runs += 1;
        let config = "[agent]\nprovider = \"demo\"\nstreaming = true\n\n[server]\nmax_streams_per_client = 20000\n";
        let shapes: &[(usize, usize)] = if o.smoke {
            &[(100, 1), (100, 10)]
        } else {
            &[(1000, 1), (1000, 100), (10_000, 1), (10_000, 100)]
        };
        for &(streams, tasks) in shapes {
            eprintln!("fan-out: {streams} streams over {tasks} task(s), {store} store");
            let gw = Server::gateway(&o.gateway, &dir, config, &env).await?;
            let f = fanout::run(gw.addr, streams, tasks, || Ok(gw.rss_kib()?.1)).await?;
            eprintln!("  {f:?}");
            let window = if o.smoke {
                Duration::from_secs(1)
            } else {
                Duration::from_secs(3)
            };
            let reads = fanout::idle(gw.addr, streams, tasks, window).await?;
            eprintln!("  idle: {reads:.1} subscription store reads/s");
            fanouts.push((store.clone(), f, reads));
            gw.stop().await;
        }
    }
    drop_schemas(runs);

    let mut report = report(&o, &points, &startups, &fanouts);
    if let Some(scale) = &scale {
        report.push_str(scale);
    }
    println!("{report}");
    if let Some(path) = &o.out {
        std::fs::write(path, &report).with_context(|| format!("writing {}", path.display()))?;
    }
    let failed: u64 = points.iter().map(|p| p.outcome.errors).sum();
    let empty = points.iter().filter(|p| p.outcome.ok == 0).count();
    if empty > 0 {
        bail!("{empty} scenario(s) had no successful request ({failed} errors)");
    }
    Ok(())
}

/// Scenario `scale`: blocking `SendMessage` (JSON-RPC, echo agent, 64 clients) on one
/// gateway process, then on two sharing one PostgreSQL database (the clients split
/// between them): throughput, and server CPU per request summed over the processes.
async fn two_processes(o: &Options, run_no: usize, baseline: Option<f64>) -> Result<String> {
    let dir = tempdir()?;
    let env = store_env("postgres", &dir, run_no);
    let config = "[agent]\nprovider = \"echo\"\nstreaming = true\n";
    let req = Request::Http {
        path: "/".into(),
        body: jsonrpc("SendMessage", TEXT),
        stream: false,
    };
    let clients = 64;
    eprintln!("scale: one, then two gateway processes on one PostgreSQL database");
    let dir_b = tempdir()?;
    let a = Server::gateway(&o.gateway, &dir, config, &env).await?;
    let b = Server::gateway(&o.gateway, &dir_b, config, &env).await?;
    if !o.smoke {
        let _ = load::run_on(&[a.addr, b.addr], &req, 16, Duration::from_secs(1)).await?;
    }
    let mut rows = Vec::new();
    for addrs in [vec![a.addr], vec![a.addr, b.addr]] {
        let before = (a.cpu()?, b.cpu()?);
        let machine_before = process::machine_cpu()?;
        let outcome = load::run_on(&addrs, &req, clients, o.duration).await?;
        let cpu = a.cpu()?.since(before.0) + b.cpu()?.since(before.1);
        let machine = process::machine_cpu()?;
        let busy =
            (machine.0 - machine_before.0) as f64 / (machine.1 - machine_before.1).max(1) as f64;
        let per_req = cpu.as_secs_f64() / outcome.ok.max(1) as f64;
        eprintln!(
            "  {} process(es): {:.0} req/s, {:.0} µs CPU/req, machine {:.0}% busy, {} errors",
            addrs.len(),
            outcome.rate(),
            per_req * 1e6,
            busy * 100.0,
            outcome.errors
        );
        rows.push((addrs.len(), outcome, per_req, busy));
    }
    a.stop().await;
    b.stop().await;
    let one = rows.first().map_or(0.0, |r| r.1.rate());
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n| SendMessage JSON-RPC, postgres, echo, {clients} clients | req/s | × baseline | × one process | p50 ms | p99 ms | server CPU µs/req (all processes) | machine CPU busy | errors |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|");
    for (n, outcome, per_req, busy) in &rows {
        let ratio = baseline.map_or("–".into(), |b| format!("{:.3}×", outcome.rate() / b));
        let _ = writeln!(
            s,
            "| {n} process(es) | {:.0} | {ratio} | {:.2}× | {:.3} | {:.3} | {:.0} | {:.0}% | {} |",
            outcome.rate(),
            outcome.rate() / one.max(1e-9),
            outcome.quantile_ms(0.5),
            outcome.quantile_ms(0.99),
            per_req * 1e6,
            busy * 100.0,
            outcome.errors
        );
    }
    if rows.iter().any(|r| r.1.ok == 0) {
        bail!("scale: a run had no successful request");
    }
    Ok(s)
}

fn report(
    o: &Options,
    points: &[Point],
    startups: &[Startup],
    fanouts: &[(String, fanout::FanOut, f64)],
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n{} s per point, closed loop, one keep-alive connection per client; ratios to the baseline at the same concurrency, same run.\n",
        o.duration.as_secs_f64()
    );
    let _ = writeln!(
        s,
        "| scenario | clients | req/s | × baseline | p50 ms | p99 ms | server CPU µs/req | errors | stream |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|");
    for p in points {
        let _ = writeln!(s, "{}", row(p));
    }
    if !startups.is_empty() {
        let _ = writeln!(
            s,
            "\n| store | start to ready ms | idle RSS MiB | peak RSS after the run MiB |"
        );
        let _ = writeln!(s, "|---|---|---|---|");
        for st in startups {
            let _ = writeln!(
                s,
                "| {} | {:.1} | {:.1} | {:.1} |",
                st.store,
                st.ready.as_secs_f64() * 1e3,
                st.idle_rss_kib as f64 / 1024.0,
                st.peak_rss_kib as f64 / 1024.0
            );
        }
    }
    if !fanouts.is_empty() {
        let _ = writeln!(
            s,
            "\n| fan-out | store | open all ms | one event reaches all ms | reached | RSS per stream KiB | store reads/s, all idle |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|");
        for (store, f, reads) in fanouts {
            let _ = writeln!(
                s,
                "| {} streams, {} task(s) | {store} | {:.0} | {:.1} | {} | {:.1} | {reads:.1} |",
                f.streams,
                f.tasks,
                f.connect.as_secs_f64() * 1e3,
                f.spread.as_secs_f64() * 1e3,
                f.reached,
                f.rss_per_stream_kib
            );
        }
    }
    s
}

/// A fresh temporary folder (removed by the OS's tmp cleaning; the runs are small).
fn tempdir() -> Result<PathBuf> {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("a2agw-bench-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match args.first().map(String::as_str) {
        Some("baseline") => {
            let listen = args.get(1).map_or("127.0.0.1:0", String::as_str);
            runtime.block_on(baseline::serve(listen))
        }
        Some("run") => runtime.block_on(run(parse(&args[1..])?)),
        _ => bail!("usage: a2agw-bench run [options] | a2agw-bench baseline <addr>"),
    }
}
