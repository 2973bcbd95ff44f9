//! `cargo xtask ci`: every check CI runs, in order, stopping at the first
//! failure.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::{codegen, tidy};

pub(crate) fn run(root: &Path) -> Result<()> {
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());

    cargo(root, &["fmt", "--all", "--check"])?;
    cargo(
        root,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
    )?;

    if cargo_subcommand_available(root, "nextest") {
        // All features: the PostgreSQL backend and every provider are tested too.
        cargo(
            root,
            &[
                "nextest",
                "run",
                "--workspace",
                "--all-features",
                "--no-fail-fast",
            ],
        )?;
        // nextest does not run doctests.
        cargo(root, &["test", "--workspace", "--all-features", "--doc"])?;
    } else {
        eprintln!("xtask ci: cargo-nextest not installed, using cargo test");
        cargo(root, &["test", "--workspace", "--all-features"])?;
    }

    if cargo_subcommand_available(root, "deny") {
        // The advisory database is a git clone from GitHub; where that is
        // unreachable, check everything else rather than fail on the network.
        if cargo(root, &["deny", "fetch", "db"]).is_ok() {
            cargo(root, &["deny", "--all-features", "check"])?;
        } else {
            banner(&[
                "WARNING: could not fetch the RustSec advisory database:",
                "SKIPPING `cargo deny check advisories`",
                "(bans, licenses and sources are still checked)",
            ]);
            cargo(
                root,
                &[
                    "deny",
                    "--all-features",
                    "check",
                    "bans",
                    "licenses",
                    "sources",
                ],
            )?;
        }
    } else if in_ci {
        bail!(
            "cargo-deny is not installed, and CI is set: install it with `cargo install --locked cargo-deny`"
        );
    } else {
        banner(&[
            "WARNING: cargo-deny is not installed: SKIPPING `cargo deny check`",
            "install it with `cargo install --locked cargo-deny`",
            "(with CI set in the environment this is an error)",
        ]);
    }

    step("xtask tidy");
    tidy::run(root)?;
    step("xtask codegen --check");
    codegen::run(root, codegen::Mode::Check)?;

    eprintln!("xtask ci: all checks passed");
    Ok(())
}

fn cargo_bin() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// A warning that is hard to miss in a long log.
fn banner(lines: &[&str]) {
    let rule = "*".repeat(72);
    eprintln!();
    eprintln!("xtask ci: {rule}");
    for line in lines {
        eprintln!("xtask ci: {line}");
    }
    eprintln!("xtask ci: {rule}");
    eprintln!();
}

fn step(what: &str) {
    eprintln!("xtask ci: ==> {what}");
}

/// Runs `cargo <args>` in `root`, failing if it does not succeed.
fn cargo(root: &Path, args: &[&str]) -> Result<()> {
    step(&format!("cargo {}", args.join(" ")));
    let status = Command::new(cargo_bin())
        .args(args)
        .current_dir(root)
        .status()
        .with_context(|| format!("starting `cargo {}`", args.join(" ")))?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// Whether `cargo <name> --version` runs successfully.
fn cargo_subcommand_available(root: &Path, name: &str) -> bool {
    Command::new(cargo_bin())
        .args([name, "--version"])
        .current_dir(root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
