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

    feature_matrix(root)?;

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

    // The official TCK on every binding and store (skipped with a note without
    // ../shared/tck, an error when CI is set).
    step("xtask tck");
    crate::tck::run(root, &crate::tck::Options::parse(&[])?)?;

    // Every benchmark scenario still runs (one second each; no figure is judged).
    step("xtask bench --smoke");
    crate::bench::run(root, &["--smoke"])?;

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

/// The binary builds without warnings with no provider, with each `provider-*` feature
/// alone and with `all-providers`; each provider crate builds alone (its own feature set, not the
/// workspace's union). The features are read from the binary's manifest.
fn feature_matrix(root: &Path) -> Result<()> {
    let features = provider_features(root)?;
    let mut sets = vec![String::new()];
    sets.extend(features.iter().cloned());
    sets.push("all-providers".into());
    // clippy: a check that also fails on warnings (only in workspace crates: `-D
    // warnings` after `--` does not rebuild dependencies, unlike RUSTFLAGS).
    for set in &sets {
        let mut args = vec!["clippy", "-p", "a2agw", "--bins", "--no-default-features"];
        if !set.is_empty() {
            args.extend(["--features", set]);
        }
        args.extend(["--", "-D", "warnings"]);
        cargo(root, &args)?;
    }
    for feature in &features {
        let krate = format!("a2agw-{feature}");
        cargo(
            root,
            &["clippy", "-p", &krate, "--lib", "--", "-D", "warnings"],
        )?;
    }
    Ok(())
}

/// The `provider-*` features of `crates/a2agw/Cargo.toml`, sorted.
pub(crate) fn provider_features(root: &Path) -> Result<Vec<String>> {
    let path = root.join("crates/a2agw/Cargo.toml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let manifest: toml::Table =
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let mut features: Vec<String> = manifest
        .get("features")
        .and_then(toml::Value::as_table)
        .map(|t| {
            t.keys()
                .filter(|k| k.starts_with("provider-"))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    features.sort();
    if features.is_empty() {
        bail!("{}: no `provider-*` features", path.display());
    }
    Ok(features)
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
