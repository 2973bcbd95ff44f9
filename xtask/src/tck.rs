//! `cargo xtask tck [--report] [--store memory,sqlite,postgres]`: the official A2A TCK
//! (`../shared/tck/run.sh`) against the gateway binary with the conformance agent, on
//! all three bindings, once per store.
//!
//! Two runs per invocation:
//! - **full**, once per store: every capability declared (streaming, push notifications
//!   to the TCK's webhook receiver on loopback, an extended card), the whole TCK; the
//!   PostgreSQL run configures the agent as `[agents.conformance]` and points the TCK at
//!   its own path, `/agents/conformance`, the others use `[agent]` and the root;
//! - **capabilities off**, once (the gateway's capability checks are the same code on
//!   every store): nothing declared but an extension `required: true`, only the TCK's
//!   `TestCapability*` tests (CORE-CAP-001…004 run only against a card that lacks the
//!   capability or requires the extension).
//!
//! A MUST or SHOULD failure fails the command, except the requirement IDs that
//! `docs/conformance.md` lists under "TCK disagreements" (passed to the script as
//! `TCK_ALLOW`). Without `../shared/tck` the command is skipped with a note, and fails
//! when `CI` is set. `--report` writes the summary tables into `docs/conformance.md`
//! between the `tck:begin` / `tck:end` markers.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// Where the summary tables go in `docs/conformance.md`.
const BEGIN: &str = "<!-- tck:begin (written by `cargo xtask tck --report`) -->";
const END: &str = "<!-- tck:end -->";
/// The heading of the disagreement table in `docs/conformance.md`.
const DISAGREEMENTS: &str = "## TCK disagreements";
/// The extension the TCK's CORE-CAP-004 test expects a card to require.
const REQUIRED_EXTENSION: &str = "urn:a2a:tck:required-extension";

/// A task store to run the TCK on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Store {
    Memory,
    Sqlite,
    Postgres,
}

impl Store {
    const ALL: [Store; 3] = [Store::Memory, Store::Sqlite, Store::Postgres];

    fn name(self) -> &'static str {
        match self {
            Store::Memory => "memory",
            Store::Sqlite => "sqlite",
            Store::Postgres => "postgres",
        }
    }

    fn parse(s: &str) -> Result<Store> {
        Store::ALL
            .into_iter()
            .find(|st| st.name() == s)
            .with_context(|| format!("unknown store `{s}` (memory, sqlite, postgres)"))
    }
}

/// The command line of `cargo xtask tck`.
#[derive(Debug)]
pub(crate) struct Options {
    report: bool,
    stores: Vec<Store>,
}

impl Options {
    pub(crate) fn parse(args: &[&str]) -> Result<Options> {
        let mut options = Options {
            report: false,
            stores: Store::ALL.to_vec(),
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match *arg {
                "--report" => options.report = true,
                "--store" => {
                    let list = it
                        .next()
                        .context("--store needs a list: memory,sqlite,postgres")?;
                    options.stores = list
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(Store::parse)
                        .collect::<Result<_>>()?;
                }
                other => bail!("unknown argument `{other}` to `tck`"),
            }
        }
        Ok(options)
    }
}

/// What one TCK run printed, parsed.
#[derive(Debug, Default)]
struct Summary {
    /// `MUST    pass  88  fail   1  skip   4  not-tested  21` and the SHOULD/MAY lines.
    levels: Vec<(String, [u32; 4])>,
    /// `transport grpc  pass  69  fail   1  skip   2  of 72`.
    transports: Vec<(String, [u32; 4])>,
    /// `  FAIL MUST   ID: …` and `  allowed MUST ID: …`.
    failures: Vec<String>,
    /// `95 passed, 1 failed`.
    last: String,
}

