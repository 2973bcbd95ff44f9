//! `cargo xtask codegen [--check]`: `proto/` → `crates/a2agw-proto/src/generated/`.
//!
//! protox compiles the protos (no system `protoc`), tonic-prost-build writes
//! the prost messages and tonic client/server stubs into a temporary
//! directory, rustfmt normalises them, and the result is either copied over
//! the checked-in files or (with `--check`) compared with them.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The proto file to compile, relative to `proto/`.
const PROTO: &str = "a2a/v1/a2a.proto";
/// Where the checked-in output lives, relative to the workspace root.
const GENERATED_DIR: &str = "crates/a2agw-proto/src/generated";
/// The Rust module prost-build writes for package `lf.a2a.v1`.
const RUST_FILE: &str = "lf.a2a.v1.rs";
/// Encoded `FileDescriptorSet` (with imports, without source info).
const DESCRIPTOR_FILE: &str = "a2a_descriptor.bin";

/// Whether to write the generated files or only compare them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Overwrite the checked-in files.
    Write,
    /// Fail if any checked-in file differs from freshly generated output.
    Check,
}

pub(crate) fn run(root: &Path, mode: Mode) -> Result<()> {
    let tmp = tempfile::Builder::new()
        .prefix("a2agw-codegen-")
        .tempdir()
        .context("creating a temporary directory")?;
    generate(root, tmp.path())?;

    let target = root.join(GENERATED_DIR);
    let fresh = list_files(tmp.path())?;
    let existing = if target.is_dir() {
        list_files(&target)?
    } else {
        BTreeSet::new()
    };

    let mut differing = Vec::new();
    for name in &fresh {
        let new = fs::read(tmp.path().join(name))?;
        let old = fs::read(target.join(name)).ok();
        if old.as_deref() != Some(new.as_slice()) {
            differing.push((name.clone(), old.is_none()));
        }
    }
    let extra: Vec<&String> = existing.difference(&fresh).collect();

    match mode {
        Mode::Check => {
            if differing.is_empty() && extra.is_empty() {
                eprintln!("codegen: {GENERATED_DIR} is up to date");
                return Ok(());
            }
            for (name, missing) in &differing {
                let what = if *missing { "missing" } else { "stale" };
                eprintln!("codegen: {what} generated file: {GENERATED_DIR}/{name}");
            }
            for name in &extra {
                eprintln!("codegen: unexpected file (not generated): {GENERATED_DIR}/{name}");
            }
            bail!("generated code is out of date with proto/: run `cargo xtask codegen`");
        }
        Mode::Write => {
            fs::create_dir_all(&target)
                .with_context(|| format!("creating {}", target.display()))?;
            for (name, _) in &differing {
                fs::copy(tmp.path().join(name), target.join(name))
                    .with_context(|| format!("writing {GENERATED_DIR}/{name}"))?;
                eprintln!("codegen: updated {GENERATED_DIR}/{name}");
            }
            for name in &extra {
                fs::remove_file(target.join(name))
                    .with_context(|| format!("removing {GENERATED_DIR}/{name}"))?;
                eprintln!("codegen: removed {GENERATED_DIR}/{name}");
            }
            if differing.is_empty() && extra.is_empty() {
                eprintln!("codegen: {GENERATED_DIR} already up to date");
            }
            Ok(())
        }
    }
}

/// Generates every file of `GENERATED_DIR` into `out`.
fn generate(root: &Path, out: &Path) -> Result<()> {
    let proto_dir = root.join("proto");

    // Rust code. prost-build needs the imported files in the set to resolve
    // types, but generates code only for `lf.a2a.v1`: google.protobuf maps to
    // prost-types, and the google.api files only declare options (no field
    // uses their types), so that package is marked extern (never referenced).
    let mut compiler = protox::Compiler::new([&proto_dir])
        .with_context(|| format!("setting up protox for {}", proto_dir.display()))?;
    compiler
        .include_imports(true)
        .include_source_info(true)
        .open_file(PROTO)
        .map_err(|e| anyhow::anyhow!("{e:?}"))
        .with_context(|| format!("compiling proto/{PROTO}"))?;
    let fds = compiler.file_descriptor_set();
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .build_transport(false)
        .emit_rerun_if_changed(false)
        .extern_path(".google.api", "crate::__unused_google_api")
        // BTreeMap for proto maps: deterministic encoding (equal messages, equal bytes).
        .btree_map(".")
        .out_dir(out)
        .compile_fds(fds)
        .context("running tonic-prost-build")?;

    let produced = list_files(out)?;
    let expected = BTreeSet::from([RUST_FILE.to_owned()]);
    if produced != expected {
        bail!("tonic-prost-build produced {produced:?}, expected {expected:?}");
    }
    rustfmt(root, &out.join(RUST_FILE))?;

    // Descriptor set for gRPC reflection: every file (imports included) so a
    // reflection client can resolve all types; no source info, so comment
    // edits do not churn the binary. `encode_file_descriptor_set` keeps the
    // custom options (google.api.http, field_behavior).
    let mut compiler = protox::Compiler::new([&proto_dir])?;
    compiler
        .include_imports(true)
        .include_source_info(false)
        .open_file(PROTO)
        .map_err(|e| anyhow::anyhow!("{e:?}"))
        .with_context(|| format!("compiling proto/{PROTO}"))?;
    fs::write(
        out.join(DESCRIPTOR_FILE),
        compiler.encode_file_descriptor_set(),
    )?;
    Ok(())
}

/// Formats `file` with the workspace's rustfmt settings (edition 2024).
fn rustfmt(root: &Path, file: &Path) -> Result<()> {
    let status = Command::new("rustfmt")
        .arg("--edition")
        .arg("2024")
        .arg("--config-path")
        .arg(root.join("rustfmt.toml"))
        .arg(file)
        .status()
        .context("running rustfmt (is the rustfmt component installed?)")?;
    if !status.success() {
        bail!("rustfmt failed on {} ({status})", file.display());
    }
    Ok(())
}

/// Names of the regular files directly inside `dir`.
fn list_files(dir: &Path) -> Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            names.insert(entry.file_name().to_string_lossy().into_owned());
        }
    }
    Ok(names)
}
