//! The shape of the server crate (`crates/a2agw-server/src`), checked on its source text
//! (ARCHITECTURE.md, `a2agw-server`):
//!
//! - **Errors reach the wire in one place.** Outside `error/respond.rs` no code names an
//!   HTTP status of 400 or more (`StatusCode::` followed by any name that is not a 1xx,
//!   2xx or 3xx status, or `StatusCode::from_u16`), builds a gRPC status or code
//!   (`Status::<lower-case constructor>(`, `Code::`, each not part of a longer name such
//!   as `TaskStatus::`), writes a `google.rpc.Status` body (the string `"error"` followed
//!   by `:` as in `json!({"error": …})`, or indexed as `["error"]`), builds a JSON-RPC
//!   error object (`JsonRpcResponse::error(`, `.to_jsonrpc(`), or calls one of the mapping
//!   functions (`http_status(`, `rpc_code(`, `rest_error_body(`, `status_details(`).
//! - **No logic per binding.** `stream_guard(` is called in `app.rs` only; `handler.call(`
//!   and `.call_agent(` in `app.rs` (and `handler.rs`, which defines them) only; a card is
//!   rendered (`.render_at(`, `card.render(`, `.served_json(`, `.with_interfaces(`,
//!   `.signed_json(`, `card_json(`) in `app.rs` and `card.rs` only, and `.card_path(` is
//!   called in `app.rs` and `handler.rs` only: the bindings decode, call `AppState::call`
//!   and encode.
//! - **No module cycles.** The server's top-level modules (each file or directory
//!   directly under `src/`, `lib.rs` aside) are the nodes; a `crate::<module>` path in a
//!   module's files (also inside `crate::{…}` groups, and `crate::<Name>` for a name
//!   `lib.rs` re-exports from a module) is an edge. Any cycle is a violation; there is no
//!   exemption list.
//! - **Private modules.** `lib.rs` declares no `pub mod`; it re-exports what users need.
//!
//! The text is read without comments; a file's test module (from a line that is exactly
//! `#[cfg(test)]` at column 0 to the end of the file) is not read: tests may build
//! whatever they assert on. Whitespace around `.` is ignored, so a method chain that
//! rustfmt splits over lines still matches.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

#[cfg(test)]
mod tests;

/// The server crate's sources, relative to the workspace root.
const SERVER_SRC: &str = "crates/a2agw-server/src";

/// The one file that may turn errors into wire responses.
const RESPOND: &str = "error/respond.rs";

/// The names of `http::StatusCode` constants below 400.
const BELOW_400: &[&str] = &[
    "CONTINUE",
    "SWITCHING_PROTOCOLS",
    "PROCESSING",
    "OK",
    "CREATED",
    "ACCEPTED",
    "NON_AUTHORITATIVE_INFORMATION",
    "NO_CONTENT",
    "RESET_CONTENT",
    "PARTIAL_CONTENT",
    "MULTI_STATUS",
    "ALREADY_REPORTED",
    "IM_USED",
    "MULTIPLE_CHOICES",
    "MOVED_PERMANENTLY",
    "FOUND",
    "SEE_OTHER",
    "NOT_MODIFIED",
    "USE_PROXY",
    "TEMPORARY_REDIRECT",
    "PERMANENT_REDIRECT",
];

/// One source file: its path under `src/` (with `/`) and its text.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub(crate) path: String,
    pub(crate) text: String,
}

/// Reads the server's sources and appends every violation of the rules above.
pub(crate) fn check(root: &Path, violations: &mut Vec<String>) -> Result<()> {
    let src = root.join(SERVER_SRC);
    let mut sources = Vec::new();
    read_dir(&src, &src, &mut sources)?;
    violations.extend(check_sources(&sources));
    Ok(())
}

fn read_dir(base: &Path, dir: &Path, out: &mut Vec<Source>) -> Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .collect::<std::io::Result<_>>()?;
    entries.sort_by_key(std::fs::DirEntry::path);
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            read_dir(base, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(base).unwrap_or(&path);
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let text =
                fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            out.push(Source { path: rel, text });
        }
    }
    Ok(())
}

