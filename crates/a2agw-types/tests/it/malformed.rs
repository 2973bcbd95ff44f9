//! Malformed input of every kind gives a typed error naming the problem, never a panic.

use a2agw_types::arbitrary as arb;
use a2agw_types::*;
use proptest::prelude::*;
use serde_json::json;

/// Tries to decode `bytes` as every type of the model; returns nothing, must not panic.
fn decode_all(bytes: &[u8]) {
    let _ = from_json::<Task>(bytes);
    let _ = from_json::<Message>(bytes);
    let _ = from_json::<Part>(bytes);
    let _ = from_json::<AgentCard>(bytes);
    let _ = from_json::<StreamResponse>(bytes);
    let _ = from_json::<SendMessageResponse>(bytes);
    let _ = from_json::<SendMessageRequest>(bytes);
    let _ = from_json::<ListTasksRequest>(bytes);
    let _ = from_json::<ListTasksResponse>(bytes);
    let _ = from_json::<TaskPushNotificationConfig>(bytes);
    let _ = from_json::<SecurityScheme>(bytes);
    let _ = from_json::<Timestamp>(bytes);
    let _ = from_json::<JsonRpcResponse>(bytes);
    let _ = decode_request(bytes);
}

#[test]
fn truncated_json_is_eof() {
    let text = r#"{"id":"t","status":{"state":"TASK_STATE_WORKING"},"history":[{"messageId":"m","role":"ROLE_USER","parts":[{"text":"hi"}]}]}"#;
    assert!(from_json::<Task>(text.as_bytes()).is_ok());
    for cut in 1..text.len() {
        let e = from_json::<Task>(&text.as_bytes()[..cut]).unwrap_err();
        assert!(
            matches!(e.kind, DecodeErrorKind::Eof | DecodeErrorKind::Syntax),
            "cut at {cut}: {e}"
        );
    }
    assert_eq!(
        from_json::<Task>(b"").unwrap_err().kind,
        DecodeErrorKind::Eof
    );
}

#[test]
fn trailing_garbage_is_syntax() {
    let e = from_json::<Task>(br#"{"id":"t"} x"#).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::Syntax);
}

#[test]
fn wrong_types_name_the_field() {
    let cases: [(serde_json::Value, &str); 8] = [
        (json!({"id": 5}), "id"),
        (json!({"id": "t", "status": "working"}), "status"),
        (
            json!({"id": "t", "status": {"state": true}}),
            "status.state",
        ),
        (json!({"id": "t", "history": {}}), "history"),
        (
            json!({"id": "t", "history": [{"parts": "x"}]}),
            "history[0].parts",
        ),
        (
            json!({"id": "t", "artifacts": [{"artifactId": "a", "parts": [{"raw": 12}]}]}),
            "artifacts[0].parts[0].raw",
        ),
        (json!({"id": "t", "metadata": [1]}), "metadata"),
        (
            json!({"id": "t", "status": {"state": "TASK_STATE_WORKING", "timestamp": "2025-13-45T00:00:00Z"}}),
            "status.timestamp",
        ),
    ];
    for (v, path) in cases {
        let e = from_json::<Task>(v.to_string().as_bytes()).unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::Data, "{v}");
        assert_eq!(e.path, path, "{v}: {e}");
    }
}