impl Summary {
    fn parse(out: &str) -> Summary {
        let mut s = Summary::default();
        for line in out.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            let nums = |idx: [usize; 4]| {
                idx.map(|i| words.get(i).and_then(|w| w.parse().ok()).unwrap_or(0))
            };
            match words.as_slice() {
                [level @ ("MUST" | "SHOULD" | "MAY"), "pass", ..] => {
                    s.levels.push(((*level).to_owned(), nums([2, 4, 6, 8])));
                }
                ["transport", name, "pass", ..] => {
                    s.transports.push(((*name).to_owned(), nums([3, 5, 7, 9])));
                }
                ["FAIL" | "allowed", ..] => s.failures.push(line.trim().to_owned()),
                [_, "passed,", _, "failed"] => s.last = line.trim().to_owned(),
                _ => {}
            }
        }
        s
    }
}

pub(crate) fn run(root: &Path, options: &Options) -> Result<()> {
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    let tck = root.join("../shared/tck");
    let script = tck.join("run.sh");
    if !script.is_file() {
        if in_ci {
            bail!(
                "{} not found and CI is set: the official TCK cannot run",
                script.display()
            );
        }
        eprintln!(
            "xtask tck: SKIPPED: {} not found (the official A2A TCK lives beside the repository in ../shared/tck)",
            script.display()
        );
        return Ok(());
    }
    let allow = disagreements(root)?;
    eprintln!(
        "xtask tck: documented disagreements (TCK_ALLOW): {}",
        allow.join(", ")
    );
    let binary = build(root)?;
    let work = tempfile::tempdir().context("creating a temporary folder")?;
    let reports = target_dir(root)?.join("tck");
    std::fs::create_dir_all(&reports).with_context(|| format!("creating {}", reports.display()))?;

    let mut results = Vec::new();
    for store in &options.stores {
        let config = full_config(*store, work.path())?;
        let out = reports.join(store.name());
        let path = agent_path(*store);
        let (ok, summary) = run_once(
            &binary,
            &script,
            &config,
            path,
            work.path(),
            &out,
            &allow,
            &[],
        )
        .with_context(|| format!("TCK on the {} store", store.name()))?;
        let at = if path.is_empty() { "/" } else { path };
        results.push((format!("full, {}, at {at}", store.name()), ok, summary));
    }
    let config = capabilities_off_config();
    let out = reports.join("capabilities-off");
    let (ok, summary) = run_once(
        &binary,
        &script,
        &config,
        "",
        work.path(),
        &out,
        &allow,
        &["-k", "TestCapability"],
    )
    .context("TCK with the capabilities off")?;
    results.push(("capabilities off, memory, at /".to_owned(), ok, summary));

    eprintln!();
    for (name, ok, s) in &results {
        eprintln!(
            "xtask tck: {name}: {}{}",
            s.last,
            if *ok { "" } else { "  <- FAILED" }
        );
    }
    if options.report {
        write_report(root, &results)?;
    }
    let failed: Vec<&str> = results
        .iter()
        .filter(|(_, ok, _)| !ok)
        .map(|(n, _, _)| n.as_str())
        .collect();
    if !failed.is_empty() {
        bail!(
            "the TCK reports MUST or SHOULD failures: {}",
            failed.join("; ")
        );
    }
    eprintln!("xtask tck: 0 MUST and 0 SHOULD failures outside the documented disagreements");
    Ok(())
}

/// The requirement IDs of the "TCK disagreements" table in `docs/conformance.md`: the
/// first cell of each row, in backticks.
fn disagreements(root: &Path) -> Result<Vec<String>> {
    let path = root.join("docs/conformance.md");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let Some(start) = text.find(DISAGREEMENTS) else {
        bail!("{}: no `{DISAGREEMENTS}` section", path.display());
    };
    let section = &text[start + DISAGREEMENTS.len()..];
    let section = section.find("\n## ").map_or(section, |end| &section[..end]);
    let ids: Vec<String> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .filter(|id| {
            id.contains('-')
                && id
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
        })
        .map(str::to_owned)
        .collect();
    Ok(ids)
}