/// Every violation in `sources` (paths relative to the server's `src/`).
pub(crate) fn check_sources(sources: &[Source]) -> Vec<String> {
    let mut violations = Vec::new();
    for source in sources {
        let code = Code::of(&source.text);
        if source.path != RESPOND {
            for (line, what) in error_responses(&code) {
                violations.push(format!(
                    "{SERVER_SRC}/{}:{line}: {what} outside {RESPOND}, the one place that \
                     turns errors into wire responses",
                    source.path
                ));
            }
        }
        for (line, what, allowed) in per_binding(&code, &source.path) {
            violations.push(format!(
                "{SERVER_SRC}/{}:{line}: {what} outside {allowed}: a binding only decodes, \
                 calls `AppState::call` and encodes",
                source.path
            ));
        }
        if source.path == "lib.rs" {
            for (idx, l) in source.text.lines().enumerate() {
                if l.trim_start().starts_with("pub mod ") {
                    violations.push(format!(
                        "{SERVER_SRC}/lib.rs:{}: `pub mod`: the server's modules are private; \
                         re-export what users need with `pub use`",
                        idx + 1
                    ));
                }
            }
        }
    }
    for cycle in module_cycles(sources) {
        violations.push(format!("{SERVER_SRC}: the modules form a cycle: {cycle}"));
    }
    violations
}

/// Source text without comments and the test module, whitespace around `.` removed,
/// with the line each character came from.
#[derive(Debug)]
struct Code {
    chars: Vec<char>,
    lines: Vec<usize>,
}

impl Code {
    fn of(text: &str) -> Code {
        let text = match text
            .lines()
            .scan(0, |offset, l| {
                let start = *offset;
                *offset += l.len() + 1;
                Some((start, l))
            })
            .find(|(_, l)| l.trim_end() == "#[cfg(test)]")
        {
            Some((start, _)) => &text[..start],
            None => text,
        };
        // Comments out (strings kept), as (char, line) pairs.
        let src: Vec<char> = text.chars().collect();
        let mut kept: Vec<(char, usize)> = Vec::new();
        let mut line = 1;
        let mut i = 0;
        let mut in_str = false;
        while i < src.len() {
            let c = src[i];
            let next = src.get(i + 1).copied();
            if in_str {
                kept.push((c, line));
                if c == '\\' {
                    if let Some(n) = next {
                        kept.push((n, line));
                        if n == '\n' {
                            line += 1;
                        }
                    }
                    i += 2;
                    continue;
                }
                if c == '"' {
                    in_str = false;
                }
                if c == '\n' {
                    line += 1;
                }
                i += 1;
                continue;
            }
            match (c, next) {
                ('/', Some('/')) => {
                    while i < src.len() && src[i] != '\n' {
                        i += 1;
                    }
                    continue;
                }
                ('/', Some('*')) => {
                    i += 2;
                    while i < src.len() && !(src[i] == '*' && src.get(i + 1) == Some(&'/')) {
                        if src[i] == '\n' {
                            line += 1;
                            kept.push(('\n', line));
                        }
                        i += 1;
                    }
                    i += 2;
                    continue;
                }
                // A `'"'` character literal does not open a string.
                ('\'', Some('"')) if src.get(i + 2) == Some(&'\'') => {
                    kept.extend([('\'', line), ('"', line), ('\'', line)]);
                    i += 3;
                    continue;
                }
                ('"', _) => in_str = true,
                ('\n', _) => line += 1,
                _ => {}
            }
            kept.push((c, line));
            i += 1;
        }
        // Whitespace next to a `.` out, so that split method chains read as one.
        let mut chars = Vec::new();
        let mut lines = Vec::new();
        let mut j = 0;
        while j < kept.len() {
            let (c, l) = kept[j];
            if c.is_whitespace() {
                let mut k = j;
                while k < kept.len() && kept[k].0.is_whitespace() {
                    k += 1;
                }
                let before_dot = kept.get(k).is_some_and(|(n, _)| *n == '.');
                let after_dot = chars.last() == Some(&'.');
                if !before_dot && !after_dot {
                    chars.push(' ');
                    lines.push(l);
                }
                j = k;
                continue;
            }
            chars.push(c);
            lines.push(l);
            j += 1;
        }
        Code { chars, lines }
    }

    /// The positions where `pat` starts.
    fn find(&self, pat: &str) -> Vec<usize> {
        let pat: Vec<char> = pat.chars().collect();
        if pat.is_empty() || pat.len() > self.chars.len() {
            return Vec::new();
        }
        (0..=self.chars.len() - pat.len())
            .filter(|&i| self.chars[i..i + pat.len()] == pat[..])
            .collect()
    }

