//! Signed cards: with a signing key, every card the gateway serves (the root agent's and
//! another agent's, 1.0, 0.3 and hybrid forms, the extended card on JSON-RPC and HTTP+JSON)
//! verifies against the JWKS the gateway publishes; a card changed after signing does not.

// Helpers outside #[test] functions may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use crate::support::{TestServer, json_of, server};
use a2agw_signing::{SigningKey, TrustPolicy, TrustedKeys, Verified, verify_card};
use serde_json::{Value, json};

const ED25519: &str = include_str!("../../../a2agw-signing/tests/data/keys/ed25519.pem");
const P256: &str = include_str!("../../../a2agw-signing/tests/data/keys/p256.pem");
const RSA: &str = include_str!("../../../a2agw-signing/tests/data/keys/rsa2048.pem");

async fn get_json(srv: &TestServer, path: &str, headers: &[(&str, &str)]) -> Value {
    let req = headers.iter().fold(srv.get(path), |req, (name, value)| {
        req.header(*name, *value)
    });
    let (status, body) = json_of(req.send().await.unwrap()).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

#[tokio::test]
async fn every_served_card_verifies_with_the_published_keys() {
    for (pem, alg) in [(ED25519, "EdDSA"), (P256, "ES256"), (RSA, "RS256")] {
        let key = SigningKey::from_pem(pem.as_bytes(), Some("gw-1"))
            .unwrap()
            .with_jku("https://gw.example.test/.well-known/jwks.json");
        let srv = server()
            .api_key("k", "alice")
            .anonymous(true)
            .agent("other")
            .extended_card(a2agw_types::AgentCard {
                name: "Demo agent (extended)".into(),
                ..server().card()
            })
            .signing(key)
            .start()
            .await;
        let jwks = get_json(&srv, "/.well-known/jwks.json", &[]).await;
        assert_eq!(jwks["keys"][0]["kid"], "gw-1", "{jwks}");
        let keys = TrustedKeys::from_jwks_json(&jwks.to_string()).unwrap();
        let mut cards = Vec::new();
        for path in [
            "/.well-known/agent-card.json",
            "/.well-known/agent-card.json?A2A-Version=0.3",
            "/.well-known/agent.json",
            "/agents/other/.well-known/agent-card.json",
            "/agents/other/.well-known/agent.json",
        ] {
            cards.push((path.to_owned(), get_json(&srv, path, &[]).await));
        }
        let extended = get_json(&srv, "/extendedAgentCard", &[("x-api-key", "k")]).await;
        cards.push(("REST extended card".into(), extended));
        let rpc = json!({"jsonrpc": "2.0", "id": 1, "method": "GetExtendedAgentCard"});
        let (_, body) = json_of(
            srv.post_json("/agents/other/", &rpc)
                .header("x-api-key", "k")
                .send()
                .await
                .unwrap(),
        )
        .await;
        cards.push(("JSON-RPC extended card".into(), body["result"].clone()));
        for (what, card) in &cards {
            let signature = &card["signatures"][0];
            let header: Value =
                serde_json::from_slice(&base64_url(signature["protected"].as_str().unwrap()))
                    .unwrap();
            assert_eq!(header["alg"], alg, "{what}: {header}");
            assert_eq!(header["kid"], "gw-1");
            assert_eq!(header["typ"], "JOSE");
            assert_eq!(
                header["jku"],
                "https://gw.example.test/.well-known/jwks.json"
            );
            match verify_card(card, &keys, TrustPolicy::Require) {
                Ok(Verified::Signed { kid, .. }) => assert_eq!(kid, "gw-1"),
                other => panic!("{what} ({alg}): {other:?}\n{card}"),
            }
            // A card changed after signing does not verify.
            let mut changed = card.clone();
            changed["description"] = json!("Something else");
            assert!(
                verify_card(&changed, &keys, TrustPolicy::Require).is_err(),
                "{what}: a changed card verified"
            );
        }
    }
}

#[tokio::test]
async fn without_a_key_cards_are_unsigned_and_there_is_no_jwks() {
    let srv = server().start().await;
    let card = get_json(&srv, "/.well-known/agent-card.json", &[]).await;
    assert!(card.get("signatures").is_none(), "{card}");
    let resp = srv.get("/.well-known/jwks.json").send().await.unwrap();
    assert_eq!(resp.status(), 404);
}

fn base64_url(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}
