//! `cargo xtask tidy`: repository-wide checks that `rustc` cannot make.
//!
//! - Every internal normal/build dependency edge is allowed by the layering
//!   table in ARCHITECTURE.md (`## Layering`).
//! - The L0 crates do not (transitively, normal edges) depend on tokio,
//!   hyper, axum or reqwest.
//! - Cargo.toml hygiene: workspace-inherited `version` (0.0.0), `publish =
//!   false`, `[lints] workspace = true`.
//! - Each crate root (`src/lib.rs` / `src/main.rs`) opens with a `//!` line.
//! - The server's shape ([`shape`]): errors turned into wire responses only in
//!   `error/respond.rs`, one call path for the three bindings, no cycle between its
//!   modules, no `pub mod` in its `lib.rs`.
//!
//! The same checks run as the `tidy` unit test, so `cargo test --workspace`
//! fails on a violation.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};
use cargo_metadata::{DependencyKind, Metadata, MetadataCommand, Package, PackageId};

mod shape;
#[cfg(test)]
mod tests;

/// Crates an L0 crate must never reach through normal dependencies.
const FORBIDDEN_IN_L0: &[&str] = &["tokio", "hyper", "axum", "reqwest"];

/// `(crate, dependency)` pairs: when checking `crate`, the subtree below
/// `dependency` (wherever it is reached, e.g. also via `tonic-prost` and
/// `tonic-types`) is exempt from the [`FORBIDDEN_IN_L0`] check.
///
/// `a2agw-proto` → `tonic`: tonic (even with only the `codegen` feature) has
/// unconditional dependencies on `tokio-stream` and `tokio-util`, which pull
/// in `tokio` (its `sync` parts only, no runtime). Moreover `cargo metadata`
/// resolves features for the whole workspace at once, so as soon as
/// `a2agw-server` enables tonic's `server`/`channel` features, hyper shows
/// up below tonic here too, although `cargo build -p a2agw-proto` does not
/// build it. Everything that does not go through tonic is still checked.
const L0_EXEMPT_SUBTREES: &[(&str, &str)] = &[("a2agw-proto", "tonic")];

/// Runs all checks, prints every violation and fails if there is any.
pub(crate) fn run(root: &Path) -> Result<()> {
    let violations = check(root)?;
    if violations.is_empty() {
        eprintln!("tidy: ok");
        return Ok(());
    }
    for v in &violations {
        eprintln!("tidy: {v}");
    }
    bail!("tidy found {} violation(s)", violations.len())
}

/// Runs all checks and returns the violations, one message each.
pub(crate) fn check(root: &Path) -> Result<Vec<String>> {
    let arch = root.join("ARCHITECTURE.md");
    let arch_text =
        fs::read_to_string(&arch).with_context(|| format!("reading {}", arch.display()))?;
    let table = parse_layering(&arch_text).context("parsing the layering table")?;

    let metadata = MetadataCommand::new()
        .manifest_path(root.join("Cargo.toml"))
        .exec()
        .context("running cargo metadata")?;

    let mut violations = Vec::new();
    check_layering(&metadata, &table, &mut violations);
    check_l0_closure(&metadata, &table, &mut violations);
    for package in metadata.workspace_packages() {
        check_hygiene(package, &mut violations)?;
    }
    check_provider_features(&metadata, &mut violations);
    shape::check(root, &mut violations)?;
    Ok(violations)
}

/// The binary's provider features: each `provider-<name>` enables exactly the crate
/// `a2agw-provider-<name>`, every provider crate has its feature, and `all-providers`
/// lists them all.
fn check_provider_features(metadata: &Metadata, violations: &mut Vec<String>) {
    let Some(bin) = metadata
        .workspace_packages()
        .into_iter()
        .find(|p| p.name.as_str() == "a2agw")
    else {
        violations.push("the binary crate `a2agw` is missing".into());
        return;
    };
    let features = &bin.features;
    let all = features.get("all-providers").cloned().unwrap_or_default();
    for (name, enables) in features.iter().filter(|(k, _)| k.starts_with("provider-")) {
        let dep = format!("dep:a2agw-{name}");
        if !enables.contains(&dep) {
            violations.push(format!("a2agw feature `{name}` must enable `{dep}`"));
        }
        if !all.contains(name) {
            violations.push(format!("a2agw feature `all-providers` must list `{name}`"));
        }
    }
    for package in metadata.workspace_packages() {
        let Some(provider) = package.name.as_str().strip_prefix("a2agw-provider-") else {
            continue;
        };
        if !features.contains_key(&format!("provider-{provider}")) {
            violations.push(format!(
                "{} has no `provider-{provider}` feature in the binary crate `a2agw`",
                package.name
            ));
        }
    }
}

