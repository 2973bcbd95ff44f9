//! Property-based round trips of every type: value → JSON → value, JSON → value → JSON,
//! and every JSON we write validates against the official 1.0 schema.

use crate::support::assert_valid_v1;
use a2agw_types::arbitrary as arb;
use a2agw_types::*;
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;

/// `value` → JSON (schema-valid as `def`, when given) → value is the identity, and
/// re-serializing gives the same JSON.
fn check<T: Serialize + DeserializeOwned + PartialEq + Debug>(def: Option<&str>, value: &T) {
    let json = serde_json::to_value(value).unwrap();
    if let Some(def) = def {
        assert_valid_v1(def, &json);
    }
    let text = serde_json::to_string(value).unwrap();
    let back: T = from_json(text.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(&back, value, "value changed through JSON {text}");
    assert_eq!(
        serde_json::to_value(&back).unwrap(),
        json,
        "JSON changed through the type"
    );
}

fn valid<T: Validate + Debug>(v: &T) {
    v.validate()
        .unwrap_or_else(|e| panic!("generated value is invalid: {e}\n{v:?}"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn part(p in arb::part()) { check(Some("Part"), &p) }

    #[test]
    fn message(m in arb::message()) { valid(&m); check(Some("Message"), &m) }

    #[test]
    fn task(t in arb::task()) { valid(&t); check(Some("Task"), &t) }

    #[test]
    fn task_status(s in arb::task_status()) { check(Some("TaskStatus"), &s) }

    #[test]
    fn artifact(a in arb::artifact()) { valid(&a); check(Some("Artifact"), &a) }

    #[test]
    fn stream_response(e in arb::stream_response()) { valid(&e); check(Some("StreamResponse"), &e) }

    #[test]
    fn send_message_response(r in arb::send_message_response()) { check(Some("SendMessageResponse"), &r) }

    #[test]
    fn status_update(e in arb::status_update()) { check(Some("TaskStatusUpdateEvent"), &e) }

    #[test]
    fn artifact_update(e in arb::artifact_update()) { check(Some("TaskArtifactUpdateEvent"), &e) }

    #[test]
    fn push_config(c in arb::push_config()) { valid(&c); check(Some("TaskPushNotificationConfig"), &c) }

    #[test]
    fn agent_card(c in arb::agent_card()) { valid(&c); check(Some("AgentCard"), &c) }

    #[test]
    fn security_scheme(s in arb::security_scheme()) { check(Some("SecurityScheme"), &s) }

    #[test]
    fn list_tasks_response(r in arb::list_tasks_response()) { check(Some("ListTasksResponse"), &r) }

    #[test]
    fn list_push_configs_response(r in arb::list_push_configs_response()) {
        check(Some("ListTaskPushNotificationConfigsResponse"), &r)
    }

    #[test]
    fn timestamp(t in arb::timestamp()) {
        let s = t.to_string();
        prop_assert!(s.ends_with('Z'));
        prop_assert_eq!(Timestamp::parse(&s).unwrap(), t);
        check(Some("Timestamp"), &t);
    }

    /// Every request: its params JSON validates against the request message's schema and
    /// decodes back, through `A2aRequest::from_params`, to the same request.
    #[test]
    fn request_params(r in arb::a2a_request()) {
        let params = r.params_json();
        let def = match r.method() {
            Method::SendMessage | Method::SendStreamingMessage => "SendMessageRequest",
            Method::GetTask => "GetTaskRequest",
            Method::ListTasks => "ListTasksRequest",
            Method::CancelTask => "CancelTaskRequest",
            Method::SubscribeToTask => "SubscribeToTaskRequest",
            Method::CreateTaskPushNotificationConfig => "TaskPushNotificationConfig",
            Method::GetTaskPushNotificationConfig => "GetTaskPushNotificationConfigRequest",
            Method::ListTaskPushNotificationConfigs => "ListTaskPushNotificationConfigsRequest",
            Method::DeleteTaskPushNotificationConfig => "DeleteTaskPushNotificationConfigRequest",
            Method::GetExtendedAgentCard => "GetExtendedAgentCardRequest",
        };
        assert_valid_v1(def, &params);
        let back = A2aRequest::from_params(r.method(), Some(params)).unwrap();
        prop_assert_eq!(back, r);
    }

    /// A full JSON-RPC request text decodes to the same typed request.
    #[test]
    fn jsonrpc_request(r in arb::a2a_request(), id in prop_oneof![Just(RequestId::Null), any::<i64>().prop_map(RequestId::from), "[a-z0-9]{1,8}".prop_map(RequestId::String)]) {
        let req = JsonRpcRequest::new(id.clone(), r.method().name(), r.params_json());
        let body = serde_json::to_vec(&req).unwrap();
        let decoded = decode_request(&body).unwrap();
        prop_assert_eq!(decoded.id, id);
        prop_assert_eq!(decoded.version, ProtocolVersion::V1_0);
        prop_assert_eq!(decoded.request, r);
    }
}