pub(crate) fn target_dir(root: &Path) -> Result<PathBuf> {
    let meta = cargo_metadata::MetadataCommand::new()
        .manifest_path(root.join("Cargo.toml"))
        .no_deps()
        .exec()
        .context("cargo metadata")?;
    Ok(meta.target_directory.into_std_path_buf())
}

/// Builds the gateway as the test suite does (`--all-features`, test profile), so that
/// after `cargo nextest run --workspace --all-features` nothing is compiled again, and
/// returns the binary's path.
pub(crate) fn build(root: &Path) -> Result<PathBuf> {
    eprintln!("xtask tck: ==> cargo test --workspace --all-features --no-run");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "test",
            "--workspace",
            "--all-features",
            "--no-run",
            "--quiet",
        ])
        .current_dir(root)
        .status()
        .context("starting cargo")?;
    if !status.success() {
        bail!("building the gateway failed ({status})");
    }
    let binary = target_dir(root)?.join("debug").join("a2a-gateway");
    if !binary.is_file() {
        bail!("{} was not built", binary.display());
    }
    Ok(binary)
}

/// The configuration of the full run on `store` (without `[server]`, added per start).
fn full_config(store: Store, work: &Path) -> Result<String> {
    let store_section = match store {
        Store::Memory => "[store]\nkind = \"memory\"\n".to_owned(),
        Store::Sqlite => {
            let path = work.join("tck.db");
            let _ = std::fs::remove_file(&path);
            format!(
                "[store]\nkind = \"sqlite\"\npath = {:?}\n",
                path.display().to_string()
            )
        }
        Store::Postgres => {
            let url = std::env::var("A2AGW_TEST_POSTGRES_URL")
                .ok()
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".into());
            let schema = "a2agw_tck";
            fresh_schema(&url, schema);
            format!("[store]\nkind = \"postgres\"\nurl = {url:?}\nschema = \"{schema}\"\n")
        }
    };
    // The PostgreSQL run describes the agent as `[agents.conformance]` and tests it at its
    // own path, `/agents/conformance` (the only agent, so gRPC without a tenant reaches it
    // too); the others use the `[agent]` shorthand and the root.
    let agent = match store {
        Store::Postgres => "agents.conformance",
        Store::Memory | Store::Sqlite => "agent",
    };
    let provider = match store {
        Store::Postgres => "[agents.conformance.provider]\nkind = \"conformance\"\n",
        Store::Memory | Store::Sqlite => "",
    };
    let shorthand = match store {
        Store::Postgres => "",
        Store::Memory | Store::Sqlite => "name = \"conformance\"\nprovider = \"conformance\"\n",
    };
    Ok(format!(
        "{store_section}\
         [push]\n\
         # the TCK's webhook receiver listens on localhost\n\
         allow_private_targets = true\n\
         [{agent}]\n\
         {shorthand}\
         description = \"The conformance agent: behaves as the official A2A TCK's scenarios ask\"\n\
         streaming = true\n\
         push_notifications = true\n\
         {provider}\
         [[{agent}.skills]]\n\
         id = \"tck\"\n\
         name = \"TCK scenarios\"\n\
         description = \"Answers each TCK scenario, chosen by the messageId prefix\"\n\
         tags = [\"tck\"]\n\
         [[{agent}.extended_skills]]\n\
         id = \"tck-extended\"\n\
         name = \"TCK extended\"\n\
         description = \"A skill shown on the extended card only\"\n\
         tags = [\"tck\"]\n"
    ))
}

/// Where the TCK finds the agent card of the full run on `store` (see [`full_config`]).
fn agent_path(store: Store) -> &'static str {
    match store {
        Store::Postgres => "/agents/conformance",
        Store::Memory | Store::Sqlite => "",
    }
}

