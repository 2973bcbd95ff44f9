//! The servers measured, each a child process: started, waited for, read from `/proc`
//! (CPU time, peak and current RSS), stopped.

use anyhow::{Context, Result, bail};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A server under measurement.
#[derive(Debug)]
pub(crate) struct Server {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Where it serves gRPC, when not at `addr` (the baseline's gRPC server).
    pub grpc_addr: Option<SocketAddr>,
    /// From spawn to ready (the gateway's `/readyz` answering 200).
    pub ready_after: Duration,
}

/// CPU time used by a process so far (user + system).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cpu(Duration);

impl Cpu {
    /// The CPU time between `earlier` and `self`.
    pub(crate) fn since(self, earlier: Cpu) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

/// Clock ticks per second of `/proc/<pid>/stat` (`sysconf(_SC_CLK_TCK)`, 100 on Linux).
const TICKS_PER_SEC: u64 = 100;

impl Server {
    /// The baseline server: this binary's `baseline` subcommand.
    pub(crate) async fn baseline() -> Result<Server> {
        let started = Instant::now();
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .args(["baseline", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting the baseline server")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .context("the baseline server did not start")??
            .unwrap_or_default();
        let (addr, grpc) = line
            .strip_prefix("listening ")
            .and_then(|rest| rest.split_once(" grpc "))
            .context("the baseline server said something else")?;
        Ok(Server {
            child,
            addr: addr.parse()?,
            grpc_addr: Some(grpc.parse()?),
            ready_after: started.elapsed(),
        })
    }

    /// The gateway binary `exe` with `config` (TOML) and `env`, in `dir`; ready when its
    /// `/readyz` answers 200.
    pub(crate) async fn gateway(
        exe: &Path,
        dir: &Path,
        config: &str,
        env: &[(&str, String)],
    ) -> Result<Server> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let config_path = dir.join("gateway.toml");
        std::fs::write(&config_path, config)?;
        let log = dir.join("gateway.log");
        let log_file = std::fs::File::create(&log)?;
        let started = Instant::now();
        let mut cmd = Command::new(exe);
        cmd.arg("serve")
            .arg("--config")
            .arg(&config_path)
            .current_dir(dir)
            .env("A2AGW_LISTEN", addr.to_string())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        loop {
            if let Some(status) = child.try_wait()? {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                bail!("the gateway exited ({status}) before it was ready:\n{text}");
            }
            if let Ok((200, _)) = crate::load::get(addr, "/readyz").await {
                break;
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!("the gateway was not ready within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        Ok(Server {
            child,
            addr,
            grpc_addr: None,
            ready_after: started.elapsed(),
        })
    }

    fn pid(&self) -> Result<u32> {
        self.child.id().context("the server has exited")
    }

    /// Its CPU time so far.
    pub(crate) fn cpu(&self) -> Result<Cpu> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()?))?;
        // Fields after the `(comm)`, which may hold spaces: utime is the 14th field.
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        // rest starts at field 3 (state): utime = field 14 → index 11, stime → 12.
        let total = ticks(11) + ticks(12);
        Ok(Cpu(Duration::from_millis(total * 1000 / TICKS_PER_SEC)))
    }

    /// `(peak RSS, current RSS)` in KiB.
    pub(crate) fn rss_kib(&self) -> Result<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?))?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        Ok((field("VmHWM:"), field("VmRSS:")))
    }

    /// Stops it (SIGKILL: nothing it does after the measurement counts).
    pub(crate) async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// The machine's CPU time so far, from `/proc/stat`: `(busy, total)` in clock ticks over
/// every core (busy = total − idle − iowait).
pub(crate) fn machine_cpu() -> Result<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let line = stat.lines().next().context("empty /proc/stat")?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: u64 = ticks.iter().sum();
    let idle = ticks.get(3).copied().unwrap_or(0) + ticks.get(4).copied().unwrap_or(0);
    Ok((total - idle, total))
}
