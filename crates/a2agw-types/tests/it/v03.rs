//! 0.3 compatibility: goldens (`tests/data/v03`), property-based round trips between 1.0
//! and 0.3, validation of every 0.3 JSON we emit against the normative 0.3 JSON schema,
//! the lossy cases, and malformed 0.3 input.
//!
//! Golden files (`tests/data/v03/*.json`), by prefix:
//!
//! | prefix | members | checked |
//! |---|---|---|
//! | `req-` | `request` (a 0.3 JSON-RPC request), `expected` (`{method, params}` in 1.0 form), `canonical` | `request` is schema-valid; [`decode_request`] gives `expected`; [`v03::request_to_params`] of `expected` is schema-valid, decodes back to `expected` and, when `canonical`, equals `request.params` |
//! | `res-` | `method`, `v1` (1.0 result), `last` (stream events), `expected` (0.3 result), `v1_after_round_trip` (top-level members that change) | `to_json(V0_3)` equals `expected`, whose envelope is schema-valid; [`v03::decode_result`] gives the 1.0 result back |
//! | `dec-` | `method`, `result` (what a 0.3 agent sends), `expected` (1.0 result), `last` | `result` is schema-valid; [`v03::decode_result`] gives `expected` |

use a2agw_types::arbitrary as arb;
use a2agw_types::v03;
use a2agw_types::*;
use proptest::collection::vec;
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

// ============================================================== the 0.3 schema

/// The normative 0.3 schema, or `None` (skip) when `../shared/spec` is absent outside CI.
fn schema_v03() -> Option<&'static Value> {
    static SCHEMA: OnceLock<Option<Value>> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/spec/v0.3.0/a2a.json");
            match std::fs::read_to_string(&path) {
                Ok(raw) => Some(serde_json::from_str(&raw).expect("0.3 a2a.json is JSON")),
                Err(e) => {
                    if std::env::var_os("CI").is_some() {
                        panic!(
                            "../shared/spec not found ({}: {e}) and CI is set",
                            path.display()
                        );
                    }
                    eprintln!("skipped: ../shared/spec not found ({})", path.display());
                    None
                }
            }
        })
        .as_ref()
}

/// The schema errors of `instance` as definition `def`; `None` when the schema is absent.
fn errors_v03(def: &str, instance: &Value) -> Option<Vec<String>> {
    let schema = schema_v03()?;
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let validator = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap()
        .entry(def.to_owned())
        .or_insert_with(|| {
            assert!(
                schema["definitions"].get(def).is_some(),
                "no definition {def} in the 0.3 schema"
            );
            // Draft-07: a `$ref` makes its siblings ignored, so the whole document (with its
            // `definitions`) validates as the one definition.
            let mut root = schema.clone();
            root["$ref"] = json!(format!("#/definitions/{def}"));
            Arc::new(jsonschema::draft7::new(&root).expect("0.3 schema compiles"))
        })
        .clone();
    Some(
        validator
            .iter_errors(instance)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect(),
    )
}

/// Panics with every schema error of `instance` as `def` (does nothing when the schema is absent).
fn assert_valid_v03(def: &str, instance: &Value) {
    if let Some(errors) = errors_v03(def, instance) {
        assert!(
            errors.is_empty(),
            "{def} does not validate against the 0.3 schema:\n{}\ninstance: {instance:#}",
            errors.join("\n")
        );
    }
}

/// The definition of a bare 0.3 object, by its `kind`.
fn kind_def(v: &Value) -> Option<&'static str> {
    match v.get("kind")?.as_str()? {
        "task" => Some("Task"),
        "message" => Some("Message"),
        "status-update" => Some("TaskStatusUpdateEvent"),
        "artifact-update" => Some("TaskArtifactUpdateEvent"),
        _ => None,
    }
}

fn success_def(method: Method) -> &'static str {
    match method {
        Method::SendMessage => "SendMessageSuccessResponse",
        Method::SendStreamingMessage | Method::SubscribeToTask => {
            "SendStreamingMessageSuccessResponse"
        }
        Method::GetTask => "GetTaskSuccessResponse",
        Method::CancelTask => "CancelTaskSuccessResponse",
        Method::CreateTaskPushNotificationConfig => "SetTaskPushNotificationConfigSuccessResponse",
        Method::GetTaskPushNotificationConfig => "GetTaskPushNotificationConfigSuccessResponse",
        Method::ListTaskPushNotificationConfigs => "ListTaskPushNotificationConfigSuccessResponse",
        Method::DeleteTaskPushNotificationConfig => {
            "DeleteTaskPushNotificationConfigSuccessResponse"
        }
        Method::GetExtendedAgentCard => "GetAuthenticatedExtendedCardSuccessResponse",
        Method::ListTasks => panic!("ListTasks has no 0.3 result"),
    }
}

fn request_def(name: &str) -> &'static str {
    match name {
        "message/send" => "SendMessageRequest",
        "message/stream" => "SendStreamingMessageRequest",
        "tasks/get" => "GetTaskRequest",
        "tasks/cancel" => "CancelTaskRequest",
        "tasks/resubscribe" => "TaskResubscriptionRequest",
        "tasks/pushNotificationConfig/set" => "SetTaskPushNotificationConfigRequest",
        "tasks/pushNotificationConfig/get" => "GetTaskPushNotificationConfigRequest",
        "tasks/pushNotificationConfig/list" => "ListTaskPushNotificationConfigRequest",
        "tasks/pushNotificationConfig/delete" => "DeleteTaskPushNotificationConfigRequest",
        "agent/getAuthenticatedExtendedCard" => "GetAuthenticatedExtendedCardRequest",
        other => panic!("not a 0.3 method: {other}"),
    }
}

/// The full 0.3 JSON-RPC success response for `result` validates as the method's response
/// (and the bare result as its own type).
fn assert_valid_result(method: Method, result: &Value) {
    let envelope = json!({"jsonrpc": "2.0", "id": 1, "result": result});
    assert_valid_v03(success_def(method), &envelope);
    assert_valid_v03("JSONRPCResponse", &envelope);
    if let Some(def) = kind_def(result) {
        assert_valid_v03(def, result);
    }
}

/// A full 0.3 JSON-RPC request validates as `A2ARequest` and as its method's request.
fn assert_valid_request(envelope: &Value) {
    assert_valid_v03("A2ARequest", envelope);
    assert_valid_v03(request_def(envelope["method"].as_str().unwrap()), envelope);
}

/// The schema check itself must reject what is not 0.3, or the tests relying on it would
/// prove nothing.
#[test]
fn schema_rejects_non_v03() {
    let bad = [
        (
            "Task",
            json!({"id": "t", "contextId": "c", "status": {"state": "working"}}),
        ),
        (
            "Task",
            json!({"kind": "task", "id": "t", "contextId": "c", "status": {"state": "TASK_STATE_WORKING"}}),
        ),
        (
            "Task",
            json!({"kind": "task", "id": "t", "status": {"state": "working"}}),
        ),
        (
            "Message",
            json!({"kind": "message", "messageId": "m", "role": "ROLE_USER", "parts": []}),
        ),
        (
            "Message",
            json!({"kind": "message", "messageId": "m", "role": "user", "parts": [{"text": "x"}]}),
        ),
        (
            "TaskStatusUpdateEvent",
            json!({"kind": "status-update", "taskId": "t", "contextId": "c", "status": {"state": "working"}}),
        ),
        (
            "AgentCard",
            json!({"name": "a", "description": "d", "version": "1", "supportedInterfaces": [], "capabilities": {},
                             "defaultInputModes": [], "defaultOutputModes": [], "skills": []}),
        ),
        (
            "SecurityScheme",
            json!({"httpAuthSecurityScheme": {"scheme": "Bearer"}}),
        ),
        (
            "PushNotificationAuthenticationInfo",
            json!({"scheme": "Bearer"}),
        ),
        (
            "DeleteTaskPushNotificationConfigSuccessResponse",
            json!({"jsonrpc": "2.0", "id": 1, "result": {}}),
        ),
    ];
    for (def, v) in bad {
        let Some(errors) = errors_v03(def, &v) else {
            return;
        };
        assert!(!errors.is_empty(), "{def} accepted {v}");
    }
    let good = json!({"kind": "task", "id": "t", "contextId": "c", "status": {"state": "working"}});
    assert_eq!(errors_v03("Task", &good), Some(vec![]));
}

// ============================================================== helpers

fn method_named(name: &str) -> Method {
    Method::from_name(name)
        .unwrap_or_else(|| panic!("unknown method {name}"))
        .0
}

