//! The request timeout: a response head that takes too long becomes 504 (JSON-RPC: an
//! error object), while streams are not cut.

use crate::support::{send_request, server};
use a2agw_server::Limits;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_request_over_the_timeout_gets_504_and_streams_are_not_cut() {
    // A zero timeout leaves the 5 s margin: a blocking send of a 100-step task exceeds it.
    let limits = Limits::new(1 << 20, 8, Duration::from_secs(15), Duration::ZERO);
    let srv = server()
        .limits(limits)
        .step(Duration::from_millis(200))
        .start()
        .await;
    let body = json!({"jsonrpc": "2.0", "id": 9, "method": "SendMessage", "params": send_request("slow 100")});
    let resp = srv
        .post_json("/", &body)
        .header("a2a-version", "1.0")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 504);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["code"], -32603, "{v}");
    let resp = srv
        .post_json("/message:send", &send_request("slow 100"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 504);
    // A stream of the same length is served past the limit (its head came at once).
    let body = json!({"jsonrpc": "2.0", "id": 10, "method": "SendStreamingMessage", "params": send_request("slow 30")});
    let resp = srv
        .post_json("/", &body)
        .header("a2a-version", "1.0")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("TASK_STATE_COMPLETED"),
        "the stream ran to its end"
    );
}
