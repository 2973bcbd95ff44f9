//! The harness: a real `a2a-gateway` process on a free local port ([`Gateway`]), and the
//! Python interop scripts of `tests/python/` run against it with the interpreter of the
//! virtualenv `.ci/run` prepares ([`run_script`]).
//!
//! The interpreter is `$A2AGW_PYTHON`, else `~/.cache/a2a-gateway/venv/bin/python`; it must
//! import the official SDK (`a2a`, with gRPC). When it cannot, the Python tests are skipped
//! with the reason printed, unless `CI` is set: then they fail.

// Helpers outside #[test] functions may unwrap (a failure is a test failure) and print
// (each script's results, shown with `--nocapture`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

/// How long one script may run before it is killed and the test fails.
pub(crate) const SCRIPT_TIMEOUT: Duration = Duration::from_secs(60);

/// How long the gateway may take to answer `/readyz`.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// The folder of the Python scripts.
pub(crate) fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python")
}

fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// The gateway binary, running on `127.0.0.1:<free port>` with a SQLite file in a temporary
/// folder (also its working directory) and the demo agent; killed on drop.
#[derive(Debug)]
pub(crate) struct Gateway {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Gateway {
    /// The default configuration (anonymous access, demo agent).
    pub(crate) fn start() -> Gateway {
        Gateway::start_with(None)
    }

    /// With this TOML configuration file (the listen address and store still come from the
    /// environment overrides).
    pub(crate) fn start_with(config: Option<&str>) -> Gateway {
        Gateway::start_env(config, &[])
    }

    /// Like [`Gateway::start_with`], with more environment variables (set last: they win,
    /// e.g. `A2AGW_STORE=postgres`).
    pub(crate) fn start_env(config: Option<&str>, extra: &[(&str, &str)]) -> Gateway {
        let mut last_log = String::new();
        // A port found free may be taken before the gateway binds it: then try another.
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let log = std::fs::File::create(dir.path().join("gateway.log")).unwrap();
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_a2a-gateway"));
            cmd.arg("serve");
            if let Some(toml) = config {
                let path = dir.path().join("gateway.toml");
                std::fs::write(&path, toml).unwrap();
                cmd.arg("--config").arg(path);
            }
            let child = cmd
                .current_dir(dir.path())
                .env("A2AGW_LISTEN", addr.to_string())
                .env("A2AGW_STORE", "sqlite")
                .env("A2AGW_SQLITE_PATH", dir.path().join("gateway.db"))
                .env_remove("A2AGW_PUBLIC_URL")
                .env("NO_COLOR", "1")
                .env(
                    "RUST_LOG",
                    std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
                )
                .envs(extra.iter().copied())
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("starting the a2a-gateway binary");
            let mut gateway = Gateway { child, addr, dir };
            if gateway.wait_ready() {
                return gateway;
            }
            last_log = gateway.log();
        }
        panic!("the gateway did not become ready; its last log:\n{last_log}");
    }

    /// Polls `/readyz` until it answers 200; false if the process exits or time runs out.
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + READY_TIMEOUT;
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            if http_get_status(self.addr, "/readyz") == Some(200) {
                return true;
            }
            thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// The base URL, e.g. `http://127.0.0.1:40123`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The gateway's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Where its configuration file is (written by [`Gateway::start_with`] when it was
    /// given one).
    pub(crate) fn config_path(&self) -> PathBuf {
        self.dir.path().join("gateway.toml")
    }

