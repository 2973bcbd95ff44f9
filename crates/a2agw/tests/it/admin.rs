//! The admin API, end to end on the binary: its credential, registration inline and by
//! card URL (a local upstream serving a card with an ETag; signatures checked against
//! trusted keys), refusals that name the field and leave nothing behind, enable/disable,
//! replace with If-Match, delete, persistence across a restart, and two processes on one
//! PostgreSQL database seeing each other's registrations.

// Helpers outside #[test] functions may unwrap: a failure is a test failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::needless_pass_by_value
)]

use crate::support::Gateway;
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ADMIN_KEY: &str = "admin-key-for-tests";
const CALLER_KEY: &str = "caller-key-for-tests";

fn config(extra: &str) -> String {
    format!(
        r#"
[auth]
anonymous = true
[auth.api_keys]
alice = "{caller}"

[admin]
allow_private_card_urls = true
card_timeout_secs = 5
[admin.api_keys]
ops = "{admin}"
{extra}
"#,
        caller = a2agw_server::hash_key(CALLER_KEY),
        admin = a2agw_server::hash_key(ADMIN_KEY),
    )
}

fn admin(gw: &Gateway, method: reqwest::Method, path: &str) -> RequestBuilder {
    Client::new()
        .request(method, format!("{}/admin/v1/agents{path}", gw.url()))
        .header("X-Admin-Key", ADMIN_KEY)
}

fn json_of(resp: Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn create(gw: &Gateway, body: Value) -> (u16, Value) {
    json_of(
        admin(gw, reqwest::Method::POST, "")
            .json(&body)
            .send()
            .unwrap(),
    )
}

fn inline(name: &str) -> Value {
    json!({
        "name": name,
        "description": "Answers questions about invoices",
        "skills": [{"id": "invoices", "name": "Invoices", "description": "Finds invoices", "tags": ["billing"]}],
        "provider": {"kind": "demo"},
    })
}

/// A blocking `SendMessage` to `/agents/{name}/`: the JSON-RPC response.
fn send(gw: &Gateway, name: &str, text: &str) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {
        "message": {"messageId": uuid::Uuid::new_v4().to_string(), "role": "ROLE_USER", "parts": [{"text": text}]}
    }});
    Client::new()
        .post(format!("{}/agents/{name}/", gw.url()))
        .header("A2A-Version", "1.0")
        .json(&body)
        .send()
        .unwrap()
        .json()
        .unwrap()
}

fn catalog_names(gw: &Gateway) -> Vec<String> {
    let v: Value = Client::new()
        .get(format!("{}/agents", gw.url()))
        .send()
        .unwrap()
        .json()
        .unwrap();
    v["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect()
}

fn card_status(gw: &Gateway, name: &str) -> u16 {
    Client::new()
        .get(format!(
            "{}/agents/{name}/.well-known/agent-card.json",
            gw.url()
        ))
        .send()
        .unwrap()
        .status()
        .as_u16()
}

/// A tiny upstream that serves one card (changeable) with a strong ETag, honouring
/// `If-None-Match`; counts the requests and the 304s.
struct Upstream {
    port: u16,
    card: Arc<Mutex<Value>>,
    hits: Arc<Mutex<(usize, usize)>>,
}

impl Upstream {
    fn start(card: Value) -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let card = Arc::new(Mutex::new(card));
        let hits = Arc::new(Mutex::new((0, 0)));
        let (c, h) = (Arc::clone(&card), Arc::clone(&hits));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut if_none_match = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':')
                        && k.eq_ignore_ascii_case("if-none-match")
                    {
                        if_none_match = Some(v.trim().to_owned());
                    }
                }
                let body = c.lock().unwrap().to_string();
                let etag = format!("\"{:x}\"", fnv(body.as_bytes()));
                let mut hits = h.lock().unwrap();
                hits.0 += 1;
                let resp = if if_none_match.as_deref() == Some(etag.as_str()) {
                    hits.1 += 1;
                    format!(
                        "HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nConnection: close\r\n\r\n"
                    )
                } else {
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nETag: {etag}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                };
                drop(hits);
                let _ = stream.write_all(resp.as_bytes());
                let _ = stream.read(&mut [0u8; 1]);
            }
        });
        Upstream { port, card, hits }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/.well-known/agent-card.json", self.port)
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn upstream_card(skill: &str) -> Value {
    json!({
        "name": "Travel Desk",
        "description": "Books trips",
        "version": "2.1.0",
        "supportedInterfaces": [{"url": "http://upstream.invalid/a2a", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}],
        "capabilities": {"streaming": true},
        "securitySchemes": {"upstreamKey": {"apiKeySecurityScheme": {"location": "header", "name": "X-Upstream"}}},
        "defaultInputModes": ["text/plain"],
        "defaultOutputModes": ["text/plain"],
        "skills": [{"id": skill, "name": skill, "description": "a skill", "tags": ["travel"]}],
    })
}

