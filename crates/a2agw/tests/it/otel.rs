//! OpenTelemetry export (feature `otel`): the real binary, configured with
//! `[telemetry] otlp_endpoint`, sends its request and task spans as OTLP/HTTP protobuf to
//! a fake collector (an axum server recording `POST /v1/traces`), decoded here with the
//! official OTLP messages (`opentelemetry-proto`).

// Helpers outside #[test] functions may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::Gateway;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What one `POST /v1/traces` carried.
#[derive(Debug, Clone)]
struct Export {
    content_type: String,
    request: ExportTraceServiceRequest,
}

/// A fake OTLP/HTTP collector on `127.0.0.1:<free port>`: records every export; stops
/// with the test's runtime.
struct Collector {
    addr: SocketAddr,
    exports: Arc<Mutex<Vec<Export>>>,
}

impl Collector {
    async fn start() -> Collector {
        let exports = Arc::new(Mutex::new(Vec::<Export>::new()));
        let seen = Arc::clone(&exports);
        let app = axum::Router::new().route(
            "/v1/traces",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let seen = Arc::clone(&seen);
                async move {
                    let content_type = headers
                        .get(header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let Ok(request) = ExportTraceServiceRequest::decode(body) else {
                        return (StatusCode::BAD_REQUEST, "not an OTLP trace export");
                    };
                    seen.lock().unwrap().push(Export {
                        content_type,
                        request,
                    });
                    // An empty ExportTraceServiceResponse: full success.
                    (StatusCode::OK, "")
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Collector { addr, exports }
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn exports(&self) -> Vec<Export> {
        self.exports.lock().unwrap().clone()
    }

    /// Every span received so far, with the `service.name` of its resource.
    fn spans(&self) -> Vec<(String, Span)> {
        let mut out = Vec::new();
        for export in self.exports() {
            for rs in export.request.resource_spans {
                let service = rs
                    .resource
                    .as_ref()
                    .and_then(|r| string_attr(&r.attributes, "service.name"))
                    .unwrap_or_default();
                for ss in rs.scope_spans {
                    for span in ss.spans {
                        out.push((service.clone(), span));
                    }
                }
            }
        }
        out
    }

    /// Waits up to `within` for a `jsonrpc` span and the `task` span of `task_id`.
    async fn wait_for(&self, task_id: &str, within: Duration) -> (String, Span, Span) {
        let deadline = Instant::now() + within;
        loop {
            let spans = self.spans();
            let task = spans
                .iter()
                .find(|(_, s)| {
                    s.name == "task"
                        && string_attr(&s.attributes, "task_id").as_deref() == Some(task_id)
                })
                .cloned();
            if let Some((service, task)) = task
                && let Some((_, request)) = spans
                    .iter()
                    .find(|(_, s)| s.name == "jsonrpc" && s.trace_id == task.trace_id)
                    .cloned()
            {
                return (service, request, task);
            }
            assert!(
                Instant::now() < deadline,
                "no `jsonrpc` span with the `task` span of {task_id} within {within:?}; received: {:#?}",
                spans
                    .iter()
                    .map(|(svc, s)| format!("{svc}: {} {:?}", s.name, s.attributes))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn string_attr(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| match kv.value.as_ref()? {
            AnyValue {
                value: Some(any_value::Value::StringValue(s)),
            } => Some(s.clone()),
            _ => None,
        })
}

fn config(collector: &Collector) -> String {
    format!(
        "[telemetry]\notlp_endpoint = \"{}\"\nservice_name = \"otel-it\"\n",
        collector.endpoint()
    )
}

/// Sends a JSON-RPC `SendMessage` (A2A 1.0) and returns the task id.
async fn send_message(base: &str) -> String {
    send_message_in(base, None).await
}

/// [`send_message`], with a W3C `traceparent` header when given.
async fn send_message_in(base: &str, traceparent: Option<&str>) -> String {
    let body = json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "SendMessage",
        "params": {"message": {
            "messageId": uuid::Uuid::new_v4().to_string(),
            "role": "ROLE_USER",
            "parts": [{"text": "hello, collector"}],
        }},
    });
    let mut request = reqwest::Client::new()
        .post(format!("{base}/"))
        .header("A2A-Version", "1.0");
    if let Some(tp) = traceparent {
        request = request.header("traceparent", tp);
    }
    let reply: Value = request
        .json(&body)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    reply["result"]["task"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no task in {reply}"))
        .to_owned()
}

/// Checks what both tests expect of the spans of one SendMessage.
fn assert_spans(collector: &Collector, service: &str, request: &Span, task: &Span) {
    assert_eq!(service, "otel-it", "the configured service_name");
    assert_eq!(
        string_attr(&request.attributes, "method").as_deref(),
        Some("SendMessage"),
        "{request:?}"
    );
    assert_eq!(
        task.parent_span_id, request.span_id,
        "the task span is a child of the request span that started it"
    );
    assert_eq!(
        string_attr(&task.attributes, "provider").as_deref(),
        Some("demo")
    );
    // Both carry the agent's name (the default agent is `demo`).
    assert_eq!(
        string_attr(&request.attributes, "agent").as_deref(),
        Some("demo"),
        "{request:?}"
    );
    assert_eq!(
        string_attr(&task.attributes, "agent").as_deref(),
        Some("demo"),
        "{task:?}"
    );
    for export in collector.exports() {
        assert_eq!(export.content_type, "application/x-protobuf");
    }
}

/// While serving: a SendMessage's `jsonrpc` request span and its `task` span (with the
/// task id) reach the collector, batched in the background.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_and_task_spans_reach_the_collector() {
    let collector = Collector::start().await;
    let config = config(&collector);
    let gateway = tokio::task::spawn_blocking(move || {
        Gateway::start_env(
            Some(&config),
            &[
                // Export every 100 ms rather than every 5 s.
                ("OTEL_BSP_SCHEDULE_DELAY", "100"),
                // The file's settings, whatever the environment running the tests says.
                ("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
                ("OTEL_SERVICE_NAME", ""),
            ],
        )
    })
    .await
    .unwrap();
    let task_id = send_message(&gateway.url()).await;
    let (service, request, task) = collector.wait_for(&task_id, Duration::from_secs(20)).await;
    assert_spans(&collector, &service, &request, &task);
    assert!(
        gateway.log().contains("exporting spans over OTLP/HTTP"),
        "{}",
        gateway.log()
    );
}

/// A caller's W3C trace context is continued: the request span belongs to the caller's
/// trace and is a child of the caller's span (and the task span follows).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callers_traceparent_is_the_parent_of_the_request_span() {
    let collector = Collector::start().await;
    let config = config(&collector);
    let gateway = tokio::task::spawn_blocking(move || {
        Gateway::start_env(
            Some(&config),
            &[
                ("OTEL_BSP_SCHEDULE_DELAY", "100"),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
                ("OTEL_SERVICE_NAME", ""),
            ],
        )
    })
    .await
    .unwrap();
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent_id = "00f067aa0ba902b7";
    let traceparent = format!("00-{trace_id}-{parent_id}-01");
    let task_id = send_message_in(&gateway.url(), Some(&traceparent)).await;
    let (service, request, task) = collector.wait_for(&task_id, Duration::from_secs(20)).await;
    assert_spans(&collector, &service, &request, &task);
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    assert_eq!(hex(&request.trace_id), trace_id, "the caller's trace");
    assert_eq!(
        hex(&request.parent_span_id),
        parent_id,
        "the caller's span is the parent"
    );
    assert_eq!(hex(&task.trace_id), trace_id);

    // Without a traceparent (or with an invalid one), the request starts its own trace.
    let task_id = send_message_in(&gateway.url(), Some("00-zz-yy-01")).await;
    let (_, request, _) = collector.wait_for(&task_id, Duration::from_secs(20)).await;
    assert_ne!(hex(&request.trace_id), trace_id);
    assert!(request.parent_span_id.is_empty(), "a root span");
}

/// Spans still queued when the gateway is stopped (SIGTERM) are flushed before it exits:
/// with a batch delay of 10 minutes, the only export is the one at shutdown.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_spans_are_flushed_on_shutdown() {
    let collector = Collector::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("gateway.toml");
    std::fs::write(&config_path, config(&collector)).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let log_path = dir.path().join("gateway.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_a2a-gateway"))
        .arg("serve")
        .arg("--config")
        .arg(&config_path)
        .current_dir(dir.path())
        .env("A2AGW_LISTEN", format!("127.0.0.1:{port}"))
        .env("A2AGW_STORE", "memory")
        .env("OTEL_BSP_SCHEDULE_DELAY", "600000")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", "")
        .env("OTEL_SERVICE_NAME", "")
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let show_log = || std::fs::read_to_string(&log_path).unwrap_or_default();

    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "exited:\n{}",
            show_log()
        );
        assert!(Instant::now() < deadline, "not ready:\n{}", show_log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let task_id = send_message(&base).await;
    // Let the task's driver finish (its span ends with it).
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        collector.exports().is_empty(),
        "nothing is exported before the batch delay or shutdown"
    );

    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("still running 30 s after SIGTERM:\n{}", show_log());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "{exit}:\n{}", show_log());
    let (service, request, task) = collector.wait_for(&task_id, Duration::from_secs(1)).await;
    assert_spans(&collector, &service, &request, &task);
}
