//! The JSON-RPC 2.0 binding over real sockets (reqwest): each of the 11 methods under its
//! 1.0 name, with its errors; streams (SSE framing, `id:` = the task log's sequence number,
//! keep-alive comments, the close after the final event, `Last-Event-ID` resume); bad input
//! (-32700, -32600, -32601, -32602, 415, 413), none of which changes stored data; version
//! negotiation; the 0.3 method names. Tests named `cNN_…` cover item NN of the conformance
//! checklist (shared/docs/spec.md §13); `docs/conformance.md` maps every item to its tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::{SseEvent, SseReader, TestServer, eventually, json_of, message_id, server};
use a2agw_server::Limits;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// The service parameter every 1.0 client sends.
const V1: (&str, &str) = ("a2a-version", "1.0");

fn next_id() -> i64 {
    static NEXT: AtomicI64 = AtomicI64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn content_type(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// `POST /` with `Content-Type: application/json`, `body` and the headers.
fn post(srv: &TestServer, body: &Value, headers: &[(&str, &str)]) -> reqwest::RequestBuilder {
    let mut req = srv.post_json("/", body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req
}

/// `POST /` with a raw body and `Content-Type: application/json`: status and JSON body.
async fn post_raw(srv: &TestServer, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let resp = srv
        .http
        .post(srv.url("/"))
        .header("content-type", "application/json")
        .header("a2a-version", "1.0")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(content_type(&resp), "application/json");
    json_of(resp).await
}

/// Asserts the JSON-RPC envelope: `"jsonrpc":"2.0"`, the request's `id`, exactly one of
/// `result` and `error`, nothing else.
#[track_caller]
fn assert_envelope(resp: &Value, id: &Value) {
    let o = resp
        .as_object()
        .unwrap_or_else(|| panic!("a JSON-RPC response is an object: {resp}"));
    assert_eq!(o.get("jsonrpc"), Some(&json!("2.0")), "{resp}");
    assert_eq!(o.get("id"), Some(id), "the request's id: {resp}");
    assert!(
        o.contains_key("result") ^ o.contains_key("error"),
        "exactly one of result/error: {resp}"
    );
    assert_eq!(o.len(), 3, "{resp}");
}

/// A call with a fresh numeric id and the headers; asserts HTTP 200, `application/json` and
/// the envelope; the whole response.
async fn call_with(
    srv: &TestServer,
    method: &str,
    params: Value,
    headers: &[(&str, &str)],
) -> Value {
    let id = json!(next_id());
    let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    let resp = post(srv, &body, headers).send().await.unwrap();
    assert_eq!(content_type(&resp), "application/json", "{method}");
    let (status, resp) = json_of(resp).await;
    assert_eq!(status, 200, "{method}: {resp}");
    assert_envelope(&resp, &id);
    resp
}

/// A 1.0 call (`A2A-Version: 1.0`).
async fn call(srv: &TestServer, method: &str, params: Value) -> Value {
    call_with(srv, method, params, &[V1]).await
}

/// The `result` of a success response.
#[track_caller]
fn ok(resp: &Value) -> &Value {
    assert!(resp.get("error").is_none(), "expected a result: {resp}");
    &resp["result"]
}

/// Asserts a 1.0 error object: `code`, a non-empty `message`, and `data` (when present) an
/// array whose elements all carry `@type`.
#[track_caller]
fn assert_error(resp: &Value, code: i64) {
    let e = &resp["error"];
    assert_eq!(e["code"].as_i64(), Some(code), "{resp}");
    assert!(
        e["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{resp}"
    );
    if let Some(data) = e.get("data") {
        let items = data
            .as_array()
            .unwrap_or_else(|| panic!("1.0 error data is an array: {resp}"));
        assert!(items.iter().all(|d| d["@type"].is_string()), "{resp}");
    }
}

/// The `google.rpc.ErrorInfo` of a 1.0 error response.
fn error_info(resp: &Value) -> Option<&Value> {
    resp["error"]["data"]
        .as_array()?
        .iter()
        .find(|d| d["@type"] == "type.googleapis.com/google.rpc.ErrorInfo")
}

/// Asserts an A2A error: the code, and an `ErrorInfo` with `reason` in `a2a-protocol.org`.
#[track_caller]
fn assert_a2a_error(resp: &Value, code: i64, reason: &str) {
    assert_error(resp, code);
    let info = error_info(resp).unwrap_or_else(|| panic!("no ErrorInfo: {resp}"));
    assert_eq!(info["reason"], reason, "{resp}");
    assert_eq!(info["domain"], "a2a-protocol.org", "{resp}");
}

/// The fields of the `google.rpc.BadRequest` of a 1.0 error response.
fn violated_fields(resp: &Value) -> Vec<String> {
    resp["error"]["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["@type"] == "type.googleapis.com/google.rpc.BadRequest")
        .flat_map(|d| d["fieldViolations"].as_array().cloned().unwrap_or_default())
        .filter_map(|v| v["field"].as_str().map(str::to_owned))
        .collect()
}

/// Asserts -32602 with a `BadRequest` naming `field` (also in the message).
#[track_caller]
fn assert_invalid_params(resp: &Value, field: &str) {
    assert_error(resp, -32602);
    let fields = violated_fields(resp);
    assert!(
        fields.iter().any(|f| f == field),
        "{field} not in {fields:?}: {resp}"
    );
    assert!(
        resp["error"]["message"].as_str().unwrap().contains(field),
        "{resp}"
    );
}

fn id_of(task: &Value) -> String {
    task["id"].as_str().unwrap().to_owned()
}

fn state_of(task: &Value) -> &str {
    task["status"]["state"].as_str().unwrap_or_default()
}

fn message(text: &str) -> Value {
    json!({"messageId": message_id(), "role": "ROLE_USER", "parts": [{"text": text}]})
}

/// Sends `text` (blocking) and returns the task.
async fn send_task(srv: &TestServer, text: &str) -> Value {
    let resp = call(srv, "SendMessage", json!({"message": message(text)})).await;
    ok(&resp)["task"].clone()
}

/// Sends `text` with `returnImmediately` and returns the task as created.
async fn start_task(srv: &TestServer, text: &str) -> Value {
    let params = json!({"message": message(text), "configuration": {"returnImmediately": true}});
    ok(&call(srv, "SendMessage", params).await)["task"].clone()
}

async fn get_task(srv: &TestServer, id: &str) -> Value {
    ok(&call(srv, "GetTask", json!({"id": id})).await).clone()
}

async fn list_tasks(srv: &TestServer, params: Value) -> Value {
    ok(&call(srv, "ListTasks", params).await).clone()
}

/// The one member of a 1.0 `StreamResponse` / `SendMessageResponse`.
#[track_caller]
fn kind(result: &Value) -> &str {
    let o = result
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {result}"));
    assert_eq!(o.len(), 1, "exactly one member: {result}");
    let k = o.keys().next().unwrap().as_str();
    assert!(
        ["task", "message", "statusUpdate", "artifactUpdate"].contains(&k),
        "{result}"
    );
    k
}

/// The state a stream event reports (task snapshot or status update).
fn event_state(result: &Value) -> Option<&str> {
    result
        .get("task")
        .or_else(|| result.get("statusUpdate"))
        .and_then(|e| e["status"]["state"].as_str())
}

fn is_terminal(state: &str) -> bool {
    matches!(
        state,
        "TASK_STATE_COMPLETED"
            | "TASK_STATE_FAILED"
            | "TASK_STATE_CANCELED"
            | "TASK_STATE_REJECTED"
    )
}

/// Opens a 1.0 stream call with request id `id`: asserts HTTP 200 and `text/event-stream`.
async fn open_stream(
    srv: &TestServer,
    id: &Value,
    method: &str,
    params: Value,
    headers: &[(&str, &str)],
) -> SseReader {
    let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    let mut all = vec![V1];
    all.extend_from_slice(headers);
    let resp = post(srv, &body, &all).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{method}");
    assert!(
        content_type(&resp).starts_with("text/event-stream"),
        "{method}: {}",
        content_type(&resp)
    );
    SseReader::new(resp)
}

/// Checks one SSE event of a JSON-RPC stream: no `event:` name, `data` a JSON-RPC success
/// response with the request's id whose `result` has exactly one StreamResponse member.
/// Returns `(id:, result)`.
#[track_caller]
fn check_event(ev: &SseEvent, id: &Value) -> (Option<u64>, Value) {
    assert!(ev.event.is_none(), "{ev:?}");
    let body = ev.json();
    assert_envelope(&body, id);
    let result = ok(&body).clone();
    kind(&result);
    if let Some(raw) = &ev.id {
        assert!(ev.seq().is_some(), "`id:` is a sequence number: {raw}");
    }
    (ev.seq(), result)
}

/// Every event of a stream call (until the server closes it), each checked.
async fn stream(
    srv: &TestServer,
    method: &str,
    params: Value,
    headers: &[(&str, &str)],
) -> Vec<(Option<u64>, Value)> {
    let id = json!(format!("stream-{}", next_id()));
    let reader = open_stream(srv, &id, method, params, headers).await;
    reader
        .collect()
        .await
        .iter()
        .map(|e| check_event(e, &id))
        .collect()
}

/// Asserts a task stream: the first event is the task, later ones are status/artifact
/// updates of that task (same `taskId` and `contextId`), `id:`s strictly increase, only
/// the last event is terminal and it is `terminal`.
#[track_caller]
fn assert_task_stream(events: &[(Option<u64>, Value)], terminal: &str) {
    assert!(!events.is_empty());
    let first = &events[0].1;
    assert_eq!(kind(first), "task", "{first}");
    let task_id = first["task"]["id"].as_str().unwrap();
    let context_id = first["task"]["contextId"].as_str().unwrap();
    assert!(!context_id.is_empty());
    for (_, e) in &events[1..] {
        let k = kind(e);
        assert!(k == "statusUpdate" || k == "artifactUpdate", "{e}");
        assert_eq!(e[k]["taskId"], task_id, "{e}");
        assert_eq!(e[k]["contextId"], context_id, "{e}");
    }
    let seqs: Vec<u64> = events.iter().filter_map(|(s, _)| *s).collect();
    assert_eq!(seqs.len(), events.len(), "every task event has an `id:`");
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "ids increase: {seqs:?}"
    );
    let (last, before) = events.split_last().unwrap();
    assert_eq!(event_state(&last.1), Some(terminal), "{}", last.1);
    assert!(
        before
            .iter()
            .filter_map(|(_, e)| event_state(e))
            .all(|s| !is_terminal(s)),
        "only the last event is terminal"
    );
}

// ---------------------------------------------------------------------------------------
// SendMessage
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn c14_send_message_answers_a_task_or_a_message() {
    let srv = server().start().await;
    let sent = message("hello json-rpc");
    let resp = call(&srv, "SendMessage", json!({"message": sent})).await;
    let result = ok(&resp);
    assert_eq!(kind(result), "task", "{result}");
    let task = &result["task"];
    assert_eq!(state_of(task), "TASK_STATE_COMPLETED", "{task}");
    assert!(!id_of(task).is_empty());
    assert!(task["contextId"].as_str().is_some_and(|c| !c.is_empty()));
    let text: String = task["artifacts"][0]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["text"].as_str())
        .collect();
    assert_eq!(text, "hello json-rpc");
    assert_eq!(task["history"][0]["messageId"], sent["messageId"]);
    assert_eq!(task["history"][0]["role"], "ROLE_USER");
    // A direct reply is a message and creates no task.
    let resp = call(
        &srv,
        "SendMessage",
        json!({"message": message("reply please")}),
    )
    .await;
    let result = ok(&resp);
    assert_eq!(kind(result), "message", "{result}");
    assert_eq!(result["message"]["role"], "ROLE_AGENT");
    assert!(result["message"].get("taskId").is_none(), "{result}");
    assert_eq!(list_tasks(&srv, json!({})).await["totalSize"], 1);
}

#[tokio::test]
async fn c22_send_message_return_immediately_answers_before_the_work_ends() {
    let srv = server().start().await;
    let task = start_task(&srv, "slow 25").await;
    assert!(
        matches!(
            state_of(&task),
            "TASK_STATE_SUBMITTED" | "TASK_STATE_WORKING"
        ),
        "{task}"
    );
    let id = id_of(&task);
    eventually(10, || {
        let srv = &srv;
        let id = id.clone();
        async move { state_of(&get_task(srv, &id).await) == "TASK_STATE_COMPLETED" }
    })
    .await;
    // Without the flag the same work is awaited.
    let task = send_task(&srv, "slow 3").await;
    assert_eq!(state_of(&task), "TASK_STATE_COMPLETED", "{task}");
}

// ---------------------------------------------------------------------------------------
// GetTask / ListTasks / CancelTask
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn c25_c27_get_task_returns_the_task_with_history_length() {
    let srv = server().start().await;
    let sent = send_task(&srv, "remember me").await;
    let id = id_of(&sent);
    let task = get_task(&srv, &id).await;
    assert_eq!(task["id"], id.as_str());
    assert_eq!(task["contextId"], sent["contextId"]);
    assert_eq!(task["status"], sent["status"]);
    let history = task["history"].as_array().unwrap().clone();
    assert!(history.len() >= 2, "{task}");
    let with = |n: i64| call(&srv, "GetTask", json!({"id": id, "historyLength": n}));
    let none = ok(&with(0).await).clone();
    assert!(none.get("history").is_none(), "{none}");
    let one = ok(&with(1).await).clone();
    assert_eq!(one["history"], json!([history.last().unwrap()]), "{one}");
    let all = ok(&with(100).await).clone();
    assert_eq!(all["history"], json!(history));
}

#[tokio::test]
async fn c26_get_task_of_an_unknown_id_is_task_not_found() {
    let srv = server().start().await;
    let resp = call(&srv, "GetTask", json!({"id": "no-such-task"})).await;
    assert_a2a_error(&resp, -32001, "TASK_NOT_FOUND");
    assert_eq!(
        error_info(&resp).unwrap()["metadata"]["taskId"],
        "no-such-task"
    );
}

#[tokio::test]
async fn c30_c32_c33_list_tasks_pages_filters_and_omits_artifacts() {
    let srv = server().start().await;
    // An empty list still has every REQUIRED member.
    let empty = list_tasks(&srv, json!({})).await;
    assert_eq!(empty["tasks"], json!([]), "{empty}");
    assert_eq!(empty["nextPageToken"], "", "{empty}");
    assert_eq!(empty["totalSize"], 0, "{empty}");
    assert!(empty["pageSize"].is_number(), "{empty}");
    let first = send_task(&srv, "one").await;
    let ctx = first["contextId"].as_str().unwrap().to_owned();
    for text in ["two", "three"] {
        let mut msg = message(text);
        msg["contextId"] = ctx.clone().into();
        ok(&call(&srv, "SendMessage", json!({"message": msg})).await);
    }
    send_task(&srv, "please fail").await;
    // Paging visits every task exactly once.
    let mut seen = Vec::new();
    let mut token = String::new();
    for page in 0.. {
        assert!(page < 5, "paging does not end");
        let resp = list_tasks(&srv, json!({"pageSize": 3, "pageToken": token})).await;
        assert_eq!(resp["totalSize"], 4, "{resp}");
        assert_eq!(resp["pageSize"], 3, "{resp}");
        seen.extend(resp["tasks"].as_array().unwrap().iter().map(id_of));
        token = resp["nextPageToken"].as_str().unwrap().to_owned();
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 4, "{seen:?}");
    // Filters.
    let in_ctx = list_tasks(&srv, json!({"contextId": ctx})).await;
    assert_eq!(in_ctx["totalSize"], 3);
    assert!(
        in_ctx["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["contextId"] == ctx.as_str())
    );
    let failed = list_tasks(&srv, json!({"status": "TASK_STATE_FAILED"})).await;
    assert_eq!(failed["totalSize"], 1);
    assert_eq!(state_of(&failed["tasks"][0]), "TASK_STATE_FAILED");
    let after = |ts: &str| list_tasks(&srv, json!({"statusTimestampAfter": ts}));
    assert_eq!(after("2000-01-01T00:00:00Z").await["totalSize"], 4);
    assert_eq!(after("2999-01-01T00:00:00Z").await["totalSize"], 0);
    // includeArtifacts: absent key unless asked for.
    let without = list_tasks(&srv, json!({})).await;
    assert!(
        without["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t.get("artifacts").is_none()),
        "{without}"
    );
    let with = list_tasks(&srv, json!({"includeArtifacts": true})).await;
    assert!(
        with["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t.get("artifacts").is_some()),
        "{with}"
    );
    let h0 = list_tasks(&srv, json!({"historyLength": 0})).await;
    assert!(
        h0["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t.get("history").is_none()),
        "{h0}"
    );
}

#[tokio::test]
async fn c31_list_tasks_out_of_range_values_are_invalid_params() {
    let srv = server().start().await;
    for (params, field) in [
        (json!({"pageSize": 0}), "pageSize"),
        (json!({"pageSize": 101}), "pageSize"),
        (json!({"pageSize": -1}), "pageSize"),
        (json!({"historyLength": -1}), "historyLength"),
        (json!({"status": "DONE"}), "status"),
        (
            json!({"statusTimestampAfter": "yesterday"}),
            "statusTimestampAfter",
        ),
        (json!({"pageToken": "not-a-token"}), "pageToken"),
    ] {
        let resp = call(&srv, "ListTasks", params.clone()).await;
        assert_invalid_params(&resp, field);
    }
}

#[tokio::test]
async fn c34_cancel_task_cancels_a_working_task() {
    let srv = server().start().await;
    let id = id_of(&start_task(&srv, "slow 200").await);
    let resp = call(&srv, "CancelTask", json!({"id": id})).await;
    let task = ok(&resp);
    assert_eq!(task["id"], id.as_str());
    assert_eq!(state_of(task), "TASK_STATE_CANCELED", "{task}");
    assert_eq!(state_of(&get_task(&srv, &id).await), "TASK_STATE_CANCELED");
    // Cancel is idempotent on a canceled task (decision 7), and the work stays stopped.
    let again = call(
        &srv,
        "CancelTask",
        json!({"id": id, "metadata": {"why": "again"}}),
    )
    .await;
    assert_eq!(state_of(ok(&again)), "TASK_STATE_CANCELED", "{again}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(state_of(&get_task(&srv, &id).await), "TASK_STATE_CANCELED");
}

#[tokio::test]
async fn c35_cancel_of_a_finished_task_is_task_not_cancelable() {
    let srv = server().start().await;
    for (text, state) in [
        ("hello", "TASK_STATE_COMPLETED"),
        ("please fail", "TASK_STATE_FAILED"),
        ("reject this", "TASK_STATE_REJECTED"),
    ] {
        let task = send_task(&srv, text).await;
        assert_eq!(state_of(&task), state);
        let before = get_task(&srv, &id_of(&task)).await;
        let resp = call(&srv, "CancelTask", json!({"id": id_of(&task)})).await;
        assert_a2a_error(&resp, -32002, "TASK_NOT_CANCELABLE");
        assert_eq!(get_task(&srv, &id_of(&task)).await, before, "unchanged");
    }
}

#[tokio::test]
async fn c36_cancel_of_an_unknown_task_is_task_not_found() {
    let srv = server().start().await;
    let resp = call(&srv, "CancelTask", json!({"id": "no-such-task"})).await;
    assert_a2a_error(&resp, -32001, "TASK_NOT_FOUND");
}

// ---------------------------------------------------------------------------------------
// Streams
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn c37_c39_c40_send_streaming_message_is_sse_of_json_rpc_responses() {
    let srv = server().start().await;
    let events = stream(
        &srv,
        "SendStreamingMessage",
        json!({"message": message("stream me chunks 3")}),
        &[],
    )
    .await;
    assert_task_stream(&events, "TASK_STATE_COMPLETED");
    assert_eq!(
        events
            .iter()
            .filter(|(_, e)| kind(e) == "artifactUpdate")
            .count(),
        3
    );
    // Each `id:` is the sequence number of the task log event the SSE event carries.
    let task = &events[0].1["task"];
    let (task_id, ctx) = (id_of(task), task["contextId"].as_str().unwrap());
    let store = srv.state.handler.engine().store();
    let log = store.events_after(&task_id, 0, 1000).await.unwrap();
    for (seq, result) in &events[1..] {
        let stored = log
            .iter()
            .find(|e| Some(e.seq) == *seq)
            .unwrap_or_else(|| panic!("no log event {seq:?}"));
        let expected = stored.event.to_stream_response(&task_id, ctx).unwrap();
        assert_eq!(&serde_json::to_value(expected).unwrap(), result, "{seq:?}");
    }
    assert!(events[0].0.unwrap() <= log.last().unwrap().seq);
    // The stream ended with the task.
    assert_eq!(
        state_of(&get_task(&srv, &task_id).await),
        "TASK_STATE_COMPLETED"
    );
}

#[tokio::test]
async fn c38_a_streamed_reply_is_one_message_event() {
    let srv = server().start().await;
    let events = stream(
        &srv,
        "SendStreamingMessage",
        json!({"message": message("reply please")}),
        &[],
    )
    .await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(kind(&events[0].1), "message");
    assert_eq!(events[0].1["message"]["role"], "ROLE_AGENT");
    assert_eq!(events[0].0, None, "no task, no sequence number");
}

/// Reads a raw SSE body until the server closes it; its lines.
async fn raw_lines(mut resp: reqwest::Response) -> Vec<String> {
    let mut text = String::new();
    loop {
        let chunk = tokio::time::timeout(Duration::from_secs(10), resp.chunk())
            .await
            .expect("no SSE data within 10 s")
            .unwrap();
        match chunk {
            Some(bytes) => text.push_str(&String::from_utf8_lossy(&bytes)),
            None => break,
        }
    }
    text.replace("\r\n", "\n")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn jsonrpc_stream_sends_keep_alive_comments_while_idle() {
    let limits = Limits::new(
        4 * 1024 * 1024,
        64,
        Duration::from_millis(50),
        Duration::from_secs(300),
    );
    let srv = server()
        .limits(limits)
        .step(Duration::from_millis(300))
        .start()
        .await;
    let body = json!({"jsonrpc": "2.0", "id": 9, "method": "SendStreamingMessage",
        "params": {"message": message("slow 2")}});
    let resp = post(&srv, &body, &[V1]).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let lines = raw_lines(resp).await;
    let comments = lines.iter().filter(|l| l.starts_with(':')).count();
    assert!(comments >= 2, "keep-alive comments while idle: {lines:?}");
    // The last non-empty line is the data of the final event (after an `id:`): nothing
    // follows the final event, not even a keep-alive.
    let data: Vec<&String> = lines.iter().filter(|l| l.starts_with("data:")).collect();
    let last = data.last().unwrap();
    let last: Value = serde_json::from_str(last.trim_start_matches("data:").trim()).unwrap();
    assert_eq!(
        event_state(&last["result"]),
        Some("TASK_STATE_COMPLETED"),
        "{last}"
    );
    let tail: Vec<&String> = lines
        .iter()
        .rev()
        .filter(|l| !l.is_empty())
        .take(2)
        .collect();
    assert!(
        tail.iter()
            .all(|l| l.starts_with("data:") || l.starts_with("id:")),
        "{tail:?}"
    );
}

#[tokio::test]
async fn jsonrpc_stream_closes_after_input_required() {
    let srv = server().start().await;
    // INPUT_REQUIRED closes the stream (decision 17): the client's reply opens a new one.
    let events = stream(
        &srv,
        "SendStreamingMessage",
        json!({"message": message("need input")}),
        &[],
    )
    .await;
    assert_eq!(
        event_state(&events.last().unwrap().1),
        Some("TASK_STATE_INPUT_REQUIRED")
    );
}

#[tokio::test]
async fn jsonrpc_stream_stays_open_after_auth_required() {
    let srv = server().start().await;
    // AUTH_REQUIRED keeps it open (decision 17); the task's next message completes it on
    // that stream.
    let id = json!("auth-stream");
    let mut reader = open_stream(
        &srv,
        &id,
        "SendStreamingMessage",
        json!({"message": message("auth please")}),
        &[],
    )
    .await;
    let mut task_id = String::new();
    loop {
        let (_, e) = check_event(&reader.next().await.expect("stream ended early"), &id);
        if kind(&e) == "task" {
            task_id = id_of(&e["task"]);
        }
        if event_state(&e) == Some("TASK_STATE_AUTH_REQUIRED") {
            break;
        }
    }
    let idle = tokio::time::timeout(Duration::from_millis(300), reader.next()).await;
    assert!(idle.is_err(), "the stream stays open: {idle:?}");
    let mut msg = message("authorized now");
    msg["taskId"] = task_id.clone().into();
    let resp = call(&srv, "SendMessage", json!({"message": msg})).await;
    assert_eq!(state_of(&ok(&resp)["task"]), "TASK_STATE_COMPLETED");
    let rest: Vec<Value> = reader
        .collect()
        .await
        .iter()
        .map(|e| check_event(e, &id).1)
        .collect();
    assert_eq!(
        event_state(rest.last().unwrap()),
        Some("TASK_STATE_COMPLETED"),
        "{rest:?}"
    );
}

#[tokio::test]
async fn c42_subscribe_to_task_starts_with_the_current_task() {
    let srv = server().start().await;
    let id = id_of(&start_task(&srv, "slow 25").await);
    let events = stream(&srv, "SubscribeToTask", json!({"id": id}), &[]).await;
    assert_task_stream(&events, "TASK_STATE_COMPLETED");
    let first = &events[0].1["task"];
    assert_eq!(first["id"], id.as_str());
    assert!(
        matches!(
            state_of(first),
            "TASK_STATE_SUBMITTED" | "TASK_STATE_WORKING"
        ),
        "{first}"
    );
    assert!(
        first["history"][0]["parts"][0]["text"] == "slow 25",
        "{first}"
    );
}

#[tokio::test]
async fn jsonrpc_subscribe_with_last_event_id_replays_exactly_the_events_after_it() {
    let srv = server().step(Duration::from_millis(30)).start().await;
    let id = id_of(&start_task(&srv, "slow 12").await);
    // A: one uninterrupted subscription, in the background.
    let full = {
        let rid = json!("full");
        let reader = open_stream(&srv, &rid, "SubscribeToTask", json!({"id": id}), &[]).await;
        tokio::spawn(async move {
            reader
                .collect()
                .await
                .iter()
                .map(|e| check_event(e, &rid))
                .collect::<Vec<_>>()
        })
    };
    // B: reads three events, drops the connection, and resumes from the last id it saw.
    let rid = json!("resumed");
    let mut reader = open_stream(&srv, &rid, "SubscribeToTask", json!({"id": id}), &[]).await;
    let mut head = Vec::new();
    for _ in 0..3 {
        head.push(check_event(&reader.next().await.unwrap(), &rid));
    }
    drop(reader);
    let last_seen = head.last().unwrap().0.unwrap();
    let tail = stream(
        &srv,
        "SubscribeToTask",
        json!({"id": id}),
        &[("last-event-id", &last_seen.to_string())],
    )
    .await;
    let full = full.await.unwrap();
    assert_task_stream(&full, "TASK_STATE_COMPLETED");
    let expected: Vec<&(Option<u64>, Value)> = full
        .iter()
        .filter(|(s, _)| s.unwrap() > last_seen)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(
        tail.iter().collect::<Vec<_>>(),
        expected,
        "resumed after {last_seen}"
    );
    // After the end: a resume replays the rest of the log, and from the last id nothing.
    let from = full[1].0.unwrap();
    let replay = stream(
        &srv,
        "SubscribeToTask",
        json!({"id": id}),
        &[("last-event-id", &from.to_string())],
    )
    .await;
    assert_eq!(replay, full[2..].to_vec());
    let end = full.last().unwrap().0.unwrap();
    let none = stream(
        &srv,
        "SubscribeToTask",
        json!({"id": id}),
        &[("last-event-id", &end.to_string())],
    )
    .await;
    assert!(none.is_empty(), "{none:?}");
}

#[tokio::test]
async fn c43_subscribe_to_a_finished_or_unknown_task_is_refused() {
    let srv = server().start().await;
    let done = id_of(&send_task(&srv, "hello").await);
    let resp = call(&srv, "SubscribeToTask", json!({"id": done})).await;
    assert_a2a_error(&resp, -32004, "UNSUPPORTED_OPERATION");
    let resp = call(&srv, "SubscribeToTask", json!({"id": "no-such-task"})).await;
    assert_a2a_error(&resp, -32001, "TASK_NOT_FOUND");
}

#[tokio::test]
async fn jsonrpc_stream_limit_is_429() {
    let limits = Limits::new(1 << 20, 1, Duration::from_secs(15), Duration::from_secs(30));
    let srv = server().limits(limits).start().await;
    let id = id_of(&start_task(&srv, "slow 100").await);
    let rid = json!(1);
    let mut first = open_stream(&srv, &rid, "SubscribeToTask", json!({"id": id}), &[]).await;
    check_event(&first.next().await.unwrap(), &rid);
    let body =
        json!({"jsonrpc": "2.0", "id": 2, "method": "SubscribeToTask", "params": {"id": id}});
    let (status, resp) = json_of(post(&srv, &body, &[V1]).send().await.unwrap()).await;
    assert_eq!(status, 429, "{resp}");
    assert_envelope(&resp, &json!(2));
    drop(first);
    let limits = srv.state.limits.clone();
    eventually(5, || {
        let n = limits.open_streams();
        async move { n == 0 }
    })
    .await;
    let mut again = open_stream(&srv, &rid, "SubscribeToTask", json!({"id": id}), &[]).await;
    check_event(&again.next().await.unwrap(), &rid);
}

#[tokio::test]
async fn open_streams_and_requests_are_counted_per_agent() {
    a2agw_server::install_metrics();
    let srv = server().start().await;
    let id = id_of(&start_task(&srv, "slow 100").await);
    let rid = json!(1);
    let mut stream = open_stream(&srv, &rid, "SubscribeToTask", json!({"id": id}), &[]).await;
    check_event(&stream.next().await.unwrap(), &rid);
    let metrics = reqwest::get(srv.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let agent = format!("agent=\"{}\"", crate::support::AGENT);
    let series = |name: &str| {
        metrics
            .lines()
            .filter(|l| l.starts_with(name))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let open = series("a2agw_open_streams{");
    assert!(open.iter().any(|l| l.contains(&agent)), "{metrics}");
    let requests = series("a2agw_requests_total{");
    assert!(
        requests
            .iter()
            .any(|l| l.contains(&agent) && l.contains("method=\"SendMessage\"")),
        "{metrics}"
    );
}

// ---------------------------------------------------------------------------------------
// Push notification configs, extended card
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn c47_c48_c49_push_config_create_get_list_delete() {
    let srv = server().start().await;
    let task_id = id_of(&start_task(&srv, "slow 100").await);
    let created = call(
        &srv,
        "CreateTaskPushNotificationConfig",
        json!({"taskId": task_id, "url": "https://example.com/hook", "token": "tok",
            "authentication": {"scheme": "Bearer", "credentials": "secret"}}),
    )
    .await;
    let created = ok(&created).clone();
    let cfg_id = created["id"].as_str().unwrap().to_owned();
    assert!(!cfg_id.is_empty());
    assert_eq!(created["taskId"], task_id.as_str());
    assert_eq!(created["url"], "https://example.com/hook");
    assert_eq!(created["authentication"]["scheme"], "Bearer");
    let got = call(
        &srv,
        "GetTaskPushNotificationConfig",
        json!({"taskId": task_id, "id": cfg_id}),
    )
    .await;
    assert_eq!(ok(&got), &created);
    // A client-chosen id is kept.
    let second = call(
        &srv,
        "CreateTaskPushNotificationConfig",
        json!({"taskId": task_id, "id": "cfg-2", "url": "https://example.com/other"}),
    )
    .await;
    let second = ok(&second).clone();
    assert_eq!(second["id"], "cfg-2");
    let list = call(
        &srv,
        "ListTaskPushNotificationConfigs",
        json!({"taskId": task_id}),
    )
    .await;
    let configs = ok(&list)["configs"].as_array().unwrap().clone();
    assert_eq!(configs.len(), 2, "{list}");
    assert!(configs.contains(&created) && configs.contains(&second));
    // Delete is idempotent; the config is gone afterwards.
    for _ in 0..2 {
        let resp = call(
            &srv,
            "DeleteTaskPushNotificationConfig",
            json!({"taskId": task_id, "id": cfg_id}),
        )
        .await;
        assert_eq!(ok(&resp), &json!({}));
    }
    let resp = call(
        &srv,
        "GetTaskPushNotificationConfig",
        json!({"taskId": task_id, "id": cfg_id}),
    )
    .await;
    assert_a2a_error(&resp, -32001, "TASK_NOT_FOUND");
    let list = call(
        &srv,
        "ListTaskPushNotificationConfigs",
        json!({"taskId": task_id}),
    )
    .await;
    assert_eq!(ok(&list)["configs"], json!([second]));
    // The config is validated.
    let resp = call(
        &srv,
        "CreateTaskPushNotificationConfig",
        json!({"taskId": task_id}),
    )
    .await;
    assert_invalid_params(&resp, "url");
}

#[tokio::test]
async fn c55_c56_c57_get_extended_agent_card() {
    // Not declared: -32004.
    let srv = server().start().await;
    let resp = call(&srv, "GetExtendedAgentCard", json!({})).await;
    assert_a2a_error(&resp, -32004, "UNSUPPORTED_OPERATION");
    // Declared and configured: authenticated callers get it.
    let builder = server().api_key("k-alice", "alice").anonymous(true);
    let mut extended = builder.card();
    extended.name = "Demo agent (extended)".into();
    let srv = builder.extended_card(extended).start().await;
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "GetExtendedAgentCard"});
    let resp = post(&srv, &body, &[V1]).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().contains_key("www-authenticate"));
    let (_, err) = json_of(resp).await;
    assert!(err.get("result").is_none(), "no card: {err}");
    // Params may be omitted.
    let (status, resp) = json_of(
        post(&srv, &body, &[V1, ("x-api-key", "k-alice")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_envelope(&resp, &json!(1));
    let card = ok(&resp);
    assert_eq!(card["name"], "Demo agent (extended)");
    assert!(
        card["supportedInterfaces"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["protocolBinding"] == "JSONRPC" && i["url"] == format!("{}/", srv.base)),
        "{card}"
    );
    // Declared but not configured: -32007.
    let srv = server()
        .api_key("k-alice", "alice")
        .declare_extended_card(true)
        .start()
        .await;
    let resp = call_with(
        &srv,
        "GetExtendedAgentCard",
        json!({}),
        &[V1, ("x-api-key", "k-alice")],
    )
    .await;
    assert_a2a_error(&resp, -32007, "EXTENDED_AGENT_CARD_NOT_CONFIGURED");
}

// ---------------------------------------------------------------------------------------
// The envelope and bad input
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn c08_malformed_json_is_parse_error_with_null_id() {
    let srv = server().start().await;
    let bodies: [&[u8]; 7] = [
        br#"{"jsonrpc": "2.0", "id": 1, "method": "GetTask""#,
        b"not json",
        br#"{"jsonrpc": "2.0", "id": 2,}"#,
        b"",
        b"{'jsonrpc': '2.0'}",
        b"\xff\xfe{}",
        br#"{"jsonrpc": "2.0", "id": 3, "method": "GetTask", "params": {"id": "x"}} trailing"#,
    ];
    for body in bodies {
        let (status, resp) = post_raw(&srv, body.to_vec()).await;
        assert_eq!(status, 200, "{resp}");
        assert_envelope(&resp, &Value::Null);
        assert_error(&resp, -32700);
    }
    assert_eq!(list_tasks(&srv, json!({})).await["totalSize"], 0);
}

#[tokio::test]
async fn c09_a_body_that_is_not_a_request_is_invalid_request() {
    let srv = server().start().await;
    let cases = [
        (json!([]), Value::Null),
        (
            json!([{"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "x"}}]),
            Value::Null,
        ),
        (json!("text"), Value::Null),
        (json!(42), Value::Null),
        (Value::Null, Value::Null),
        (
            json!({"jsonrpc": "1.0", "id": 5, "method": "GetTask", "params": {"id": "x"}}),
            json!(5),
        ),
        (
            json!({"id": 6, "method": "GetTask", "params": {"id": "x"}}),
            json!(6),
        ),
        (json!({"jsonrpc": "2.0", "id": 7, "params": {}}), json!(7)),
        (
            json!({"jsonrpc": "2.0", "id": "s", "method": 42}),
            json!("s"),
        ),
        (
            json!({"jsonrpc": "2.0", "method": "GetTask", "params": {"id": "x"}}),
            Value::Null,
        ),
        (
            json!({"jsonrpc": "2.0", "id": {"a": 1}, "method": "GetTask"}),
            Value::Null,
        ),
        (
            json!({"jsonrpc": "2.0", "id": [1], "method": "GetTask"}),
            Value::Null,
        ),
    ];
    for (body, id) in cases {
        let (status, resp) = post_raw(&srv, body.to_string()).await;
        assert_eq!(status, 200, "{body}: {resp}");
        assert_envelope(&resp, &id);
        assert_error(&resp, -32600);
    }
}

#[tokio::test]
async fn c10_an_unknown_method_is_method_not_found() {
    let srv = server().start().await;
    for method in [
        "NoSuchMethod",
        "getTask",
        "sendMessage",
        "tasks/list",
        "",
        "rpc.discover",
    ] {
        let resp = call(&srv, method, json!({})).await;
        assert_error(&resp, -32601);
        assert!(
            resp["error"]["message"].as_str().unwrap().contains(method),
            "{resp}"
        );
    }
}

#[tokio::test]
async fn c11_invalid_send_params_name_the_field() {
    let srv = server().start().await;
    let msg = |m: Value| json!({"message": m});
    let cases = [
        (
            msg(json!({"messageId": "m", "role": "ROLE_USER", "parts": []})),
            "message.parts",
        ),
        (
            msg(json!({"messageId": "m", "role": "ROLE_USER"})),
            "message.parts",
        ),
        (
            msg(json!({"role": "ROLE_USER", "parts": [{"text": "x"}]})),
            "message.messageId",
        ),
        (
            msg(json!({"messageId": "m", "role": "ROLE_UNSPECIFIED", "parts": [{"text": "x"}]})),
            "message.role",
        ),
        (
            msg(json!({"messageId": "m", "parts": [{"text": "x"}]})),
            "message.role",
        ),
        (json!({}), "message.messageId"),
    ];
    for (params, field) in cases {
        for method in ["SendMessage", "SendStreamingMessage"] {
            let resp = call(&srv, method, params.clone()).await;
            assert_invalid_params(&resp, field);
        }
    }
    // Decode errors name the field too.
    for (params, prefix) in [
        (
            msg(json!({"messageId": "m", "role": "ROLE_USER", "parts": [{}]})),
            "message.parts[0]",
        ),
        (
            msg(json!({"messageId": "m", "role": "ROLE_BOGUS", "parts": [{"text": "x"}]})),
            "message.role",
        ),
        (
            msg(
                json!({"messageId": "m", "role": "ROLE_USER", "parts": [{"text": "x", "raw": "eA=="}]}),
            ),
            "message.parts[0]",
        ),
    ] {
        let resp = call(&srv, "SendMessage", params).await;
        assert_error(&resp, -32602);
        let fields = violated_fields(&resp);
        assert!(
            fields.iter().any(|f| f.starts_with(prefix)),
            "{prefix}: {resp}"
        );
    }
    assert_eq!(list_tasks(&srv, json!({})).await["totalSize"], 0);
}

#[tokio::test]
async fn jsonrpc_invalid_params_name_the_field() {
    let srv = server().start().await;
    for (method, params, field) in [
        ("GetTask", json!({}), "id"),
        (
            "GetTask",
            json!({"id": "x", "historyLength": -1}),
            "historyLength",
        ),
        ("GetTask", json!([1]), "params"),
        ("GetTask", json!("x"), "params"),
        ("CancelTask", json!({}), "id"),
        ("SubscribeToTask", json!({}), "id"),
        (
            "CreateTaskPushNotificationConfig",
            json!({"url": "https://e.com"}),
            "taskId",
        ),
        (
            "CreateTaskPushNotificationConfig",
            json!({"taskId": "t"}),
            "url",
        ),
        (
            "GetTaskPushNotificationConfig",
            json!({"taskId": "t"}),
            "id",
        ),
        (
            "GetTaskPushNotificationConfig",
            json!({"id": "c"}),
            "taskId",
        ),
        (
            "DeleteTaskPushNotificationConfig",
            json!({"taskId": "t"}),
            "id",
        ),
        ("ListTaskPushNotificationConfigs", json!({}), "taskId"),
    ] {
        let resp = call(&srv, method, params).await;
        assert_invalid_params(&resp, field);
    }
}

#[tokio::test]
async fn c12_every_response_carries_the_envelope_and_the_request_id() {
    let srv = server().start().await;
    let task_id = id_of(&send_task(&srv, "hello").await);
    let ids = [
        json!("abc"),
        json!(""),
        json!("😀 with spaces"),
        json!(0),
        json!(-1),
        json!(9_007_199_254_740_993_u64),
        json!(1.5),
        Value::Null,
    ];
    for id in ids {
        for (method, params) in [
            ("GetTask", json!({"id": task_id})),
            ("GetTask", json!({"id": "no-such-task"})),
            ("ListTasks", json!({"pageSize": 0})),
            ("NoSuchMethod", json!({})),
        ] {
            let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
            let (status, resp) = json_of(post(&srv, &body, &[V1]).send().await.unwrap()).await;
            assert_eq!(status, 200);
            assert_envelope(&resp, &id);
        }
    }
    // The exact text of a big numeric id is echoed.
    let resp = srv
        .http
        .post(srv.url("/"))
        .header("content-type", "application/json")
        .body(
            r#"{"jsonrpc":"2.0","id":12345678901234567890,"method":"GetTask","params":{"id":"x"}}"#,
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(resp.contains(r#""id":12345678901234567890"#), "{resp}");
}

#[tokio::test]
async fn c12_a_version_error_carries_the_request_id() {
    let srv = server().start().await;
    let resp = call_with(
        &srv,
        "GetTask",
        json!({"id": "x"}),
        &[("a2a-version", "99.0")],
    )
    .await;
    assert_a2a_error(&resp, -32009, "VERSION_NOT_SUPPORTED");
}

#[tokio::test]
async fn c13_error_objects_have_an_integer_code_a_message_and_typed_data() {
    let srv = server().push_notifications(false).start().await;
    let done = id_of(&send_task(&srv, "hello").await);
    let mut errors = Vec::new();
    for body in [&b"{"[..], b"[]"] {
        errors.push(post_raw(&srv, body.to_vec()).await.1);
    }
    for (method, params) in [
        ("NoSuchMethod", json!({})),
        ("SendMessage", json!({"message": {"parts": []}})),
        ("GetTask", json!({"id": "no-such-task"})),
        ("CancelTask", json!({"id": done})),
        ("SubscribeToTask", json!({"id": done})),
        ("ListTaskPushNotificationConfigs", json!({"taskId": done})),
        ("GetExtendedAgentCard", json!({})),
    ] {
        errors.push(call(&srv, method, params).await);
    }
    let codes: Vec<i64> = errors
        .iter()
        .map(|e| e["error"]["code"].as_i64().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            -32700, -32600, -32601, -32602, -32001, -32002, -32004, -32003, -32004
        ]
    );
    for e in &errors {
        assert!(e.get("result").is_none());
        let code = e["error"]["code"].as_i64().unwrap();
        assert_error(e, code);
        let kind = a2agw_types::ErrorCode::from_code(i32::try_from(code).unwrap()).unwrap();
        if kind.is_a2a() {
            assert_a2a_error(e, code, kind.reason());
        }
        if code == -32602 {
            assert!(!violated_fields(e).is_empty(), "{e}");
        }
    }
}

#[tokio::test]
async fn jsonrpc_wrong_content_type_is_415_and_creates_nothing() {
    let srv = server().start().await;
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "SendMessage",
        "params": {"message": message("hello")}});
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
        "multipart/form-data",
    ] {
        let resp = srv
            .http
            .post(srv.url("/"))
            .header("content-type", ct)
            .header("a2a-version", "1.0")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let (status, resp) = json_of(resp).await;
        assert_eq!(status, 415, "{ct}: {resp}");
        assert_envelope(&resp, &Value::Null);
        // JSONRPC-SSE-002: the A2A error for a media type the agent does not take.
        assert_error(&resp, -32005);
    }
    assert_eq!(list_tasks(&srv, json!({})).await["totalSize"], 0);
    // JSON with parameters, and no Content-Type at all (decision 15), are served.
    for ct in [Some("application/json; charset=utf-8"), None] {
        let mut req = srv
            .http
            .post(srv.url("/"))
            .header("a2a-version", "1.0")
            .body(body.to_string());
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        let (status, resp) = json_of(req.send().await.unwrap()).await;
        assert_eq!(status, 200, "{ct:?}: {resp}");
        assert_eq!(state_of(&ok(&resp)["task"]), "TASK_STATE_COMPLETED");
    }
}

#[tokio::test]
async fn jsonrpc_body_over_the_limit_is_413_and_creates_nothing() {
    let limits = Limits::new(2048, 8, Duration::from_secs(15), Duration::from_secs(30));
    let srv = server().limits(limits).start().await;
    let big = "x".repeat(4096);
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "SendMessage",
        "params": {"message": message(&big)}});
    let (status, resp) = json_of(post(&srv, &body, &[V1]).send().await.unwrap()).await;
    assert_eq!(status, 413, "{resp}");
    assert!(resp["error"]["message"].is_string(), "{resp}");
    assert_eq!(list_tasks(&srv, json!({})).await["totalSize"], 0);
    assert_eq!(
        state_of(&send_task(&srv, "small").await),
        "TASK_STATE_COMPLETED"
    );
}

#[tokio::test]
async fn jsonrpc_bad_input_changes_no_stored_data() {
    let limits = Limits::new(4096, 8, Duration::from_secs(15), Duration::from_secs(30));
    let srv = server().limits(limits).start().await;
    let done = id_of(&send_task(&srv, "hello").await);
    let waiting = id_of(&send_task(&srv, "need input").await);
    let store = srv.state.handler.engine().store().clone();
    let snapshot = || async {
        let mut out = Vec::new();
        for id in [&done, &waiting] {
            out.push(json!({
                "task": get_task(&srv, id).await,
                "log": store.events_after(id, 0, 1000).await.unwrap().len(),
            }));
        }
        out.push(list_tasks(&srv, json!({"includeArtifacts": true})).await);
        out
    };
    let before = snapshot().await;
    let continue_waiting = |extra: Value| {
        let mut m = message("my name is Ada");
        m["taskId"] = waiting.clone().into();
        if let (Value::Object(m), Value::Object(extra)) = (&mut m, extra) {
            m.extend(extra);
        }
        json!({"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": m}})
    };
    // Malformed, not a request, unknown method, bad params, wrong content type, too big,
    // unknown task, finished task: all refused, none changes anything.
    let valid = continue_waiting(json!({}));
    let valid_text = valid.to_string();
    let raw_bodies = vec![
        valid_text[..valid_text.len() - 1].to_owned(),
        json!([valid]).to_string(),
        {
            let mut v = valid.clone();
            v["jsonrpc"] = "1.0".into();
            v.to_string()
        },
        {
            let mut v = valid.clone();
            v["method"] = "SendMesage".into();
            v.to_string()
        },
        continue_waiting(json!({"parts": []})).to_string(),
        continue_waiting(json!({"role": "ROLE_UNSPECIFIED"})).to_string(),
        continue_waiting(json!({"contextId": "another-context"})).to_string(),
        continue_waiting(json!({"parts": [{"text": "x".repeat(8192)}]})).to_string(),
        json!({"jsonrpc": "2.0", "id": 2, "method": "CancelTask", "params": {"id": done}})
            .to_string(),
        {
            let mut m = message("more");
            m["taskId"] = done.clone().into();
            json!({"jsonrpc": "2.0", "id": 3, "method": "SendMessage", "params": {"message": m}})
                .to_string()
        },
        json!({"jsonrpc": "2.0", "id": 4, "method": "CancelTask", "params": {"id": "nope"}})
            .to_string(),
    ];
    for body in raw_bodies {
        let resp = srv
            .http
            .post(srv.url("/"))
            .header("content-type", "application/json")
            .header("a2a-version", "1.0")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        assert!(
            status == 413 || text.contains(r#""error""#),
            "accepted: {body}: {status} {text}"
        );
    }
    let resp = srv
        .http
        .post(srv.url("/"))
        .header("content-type", "text/plain")
        .body(valid_text.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 415);
    assert_eq!(snapshot().await, before);
    // The valid request still works afterwards.
    let (_, resp) = json_of(post(&srv, &valid, &[V1]).send().await.unwrap()).await;
    assert_eq!(
        state_of(&ok(&resp)["task"]),
        "TASK_STATE_COMPLETED",
        "{resp}"
    );
}

// ---------------------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn c66_c67_c68_version_header_and_query_parameter() {
    let srv = server().start().await;
    let send = json!({"message": message("versioned")});
    // 1.0, 1.0.1 (patch ignored), empty and absent (a PascalCase method means 1.0).
    for headers in [
        vec![("a2a-version", "1.0")],
        vec![("a2a-version", "1.0.1")],
        vec![("a2a-version", "")],
        vec![],
    ] {
        let resp = call_with(&srv, "SendMessage", send.clone(), &headers).await;
        assert_eq!(
            state_of(&ok(&resp)["task"]),
            "TASK_STATE_COMPLETED",
            "{headers:?}: {resp}"
        );
    }
    for v in ["99.0", "2", "abc", "1"] {
        let body = json!({"jsonrpc": "2.0", "id": 5, "method": "SendMessage", "params": send});
        let (status, resp) = json_of(
            post(&srv, &body, &[("a2a-version", v)])
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200);
        assert_a2a_error(&resp, -32009, "VERSION_NOT_SUPPORTED");
        assert_eq!(
            error_info(&resp).unwrap()["metadata"]["requestedVersion"],
            v
        );
    }
    // The query parameter works like the header.
    let body = json!({"jsonrpc": "2.0", "id": 6, "method": "ListTasks", "params": {}});
    let (_, resp) = json_of(
        srv.post_json("/?A2A-Version=99.0", &body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_a2a_error(&resp, -32009, "VERSION_NOT_SUPPORTED");
    let (_, resp) = json_of(
        srv.post_json("/?A2A-Version=1.0", &body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(ok(&resp)["totalSize"], 4, "{resp}");
    // The version named must match the method's (decision 16).
    let resp = call_with(
        &srv,
        "GetTask",
        json!({"id": "x"}),
        &[("a2a-version", "0.3")],
    )
    .await;
    assert_error(&resp, -32601);
    let resp = call_with(
        &srv,
        "tasks/get",
        json!({"id": "x"}),
        &[("a2a-version", "1.0")],
    )
    .await;
    assert_error(&resp, -32601);
    // Nothing was created by the refused calls.
    assert_eq!(list_tasks(&srv, json!({})).await["totalSize"], 4);
}

#[tokio::test]
async fn c66_a_0_3_method_under_version_1_0_is_method_not_found_before_params() {
    let srv = server().start().await;
    // 1.0-shaped params, which do not decode as 0.3 `MessageSendParams`.
    let resp = call_with(
        &srv,
        "message/send",
        json!({"message": message("hi")}),
        &[V1],
    )
    .await;
    assert_error(&resp, -32601);
}

// ---------------------------------------------------------------------------------------
// Owner scoping and authentication
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn c74_no_credentials_is_401_and_creates_nothing() {
    let srv = server().api_key("k-alice", "alice").start().await;
    for (method, headers) in [
        ("SendMessage", vec![V1]),
        ("SendStreamingMessage", vec![V1]),
        ("SendMessage", vec![V1, ("x-api-key", "wrong")]),
        ("SendMessage", vec![V1, ("authorization", "Bearer wrong")]),
    ] {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method,
            "params": {"message": message("hi")}});
        let resp = post(&srv, &body, &headers).send().await.unwrap();
        assert_eq!(resp.status(), 401, "{method} {headers:?}");
        assert!(resp.headers().contains_key("www-authenticate"));
        assert_eq!(content_type(&resp), "application/json");
        let (_, body) = json_of(resp).await;
        assert!(
            body.get("result").is_none() && body.get("error").is_some(),
            "{body}"
        );
    }
    let alice = [V1, ("x-api-key", "k-alice")];
    let list = call_with(&srv, "ListTasks", json!({}), &alice).await;
    assert_eq!(ok(&list)["totalSize"], 0);
    let resp = call_with(
        &srv,
        "SendMessage",
        json!({"message": message("hi")}),
        &[V1, ("authorization", "Bearer k-alice")],
    )
    .await;
    assert_eq!(state_of(&ok(&resp)["task"]), "TASK_STATE_COMPLETED");
}

#[tokio::test]
async fn c75_another_callers_task_is_not_found() {
    let srv = server()
        .api_key("k-alice", "alice")
        .api_key("k-bob", "bob")
        .start()
        .await;
    let alice = [V1, ("x-api-key", "k-alice")];
    let bob = [V1, ("x-api-key", "k-bob")];
    let params =
        json!({"message": message("slow 100"), "configuration": {"returnImmediately": true}});
    let created = call_with(&srv, "SendMessage", params, &alice).await;
    let id = id_of(&ok(&created)["task"]);
    let cfg = call_with(
        &srv,
        "CreateTaskPushNotificationConfig",
        json!({"taskId": id, "url": "https://example.com/hook"}),
        &alice,
    )
    .await;
    let cfg_id = ok(&cfg)["id"].as_str().unwrap().to_owned();
    let mut follow_up = message("hijack");
    follow_up["taskId"] = id.clone().into();
    for (method, params) in [
        ("GetTask", json!({"id": id})),
        ("CancelTask", json!({"id": id})),
        ("SubscribeToTask", json!({"id": id})),
        ("SendMessage", json!({"message": follow_up})),
        (
            "CreateTaskPushNotificationConfig",
            json!({"taskId": id, "url": "https://example.com/bob"}),
        ),
        (
            "GetTaskPushNotificationConfig",
            json!({"taskId": id, "id": cfg_id}),
        ),
        ("ListTaskPushNotificationConfigs", json!({"taskId": id})),
        (
            "DeleteTaskPushNotificationConfig",
            json!({"taskId": id, "id": cfg_id}),
        ),
    ] {
        let resp = call_with(&srv, method, params, &bob).await;
        assert_a2a_error(&resp, -32001, "TASK_NOT_FOUND");
    }
    let list = call_with(&srv, "ListTasks", json!({}), &bob).await;
    assert_eq!(ok(&list)["totalSize"], 0);
    assert_eq!(ok(&list)["tasks"], json!([]));
    // Alice's task and config are untouched.
    let task = call_with(&srv, "GetTask", json!({"id": id}), &alice).await;
    assert!(!is_terminal(state_of(ok(&task))), "{task}");
    let got = call_with(
        &srv,
        "GetTaskPushNotificationConfig",
        json!({"taskId": id, "id": cfg_id}),
        &alice,
    )
    .await;
    assert_eq!(ok(&got)["id"], cfg_id.as_str());
    let list = call_with(&srv, "ListTasks", json!({}), &alice).await;
    assert_eq!(ok(&list)["totalSize"], 1);
}

// ---------------------------------------------------------------------------------------
// 0.3 method names (no A2A-Version header)
// ---------------------------------------------------------------------------------------

/// A 0.3 call: no `A2A-Version` header unless given.
async fn call_v03(srv: &TestServer, method: &str, params: Value) -> Value {
    call_with(srv, method, params, &[]).await
}

fn v03_message(text: &str) -> Value {
    json!({"kind": "message", "messageId": message_id(), "role": "user",
        "parts": [{"kind": "text", "text": text}]})
}

/// Asserts that no string in `v` is a 1.0 enum name.
#[track_caller]
fn assert_no_v1_enums(v: &Value) {
    match v {
        Value::String(s) => assert!(
            !s.starts_with("TASK_STATE_") && !s.starts_with("ROLE_"),
            "a 1.0 enum in a 0.3 answer: {s}"
        ),
        Value::Array(a) => a.iter().for_each(assert_no_v1_enums),
        Value::Object(o) => o.values().for_each(assert_no_v1_enums),
        _ => {}
    }
}

#[tokio::test]
async fn c69_c76_v03_message_send_answers_in_the_0_3_form() {
    let srv = server().start().await;
    for headers in [vec![], vec![("a2a-version", "0.3")]] {
        let resp = call_with(
            &srv,
            "message/send",
            json!({"message": v03_message("hello old")}),
            &headers,
        )
        .await;
        let task = ok(&resp);
        assert_no_v1_enums(task);
        assert_eq!(task["kind"], "task", "{task}");
        assert_eq!(task["status"]["state"], "completed");
        assert_eq!(task["history"][0]["role"], "user");
        assert_eq!(task["history"][0]["kind"], "message");
        assert_eq!(task["history"][1]["role"], "agent");
        assert_eq!(task["artifacts"][0]["parts"][0]["kind"], "text");
    }
    let resp = call_v03(
        &srv,
        "message/send",
        json!({"message": v03_message("reply please")}),
    )
    .await;
    let reply = ok(&resp);
    assert_eq!(reply["kind"], "message", "{reply}");
    assert_eq!(reply["role"], "agent");
    let resp = call_v03(
        &srv,
        "message/send",
        json!({"message": v03_message("need input")}),
    )
    .await;
    assert_eq!(ok(&resp)["status"]["state"], "input-required");
    // blocking: false is returnImmediately.
    let resp = call_v03(
        &srv,
        "message/send",
        json!({"message": v03_message("slow 50"), "configuration": {"blocking": false}}),
    )
    .await;
    assert!(
        matches!(
            ok(&resp)["status"]["state"].as_str(),
            Some("submitted" | "working")
        ),
        "{resp}"
    );
}

/// Every event of a 0.3 stream call.
async fn stream_v03(srv: &TestServer, method: &str, params: Value) -> Vec<Value> {
    let body = json!({"jsonrpc": "2.0", "id": "old", "method": method, "params": params});
    let resp = post(srv, &body, &[]).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(content_type(&resp).starts_with("text/event-stream"));
    SseReader::new(resp)
        .collect()
        .await
        .iter()
        .map(|e| {
            let body = e.json();
            assert_envelope(&body, &json!("old"));
            ok(&body).clone()
        })
        .collect()
}

#[track_caller]
fn assert_v03_stream(events: &[Value], last_state: &str) {
    assert_eq!(events[0]["kind"], "task", "{}", events[0]);
    for e in events {
        assert_no_v1_enums(e);
        assert!(
            ["task", "status-update", "artifact-update"].contains(&e["kind"].as_str().unwrap()),
            "{e}"
        );
    }
    let (last, before) = events.split_last().unwrap();
    assert_eq!(last["kind"], "status-update", "{last}");
    assert_eq!(last["final"], true, "{last}");
    assert_eq!(last["status"]["state"], last_state);
    assert!(
        before.iter().all(|e| e["final"] != true),
        "only the last event is final"
    );
}

#[tokio::test]
async fn c77_v03_message_stream_marks_the_last_event_final() {
    let srv = server().start().await;
    let events = stream_v03(
        &srv,
        "message/stream",
        json!({"message": v03_message("chunks 2")}),
    )
    .await;
    assert_v03_stream(&events, "completed");
    assert_eq!(
        events
            .iter()
            .filter(|e| e["kind"] == "artifact-update")
            .count(),
        2
    );
}

#[tokio::test]
async fn c77_v03_message_stream_closes_after_a_final_input_required() {
    let srv = server().start().await;
    let events = stream_v03(
        &srv,
        "message/stream",
        json!({"message": v03_message("need input")}),
    )
    .await;
    assert_v03_stream(&events, "input-required");
}

#[tokio::test]
async fn c78_v03_methods_use_the_0_3_shapes() {
    let builder = server().api_key("k", "alice").anonymous(true);
    let mut extended = builder.card();
    extended.name = "Extended".into();
    let srv = builder.extended_card(extended).start().await;
    // tasks/get with historyLength.
    let done = ok(&call_v03(
        &srv,
        "message/send",
        json!({"message": v03_message("hello")}),
    )
    .await)
    .clone();
    let id = done["id"].as_str().unwrap().to_owned();
    let got = call_v03(&srv, "tasks/get", json!({"id": id, "historyLength": 1})).await;
    let got = ok(&got);
    assert_eq!(got["kind"], "task");
    assert_eq!(got["id"], id.as_str());
    assert_eq!(got["history"].as_array().unwrap().len(), 1, "{got}");
    // tasks/resubscribe and tasks/cancel on a running task.
    let running = ok(&call_v03(
        &srv,
        "message/send",
        json!({"message": v03_message("slow 10"), "configuration": {"blocking": false}}),
    )
    .await)
    .clone();
    let running_id = running["id"].as_str().unwrap().to_owned();
    let events = stream_v03(&srv, "tasks/resubscribe", json!({"id": running_id})).await;
    assert_v03_stream(&events, "completed");
    let slow = ok(&call_v03(
        &srv,
        "message/send",
        json!({"message": v03_message("slow 200"), "configuration": {"blocking": false}}),
    )
    .await)
    .clone();
    let slow_id = slow["id"].as_str().unwrap().to_owned();
    let canceled = call_v03(&srv, "tasks/cancel", json!({"id": slow_id})).await;
    assert_eq!(ok(&canceled)["status"]["state"], "canceled");
    // Push configs: set, get (with and without config id), list (bare array), delete (null).
    let set = call_v03(
        &srv,
        "tasks/pushNotificationConfig/set",
        json!({"taskId": id, "pushNotificationConfig": {"url": "https://example.com/hook",
            "token": "t", "authentication": {"schemes": ["Bearer"], "credentials": "c"}}}),
    )
    .await;
    let cfg = ok(&set).clone();
    assert_eq!(cfg["taskId"], id.as_str(), "{cfg}");
    let cfg_id = cfg["pushNotificationConfig"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!cfg_id.is_empty());
    assert_eq!(
        cfg["pushNotificationConfig"]["authentication"]["schemes"],
        json!(["Bearer"])
    );
    let get = call_v03(
        &srv,
        "tasks/pushNotificationConfig/get",
        json!({"id": id, "pushNotificationConfigId": cfg_id}),
    )
    .await;
    assert_eq!(ok(&get), &cfg);
    let get = call_v03(&srv, "tasks/pushNotificationConfig/get", json!({"id": id})).await;
    assert_eq!(ok(&get), &cfg);
    let list = call_v03(&srv, "tasks/pushNotificationConfig/list", json!({"id": id})).await;
    assert_eq!(ok(&list), &json!([cfg]));
    for _ in 0..2 {
        let del = call_v03(
            &srv,
            "tasks/pushNotificationConfig/delete",
            json!({"id": id, "pushNotificationConfigId": cfg_id}),
        )
        .await;
        assert_eq!(ok(&del), &Value::Null, "{del}");
    }
    let list = call_v03(&srv, "tasks/pushNotificationConfig/list", json!({"id": id})).await;
    assert_eq!(ok(&list), &json!([]));
    // agent/getAuthenticatedExtendedCard: the 0.3 card.
    let card = call_with(
        &srv,
        "agent/getAuthenticatedExtendedCard",
        json!({}),
        &[("x-api-key", "k")],
    )
    .await;
    let card = ok(&card);
    assert_eq!(card["name"], "Extended");
    assert_eq!(card["protocolVersion"], "0.3.0", "{card}");
    assert_eq!(card["url"], format!("{}/", srv.base), "{card}");
    assert_eq!(card["preferredTransport"], "JSONRPC", "{card}");
}

#[tokio::test]
async fn c79_v03_error_codes() {
    let srv = server().start().await;
    let done = ok(&call_v03(
        &srv,
        "message/send",
        json!({"message": v03_message("hello")}),
    )
    .await)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let check = |resp: &Value, code: i64| {
        assert_eq!(resp["error"]["code"], code, "{resp}");
        assert!(resp["error"]["message"].is_string());
        // 0.3 error data is free-form, not the 1.0 array of `Any`.
        assert!(
            resp["error"].get("data").is_none_or(Value::is_object),
            "{resp}"
        );
    };
    check(
        &call_v03(&srv, "tasks/get", json!({"id": "no-such-task"})).await,
        -32001,
    );
    check(
        &call_v03(&srv, "tasks/cancel", json!({"id": done})).await,
        -32002,
    );
    check(
        &call_v03(&srv, "tasks/resubscribe", json!({"id": done})).await,
        -32004,
    );
    let mut follow_up = v03_message("more");
    follow_up["taskId"] = done.clone().into();
    check(
        &call_v03(&srv, "message/send", json!({"message": follow_up})).await,
        -32004,
    );
    check(
        &call_v03(&srv, "agent/getAuthenticatedExtendedCard", json!({})).await,
        -32004,
    );
    check(
        &call_v03(
            &srv,
            "message/send",
            json!({"message": {"kind": "message"}}),
        )
        .await,
        -32602,
    );
    let srv = server()
        .push_notifications(false)
        .streaming(false)
        .api_key("k", "alice")
        .declare_extended_card(true)
        .start()
        .await;
    let key = [("x-api-key", "k")];
    let id = ok(&call_with(
        &srv,
        "message/send",
        json!({"message": v03_message("hello")}),
        &key,
    )
    .await)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    check(
        &call_with(
            &srv,
            "tasks/pushNotificationConfig/list",
            json!({"id": id}),
            &key,
        )
        .await,
        -32003,
    );
    check(
        &call_with(
            &srv,
            "message/stream",
            json!({"message": v03_message("hi")}),
            &key,
        )
        .await,
        -32004,
    );
    check(
        &call_with(&srv, "agent/getAuthenticatedExtendedCard", json!({}), &key).await,
        -32007,
    );
}