fn key(file: &str) -> a2agw_signing::SigningKey {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../a2agw-signing/tests/data/keys/"
    );
    a2agw_signing::SigningKey::from_pem_file(format!("{path}{file}"), Some(file)).unwrap()
}

#[test]
fn admin_credentials_are_not_callers() {
    let gw = Gateway::start_with(Some(&config("")));
    let url = format!("{}/admin/v1/agents", gw.url());
    let none = Client::new().get(&url).send().unwrap();
    assert_eq!(none.status(), 401);
    assert!(none.headers().contains_key("www-authenticate"));
    let wrong = Client::new()
        .get(&url)
        .header("X-Admin-Key", "nope")
        .send()
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let caller = Client::new()
        .get(&url)
        .header("X-API-Key", CALLER_KEY)
        .send()
        .unwrap();
    assert_eq!(caller.status(), 403);
    let (status, body) = json_of(
        Client::new()
            .get(&url)
            .bearer_auth(ADMIN_KEY)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["agents"][0]["source"], "config");
    // Without [admin], there is no admin API.
    let plain = Gateway::start();
    let off = Client::new()
        .get(format!("{}/admin/v1/agents", plain.url()))
        .header("X-Admin-Key", ADMIN_KEY)
        .send()
        .unwrap();
    assert_eq!(off.status(), 404);
}

#[test]
fn inline_registration_lifecycle_and_refusals() {
    let kept = tempfile::tempdir().unwrap();
    let db = kept.path().join("agents.db").to_string_lossy().into_owned();
    let db_env = [("A2AGW_SQLITE_PATH", db.as_str())];
    let gw = Gateway::start_env(Some(&config("")), &db_env);
    // Refusals name the field and register nothing.
    let bad = [
        (json!({"description": "x"}), "name"),
        (json!({"name": "a/b", "description": "x"}), "name"),
        (
            json!({"name": "x", "skills": inline("x")["skills"]}),
            "description",
        ),
        (json!({"name": "x", "description": "x"}), "skills"),
        (
            {
                let mut v = inline("x");
                v["colour"] = json!("red");
                v
            },
            "",
        ),
        (
            {
                let mut v = inline("x");
                v["skills"][0]["tags"] = json!([]);
                v
            },
            "skills[0]",
        ),
        (
            {
                let mut v = inline("x");
                v["streaming"] = json!("yes");
                v
            },
            "streaming",
        ),
        (
            {
                let mut v = inline("x");
                v["provider"] = json!({"kind": "telepathy"});
                v
            },
            "provider.kind",
        ),
        (
            {
                let mut v = inline("x");
                v["allow"] = json!(["role:"]);
                v
            },
            "allow[0]",
        ),
        (
            {
                let mut v = inline("x");
                v["enabled"] = json!(1);
                v
            },
            "enabled",
        ),
        (
            {
                let mut v = inline("x");
                v["card_url"] = json!("ftp://x");
                v.as_object_mut().unwrap().remove("description");
                v.as_object_mut().unwrap().remove("skills");
                v
            },
            "card_url",
        ),
    ];
    for (body, field) in bad {
        let (status, resp) = create(&gw, body.clone());
        assert_eq!(status, 400, "{body}: {resp}");
        let message = resp["error"]["message"].as_str().unwrap();
        if field.is_empty() {
            assert!(message.contains("colour"), "{message}");
        } else {
            assert_eq!(
                resp["error"]["details"][0]["fieldViolations"][0]["field"], field,
                "{body}: {resp}"
            );
        }
    }
    let (status, listed) = json_of(admin(&gw, reqwest::Method::GET, "").send().unwrap());
    assert_eq!(
        (status, listed["agents"].as_array().unwrap().len()),
        (200, 1)
    );
    let (status, body) = json_of(
        admin(&gw, reqwest::Method::POST, "")
            .body("[1, 2]")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 400, "{body}");
    // The configured agent's name is taken.
    let (status, _) = create(&gw, inline("demo"));
    assert_eq!(status, 409);

    // Registered: served at /agents/billing on the catalog, its card and JSON-RPC.
    let created = admin(&gw, reqwest::Method::POST, "")
        .json(&inline("billing"))
        .send()
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["etag"], "\"1\"");
    assert_eq!(created.headers()["location"], "/admin/v1/agents/billing");
    let (_, body) = json_of(created);
    assert_eq!(
        (body["source"].as_str(), body["served"].as_bool()),
        (Some("admin"), Some(true))
    );
    assert!(catalog_names(&gw).contains(&"billing".to_owned()));
    assert_eq!(card_status(&gw, "billing"), 200);
    let answer = send(&gw, "billing", "hello");
    assert_eq!(
        answer["result"]["task"]["status"]["state"], "TASK_STATE_COMPLETED",
        "{answer}"
    );
    let (status, _) = create(&gw, inline("billing"));
    assert_eq!(status, 409);

    // Disabled: looks like no agent; enabled again: back.
    let (status, body) = json_of(
        admin(&gw, reqwest::Method::POST, "/billing/disable")
            .send()
            .unwrap(),
    );
    assert_eq!(
        (status, body["served"].as_bool()),
        (200, Some(false)),
        "{body}"
    );
    assert_eq!(card_status(&gw, "billing"), 404);
    assert!(!catalog_names(&gw).contains(&"billing".to_owned()));
    let (status, body) = json_of(
        admin(&gw, reqwest::Method::POST, "/billing/enable")
            .send()
            .unwrap(),
    );
    assert_eq!((status, body["version"].as_i64()), (200, Some(3)), "{body}");
    assert_eq!(card_status(&gw, "billing"), 200);

    // Replace: If-Match must name the current version.
    let mut changed = inline("billing");
    changed["description"] = json!("Answers questions about invoices and refunds");
    let stale = admin(&gw, reqwest::Method::PUT, "/billing")
        .header("If-Match", "\"1\"")
        .json(&changed)
        .send()
        .unwrap();
    assert_eq!(stale.status(), 412);
    let (status, body) = json_of(
        admin(&gw, reqwest::Method::PUT, "/billing")
            .header("If-Match", "\"3\"")
            .json(&changed)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["card"]["description"],
        "Answers questions about invoices and refunds"
    );
    let card: Value = Client::new()
        .get(format!(
            "{}/agents/billing/.well-known/agent-card.json",
            gw.url()
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        card["description"],
        "Answers questions about invoices and refunds"
    );
    let mut renamed = changed.clone();
    renamed["name"] = json!("other");
    let (status, _) = json_of(
        admin(&gw, reqwest::Method::PUT, "/billing")
            .json(&renamed)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 400);
    // The configured agent is read-only here.
    let (status, _) = json_of(admin(&gw, reqwest::Method::DELETE, "/demo").send().unwrap());
    assert_eq!(status, 409);

    // Persisted: a restart on the same database serves it again.
    drop(gw);
    let gw = Gateway::start_env(Some(&config("")), &db_env);
    assert_eq!(card_status(&gw, "billing"), 200);
    let deleted = admin(&gw, reqwest::Method::DELETE, "/billing")
        .send()
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(card_status(&gw, "billing"), 404);
    let (status, _) = json_of(admin(&gw, reqwest::Method::GET, "/billing").send().unwrap());
    assert_eq!(status, 404);
}