fn de<T: DeserializeOwned>(v: Value) -> T {
    let text = v.to_string();
    from_value(v).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// A 1.0 request from its ProtoJSON params, without validation.
fn request_v1(method: Method, params: Value) -> A2aRequest {
    match method {
        Method::SendMessage => A2aRequest::SendMessage(de(params)),
        Method::SendStreamingMessage => A2aRequest::SendStreamingMessage(de(params)),
        Method::GetTask => A2aRequest::GetTask(de(params)),
        Method::ListTasks => A2aRequest::ListTasks(de(params)),
        Method::CancelTask => A2aRequest::CancelTask(de(params)),
        Method::SubscribeToTask => A2aRequest::SubscribeToTask(de(params)),
        Method::CreateTaskPushNotificationConfig => {
            A2aRequest::CreateTaskPushNotificationConfig(de(params))
        }
        Method::GetTaskPushNotificationConfig => {
            A2aRequest::GetTaskPushNotificationConfig(de(params))
        }
        Method::ListTaskPushNotificationConfigs => {
            A2aRequest::ListTaskPushNotificationConfigs(de(params))
        }
        Method::DeleteTaskPushNotificationConfig => {
            A2aRequest::DeleteTaskPushNotificationConfig(de(params))
        }
        Method::GetExtendedAgentCard => A2aRequest::GetExtendedAgentCard(de(params)),
    }
}

/// A 1.0 response from its ProtoJSON result.
fn response_v1(method: Method, result: Value, last: bool) -> A2aResponse {
    match method {
        Method::SendMessage => A2aResponse::SendMessage(de(result)),
        Method::SendStreamingMessage | Method::SubscribeToTask => A2aResponse::StreamEvent {
            event: de(result),
            last,
        },
        Method::GetTask | Method::CancelTask => A2aResponse::Task(de(result)),
        Method::ListTasks => A2aResponse::ListTasks(de(result)),
        Method::CreateTaskPushNotificationConfig | Method::GetTaskPushNotificationConfig => {
            A2aResponse::PushConfig(de(result))
        }
        Method::ListTaskPushNotificationConfigs => A2aResponse::PushConfigs(de(result)),
        Method::DeleteTaskPushNotificationConfig => A2aResponse::Empty,
        Method::GetExtendedAgentCard => A2aResponse::AgentCard(de(result)),
    }
}

/// What [`v03::decode_result`] gives back for `response`: `last` survives only on status
/// updates (the one 0.3 event with a `final` flag), and a push config's tenant is dropped.
fn after_round_trip(response: &A2aResponse) -> A2aResponse {
    match response.clone() {
        A2aResponse::StreamEvent { event, last } => {
            let last = last && matches!(event, StreamResponse::StatusUpdate(_));
            A2aResponse::StreamEvent { event, last }
        }
        A2aResponse::PushConfig(mut c) => {
            c.tenant.clear();
            A2aResponse::PushConfig(c)
        }
        A2aResponse::PushConfigs(mut r) => {
            r.configs.iter_mut().for_each(|c| c.tenant.clear());
            A2aResponse::PushConfigs(r)
        }
        other => other,
    }
}

fn body(id: Value, method: &str, params: Option<Value>) -> Value {
    let mut o = Map::new();
    o.insert("jsonrpc".into(), "2.0".into());
    o.insert("id".into(), id);
    o.insert("method".into(), method.into());
    if let Some(p) = params {
        o.insert("params".into(), p);
    }
    Value::Object(o)
}

fn decode_body(body: &Value) -> Result<DecodedRequest, Box<RejectedRequest>> {
    decode_request(serde_json::to_vec(body).unwrap().as_slice())
}

/// The fields named by an `InvalidParams` rejection of a 0.3 request (panics on any other outcome).
fn rejected_fields(body: &Value) -> Vec<String> {
    let rejected = decode_body(body).expect_err("request must be rejected");
    assert_eq!(rejected.version, ProtocolVersion::V0_3);
    assert_eq!(
        rejected.error.code,
        ErrorCode::InvalidParams,
        "{:?}",
        rejected.error
    );
    assert!(
        !rejected.error.violations.is_empty(),
        "no field named: {:?}",
        rejected.error
    );
    // The 0.3 error response is schema-valid too.
    let response = JsonRpcResponse::error(
        rejected.id.clone(),
        rejected.error.to_jsonrpc(ProtocolVersion::V0_3),
    );
    assert_valid_v03(
        "JSONRPCErrorResponse",
        &serde_json::to_value(&response).unwrap(),
    );
    rejected
        .error
        .violations
        .iter()
        .map(|v| v.field.clone())
        .collect()
}

// ============================================================== goldens

fn golden_files(prefix: &str) -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/v03");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let raw = std::fs::read_to_string(&p).unwrap();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let v = serde_json::from_str(&raw).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, v)
        })
        .collect()
}

#[test]
fn golden_requests() {
    let cases = golden_files("req-");
    assert!(cases.len() >= 13, "only {} request goldens", cases.len());
    for (name, case) in cases {
        let request = &case["request"];
        assert_valid_request(request);
        let method = method_named(case["expected"]["method"].as_str().unwrap());
        let expected = request_v1(method, case["expected"]["params"].clone());

        let decoded =
            decode_body(request).unwrap_or_else(|e| panic!("{name}: rejected: {:?}", e.error));
        assert_eq!(decoded.version, ProtocolVersion::V0_3, "{name}");
        assert_eq!(
            serde_json::to_value(&decoded.id).unwrap(),
            request["id"],
            "{name}"
        );
        assert_eq!(decoded.request, expected, "{name}: decoded request");

        // Our client's side: the 1.0 request as 0.3 params.
        let (method_name, params) =
            v03::request_to_params(&expected).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(method_name, request["method"], "{name}");
        let again = body(request["id"].clone(), method_name, Some(params.clone()));
        assert_valid_request(&again);
        assert_eq!(
            decode_body(&again).unwrap().request,
            expected,
            "{name}: re-encoded request"
        );
        if case["canonical"] == json!(true) {
            let sent = request.get("params").cloned().unwrap_or_else(|| json!({}));
            assert_eq!(params, sent, "{name}: request_to_params");
        }
    }
}

#[test]
fn golden_responses() {
    let cases = golden_files("res-");
    assert!(cases.len() >= 17, "only {} response goldens", cases.len());
    for (name, case) in cases {
        let method = method_named(case["method"].as_str().unwrap());
        let last = case.get("last").and_then(Value::as_bool).unwrap_or(false);
        let response = response_v1(method, case["v1"].clone(), last);
        let json = response
            .to_json(ProtocolVersion::V0_3)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(json, case["expected"], "{name}: 0.3 result");
        assert_valid_result(method, &json);

        let mut v1_back = case["v1"].clone();
        if let Some(Value::Object(patch)) = case.get("v1_after_round_trip") {
            for (k, v) in patch {
                v1_back[k] = v.clone();
            }
        }
        let expected_back = after_round_trip(&response_v1(method, v1_back, last));
        let back = v03::decode_result(method, json).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(back, expected_back, "{name}: decoded back");
    }
}

#[test]
fn golden_results_from_v03_agents() {
    let cases = golden_files("dec-");
    assert!(cases.len() >= 3, "only {} decode goldens", cases.len());
    for (name, case) in cases {
        let method = method_named(case["method"].as_str().unwrap());
        let last = case.get("last").and_then(Value::as_bool).unwrap_or(false);
        assert_valid_result(method, &case["result"]);
        let decoded = v03::decode_result(method, case["result"].clone())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            decoded,
            response_v1(method, case["expected"].clone(), last),
            "{name}"
        );
    }
}

#[test]
fn hybrid_card_serves_both_generations() {
    let case = &golden_files("res-agent-card")[0].1;
    let card: AgentCard = de(case["v1"].clone());
    let hybrid = v03::hybrid_card(&card).unwrap();
    let card03 = &case["expected"];

    // The 1.0 card, plus exactly the five 0.3 top-level fields.
    let mut rest = hybrid.as_object().unwrap().clone();
    for key in [
        "protocolVersion",
        "url",
        "preferredTransport",
        "additionalInterfaces",
        "supportsAuthenticatedExtendedCard",
    ] {
        assert_eq!(rest.remove(key).as_ref(), Some(&card03[key]), "{key}");
    }
    assert_eq!(Value::Object(rest), serde_json::to_value(&card).unwrap());
    // `securitySchemes` keeps the 1.0 shape: 1.0 readers get the card back unchanged.
    assert_eq!(from_value::<AgentCard>(hybrid.clone()).unwrap(), card);

    // Without security schemes the hybrid card is also a valid 0.3 card, and reads as one.
    let mut plain = card.clone();
    plain.security_schemes.clear();
    plain.security_requirements.clear();
    plain
        .skills
        .iter_mut()
        .for_each(|s| s.security_requirements.clear());
    let hybrid = v03::hybrid_card(&plain).unwrap();
    assert_valid_v03("AgentCard", &hybrid);
    let as03: v03::AgentCard = from_value(hybrid.clone()).unwrap();
    assert_eq!(as03, v03::AgentCard::try_from(plain.clone()).unwrap());
    assert_eq!(from_value::<AgentCard>(hybrid).unwrap(), plain);

    // No extended-card flag: no supportsAuthenticatedExtendedCard; one interface: no additionalInterfaces.
    plain.capabilities.extended_agent_card = None;
    plain.supported_interfaces.truncate(1);
    let hybrid = v03::hybrid_card(&plain).unwrap();
    assert!(hybrid.get("supportsAuthenticatedExtendedCard").is_none());
    assert!(hybrid.get("additionalInterfaces").is_none());
    assert_eq!(hybrid["url"], "https://agent.example.com/a2a/v1");
}

