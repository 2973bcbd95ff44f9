//! `GET /agents`: the catalog of the agents a caller may use, its filters and paging, and
//! card URLs that answer.

// Helpers outside #[test] functions may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use crate::support::{TestServer, json_of, server};
use serde_json::Value;

async fn catalog(srv: &TestServer, query: &str, key: Option<&str>) -> (u16, Value) {
    let mut req = srv.get(&format!("/agents{query}"));
    if let Some(k) = key {
        req = req.header("x-api-key", k);
    }
    json_of(req.send().await.unwrap()).await
}

fn names(body: &Value) -> Vec<String> {
    body["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_catalog_lists_what_the_caller_may_use_filtered_and_paged() {
    let srv = server()
        .api_key("alice-key", "alice")
        .anonymous(true)
        .agent("other")
        .restricted_agent("private", &["alice"])
        .start()
        .await;
    let (status, body) = catalog(&srv, "", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        names(&body),
        ["demo", "other"],
        "the private agent is hidden"
    );
    assert_eq!(body["nextPageToken"], "");
    let (_, body) = catalog(&srv, "", Some("alice-key")).await;
    assert_eq!(names(&body), ["demo", "other", "private"]);

    // Each entry: its card URL answers with that agent's card.
    let other = &body["agents"][1];
    assert_eq!(other["skills"][0]["id"], "echo", "{other}");
    assert_eq!(other["capabilities"]["streaming"], true);
    let url = other["cardUrl"].as_str().unwrap();
    assert_eq!(url, srv.url("/agents/other/.well-known/agent-card.json"));
    let card: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    assert_eq!(card["name"], "Demo agent other");

    // Filters.
    for (query, expected) in [
        ("?skill=echo", &["demo", "other", "private"][..]),
        ("?skill=nope", &[][..]),
        ("?tag=DEMO", &["demo", "other", "private"][..]),
        ("?tag=none", &[][..]),
        ("?q=other", &["other"][..]),
        ("?q=Demo%20OTHER", &["other"][..]),
        ("?q=echoes%20private", &["private"][..]),
        ("?q=nothing-like-this", &[][..]),
    ] {
        let (status, body) = catalog(&srv, query, Some("alice-key")).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(names(&body), expected, "{query}");
    }

    // Paging: one at a time, to the end.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let (status, body) = catalog(
            &srv,
            &format!("?pageSize=1&pageToken={token}"),
            Some("alice-key"),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        seen.extend(names(&body));
        token = body["nextPageToken"].as_str().unwrap().to_owned();
        if token.is_empty() {
            break;
        }
        assert!(seen.len() < 10, "paging does not end");
    }
    assert_eq!(seen, ["demo", "other", "private"]);
    // The anonymous caller's last page ends before the hidden agent.
    let (_, body) = catalog(&srv, "?pageSize=1&pageToken=demo", None).await;
    assert_eq!(
        (names(&body), body["nextPageToken"].clone()),
        (vec!["other".to_owned()], "".into())
    );

    // Bad parameters name the field.
    for query in ["?pageSize=0", "?pageSize=101", "?pageSize=ten"] {
        let (status, body) = catalog(&srv, query, None).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body.to_string().contains("pageSize"), "{query}: {body}");
    }
    let long = "x".repeat(300);
    let (status, body) = catalog(&srv, &format!("?q={long}"), None).await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn the_catalog_needs_credentials_when_anonymous_callers_are_not_served() {
    let srv = server().api_key("k", "alice").start().await;
    let (status, _) = catalog(&srv, "", None).await;
    assert_eq!(status, 401);
    let (status, body) = catalog(&srv, "", Some("k")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(names(&body), ["demo"]);
}
