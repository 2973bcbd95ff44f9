//! Who may use which agent: an agent's allow list (owners, owner prefixes, JWT roles). A
//! caller not allowed gets exactly the answers of an agent that does not exist, on the
//! agent's path, its card, and through a `tenant` at the root.

// Helpers outside #[test] functions may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use crate::jwt::{AUD, ISS, SECRET, claims, hs};
use crate::support::{AGENT, TestServer, json_of, send_request, server};
use a2agw_server::{JwtConfig, JwtKeySource};
use serde_json::{Value, json};

fn with_auth(req: reqwest::RequestBuilder, auth: &[(&str, String)]) -> reqwest::RequestBuilder {
    auth.iter()
        .fold(req, |req, (name, value)| req.header(*name, value.as_str()))
}

/// What a caller gets from agent `name`: (card status, card body), (REST send status,
/// body), (JSON-RPC send status, body), (tenant-routed REST send at the root: status,
/// body) — with the agent's name replaced by `<agent>` so answers about two names compare.
async fn answers(srv: &TestServer, name: &str, auth: &[(&str, String)]) -> Vec<(u16, String)> {
    let mut out = Vec::new();
    let scrub = |(status, body): (u16, Value)| (status, body.to_string().replace(name, "<agent>"));
    let card = with_auth(
        srv.get(&format!("/agents/{name}/.well-known/agent-card.json")),
        auth,
    )
    .send()
    .await
    .unwrap();
    out.push((card.status().as_u16(), String::new()));
    let rest = with_auth(
        srv.post_json(
            &format!("/agents/{name}/message:send"),
            &send_request("hello"),
        ),
        auth,
    );
    out.push(scrub(json_of(rest.send().await.unwrap()).await));
    let rpc = json!({"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": send_request("hello")});
    let rpc = with_auth(srv.post_json(&format!("/agents/{name}/"), &rpc), auth);
    out.push(scrub(json_of(rpc.send().await.unwrap()).await));
    let tenant = with_auth(
        srv.post_json(&format!("/{name}/message:send"), &send_request("hello")),
        auth,
    );
    out.push(scrub(json_of(tenant.send().await.unwrap()).await));
    let get = with_auth(srv.get(&format!("/agents/{name}/tasks")), auth);
    out.push(scrub(json_of(get.send().await.unwrap()).await));
    out
}

#[tokio::test]
async fn an_agent_a_caller_may_not_use_looks_like_one_that_does_not_exist() {
    let srv = server()
        .api_key("alice-key", "alice")
        .api_key("bob-key", "bob")
        .agent("open")
        .restricted_agent("private", &["alice"])
        .start()
        .await;
    let alice = [("x-api-key", "alice-key".to_owned())];
    let bob = [("x-api-key", "bob-key".to_owned())];
    let wrong = [("x-api-key", "not-a-key".to_owned())];
    for (who, auth) in [
        ("bob", &bob[..]),
        ("a bad key", &wrong[..]),
        ("no key", &[][..]),
    ] {
        let private = answers(&srv, "private", auth).await;
        let missing = answers(&srv, "missing", auth).await;
        assert_eq!(
            private, missing,
            "{who}: the private agent must look missing"
        );
        // Under /agents/{name} the agent is looked up before authentication; at the root
        // (the tenant route, fourth) a bad or missing credential is refused first (401),
        // for both names alike.
        let statuses: Vec<u16> = private.iter().map(|(status, _)| *status).collect();
        let at_root = if who == "bob" { 404 } else { 401 };
        assert_eq!(
            statuses,
            [404, 404, 404, at_root, 404],
            "{who}: {private:?}"
        );
    }
    // Alice uses it on every route.
    let ok = answers(&srv, "private", &alice).await;
    assert!(ok.iter().all(|(status, _)| *status == 200), "{ok:?}");
    // An open agent serves Bob.
    let open = answers(&srv, "open", &bob).await;
    assert!(open.iter().all(|(status, _)| *status == 200), "{open:?}");
}