    /// What the gateway logged so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("gateway.log")).unwrap_or_default()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` over a plain socket: the status code, or `None` when nothing answers.
fn http_get_status(addr: SocketAddr, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// The Python interpreter with the official SDK, or why there is none.
fn find_python() -> Result<PathBuf, String> {
    let (python, origin) = match std::env::var_os("A2AGW_PYTHON").filter(|v| !v.is_empty()) {
        Some(p) => (PathBuf::from(p), "$A2AGW_PYTHON"),
        None => {
            let home = std::env::var_os("HOME").ok_or("$A2AGW_PYTHON and $HOME are unset")?;
            (
                Path::new(&home).join(".cache/a2a-gateway/venv/bin/python"),
                "the default virtualenv",
            )
        }
    };
    if !python.is_file() {
        return Err(format!(
            "no Python interpreter at {} ({origin}); run .ci/run to create the virtualenv",
            python.display()
        ));
    }
    let out = run_with_timeout(
        Command::new(&python).args([
            "-c",
            "import a2a.client, a2a.client.transports.grpc, a2a.compat.v0_3.jsonrpc_transport, grpc, httpx",
        ]),
        Duration::from_secs(30),
    );
    if !out.status.is_some_and(|s| s.success()) {
        return Err(format!(
            "{} ({origin}) cannot import the official A2A SDK with gRPC (a2a-sdk[http-server,grpc]):\n{}",
            python.display(),
            out.stderr
        ));
    }
    Ok(python)
}

/// The interpreter for the interop scripts; `None` (after printing why) when the tests
/// should be skipped. Panics when `CI` is set and there is no usable interpreter.
pub(crate) fn python() -> Option<&'static Path> {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(find_python) {
        Ok(p) => Some(p),
        Err(why) if in_ci() => panic!("CI is set, and the Python interop tests cannot run: {why}"),
        Err(why) => {
            eprintln!("SKIPPED: Python interop test: {why}");
            None
        }
    }
}

/// What a process did.
#[derive(Debug)]
pub(crate) struct Output {
    /// Exit status, `None` when it was killed at the timeout.
    pub(crate) status: Option<ExitStatus>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `cmd` (stdout and stderr captured), killing it after `timeout`.
fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the Python interpreter");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(25));
    };
    Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// Runs `tests/python/<script> <gateway url> <args…>` and asserts that it exits 0 and
/// reports every scenario in `scenarios` as passed; returns the scenarios' `details`.
/// On failure the panic shows the script's stdout and stderr and the gateway's log.
pub(crate) fn run_script(
    python: &Path,
    gateway: &Gateway,
    script: &str,
    args: &[&str],
    scenarios: &[&str],
) -> Vec<Value> {
    run_script_at(python, gateway, "", script, args, scenarios)
}

/// [`run_script`] with the base URL `<gateway>{path}` (an agent's own base,
/// `/agents/<name>`).
pub(crate) fn run_script_at(
    python: &Path,
    gateway: &Gateway,
    path: &str,
    script: &str,
    args: &[&str],
    scenarios: &[&str],
) -> Vec<Value> {
    let base = format!("{}{path}", gateway.url());
    let mut cmd = Command::new(python);
    cmd.arg(python_dir().join(script))
        .arg(&base)
        .args(args)
        .current_dir(python_dir())
        // No __pycache__ in the source tree; output as it happens.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1");
    let out = run_with_timeout(&mut cmd, SCRIPT_TIMEOUT);
    let what = format!("{script} {base} {}", args.join(" "));
    let show = || {
        format!(
            "--- stdout\n{}\n--- stderr\n{}\n--- gateway log (tail)\n{}",
            out.stdout,
            out.stderr,
            tail(&gateway.log(), 40)
        )
    };
    match out.status {
        None => panic!(
            "`{what}` did not finish within {SCRIPT_TIMEOUT:?} and was killed\n{}",
            show()
        ),
        Some(s) if !s.success() => panic!("`{what}` failed ({s})\n{}", show()),
        Some(_) => {}
    }
    let records: Vec<Value> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect();
    let mut details = Vec::new();
    for scenario in scenarios {
        let record = records
            .iter()
            .find(|r| r["scenario"] == *scenario && r["ok"] == true)
            .unwrap_or_else(|| {
                panic!("`{what}` did not report `{scenario}` as passed\n{}", show())
            });
        println!("{record}");
        details.push(record["details"].clone());
    }
    details
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
