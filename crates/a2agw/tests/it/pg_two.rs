//! Two gateway processes on one PostgreSQL database (issue 4): a task sent to one is
//! visible, cancelable and streamable — with resume after a dropped connection — through
//! the other; and when the process driving a task is killed, the other takes it over.

// Helpers outside #[test] functions may unwrap: a failure is a test failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::needless_pass_by_value
)]

use crate::support::Gateway;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn pg_url() -> String {
    std::env::var("A2AGW_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn two_gateways() -> (Gateway, Gateway) {
    let schema = format!(
        "a2agw_it_two_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let url = pg_url();
    let env = [
        ("A2AGW_STORE", "postgres"),
        ("A2AGW_DATABASE_URL", url.as_str()),
        ("A2AGW_DATABASE_SCHEMA", schema.as_str()),
    ];
    // Short leases, so that a takeover is quick.
    let config = "[server]\nlease_ttl_secs = 2\n";
    (
        Gateway::start_env(Some(config), &env),
        Gateway::start_env(Some(config), &env),
    )
}

fn rpc(gw: &Gateway, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let resp: Value = reqwest::blocking::Client::new()
        .post(format!("{}/", gw.url()))
        .header("A2A-Version", "1.0")
        .json(&body)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(resp.get("error").is_none(), "{method}: {resp}");
    resp["result"].clone()
}

fn send(gw: &Gateway, text: &str, immediately: bool) -> Value {
    let params = json!({
        "message": {"messageId": uuid::Uuid::new_v4().to_string(), "role": "ROLE_USER", "parts": [{"text": text}]},
        "configuration": {"returnImmediately": immediately}
    });
    rpc(gw, "SendMessage", params)["task"].clone()
}

fn state(gw: &Gateway, id: &str) -> String {
    rpc(gw, "GetTask", json!({"id": id}))["status"]["state"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Reads SSE events `(id, data)` until the stream ends or `max` events were read.
fn sse(
    gw: &Gateway,
    method: &str,
    params: Value,
    last_event_id: Option<u64>,
    max: usize,
) -> Vec<(u64, Value)> {
    use std::io::{BufRead, BufReader};
    let body = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params});
    let mut req = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
        .post(format!("{}/", gw.url()))
        .header("A2A-Version", "1.0")
        .json(&body);
    if let Some(id) = last_event_id {
        req = req.header("Last-Event-ID", id.to_string());
    }
    let resp = req.send().unwrap();
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    // An event's fields (`data:`, `id:`, in any order) end at a blank line.
    let mut out = Vec::new();
    let (mut id, mut data) = (0, None::<Value>);
    for line in BufReader::new(resp).lines() {
        let line = line.unwrap();
        if let Some(v) = line.strip_prefix("id: ") {
            id = v.parse().unwrap();
        } else if let Some(d) = line.strip_prefix("data: ") {
            data = Some(serde_json::from_str::<Value>(d).unwrap()["result"].clone());
        } else if line.is_empty()
            && let Some(d) = data.take()
        {
            out.push((id, d));
            if out.len() >= max {
                break;
            }
        }
    }
    out
}

#[test]
fn a_task_on_one_gateway_is_visible_cancelable_and_streamable_on_the_other() {
    let (a, b) = two_gateways();
    // Visible: sent to A, read through B.
    let done = send(&a, "hello from a", false);
    assert_eq!(done["status"]["state"], "TASK_STATE_COMPLETED");
    assert_eq!(
        state(&b, done["id"].as_str().unwrap()),
        "TASK_STATE_COMPLETED"
    );

    // Streamable with resume: A runs a slow task; B's subscriber drops after 3 events and
    // resumes with Last-Event-ID, receiving exactly the rest.
    let slow = send(&a, "slow 4", true);
    let id = slow["id"].as_str().unwrap();
    let first = sse(&b, "SubscribeToTask", json!({"id": id}), None, 3);
    assert_eq!(first.len(), 3);
    assert!(
        first[0].1.get("task").is_some(),
        "the first event is the task"
    );
    let last_seen = first.last().unwrap().0;
    let rest = sse(
        &b,
        "SubscribeToTask",
        json!({"id": id}),
        Some(last_seen),
        usize::MAX,
    );
    assert!(
        rest.iter().all(|(s, _)| *s > last_seen),
        "no event repeated"
    );
    let ids: Vec<u64> = rest.iter().map(|(s, _)| *s).collect();
    assert!(ids.windows(2).all(|w| w[1] > w[0]), "in order: {ids:?}");
    assert_eq!(
        rest.last().unwrap().1["statusUpdate"]["status"]["state"],
        "TASK_STATE_COMPLETED"
    );

    // Cancelable: A drives a long task, B cancels it, A's view agrees.
    let long = send(&a, "slow 300", true);
    let id = long["id"].as_str().unwrap();
    let canceled = rpc(&b, "CancelTask", json!({"id": id}));
    assert_eq!(canceled["status"]["state"], "TASK_STATE_CANCELED");
    assert_eq!(state(&a, id), "TASK_STATE_CANCELED");
}

#[test]
fn when_the_driving_gateway_dies_the_other_takes_the_task_over() {
    let (a, b) = two_gateways();
    let task = send(&a, "slow 300", true);
    let id = task["id"].as_str().unwrap().to_owned();
    std::thread::sleep(Duration::from_millis(500));
    drop(a); // SIGKILL: no heartbeat any more, the lease expires
    assert_eq!(state(&b, &id), "TASK_STATE_WORKING");
    // B's recovery loop takes the task over once the lease (2 s) expired and resumes it
    // (the demo agent can resume `slow` work), so it ends COMPLETED.
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut now = state(&b, &id);
    while now == "TASK_STATE_WORKING" && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        now = state(&b, &id);
    }
    assert_eq!(
        now, "TASK_STATE_COMPLETED",
        "the task was taken over and resumed"
    );
    let t = rpc(&b, "GetTask", json!({"id": id}));
    let msg = t["status"]["message"]["parts"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(msg.contains("resumed"), "{msg}");
}
