//! Prometheus metrics at `/metrics`.
//!
//! The crates record through the `metrics` facade; this module installs the process-wide
//! Prometheus recorder (once) and renders it. Series:
//!
//! | name | kind | labels |
//! |---|---|---|
//! | `a2agw_requests_total` | counter | `binding`, `method`, `outcome` (`ok` or the error reason), `agent` |
//! | `a2agw_open_streams` | gauge | `agent` |
//! | `a2agw_task_transitions_total` | counter | `state` (the state entered) |
//! | `a2agw_provider_first_event_seconds` | histogram | `provider` |
//! | `a2agw_provider_run_seconds` | histogram | `provider` |
//! | `a2agw_push_deliveries_total` | counter | — (webhook POSTs acknowledged with a 2xx) |
//! | `a2agw_push_failures_total` | counter | `reason` (`attempts_exhausted`, `refused`): events given up |

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the Prometheus recorder for the process (idempotent). `None` when another
/// recorder was installed first (metrics then go there, and `/metrics` says so).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
                    300.0,
                ])
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .as_ref()
}

/// `GET /metrics`.
pub(crate) async fn serve() -> Response {
    match install() {
        Some(h) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            h.render(),
        )
            .into_response(),
        None => crate::error::unavailable("another metrics recorder is installed"),
    }
}