/// The configuration of the capabilities-off run: nothing declared, one required
/// extension.
fn capabilities_off_config() -> String {
    format!(
        "[store]\nkind = \"memory\"\n\
         [agent]\n\
         name = \"conformance\"\n\
         description = \"The conformance agent with every optional capability off\"\n\
         provider = \"conformance\"\n\
         streaming = false\n\
         push_notifications = false\n\
         [[agent.skills]]\n\
         id = \"tck\"\n\
         name = \"TCK scenarios\"\n\
         description = \"Answers each TCK scenario, chosen by the messageId prefix\"\n\
         tags = [\"tck\"]\n\
         [[agent.extensions]]\n\
         uri = \"{REQUIRED_EXTENSION}\"\n\
         description = \"Required, so that a request without it gets -32008\"\n\
         required = true\n"
    )
}

/// Drops the TCK's PostgreSQL schema so that each run starts on an empty database, when
/// `psql` is there (otherwise the run reuses the schema: the TCK's ids are new each run).
fn fresh_schema(url: &str, schema: &str) {
    let dropped = Command::new("psql")
        .args([
            url,
            "-q",
            "-c",
            &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !dropped {
        eprintln!("xtask tck: note: could not drop the schema {schema} (no psql?); reusing it");
    }
}

/// A gateway process, killed on drop.
struct Gateway {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the gateway with `config` on a free port and waits until `/readyz` answers 200.
fn start(binary: &Path, config: &str, work: &Path, log: &Path) -> Result<Gateway> {
    let mut last_error = None;
    // A port found free may be taken before the gateway binds it: then try another.
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let file = work.join("gateway.toml");
        std::fs::write(&file, format!("[server]\nlisten = \"{addr}\"\n{config}"))
            .with_context(|| format!("writing {}", file.display()))?;
        let log_file =
            std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let child = Command::new(binary)
            .arg("serve")
            .arg("--config")
            .arg(&file)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "warn")
            .current_dir(work)
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut gateway = Gateway { child, addr };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = gateway.child.try_wait()? {
                let text = std::fs::read_to_string(log).unwrap_or_default();
                last_error = Some(format!("the gateway exited ({status}):\n{text}"));
                break;
            }
            if ready(addr) {
                return Ok(gateway);
            }
            if Instant::now() > deadline {
                bail!(
                    "the gateway on {addr} was not ready within 60 s (log: {})",
                    log.display()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    bail!("{}", last_error.unwrap_or_default())
}

/// Whether `GET /readyz` answers 200.
fn ready(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req = format!("GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

/// Starts the gateway, runs the TCK against it, and returns whether it passed and what
/// it printed.
#[allow(clippy::too_many_arguments)] // one call site per run kind; a struct would add nothing
fn run_once(
    binary: &Path,
    script: &Path,
    config: &str,
    path: &str,
    work: &Path,
    out: &Path,
    allow: &[String],
    pytest_args: &[&str],
) -> Result<(bool, Summary)> {
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out)?;
    let gateway = start(binary, config, work, &out.join("gateway.log"))?;
    let url = format!("http://{}{path}", gateway.addr);
    eprintln!(
        "xtask tck: ==> {} {url} {}",
        script.display(),
        pytest_args.join(" ")
    );
    let output = Command::new("bash")
        .arg(script)
        .arg(&url)
        .args(pytest_args)
        .env("TCK_OUT", out)
        .env("TCK_ALLOW", allow.join(","))
        .stderr(Stdio::inherit())
        .output()
        .context("starting the TCK")?;
    drop(gateway);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    eprint!("{text}");
    let code = output.status.code();
    if code == Some(2) || code.is_none() {
        bail!(
            "the TCK produced no report ({}); see {}",
            output.status,
            out.join("pytest.log").display()
        );
    }
    Ok((output.status.success(), Summary::parse(&text)))
}

/// Replaces the text between the markers of `docs/conformance.md` with the tables.
fn write_report(root: &Path, results: &[(String, bool, Summary)]) -> Result<()> {
    let path = root.join("docs/conformance.md");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let (Some(b), Some(e)) = (text.find(BEGIN), text.find(END)) else {
        bail!(
            "{}: the markers `{BEGIN}` and `{END}` are missing",
            path.display()
        );
    };
    let mut t = String::new();
    t.push_str(BEGIN);
    t.push_str("\n\nBy requirement level (requirements; pass / fail / skipped / not tested):\n\n");
    t.push_str("| run | MUST | SHOULD | MAY | result |\n|---|---|---|---|---|\n");
    for (name, _, s) in results {
        let cell = |level: &str| {
            s.levels
                .iter()
                .find(|(l, _)| l == level)
                .map_or("–".to_owned(), |(_, n)| {
                    format!("{} / {} / {} / {}", n[0], n[1], n[2], n[3])
                })
        };
        t.push_str(&format!(
            "| {name} | {} | {} | {} | {} |\n",
            cell("MUST"),
            cell("SHOULD"),
            cell("MAY"),
            s.last
        ));
    }
    t.push_str("\nBy transport (test results; pass / fail / skipped of total):\n\n");
    t.push_str("| run | agent card | JSON-RPC | HTTP+JSON | gRPC |\n|---|---|---|---|---|\n");
    for (name, _, s) in results {
        let cell = |tr: &str| {
            s.transports
                .iter()
                .find(|(t, _)| t == tr)
                .map_or("–".to_owned(), |(_, n)| {
                    format!("{} / {} / {} of {}", n[0], n[1], n[2], n[3])
                })
        };
        t.push_str(&format!(
            "| {name} | {} | {} | {} | {} |\n",
            cell("agent_card"),
            cell("jsonrpc"),
            cell("http_json"),
            cell("grpc")
        ));
    }
    // Each failure once, with the runs that reported it.
    let mut failures: Vec<(&str, Vec<&str>)> = Vec::new();
    for (name, _, s) in results {
        for f in &s.failures {
            match failures.iter_mut().find(|(text, _)| text == f) {
                Some((_, runs)) => runs.push(name),
                None => failures.push((f, vec![name])),
            }
        }
    }
    if !failures.is_empty() {
        t.push_str("\nFailures reported (`allowed`: a documented disagreement):\n\n");
        for (text, runs) in failures {
            t.push_str(&format!(
                "- {}: `{}`\n",
                runs.join("; "),
                text.replace('`', "'")
            ));
        }
    }
    t.push('\n');
    let new = format!("{}{t}{}", &text[..b], &text[e..]);
    std::fs::write(&path, new).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("xtask tck: wrote the tables into {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn reads_what_run_sh_prints() {
        let out = "\
TCK a2aproject/a2a-tck@357c4a8  SUT http://127.0.0.1:1  overall 99.0%
MUST    pass  88  fail   1  skip   4  not-tested  21
SHOULD  pass   7  fail   0  skip   0  not-tested   4
MAY     pass   4  fail   0  skip   0  not-tested   0
transport agent_card  pass  10  fail   0  skip   0  of 10
transport grpc        pass  69  fail   1  skip   2  of 72
  allowed MUST   GRPC-ERR-002: gRPC status mismatch
95 passed, 0 failed
";
        let s = Summary::parse(out);
        assert_eq!(s.levels[0], ("MUST".to_owned(), [88, 1, 4, 21]));
        assert_eq!(s.levels.len(), 3);
        assert_eq!(s.transports[1], ("grpc".to_owned(), [69, 1, 2, 72]));
        assert_eq!(
            s.failures,
            ["allowed MUST   GRPC-ERR-002: gRPC status mismatch"]
        );
        assert_eq!(s.last, "95 passed, 0 failed");
    }

    #[test]
    fn the_disagreements_are_read_from_the_conformance_page() {
        let root = crate::workspace_root();
        let ids = disagreements(&root).unwrap();
        assert!(ids.iter().any(|i| i == "GRPC-ERR-002"), "{ids:?}");
        for id in &ids {
            assert!(id.split('-').count() >= 3, "{id}");
        }
    }

    #[test]
    fn options() {
        let o = Options::parse(&["--report", "--store", "sqlite,memory"]).unwrap();
        assert!(o.report);
        assert_eq!(o.stores, [Store::Sqlite, Store::Memory]);
        assert!(Options::parse(&["--store", "redis"]).is_err());
    }
}
