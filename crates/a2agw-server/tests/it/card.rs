//! The agent card's URLs behind proxies and path prefixes, caching headers, and the
//! legacy path.

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
            ("GRPC".into(), "gw.example.com".into()),
        ]
    );
    // The 0.3 fields agree (no doubled path, no swapped authority).
    assert_eq!(card["url"], "https://gw.example.com/team/a2a/");
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
    assert_eq!(urls(&card)[2].1, "agents.example.org");
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
    let legacy = srv.get("/.well-known/agent.json").send().await.unwrap();
    assert_eq!(legacy.text().await.unwrap(), body);
}