// ============================================================== lossy cases (one test per decision)

fn send_request(parts: Vec<Part>) -> A2aRequest {
    A2aRequest::SendMessage(SendMessageRequest {
        message: Message {
            message_id: "m".into(),
            role: Role::User,
            parts,
            ..Message::default()
        },
        ..SendMessageRequest::default()
    })
}

fn client_error(req: &A2aRequest) -> ConversionError {
    let e = v03::request_to_params(req).expect_err("must not convert");
    assert_eq!(e.target, "0.3");
    e
}

#[test]
fn lossy_parts_to_v03() {
    let e = client_error(&send_request(vec![
        Part::text("a"),
        Part::data(json!([1, 2])),
    ]));
    assert_eq!(e.field, "message.parts[1].data");
    assert!(e.reason.contains("object"), "{e}");
    let e = client_error(&send_request(vec![Part::data(json!("x"))]));
    assert_eq!(e.field, "message.parts[0].data");

    let text_with_type = Part {
        media_type: "text/markdown".into(),
        ..Part::text("# hi")
    };
    assert_eq!(
        client_error(&send_request(vec![text_with_type])).field,
        "message.parts[0].mediaType"
    );
    let data_with_name = Part {
        filename: "a.json".into(),
        ..Part::data(json!({}))
    };
    assert_eq!(
        client_error(&send_request(vec![data_with_name])).field,
        "message.parts[0].filename"
    );

    // File-like parts keep both.
    let raw = Part {
        filename: "a.bin".into(),
        media_type: "application/octet-stream".into(),
        ..Part::raw(vec![0, 1])
    };
    let (_, params) = v03::request_to_params(&send_request(vec![raw])).unwrap();
    assert_eq!(
        params["message"]["parts"][0],
        json!({"kind": "file", "file": {"bytes": "AAE=", "mimeType": "application/octet-stream", "name": "a.bin"}})
    );

    let mut unspecified = send_request(vec![Part::text("a")]);
    if let A2aRequest::SendMessage(r) = &mut unspecified {
        r.message.role = Role::Unspecified;
    }
    assert_eq!(client_error(&unspecified).field, "message.role");
}

#[test]
fn lossy_requests_to_v03() {
    let mut with_tenant = send_request(vec![Part::text("a")]);
    with_tenant.set_tenant("acme".into());
    assert_eq!(client_error(&with_tenant).field, "tenant");
    let card = A2aRequest::GetExtendedAgentCard(GetExtendedAgentCardRequest {
        tenant: "acme".into(),
    });
    assert_eq!(client_error(&card).field, "tenant");

    let e = client_error(&A2aRequest::ListTasks(ListTasksRequest::default()));
    assert_eq!(e.field, "method");

    let mut with_task_id = send_request(vec![Part::text("a")]);
    if let A2aRequest::SendMessage(r) = &mut with_task_id {
        r.configuration = Some(SendMessageConfiguration {
            task_push_notification_config: Some(TaskPushNotificationConfig {
                task_id: "t".into(),
                url: "https://h".into(),
                ..TaskPushNotificationConfig::default()
            }),
            ..SendMessageConfiguration::default()
        });
    }
    assert_eq!(
        client_error(&with_task_id).field,
        "configuration.taskPushNotificationConfig.taskId"
    );

    let list = |page_size, page_token: &str| {
        A2aRequest::ListTaskPushNotificationConfigs(ListTaskPushNotificationConfigsRequest {
            task_id: "t".into(),
            page_size,
            page_token: page_token.into(),
            ..Default::default()
        })
    };
    assert_eq!(client_error(&list(10, "")).field, "pageSize");
    assert_eq!(client_error(&list(0, "next")).field, "pageToken");
    assert_eq!(
        v03::request_to_params(&list(0, "")).unwrap().1,
        json!({"id": "t"})
    );

    // The GetTaskPushNotificationConfig without id is the 0.3 TaskIdParams form.
    let get = A2aRequest::GetTaskPushNotificationConfig(GetTaskPushNotificationConfigRequest {
        task_id: "t".into(),
        ..Default::default()
    });
    assert_eq!(
        v03::request_to_params(&get).unwrap(),
        ("tasks/pushNotificationConfig/get", json!({"id": "t"}))
    );
}

#[test]
fn lossy_results_to_v03() {
    let e = A2aResponse::ListTasks(ListTasksResponse::default())
        .to_json(ProtocolVersion::V0_3)
        .unwrap_err();
    assert_eq!(e.target, "0.3");
    let paged = ListTaskPushNotificationConfigsResponse {
        configs: vec![],
        next_page_token: "p2".into(),
    };
    let e = A2aResponse::PushConfigs(paged)
        .to_json(ProtocolVersion::V0_3)
        .unwrap_err();
    assert_eq!(e.field, "nextPageToken");
    let event = StreamResponse::Message(Message {
        parts: vec![Part::data(json!(3))],
        role: Role::Agent,
        ..Default::default()
    });
    let e = A2aResponse::StreamEvent { event, last: true }
        .to_json(ProtocolVersion::V0_3)
        .unwrap_err();
    assert_eq!(e.field, "message.parts[0].data");
    let task = Task {
        id: "t".into(),
        history: vec![Message {
            role: Role::Unspecified,
            parts: vec![Part::text("x")],
            ..Default::default()
        }],
        ..Task::default()
    };
    let e = A2aResponse::Task(task)
        .to_json(ProtocolVersion::V0_3)
        .unwrap_err();
    assert_eq!(e.field, "history[0].role");
}

fn card_with_scheme(scheme: SecurityScheme) -> AgentCard {
    AgentCard {
        name: "a".into(),
        description: "d".into(),
        version: "1".into(),
        supported_interfaces: vec![AgentInterface {
            url: "https://a".into(),
            protocol_binding: binding::JSONRPC.into(),
            protocol_version: "1.0".into(),
            tenant: String::new(),
        }],
        security_schemes: [("s".to_owned(), scheme)].into_iter().collect(),
        ..AgentCard::default()
    }
}

#[test]
fn lossy_cards_to_v03() {
    let device = SecurityScheme::Oauth2SecurityScheme(OAuth2SecurityScheme {
        description: String::new(),
        flows: OAuthFlows::DeviceCode(DeviceCodeOAuthFlow {
            device_authorization_url: "https://d".into(),
            token_url: "https://t".into(),
            ..Default::default()
        }),
        oauth2_metadata_url: String::new(),
    });
    let e = v03::AgentCard::try_from(card_with_scheme(device)).unwrap_err();
    assert_eq!(
        e.field,
        r#"securitySchemes["s"].oauth2SecurityScheme.flows.deviceCode"#
    );

    let pkce = SecurityScheme::Oauth2SecurityScheme(OAuth2SecurityScheme {
        description: String::new(),
        flows: OAuthFlows::AuthorizationCode(AuthorizationCodeOAuthFlow {
            authorization_url: "https://a".into(),
            token_url: "https://t".into(),
            pkce_required: true,
            ..Default::default()
        }),
        oauth2_metadata_url: String::new(),
    });
    let e = A2aResponse::AgentCard(card_with_scheme(pkce))
        .to_json(ProtocolVersion::V0_3)
        .unwrap_err();
    assert_eq!(
        e.field,
        r#"securitySchemes["s"].oauth2SecurityScheme.flows.authorizationCode.pkceRequired"#
    );

    let body_key = SecurityScheme::ApiKeySecurityScheme(ApiKeySecurityScheme {
        description: String::new(),
        location: "body".into(),
        name: "k".into(),
    });
    let e = v03::AgentCard::try_from(card_with_scheme(body_key)).unwrap_err();
    assert_eq!(
        e.field,
        r#"securitySchemes["s"].apiKeySecurityScheme.location"#
    );

    // Interfaces: tenants cannot reach 0.3 clients; none at all cannot give a `url`.
    let mut card = card_with_scheme(SecurityScheme::MtlsSecurityScheme(
        MutualTlsSecurityScheme::default(),
    ));
    card.supported_interfaces[0].tenant = "acme".into();
    assert_eq!(
        v03::hybrid_card(&card).unwrap_err().field,
        "supportedInterfaces"
    );
    card.supported_interfaces.clear();
    assert_eq!(
        v03::AgentCard::try_from(card).unwrap_err().field,
        "supportedInterfaces"
    );
}

