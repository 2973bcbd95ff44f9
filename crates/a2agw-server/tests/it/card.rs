//! The agent card's URLs behind proxies and path prefixes, caching headers (`ETag`,
//! `Last-Modified`), and the form served for each version asked (decision 34).

// Helpers outside #[test] functions may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use crate::support::server;
use a2agw_types::binding;
use serde_json::Value;

const ALL: [(&str, &str); 3] = [
    (binding::JSONRPC, "1.0"),
    (binding::HTTP_JSON, "1.0"),
    (binding::GRPC, "1.0"),
];

fn urls(card: &Value) -> Vec<(String, String)> {
    card["supportedInterfaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["protocolBinding"].as_str().unwrap().to_owned(),
                i["url"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn forwarded_headers_give_the_public_urls_when_trusted() {
    let srv = server()
        .interfaces(ALL.to_vec())
        .trust_forwarded(true)
        .start()
        .await;
    let card: Value = srv
        .get("/.well-known/agent-card.json")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "gw.example.com")
        .header("x-forwarded-prefix", "/team/a2a/")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        urls(&card),
        [
            ("JSONRPC".into(), "https://gw.example.com/team/a2a/".into()),
            ("HTTP+JSON".into(), "https://gw.example.com/team/a2a".into()),
            ("GRPC".into(), "gw.example.com:443".into()),
        ]
    );
    // The 0.3 card agrees (no doubled path, no swapped authority).
    let v03: Value = srv
        .get("/.well-known/agent-card.json")
        .header("a2a-version", "0.3")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "gw.example.com")
        .header("x-forwarded-prefix", "/team/a2a/")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v03["url"], "https://gw.example.com/team/a2a/");
}

#[tokio::test]
async fn forwarded_headers_are_ignored_unless_trusted() {
    let srv = server().interfaces(ALL.to_vec()).start().await;
    let card: Value = srv
        .get("/.well-known/agent-card.json")
        .header("x-forwarded-host", "evil.example.com")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let host = srv.base.trim_start_matches("http://").to_owned();
    assert!(
        urls(&card)
            .iter()
            .all(|(_, u)| u.contains(&host) && !u.contains("evil")),
        "{card}"
    );
}

#[tokio::test]
async fn a_configured_public_url_wins() {
    let srv = server()
        .interfaces(ALL.to_vec())
        .public_url("https://agents.example.org/a2a/")
        .trust_forwarded(true)
        .start()
        .await;
    let card: Value = srv
        .get("/.well-known/agent-card.json")
        .header("x-forwarded-host", "other.example.com")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(urls(&card)[0].1, "https://agents.example.org/a2a/");
    assert_eq!(urls(&card)[1].1, "https://agents.example.org/a2a");
    assert_eq!(urls(&card)[2].1, "agents.example.org:443");
}

#[tokio::test]
async fn etag_cache_control_and_the_legacy_path() {
    let srv = server().start().await;
    let resp = srv
        .get("/.well-known/agent-card.json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'));
    assert!(
        resp.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    let body = resp.text().await.unwrap();
    let again = srv
        .get("/.well-known/agent-card.json")
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.text().await.unwrap().is_empty());
    let stale = srv
        .get("/.well-known/agent-card.json")
        .header("if-none-match", "\"nope\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);
    assert_eq!(stale.text().await.unwrap(), body);
    // The ≤0.2 path serves the 0.3 card, the same as `A2A-Version: 0.3` asks for.
    let legacy = srv.get("/.well-known/agent.json").send().await.unwrap();
    let legacy: Value = legacy.json().await.unwrap();
    let asked: Value = srv
        .get("/.well-known/agent-card.json")
        .header("a2a-version", "0.3")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(legacy, asked);
    assert_eq!(legacy["protocolVersion"], "0.3.0", "{legacy}");
}

/// CARD-CACHE-003: `Last-Modified`, and `If-Modified-Since` answered 304 from that date on
/// (whole seconds, as HTTP dates have), 200 before it; `If-None-Match` wins over it.
#[tokio::test]
async fn last_modified_and_if_modified_since() {
    let srv = server().start().await;
    let resp = srv
        .get("/.well-known/agent-card.json")
        .send()
        .await
        .unwrap();
    let modified = resp.headers()["last-modified"].to_str().unwrap().to_owned();
    let date = httpdate::parse_http_date(&modified).unwrap();
    assert!(date <= std::time::SystemTime::now());
    let ask = |since: String| {
        srv.get("/.well-known/agent-card.json")
            .header("if-modified-since", since)
            .send()
    };
    assert_eq!(ask(modified.clone()).await.unwrap().status(), 304);
    let later = httpdate::fmt_http_date(date + std::time::Duration::from_secs(3600));
    assert_eq!(ask(later).await.unwrap().status(), 304);
    let earlier = httpdate::fmt_http_date(date - std::time::Duration::from_secs(3600));
    let resp = ask(earlier).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("last-modified"));
    // Not a date: ignored.
    assert_eq!(ask("yesterday".into()).await.unwrap().status(), 200);
    // A stale ETag beats a matching date (RFC 9110 §13.1.3).
    let resp = srv
        .get("/.well-known/agent-card.json")
        .header("if-modified-since", &modified)
        .header("if-none-match", "\"nope\"")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // Caches keep the forms apart.
    let vary = resp.headers()["vary"].to_str().unwrap();
    assert!(vary.contains("A2A-Version"), "{vary}");
}

/// `CardForm::Hybrid` (`server.card_without_version = "hybrid"`): a request that names no
/// version gets the 1.0 card plus the 0.3 top-level fields; one that names a version
/// still gets that version's card.
#[tokio::test]
async fn the_hybrid_card_for_requests_without_a_version() {
    let srv = server()
        .card_form(a2agw_server::CardForm::Hybrid)
        .start()
        .await;
    let get = |version: Option<&'static str>| {
        let mut r = srv.get("/.well-known/agent-card.json");
        if let Some(v) = version {
            r = r.header("a2a-version", v);
        }
        async move { r.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let hybrid = get(None).await;
    assert!(hybrid["supportedInterfaces"].is_array(), "{hybrid}");
    assert_eq!(hybrid["protocolVersion"], "0.3.0", "{hybrid}");
    assert_eq!(hybrid["url"], format!("{}/", srv.base), "{hybrid}");
    let v1 = get(Some("1.0")).await;
    assert!(v1.get("url").is_none(), "{v1}");
    let v03 = get(Some("0.3")).await;
    assert!(v03.get("supportedInterfaces").is_none(), "{v03}");
}