#[test]
fn registration_by_card_url_with_etag_refresh_and_trusted_keys() {
    let upstream = Upstream::start(upstream_card("book-flight"));
    let signing = format!(
        "[signing]\nkey_file = \"{}/../a2agw-signing/tests/data/keys/p256.pem\"\n",
        env!("CARGO_MANIFEST_DIR")
    );
    let gw = Gateway::start_with(Some(&config(&signing)));
    let (status, body) = create(
        &gw,
        json!({"name": "travel", "card_url": upstream.url(), "provider": {"kind": "demo"}}),
    );
    assert_eq!(status, 201, "{body}");
    // The upstream's words and skills, the gateway's interfaces, security and signature.
    let card: Value = Client::new()
        .get(format!(
            "{}/agents/travel/.well-known/agent-card.json",
            gw.url()
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(card["name"], "Travel Desk");
    assert_eq!(card["skills"][0]["id"], "book-flight");
    assert!(
        card["securitySchemes"].get("upstreamKey").is_none(),
        "{card}"
    );
    for iface in card["supportedInterfaces"].as_array().unwrap() {
        let url = iface["url"].as_str().unwrap();
        assert!(
            url.contains("/agents/travel") || !url.starts_with("http"),
            "{url}"
        );
        assert!(!url.contains("upstream.invalid"), "{url}");
    }
    let jwks: Value = Client::new()
        .get(format!("{}/.well-known/jwks.json", gw.url()))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let trusted = a2agw_signing::TrustedKeys::from_jwks_json(&jwks.to_string()).unwrap();
    a2agw_signing::verify_card(&card, &trusted, a2agw_signing::TrustPolicy::Require).unwrap();
    let answer = send(&gw, "travel", "hello");
    assert_eq!(
        answer["result"]["task"]["status"]["state"],
        "TASK_STATE_COMPLETED"
    );

    // Refresh: unchanged → 304 upstream; changed → the new skill is served.
    let (status, body) = json_of(
        admin(&gw, reqwest::Method::POST, "/travel/refresh")
            .send()
            .unwrap(),
    );
    assert_eq!((status, body["version"].as_i64()), (200, Some(1)), "{body}");
    assert_eq!(
        upstream.hits.lock().unwrap().1,
        1,
        "the refresh sent If-None-Match"
    );
    *upstream.card.lock().unwrap() = upstream_card("book-hotel");
    let (status, body) = json_of(
        admin(&gw, reqwest::Method::POST, "/travel/refresh")
            .send()
            .unwrap(),
    );
    assert_eq!((status, body["version"].as_i64()), (200, Some(2)), "{body}");
    assert_eq!(body["card"]["skills"][0]["id"], "book-hotel");

    // Trusted keys: a card signed by the trusted key passes; by another key, or unsigned
    // under `require`, it is refused, naming card_url, and nothing is registered.
    let signer = key("ed25519.pem");
    let jwks = a2agw_signing::Jwks::from_signing_keys([&signer]).to_value();
    *upstream.card.lock().unwrap() =
        a2agw_signing::with_signature(&upstream_card("signed"), &signer).unwrap();
    let trusted = |name: &str, policy: &str, jwks: &Value| {
        json!({"name": name, "card_url": upstream.url(), "provider": {"kind": "demo"},
               "trusted_keys": {"policy": policy, "jwks": jwks}})
    };
    let (status, body) = create(&gw, trusted("signed", "require", &jwks));
    assert_eq!(status, 201, "{body}");
    let other = a2agw_signing::Jwks::from_signing_keys([&key("other-ed25519.pem")]).to_value();
    let (status, body) = create(&gw, trusted("forged", "verify-if-present", &other));
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"]["details"][0]["fieldViolations"][0]["field"],
        "card_url"
    );
    *upstream.card.lock().unwrap() = upstream_card("plain");
    let (status, body) = create(&gw, trusted("unsigned", "require", &jwks));
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("signature"),
        "{body}"
    );
    for name in ["forged", "unsigned"] {
        assert_eq!(card_status(&gw, name), 404);
    }
    // The signed agent's refresh now meets an unsigned card: refused, the old card stays.
    let (status, body) = json_of(
        admin(&gw, reqwest::Method::POST, "/signed/refresh")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 400, "{body}");
    let (_, body) = json_of(admin(&gw, reqwest::Method::GET, "/signed").send().unwrap());
    assert_eq!(body["card"]["skills"][0]["id"], "signed", "{body}");

    // The SSRF guard: without allow_private_card_urls, a loopback card URL is refused.
    let strict = Gateway::start_with(Some(
        &config("").replace("allow_private_card_urls = true", ""),
    ));
    let (status, body) = create(
        &strict,
        json!({"name": "travel", "card_url": upstream.url(), "provider": {"kind": "demo"}}),
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1"),
        "{body}"
    );
}

