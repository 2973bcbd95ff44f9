//! Project automation for a2a-gateway: `cargo xtask codegen|tidy|tck|ci`.
//!
//! - `codegen [--check]`: regenerate `crates/a2agw-proto/src/generated/` from
//!   `proto/` with protox (no system `protoc`); `--check` only compares.
//! - `tidy`: layering table, Cargo.toml hygiene, crate-doc and server-shape checks (also
//!   run by `cargo test` through `tidy::tests`).
//! - `tck [--report] [--store LIST]`: the official A2A TCK against the gateway with
//!   the conformance agent, on every binding and store (see [`tck`]).
//! - `bench [--smoke] [options]`: the benchmarks (see [`bench`]).
//! - `ci`: fmt, clippy, tests, the TCK, the bench smoke, deny, tidy and `codegen --check`, in that
//!   order, stopping at the first failure.

mod bench;
mod ci;
mod codegen;
mod tck;
mod tidy;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  codegen [--check]   regenerate crates/a2agw-proto/src/generated/ from proto/
                      (--check: fail if the checked-in files are stale)
  tidy                check the layering table, Cargo.toml hygiene and the
                      server's shape
  tck [--report] [--store memory,sqlite,postgres]
                      run the official A2A TCK (../shared/tck) against the gateway
                      with the conformance agent, once per store (--report: write
                      the tables into docs/conformance.md)
  bench [--smoke] [--duration S] [--stores LIST] [--only send,stream,startup] [--out FILE]
                      the benchmarks against the release binary, as ratios to a
                      baseline server of the same run (--smoke: 1 s per scenario,
                      test-profile binaries, as CI runs it)
  ci                  run fmt, clippy, tests, the TCK, the bench smoke, deny, tidy
                      and codegen --check";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let root = workspace_root();
    match args.as_slice() {
        ["codegen"] => codegen::run(&root, codegen::Mode::Write),
        ["codegen", "--check"] => codegen::run(&root, codegen::Mode::Check),
        ["tidy"] => tidy::run(&root),
        ["tck", rest @ ..] => tck::run(&root, &tck::Options::parse(rest)?),
        ["bench", rest @ ..] => bench::run(&root, rest),
        ["ci"] => ci::run(&root),
        ["help" | "--help" | "-h"] => {
            eprintln!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            anyhow::bail!("unknown or missing command: {args:?}")
        }
    }
}

/// The workspace root: the parent of this crate's directory. `cargo run` sets
/// `CARGO_MANIFEST_DIR` at run time; the compile-time value is the fallback (it is stale
/// when a checkout is moved with its `target/`).
fn workspace_root() -> PathBuf {
    let xtask_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    xtask_dir
        .parent()
        .map_or_else(|| xtask_dir.clone(), Path::to_path_buf)
}