/// One row of the layering table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    pub(crate) name: String,
    pub(crate) level: String,
    pub(crate) allowed: Allowed,
    /// Marked "(dev-dependency only)": no crate may have it as a normal or
    /// build dependency.
    pub(crate) dev_only: bool,
}

/// The "may depend on" column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Allowed {
    /// "any crate": every workspace crate.
    Any,
    /// "any crate above": every crate listed in an earlier row.
    AnyAbove,
    /// An explicit list (empty for "—" / "none").
    List(Vec<String>),
}

/// Parses the table under `## Layering`.
pub(crate) fn parse_layering(text: &str) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    let mut in_section = false;
    for (idx, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(heading) = line.strip_prefix("## ") {
            in_section = heading.trim() == "Layering";
            continue;
        }
        if !in_section || !line.starts_with('|') {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() != 3 {
            bail!(
                "ARCHITECTURE.md:{}: expected 3 columns, found {}",
                idx + 1,
                cells.len()
            );
        }
        if cells[0] == "crate" || cells[0].chars().all(|c| matches!(c, '-' | ':' | ' ')) {
            continue; // header or separator
        }
        let Some(name) = backticked(cells[0]).into_iter().next() else {
            bail!(
                "ARCHITECTURE.md:{}: crate cell must be `name`: {:?}",
                idx + 1,
                cells[0]
            );
        };
        let spec = cells[2];
        let lower = spec.to_ascii_lowercase();
        let allowed = if lower.starts_with("any crate above") {
            Allowed::AnyAbove
        } else if lower.starts_with("any crate") {
            Allowed::Any
        } else if matches!(spec, "—" | "-" | "–") || lower.starts_with("none") {
            Allowed::List(Vec::new())
        } else {
            let names = backticked(spec);
            if names.is_empty() {
                bail!(
                    "ARCHITECTURE.md:{}: cannot read \"may depend on\": {spec:?}",
                    idx + 1
                );
            }
            Allowed::List(names)
        };
        rows.push(Row {
            name,
            level: cells[1].to_owned(),
            allowed,
            dev_only: lower.contains("dev-dependency only"),
        });
    }
    if rows.is_empty() {
        bail!("no `## Layering` table found");
    }
    Ok(rows)
}

