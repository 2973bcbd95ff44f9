//! `a2a-gateway`: serve A2A agents (`serve [--config FILE]`) or check a configuration
//! (`check-config FILE`).

use a2agw::config::Config;
use anyhow::{Result, bail};
use std::path::PathBuf;

const USAGE: &str = "usage:
  a2a-gateway serve [--config FILE]   run the gateway (defaults: 127.0.0.1:7420, SQLite file a2a-gateway.db, demo agent)
  a2a-gateway check-config FILE       check a configuration file and print it resolved
environment: A2AGW_LISTEN, A2AGW_PUBLIC_URL, A2AGW_STORE, A2AGW_SQLITE_PATH, A2AGW_DATABASE_URL, A2AGW_DATABASE_SCHEMA, RUST_LOG";

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["serve"] => serve(None).await,
        ["serve", "--config", path] => serve(Some(PathBuf::from(path))).await,
        ["check-config", path] => {
            let config = Config::load(Some(&PathBuf::from(path)), &env)?;
            eprintln!("{path}: ok\n{config:#?}");
            Ok(())
        }
        ["--version" | "-V"] => {
            eprintln!("a2a-gateway {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        ["--help" | "-h" | "help"] => {
            eprintln!("{USAGE}");
            Ok(())
        }
        _ => bail!("{USAGE}"),
    }
}

async fn serve(path: Option<PathBuf>) -> Result<()> {
    let config = Config::load(path.as_deref(), &env)?;
    a2agw::serve(&config, a2agw::shutdown_signal()).await
}
