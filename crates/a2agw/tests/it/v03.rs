//! A2A 0.3 clients against the gateway binary: the 0.3 card's fields (`url`,
//! `preferredTransport`, `protocolVersion`, `additionalInterfaces`), served to a request
//! that names 0.3 (ARCHITECTURE.md decision 34), lead to working 0.3 endpoints (checklist
//! item 80), read by a plain HTTP client here and by the official SDK's 0.3 compatibility
//! client in `tests/python/interop_v03.py`, which also sends hand-written 0.3 JSON-RPC
//! requests (`raw` mode).

use crate::support::{Gateway, python, run_script};
use serde_json::{Value, json};

/// c80: a 0.3 client that knows only the 0.3 card fields asks for the 0.3 card
/// (`A2A-Version: 0.3`, or the ≤0.2 path `/.well-known/agent.json` with no header), reads
/// `url` and `preferredTransport` and reaches a working 0.3 JSON-RPC endpoint there:
/// `message/send` without `A2A-Version` gives the bare 0.3 task.
#[tokio::test]
async fn c80_card_url_and_preferred_transport_reach_a_0_3_jsonrpc_endpoint() {
    let gateway = tokio::task::spawn_blocking(Gateway::start).await.unwrap();
    let http = reqwest::Client::new();
    let get = |path: &str, version: Option<&str>| {
        let mut r = http.get(format!("{}{path}", gateway.url()));
        if let Some(v) = version {
            r = r.header("A2A-Version", v);
        }
        async move {
            r.send()
                .await
                .unwrap()
                .error_for_status()
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let card = get("/.well-known/agent-card.json", Some("0.3")).await;
    assert_eq!(get("/.well-known/agent.json", None).await, card);
    // A request that names no version gets the strict 1.0 card.
    let v1 = get("/.well-known/agent-card.json", None).await;
    assert!(
        v1.get("supportedInterfaces").is_some() && v1.get("url").is_none(),
        "{v1}"
    );
    let version = card["protocolVersion"].as_str().unwrap_or_default();
    assert!(version.starts_with("0.3"), "protocolVersion: {card}");
    // 0.3: `preferredTransport` defaults to JSONRPC; it must be available at `url`.
    let transport = card["preferredTransport"].as_str().unwrap_or("JSONRPC");
    assert_eq!(transport, "JSONRPC", "preferredTransport: {card}");
    let url = card["url"].as_str().expect("the card's 0.3 `url`");
    assert_eq!(
        url.trim_end_matches('/'),
        gateway.url(),
        "the card's url should be the gateway's address: {card}"
    );

    let text = "hello from a 0.3 client";
    let reply: Value = http
        .post(url)
        .json(&json!({
            "jsonrpc": "2.0",
            "id": "c80",
            "method": "message/send",
            "params": {"message": {
                "kind": "message", "messageId": "m-c80", "role": "user",
                "parts": [{"kind": "text", "text": text}]
            }}
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["jsonrpc"], "2.0", "{reply}");
    assert_eq!(reply["id"], "c80", "{reply}");
    let task = &reply["result"];
    assert_eq!(task["kind"], "task", "{reply}");
    assert_eq!(task["status"]["state"], "completed", "{reply}");
    let echoed: String = task["artifacts"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|a| a["parts"].as_array().into_iter().flatten())
        .map(|p| {
            assert_eq!(p["kind"], "text", "{reply}");
            p["text"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(echoed, text, "{reply}");

    // Every additional interface names a transport and a URL.
    for iface in card["additionalInterfaces"]
        .as_array()
        .into_iter()
        .flatten()
    {
        assert!(
            iface["url"].as_str().is_some_and(|u| u.starts_with("http"))
                && iface["transport"].as_str().is_some(),
            "additionalInterfaces entry: {iface}"
        );
    }
}

/// Runs `interop_v03.py <url> <mode> <scenario>` against a fresh gateway.
fn v03(mode: &str, scenario: &str) {
    let Some(python) = python() else { return };
    let gateway = Gateway::start();
    run_script(
        python,
        &gateway,
        "interop_v03.py",
        &[mode, scenario],
        &[scenario],
    );
}

/// The official SDK's 0.3 client (`a2a.compat.v0_3`) over 0.3 JSON-RPC, found from the
/// card's 0.3 fields.
mod sdk_jsonrpc {
    use super::v03;

    /// The SDK's card parser turns `url`/`preferredTransport` into a 0.3 JSON-RPC interface
    /// and its client completes a task there.
    #[test]
    fn c80_sdk_reads_the_0_3_card_fields() {
        v03("sdk-JSONRPC", "card");
    }

    /// `message/send`: the completed task with the echo.
    #[test]
    fn c76_message_send() {
        v03("sdk-JSONRPC", "send");
    }

    /// `message/stream`: the task first, the completed status last, chunks reassemble.
    #[test]
    fn c77_message_stream() {
        v03("sdk-JSONRPC", "stream");
    }

    /// `tasks/get` with and without `historyLength`.
    #[test]
    fn c78_tasks_get() {
        v03("sdk-JSONRPC", "get");
    }

    /// `tasks/cancel` of a task sent with `blocking: false`.
    #[test]
    fn c78_tasks_cancel() {
        v03("sdk-JSONRPC", "cancel");
    }

    /// `tasks/resubscribe` after dropping a `message/stream`.
    #[test]
    fn c78_tasks_resubscribe() {
        v03("sdk-JSONRPC", "subscribe");
    }

    /// `tasks/pushNotificationConfig/{set,get,list,delete}`.
    #[test]
    fn c78_push_config() {
        v03("sdk-JSONRPC", "push");
    }

    /// -32001, -32002, -32004 arrive as the SDK's error types.
    #[test]
    fn c79_errors() {
        v03("sdk-JSONRPC", "errors");
    }
}

/// The official SDK's 0.3 REST client (`/v1/…` routes), from the card's
/// `additionalInterfaces`.
mod sdk_http_json {
    use super::v03;

    /// The card's 0.3 fields also yield the 0.3 HTTP+JSON interface.
    #[test]
    fn c80_sdk_reads_the_0_3_card_fields() {
        v03("sdk-HTTP+JSON", "card");
    }

    /// `POST /v1/message:send`.
    #[test]
    fn c76_message_send() {
        v03("sdk-HTTP+JSON", "send");
    }

    /// `POST /v1/message:stream`.
    #[test]
    fn c77_message_stream() {
        v03("sdk-HTTP+JSON", "stream");
    }

    /// `GET /v1/tasks/{id}`.
    #[test]
    fn c78_tasks_get() {
        v03("sdk-HTTP+JSON", "get");
    }

    /// `POST /v1/tasks/{id}:cancel` of a task sent non-blocking. The SDK sends
    /// `"configuration": {}` (the 0.3 proto's `blocking: false` is the ProtoJSON default
    /// and left out); the gateway takes the missing `blocking` as `true` and blocks.
    #[test]
    fn c78_tasks_cancel() {
        v03("sdk-HTTP+JSON", "cancel");
    }

    /// `GET|POST /v1/tasks/{id}:subscribe` after dropping a stream.
    #[test]
    fn c78_tasks_resubscribe() {
        v03("sdk-HTTP+JSON", "subscribe");
    }

    /// Push config set and get (the SDK's 0.3 REST client has no list or delete).
    #[test]
    fn c78_push_config() {
        v03("sdk-HTTP+JSON", "push");
    }

    /// The error statuses and ErrorInfo reasons (the SDK's 0.3 REST client maps only
    /// bodies of its own `{"type": …}` form to its error types).
    #[test]
    fn c79_errors() {
        v03("sdk-HTTP+JSON", "errors");
    }
}

/// Hand-written 0.3 JSON-RPC requests (no `A2A-Version` header) at the card's `url`,
/// checking the 0.3 wire shapes.
mod raw_jsonrpc {
    use super::v03;

    /// POST to the card's `url` answers 0.3 JSON-RPC.
    #[test]
    fn c80_card_url_answers_0_3_jsonrpc() {
        v03("raw", "card");
    }

    /// The bare task with `kind`, lower-case states, `user`/`agent` roles, `kind`ed parts.
    #[test]
    fn c76_message_send_shapes() {
        v03("raw", "send");
    }

    /// Every event has `kind`; the last is a `status-update` with `final: true`.
    #[test]
    fn c77_message_stream_shapes() {
        v03("raw", "stream");
    }

    /// `tasks/get` with `historyLength`.
    #[test]
    fn c78_tasks_get() {
        v03("raw", "get");
    }

    /// `tasks/cancel` of a task sent with `blocking: false`.
    #[test]
    fn c78_tasks_cancel() {
        v03("raw", "cancel");
    }

    /// Push config: list is a bare array, delete gives `result: null`.
    #[test]
    fn c78_push_config_shapes() {
        v03("raw", "push");
    }

    /// -32001 for an unknown task, -32002 for cancel of a completed one.
    #[test]
    fn c79_error_codes() {
        v03("raw", "errors");
    }
}