    /// The positions where `pat` starts and is not the tail of a longer identifier.
    fn find_word(&self, pat: &str) -> Vec<usize> {
        self.find(pat)
            .into_iter()
            .filter(|&i| i == 0 || !is_ident(self.chars[i - 1]))
            .collect()
    }

    /// The identifier starting at `i`.
    fn ident_at(&self, i: usize) -> String {
        self.chars[i.min(self.chars.len())..]
            .iter()
            .take_while(|c| is_ident(**c))
            .collect()
    }

    fn line(&self, i: usize) -> usize {
        self.lines.get(i).copied().unwrap_or(0)
    }
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The error responses `code` builds: (line, what).
fn error_responses(code: &Code) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for i in code.find_word("StatusCode::") {
        let name = code.ident_at(i + "StatusCode::".len());
        if !BELOW_400.contains(&name.as_str()) {
            found.push((
                code.line(i),
                format!("`StatusCode::{name}` (an error status)"),
            ));
        }
    }
    for i in code.find_word("Status::") {
        let name = code.ident_at(i + "Status::".len());
        let called = code.chars.get(i + "Status::".len() + name.len()) == Some(&'(');
        if called && name.starts_with(|c: char| c.is_ascii_lowercase()) {
            found.push((code.line(i), format!("`Status::{name}(` (a gRPC status)")));
        }
    }
    for i in code.find_word("Code::") {
        found.push((code.line(i), "`Code::` (a gRPC code)".to_owned()));
    }
    for pat in ["\"error\":", "\"error\" :", "[\"error\"]"] {
        for i in code.find(pat) {
            found.push((
                code.line(i),
                format!("`{pat}` (a `google.rpc.Status` body)"),
            ));
        }
    }
    for pat in ["JsonRpcResponse::error(", ".to_jsonrpc("] {
        for i in code.find(pat) {
            found.push((code.line(i), format!("`{pat}` (a JSON-RPC error object)")));
        }
    }
    for pat in [
        "http_status(",
        "rpc_code(",
        "rest_error_body(",
        "status_details(",
    ] {
        for i in code.find_word(pat) {
            found.push((code.line(i), format!("`{pat}` (the error mapping)")));
        }
    }
    found.sort();
    found
}

/// Calls that belong to the one call path, made from a file where they do not: (line,
/// what, where they belong).
fn per_binding(code: &Code, path: &str) -> Vec<(usize, String, &'static str)> {
    let rules: &[(&[&str], &[&str], &str)] = &[
        (&["stream_guard("], &["app.rs"], "app.rs"),
        (
            &["handler.call(", ".call_agent("],
            &["app.rs", "handler.rs"],
            "app.rs",
        ),
        (
            &[
                ".render_at(",
                "card.render(",
                ".served_json(",
                ".with_interfaces(",
                ".signed_json(",
                "card_json(",
            ],
            &["app.rs", "card.rs"],
            "app.rs (and card.rs)",
        ),
        (&[".card_path("], &["app.rs", "handler.rs"], "app.rs"),
    ];
    let mut found = Vec::new();
    for (patterns, allowed, belongs) in rules {
        if allowed.contains(&path) {
            continue;
        }
        for pat in *patterns {
            let hits = if pat.starts_with('.') {
                code.find(pat)
            } else {
                code.find_word(pat)
            };
            for i in hits {
                // A definition (`fn stream_guard(`) is not a call.
                let def = code.chars[..i].ends_with(&['f', 'n', ' ']);
                if !def {
                    found.push((code.line(i), format!("`{pat}`"), *belongs));
                }
            }
        }
    }
    found.sort();
    found
}

/// The top-level module a source path belongs to (`None` for `lib.rs`).
fn module_of(path: &str) -> Option<&str> {
    match path.split_once('/') {
        Some((dir, _)) => Some(dir),
        None if path == "lib.rs" || path == "main.rs" => None,
        None => path.strip_suffix(".rs"),
    }
}