/// The root of a gateway with several agents serves the gateway's card: the root agent's
/// card with every agent's skills the caller may use, ids qualified by agent; a private
/// agent's skills only to callers allowed to use it, and then the card is cached privately.
#[tokio::test]
async fn the_gateway_card_lists_the_skills_of_the_agents_a_caller_may_use() {
    let srv = server()
        .api_key("alice-key", "alice")
        .api_key("bob-key", "bob")
        .agent("open")
        .restricted_agent("private", &["alice"])
        .start()
        .await;
    let card = |key: &'static str| {
        let srv = &srv;
        async move {
            let resp = srv
                .get("/.well-known/agent-card.json")
                .header("x-api-key", key)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            let cache = resp.headers()["cache-control"].to_str().unwrap().to_owned();
            let vary = resp.headers()["vary"].to_str().unwrap().to_owned();
            let card: Value = resp.json().await.unwrap();
            let ids: Vec<String> = card["skills"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned())
                .collect();
            (card, ids, cache, vary)
        }
    };
    let (alice_card, alice, cache, vary) = card("alice-key").await;
    assert_eq!(
        alice,
        [
            format!("{AGENT}/echo"),
            "open/echo".to_owned(),
            "private/echo".to_owned()
        ]
    );
    assert_eq!(
        alice_card["name"], "Demo agent",
        "the root agent's identity"
    );
    assert!(cache.starts_with("private"), "{cache}");
    assert!(vary.contains("Authorization"), "{vary}");
    let skill = &alice_card["skills"][2];
    assert!(
        skill["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("agent:private")),
        "{skill}"
    );
    assert_eq!(skill["inputModes"], json!(["text/plain"]));
    let (_, bob, _, _) = card("bob-key").await;
    assert_eq!(bob, [format!("{AGENT}/echo"), "open/echo".to_owned()]);
    // Each agent's own card keeps its own skill ids.
    let own: Value = srv
        .get("/agents/open/.well-known/agent-card.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(own["skills"][0]["id"], "echo");
}

#[tokio::test]
async fn jwt_roles_and_issuer_prefixes_grant_agents() {
    let mut jwt = JwtConfig::new(ISS, AUD, JwtKeySource::Secret(SECRET.to_vec()));
    jwt.roles_claim = "roles".into();
    let srv = server()
        .api_key("ops-key", "ops")
        .jwt(jwt)
        .restricted_agent("ops-only", &["role:ops"])
        .restricted_agent("idp-users", &[&format!("jwt:{ISS}|*")])
        .start()
        .await;
    let token = |extra: Value| vec![("authorization", format!("Bearer {}", hs(&claims(extra))))];
    let status_of = |list: Vec<(u16, String)>| list.iter().map(|(s, _)| *s).collect::<Vec<_>>();
    let allowed = vec![200; 5];
    let refused = vec![404; 5];
    // The role, as an array or as a space-separated string.
    assert_eq!(
        status_of(answers(&srv, "ops-only", &token(json!({"roles": ["dev", "ops"]}))).await),
        allowed
    );
    assert_eq!(
        status_of(answers(&srv, "ops-only", &token(json!({"roles": "dev ops"}))).await),
        allowed
    );
    assert_eq!(
        status_of(answers(&srv, "ops-only", &token(json!({"roles": ["dev"]}))).await),
        refused
    );
    assert_eq!(
        status_of(answers(&srv, "ops-only", &token(json!({}))).await),
        refused
    );
    // An API key named like the role is not the role.
    assert_eq!(
        status_of(answers(&srv, "ops-only", &[("x-api-key", "ops-key".into())]).await),
        refused
    );
    // Every subject of the issuer.
    assert_eq!(
        status_of(answers(&srv, "idp-users", &token(json!({"sub": "carol"}))).await),
        allowed
    );
    assert_eq!(
        status_of(answers(&srv, "idp-users", &[("x-api-key", "ops-key".into())]).await),
        refused
    );
}
