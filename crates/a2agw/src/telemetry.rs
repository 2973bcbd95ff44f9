//! The binary's `tracing` subscriber: human-readable logs on stderr (filtered by
//! `RUST_LOG`, default `info`), and, with the cargo feature `otel` and
//! `[telemetry] otlp_endpoint` set, OpenTelemetry export of the spans over OTLP/HTTP
//! (protobuf, through reqwest), batched on the tokio runtime.
//!
//! [`init`] installs it (inside the tokio runtime); [`Telemetry::shutdown`] flushes the
//! spans still queued. A build without `otel` never gets here with an endpoint:
//! [`Config::check`](crate::config::Config::check) refuses it first, and [`init`] refuses
//! it again.

use crate::config::TelemetryConfig;
use anyhow::Result;
use std::time::Duration;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// What [`init`] started; [`Telemetry::shutdown`] it before the process exits.
#[derive(Debug)]
#[must_use = "call `shutdown` to flush the spans still queued"]
pub struct Telemetry {
    #[cfg(feature = "otel")]
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

/// Installs the global subscriber: logs to stderr, plus span export when `config` has an
/// endpoint. Call inside the tokio runtime (the span batcher is a task on it), once.
pub fn init(config: &TelemetryConfig) -> Result<Telemetry> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let registry = tracing_subscriber::registry().with(filter).with(logs);

    #[cfg(feature = "otel")]
    {
        let (layer, provider) = match config.enabled() {
            true => {
                let (layer, provider) = otel::layer(config)?;
                (Some(layer), Some(provider))
            }
            false => (None, None),
        };
        registry.with(layer).try_init()?;
        if config.enabled() {
            tracing::info!(
                url = %config.traces_url(),
                service_name = %config.service_name,
                "exporting spans over OTLP/HTTP"
            );
        }
        Ok(Telemetry { provider })
    }
    #[cfg(not(feature = "otel"))]
    {
        if config.enabled() {
            anyhow::bail!(
                "telemetry.otlp_endpoint is set, but this a2a-gateway was built without the `otel` feature"
            );
        }
        registry.try_init()?;
        Ok(Telemetry {})
    }
}

impl Telemetry {
    /// Exports the spans still queued and stops the exporter, waiting at most `timeout`
    /// (an unreachable collector must not hold the exit up). Nothing to do without export.
    pub async fn shutdown(self, timeout: Duration) {
        #[cfg(feature = "otel")]
        if let Some(provider) = self.provider {
            otel::shutdown(provider, timeout).await;
        }
        #[cfg(not(feature = "otel"))]
        let _ = timeout;
    }
}

/// With the `otel` feature, requests continue the caller's trace (W3C `traceparent`);
/// without it the router is returned unchanged.
pub fn with_remote_parent(router: axum::Router) -> axum::Router {
    #[cfg(feature = "otel")]
    {
        router.layer(axum::middleware::from_fn(otel::remote_parent))
    }
    #[cfg(not(feature = "otel"))]
    {
        router
    }
}

#[cfg(feature = "otel")]
mod otel {
    use crate::config::TelemetryConfig;
    use anyhow::{Context, Result};
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_otlp::{Protocol, WithExportConfig};
    use opentelemetry_sdk::Resource;
    use opentelemetry_sdk::runtime::Tokio;
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
    use std::time::Duration;
    use tracing_subscriber::Layer;
    use tracing_subscriber::registry::LookupSpan;

    /// Crates whose own spans and events stay out of the export: the exporter's HTTP stack
    /// (exporting them would make spans about exporting spans, without end) and the SDK.
    const NOT_EXPORTED: [&str; 7] = [
        "hyper",
        "h2",
        "reqwest",
        "rustls",
        "tower",
        "opentelemetry",
        "tracing_opentelemetry",
    ];

    /// The `tracing` layer feeding the OTLP exporter, and the provider to shut down.
    pub(super) fn layer<S>(config: &TelemetryConfig) -> Result<(impl Layer<S>, SdkTracerProvider)>
    where
        S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    {
        let url = config.traces_url();
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(&url)
            .build()
            .with_context(|| format!("telemetry: the OTLP exporter for {url}"))?;
        // Batches on the tokio runtime (`OTEL_BSP_*` tune it: delay 5 s, 512 spans a batch).
        let processor = BatchSpanProcessor::builder(exporter, Tokio).build();
        let provider = SdkTracerProvider::builder()
            .with_span_processor(processor)
            .with_resource(
                Resource::builder()
                    .with_service_name(config.service_name.clone())
                    .build(),
            )
            .build();
        let tracer = provider.tracer("a2a-gateway");
        let layer = tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_filter(tracing_subscriber::filter::filter_fn(|meta| {
                let target = meta.target();
                !NOT_EXPORTED.iter().any(|t| target.starts_with(t))
            }));
        Ok((layer, provider))
    }

    /// Makes the caller's W3C trace context (`traceparent`, `tracestate`) the parent of the
    /// spans a request creates, so that a gateway call shows up inside the trace of the
    /// client (or proxy) that made it. Requests without a valid `traceparent` start a trace.
    pub(super) async fn remote_parent(
        request: axum::extract::Request,
        next: axum::middleware::Next,
    ) -> axum::response::Response {
        use opentelemetry::context::FutureExt as _;
        use opentelemetry::propagation::TextMapPropagator as _;
        use opentelemetry::trace::TraceContextExt as _;
        let cx = opentelemetry_sdk::propagation::TraceContextPropagator::new()
            .extract(&Headers(request.headers()));
        if cx.span().span_context().is_valid() {
            next.run(request).with_context(cx).await
        } else {
            next.run(request).await
        }
    }

    /// HTTP headers (and gRPC metadata, which travels as headers) as a propagation carrier.
    struct Headers<'a>(&'a axum::http::HeaderMap);

    impl opentelemetry::propagation::Extractor for Headers<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            self.0.get(key).and_then(|v| v.to_str().ok())
        }

        fn keys(&self) -> Vec<&str> {
            self.0.keys().map(|k| k.as_str()).collect()
        }
    }

    /// Flushes and stops `provider`, giving up after `timeout`.
    pub(super) async fn shutdown(provider: SdkTracerProvider, timeout: Duration) {
        // `shutdown` blocks until the batcher (a task on this runtime) has exported: run it
        // on a thread of its own, which a timeout can leave behind.
        let (tx, rx) = tokio::sync::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("otel-shutdown".into())
            .spawn(move || {
                let _ = tx.send(provider.shutdown());
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "telemetry: could not flush the spans");
            return;
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => tracing::warn!(error = %e, "telemetry: flushing the spans failed"),
            Ok(Err(_)) => tracing::warn!("telemetry: flushing the spans failed"),
            Err(_) => tracing::warn!(?timeout, "telemetry: gave up flushing the spans"),
        }
    }
}
