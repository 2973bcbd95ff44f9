use std::path::Path;

use super::{Allowed, check, edge_allowed, parse_layering};

/// The real check over this workspace: `cargo test --workspace` fails on a
/// layering or hygiene violation.
#[test]
fn tidy() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root");
    let violations = check(root).expect("tidy could not run");
    assert!(
        violations.is_empty(),
        "tidy violations:\n{}",
        violations.join("\n")
    );
}

const TABLE: &str = "\
# Architecture

## Layering

| crate | level | may depend on |
|---|---|---|
| `low` | L0 | — |
| `mid` | L1 | `low` |
| `top` | L4 | any crate above |
| `test-utils` | — | any crate (dev-dependency only) |
| `tool` | — | none (tooling) |

## Something else

| `not` | a | row |
";

#[test]
fn parses_the_table() {
    let rows = parse_layering(TABLE).unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["low", "mid", "top", "test-utils", "tool"]);
    assert_eq!(rows[0].allowed, Allowed::List(vec![]));
    assert_eq!(rows[1].allowed, Allowed::List(vec!["low".to_owned()]));
    assert_eq!(rows[2].allowed, Allowed::AnyAbove);
    assert_eq!(rows[3].allowed, Allowed::Any);
    assert!(rows[3].dev_only);
    assert_eq!(rows[4].allowed, Allowed::List(vec![]));
    assert_eq!(rows[1].level, "L1");
}

#[test]
fn edges() {
    let rows = parse_layering(TABLE).unwrap();
    assert!(edge_allowed(&rows, "mid", "low").is_ok());
    assert!(edge_allowed(&rows, "low", "mid").is_err());
    assert!(edge_allowed(&rows, "top", "mid").is_ok());
    // "any crate above" does not reach rows below it.
    assert!(edge_allowed(&rows, "top", "tool").is_err());
    // dev-only crates are never normal/build dependencies.
    assert!(edge_allowed(&rows, "top", "test-utils").is_err());
    assert!(edge_allowed(&rows, "tool", "low").is_err());
    assert!(edge_allowed(&rows, "unknown", "low").is_err());
    assert!(edge_allowed(&rows, "mid", "unknown").is_err());
}

#[test]
fn rejects_unreadable_rows() {
    let bad = "## Layering\n| crate | level | may depend on |\n| `x` | L0 | whatever |\n";
    assert!(parse_layering(bad).is_err());
    assert!(parse_layering("# no table\n").is_err());
}
