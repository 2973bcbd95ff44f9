//! `a2a-gateway`: serve A2A agents (`serve [--config FILE]`) or check a configuration
//! (`check-config FILE`).

use a2agw::config::{Config, TelemetryConfig};
use anyhow::{Result, bail};
use std::path::PathBuf;
use std::time::Duration;

const USAGE: &str = "usage:
  a2a-gateway serve [--config FILE]   run the gateway (defaults: 127.0.0.1:7420, SQLite file a2a-gateway.db, demo agent)
  a2a-gateway check-config FILE       check a configuration file and print it resolved
environment: A2AGW_LISTEN, A2AGW_PUBLIC_URL, A2AGW_STORE, A2AGW_SQLITE_PATH, A2AGW_DATABASE_URL, A2AGW_DATABASE_SCHEMA, RUST_LOG,
  OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME (span export; needs the `otel` feature)";

/// How long the spans still queued at exit may take to reach the collector.
const TELEMETRY_FLUSH: Duration = Duration::from_secs(5);

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[tokio::main]
async fn main() -> Result<()> {
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
            // Logs only: checking a configuration exports nothing.
            let _logs_only = a2agw::telemetry::init(&TelemetryConfig::default())?;
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
    // The subscriber needs the configuration (`[telemetry]`) and the runtime.
    let telemetry = a2agw::telemetry::init(&config.telemetry)?;
    let served = a2agw::serve_from(&config, path, a2agw::shutdown_signal()).await;
    // After the graceful shutdown: export the spans still queued.
    telemetry.shutdown(TELEMETRY_FLUSH).await;
    served
}
