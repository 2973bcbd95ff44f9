//! `a2agw_server::CardFetcher` against a small card server on `127.0.0.1` (axum): 1.0,
//! hybrid and 0.3 cards, `ETag` / `304`, size limits (announced and chunked), timeouts
//! (before the headers and mid-body), statuses, bodies that are not cards, redirects; and,
//! with private targets not allowed, the SSRF guard refusing internal URLs before any
//! connection. Nothing here reaches beyond loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use a2agw_server::{CardFetcher, FetchError, FetchSettings, Fetched, FetchedCard};
use a2agw_types::binding;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The `ETag` of the `/etag` card.
const ETAG: &str = "\"card-v1\"";

/// A body limit small enough for the size tests.
const SMALL_LIMIT: usize = 1024;

fn v1_card() -> Value {
    json!({
        "name": "Upstream",
        "description": "an upstream agent",
        "supportedInterfaces": [
            {"url": "https://agent.example.com/a2a", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}
        ],
        "version": "1.0.0",
        "capabilities": {"streaming": true},
        "defaultInputModes": ["text/plain"],
        "defaultOutputModes": ["text/plain"],
        "skills": [{"id": "echo", "name": "Echo", "description": "echoes", "tags": ["test"]}]
    })
}

fn v03_card() -> Value {
    json!({
        "protocolVersion": "0.3.0",
        "name": "Old upstream",
        "description": "speaks 0.3",
        "url": "https://old.example.com/a2a",
        "preferredTransport": "JSONRPC",
        "additionalInterfaces": [
            {"url": "https://old.example.com/a2a", "transport": "JSONRPC"},
            {"url": "https://old.example.com/rest", "transport": "HTTP+JSON"}
        ],
        "version": "0.9",
        "capabilities": {"streaming": false, "pushNotifications": true},
        "defaultInputModes": ["text/plain"],
        "defaultOutputModes": ["application/json"],
        "skills": [{"id": "s", "name": "S", "description": "does s", "tags": ["t"]}],
        "supportsAuthenticatedExtendedCard": true
    })
}

/// A 1.0 card that also carries the 0.3 top-level fields.
fn hybrid_card() -> Value {
    let mut card = v1_card();
    let o = card.as_object_mut().unwrap();
    o.insert("protocolVersion".into(), json!("0.3.0"));
    o.insert("url".into(), json!("https://legacy.example.com/a2a"));
    o.insert("preferredTransport".into(), json!("JSONRPC"));
    card
}

/// What the card server saw of each request to `/etag`: `If-None-Match` and `Accept`.
type Seen = Arc<Mutex<Vec<(Option<String>, Option<String>)>>>;

fn header_of(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn json_response(value: &Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

/// A body of `chunks` chunks of 100 bytes, streamed (chunked: no `Content-Length`).
fn chunked(chunks: usize) -> Body {
    let items = (0..chunks).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b' '; 100])));
    Body::from_stream(futures::stream::iter(items))
}