#[cfg(feature = "postgres")]
#[test]
fn two_processes_on_one_postgres_database_share_registrations() {
    let schema = format!(
        "a2agw_it_admin_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let url = std::env::var("A2AGW_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let env = [
        ("A2AGW_STORE", "postgres"),
        ("A2AGW_DATABASE_URL", url.as_str()),
        ("A2AGW_DATABASE_SCHEMA", schema.as_str()),
    ];
    let cfg = config("");
    let a = Gateway::start_env(Some(&cfg), &env);
    let b = Gateway::start_env(Some(&cfg), &env);
    let (status, body) = create(&a, inline("shared"));
    assert_eq!(status, 201, "{body}");
    // Instances poll once a second; the deadline is generous for a loaded machine.
    let until = |what: &str, ok: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !ok() {
            assert!(Instant::now() < deadline, "{what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    until("b serves the agent a registered", &|| {
        card_status(&b, "shared") == 200
    });
    let answer = send(&b, "shared", "hello");
    assert_eq!(
        answer["result"]["task"]["status"]["state"],
        "TASK_STATE_COMPLETED"
    );
    let (status, _) = create(&b, inline("shared"));
    assert_eq!(status, 409);
    let (status, _) = json_of(
        admin(&b, reqwest::Method::POST, "/shared/disable")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200);
    until("a stops serving the agent b disabled", &|| {
        card_status(&a, "shared") == 404
    });
    let deleted = admin(&a, reqwest::Method::DELETE, "/shared")
        .send()
        .unwrap();
    assert_eq!(deleted.status(), 204);
    until("b forgets the agent a deleted", &|| {
        json_of(admin(&b, reqwest::Method::GET, "/shared").send().unwrap()).0 == 404
    });
}
