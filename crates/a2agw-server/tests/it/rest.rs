//! The HTTP+JSON (REST) binding over real sockets: every route at its path and under a
//! `/{tenant}` prefix, streams, errors, version negotiation, owner scoping and the 0.3
//! `/v1/…` routes. Tests named `cNN_…` cover item NN of the conformance checklist
//! (shared/docs/spec.md §13).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::{
    SseEvent, SseReader, TestServer, eventually, json_of, message_id, send_request, server,
    user_message,
};
use a2agw_server::Limits;
use serde_json::{Value, json};
use std::time::Duration;

/// The path prefixes every 1.0 route is tested under.
const PREFIXES: [&str; 2] = ["", "/acme"];

const A2A_JSON: &str = "application/a2a+json";
/// What a request with a JSON body, or without a body and an `Accept` naming
/// `application/a2a+json`, gets (decision 35).
const JSON: &str = "application/json";

fn content_type(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Sends `text` blocking and returns the task.
async fn send_task(srv: &TestServer, prefix: &str, text: &str) -> Value {
    let resp = srv
        .post_json(&format!("{prefix}/message:send"), &send_request(text))
        .send()
        .await
        .unwrap();
    assert_eq!(content_type(&resp), JSON);
    let (status, body) = json_of(resp).await;
    assert_eq!(status, 200, "{body}");
    body["task"].clone()
}

/// Starts `text` with `returnImmediately` and returns the task as created.
async fn start_task(srv: &TestServer, prefix: &str, text: &str) -> Value {
    let body = json!({"message": user_message(text), "configuration": {"returnImmediately": true}});
    let (status, body) = json_of(
        srv.post_json(&format!("{prefix}/message:send"), &body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["task"].clone()
}

/// `GET {prefix}/tasks?{query}`, expecting 200.
async fn list(srv: &TestServer, prefix: &str, query: String) -> Value {
    let (status, body) = json_of(
        srv.get(&format!("{prefix}/tasks?{query}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{query}: {body}");
    body
}

/// `POST {prefix}/tasks/{id}:cancel` with an optional JSON body.
async fn cancel(
    srv: &TestServer,
    prefix: &str,
    id: &str,
    body: Option<&'static str>,
) -> (u16, Value) {
    let mut req = srv
        .http
        .post(srv.url(&format!("{prefix}/tasks/{id}:cancel")));
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b);
    }
    json_of(req.send().await.unwrap()).await
}

fn id_of(task: &Value) -> String {
    task["id"].as_str().unwrap().to_owned()
}

fn state_of(task: &Value) -> &str {
    task["status"]["state"].as_str().unwrap_or_default()
}

/// The `ErrorInfo.reason` of a REST error body.
fn reason(body: &Value) -> &str {
    body["error"]["details"]
        .as_array()
        .and_then(|d| {
            d.iter()
                .find(|x| x["@type"] == "type.googleapis.com/google.rpc.ErrorInfo")
        })
        .and_then(|x| x["reason"].as_str())
        .unwrap_or_default()
}

/// The fields of the `google.rpc.BadRequest` of a REST error body.
fn violated_fields(body: &Value) -> Vec<String> {
    body["error"]["details"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|x| x["@type"] == "type.googleapis.com/google.rpc.BadRequest")
        .flat_map(|x| x["fieldViolations"].as_array().cloned().unwrap_or_default())
        .filter_map(|v| v["field"].as_str().map(str::to_owned))
        .collect()
}

/// Asserts a REST error: HTTP status, `error.code`, `error.status` and (when given) reason.
fn assert_error(status: u16, body: &Value, want_status: u16, rpc: &str, want_reason: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["error"]["code"], want_status, "{body}");
    assert_eq!(body["error"]["status"], rpc, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
    assert!(body["error"]["details"].is_array(), "{body}");
    if !want_reason.is_empty() {
        assert_eq!(reason(body), want_reason, "{body}");
    }
}

/// The one member of a bare `StreamResponse`.
fn stream_kind(event: &Value) -> &str {
    let o = event.as_object().expect("an event is an object");
    assert_eq!(
        o.len(),
        1,
        "a StreamResponse has exactly one member: {event}"
    );
    o.keys().next().unwrap().as_str()
}

async fn sse(resp: reqwest::Response) -> Vec<SseEvent> {
    assert_eq!(resp.status(), 200);
    assert!(content_type(&resp).starts_with("text/event-stream"));
    SseReader::new(resp).collect().await
}

fn assert_terminal_stream(events: &[SseEvent], terminal: &str) {
    assert!(!events.is_empty());
    let first = events[0].json();
    assert_eq!(stream_kind(&first), "task", "{first}");
    let last = events.last().unwrap().json();
    assert_eq!(stream_kind(&last), "statusUpdate", "{last}");
    assert_eq!(last["statusUpdate"]["status"]["state"], terminal);
    let seqs: Vec<u64> = events.iter().filter_map(SseEvent::seq).collect();
    assert_eq!(seqs.len(), events.len(), "every event carries an id");
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "ids increase: {seqs:?}"
    );
    for e in events {
        let v = e.json();
        assert!(
            v.get("jsonrpc").is_none() && v.get("result").is_none(),
            "{v}"
        );
        assert!(e.event.is_none(), "no `event:` on a normal event");
        stream_kind(&v);
    }
}

// ---------------------------------------------------------------------------------------
// Every route on 1.0, at its path and under /{tenant}
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn c61_send_blocking_returns_completed_task_with_artifact() {
    let srv = server().start().await;
    for prefix in PREFIXES {
        let task = send_task(&srv, prefix, "hello rest").await;
        assert_eq!(state_of(&task), "TASK_STATE_COMPLETED", "{task}");
        assert!(!id_of(&task).is_empty());
        assert!(task["contextId"].as_str().is_some_and(|c| !c.is_empty()));
        let artifacts = task["artifacts"].as_array().unwrap();
        assert!(!artifacts.is_empty(), "{task}");
        let text: String = artifacts[0]["parts"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect();
        assert_eq!(text, "hello rest");
    }
}

/// HTTP_JSON-SVC-001 / HTTP_JSON-ERR-001 (decision 35): results and errors come back in
/// the media type the request's body used.
#[tokio::test]
async fn c61_send_accepts_both_content_types_and_answers_in_the_same_one() {
    let srv = server().start().await;
    for (ct, answer) in [
        ("application/json", JSON),
        ("application/json; charset=utf-8", JSON),
        ("application/a2a+json", A2A_JSON),
        ("application/a2a+json; charset=utf-8", A2A_JSON),
    ] {
        let resp = srv
            .http
            .post(srv.url("/message:send"))
            .header("content-type", ct)
            .body(send_request("hi").to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{ct}");
        assert_eq!(content_type(&resp), answer, "{ct}");
        // An error answers in the same type: a message for an unknown task.
        let body = json!({"message": {"messageId": "m", "role": "ROLE_USER",
            "parts": [{"text": "hi"}], "taskId": "no-such-task"}});
        let resp = srv
            .http
            .post(srv.url("/message:send"))
            .header("content-type", ct)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{ct}");
        assert_eq!(content_type(&resp), answer, "{ct}");
    }
}

/// A request without a body answers in the type its `Accept` names; one that names
/// neither JSON type (or both) gets `application/json`. 404s of unknown REST paths and
/// the `/v1` routes follow the same rule.
#[tokio::test]
async fn c61_a_request_without_a_body_answers_in_the_type_it_accepts() {
    let srv = server().start().await;
    let task = send_task(&srv, "", "hello").await;
    let id = task["id"].as_str().unwrap();
    let paths = [
        format!("/tasks/{id}"),
        "/tasks/no-such-task".to_owned(),
        "/tasks".to_owned(),
        "/acme/tasks".to_owned(),
        format!("/v1/tasks/{id}"),
    ];
    for path in &paths {
        for (accept, answer) in [
            (None, JSON),
            (Some("*/*"), JSON),
            (Some("application/json"), JSON),
            (Some("application/a2a+json"), A2A_JSON),
            (Some("application/a2a+json, text/event-stream"), A2A_JSON),
            (Some("application/a2a+json, application/json;q=0.5"), JSON),
        ] {
            let mut req = srv.get(path);
            if let Some(a) = accept {
                req = req.header("accept", a);
            }
            let resp = req.send().await.unwrap();
            assert!(resp.status() == 200 || resp.status() == 404, "{path}");
            assert_eq!(content_type(&resp), answer, "{path} Accept: {accept:?}");
        }
    }
}

#[tokio::test]
async fn c22_send_return_immediately_gives_an_unfinished_task() {
    let srv = server().start().await;
    for prefix in PREFIXES {
        let task = start_task(&srv, prefix, "slow 50").await;
        assert!(
            matches!(
                state_of(&task),
                "TASK_STATE_SUBMITTED" | "TASK_STATE_WORKING"
            ),
            "{task}"
        );
    }
}

#[tokio::test]
async fn c38_send_reply_gives_a_message() {
    let srv = server().start().await;
    let (status, body) = json_of(
        srv.post_json("/message:send", &send_request("reply please"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["message"]["role"], "ROLE_AGENT", "{body}");
    // A message-only stream: exactly one `message` event.
    let events = sse(srv
        .post_json("/message:stream", &send_request("reply please"))
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(events.len(), 1);
    assert_eq!(stream_kind(&events[0].json()), "message");
}

#[tokio::test]
async fn c45_stream_sends_bare_stream_responses() {
    let srv = server().start().await;
    for prefix in PREFIXES {
        let resp = srv
            .post_json(
                &format!("{prefix}/message:stream"),
                &send_request("chunks 3"),
            )
            .send()
            .await
            .unwrap();
        let events = sse(resp).await;
        assert_terminal_stream(&events, "TASK_STATE_COMPLETED");
        let task_id = events[0].json()["task"]["id"].as_str().unwrap().to_owned();
        for e in &events[1..] {
            let v = e.json();
            let kind = stream_kind(&v).to_owned();
            assert!(kind == "statusUpdate" || kind == "artifactUpdate", "{v}");
            assert_eq!(v[&kind]["taskId"], task_id.as_str());
        }
        assert!(
            events
                .iter()
                .any(|e| stream_kind(&e.json()) == "artifactUpdate"),
            "the answer comes as artifact chunks"
        );
    }
}

#[tokio::test]
async fn c27_get_task_with_history_length() {
    let srv = server().start().await;
    for prefix in PREFIXES {
        let id = id_of(&send_task(&srv, prefix, "hello").await);
        let (status, task) = json_of(
            srv.get(&format!("{prefix}/tasks/{id}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{task}");
        assert_eq!(task["id"], id.as_str());
        assert_eq!(state_of(&task), "TASK_STATE_COMPLETED");
        assert!(!task["history"].as_array().unwrap().is_empty());
        let (_, task) = json_of(
            srv.get(&format!("{prefix}/tasks/{id}?historyLength=0"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(
            task.get("history")
                .is_none_or(|h| h.as_array().unwrap().is_empty()),
            "{task}"
        );
        let (_, task) = json_of(
            srv.get(&format!("{prefix}/tasks/{id}?historyLength=1"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(
            task["history"].as_array().map_or(0, Vec::len) <= 1,
            "{task}"
        );
    }
}

#[tokio::test]
async fn c62_list_tasks_parses_query_values() {
    let srv = server().start().await;
    for prefix in PREFIXES {
        // The example of the checklist: enum, integer and boolean query values.
        let (status, body) = json_of(
            srv.get(&format!(
                "{prefix}/tasks?status=TASK_STATE_WORKING&pageSize=10&includeArtifacts=true"
            ))
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["pageSize"], 10);
        assert!(body["nextPageToken"].is_string());
        assert!(body["totalSize"].is_number());
    }
}

#[tokio::test]
async fn c33_list_tasks_filters_paging_and_artifacts() {
    let srv = server().start().await;
    let first = send_task(&srv, "", "one").await;
    let ctx = first["contextId"].as_str().unwrap().to_owned();
    for text in ["two", "three"] {
        let mut msg = user_message(text);
        msg["contextId"] = ctx.clone().into();
        let (status, _) = json_of(
            srv.post_json("/message:send", &json!({"message": msg}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200);
    }
    send_task(&srv, "", "elsewhere").await;
    for prefix in PREFIXES {
        let all = list(&srv, prefix, String::new()).await;
        assert_eq!(all["totalSize"], 4);
        let in_ctx = list(&srv, prefix, format!("contextId={ctx}")).await;
        assert_eq!(in_ctx["totalSize"], 3);
        assert!(
            in_ctx["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["contextId"] == ctx.as_str())
        );
        // Paging visits every task once.
        let page1 = list(&srv, prefix, format!("contextId={ctx}&pageSize=2")).await;
        assert_eq!(page1["tasks"].as_array().unwrap().len(), 2);
        let token = page1["nextPageToken"].as_str().unwrap().to_owned();
        assert!(!token.is_empty());
        let page2 = list(
            &srv,
            prefix,
            format!("contextId={ctx}&pageSize=2&pageToken={token}"),
        )
        .await;
        assert_eq!(page2["tasks"].as_array().unwrap().len(), 1);
        assert_eq!(page2["nextPageToken"], "");
        let mut ids: Vec<&str> = page1["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .chain(page2["tasks"].as_array().unwrap())
            .map(|t| t["id"].as_str().unwrap())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 3);
        // includeArtifacts.
        let without = list(&srv, prefix, format!("contextId={ctx}")).await;
        assert!(
            without["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t.get("artifacts").is_none())
        );
        let with = list(
            &srv,
            prefix,
            format!("contextId={ctx}&includeArtifacts=true"),
        )
        .await;
        assert!(
            with["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t.get("artifacts").is_some())
        );
        // status by name and by number (2 = WORKING, 3 = COMPLETED).
        assert_eq!(
            list(&srv, prefix, "status=TASK_STATE_COMPLETED".into()).await["totalSize"],
            4
        );
        assert_eq!(list(&srv, prefix, "status=3".into()).await["totalSize"], 4);
        assert_eq!(list(&srv, prefix, "status=2".into()).await["totalSize"], 0);
        // statusTimestampAfter.
        assert_eq!(
            list(
                &srv,
                prefix,
                "statusTimestampAfter=2000-01-01T00:00:00Z".into()
            )
            .await["totalSize"],
            4
        );
        assert_eq!(
            list(
                &srv,
                prefix,
                "statusTimestampAfter=2999-01-01T00:00:00%2B01:00".into()
            )
            .await["totalSize"],
            0
        );
        // historyLength applies to each task.
        let h0 = list(&srv, prefix, "historyLength=0".into()).await;
        assert!(
            h0["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t.get("history").is_none())
        );
    }
}

#[tokio::test]
async fn c34_c35_cancel_bodies_and_states() {
    let srv = server().start().await;
    for prefix in PREFIXES {
        let id = id_of(&start_task(&srv, prefix, "slow 100").await);
        let (status, task) = cancel(&srv, prefix, &id, None).await;
        assert_eq!(status, 200, "{task}");
        assert_eq!(state_of(&task), "TASK_STATE_CANCELED");
        // Canceling again returns the canceled task, whatever the (accepted) body.
        for body in ["{}", "null", r#"{"metadata": {"why": "test"}}"#, ""] {
            let (status, task) = cancel(&srv, prefix, &id, Some(body)).await;
            assert_eq!(status, 200, "body {body:?}: {task}");
            assert_eq!(state_of(&task), "TASK_STATE_CANCELED");
        }
        let (_, task) = json_of(
            srv.get(&format!("{prefix}/tasks/{id}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(state_of(&task), "TASK_STATE_CANCELED");
        // A body that is not an object is refused.
        let (status, body) = cancel(&srv, prefix, &id, Some("[1]")).await;
        assert_error(status, &body, 400, "INVALID_ARGUMENT", "");
        // A completed task is not cancelable.
        let done = id_of(&send_task(&srv, prefix, "hello").await);
        let (status, body) = json_of(
            srv.http
                .post(srv.url(&format!("{prefix}/tasks/{done}:cancel")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(
            status,
            &body,
            400,
            "FAILED_PRECONDITION",
            "TASK_NOT_CANCELABLE",
        );
    }
}

#[tokio::test]
async fn c36_cancel_unknown_task_is_404() {
    let srv = server().start().await;
    let (status, body) = json_of(
        srv.http
            .post(srv.url("/tasks/nope:cancel"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(status, &body, 404, "NOT_FOUND", "TASK_NOT_FOUND");
}

#[tokio::test]
async fn c63_subscribe_accepts_get_and_post() {
    let srv = server().start().await;
    for prefix in PREFIXES {
        for post in [false, true] {
            let id = id_of(&start_task(&srv, prefix, "slow 25").await);
            let path = format!("{prefix}/tasks/{id}:subscribe");
            let req = if post {
                srv.http.post(srv.url(&path))
            } else {
                srv.get(&path)
            };
            let events = sse(req.send().await.unwrap()).await;
            assert_terminal_stream(&events, "TASK_STATE_COMPLETED");
            assert_eq!(events[0].json()["task"]["id"], id.as_str());
        }
    }
}

#[tokio::test]
async fn c63_get_task_never_captures_a_verb() {
    let srv = server().start().await;
    for prefix in PREFIXES {
        let id = id_of(&send_task(&srv, prefix, "hello").await);
        // GetTask would answer 200 with the task; subscribe to a finished task is -32004.
        let (status, body) = json_of(
            srv.get(&format!("{prefix}/tasks/{id}:subscribe"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(
            status,
            &body,
            400,
            "FAILED_PRECONDITION",
            "UNSUPPORTED_OPERATION",
        );
        // `:cancel` is POST only; a GET is not a GetTask.
        let resp = srv
            .get(&format!("{prefix}/tasks/{id}:cancel"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 405);
        assert_eq!(resp.headers()["allow"], "POST");
        // An unknown id with a verb is TaskNotFound for the verb's operation.
        let (status, body) = json_of(
            srv.get(&format!("{prefix}/tasks/abc:subscribe"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(status, &body, 404, "NOT_FOUND", "TASK_NOT_FOUND");
        assert!(body["error"]["message"].as_str().unwrap().contains("abc"));
        assert!(
            !body["error"]["message"].as_str().unwrap().contains("abc:"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn c42_subscribe_resumes_after_last_event_id() {
    let srv = server().start().await;
    let id = id_of(&start_task(&srv, "", "slow 25").await);
    let all = sse(srv
        .get(&format!("/tasks/{id}:subscribe"))
        .send()
        .await
        .unwrap())
    .await;
    assert_terminal_stream(&all, "TASK_STATE_COMPLETED");
    let seqs: Vec<u64> = all.iter().filter_map(SseEvent::seq).collect();
    let after = seqs[seqs.len() / 2];
    let rest = sse(srv
        .get(&format!("/tasks/{id}:subscribe"))
        .header("last-event-id", after.to_string())
        .send()
        .await
        .unwrap())
    .await;
    assert!(!rest.is_empty());
    assert!(rest.iter().all(|e| e.seq().unwrap() > after), "{rest:?}");
    assert_eq!(
        rest.last().unwrap().json()["statusUpdate"]["status"]["state"],
        "TASK_STATE_COMPLETED"
    );
}

#[tokio::test]
async fn c47_c48_c49_push_config_routes() {
    let srv = server().start().await;
    for prefix in PREFIXES {
        let id = id_of(&send_task(&srv, prefix, "hello").await);
        let base = format!("{prefix}/tasks/{id}/pushNotificationConfigs");
        let (status, created) = json_of(
            srv.post_json(
                &base,
                &json!({"url": "https://example.com/hook", "token": "tok",
                    "authentication": {"scheme": "Bearer", "credentials": "secret"}}),
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{created}");
        let cfg_id = created["id"].as_str().unwrap().to_owned();
        assert!(!cfg_id.is_empty());
        assert_eq!(created["taskId"], id.as_str());
        assert_eq!(created["url"], "https://example.com/hook");
        if prefix.is_empty() {
            assert!(created.get("tenant").is_none(), "{created}");
        } else {
            // The tenant of the path reached the handler.
            assert_eq!(created["tenant"], "acme", "{created}");
        }
        let (status, got) =
            json_of(srv.get(&format!("{base}/{cfg_id}")).send().await.unwrap()).await;
        assert_eq!(status, 200);
        assert_eq!(got, created);
        let (status, list) = json_of(srv.get(&base).send().await.unwrap()).await;
        assert_eq!(status, 200);
        assert!(
            list["configs"].as_array().unwrap().contains(&created),
            "{list}"
        );
        for _ in 0..2 {
            let resp = srv
                .delete(&format!("{base}/{cfg_id}"))
                .send()
                .await
                .unwrap();
            assert_eq!(content_type(&resp), JSON);
            let (status, body) = json_of(resp).await;
            assert_eq!(status, 200);
            assert_eq!(body, json!({}));
        }
        let (status, body) =
            json_of(srv.get(&format!("{base}/{cfg_id}")).send().await.unwrap()).await;
        assert_error(status, &body, 404, "NOT_FOUND", "TASK_NOT_FOUND");
        // A taskId in the body that contradicts the path is refused.
        let (status, body) = json_of(
            srv.post_json(
                &base,
                &json!({"taskId": "other", "url": "https://example.com/h"}),
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_error(status, &body, 400, "INVALID_ARGUMENT", "");
        assert_eq!(violated_fields(&body), ["taskId"]);
    }
}

#[tokio::test]
async fn c50_push_config_on_unknown_task_is_404() {
    let srv = server().start().await;
    let (status, body) = json_of(
        srv.post_json(
            "/tasks/nope/pushNotificationConfigs",
            &json!({"url": "https://example.com/hook"}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_error(status, &body, 404, "NOT_FOUND", "TASK_NOT_FOUND");
    let (status, body) = json_of(
        srv.get("/tasks/nope/pushNotificationConfigs")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(status, &body, 404, "NOT_FOUND", "TASK_NOT_FOUND");
}

#[tokio::test]
async fn c51_push_configs_need_the_capability() {
    let srv = server().push_notifications(false).start().await;
    let id = id_of(&send_task(&srv, "", "hello").await);
    let (status, body) = json_of(
        srv.get(&format!("/tasks/{id}/pushNotificationConfigs"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(
        status,
        &body,
        400,
        "FAILED_PRECONDITION",
        "PUSH_NOTIFICATION_NOT_SUPPORTED",
    );
}

#[tokio::test]
async fn c44_streams_need_the_capability() {
    let srv = server().streaming(false).start().await;
    let (status, body) = json_of(
        srv.post_json("/message:stream", &send_request("hi"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(
        status,
        &body,
        400,
        "FAILED_PRECONDITION",
        "UNSUPPORTED_OPERATION",
    );
}

#[tokio::test]
async fn c55_c56_c57_extended_card() {
    let srv = server().start().await;
    for prefix in PREFIXES {
        let (status, body) = json_of(
            srv.get(&format!("{prefix}/extendedAgentCard"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(
            status,
            &body,
            400,
            "FAILED_PRECONDITION",
            "UNSUPPORTED_OPERATION",
        );
    }
    let mut extended = server().card();
    extended.name = "Demo agent (extended)".into();
    let srv = server()
        .api_key("k-alice", "alice")
        .anonymous(true)
        .extended_card(extended)
        .start()
        .await;
    let resp = srv.get("/extendedAgentCard").send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().contains_key("www-authenticate"));
    let (_, body) = json_of(resp).await;
    assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
    for prefix in PREFIXES {
        let (status, card) = json_of(
            srv.get(&format!("{prefix}/extendedAgentCard"))
                .header("x-api-key", "k-alice")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{card}");
        assert_eq!(card["name"], "Demo agent (extended)");
        // Rendered for where the client reached us, like the public card.
        let interfaces = card["supportedInterfaces"].as_array().unwrap();
        assert!(
            interfaces
                .iter()
                .any(|i| i["protocolBinding"] == "HTTP+JSON" && i["url"] == srv.base.as_str()),
            "{card}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn c26_c58_rest_errors_have_status_and_error_info() {
    let srv = server().start().await;
    for prefix in PREFIXES {
        let resp = srv
            .get(&format!("{prefix}/tasks/no-such-task"))
            .send()
            .await
            .unwrap();
        assert_eq!(content_type(&resp), JSON);
        let (status, body) = json_of(resp).await;
        assert_error(status, &body, 404, "NOT_FOUND", "TASK_NOT_FOUND");
        let info = &body["error"]["details"][0];
        assert_eq!(info["@type"], "type.googleapis.com/google.rpc.ErrorInfo");
        assert_eq!(info["domain"], "a2a-protocol.org");
        assert_eq!(info["metadata"]["taskId"], "no-such-task");
    }
}

#[tokio::test]
async fn c17_send_to_unknown_task_is_404() {
    let srv = server().start().await;
    let mut msg = user_message("hello");
    msg["taskId"] = "no-such-task".into();
    let (status, body) = json_of(
        srv.post_json("/message:send", &json!({"message": msg}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(status, &body, 404, "NOT_FOUND", "TASK_NOT_FOUND");
}

#[tokio::test]
async fn c11_invalid_send_gets_bad_request_details() {
    let srv = server().start().await;
    let body = json!({"message": {"messageId": message_id(), "role": "ROLE_USER", "parts": []}});
    let (status, body) = json_of(srv.post_json("/message:send", &body).send().await.unwrap()).await;
    assert_error(status, &body, 400, "INVALID_ARGUMENT", "");
    assert_eq!(violated_fields(&body), ["message.parts"]);
    let (status, body) = json_of(
        srv.post_json(
            "/message:send",
            &json!({"message": {"parts": [{"text": "x"}]}}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_error(status, &body, 400, "INVALID_ARGUMENT", "");
    let fields = violated_fields(&body);
    assert!(
        fields.contains(&"message.messageId".to_owned()),
        "{fields:?}"
    );
    assert!(fields.contains(&"message.role".to_owned()), "{fields:?}");
}

#[tokio::test]
async fn rest_malformed_json_is_400() {
    let srv = server().start().await;
    for body in [r#"{"message": "#, "not json", "[1, 2]", "\"text\""] {
        let resp = srv
            .http
            .post(srv.url("/message:send"))
            .header("content-type", "application/a2a+json")
            .body(body)
            .send()
            .await
            .unwrap();
        let (status, json) = json_of(resp).await;
        assert_error(status, &json, 400, "INVALID_ARGUMENT", "");
    }
    // An empty body where one is required.
    let resp = srv
        .http
        .post(srv.url("/message:send"))
        .send()
        .await
        .unwrap();
    let (status, json) = json_of(resp).await;
    assert_error(status, &json, 400, "INVALID_ARGUMENT", "");
}

#[tokio::test]
async fn rest_wrong_content_type_is_415() {
    let srv = server().start().await;
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
    ] {
        let resp = srv
            .http
            .post(srv.url("/message:send"))
            .header("content-type", ct)
            .body(send_request("hi").to_string())
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(resp).await;
        assert_error(status, &body, 415, "INVALID_ARGUMENT", "");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(ct),
            "{body}"
        );
    }
}

#[tokio::test]
async fn rest_body_over_the_limit_is_413() {
    let srv = server()
        .limits(Limits::new(
            2048,
            8,
            Duration::from_secs(15),
            Duration::from_secs(30),
        ))
        .start()
        .await;
    let big = "x".repeat(4096);
    let (status, body) = json_of(
        srv.post_json("/message:send", &send_request(&big))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], 413);
    // A body under the limit passes.
    let (status, _) = json_of(
        srv.post_json("/message:send", &send_request("small"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn c31_bad_query_values_name_the_parameter() {
    let srv = server().start().await;
    let id = id_of(&send_task(&srv, "", "hello").await);
    let cases: Vec<(String, &str)> = [
        ("/tasks?pageSize=abc", "pageSize"),
        ("/tasks?pageSize=", "pageSize"),
        ("/tasks?pageSize=0", "pageSize"),
        ("/tasks?pageSize=101", "pageSize"),
        ("/tasks?pageSize=-1", "pageSize"),
        ("/tasks?pageSize=99999999999", "pageSize"),
        ("/tasks?pageSize=1&pageSize=2", "pageSize"),
        ("/tasks?historyLength=-1", "historyLength"),
        ("/tasks?historyLength=1.5", "historyLength"),
        ("/tasks?includeArtifacts=yes", "includeArtifacts"),
        ("/tasks?includeArtifacts=1", "includeArtifacts"),
        ("/tasks?status=DONE", "status"),
        ("/tasks?status=42", "status"),
        (
            "/tasks?statusTimestampAfter=yesterday",
            "statusTimestampAfter",
        ),
        ("/tasks?pageToken=not-a-token", "pageToken"),
    ]
    .into_iter()
    .map(|(p, n)| (p.to_owned(), n))
    .chain([
        (format!("/tasks/{id}?historyLength=x"), "historyLength"),
        (format!("/tasks/{id}?historyLength=-2"), "historyLength"),
        (
            format!("/tasks/{id}/pushNotificationConfigs?pageSize=z"),
            "pageSize",
        ),
    ])
    .collect();
    for prefix in PREFIXES {
        for (path, param) in &cases {
            let (status, body) =
                json_of(srv.get(&format!("{prefix}{path}")).send().await.unwrap()).await;
            assert_error(status, &body, 400, "INVALID_ARGUMENT", "");
            assert!(
                violated_fields(&body).iter().any(|f| f == param),
                "{path}: {body}"
            );
            assert!(
                body["error"]["message"].as_str().unwrap().contains(param),
                "{path}: {body}"
            );
        }
    }
    // snake_case names are read too.
    let (status, body) = json_of(srv.get("/tasks?page_size=1").send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(body["pageSize"], 1);
}

#[tokio::test]
async fn c66_unsupported_version_is_400() {
    let srv = server().start().await;
    for prefix in PREFIXES {
        for v in ["99.0", "2", "abc", "0.3"] {
            let (status, body) = json_of(
                srv.get(&format!("{prefix}/tasks"))
                    .header("a2a-version", v)
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_error(
                status,
                &body,
                400,
                "FAILED_PRECONDITION",
                "VERSION_NOT_SUPPORTED",
            );
        }
        for v in ["1.0", "1.0.1", ""] {
            let resp = srv
                .post_json(&format!("{prefix}/message:send"), &send_request("hi"))
                .header("a2a-version", v)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200, "A2A-Version: {v:?}");
        }
    }
}

#[tokio::test]
async fn c68_version_query_parameter_is_honoured() {
    let srv = server().start().await;
    for prefix in PREFIXES {
        let resp = srv
            .post_json(
                &format!("{prefix}/message:send?A2A-Version=1.0"),
                &send_request("hi"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let (status, body) = json_of(
            srv.get(&format!("{prefix}/tasks?A2A-Version=99.0"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(
            status,
            &body,
            400,
            "FAILED_PRECONDITION",
            "VERSION_NOT_SUPPORTED",
        );
        assert_eq!(
            body["error"]["details"][0]["metadata"]["requestedVersion"],
            "99.0"
        );
    }
}

#[tokio::test]
async fn rest_unknown_routes_are_404_and_wrong_methods_405() {
    let srv = server().start().await;
    for (method, path, allow) in [
        ("GET", "/message:send", "POST"),
        ("PUT", "/message:stream", "POST"),
        ("DELETE", "/tasks", "GET"),
        ("POST", "/tasks/abc", "GET"),
        ("DELETE", "/tasks/abc:subscribe", "GET, POST"),
        ("PUT", "/tasks/abc/pushNotificationConfigs", "GET, POST"),
        (
            "POST",
            "/tasks/abc/pushNotificationConfigs/x",
            "GET, DELETE",
        ),
        ("POST", "/acme/extendedAgentCard", "GET"),
    ] {
        let resp = srv
            .http
            .request(method.parse().unwrap(), srv.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.headers()["allow"], allow, "{method} {path}");
        let (status, body) = json_of(resp).await;
        assert_eq!(status, 405, "{method} {path}: {body}");
        assert_eq!(body["error"]["code"], 405);
    }
    for path in [
        "/message:sned",
        "/acme/tasks/x/y/z",
        "/v1/message:nope",
        "/a/b/tasks",
    ] {
        let (status, body) = json_of(srv.get(path).send().await.unwrap()).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"]["status"], "NOT_FOUND", "{path}");
    }
    // A verb this binding does not have.
    let (status, body) = json_of(
        srv.http
            .post(srv.url("/tasks/abc:archive"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["status"], "NOT_FOUND");
    // The other routes still work.
    let resp = srv.get("/favicon.ico").send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let resp = srv
        .get("/.well-known/agent-card.json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (status, body) = json_of(
        srv.post_json(
            "/",
            &json!({"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "x"}}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["error"]["code"], -32001);
    assert_eq!(srv.get("/healthz").send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn rest_stream_limit_is_429() {
    let srv = server()
        .limits(Limits::new(
            1 << 20,
            1,
            Duration::from_secs(15),
            Duration::from_secs(30),
        ))
        .start()
        .await;
    let id = id_of(&start_task(&srv, "", "slow 100").await);
    let first = srv
        .get(&format!("/tasks/{id}:subscribe"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let mut reader = SseReader::new(first);
    assert!(reader.next().await.is_some());
    let (status, body) = json_of(
        srv.http
            .post(srv.url(&format!("/tasks/{id}:subscribe")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], 429);
    drop(reader);
    // The slot is released when the client goes away.
    let limits = srv.state.limits.clone();
    eventually(5, || {
        let limits = limits.clone();
        async move { limits.open_streams() == 0 }
    })
    .await;
    let again = srv
        .get(&format!("/tasks/{id}:subscribe"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
}

// ---------------------------------------------------------------------------------------
// Owner scoping and authentication
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn c75_tasks_are_scoped_to_their_owner() {
    let srv = server()
        .api_key("k-alice", "alice")
        .api_key("k-bob", "bob")
        .start()
        .await;
    let alice = |r: reqwest::RequestBuilder| r.header("x-api-key", "k-alice");
    let bob = |r: reqwest::RequestBuilder| r.header("authorization", "Bearer k-bob");
    let body =
        json!({"message": user_message("slow 100"), "configuration": {"returnImmediately": true}});
    let (status, created) = json_of(
        alice(srv.post_json("/message:send", &body))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let id = id_of(&created["task"]);
    let (status, cfg) = json_of(
        alice(srv.post_json(
            &format!("/tasks/{id}/pushNotificationConfigs"),
            &json!({"url": "https://example.com/hook"}),
        ))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let cfg_id = cfg["id"].as_str().unwrap().to_owned();
    for prefix in PREFIXES {
        let attempts = [
            bob(srv.get(&format!("{prefix}/tasks/{id}"))),
            bob(srv
                .http
                .post(srv.url(&format!("{prefix}/tasks/{id}:cancel")))),
            bob(srv.get(&format!("{prefix}/tasks/{id}:subscribe"))),
            bob(srv
                .http
                .post(srv.url(&format!("{prefix}/tasks/{id}:subscribe")))),
            bob(srv.post_json(
                &format!("{prefix}/tasks/{id}/pushNotificationConfigs"),
                &json!({"url": "https://example.com/hook"}),
            )),
            bob(srv.get(&format!("{prefix}/tasks/{id}/pushNotificationConfigs"))),
            bob(srv.get(&format!(
                "{prefix}/tasks/{id}/pushNotificationConfigs/{cfg_id}"
            ))),
            bob(srv.delete(&format!(
                "{prefix}/tasks/{id}/pushNotificationConfigs/{cfg_id}"
            ))),
        ];
        for req in attempts {
            let (status, body) = json_of(req.send().await.unwrap()).await;
            assert_error(status, &body, 404, "NOT_FOUND", "TASK_NOT_FOUND");
        }
        let (_, list) = json_of(
            bob(srv.get(&format!("{prefix}/tasks")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(list["totalSize"], 0, "{list}");
        let (_, list) = json_of(
            alice(srv.get(&format!("{prefix}/tasks")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(list["totalSize"], 1, "{list}");
    }
    // Bob's delete did nothing; alice still sees the config and a running task.
    let (status, _) = json_of(
        alice(srv.get(&format!("/tasks/{id}/pushNotificationConfigs/{cfg_id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let (_, task) = json_of(
        alice(srv.get(&format!("/tasks/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_ne!(state_of(&task), "TASK_STATE_CANCELED");
}

#[tokio::test]
async fn c74_no_credentials_is_401_with_challenge() {
    let srv = server().api_key("k-alice", "alice").start().await;
    for prefix in PREFIXES {
        for req in [
            srv.post_json(&format!("{prefix}/message:send"), &send_request("hi")),
            srv.get(&format!("{prefix}/tasks")),
            srv.get(&format!("{prefix}/tasks/x:subscribe")),
            srv.post_json(&format!("{prefix}/message:send"), &send_request("hi"))
                .header("x-api-key", "wrong"),
        ] {
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 401);
            assert!(resp.headers().contains_key("www-authenticate"));
            assert_eq!(content_type(&resp), JSON);
            let (_, body) = json_of(resp).await;
            assert_eq!(body["error"]["code"], 401);
            assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
        }
    }
    // Nothing was created.
    let (_, list) = json_of(
        srv.get("/tasks")
            .header("x-api-key", "k-alice")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(list["totalSize"], 0);
}

// ---------------------------------------------------------------------------------------
// 0.3 routes under /v1
// ---------------------------------------------------------------------------------------

/// A 0.3 `SendMessageRequest` in the proto JSON form (what the official 0.3 REST clients send).
fn v03_send(text: &str, blocking: bool) -> Value {
    json!({
        "message": {"messageId": message_id(), "role": "ROLE_USER", "content": [{"text": text}]},
        "configuration": {"acceptedOutputModes": ["text/plain"], "blocking": blocking}
    })
}

fn assert_no_kind(v: &Value) {
    match v {
        Value::Object(o) => {
            assert!(!o.contains_key("kind"), "0.3 proto JSON has no `kind`: {v}");
            o.values().for_each(assert_no_kind);
        }
        Value::Array(a) => a.iter().for_each(assert_no_kind),
        _ => {}
    }
}

#[tokio::test]
async fn c69_v03_send_and_get_use_the_0_3_proto_shapes() {
    let srv = server().start().await;
    let resp = srv
        .post_json("/v1/message:send", &v03_send("hello old", true))
        .send()
        .await
        .unwrap();
    assert_eq!(content_type(&resp), "application/json");
    let (status, body) = json_of(resp).await;
    assert_eq!(status, 200, "{body}");
    assert_no_kind(&body);
    let task = &body["task"];
    assert_eq!(task["status"]["state"], "TASK_STATE_COMPLETED", "{body}");
    let history = task["history"].as_array().unwrap();
    assert_eq!(history[0]["role"], "ROLE_USER");
    assert_eq!(history[0]["content"][0]["text"], "hello old");
    assert!(history[0].get("parts").is_none());
    let text: String = task["artifacts"][0]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["text"].as_str())
        .collect();
    assert_eq!(text, "hello old");
    let id = id_of(task);
    let (status, got) = json_of(srv.get(&format!("/v1/tasks/{id}")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_no_kind(&got);
    assert_eq!(got["id"], id.as_str());
    assert_eq!(got["status"]["state"], "TASK_STATE_COMPLETED");
    // historyLength=0 is "unset" for 0.3 (proto3 semantics): the history stays.
    let (_, got) = json_of(
        srv.get(&format!("/v1/tasks/{id}?historyLength=0"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!got["history"].as_array().unwrap().is_empty());
    let (_, got) = json_of(
        srv.get(&format!("/v1/tasks/{id}?historyLength=1"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(got["history"].as_array().unwrap().len(), 1);
    // The 1.0 paths see the same task in the 1.0 form.
    let (_, v1) = json_of(srv.get(&format!("/tasks/{id}")).send().await.unwrap()).await;
    assert_eq!(v1["status"]["state"], "TASK_STATE_COMPLETED");
}

#[tokio::test]
async fn c69_v03_send_accepts_json_rpc_shapes_and_replies() {
    let srv = server().start().await;
    // 0.3 JSON-RPC `MessageSendParams`, kind-tagged parts.
    let params = json!({"message": {"kind": "message", "messageId": message_id(), "role": "user",
        "parts": [{"kind": "text", "text": "reply now"}]}});
    let (status, body) = json_of(
        srv.post_json("/v1/message:send", &params)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_no_kind(&body);
    assert_eq!(body["message"]["role"], "ROLE_AGENT", "{body}");
    assert!(body["message"]["content"].is_array());
    // blocking false → the task as created.
    let (status, body) = json_of(
        srv.post_json("/v1/message:send", &v03_send("slow 50", false))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(matches!(
        body["task"]["status"]["state"].as_str().unwrap(),
        "TASK_STATE_SUBMITTED" | "TASK_STATE_WORKING"
    ));
    // A validation error names the field.
    let bad = json!({"message": {"messageId": message_id(), "role": "ROLE_USER", "content": []}});
    let (status, body) = json_of(
        srv.post_json("/v1/message:send", &bad)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(status, &body, 400, "INVALID_ARGUMENT", "");
    assert_eq!(violated_fields(&body), ["message.parts"]);
}

#[tokio::test]
async fn c77_v03_stream_and_subscribe() {
    let srv = server().start().await;
    let events = sse(srv
        .post_json("/v1/message:stream", &v03_send("chunks 2", true))
        .send()
        .await
        .unwrap())
    .await;
    let first = events[0].json();
    assert_eq!(stream_kind(&first), "task");
    let last = events.last().unwrap().json();
    assert_eq!(last["statusUpdate"]["final"], true, "{last}");
    assert_eq!(
        last["statusUpdate"]["status"]["state"],
        "TASK_STATE_COMPLETED"
    );
    for e in &events {
        let v = e.json();
        assert_no_kind(&v);
        assert!(["task", "statusUpdate", "artifactUpdate"].contains(&stream_kind(&v)));
    }
    for post in [false, true] {
        let (_, body) = json_of(
            srv.post_json("/v1/message:send", &v03_send("slow 25", false))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let id = id_of(&body["task"]);
        let path = format!("/v1/tasks/{id}:subscribe");
        let req = if post {
            srv.http.post(srv.url(&path))
        } else {
            srv.get(&path)
        };
        let events = sse(req.send().await.unwrap()).await;
        assert_eq!(events[0].json()["task"]["id"], id.as_str());
        let last = events.last().unwrap().json();
        assert_eq!(last["statusUpdate"]["final"], true);
    }
}

#[tokio::test]
async fn c78_v03_cancel_and_push_configs() {
    let srv = server().start().await;
    let (_, body) = json_of(
        srv.post_json("/v1/message:send", &v03_send("slow 100", false))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = id_of(&body["task"]);
    let (status, task) = json_of(
        srv.http
            .post(srv.url(&format!("/v1/tasks/{id}:cancel")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{task}");
    assert_eq!(task["status"]["state"], "TASK_STATE_CANCELLED");
    // The create body of the Python 0.3 client.
    let create = json!({"parent": format!("tasks/{id}"), "configId": "cfg-1",
        "config": {"name": format!("tasks/{id}/pushNotificationConfigs/cfg-1"),
            "pushNotificationConfig": {"url": "https://example.com/hook", "token": "t",
                "authentication": {"schemes": ["Bearer"], "credentials": "c"}}}});
    let base = format!("/v1/tasks/{id}/pushNotificationConfigs");
    let (status, cfg) = json_of(srv.post_json(&base, &create).send().await.unwrap()).await;
    assert_eq!(status, 200, "{cfg}");
    assert_eq!(
        cfg["name"],
        format!("tasks/{id}/pushNotificationConfigs/cfg-1")
    );
    assert_eq!(
        cfg["pushNotificationConfig"]["url"],
        "https://example.com/hook"
    );
    assert_eq!(
        cfg["pushNotificationConfig"]["authentication"]["schemes"],
        json!(["Bearer"])
    );
    let (status, got) = json_of(srv.get(&format!("{base}/cfg-1")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(got, cfg);
    let (_, list) = json_of(srv.get(&base).send().await.unwrap()).await;
    assert_eq!(list, json!({"configs": [cfg]}));
    for _ in 0..2 {
        let (status, body) =
            json_of(srv.delete(&format!("{base}/cfg-1")).send().await.unwrap()).await;
        assert_eq!(status, 200);
        assert_eq!(body, json!({}));
    }
    let (status, body) = json_of(srv.get(&format!("{base}/cfg-1")).send().await.unwrap()).await;
    assert_error(status, &body, 404, "NOT_FOUND", "TASK_NOT_FOUND");
    // A bare PushNotificationConfig body is read too.
    let (status, cfg) = json_of(
        srv.post_json(&base, &json!({"url": "https://example.com/other"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{cfg}");
    assert!(
        cfg["name"]
            .as_str()
            .unwrap()
            .starts_with(&format!("tasks/{id}/pushNotificationConfigs/"))
    );
}

#[tokio::test]
async fn c79_v03_errors_and_versions() {
    let srv = server().start().await;
    let (status, body) = json_of(srv.get("/v1/tasks/nope").send().await.unwrap()).await;
    assert_error(status, &body, 404, "NOT_FOUND", "TASK_NOT_FOUND");
    let (_, body) = json_of(
        srv.post_json("/v1/message:send", &v03_send("hello", true))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = id_of(&body["task"]);
    let (status, body) = json_of(
        srv.http
            .post(srv.url(&format!("/v1/tasks/{id}:cancel")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(
        status,
        &body,
        400,
        "FAILED_PRECONDITION",
        "TASK_NOT_CANCELABLE",
    );
    // /v1 speaks 0.3: `A2A-Version: 1.0` there is refused; 0.3 and absent are served.
    let (status, body) = json_of(
        srv.get(&format!("/v1/tasks/{id}"))
            .header("a2a-version", "1.0")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(
        status,
        &body,
        400,
        "FAILED_PRECONDITION",
        "VERSION_NOT_SUPPORTED",
    );
    let resp = srv
        .get(&format!("/v1/tasks/{id}"))
        .header("a2a-version", "0.3")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // 0.3 had no ListTasks.
    let (status, body) = json_of(srv.get("/v1/tasks").send().await.unwrap()).await;
    assert_eq!(status, 404, "{body}");
    // /v1/card is the extended card: not declared here.
    let (status, body) = json_of(srv.get("/v1/card").send().await.unwrap()).await;
    assert_error(
        status,
        &body,
        400,
        "FAILED_PRECONDITION",
        "UNSUPPORTED_OPERATION",
    );
}

#[tokio::test]
async fn c69_v03_card_route_serves_the_extended_card_in_0_3_form() {
    let mut extended = server().card();
    extended.name = "Extended".into();
    let srv = server()
        .api_key("k", "alice")
        .extended_card(extended)
        .start()
        .await;
    let (status, card) = json_of(
        srv.get("/v1/card")
            .header("x-api-key", "k")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{card}");
    assert_eq!(card["name"], "Extended");
    assert_eq!(card["protocolVersion"], "0.3.0", "{card}");
    assert!(
        card["url"].as_str().unwrap().starts_with(&srv.base),
        "{card}"
    );
}