/// The card server; it stops when dropped.
struct CardServer {
    base: String,
    seen: Seen,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CardServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CardServer {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

async fn card_server() -> CardServer {
    let seen: Seen = Arc::default();
    let app =
        axum::Router::new()
            .route("/v1", get(|| async { json_response(&v1_card()) }))
            .route("/hybrid", get(|| async { json_response(&hybrid_card()) }))
            .route("/v03", get(|| async { json_response(&v03_card()) }))
            .route(
                "/etag",
                get(|State(seen): State<Seen>, headers: HeaderMap| async move {
                    let if_none_match = header_of(&headers, header::IF_NONE_MATCH);
                    let accept = header_of(&headers, header::ACCEPT);
                    seen.lock().unwrap().push((if_none_match.clone(), accept));
                    if if_none_match.as_deref() == Some(ETAG) {
                        (StatusCode::NOT_MODIFIED, [(header::ETAG, ETAG)]).into_response()
                    } else {
                        let mut response = json_response(&v1_card());
                        response
                            .headers_mut()
                            .insert(header::ETAG, header::HeaderValue::from_static(ETAG));
                        response
                    }
                }),
            )
            .route(
                // A valid card, padded with spaces past the small limit; `Content-Length` set.
                "/big",
                get(|| async {
                    let mut text = v1_card().to_string();
                    text.push_str(&" ".repeat(4 * SMALL_LIMIT));
                    ([(header::CONTENT_TYPE, "application/json")], text).into_response()
                }),
            )
            .route(
                "/big-chunked",
                get(|| async { chunked(40).into_response() }),
            )
            .route(
                "/small-chunked",
                get(|| async {
                    // A valid card streamed in two chunks, under the limit.
                    let text = v1_card().to_string();
                    let (a, b) = text.split_at(text.len() / 2);
                    let items = [a.to_owned(), b.to_owned()]
                        .map(|s| Ok::<_, std::io::Error>(bytes::Bytes::from(s)));
                    Body::from_stream(futures::stream::iter(items)).into_response()
                }),
            )
            .route(
                "/slow-headers",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    json_response(&v1_card())
                }),
            )
            .route(
                "/slow-body",
                get(|| async {
                    // The headers at once, then the body stalls after its first byte.
                    let stream = futures::stream::unfold(0u8, |step| async move {
                        match step {
                            0 => {
                                Some((Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"{")), 1))
                            }
                            _ => {
                                tokio::time::sleep(Duration::from_secs(30)).await;
                                None
                            }
                        }
                    });
                    Body::from_stream(stream).into_response()
                }),
            )
            .route(
                "/status/{code}",
                get(|Path(code): Path<u16>| async move {
                    StatusCode::from_u16(code).unwrap().into_response()
                }),
            )
            .route(
                "/text",
                get(|| async {
                    (
                        [(header::CONTENT_TYPE, "text/html")],
                        "<html>not a card</html>",
                    )
                }),
            )
            .route(
                "/array",
                get(|| async { json_response(&json!([v1_card()])) }),
            )
            .route(
                "/incomplete",
                get(|| async {
                    json_response(&json!({"name": "half", "supportedInterfaces": []}))
                }),
            )
            .route(
                "/incomplete-v03",
                get(|| async {
                    json_response(&json!({"protocolVersion": "0.3.0", "name": "half", "url": ""}))
                }),
            )
            .route("/redirect", get(|| async { Redirect::temporary("/v1") }))
            .route(
                // `/chain/n`: n redirects, then the card.
                "/chain/{n}",
                get(|Path(n): Path<u32>| async move {
                    if n == 0 {
                        json_response(&v1_card())
                    } else {
                        Redirect::to(&format!("/chain/{}", n - 1)).into_response()
                    }
                }),
            )
            .route(
                "/loop/{n}",
                get(|Path(n): Path<u32>| async move {
                    Redirect::temporary(&format!("/loop/{}", n + 1))
                }),
            )
            .with_state(Arc::clone(&seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    CardServer { base, seen, task }
}

/// A fetcher for the local server: `settings` with private targets allowed.
fn local(mut settings: FetchSettings) -> CardFetcher {
    settings.allow_private = true;
    CardFetcher::new(settings).unwrap()
}

fn local_default() -> CardFetcher {
    local(FetchSettings {
        timeout: Duration::from_secs(5),
        ..FetchSettings::default()
    })
}

async fn card(fetcher: &CardFetcher, url: &str) -> FetchedCard {
    match fetcher.fetch(url, None).await {
        Ok(Fetched::Card(card)) => card,
        other => panic!("{url}: {other:?}"),
    }
}

async fn error(fetcher: &CardFetcher, url: &str) -> FetchError {
    match fetcher.fetch(url, None).await {
        Err(e) => e,
        Ok(other) => panic!("{url}: expected an error, got {other:?}"),
    }
}

/// The `host:port` of the server, as errors name it.
fn host_of(server: &CardServer) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

#[tokio::test]
async fn card_fetch_v1_card() {
    let server = card_server().await;
    let fetched = card(&local_default(), &server.url("/v1")).await;
    assert_eq!(fetched.protocol_version, "1.0");
    assert_eq!(fetched.raw, v1_card());
    assert_eq!(fetched.etag, None);
    assert_eq!(fetched.card.name, "Upstream");
    assert_eq!(fetched.card.skills[0].id, "echo");
    assert_eq!(fetched.card.capabilities.streaming, Some(true));
    assert_eq!(fetched.card.supported_interfaces[0].protocol_version, "1.0");
}

#[tokio::test]
async fn card_fetch_hybrid_card_reads_as_v1() {
    let server = card_server().await;
    let fetched = card(&local_default(), &server.url("/hybrid")).await;
    assert_eq!(fetched.protocol_version, "1.0");
    assert_eq!(fetched.raw, hybrid_card());
    assert_eq!(fetched.card.supported_interfaces.len(), 1);
    assert_eq!(
        fetched.card.supported_interfaces[0].url,
        "https://agent.example.com/a2a"
    );
}

#[tokio::test]
async fn card_fetch_v03_card_is_converted() {
    let server = card_server().await;
    let fetched = card(&local_default(), &server.url("/v03")).await;
    assert_eq!(fetched.protocol_version, "0.3");
    assert_eq!(fetched.raw, v03_card(), "raw is the JSON as received");
    let c = &fetched.card;
    assert_eq!(c.name, "Old upstream");
    assert_eq!(c.version, "0.9");
    // `url` + `preferredTransport` first, then `additionalInterfaces`, all 0.3.
    let interfaces: Vec<(&str, &str, &str)> = c
        .supported_interfaces
        .iter()
        .map(|i| {
            (
                i.url.as_str(),
                i.protocol_binding.as_str(),
                i.protocol_version.as_str(),
            )
        })
        .collect();
    assert_eq!(
        interfaces[0],
        ("https://old.example.com/a2a", binding::JSONRPC, "0.3")
    );
    assert!(
        interfaces.contains(&("https://old.example.com/rest", binding::HTTP_JSON, "0.3")),
        "{interfaces:?}"
    );
    assert_eq!(c.capabilities.push_notifications, Some(true));
    assert_eq!(c.capabilities.extended_agent_card, Some(true));
    assert_eq!(c.default_output_modes, ["application/json"]);
}

#[tokio::test]
async fn card_fetch_etag_then_not_modified() {
    let server = card_server().await;
    let fetcher = local_default();
    let first = card(&fetcher, &server.url("/etag")).await;
    assert_eq!(first.etag.as_deref(), Some(ETAG));
    let again = fetcher
        .fetch(&server.url("/etag"), first.etag.as_deref())
        .await
        .unwrap();
    assert_eq!(again, Fetched::NotModified);
    // Another ETag: the full card again.
    let other = fetcher
        .fetch(&server.url("/etag"), Some("\"old\""))
        .await
        .unwrap();
    assert!(matches!(other, Fetched::Card(_)), "{other:?}");
    let seen = server.seen.lock().unwrap().clone();
    let json = Some("application/json".to_owned());
    assert_eq!(
        seen,
        [
            (None, json.clone()),
            (Some(ETAG.to_owned()), json.clone()),
            (Some("\"old\"".to_owned()), json),
        ]
    );
}

#[tokio::test]
async fn card_fetch_body_over_the_limit() {
    let server = card_server().await;
    let fetcher = local(FetchSettings {
        max_bytes: SMALL_LIMIT,
        timeout: Duration::from_secs(5),
        ..FetchSettings::default()
    });
    // With `Content-Length` (refused before reading) and chunked (refused while reading).
    let plain = reqwest::Client::builder().no_proxy().build().unwrap();
    let announced = |path: &'static str| {
        let request = plain.get(server.url(path));
        async move { request.send().await.unwrap().content_length() }
    };
    assert!(
        announced("/big")
            .await
            .is_some_and(|n| n > SMALL_LIMIT as u64)
    );
    assert_eq!(announced("/big-chunked").await, None);
    for path in ["/big", "/big-chunked"] {
        match error(&fetcher, &server.url(path)).await {
            FetchError::TooLarge { host, limit } => {
                assert_eq!(host, host_of(&server), "{path}");
                assert_eq!(limit, SMALL_LIMIT, "{path}");
            }
            other => panic!("{path}: {other:?}"),
        }
    }
    // A chunked card under the limit is read whole.
    let fetched = card(&fetcher, &server.url("/small-chunked")).await;
    assert_eq!(fetched.raw, v1_card());
    // The default limit takes the padded card.
    let fetched = card(&local_default(), &server.url("/big")).await;
    assert_eq!(fetched.card.name, "Upstream");
}

