//! Several agents behind one gateway: each at `/agents/{name}` on every binding (JSON-RPC
//! at `/agents/{name}/`, HTTP+JSON under it, gRPC through the `tenant` its card declares),
//! each with its own card; the root serves the first agent exactly as with one agent; a
//! task of one agent is not found through another.

// Helpers outside #[test] functions may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::{AGENT, TestServer, json_of, message_id, server};
use a2agw_proto::v1::{self, a2a_service_client::A2aServiceClient, send_message_response};
use a2agw_types::binding;
use serde_json::{Value, json};
use tonic::Code;

const BETA: &str = "beta";

const INTERFACES: [(&str, &str); 4] = [
    (binding::JSONRPC, "1.0"),
    (binding::HTTP_JSON, "1.0"),
    (binding::GRPC, "1.0"),
    (binding::JSONRPC, "0.3"),
];

async fn two_agents() -> TestServer {
    server()
        .agent(BETA)
        .interfaces(INTERFACES.to_vec())
        .start()
        .await
}

async fn card(srv: &TestServer, path: &str) -> Value {
    let resp = srv.get(path).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    resp.json().await.unwrap()
}

/// The interface of `binding` 1.0 in `card`: `(url, tenant)`.
fn interface(card: &Value, binding: &str) -> (String, String) {
    let i = card["supportedInterfaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["protocolBinding"] == binding && i["protocolVersion"] == "1.0")
        .unwrap_or_else(|| panic!("no {binding} interface: {card}"));
    (
        i["url"].as_str().unwrap().to_owned(),
        i["tenant"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn jsonrpc(srv: &TestServer, url: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let (status, body) = json_of(
        srv.http
            .post(url)
            .header("content-type", "application/json")
            .header("a2a-version", "1.0")
            .body(body.to_string())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn message(text: &str) -> Value {
    json!({"messageId": message_id(), "role": "ROLE_USER", "parts": [{"text": text}]})
}

async fn grpc(srv: &TestServer) -> A2aServiceClient<tonic::transport::Channel> {
    let channel = tonic::transport::Channel::from_shared(srv.base.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    A2aServiceClient::new(channel)
}

fn get_task(id: &str, tenant: &str) -> v1::GetTaskRequest {
    v1::GetTaskRequest {
        id: id.to_owned(),
        tenant: tenant.to_owned(),
        ..Default::default()
    }
}

/// Each agent's card is at `/agents/{name}/.well-known/agent-card.json`, names the agent
/// and points every interface at that agent; the root card is the root agent's, as with
/// one agent; an agent that is not served is a 404 on every path under it.
#[tokio::test]
async fn each_agent_has_its_card_and_endpoints() {
    let srv = two_agents().await;
    let root = card(&srv, "/.well-known/agent-card.json").await;
    assert_eq!(root["name"], "Demo agent");
    assert_eq!(interface(&root, "JSONRPC").0, format!("{}/", srv.base));
    assert_eq!(interface(&root, "GRPC").1, "");
    for (name, title) in [(AGENT, "Demo agent"), (BETA, "Demo agent beta")] {
        let c = card(&srv, &format!("/agents/{name}/.well-known/agent-card.json")).await;
        assert_eq!(c["name"], title, "{c}");
        let prefix = format!("{}/agents/{name}", srv.base);
        assert_eq!(
            interface(&c, "JSONRPC"),
            (format!("{prefix}/"), String::new())
        );
        assert_eq!(interface(&c, "HTTP+JSON"), (prefix.clone(), String::new()));
        let host = srv.base.trim_start_matches("http://");
        assert_eq!(interface(&c, "GRPC"), (host.to_owned(), name.to_owned()));
        // The 0.3 card points at the agent too.
        let v03: Value = srv
            .get(&format!("/agents/{name}/.well-known/agent-card.json"))
            .header("a2a-version", "0.3")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v03["url"], format!("{prefix}/"), "{v03}");
        let legacy = card(&srv, &format!("/agents/{name}/.well-known/agent.json")).await;
        assert_eq!(legacy, v03);
    }
    for path in [
        "/agents/nope/.well-known/agent-card.json",
        "/agents/nope/tasks",
        "/agents/nope/message:send",
    ] {
        assert_eq!(srv.get(path).send().await.unwrap().status(), 404, "{path}");
    }
    let resp = srv
        .http
        .post(srv.url("/agents/nope/"))
        .header("content-type", "application/json")
        .body(
            json!({"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "x"}})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}

/// A task made through beta's card is reached through every interface that card lists,
/// and through none of the root agent's (nor listed there); a task of the root agent is
/// not found through beta.
#[tokio::test]
async fn a_task_is_reached_only_through_its_agent() {
    let srv = two_agents().await;
    let beta = card(&srv, "/agents/beta/.well-known/agent-card.json").await;
    let (rpc_url, _) = interface(&beta, "JSONRPC");
    let (rest_url, _) = interface(&beta, "HTTP+JSON");
    let (_, tenant) = interface(&beta, "GRPC");
    let sent = jsonrpc(
        &srv,
        &rpc_url,
        "SendMessage",
        json!({"message": message("hello beta")}),
    )
    .await;
    let task = &sent["result"]["task"];
    assert_eq!(task["status"]["state"], "TASK_STATE_COMPLETED", "{sent}");
    let id = task["id"].as_str().unwrap().to_owned();

    // Through beta: JSON-RPC, HTTP+JSON (and its tenant form), gRPC with the tenant.
    let got = jsonrpc(&srv, &rpc_url, "GetTask", json!({"id": id})).await;
    assert_eq!(got["result"]["id"], id.as_str(), "{got}");
    for url in [
        format!("{rest_url}/tasks/{id}"),
        format!("{rest_url}/acme/tasks/{id}"),
    ] {
        let resp = srv.http.get(&url).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{url}");
    }
    let mut client = grpc(&srv).await;
    let t = client
        .get_task(get_task(&id, &tenant))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(t.id, id);

    // Through the root agent: not found on every binding, and not listed.
    let root_rpc = format!("{}/", srv.base);
    let err = jsonrpc(&srv, &root_rpc, "GetTask", json!({"id": id})).await;
    assert_eq!(err["error"]["code"], -32001, "{err}");
    let resp = srv.get(&format!("/tasks/{id}")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let status = client.get_task(get_task(&id, "")).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let listed = jsonrpc(&srv, &root_rpc, "ListTasks", json!({})).await;
    assert_eq!(listed["result"]["totalSize"], 0, "{listed}");
    let listed = jsonrpc(&srv, &rpc_url, "ListTasks", json!({})).await;
    assert_eq!(listed["result"]["totalSize"], 1, "{listed}");

    // A root agent's task is not found through beta, on a reply either.
    let mine = jsonrpc(
        &srv,
        &root_rpc,
        "SendMessage",
        json!({"message": message("need input")}),
    )
    .await;
    let mine_id = mine["result"]["task"]["id"].as_str().unwrap().to_owned();
    let err = jsonrpc(&srv, &rpc_url, "GetTask", json!({"id": mine_id})).await;
    assert_eq!(err["error"]["code"], -32001, "{err}");
    let mut reply = message("Ada");
    reply["taskId"] = mine_id.clone().into();
    let err = jsonrpc(&srv, &rpc_url, "SendMessage", json!({"message": reply})).await;
    assert_eq!(err["error"]["code"], -32001, "{err}");
    // ... and a gRPC send with beta's tenant creates beta's task.
    let sent = client
        .send_message(v1::SendMessageRequest {
            tenant: tenant.clone(),
            message: Some(v1::Message {
                message_id: message_id(),
                role: v1::Role::User.into(),
                parts: vec![v1::Part {
                    content: Some(v1::part::Content::Text("over grpc".into())),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let Some(send_message_response::Payload::Task(t)) = sent.payload else {
        panic!("a task: {sent:?}")
    };
    let listed = jsonrpc(&srv, &rpc_url, "ListTasks", json!({})).await;
    assert_eq!(listed["result"]["totalSize"], 2, "{listed}");
    assert!(client.get_task(get_task(&t.id, "")).await.is_err());
    // A tenant naming no agent reaches none (with several agents), on every binding.
    let status = client.get_task(get_task(&t.id, "nope")).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let err = jsonrpc(
        &srv,
        &root_rpc,
        "GetTask",
        json!({"id": t.id, "tenant": "nope"}),
    )
    .await;
    assert_eq!(err["error"]["code"], -32001, "{err}");
    assert_eq!(srv.get("/nope/tasks").send().await.unwrap().status(), 404);
    // A tenant naming beta at the root reaches beta.
    let got = jsonrpc(
        &srv,
        &root_rpc,
        "GetTask",
        json!({"id": t.id, "tenant": BETA}),
    )
    .await;
    assert_eq!(got["result"]["id"], t.id.as_str(), "{got}");
    assert_eq!(
        srv.get(&format!("/beta/tasks/{}", t.id))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

/// The extended card through an agent's path is that agent's, pointing at it.
#[tokio::test]
async fn the_extended_card_of_each_agent() {
    let builder = server().agent(BETA).interfaces(INTERFACES.to_vec());
    let mut extended = builder.card();
    extended.name = "Demo agent (extended)".into();
    let srv = builder.extended_card(extended).start().await;
    let got = jsonrpc(
        &srv,
        &format!("{}/agents/beta/", srv.base),
        "GetExtendedAgentCard",
        json!({}),
    )
    .await;
    let c = &got["result"];
    assert_eq!(c["name"], "Demo agent beta (extended)", "{got}");
    assert_eq!(
        interface(c, "JSONRPC").0,
        format!("{}/agents/beta/", srv.base)
    );
    let resp = srv
        .get("/agents/beta/extendedAgentCard")
        .send()
        .await
        .unwrap();
    let (status, c) = json_of(resp).await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["name"], "Demo agent beta (extended)");
    let root = jsonrpc(
        &srv,
        &format!("{}/", srv.base),
        "GetExtendedAgentCard",
        json!({}),
    )
    .await;
    assert_eq!(root["result"]["name"], "Demo agent (extended)");
    assert_eq!(
        interface(&root["result"], "JSONRPC").0,
        format!("{}/", srv.base)
    );
}