/// The contents of every `` `...` `` span in `s`.
fn backticked(s: &str) -> Vec<String> {
    s.split('`')
        .skip(1)
        .step_by(2)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether the crate of row `from` may have a normal/build dependency on `to`.
pub(crate) fn edge_allowed(table: &[Row], from: &str, to: &str) -> Result<(), String> {
    let Some(from_idx) = table.iter().position(|r| r.name == from) else {
        return Err(format!(
            "crate `{from}` is not in the layering table (ARCHITECTURE.md)"
        ));
    };
    let Some(to_idx) = table.iter().position(|r| r.name == to) else {
        return Err(format!(
            "crate `{to}` (a dependency of `{from}`) is not in the layering table"
        ));
    };
    if table[to_idx].dev_only {
        return Err(format!(
            "`{from}` depends on `{to}`, which may only be a dev-dependency"
        ));
    }
    let ok = match &table[from_idx].allowed {
        Allowed::Any => true,
        Allowed::AnyAbove => to_idx < from_idx,
        Allowed::List(names) => names.iter().any(|n| n == to),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{from}` ({}) must not depend on `{to}` ({}): not allowed by the layering table",
            table[from_idx].level, table[to_idx].level
        ))
    }
}

fn check_layering(metadata: &Metadata, table: &[Row], violations: &mut Vec<String>) {
    let members: Vec<&Package> = metadata.workspace_packages();
    let member_names: Vec<&str> = members.iter().map(|p| p.name.as_str()).collect();
    for package in &members {
        let from = package.name.as_str();
        if !table.iter().any(|r| r.name == from) {
            violations.push(format!(
                "crate `{from}` is not in the layering table (ARCHITECTURE.md)"
            ));
            continue;
        }
        for dep in &package.dependencies {
            let internal = dep.path.is_some() && member_names.contains(&dep.name.as_str());
            if !internal || dep.name == from {
                continue;
            }
            let kind = match dep.kind {
                DependencyKind::Normal => "normal",
                DependencyKind::Build => "build",
                _ => continue, // dev-dependencies are not layered
            };
            if let Err(msg) = edge_allowed(table, from, &dep.name) {
                violations.push(format!("{msg} [{kind} dependency]"));
            }
        }
    }
}

fn check_l0_closure(metadata: &Metadata, table: &[Row], violations: &mut Vec<String>) {
    let Some(resolve) = &metadata.resolve else {
        violations.push("cargo metadata returned no dependency graph".to_owned());
        return;
    };
    let names: HashMap<&PackageId, &str> = metadata
        .packages
        .iter()
        .map(|p| (&p.id, p.name.as_str()))
        .collect();
    let nodes: HashMap<&PackageId, &cargo_metadata::Node> =
        resolve.nodes.iter().map(|n| (&n.id, n)).collect();

    for package in metadata.workspace_packages() {
        let root_name = package.name.as_str();
        if !table.iter().any(|r| r.name == root_name && r.level == "L0") {
            continue;
        }
        // BFS over normal edges, remembering each node's parent for the path.
        let mut parent: BTreeMap<&PackageId, Option<&PackageId>> = BTreeMap::new();
        let mut queue = VecDeque::from([&package.id]);
        parent.insert(&package.id, None);
        while let Some(id) = queue.pop_front() {
            let Some(node) = nodes.get(id) else { continue };
            for dep in &node.deps {
                let normal = dep
                    .dep_kinds
                    .iter()
                    .any(|k| k.kind == DependencyKind::Normal);
                if !normal || parent.contains_key(&dep.pkg) {
                    continue;
                }
                let dep_name = names.get(&dep.pkg).copied().unwrap_or_default();
                if L0_EXEMPT_SUBTREES.contains(&(root_name, dep_name)) {
                    continue;
                }
                parent.insert(&dep.pkg, Some(id));
                if FORBIDDEN_IN_L0.contains(&dep_name) {
                    let mut path = vec![dep_name];
                    let mut cur = Some(id);
                    while let Some(c) = cur {
                        path.push(names.get(c).copied().unwrap_or("?"));
                        cur = parent.get(c).copied().flatten();
                    }
                    path.reverse();
                    violations.push(format!(
                        "L0 crate `{root_name}` depends on `{dep_name}`: {}",
                        path.join(" -> ")
                    ));
                    continue;
                }
                queue.push_back(&dep.pkg);
            }
        }
    }
}

fn check_hygiene(package: &Package, violations: &mut Vec<String>) -> Result<()> {
    let name = package.name.as_str();
    let manifest_path = package.manifest_path.as_std_path();
    if package.version.to_string() != "0.0.0" {
        violations.push(format!(
            "`{name}`: version is {}, must be 0.0.0",
            package.version
        ));
    }
    if package.publish.as_ref().is_none_or(|p| !p.is_empty()) {
        violations.push(format!("`{name}`: must have `publish = false`"));
    }

    let text = fs::read_to_string(manifest_path)
        .with_context(|| format!("reading {}", manifest_path.display()))?;
    let manifest: toml::Table =
        toml::from_str(&text).with_context(|| format!("parsing {}", manifest_path.display()))?;
    let pkg = manifest.get("package").and_then(toml::Value::as_table);
    let inherited = |key: &str| {
        pkg.and_then(|p| p.get(key))
            .and_then(toml::Value::as_table)
            .and_then(|t| t.get("workspace"))
            .and_then(toml::Value::as_bool)
            == Some(true)
    };
    if !inherited("version") {
        violations.push(format!(
            "`{name}`: use `version.workspace = true` in {}",
            manifest_path.display()
        ));
    }
    let publish_false = pkg
        .and_then(|p| p.get("publish"))
        .and_then(toml::Value::as_bool)
        == Some(false);
    if !inherited("publish") && !publish_false {
        violations.push(format!(
            "`{name}`: use `publish.workspace = true` (or `publish = false`) in {}",
            manifest_path.display()
        ));
    }
    let lints_ws = manifest
        .get("lints")
        .and_then(toml::Value::as_table)
        .and_then(|t| t.get("workspace"))
        .and_then(toml::Value::as_bool);
    if lints_ws != Some(true) {
        violations.push(format!(
            "`{name}`: add `[lints] workspace = true` to {}",
            manifest_path.display()
        ));
    }

    let dir = manifest_path.parent().unwrap_or(Path::new("."));
    let roots: Vec<_> = ["src/lib.rs", "src/main.rs"]
        .iter()
        .map(|r| dir.join(r))
        .filter(|p| p.is_file())
        .collect();
    if roots.is_empty() {
        violations.push(format!("`{name}`: has neither src/lib.rs nor src/main.rs"));
    }
    for root in roots {
        let text =
            fs::read_to_string(&root).with_context(|| format!("reading {}", root.display()))?;
        if !text.starts_with("//!") {
            violations.push(format!(
                "`{name}`: {} must begin with a `//!` line saying what the crate is for",
                root.display()
            ));
        }
    }
    Ok(())
}