/// The names `lib.rs` re-exports from its modules: name → module.
fn root_reexports(lib: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let code = Code::of(lib);
    let text: String = code.chars.iter().collect();
    let mut names = BTreeMap::new();
    for stmt in text.split(';') {
        let stmt = stmt.trim();
        let Some(rest) = stmt
            .strip_prefix("pub use ")
            .or_else(|| stmt.strip_prefix("pub(crate) use "))
        else {
            continue;
        };
        let rest = rest.trim().trim_start_matches("crate::");
        let module: String = rest.chars().take_while(|c| is_ident(*c)).collect();
        if !modules.contains(&module) {
            continue;
        }
        let tail = &rest[module.len()..];
        for piece in tail.split([',', '{', '}']) {
            let piece = piece.trim().trim_start_matches("::");
            let name = match piece.rsplit_once(" as ") {
                Some((_, alias)) => alias.trim(),
                None => piece.rsplit("::").next().unwrap_or("").trim(),
            };
            if !name.is_empty() && name != "self" && name.chars().all(is_ident) {
                names.insert(name.to_owned(), module.clone());
            }
        }
    }
    names
}

/// Every cycle among the top-level modules, as `a -> b -> a` with where each edge is.
fn module_cycles(sources: &[Source]) -> Vec<String> {
    let modules: BTreeSet<String> = sources
        .iter()
        .filter_map(|s| module_of(&s.path))
        .map(str::to_owned)
        .collect();
    let reexports = sources
        .iter()
        .find(|s| s.path == "lib.rs")
        .map(|s| root_reexports(&s.text, &modules))
        .unwrap_or_default();
    // from → to → the first place that makes the edge.
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for source in sources {
        let Some(from) = module_of(&source.path) else {
            continue;
        };
        let code = Code::of(&source.text);
        for i in code.find_word("crate::") {
            let at = i + "crate::".len();
            let targets: Vec<String> = if code.chars.get(at) == Some(&'{') {
                group_heads(&code.chars[at..])
            } else {
                vec![code.ident_at(at)]
            };
            for target in targets {
                let to = if modules.contains(&target) {
                    target
                } else if let Some(m) = reexports.get(&target) {
                    m.clone()
                } else {
                    continue;
                };
                if to != from {
                    edges
                        .entry(from.to_owned())
                        .or_default()
                        .entry(to)
                        .or_insert_with(|| format!("{}:{}", source.path, code.line(i)));
                }
            }
        }
    }
    let mut cycles = BTreeSet::new();
    let mut state: BTreeMap<&str, u8> = BTreeMap::new(); // 1: on the stack, 2: done
    let mut stack: Vec<&str> = Vec::new();
    for m in &modules {
        dfs(m, &edges, &mut state, &mut stack, &mut cycles);
    }
    cycles
        .into_iter()
        .map(|cycle: Vec<String>| {
            let places: Vec<String> = cycle
                .windows(2)
                .map(|w| {
                    let at = edges
                        .get(&w[0])
                        .and_then(|t| t.get(&w[1]))
                        .map_or("?", String::as_str);
                    format!("{} -> {} at {at}", w[0], w[1])
                })
                .collect();
            format!("{} ({})", cycle.join(" -> "), places.join("; "))
        })
        .collect()
}

/// The first identifier of each item of a `{…}` group (`{app::X, card}` → app, card).
fn group_heads(chars: &[char]) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expect_head = false;
    for (i, c) in chars.iter().enumerate() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    expect_head = true;
                }
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => expect_head = true,
            c if expect_head && is_ident(*c) => {
                heads.push(chars[i..].iter().take_while(|c| is_ident(**c)).collect());
                expect_head = false;
            }
            _ => {}
        }
    }
    heads
}

fn dfs<'a>(
    m: &'a str,
    edges: &'a BTreeMap<String, BTreeMap<String, String>>,
    state: &mut BTreeMap<&'a str, u8>,
    stack: &mut Vec<&'a str>,
    cycles: &mut BTreeSet<Vec<String>>,
) {
    match state.get(m) {
        Some(2) => return,
        Some(1) => {
            // A back edge: the stack from `m` is a cycle; keep it from its least module.
            let start = stack.iter().position(|s| *s == m).unwrap_or(0);
            let mut cycle: Vec<String> = stack[start..].iter().map(|s| (*s).to_owned()).collect();
            let least = (0..cycle.len()).min_by_key(|&i| &cycle[i]).unwrap_or(0);
            cycle.rotate_left(least);
            cycle.push(cycle[0].clone());
            cycles.insert(cycle);
            return;
        }
        _ => {}
    }
    state.insert(m, 1);
    stack.push(m);
    if let Some(targets) = edges.get(m) {
        for to in targets.keys() {
            dfs(to, edges, state, stack, cycles);
        }
    }
    stack.pop();
    state.insert(m, 2);
}
