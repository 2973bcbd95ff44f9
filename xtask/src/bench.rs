//! `cargo xtask bench [--smoke] [options]`: the benchmarks (`crates/a2agw-bench`) against
//! the gateway binary, every figure with its ratio to a baseline server measured in the
//! same run (BENCHMARKS.md).
//!
//! Without `--smoke`: the release builds of `a2a-gateway` (with PostgreSQL) and
//! `a2agw-bench`, then every scenario, 10 s per point unless `--duration` says otherwise;
//! the other options go to `a2agw-bench run` (`--stores`, `--only`, `--out`).
//! With `--smoke` (what CI runs): the test profile's binaries, which the test suite has
//! already built, and one second per scenario — a check that every scenario still runs,
//! not a measurement. Scenario `appends` is the store's own bench
//! (`cargo bench -p a2agw-task --bench store`), run after the others.

use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::Command;

pub(crate) fn run(root: &Path, args: &[&str]) -> Result<()> {
    let smoke = args.contains(&"--smoke");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target = crate::tck::target_dir(root)?;
    let (gateway, profile) = if smoke {
        (crate::tck::build(root)?, "debug")
    } else {
        eprintln!("xtask bench: ==> cargo build --release -p a2agw --features postgres");
        let status = Command::new(&cargo)
            .args([
                "build",
                "--release",
                "-q",
                "-p",
                "a2agw",
                "--features",
                "postgres",
            ])
            .current_dir(root)
            .status()
            .context("starting cargo")?;
        if !status.success() {
            bail!("building the gateway failed ({status})");
        }
        (target.join("release").join("a2a-gateway"), "release")
    };
    eprintln!("xtask bench: ==> cargo build -p a2agw-bench ({profile})");
    let mut build = Command::new(&cargo);
    build.args(["build", "-q", "-p", "a2agw-bench"]);
    if profile == "release" {
        build.arg("--release");
    }
    let status = build.current_dir(root).status().context("starting cargo")?;
    if !status.success() {
        bail!("building a2agw-bench failed ({status})");
    }
    let bench = target.join(profile).join("a2agw-bench");
    let status = Command::new(&bench)
        .arg("run")
        .arg("--gateway")
        .arg(&gateway)
        .args(args)
        .current_dir(root)
        .status()
        .with_context(|| format!("starting {}", bench.display()))?;
    if !status.success() {
        bail!("the benchmarks failed ({status})");
    }
    if wants(args, "appends") {
        appends(root, &cargo, smoke)?;
    }
    Ok(())
}

/// Whether `--only` (absent: every scenario) names `scenario`.
fn wants(args: &[&str], scenario: &str) -> bool {
    match args.iter().position(|a| *a == "--only") {
        Some(i) => args
            .get(i + 1)
            .is_some_and(|v| v.split(',').any(|s| s == scenario)),
        None => true,
    }
}

/// Scenario `appends`: the store's durable appends per second on SQLite and PostgreSQL,
/// each beside its raw baseline (`crates/a2agw-task/benches/store.rs`). The smoke runs it
/// in the test profile with a few appends.
fn appends(root: &Path, cargo: &std::ffi::OsStr, smoke: bool) -> Result<()> {
    let postgres = std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], 5432)),
        std::time::Duration::from_secs(1),
    )
    .is_ok();
    eprintln!("xtask bench: ==> cargo bench -p a2agw-task --bench store (appends)");
    let mut cmd = Command::new(cargo);
    cmd.args(["bench", "-q", "-p", "a2agw-task", "--all-features"]);
    if smoke {
        cmd.args(["--profile", "dev"]);
    }
    cmd.args(["--bench", "store", "--", "sqlite"]);
    if postgres {
        cmd.arg("postgres");
    } else {
        eprintln!("xtask bench: nothing listens on 127.0.0.1:5432; appends on PostgreSQL skipped");
    }
    if smoke {
        cmd.arg("--smoke");
    }
    let status = cmd.current_dir(root).status().context("starting cargo")?;
    if !status.success() {
        bail!("the store bench failed ({status})");
    }
    Ok(())
}