#[tokio::test]
async fn card_fetch_slow_server_times_out() {
    let server = card_server().await;
    let fetcher = local(FetchSettings {
        timeout: Duration::from_millis(300),
        ..FetchSettings::default()
    });
    // Before the headers, and after them in the body: the timeout covers both.
    for path in ["/slow-headers", "/slow-body"] {
        let e = error(&fetcher, &server.url(path)).await;
        match &e {
            FetchError::Timeout { host, timeout } => {
                assert_eq!(host, &host_of(&server), "{path}");
                assert_eq!(*timeout, Duration::from_millis(300), "{path}");
            }
            other => panic!("{path}: {other:?}"),
        }
        assert!(e.to_string().contains("timed out"), "{e}");
    }
}

#[tokio::test]
async fn card_fetch_error_statuses() {
    let server = card_server().await;
    let fetcher = local_default();
    for (path, status) in [
        ("/nothing-here?token=hunter2", 404),
        ("/status/500", 500),
        ("/status/403", 403),
        // A 304 without a conditional request is not "not modified".
        ("/status/304", 304),
    ] {
        let e = error(&fetcher, &server.url(path)).await;
        assert_eq!(
            e,
            FetchError::Status {
                host: host_of(&server),
                status
            },
            "{path}"
        );
        let text = e.to_string();
        assert!(text.contains(&host_of(&server)), "{text}");
        assert!(
            !text.contains("hunter2") && !text.contains("nothing-here"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn card_fetch_not_json_and_not_an_object() {
    let server = card_server().await;
    let fetcher = local_default();
    let e = error(&fetcher, &server.url("/text")).await;
    assert!(matches!(e, FetchError::NotJson { .. }), "{e:?}");
    assert!(e.to_string().contains(&host_of(&server)), "{e}");
    let e = error(&fetcher, &server.url("/array")).await;
    assert_eq!(
        e,
        FetchError::NotObject {
            host: host_of(&server),
            found: "an array"
        }
    );
}

#[tokio::test]
async fn card_fetch_missing_required_fields_are_named() {
    let server = card_server().await;
    let fetcher = local_default();
    let e = error(&fetcher, &server.url("/incomplete")).await;
    let FetchError::InvalidCard {
        host,
        protocol_version,
        problems,
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(host, &host_of(&server));
    assert_eq!(*protocol_version, "1.0");
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    for field in [
        "description",
        "version",
        "supportedInterfaces",
        "capabilities",
        "defaultInputModes",
        "defaultOutputModes",
        "skills",
    ] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
        assert!(e.to_string().contains(&format!("`{field}`")), "{e}");
    }
    assert!(!fields.contains(&"name"), "{fields:?}");

    // A 0.3 card: named in 0.3 terms.
    let e = error(&fetcher, &server.url("/incomplete-v03")).await;
    let FetchError::InvalidCard {
        protocol_version,
        problems,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(*protocol_version, "0.3");
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "description",
            "version",
            "capabilities",
            "defaultInputModes",
            "defaultOutputModes",
            "skills"
        ]
    );
}

#[tokio::test]
async fn card_fetch_redirects() {
    let server = card_server().await;
    let fetcher = local_default();
    let fetched = card(&fetcher, &server.url("/redirect")).await;
    assert_eq!(fetched.raw, v1_card());
    // Exactly the limit (3 by default) is followed.
    let fetched = card(&fetcher, &server.url("/chain/3")).await;
    assert_eq!(fetched.card.name, "Upstream");
    for path in ["/chain/4", "/loop/0"] {
        match error(&fetcher, &server.url(path)).await {
            FetchError::TooManyRedirects { host, max } => {
                assert_eq!(host, host_of(&server), "{path}");
                assert_eq!(max, 3, "{path}");
            }
            other => panic!("{path}: {other:?}"),
        }
    }
    // No redirects allowed.
    let strict = local(FetchSettings {
        max_redirects: 0,
        timeout: Duration::from_secs(5),
        ..FetchSettings::default()
    });
    assert!(matches!(
        error(&strict, &server.url("/redirect")).await,
        FetchError::TooManyRedirects { max: 0, .. }
    ));
}

#[tokio::test]
async fn card_fetch_connection_refused() {
    // A port nothing listens on any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let e = error(&local_default(), &format!("http://{addr}/card?secret=1")).await;
    match &e {
        FetchError::Connection { host, .. } => assert_eq!(host, &addr.to_string()),
        other => panic!("{other:?}"),
    }
    assert!(!e.to_string().contains("secret"), "{e}");
}

#[tokio::test]
async fn card_fetch_bad_urls() {
    let fetcher = CardFetcher::new(FetchSettings::default()).unwrap();
    for url in [
        "ftp://cards.example.com/card.json",
        "file:///etc/passwd",
        "not a url",
        "http://",
    ] {
        let e = error(&fetcher, url).await;
        assert!(matches!(e, FetchError::BadUrl { .. }), "{url}: {e:?}");
    }
    let e = error(&fetcher, "ftp://cards.example.com/card.json?k=v").await;
    assert_eq!(
        e.to_string(),
        "bad agent card URL (host `cards.example.com`): scheme `ftp` is not allowed: agent cards are fetched over http or https"
    );
}

/// With private targets not allowed (the default), internal URLs are refused before any
/// connection: the card server would answer, but is never asked.
#[tokio::test]
async fn card_fetch_guard_refuses_internal_urls() {
    let server = card_server().await;
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    let fetcher = CardFetcher::new(FetchSettings {
        timeout: Duration::from_secs(5),
        ..FetchSettings::default()
    })
    .unwrap();
    for (url, host, why) in [
        (
            format!("http://127.0.0.1:{port}/etag"),
            format!("127.0.0.1:{port}"),
            "loopback",
        ),
        (
            format!("http://localhost:{port}/etag"),
            format!("localhost:{port}"),
            "loopback",
        ),
        ("http://[::1]/".to_owned(), "[::1]".to_owned(), "loopback"),
        (
            "http://169.254.169.254/latest/meta-data/?token=t0ps3cret".to_owned(),
            "169.254.169.254".to_owned(),
            "link-local",
        ),
        (
            "http://10.0.0.8/card".to_owned(),
            "10.0.0.8".to_owned(),
            "private",
        ),
        (
            "https://[fd00::1]/card".to_owned(),
            "[fd00::1]".to_owned(),
            "unique local",
        ),
    ] {
        let e = error(&fetcher, &url).await;
        match &e {
            FetchError::Refused {
                host: refused,
                reason,
            } => {
                assert_eq!(refused, &host, "{url}");
                assert!(reason.contains(why), "{url}: {reason}");
            }
            other => panic!("{url}: {other:?}"),
        }
        let text = e.to_string();
        assert!(text.contains("SSRF guard"), "{text}");
        assert!(
            !text.contains("t0ps3cret") && !text.contains("meta-data"),
            "{text}"
        );
    }
    // The loopback `/etag` URLs were never requested.
    assert!(server.seen.lock().unwrap().is_empty());
}
