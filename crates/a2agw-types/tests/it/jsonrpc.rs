//! JSON-RPC envelope decoding: the spec's error for every kind of bad request.

use a2agw_types::*;
use serde_json::{Value, json};

fn reject(body: &str) -> RejectedRequest {
    *decode_request(body.as_bytes()).expect_err(body)
}

fn decode(body: &Value) -> DecodedRequest {
    let text = body.to_string();
    decode_request(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {}", e.error))
}

#[test]
fn parse_error_has_null_id() {
    for body in [
        "",
        "{",
        "{\"jsonrpc\":\"2.0\",",
        "not json",
        "{\"a\":1}}",
        "\u{0}",
    ] {
        let r = reject(body);
        assert_eq!(r.error.code, ErrorCode::ParseError, "{body:?}");
        assert_eq!(r.id, RequestId::Null);
    }
}

#[test]
fn invalid_request() {
    let cases = [
        (r#"[]"#, RequestId::Null),
        (
            r#"[{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"x"}}]"#,
            RequestId::Null,
        ),
        (r#"42"#, RequestId::Null),
        (r#""GetTask""#, RequestId::Null),
        (
            r#"{"id":1,"method":"GetTask","params":{"id":"x"}}"#,
            RequestId::from(1),
        ),
        (
            r#"{"jsonrpc":"1.0","id":1,"method":"GetTask"}"#,
            RequestId::from(1),
        ),
        (
            r#"{"jsonrpc":2.0,"id":"a","method":"GetTask"}"#,
            RequestId::from("a"),
        ),
        (r#"{"jsonrpc":"2.0","id":1}"#, RequestId::from(1)),
        (r#"{"jsonrpc":"2.0","id":1,"method":7}"#, RequestId::from(1)),
        (
            r#"{"jsonrpc":"2.0","id":{"x":1},"method":"GetTask"}"#,
            RequestId::Null,
        ),
        (
            r#"{"jsonrpc":"2.0","id":[1],"method":"GetTask"}"#,
            RequestId::Null,
        ),
        // A notification: A2A has none, so it is refused rather than silently dropped.
        (
            r#"{"jsonrpc":"2.0","method":"GetTask","params":{"id":"x"}}"#,
            RequestId::Null,
        ),
    ];
    for (body, id) in cases {
        let r = reject(body);
        assert_eq!(
            r.error.code,
            ErrorCode::InvalidRequest,
            "{body}: {}",
            r.error
        );
        assert_eq!(r.id, id, "{body}");
    }
}

#[test]
fn method_not_found_keeps_id() {
    for m in [
        "NoSuchMethod",
        "sendMessage",
        "message/Send",
        "tasks/list",
        "",
    ] {
        let r = reject(&json!({"jsonrpc":"2.0","id":"req-1","method":m,"params":{}}).to_string());
        assert_eq!(r.error.code, ErrorCode::MethodNotFound, "{m}");
        assert_eq!(r.id, RequestId::from("req-1"));
        assert!(r.error.message.contains(m));
    }
}

#[test]
fn invalid_params_name_the_field() {
    let cases = [
        (
            json!({"message": {"role": "ROLE_USER", "parts": [{"text": "hi"}]}}),
            "message.messageId",
        ),
        (
            json!({"message": {"messageId": "m", "parts": [{"text": "hi"}]}}),
            "message.role",
        ),
        (
            json!({"message": {"messageId": "m", "role": "ROLE_UNSPECIFIED", "parts": [{"text": "hi"}]}}),
            "message.role",
        ),
        (
            json!({"message": {"messageId": "m", "role": "ROLE_USER", "parts": []}}),
            "message.parts",
        ),
        (
            json!({"message": {"messageId": "m", "role": "ROLE_USER"}}),
            "message.parts",
        ),
        (json!({}), "message.messageId"),
        (
            json!({"message": {"messageId": "m", "role": "ROLE_BOSS", "parts": [{"text": "x"}]}}),
            "message.role",
        ),
        (
            json!({"message": {"messageId": 5, "role": "ROLE_USER", "parts": [{"text": "x"}]}}),
            "message.messageId",
        ),
        (
            json!({"message": {"messageId": "m", "role": "ROLE_USER", "parts": [{"text": "x", "url": "u"}]}}),
            "message.parts[0]",
        ),
        (
            json!({"message": {"messageId": "m", "role": "ROLE_USER", "parts": [{}]}}),
            "message.parts[0]",
        ),
        (
            json!({"message": {"messageId": "m", "role": "ROLE_USER", "parts": [{"raw": "***"}]}}),
            "message.parts[0].raw",
        ),
        (
            json!({"message": {"messageId": "m", "role": "ROLE_USER", "parts": [{"text": "x"}]}, "configuration": {"historyLength": -1}}),
            "configuration.historyLength",
        ),
        (
            json!({"message": {"messageId": "m", "role": "ROLE_USER", "parts": [{"text": "x"}]}, "configuration": {"historyLength": 1e12}}),
            "configuration.historyLength",
        ),
    ];
    for (params, field) in cases {
        let r = reject(
            &json!({"jsonrpc":"2.0","id":3,"method":"SendMessage","params":params}).to_string(),
        );
        assert_eq!(
            r.error.code,
            ErrorCode::InvalidParams,
            "{params}: {}",
            r.error
        );
        assert_eq!(r.id, RequestId::from(3));
        assert!(
            r.error.violations.iter().any(|v| v.field == field),
            "{params}: expected a violation of `{field}`, got {:?}",
            r.error.violations
        );
    }
}

#[test]
fn list_tasks_ranges() {
    for (params, field) in [
        (json!({"pageSize": 0}), "pageSize"),
        (json!({"pageSize": 101}), "pageSize"),
        (json!({"pageSize": -1}), "pageSize"),
        (json!({"historyLength": -1}), "historyLength"),
        (json!({"pageSize": 4294967296u64}), "pageSize"),
        (json!({"status": "TASK_STATE_DONE"}), "status"),
        (
            json!({"statusTimestampAfter": "yesterday"}),
            "statusTimestampAfter",
        ),
    ] {
        let r = reject(
            &json!({"jsonrpc":"2.0","id":1,"method":"ListTasks","params":params}).to_string(),
        );
        assert_eq!(r.error.code, ErrorCode::InvalidParams, "{params}");
        assert_eq!(r.error.violations[0].field, field, "{params}");
    }
    let ok = decode(
        &json!({"jsonrpc":"2.0","id":1,"method":"ListTasks","params":{"pageSize": "10", "status": 2, "includeArtifacts": true}}),
    );
    let A2aRequest::ListTasks(r) = ok.request else {
        panic!()
    };
    assert_eq!(
        (r.page_size, r.status, r.include_artifacts),
        (Some(10), TaskState::Working, Some(true))
    );
}

#[test]
fn params_must_be_an_object() {
    let r = reject(r#"{"jsonrpc":"2.0","id":1,"method":"GetTask","params":["x"]}"#);
    assert_eq!(r.error.code, ErrorCode::InvalidParams);
    assert_eq!(r.error.violations[0].field, "params");
    // Absent params are `{}`: the missing REQUIRED id is named.
    let r = reject(r#"{"jsonrpc":"2.0","id":1,"method":"GetTask"}"#);
    assert_eq!(r.error.violations[0].field, "id");
    // ...but GetExtendedAgentCard needs none.
    let d = decode(&json!({"jsonrpc":"2.0","id":1,"method":"GetExtendedAgentCard"}));
    assert_eq!(d.request.method(), Method::GetExtendedAgentCard);
}

#[test]
fn unknown_fields_and_snake_case_are_accepted() {
    let d = decode(&json!({
        "jsonrpc": "2.0", "id": "x", "method": "SendMessage", "extra": true,
        "params": {
            "message": {"message_id": "m1", "role": 1, "parts": [{"text": "hi", "media_type": "text/plain", "future": 1}], "context_id": "c"},
            "configuration": {"return_immediately": true, "history_length": 2},
            "somethingNew": {"a": 1}
        }
    }));
    let A2aRequest::SendMessage(r) = d.request else {
        panic!()
    };
    assert_eq!(r.message.message_id, "m1");
    assert_eq!(r.message.context_id, "c");
    assert_eq!(r.message.role, Role::User);
    assert_eq!(r.message.parts[0].media_type, "text/plain");
    let c = r.configuration.unwrap();
    assert!(c.return_immediately);
    assert_eq!(c.history_length, Some(2));
}

#[test]
fn ids_are_echoed_exactly() {
    for id in [
        json!("abc"),
        json!(7),
        json!(-3),
        json!(1.5),
        json!(null),
        json!(12345678901234567890u64),
    ] {
        let d = decode(&json!({"jsonrpc":"2.0","id":id,"method":"GetTask","params":{"id":"t"}}));
        let resp = JsonRpcResponse::success(d.id, json!({}));
        assert_eq!(serde_json::to_value(&resp).unwrap()["id"], id);
    }
}

#[test]
fn create_push_config_needs_task_id() {
    let r = reject(
        r#"{"jsonrpc":"2.0","id":1,"method":"CreateTaskPushNotificationConfig","params":{"url":"https://x"}}"#,
    );
    assert_eq!(r.error.violations[0].field, "taskId");
    let r = reject(
        r#"{"jsonrpc":"2.0","id":1,"method":"CreateTaskPushNotificationConfig","params":{"taskId":"t","url":"https://x","authentication":{}}}"#,
    );
    assert_eq!(r.error.violations[0].field, "authentication.scheme");
}

#[test]
fn method_names_both_versions() {
    for m in Method::ALL {
        assert_eq!(
            Method::from_name(m.name()),
            Some((*m, ProtocolVersion::V1_0))
        );
        if let Some(n) = m.name_v03() {
            assert_eq!(Method::from_name(n), Some((*m, ProtocolVersion::V0_3)));
        }
    }
    assert_eq!(Method::ListTasks.name_v03(), None);
    assert_eq!(Method::ALL.len(), 11);
}

#[test]
fn version_header() {
    assert_eq!(
        ProtocolVersion::from_header("1.0").unwrap(),
        Some(ProtocolVersion::V1_0)
    );
    assert_eq!(
        ProtocolVersion::from_header("1.0.1").unwrap(),
        Some(ProtocolVersion::V1_0)
    );
    assert_eq!(
        ProtocolVersion::from_header(" 0.3 ").unwrap(),
        Some(ProtocolVersion::V0_3)
    );
    assert_eq!(
        ProtocolVersion::from_header("0.3.0").unwrap(),
        Some(ProtocolVersion::V0_3)
    );
    assert_eq!(ProtocolVersion::from_header("").unwrap(), None);
    for bad in ["99.0", "1", "1.x", "2.0", "0.2", "one"] {
        let e = ProtocolVersion::from_header(bad).unwrap_err();
        assert_eq!(e.code, ErrorCode::VersionNotSupported, "{bad}");
        assert!(e.message.contains(bad));
    }
}

#[test]
fn error_codes_and_details() {
    let expected = [
        (-32700, "JSONParseError"),
        (-32600, "InvalidRequestError"),
        (-32601, "MethodNotFoundError"),
        (-32602, "InvalidParamsError"),
        (-32603, "InternalError"),
        (-32001, "TaskNotFoundError"),
        (-32002, "TaskNotCancelableError"),
        (-32003, "PushNotificationNotSupportedError"),
        (-32004, "UnsupportedOperationError"),
        (-32005, "ContentTypeNotSupportedError"),
        (-32006, "InvalidAgentResponseError"),
        (-32007, "ExtendedAgentCardNotConfiguredError"),
        (-32008, "ExtensionSupportRequiredError"),
        (-32009, "VersionNotSupportedError"),
    ];
    assert_eq!(ErrorCode::ALL.len(), expected.len());
    for (code, name) in expected {
        let c = ErrorCode::from_code(code).unwrap();
        assert_eq!(c.spec_name(), name);
        assert_eq!(c.code(), code);
        assert_eq!(ErrorCode::from_reason(c.reason()), Some(c));
    }
    assert_eq!(
        ErrorCode::ExtendedAgentCardNotConfigured.spec_name_v03(),
        Some("AuthenticatedExtendedCardNotConfiguredError")
    );

    let e = A2aError::task_not_found("t-1");
    let rpc = e.to_jsonrpc(ProtocolVersion::V1_0);
    assert_eq!(
        serde_json::to_value(&rpc).unwrap(),
        json!({"code": -32001, "message": "Task not found: t-1", "data": [{
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "TASK_NOT_FOUND", "domain": "a2a-protocol.org", "metadata": {"taskId": "t-1"}
        }]})
    );
    assert_eq!(A2aError::from_jsonrpc(&rpc), e);
    let rpc03 = e.to_jsonrpc(ProtocolVersion::V0_3);
    assert_eq!(
        serde_json::to_value(&rpc03).unwrap(),
        json!({"code": -32001, "message": "Task not found: t-1", "data": {"taskId": "t-1"}})
    );

    let bad = A2aError::invalid_params(vec![FieldViolation::new("message.parts", "is required")]);
    let rpc = serde_json::to_value(bad.to_jsonrpc(ProtocolVersion::V1_0)).unwrap();
    assert_eq!(
        rpc["data"][0]["@type"],
        "type.googleapis.com/google.rpc.BadRequest"
    );
    assert_eq!(
        rpc["data"][0]["fieldViolations"][0]["field"],
        "message.parts"
    );
    // Standard codes without violations carry no data.
    let pe = serde_json::to_value(
        A2aError::new(ErrorCode::ParseError, "x").to_jsonrpc(ProtocolVersion::V1_0),
    )
    .unwrap();
    assert!(pe.get("data").is_none());
}

#[test]
fn responses_have_exactly_one_of_result_and_error() {
    let ok: JsonRpcResponse =
        serde_json::from_str(r#"{"jsonrpc":"2.0","id":1,"result":null}"#).unwrap();
    assert_eq!(ok.outcome, Ok(Value::Null));
    for bad in [
        r#"{"jsonrpc":"2.0","id":1}"#,
        r#"{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"x"}}"#,
        r#"{"jsonrpc":"1.0","id":1,"result":{}}"#,
    ] {
        assert!(
            serde_json::from_str::<JsonRpcResponse>(bad).is_err(),
            "{bad}"
        );
    }
    let e = JsonRpcResponse::error(
        RequestId::from("a"),
        A2aError::unsupported("no").to_jsonrpc(ProtocolVersion::V1_0),
    );
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(v["jsonrpc"], "2.0");
    assert!(v.get("result").is_none());
    assert_eq!(v["error"]["code"], -32004);
}

/// The text path of a success response (`to_json_text` + `success_text`) gives exactly the
/// bytes of the `Value` path, in both versions, for every id kind.
#[test]
fn success_text_is_the_serialized_success() {
    let task = Task {
        id: "t-1".into(),
        context_id: "c-1".into(),
        status: TaskStatus::now(TaskState::Completed),
        artifacts: Some(vec![Artifact {
            artifact_id: "a-1".into(),
            name: "echo \"quoted\" é".into(),
            parts: vec![Part::text("hello\nworld")],
            ..Artifact::default()
        }]),
        history: vec![Message::text(Role::User, "m-1", "hi")],
        ..Task::default()
    };
    let responses = [
        A2aResponse::Task(task.clone()),
        A2aResponse::SendMessage(SendMessageResponse::Task(task.clone())),
        A2aResponse::Empty,
        A2aResponse::StreamEvent {
            event: StreamResponse::Task(task),
            last: true,
        },
    ];
    let ids = [
        RequestId::String("req \"1\"".into()),
        RequestId::Number(serde_json::Number::from(42)),
        RequestId::Null,
    ];
    for version in [ProtocolVersion::V1_0, ProtocolVersion::V0_3] {
        for resp in &responses {
            let value = resp.to_json(version).unwrap();
            let text = resp.to_json_text(version).unwrap();
            assert_eq!(serde_json::to_string(&value).unwrap(), text, "{version}");
            for id in &ids {
                let expected =
                    serde_json::to_string(&JsonRpcResponse::success(id.clone(), value.clone()))
                        .unwrap();
                assert_eq!(JsonRpcResponse::success_text(id, &text), expected);
            }
        }
    }
}