#[test]
fn lossy_results_from_v03_agents() {
    let card = |schemes: Value| {
        json!({
            "protocolVersion": "0.3.0", "name": "a", "description": "d", "url": "https://a", "version": "1",
            "capabilities": {}, "defaultInputModes": [], "defaultOutputModes": [], "skills": [],
            "securitySchemes": {"s": schemes}
        })
    };
    let two_flows = card(json!({"type": "oauth2", "flows": {
        "implicit": {"authorizationUrl": "https://a", "scopes": {}},
        "password": {"tokenUrl": "https://t", "scopes": {}}
    }}));
    assert_valid_v03("AgentCard", &two_flows);
    match v03::decode_result(Method::GetExtendedAgentCard, two_flows) {
        Err(Error::Conversion(e)) => {
            assert_eq!(e.target, "1.0");
            assert_eq!(e.field, r#"securitySchemes["s"].flows"#);
            assert!(e.reason.contains("implicit, password"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    let no_flow = card(json!({"type": "oauth2", "flows": {}}));
    assert!(matches!(
        v03::decode_result(Method::GetExtendedAgentCard, no_flow),
        Err(Error::Conversion(_))
    ));

    let config = |schemes: Value| json!({"taskId": "t", "pushNotificationConfig": {"url": "https://h", "authentication": {"schemes": schemes}}});
    for schemes in [json!(["Bearer", "Basic"]), json!([])] {
        match v03::decode_result(Method::GetTaskPushNotificationConfig, config(schemes)) {
            Err(Error::Conversion(e)) => {
                assert_eq!(e.field, "pushNotificationConfig.authentication.schemes")
            }
            other => panic!("{other:?}"),
        }
    }

    let task = |timestamp: &str| json!({"kind": "task", "id": "t", "contextId": "c", "status": {"state": "working", "timestamp": timestamp}});
    match v03::decode_result(Method::GetTask, task("yesterday")) {
        Err(Error::Conversion(e)) => assert_eq!(e.field, "status.timestamp"),
        other => panic!("{other:?}"),
    }
    let Ok(A2aResponse::Task(t)) =
        v03::decode_result(Method::GetTask, task("2025-07-31T14:00:00+02:00"))
    else {
        panic!("offset timestamp must convert")
    };
    assert_eq!(
        t.status.timestamp.unwrap().to_string(),
        "2025-07-31T12:00:00.000Z"
    );

    // Delete results are `null`; anything else is tolerated.
    assert_eq!(
        v03::decode_result(Method::DeleteTaskPushNotificationConfig, json!(null)).unwrap(),
        A2aResponse::Empty
    );
    assert_eq!(
        v03::decode_result(Method::DeleteTaskPushNotificationConfig, json!({})).unwrap(),
        A2aResponse::Empty
    );
    assert!(matches!(
        v03::decode_result(Method::ListTasks, json!({})),
        Err(Error::Conversion(_))
    ));
}

#[test]
fn lossy_requests_from_v03_clients() {
    // Several (or no) push auth schemes cannot become the single 1.0 scheme.
    for schemes in [json!(["Bearer", "Basic"]), json!([])] {
        let set = body(
            json!(1),
            "tasks/pushNotificationConfig/set",
            Some(
                json!({"taskId": "t", "pushNotificationConfig": {"url": "https://h", "authentication": {"schemes": schemes}}}),
            ),
        );
        assert_eq!(
            rejected_fields(&set),
            ["pushNotificationConfig.authentication.schemes"]
        );
        let send = body(
            json!(2),
            "message/send",
            Some(json!({
                "message": {"kind": "message", "messageId": "m", "role": "user", "parts": [{"kind": "text", "text": "x"}]},
                "configuration": {"pushNotificationConfig": {"url": "https://h", "authentication": {"schemes": schemes}}}
            })),
        );
        assert_eq!(
            rejected_fields(&send),
            ["configuration.pushNotificationConfig.authentication.schemes"]
        );
    }
    // `blocking: false` is `returnImmediately: true`, and nothing else changes.
    let send = body(
        json!(3),
        "message/send",
        Some(json!({
            "message": {"kind": "message", "messageId": "m", "role": "user", "parts": [{"kind": "text", "text": "x"}]},
            "configuration": {"blocking": false}
        })),
    );
    let A2aRequest::SendMessage(r) = decode_body(&send).unwrap().request else {
        panic!()
    };
    assert_eq!(
        r.configuration,
        Some(SendMessageConfiguration {
            return_immediately: true,
            ..Default::default()
        })
    );
}

// ============================================================== malformed 0.3 input

fn send_params(message: Value) -> Value {
    let mut params = Map::new();
    params.insert("message".into(), message);
    body(json!(1), "message/send", Some(Value::Object(params)))
}

fn message_with(part: Value) -> Value {
    let mut message = json!({"kind": "message", "messageId": "m", "role": "user"});
    message["parts"] = Value::Array(vec![part]);
    message
}

#[test]
fn malformed_requests_name_the_field() {
    let text = json!({"kind": "text", "text": "x"});
    let cases: Vec<(Value, &str)> = vec![
        // kinds
        (
            send_params(json!({"kind": "task", "messageId": "m", "role": "user", "parts": [text]})),
            "message.kind",
        ),
        (
            send_params(json!({"messageId": "m", "role": "user", "parts": [text]})),
            "message.kind",
        ),
        (
            send_params(json!({"kind": 7, "messageId": "m", "role": "user", "parts": [text]})),
            "message.kind",
        ),
        (
            send_params(message_with(json!({"kind": "image", "text": "x"}))),
            "message.parts[0].kind",
        ),
        (
            send_params(message_with(json!({"text": "x"}))),
            "message.parts[0].kind",
        ),
        (
            send_params(message_with(json!({"kind": ["text"], "text": "x"}))),
            "message.parts[0].kind",
        ),
        // required fields inside a part, by kind
        (
            send_params(message_with(json!({"kind": "text"}))),
            "message.parts[0].text",
        ),
        (
            send_params(message_with(json!({"kind": "file"}))),
            "message.parts[0].file",
        ),
        (
            send_params(message_with(json!({"kind": "data"}))),
            "message.parts[0].data",
        ),
        (
            send_params(message_with(json!({"kind": "data", "data": [1]}))),
            "message.parts[0].data",
        ),
        // file: exactly one of bytes and uri; valid base64
        (
            send_params(message_with(
                json!({"kind": "file", "file": {"bytes": "AA==", "uri": "https://x"}}),
            )),
            "message.parts[0].file",
        ),
        (
            send_params(message_with(json!({"kind": "file", "file": {"name": "a"}}))),
            "message.parts[0].file",
        ),
        (
            send_params(message_with(
                json!({"kind": "file", "file": {"bytes": "not base64!"}}),
            )),
            "message.parts[0].file.bytes",
        ),
        (
            send_params(message_with(json!({"kind": "file", "file": {"uri": 5}}))),
            "message.parts[0].file.uri",
        ),
        // enums and wrong types
        (
            send_params(
                json!({"kind": "message", "messageId": "m", "role": "system", "parts": [text]}),
            ),
            "message.role",
        ),
        (
            send_params(
                json!({"kind": "message", "messageId": 5, "role": "user", "parts": [text]}),
            ),
            "message.messageId",
        ),
        (
            send_params(
                json!({"kind": "message", "messageId": "m", "role": "user", "parts": text}),
            ),
            "message.parts",
        ),
        (
            send_params(json!({"kind": "message", "messageId": "m", "role": "user"})),
            "message.parts",
        ),
        (
            send_params(
                json!({"kind": "message", "messageId": "", "role": "user", "parts": [text]}),
            ),
            "message.messageId",
        ),
        (
            send_params(json!({"kind": "message", "messageId": "m", "role": "user", "parts": []})),
            "message.parts",
        ),
        (body(json!(1), "message/send", Some(json!({}))), "message"),
        (body(json!(1), "message/send", Some(json!([1]))), "params"),
        (
            body(
                json!(1),
                "message/send",
                Some(
                    json!({"message": message_with(text.clone()), "configuration": {"blocking": "yes"}}),
                ),
            ),
            "configuration.blocking",
        ),
        (
            body(
                json!(1),
                "message/send",
                Some(
                    json!({"message": message_with(text.clone()), "configuration": {"historyLength": -1}}),
                ),
            ),
            "configuration.historyLength",
        ),
        (
            body(
                json!(1),
                "message/stream",
                Some(
                    json!({"message": message_with(text.clone()), "configuration": {"pushNotificationConfig": {"token": "t"}}}),
                ),
            ),
            "configuration.pushNotificationConfig.url",
        ),
        // other methods
        (
            body(json!(1), "tasks/get", Some(json!({"historyLength": 1}))),
            "id",
        ),
        (
            body(
                json!(1),
                "tasks/get",
                Some(json!({"id": "t", "historyLength": "abc"})),
            ),
            "historyLength",
        ),
        (body(json!(1), "tasks/get", None), "id"),
        (body(json!(1), "tasks/cancel", Some(json!({"id": 1}))), "id"),
        (
            body(json!(1), "tasks/resubscribe", Some(json!({"id": ""}))),
            "id",
        ),
        (
            body(
                json!(1),
                "tasks/pushNotificationConfig/set",
                Some(json!({"taskId": "t"})),
            ),
            "pushNotificationConfig",
        ),
        (
            body(
                json!(1),
                "tasks/pushNotificationConfig/set",
                Some(json!({"taskId": "t", "pushNotificationConfig": {}})),
            ),
            "pushNotificationConfig.url",
        ),
        (
            body(
                json!(1),
                "tasks/pushNotificationConfig/set",
                Some(json!({"taskId": "", "pushNotificationConfig": {"url": "https://h"}})),
            ),
            "taskId",
        ),
        (
            body(
                json!(1),
                "tasks/pushNotificationConfig/set",
                Some(
                    json!({"taskId": "t", "pushNotificationConfig": {"url": "https://h", "authentication": {"schemes": [""]}}}),
                ),
            ),
            "pushNotificationConfig.authentication.schemes",
        ),
        (
            body(
                json!(1),
                "tasks/pushNotificationConfig/get",
                Some(json!({"id": ""})),
            ),
            "id",
        ),
        (
            body(
                json!(1),
                "tasks/pushNotificationConfig/list",
                Some(json!({})),
            ),
            "id",
        ),
        (
            body(
                json!(1),
                "tasks/pushNotificationConfig/delete",
                Some(json!({"id": "t"})),
            ),
            "pushNotificationConfigId",
        ),
        (
            body(
                json!(1),
                "tasks/pushNotificationConfig/delete",
                Some(json!({"id": "t", "pushNotificationConfigId": ""})),
            ),
            "pushNotificationConfigId",
        ),
    ];
    for (request, field) in cases {
        let fields = rejected_fields(&request);
        assert_eq!(fields, [field], "request: {request}");
    }
}

#[test]
fn truncated_and_broken_json() {
    let good = serde_json::to_string(&send_params(message_with(
        json!({"kind": "text", "text": "x"}),
    )))
    .unwrap();
    for cut in [1, good.len() / 2, good.len() - 1] {
        let e = decode_request(&good.as_bytes()[..cut]).unwrap_err();
        assert_eq!(e.error.code, ErrorCode::ParseError, "cut at {cut}");
    }
    assert_eq!(
        decode_request(
            b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"message/send\", \"params\": {,}}"
        )
        .unwrap_err()
        .error
        .code,
        ErrorCode::ParseError
    );
    // Results from a 0.3 agent: typed errors with the field's path.
    let decode_error = |method, v: Value| match v03::decode_result(method, v) {
        Err(Error::Decode(e)) => e.path,
        other => panic!("{other:?}"),
    };
    let task = |state: &str| json!({"kind": "task", "id": "t", "contextId": "c", "status": {"state": state}});
    assert_eq!(decode_error(Method::GetTask, task("done")), "status.state");
    assert_eq!(
        decode_error(Method::GetTask, task("TASK_STATE_WORKING")),
        "status.state"
    );
    assert_eq!(
        decode_error(
            Method::GetTask,
            json!({"id": "t", "contextId": "c", "status": {"state": "working"}})
        ),
        "kind"
    );
    assert_eq!(
        decode_error(
            Method::GetTask,
            json!({"kind": "task", "id": "t", "status": {"state": "working"}})
        ),
        "contextId"
    );
    assert_eq!(
        decode_error(Method::SendMessage, json!({"kind": "status-update"})),
        "kind"
    );
    assert_eq!(
        decode_error(
            Method::SendStreamingMessage,
            json!({"kind": "status-update", "taskId": "t", "contextId": "c", "status": {"state": "working"}})
        ),
        "final"
    );
    assert_eq!(
        decode_error(
            Method::SendStreamingMessage,
            json!({"kind": "artifact-update", "taskId": "t", "contextId": "c",
            "artifact": {"artifactId": "a", "parts": [{"kind": "file", "file": {"bytes": "AA", "uri": "u"}}]}})
        ),
        "artifact.parts[0].file"
    );
    assert_eq!(
        decode_error(
            Method::GetExtendedAgentCard,
            json!({"protocolVersion": "0.3.0", "name": "a", "description": "d", "url": "u", "version": "1",
            "capabilities": {}, "defaultInputModes": [], "defaultOutputModes": [], "skills": [],
            "securitySchemes": {"k": {"type": "apiKey", "in": "body", "name": "n"}}})
        ),
        "securitySchemes.k.in"
    );
    assert_eq!(
        decode_error(
            Method::GetExtendedAgentCard,
            json!({"protocolVersion": "0.3.0", "name": "a", "description": "d", "url": "u", "version": "1",
            "capabilities": {}, "defaultInputModes": [], "defaultOutputModes": [], "skills": [],
            "securitySchemes": {"k": {"scheme": "bearer"}}})
        ),
        "securitySchemes.k.type"
    );
    assert_eq!(
        decode_error(
            Method::ListTaskPushNotificationConfigs,
            json!([{"taskId": "t"}])
        ),
        "[0].pushNotificationConfig"
    );
}

// ============================================================== strategies

/// 1.0 values restricted to what 0.3 expresses: text/data parts without file fields,
/// object data, no tenants, single-flow OAuth without device code or PKCE, 0.3 interfaces.
mod expressible {
    use a2agw_types::*;
    use serde_json::json;

    pub(super) fn part(mut p: Part) -> Part {
        match &mut p.content {
            PartContent::Text(_) => {}
            PartContent::Data(v) => {
                if !v.is_object() {
                    *v = json!({ "value": v.take() });
                }
            }
            PartContent::Raw(_) | PartContent::Url(_) => return p,
        }
        p.filename.clear();
        p.media_type.clear();
        p
    }

    pub(super) fn message(mut m: Message) -> Message {
        m.parts = m.parts.into_iter().map(part).collect();
        m
    }

    fn artifact(mut a: Artifact) -> Artifact {
        a.parts = a.parts.into_iter().map(part).collect();
        a
    }

    fn status(mut s: TaskStatus) -> TaskStatus {
        s.message = s.message.map(message);
        s
    }

    pub(super) fn task(mut t: Task) -> Task {
        t.status = status(t.status);
        t.artifacts = t.artifacts.map(|a| a.into_iter().map(artifact).collect());
        t.history = t.history.into_iter().map(message).collect();
        t
    }

    pub(super) fn event(e: StreamResponse) -> StreamResponse {
        match e {
            StreamResponse::Task(t) => StreamResponse::Task(task(t)),
            StreamResponse::Message(m) => StreamResponse::Message(message(m)),
            StreamResponse::StatusUpdate(mut u) => {
                u.status = status(u.status);
                StreamResponse::StatusUpdate(u)
            }
            StreamResponse::ArtifactUpdate(mut u) => {
                u.artifact = artifact(u.artifact);
                StreamResponse::ArtifactUpdate(u)
            }
        }
    }

    pub(super) fn card(mut c: AgentCard) -> AgentCard {
        for i in &mut c.supported_interfaces {
            i.tenant.clear();
            i.protocol_version = "0.3".into();
        }
        for s in c.security_schemes.values_mut() {
            if let SecurityScheme::Oauth2SecurityScheme(o) = s {
                match &mut o.flows {
                    OAuthFlows::AuthorizationCode(a) => a.pkce_required = false,
                    OAuthFlows::DeviceCode(d) => {
                        o.flows = OAuthFlows::ClientCredentials(ClientCredentialsOAuthFlow {
                            token_url: d.token_url.clone(),
                            refresh_url: d.refresh_url.clone(),
                            scopes: d.scopes.clone(),
                        });
                    }
                    _ => {}
                }
            }
        }
        c
    }

    pub(super) fn request(mut r: A2aRequest) -> Option<A2aRequest> {
        r.set_tenant(String::new());
        match &mut r {
            A2aRequest::ListTasks(_) => return None,
            A2aRequest::SendMessage(s) | A2aRequest::SendStreamingMessage(s) => {
                s.message = message(std::mem::take(&mut s.message));
                if let Some(c) = s
                    .configuration
                    .as_mut()
                    .and_then(|c| c.task_push_notification_config.as_mut())
                {
                    c.tenant.clear();
                    c.task_id.clear();
                }
            }
            A2aRequest::ListTaskPushNotificationConfigs(l) => {
                l.page_size = 0;
                l.page_token.clear();
            }
            _ => {}
        }
        Some(r)
    }
}

/// 0.3 values in canonical form (what 1.0 → 0.3 produces for the same content).
mod strat03 {
    use a2agw_types::arbitrary as arb;
    use a2agw_types::v03::*;
    use proptest::collection::{btree_map, vec};
    use proptest::option;
    use proptest::prelude::*;

    fn maybe(s: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
        prop_oneof![Just(String::new()), s]
    }

    fn media_type() -> impl Strategy<Value = String> {
        maybe(prop_oneof![
            Just("text/plain".to_owned()),
            Just("image/png".to_owned())
        ])
    }

    fn opt_metadata() -> impl Strategy<Value = Option<a2agw_types::Metadata>> {
        option::of(arb::metadata())
    }

    pub(super) fn part() -> impl Strategy<Value = Part> {
        prop_oneof![
            (arb::text(), opt_metadata())
                .prop_map(|(text, metadata)| Part::Text(TextPart { text, metadata })),
            (
                vec(any::<u8>(), 0..16),
                media_type(),
                maybe("[a-z]{1,6}\\.bin".boxed()),
                opt_metadata()
            )
                .prop_map(|(bytes, mime_type, name, metadata)| Part::File(FilePart {
                    file: FileContent::Bytes(FileWithBytes {
                        bytes,
                        mime_type,
                        name
                    }),
                    metadata,
                })),
            (
                arb::url(),
                media_type(),
                maybe(arb::id().boxed()),
                opt_metadata()
            )
                .prop_map(|(uri, mime_type, name, metadata)| Part::File(FilePart {
                    file: FileContent::Uri(FileWithUri {
                        uri,
                        mime_type,
                        name
                    }),
                    metadata,
                })),
            (arb::metadata(), opt_metadata())
                .prop_map(|(data, metadata)| Part::Data(DataPart { data, metadata })),
        ]
    }

    pub(super) fn message() -> impl Strategy<Value = Message> {
        (
            arb::id(),
            maybe(arb::id().boxed()),
            maybe(arb::id().boxed()),
            prop_oneof![Just(Role::User), Just(Role::Agent)],
            vec(part(), 1..3),
            opt_metadata(),
            vec(arb::url(), 0..2),
            vec(arb::id(), 0..2),
        )
            .prop_map(
                |(
                    message_id,
                    context_id,
                    task_id,
                    role,
                    parts,
                    metadata,
                    extensions,
                    reference_task_ids,
                )| {
                    Message {
                        kind: MessageKind,
                        message_id,
                        context_id,
                        task_id,
                        role,
                        parts,
                        metadata,
                        extensions,
                        reference_task_ids,
                    }
                },
            )
    }

    fn state() -> impl Strategy<Value = TaskState> {
        proptest::sample::select(vec![
            TaskState::Submitted,
            TaskState::Working,
            TaskState::InputRequired,
            TaskState::Completed,
            TaskState::Canceled,
            TaskState::Failed,
            TaskState::Rejected,
            TaskState::AuthRequired,
            TaskState::Unknown,
        ])
    }

    fn status() -> impl Strategy<Value = TaskStatus> {
        (
            state(),
            option::of(message()),
            maybe(arb::timestamp().prop_map(|t| t.to_string()).boxed()),
        )
            .prop_map(|(state, message, timestamp)| TaskStatus {
                state,
                message,
                timestamp,
            })
    }

    fn artifact() -> impl Strategy<Value = Artifact> {
        (
            arb::id(),
            arb::text(),
            arb::text(),
            vec(part(), 1..3),
            opt_metadata(),
            vec(arb::url(), 0..2),
        )
            .prop_map(
                |(artifact_id, name, description, parts, metadata, extensions)| Artifact {
                    artifact_id,
                    name,
                    description,
                    parts,
                    metadata,
                    extensions,
                },
            )
    }

    pub(super) fn task() -> impl Strategy<Value = Task> {
        (
            arb::id(),
            maybe(arb::id().boxed()),
            status(),
            option::of(vec(artifact(), 0..2)),
            vec(message(), 0..2),
            opt_metadata(),
        )
            .prop_map(
                |(id, context_id, status, artifacts, history, metadata)| Task {
                    kind: TaskKind,
                    id,
                    context_id,
                    status,
                    artifacts,
                    history,
                    metadata,
                },
            )
    }

    pub(super) fn event() -> impl Strategy<Value = StreamEvent> {
        prop_oneof![
            task().prop_map(StreamEvent::Task),
            message().prop_map(StreamEvent::Message),
            (
                arb::id(),
                arb::id(),
                status(),
                any::<bool>(),
                opt_metadata()
            )
                .prop_map(|(task_id, context_id, status, r#final, metadata)| {
                    StreamEvent::StatusUpdate(TaskStatusUpdateEvent {
                        kind: StatusUpdateKind,
                        task_id,
                        context_id,
                        status,
                        r#final,
                        metadata,
                    })
                }),
            (
                arb::id(),
                arb::id(),
                artifact(),
                any::<bool>(),
                any::<bool>(),
                opt_metadata()
            )
                .prop_map(
                    |(task_id, context_id, artifact, append, last_chunk, metadata)| {
                        StreamEvent::ArtifactUpdate(TaskArtifactUpdateEvent {
                            kind: ArtifactUpdateKind,
                            task_id,
                            context_id,
                            artifact,
                            append,
                            last_chunk,
                            metadata,
                        })
                    }
                ),
        ]
    }

    pub(super) fn webhook() -> impl Strategy<Value = PushNotificationConfig> {
        let auth = (
            prop_oneof![Just("Bearer".to_owned()), Just("Basic".to_owned())],
            maybe(arb::id().boxed()),
        )
            .prop_map(|(scheme, credentials)| PushNotificationAuthenticationInfo {
                schemes: vec![scheme],
                credentials,
            });
        (
            maybe(arb::id().boxed()),
            arb::url(),
            maybe(arb::id().boxed()),
            option::of(auth),
        )
            .prop_map(|(id, url, token, authentication)| PushNotificationConfig {
                id,
                url,
                token,
                authentication,
            })
    }

    pub(super) fn push_config() -> impl Strategy<Value = TaskPushNotificationConfig> {
        (arb::id(), webhook()).prop_map(|(task_id, push_notification_config)| {
            TaskPushNotificationConfig {
                task_id,
                push_notification_config,
            }
        })
    }

    fn scopes() -> impl Strategy<Value = Scopes> {
        btree_map("[a-z:.]{1,8}", arb::text(), 0..3)
    }

    fn flows() -> impl Strategy<Value = OAuthFlows> {
        prop_oneof![
            (arb::url(), arb::url(), maybe(arb::url().boxed()), scopes()).prop_map(
                |(a, t, r, s)| OAuthFlows {
                    authorization_code: Some(AuthorizationCodeOAuthFlow {
                        authorization_url: a,
                        token_url: t,
                        refresh_url: r,
                        scopes: s
                    }),
                    ..Default::default()
                }
            ),
            (arb::url(), maybe(arb::url().boxed()), scopes()).prop_map(|(t, r, s)| OAuthFlows {
                client_credentials: Some(ClientCredentialsOAuthFlow {
                    token_url: t,
                    refresh_url: r,
                    scopes: s
                }),
                ..Default::default()
            }),
            (arb::url(), maybe(arb::url().boxed()), scopes()).prop_map(|(a, r, s)| OAuthFlows {
                implicit: Some(ImplicitOAuthFlow {
                    authorization_url: a,
                    refresh_url: r,
                    scopes: s
                }),
                ..Default::default()
            }),
            (arb::url(), maybe(arb::url().boxed()), scopes()).prop_map(|(t, r, s)| OAuthFlows {
                password: Some(PasswordOAuthFlow {
                    token_url: t,
                    refresh_url: r,
                    scopes: s
                }),
                ..Default::default()
            }),
        ]
    }

    /// Any OAuth flow set, including several or none (0.3 → 1.0 must refuse those).
    pub(super) fn any_flows() -> impl Strategy<Value = OAuthFlows> {
        (
            option::of(flows()),
            option::of(flows()),
            option::of(flows()),
            option::of(flows()),
        )
            .prop_map(|(a, c, i, p)| OAuthFlows {
                authorization_code: a.and_then(|f| f.authorization_code),
                client_credentials: c.and_then(|f| f.client_credentials),
                implicit: i.and_then(|f| f.implicit),
                password: p.and_then(|f| f.password),
            })
    }

    fn scheme() -> impl Strategy<Value = SecurityScheme> {
        prop_oneof![
            (
                arb::text(),
                prop_oneof![
                    Just(ApiKeyLocation::Cookie),
                    Just(ApiKeyLocation::Header),
                    Just(ApiKeyLocation::Query)
                ],
                arb::id()
            )
                .prop_map(|(description, location, name)| SecurityScheme::ApiKey(
                    ApiKeySecurityScheme {
                        description,
                        location,
                        name
                    }
                )),
            (
                arb::text(),
                prop_oneof![Just("bearer"), Just("Basic")],
                maybe(Just("JWT".to_owned()).boxed())
            )
                .prop_map(|(description, scheme, bearer_format)| SecurityScheme::Http(
                    HttpAuthSecurityScheme {
                        description,
                        scheme: scheme.to_owned(),
                        bearer_format
                    }
                )),
            (arb::text(), flows(), maybe(arb::url().boxed())).prop_map(
                |(description, flows, oauth2_metadata_url)| {
                    SecurityScheme::OAuth2(OAuth2SecurityScheme {
                        description,
                        flows,
                        oauth2_metadata_url,
                    })
                }
            ),
            (arb::text(), arb::url()).prop_map(|(description, open_id_connect_url)| {
                SecurityScheme::OpenIdConnect(OpenIdConnectSecurityScheme {
                    description,
                    open_id_connect_url,
                })
            }),
            arb::text().prop_map(|description| SecurityScheme::MutualTls(
                MutualTlsSecurityScheme { description }
            )),
        ]
    }

    fn requirement() -> impl Strategy<Value = SecurityRequirement> {
        btree_map(arb::id(), vec("[a-z:.]{1,8}", 0..3), 1..3)
    }

    pub(super) fn card() -> impl Strategy<Value = AgentCard> {
        let interface = (
            arb::url(),
            prop_oneof![Just("JSONRPC"), Just("GRPC"), Just("HTTP+JSON")],
        )
            .prop_map(|(url, t)| AgentInterface {
                url,
                transport: t.to_owned(),
            })
            .boxed();
        let capabilities = (
            option::of(any::<bool>()),
            option::of(any::<bool>()),
            vec(
                (arb::url(), arb::text(), any::<bool>(), opt_metadata()).prop_map(
                    |(uri, description, required, params)| AgentExtension {
                        uri,
                        description,
                        required,
                        params,
                    },
                ),
                0..2,
            ),
        )
            .prop_map(
                |(streaming, push_notifications, extensions)| AgentCapabilities {
                    streaming,
                    push_notifications,
                    state_transition_history: None,
                    extensions,
                },
            );
        let skill = (
            arb::id(),
            "[A-Za-z ]{1,8}",
            "[A-Za-z ]{1,12}",
            vec(arb::id(), 1..3),
            vec(arb::text(), 0..2),
            vec(requirement(), 0..2),
        )
            .prop_map(
                |(id, name, description, tags, examples, security)| AgentSkill {
                    id,
                    name,
                    description,
                    tags,
                    examples,
                    input_modes: vec!["text/plain".into()],
                    output_modes: vec![],
                    security,
                },
            );
        let signature = ("[A-Za-z0-9_-]{4,12}", "[A-Za-z0-9_-]{4,12}", opt_metadata()).prop_map(
            |(protected, signature, header)| AgentCardSignature {
                protected,
                signature,
                header,
            },
        );
        (
            (
                "[A-Za-z ]{1,12}",
                "[A-Za-z ]{1,24}",
                interface.clone(),
                vec(interface, 0..3),
                "[0-9]\\.[0-9]\\.[0-9]",
            ),
            (
                option::of(arb::url()),
                option::of(arb::url()),
                capabilities,
                btree_map(arb::id(), scheme(), 0..3),
            ),
            (
                vec(requirement(), 0..2),
                vec(skill, 1..3),
                option::of(any::<bool>()),
                vec(signature, 0..2),
            ),
            option::of(
                (arb::url(), "[A-Za-z ]{1,12}")
                    .prop_map(|(url, organization)| AgentProvider { organization, url }),
            ),
        )
            .prop_map(
                |(
                    (name, description, main, additional_interfaces, version),
                    (icon_url, documentation_url, capabilities, security_schemes),
                    (security, skills, supports_authenticated_extended_card, signatures),
                    provider,
                )| AgentCard {
                    protocol_version: PROTOCOL_VERSION.to_owned(),
                    name,
                    description,
                    url: main.url,
                    preferred_transport: main.transport,
                    additional_interfaces,
                    icon_url,
                    provider,
                    version,
                    documentation_url,
                    capabilities,
                    security_schemes,
                    security,
                    default_input_modes: vec!["text/plain".into()],
                    default_output_modes: vec!["text/plain".into(), "application/json".into()],
                    skills,
                    supports_authenticated_extended_card,
                    signatures,
                },
            )
    }

    /// 0.3 params of every method (as the JSON-RPC method name and params), valid by the
    /// 1.0 rules too, and without the `metadata` that 1.0 drops.
    pub(super) fn params() -> impl Strategy<Value = (&'static str, serde_json::Value)> {
        let to = |name: &'static str| move |v: serde_json::Value| (name, v);
        let send = (
            message(),
            option::of(
                (
                    vec("[a-z]{1,5}/[a-z]{1,5}", 0..2),
                    any::<bool>(),
                    option::of(0i32..100),
                    option::of(webhook()),
                )
                    .prop_map(
                        |(
                            accepted_output_modes,
                            blocking,
                            history_length,
                            push_notification_config,
                        )| MessageSendConfiguration {
                            accepted_output_modes,
                            blocking,
                            history_length,
                            push_notification_config,
                        },
                    ),
            ),
            opt_metadata(),
        )
            .prop_map(|(message, configuration, metadata)| {
                json(&MessageSendParams {
                    message,
                    configuration,
                    metadata,
                })
            })
            .boxed();
        prop_oneof![
            send.clone().prop_map(to("message/send")),
            send.prop_map(to("message/stream")),
            (arb::id(), option::of(0i32..50))
                .prop_map(|(id, history_length)| json(&TaskQueryParams {
                    id,
                    history_length,
                    metadata: None
                }))
                .prop_map(to("tasks/get")),
            (arb::id(), opt_metadata())
                .prop_map(|(id, metadata)| json(&TaskIdParams { id, metadata }))
                .prop_map(to("tasks/cancel")),
            arb::id()
                .prop_map(|id| json(&TaskIdParams { id, metadata: None }))
                .prop_map(to("tasks/resubscribe")),
            push_config()
                .prop_map(|c| json(&c))
                .prop_map(to("tasks/pushNotificationConfig/set")),
            (arb::id(), maybe(arb::id().boxed()))
                .prop_map(|(id, c)| json(&GetTaskPushNotificationConfigParams {
                    id,
                    push_notification_config_id: c,
                    metadata: None
                }))
                .prop_map(to("tasks/pushNotificationConfig/get")),
            arb::id()
                .prop_map(|id| json(&ListTaskPushNotificationConfigParams { id, metadata: None }))
                .prop_map(to("tasks/pushNotificationConfig/list")),
            (arb::id(), arb::id())
                .prop_map(|(id, c)| json(&DeleteTaskPushNotificationConfigParams {
                    id,
                    push_notification_config_id: c,
                    metadata: None
                }))
                .prop_map(to("tasks/pushNotificationConfig/delete")),
            Just(serde_json::json!({})).prop_map(to("agent/getAuthenticatedExtendedCard")),
        ]
    }

    fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
        serde_json::to_value(value).unwrap()
    }
}

// ============================================================== property-based round trips

/// Replaces the value at a random path (each step picks a member or an element) by `replacement`.
fn replace_at(v: &mut Value, path: &[prop::sample::Index], replacement: Value) {
    let Some((step, rest)) = path.split_first() else {
        *v = replacement;
        return;
    };
    match v {
        Value::Object(o) if !o.is_empty() => {
            let key = o.keys().nth(step.index(o.len())).unwrap().clone();
            replace_at(o.get_mut(&key).unwrap(), rest, replacement);
        }
        Value::Array(a) if !a.is_empty() => {
            let i = step.index(a.len());
            replace_at(&mut a[i], rest, replacement);
        }
        _ => *v = replacement,
    }
}

/// 1.0 `x` → 0.3 (schema-valid as `def`, and stable through 0.3 JSON) → 1.0 gives `x`
/// back; `Err` is allowed only when `must_convert` is false.
fn check_v1<V1, V03>(def: &str, x: &V1, must_convert: bool) -> Result<(), TestCaseError>
where
    V1: Clone + PartialEq + Debug + TryFrom<V03>,
    <V1 as TryFrom<V03>>::Error: Debug,
    V03: Clone
        + PartialEq
        + Debug
        + TryFrom<V1, Error = ConversionError>
        + serde::Serialize
        + DeserializeOwned,
{
    match V03::try_from(x.clone()) {
        Ok(y) => {
            let json = serde_json::to_value(&y).unwrap();
            assert_valid_v03(def, &json);
            prop_assert_eq!(&from_value::<V03>(json).unwrap(), &y);
            let back = V1::try_from(y).unwrap();
            prop_assert_eq!(&back, x);
        }
        Err(e) => {
            prop_assert!(!must_convert, "{} did not convert: {}", def, e);
            prop_assert_eq!(e.target, "0.3");
            prop_assert!(!e.to_string().is_empty());
        }
    }
    Ok(())
}

/// 0.3 `y` (schema-valid as `def`, stable through JSON) → 1.0 → 0.3 gives `y` back.
fn check_v03<V03, V1>(def: &str, y: &V03) -> Result<(), TestCaseError>
where
    V03: Clone
        + PartialEq
        + Debug
        + TryFrom<V1, Error = ConversionError>
        + serde::Serialize
        + DeserializeOwned,
    V1: TryFrom<V03>,
    <V1 as TryFrom<V03>>::Error: Debug,
{
    let json = serde_json::to_value(y).unwrap();
    assert_valid_v03(def, &json);
    prop_assert_eq!(&from_value::<V03>(json).unwrap(), y);
    let x = V1::try_from(y.clone()).unwrap();
    prop_assert_eq!(&V03::try_from(x).unwrap(), y);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn v1_message_round_trip(m in arb::message()) {
        check_v1::<Message, v03::Message>("Message", &expressible::message(m.clone()), true)?;
        check_v1::<Message, v03::Message>("Message", &m, false)?;
    }

    #[test]
    fn v1_task_round_trip(t in arb::task()) {
        check_v1::<Task, v03::Task>("Task", &expressible::task(t.clone()), true)?;
        check_v1::<Task, v03::Task>("Task", &t, false)?;
    }

    #[test]
    fn v1_send_message_result_round_trip(r in arb::send_message_response()) {
        check_v1::<SendMessageResponse, v03::SendMessageResult>(
            if matches!(r, SendMessageResponse::Task(_)) { "Task" } else { "Message" }, &r, false)?;
        let r = match r {
            SendMessageResponse::Task(t) => SendMessageResponse::Task(expressible::task(t)),
            SendMessageResponse::Message(m) => SendMessageResponse::Message(expressible::message(m)),
        };
        check_v1::<SendMessageResponse, v03::SendMessageResult>(
            if matches!(r, SendMessageResponse::Task(_)) { "Task" } else { "Message" }, &r, true)?;
    }

    #[test]
    fn v1_push_config_round_trip(mut c in arb::push_config()) {
        check_v1::<TaskPushNotificationConfig, v03::TaskPushNotificationConfig>("TaskPushNotificationConfig", &c, c.tenant.is_empty())?;
        c.tenant.clear();
        check_v1::<TaskPushNotificationConfig, v03::TaskPushNotificationConfig>("TaskPushNotificationConfig", &c, true)?;
    }

    #[test]
    fn v1_agent_card_round_trip(c in arb::agent_card()) {
        check_v1::<AgentCard, v03::AgentCard>("AgentCard", &expressible::card(c.clone()), true)?;
        // Anything else converts (as a projection) or fails; never panics.
        if let Ok(card03) = v03::AgentCard::try_from(c.clone()) {
            assert_valid_v03("AgentCard", &serde_json::to_value(&card03).unwrap());
        }
        if let Ok(hybrid) = v03::hybrid_card(&c) {
            prop_assert_eq!(from_value::<AgentCard>(hybrid).unwrap(), c);
        }
    }

    #[test]
    fn v1_stream_events_round_trip(e in arb::stream_response(), last in any::<bool>()) {
        let e = expressible::event(e);
        let response = A2aResponse::StreamEvent { event: e, last };
        let json = response.to_json(ProtocolVersion::V0_3).unwrap();
        assert_valid_result(Method::SendStreamingMessage, &json);
        prop_assert_eq!(v03::decode_result(Method::SubscribeToTask, json).unwrap(), after_round_trip(&response));
    }

    #[test]
    fn v1_responses_round_trip(
        which in 0..7u8,
        task in arb::task(),
        r in arb::send_message_response(),
        c in arb::push_config(),
        l in arb::list_push_configs_response(),
        card in arb::agent_card(),
    ) {
        let (method, response) = match which {
            0 => (Method::GetTask, A2aResponse::Task(expressible::task(task))),
            1 => (Method::CancelTask, A2aResponse::Task(task)),
            2 => (Method::SendMessage, A2aResponse::SendMessage(r)),
            3 => (Method::CreateTaskPushNotificationConfig, A2aResponse::PushConfig(c)),
            4 => (Method::ListTaskPushNotificationConfigs, A2aResponse::PushConfigs(l)),
            5 => (Method::DeleteTaskPushNotificationConfig, A2aResponse::Empty),
            _ => (Method::GetExtendedAgentCard, A2aResponse::AgentCard(expressible::card(card))),
        };
        // Raw arbitrary values may not be expressible: then a ConversionError, never a panic.
        match response.to_json(ProtocolVersion::V0_3) {
            Ok(json) => {
                assert_valid_result(method, &json);
                prop_assert_eq!(v03::decode_result(method, json).unwrap(), after_round_trip(&response));
            }
            Err(e) => prop_assert_eq!(e.target, "0.3"),
        }
    }

    #[test]
    fn v1_requests_round_trip_through_the_wire(r in arb::a2a_request(), id in 0i64..1000) {
        let Some(r) = expressible::request(r.clone()) else {
            // ListTasks: no 0.3 method.
            prop_assert!(v03::request_to_params(&r).is_err());
            return Ok(());
        };
        let (name, params) = v03::request_to_params(&r).unwrap();
        let envelope = body(json!(id), name, Some(params));
        assert_valid_request(&envelope);
        let decoded = decode_body(&envelope).unwrap_or_else(|e| panic!("{:?}\n{envelope:#}", e.error));
        prop_assert_eq!(decoded.version, ProtocolVersion::V0_3);
        prop_assert_eq!(decoded.request, r);
    }

    #[test]
    fn v1_requests_that_0_3_cannot_express_fail_cleanly(r in arb::a2a_request()) {
        if let Ok((name, params)) = v03::request_to_params(&r) {
            let envelope = body(json!(1), name, Some(params));
            assert_valid_request(&envelope);
            prop_assert_eq!(decode_body(&envelope).unwrap().request, r);
        }
    }

    #[test]
    fn v03_message_round_trip(m in strat03::message()) {
        check_v03::<v03::Message, Message>("Message", &m)?;
    }

    #[test]
    fn v03_task_round_trip(t in strat03::task()) {
        check_v03::<v03::Task, Task>("Task", &t)?;
    }

    #[test]
    fn v03_stream_event_round_trip(e in strat03::event()) {
        let json = serde_json::to_value(&e).unwrap();
        assert_valid_result(Method::SendStreamingMessage, &json);
        prop_assert_eq!(&from_value::<v03::StreamEvent>(json.clone()).unwrap(), &e);
        let A2aResponse::StreamEvent { event, last } = v03::decode_result(Method::SendStreamingMessage, json.clone()).unwrap()
        else { panic!("not a stream event") };
        prop_assert_eq!(&v03::StreamEvent::from_v1(event.clone(), last).unwrap(), &e);
        prop_assert_eq!(A2aResponse::StreamEvent { event, last }.to_json(ProtocolVersion::V0_3).unwrap(), json);
    }

    #[test]
    fn v03_push_config_round_trip(c in strat03::push_config()) {
        check_v03::<v03::TaskPushNotificationConfig, TaskPushNotificationConfig>("TaskPushNotificationConfig", &c)?;
    }

    #[test]
    fn v03_agent_card_round_trip(c in strat03::card()) {
        check_v03::<v03::AgentCard, AgentCard>("AgentCard", &c)?;
    }

    #[test]
    fn v03_oauth_flows_convert_only_when_single(f in strat03::any_flows()) {
        let n = [f.authorization_code.is_some(), f.client_credentials.is_some(), f.implicit.is_some(), f.password.is_some()]
            .into_iter().filter(|b| *b).count();
        match OAuthFlows::try_from(f.clone()) {
            Ok(v1) => {
                prop_assert_eq!(n, 1);
                prop_assert_eq!(v03::OAuthFlows::try_from(v1).unwrap(), f);
            }
            Err(e) => {
                prop_assert_ne!(n, 1);
                prop_assert_eq!(e.target, "1.0");
            }
        }
    }

    #[test]
    fn v03_requests_round_trip_through_the_wire((name, params) in strat03::params(), id in "[a-z0-9-]{1,8}") {
        let envelope = body(json!(id), name, Some(params.clone()));
        assert_valid_request(&envelope);
        let decoded = decode_body(&envelope).unwrap_or_else(|e| panic!("{:?}\n{envelope:#}", e.error));
        prop_assert_eq!(decoded.version, ProtocolVersion::V0_3);
        prop_assert_eq!(v03::request_to_params(&decoded.request).unwrap(), (name, params));
    }

    #[test]
    fn v03_timestamps_keep_the_instant(t in arb::timestamp(), offset_minutes in -14 * 60i64..=14 * 60) {
        // Written with an offset (as 0.3 agents may), read back as the same instant in UTC.
        let odt = time::OffsetDateTime::from_unix_timestamp_nanos(
            i128::from(t.seconds()) * 1_000_000_000 + i128::from(t.nanos()),
        ).unwrap();
        let offset = time::UtcOffset::from_whole_seconds(i32::try_from(offset_minutes * 60).unwrap()).unwrap();
        let Ok(text) = odt.to_offset(offset).format(&time::format_description::well_known::Rfc3339) else {
            return Ok(()); // out of the representable year range after the offset
        };
        let task = json!({"kind": "task", "id": "t", "contextId": "c", "status": {"state": "working", "timestamp": text}});
        let A2aResponse::Task(back) = v03::decode_result(Method::GetTask, task).unwrap() else { panic!() };
        prop_assert_eq!(back.status.timestamp, Some(t));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any JSON as the params of any 0.3 method: a typed -32602 naming a field, or a
    /// request; never a panic.
    #[test]
    fn arbitrary_params_never_panic(which in 0..Method::ALL.len(), params in arb::json_value()) {
        let method = Method::ALL[which];
        let Some(name) = method.name_v03() else { return Ok(()) };
        let envelope = body(json!(1), name, Some(params));
        if let Err(rejected) = decode_body(&envelope) {
            prop_assert_eq!(rejected.error.code, ErrorCode::InvalidParams);
            prop_assert!(!rejected.error.violations.is_empty());
            prop_assert!(rejected.error.violations.iter().all(|v| !v.field.is_empty()));
        }
    }

    /// A valid 0.3 request with one value replaced by arbitrary JSON: never a panic, and a
    /// rejection names a field.
    #[test]
    fn mutated_requests_never_panic(
        (name, params) in strat03::params(),
        path in vec(any::<prop::sample::Index>(), 1..6),
        replacement in arb::json_value(),
    ) {
        let mut params = params;
        replace_at(&mut params, &path, replacement);
        if let Err(rejected) = decode_body(&body(json!(1), name, Some(params))) {
            prop_assert_eq!(rejected.error.code, ErrorCode::InvalidParams);
            prop_assert!(!rejected.error.violations.is_empty());
        }
    }

    /// Any JSON as the result of any method: decoded, or a typed error; never a panic.
    #[test]
    fn arbitrary_results_never_panic(which in 0..Method::ALL.len(), result in arb::json_value()) {
        let _ = v03::decode_result(Method::ALL[which], result);
    }
}