#[test]
fn unknown_enum_names_are_refused_with_the_name() {
    let e = from_json::<TaskStatus>(br#"{"state":"TASK_STATE_DONE"}"#).unwrap_err();
    assert_eq!(e.path, "state");
    assert!(e.message.contains("TASK_STATE_DONE"), "{e}");
    assert!(
        e.message.contains("TASK_STATE_COMPLETED"),
        "lists the valid names: {e}"
    );
    // 0.3 spellings are not 1.0 names.
    assert!(from_json::<TaskStatus>(br#"{"state":"completed"}"#).is_err());
    assert!(from_json::<Message>(br#"{"role":"user"}"#).is_err());
    // Numbers outside the enum.
    assert!(from_json::<TaskStatus>(br#"{"state":99}"#).is_err());
    assert!(from_json::<TaskStatus>(br#"{"state":-1}"#).is_err());
    // Known numbers are accepted, as ProtoJSON readers do.
    assert_eq!(
        from_json::<TaskStatus>(br#"{"state":3}"#).unwrap().state,
        TaskState::Completed
    );
}

#[test]
fn oversized_numbers() {
    for v in [
        "2147483648",
        "-2147483649",
        "1e10",
        "1.5",
        "18446744073709551616",
        "\"99999999999\"",
    ] {
        let body = format!(r#"{{"id":"t","historyLength":{v}}}"#);
        let e = from_json::<GetTaskRequest>(body.as_bytes()).unwrap_err();
        assert_eq!(e.path, "historyLength", "{v}: {e}");
    }
    assert_eq!(
        from_json::<GetTaskRequest>(br#"{"id":"t","historyLength":2147483647}"#)
            .unwrap()
            .history_length,
        Some(i32::MAX)
    );
    assert_eq!(
        from_json::<GetTaskRequest>(br#"{"id":"t","historyLength":"7"}"#)
            .unwrap()
            .history_length,
        Some(7)
    );
}

#[test]
fn oneof_combinations() {
    // Part: none or several of text/raw/url/data.
    for bad in [
        json!({}),
        json!({"text": "a", "raw": "AA=="}),
        json!({"url": "u", "data": 1}),
        json!({"filename": "x"}),
    ] {
        let e = from_json::<Part>(bad.to_string().as_bytes()).unwrap_err();
        assert!(e.message.contains("Part"), "{bad}: {e}");
    }
    // A present `data: null` is a value (google.protobuf.Value null), not absence.
    assert_eq!(
        from_json::<Part>(br#"{"data":null}"#).unwrap().content,
        PartContent::Data(serde_json::Value::Null)
    );
    // StreamResponse and SendMessageResponse.
    for bad in [
        json!({}),
        json!({"task": {"id": "t"}, "message": {"messageId": "m"}}),
        json!({"kind": "task"}),
    ] {
        assert!(
            from_json::<StreamResponse>(bad.to_string().as_bytes()).is_err(),
            "{bad}"
        );
        assert!(
            from_json::<SendMessageResponse>(bad.to_string().as_bytes()).is_err(),
            "{bad}"
        );
    }
    let e = from_json::<StreamResponse>(br#"{"statusUpdate":{},"artifactUpdate":{}}"#).unwrap_err();
    assert!(e.message.contains("exactly one"), "{e}");
    // SecurityScheme and OAuthFlows.
    assert!(from_json::<SecurityScheme>(br#"{}"#).is_err());
    assert!(
        from_json::<SecurityScheme>(br#"{"apiKeySecurityScheme":{},"mtlsSecurityScheme":{}}"#)
            .is_err()
    );
    let e = from_json::<SecurityScheme>(
        br#"{"oauth2SecurityScheme":{"flows":{"implicit":{},"password":{}}}}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "oauth2SecurityScheme.flows");
    assert!(
        from_json::<SecurityScheme>(br#"{"oauth2SecurityScheme":{}}"#).is_err(),
        "flows is required"
    );
}

#[test]
fn invalid_base64_is_refused() {
    for raw in ["***", "A", "AAA=A"] {
        let body = format!(r#"{{"raw":"{raw}"}}"#);
        let e = from_json::<Part>(body.as_bytes()).unwrap_err();
        assert_eq!(e.path, "raw", "{raw}");
    }
    // URL-safe and unpadded are accepted, as ProtoJSON readers do.
    assert_eq!(
        from_json::<Part>(br#"{"raw":"-_8"}"#).unwrap().content,
        PartContent::Raw(vec![0xfb, 0xff])
    );
    assert_eq!(
        from_json::<Part>(br#"{"raw":"+/8="}"#).unwrap().content,
        PartContent::Raw(vec![0xfb, 0xff])
    );
}

#[test]
fn deep_nesting_does_not_overflow() {
    let deep = "[".repeat(100_000);
    decode_all(deep.as_bytes());
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{{"id":"t","metadata":{}}}}}"#,
        "[".repeat(5000)
    );
    assert_eq!(
        decode_request(body.as_bytes()).unwrap_err().error.code,
        ErrorCode::ParseError
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        decode_all(&bytes);
    }

    #[test]
    fn arbitrary_strings(s in "\\PC{0,128}") {
        decode_all(s.as_bytes());
    }

    /// JSON-shaped noise built from the model's own field names, to reach deep paths.
    #[test]
    fn json_noise(v in arb::json_value(), key in proptest::sample::select(&[
        "message", "parts", "task", "statusUpdate", "artifactUpdate", "status", "state", "raw", "data",
        "params", "method", "jsonrpc", "id", "history", "artifacts", "capabilities", "flows",
    ][..])) {
        let body = json!({ key: v.clone() }).to_string();
        decode_all(body.as_bytes());
        let rpc = json!({"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": { key: v }}}).to_string();
        decode_all(rpc.as_bytes());
    }

    /// Truncating a valid task anywhere gives an error, never a panic or a wrong value.
    #[test]
    fn truncated_tasks(t in arb::task(), frac in 0.0f64..1.0) {
        let text = serde_json::to_string(&t).unwrap();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let cut = ((text.len() as f64) * frac) as usize;
        if cut < text.len() {
            prop_assert!(from_json::<Task>(&text.as_bytes()[..cut]).is_err());
        }
    }
}
