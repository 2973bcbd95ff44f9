//! Conversions between `a2agw_types` and the generated `lf.a2a.v1` messages.
//!
//! - `roundtrip`: types → proto → bytes → proto → types is the identity, and
//!   so is bytes → proto → types → proto → bytes, byte for byte (proto maps are
//!   generated as `BTreeMap`, so encoding is deterministic).
//! - `parity`: the JSON our serde writes is the canonical ProtoJSON that
//!   prost-reflect writes for the converted message, after the normalizations
//!   documented on [`normalize_reference`]; and prost-reflect's JSON reads
//!   back with our serde into the same value.
//! - `malformed`: any bytes decode-and-convert without panicking; unset
//!   oneofs, unknown enum numbers, bad timestamps and non-finite numbers give
//!   the documented `ConvertError`, with the field's path.
//! - `status`: `A2aError` ↔ `google.rpc.Status` details.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::LazyLock;

use a2agw_proto::{ConvertError, v1};
use a2agw_types::arbitrary as arb;
use a2agw_types::{self as t, A2aRequest};
use proptest::prelude::*;
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, ExtensionDescriptor, Kind, MessageDescriptor};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value as Json, json};

// ---------------------------------------------------------------------------
// Strategies for the types that `a2agw_types::arbitrary` only produces inside
// bigger values.

fn request<T: Debug + Clone + 'static>(
    pick: fn(A2aRequest) -> Option<T>,
) -> impl Strategy<Value = T> {
    arb::a2a_request().prop_filter_map("other request kind", pick)
}

fn any_send_message_configuration() -> impl Strategy<Value = t::SendMessageConfiguration> {
    arb::send_message_request().prop_filter_map("no configuration", |r| r.configuration)
}

fn any_get_task_request() -> impl Strategy<Value = t::GetTaskRequest> {
    request(|r| match r {
        A2aRequest::GetTask(x) => Some(x),
        _ => None,
    })
}

fn any_list_tasks_request() -> impl Strategy<Value = t::ListTasksRequest> {
    request(|r| match r {
        A2aRequest::ListTasks(x) => Some(x),
        _ => None,
    })
}

fn any_cancel_task_request() -> impl Strategy<Value = t::CancelTaskRequest> {
    request(|r| match r {
        A2aRequest::CancelTask(x) => Some(x),
        _ => None,
    })
}

fn any_subscribe_to_task_request() -> impl Strategy<Value = t::SubscribeToTaskRequest> {
    request(|r| match r {
        A2aRequest::SubscribeToTask(x) => Some(x),
        _ => None,
    })
}

fn any_get_push_config_request() -> impl Strategy<Value = t::GetTaskPushNotificationConfigRequest> {
    request(|r| match r {
        A2aRequest::GetTaskPushNotificationConfig(x) => Some(x),
        _ => None,
    })
}

fn any_delete_push_config_request()
-> impl Strategy<Value = t::DeleteTaskPushNotificationConfigRequest> {
    request(|r| match r {
        A2aRequest::DeleteTaskPushNotificationConfig(x) => Some(x),
        _ => None,
    })
}

fn any_list_push_configs_request()
-> impl Strategy<Value = t::ListTaskPushNotificationConfigsRequest> {
    request(|r| match r {
        A2aRequest::ListTaskPushNotificationConfigs(x) => Some(x),
        _ => None,
    })
}

fn any_get_extended_card_request() -> impl Strategy<Value = t::GetExtendedAgentCardRequest> {
    request(|r| match r {
        A2aRequest::GetExtendedAgentCard(x) => Some(x),
        _ => None,
    })
}

fn any_agent_provider() -> impl Strategy<Value = t::AgentProvider> {
    arb::agent_card().prop_filter_map("no provider", |c| c.provider)
}

fn any_agent_extension() -> impl Strategy<Value = t::AgentExtension> {
    arb::capabilities().prop_filter_map("no extension", |c| c.extensions.into_iter().next())
}

fn any_agent_card_signature() -> impl Strategy<Value = t::AgentCardSignature> {
    arb::agent_card().prop_filter_map("no signature", |c| c.signatures.into_iter().next())
}

fn any_string_list() -> impl Strategy<Value = t::StringList> {
    arb::security_requirement().prop_filter_map("no scheme", |r| r.schemes.into_values().next())
}

fn scheme<T: Debug + Clone + 'static>(
    pick: fn(t::SecurityScheme) -> Option<T>,
) -> impl Strategy<Value = T> {
    arb::security_scheme().prop_filter_map("other scheme kind", pick)
}

fn flow<T: Debug + Clone + 'static>(
    pick: fn(t::OAuthFlows) -> Option<T>,
) -> impl Strategy<Value = T> {
    arb::oauth_flows().prop_filter_map("other flow kind", pick)
}

// ---------------------------------------------------------------------------
// Descriptors.

static POOL: LazyLock<DescriptorPool> = LazyLock::new(|| {
    DescriptorPool::decode(a2agw_proto::FILE_DESCRIPTOR_SET).expect("FILE_DESCRIPTOR_SET decodes")
});

static FIELD_BEHAVIOR: LazyLock<ExtensionDescriptor> = LazyLock::new(|| {
    POOL.get_extension_by_name("google.api.field_behavior")
        .expect("google.api.field_behavior is in the descriptor set")
});

fn descriptor(name: &str) -> MessageDescriptor {
    POOL.get_message_by_name(&format!("lf.a2a.v1.{name}"))
        .unwrap_or_else(|| panic!("lf.a2a.v1.{name} not in the descriptor set"))
}

/// `[(google.api.field_behavior) = REQUIRED]`.
fn is_required(field: &prost_reflect::FieldDescriptor) -> bool {
    const REQUIRED: i32 = 2;
    let options = field.options();
    options.has_extension(&FIELD_BEHAVIOR)
        && options
            .get_extension(&FIELD_BEHAVIOR)
            .as_list()
            .is_some_and(|l| l.iter().any(|v| v.as_enum_number() == Some(REQUIRED)))
}

// ---------------------------------------------------------------------------
// Checks.

/// types → proto → bytes → proto → types == original, and
/// bytes → proto → types → proto → bytes == bytes.
fn check_roundtrip<T, P>(value: &T, name: &str) -> Result<(), TestCaseError>
where
    T: Clone + PartialEq + Debug + TryFrom<P, Error = ConvertError>,
    P: From<T> + prost::Message + Default + PartialEq,
{
    let bytes = P::from(value.clone()).encode_to_vec();
    let decoded = P::decode(bytes.as_slice()).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back = T::try_from(decoded).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, value, "types → proto → bytes → proto → types");

    let again = P::from(back).encode_to_vec();
    prop_assert!(
        again == bytes,
        "bytes → proto → types → proto → bytes differ for {}",
        name
    );
    Ok(())
}

/// Our serde JSON == prost-reflect's ProtoJSON of the converted message
/// (after [`normalize_reference`]), and prost-reflect's JSON reads back.
fn check_parity<T, P>(value: &T, name: &str) -> Result<(), TestCaseError>
where
    T: Clone + PartialEq + Debug + Serialize + DeserializeOwned + TryFrom<P, Error = ConvertError>,
    P: From<T> + prost::Message + Default + PartialEq,
{
    let desc = descriptor(name);
    let proto = P::from(value.clone());
    let dynamic = DynamicMessage::decode(desc.clone(), proto.encode_to_vec().as_slice())
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let reference =
        serde_json::to_value(&dynamic).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let ours = serde_json::to_value(value).map_err(|e| TestCaseError::fail(e.to_string()))?;

    let mut normalized = reference.clone();
    normalize_reference(&mut normalized, &desc);
    prop_assert_eq!(
        canonical(&ours),
        canonical(&normalized),
        "our JSON (left) differs from prost-reflect's ProtoJSON of {} (right, normalized)",
        name
    );

    // Reverse: prost-reflect's JSON, as written, reads into the same value
    // (numbers compared as the proto `double`s they are), and the normalized
    // JSON into exactly the same value.
    let read: T = serde_json::from_value(reference.clone())
        .map_err(|e| TestCaseError::fail(format!("reading {reference}: {e}")))?;
    prop_assert!(
        P::from(read) == proto,
        "prost-reflect's JSON reads differently: {}",
        reference
    );
    let read: T = serde_json::from_value(normalized.clone())
        .map_err(|e| TestCaseError::fail(format!("reading {normalized}: {e}")))?;
    prop_assert_eq!(&read, value);
    Ok(())
}

/// Brings prost-reflect's ProtoJSON to the form our serde writes, in exactly
/// three documented respects (anything else that differs is a finding):
///
/// 1. REQUIRED fields (`google.api.field_behavior`) holding a default value:
///    the spec (§5.7) makes us always write them; plain ProtoJSON omits them.
///    A missing REQUIRED scalar, enum, repeated or map field is inserted with
///    its default (`""`, `0`, `false`, the enum's zero name, `[]`, `{}`).
/// 2. Timestamps: ProtoJSON writes 0, 3, 6 or 9 fractional digits; we always
///    write at least 3 (`…:00.000Z`). Each timestamp is parsed and re-printed
///    in our form (the instant is compared, not the spelling).
/// 3. Integral numbers in `Struct`/`Value`: prost-reflect writes a `double`
///    through serde_json, so `2.0` comes out as `2.0`, where protobuf C++ and
///    Go print `2`, as we do (both are valid ProtoJSON; ours is what makes
///    JSON → proto → JSON the identity on integers). Inside `Struct` and
///    `Value` only, an integral float within ±2^53 becomes an integer.
///    This is prost-reflect's spelling, not a difference in our types.
///
/// Known intentional difference that no normalization covers (and the
/// arbitrary values avoid): `Task.artifacts: Some(vec![])` is written
/// `"artifacts": []` by us (ListTasks with `includeArtifacts`), which protobuf
/// cannot express; see `parity::empty_artifacts_only_in_our_json`.
fn normalize_reference(json: &mut Json, desc: &MessageDescriptor) {
    match desc.full_name() {
        "google.protobuf.Timestamp" => {
            if let Json::String(s) = json {
                *s = t::Timestamp::parse(s)
                    .unwrap_or_else(|e| panic!("prost-reflect wrote a bad timestamp: {e}"))
                    .to_string();
            }
            return;
        }
        "google.protobuf.Struct" | "google.protobuf.Value" | "google.protobuf.ListValue" => {
            integral_floats_to_integers(json);
            return;
        }
        _ => {}
    }
    let Json::Object(obj) = json else {
        return;
    };
    for field in desc.fields() {
        let message_kind = match field.kind() {
            Kind::Message(m) => Some(m),
            _ => None,
        };
        match obj.get_mut(field.json_name()) {
            Some(child) => {
                if field.is_map() {
                    let value_desc = message_kind
                        .expect("map fields are messages")
                        .map_entry_value_field();
                    if let (Kind::Message(m), Json::Object(entries)) = (value_desc.kind(), child) {
                        for v in entries.values_mut() {
                            normalize_reference(v, &m);
                        }
                    }
                } else if field.is_list() {
                    if let (Some(m), Json::Array(items)) = (&message_kind, child) {
                        for v in items {
                            normalize_reference(v, m);
                        }
                    }
                } else if let Some(m) = &message_kind {
                    normalize_reference(child, m);
                }
            }
            None if is_required(&field) => {
                let default = if field.is_map() {
                    json!({})
                } else if field.is_list() {
                    json!([])
                } else {
                    match field.kind() {
                        Kind::String | Kind::Bytes => json!(""),
                        Kind::Bool => json!(false),
                        Kind::Enum(e) => json!(e.default_value().name()),
                        // A missing REQUIRED message is not normalized: our
                        // converted messages always set them.
                        Kind::Message(_) => continue,
                        _ => json!(0),
                    }
                };
                obj.insert(field.json_name().to_owned(), default);
            }
            None => {}
        }
    }
}

fn integral_floats_to_integers(json: &mut Json) {
    const MAX_SAFE: f64 = 9_007_199_254_740_992.0;
    match json {
        Json::Number(n) if !n.is_i64() && !n.is_u64() => {
            let f = n.as_f64().expect("finite");
            if f.fract() == 0.0 && f.abs() <= MAX_SAFE {
                *json = json!(f as i64);
            }
        }
        Json::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        Json::Object(map) => map.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

/// Compact JSON with every object's keys sorted (member order is not
/// significant in JSON; everything else, number spelling included, is).
fn canonical(json: &Json) -> String {
    fn sort(json: &Json) -> Json {
        match json {
            Json::Object(map) => {
                let sorted: BTreeMap<&String, Json> =
                    map.iter().map(|(k, v)| (k, sort(v))).collect();
                Json::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Json::Array(items) => Json::Array(items.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_string(&sort(json)).expect("JSON value serializes")
}

// ---------------------------------------------------------------------------
// One property per type and check.

/// Cases per property: `PROPTEST_CASES`, else 64 (there are ~90 of them).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64)
}

macro_rules! per_type {
    ($check:ident) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(cases()))]

            #[test] fn task(v in arb::task()) { $check::<t::Task, v1::Task>(&v, "Task")?; }
            #[test] fn task_status(v in arb::task_status()) { $check::<t::TaskStatus, v1::TaskStatus>(&v, "TaskStatus")?; }
            #[test] fn message(v in arb::message()) { $check::<t::Message, v1::Message>(&v, "Message")?; }
            #[test] fn part(v in arb::part()) { $check::<t::Part, v1::Part>(&v, "Part")?; }
            #[test] fn artifact(v in arb::artifact()) { $check::<t::Artifact, v1::Artifact>(&v, "Artifact")?; }
            #[test] fn status_update(v in arb::status_update()) { $check::<t::TaskStatusUpdateEvent, v1::TaskStatusUpdateEvent>(&v, "TaskStatusUpdateEvent")?; }
            #[test] fn artifact_update(v in arb::artifact_update()) { $check::<t::TaskArtifactUpdateEvent, v1::TaskArtifactUpdateEvent>(&v, "TaskArtifactUpdateEvent")?; }
            #[test] fn stream_response(v in arb::stream_response()) { $check::<t::StreamResponse, v1::StreamResponse>(&v, "StreamResponse")?; }
            #[test] fn send_message_response(v in arb::send_message_response()) { $check::<t::SendMessageResponse, v1::SendMessageResponse>(&v, "SendMessageResponse")?; }
            #[test] fn send_message_request(v in arb::send_message_request()) { $check::<t::SendMessageRequest, v1::SendMessageRequest>(&v, "SendMessageRequest")?; }
            #[test] fn send_message_configuration(v in any_send_message_configuration()) { $check::<t::SendMessageConfiguration, v1::SendMessageConfiguration>(&v, "SendMessageConfiguration")?; }
            #[test] fn get_task_request(v in any_get_task_request()) { $check::<t::GetTaskRequest, v1::GetTaskRequest>(&v, "GetTaskRequest")?; }
            #[test] fn list_tasks_request(v in any_list_tasks_request()) { $check::<t::ListTasksRequest, v1::ListTasksRequest>(&v, "ListTasksRequest")?; }
            #[test] fn list_tasks_response(v in arb::list_tasks_response()) { $check::<t::ListTasksResponse, v1::ListTasksResponse>(&v, "ListTasksResponse")?; }
            #[test] fn cancel_task_request(v in any_cancel_task_request()) { $check::<t::CancelTaskRequest, v1::CancelTaskRequest>(&v, "CancelTaskRequest")?; }
            #[test] fn subscribe_to_task_request(v in any_subscribe_to_task_request()) { $check::<t::SubscribeToTaskRequest, v1::SubscribeToTaskRequest>(&v, "SubscribeToTaskRequest")?; }
            #[test] fn push_config(v in arb::push_config()) { $check::<t::TaskPushNotificationConfig, v1::TaskPushNotificationConfig>(&v, "TaskPushNotificationConfig")?; }
            #[test] fn authentication_info(v in arb::authentication_info()) { $check::<t::AuthenticationInfo, v1::AuthenticationInfo>(&v, "AuthenticationInfo")?; }
            #[test] fn get_push_config_request(v in any_get_push_config_request()) { $check::<t::GetTaskPushNotificationConfigRequest, v1::GetTaskPushNotificationConfigRequest>(&v, "GetTaskPushNotificationConfigRequest")?; }
            #[test] fn delete_push_config_request(v in any_delete_push_config_request()) { $check::<t::DeleteTaskPushNotificationConfigRequest, v1::DeleteTaskPushNotificationConfigRequest>(&v, "DeleteTaskPushNotificationConfigRequest")?; }
            #[test] fn list_push_configs_request(v in any_list_push_configs_request()) { $check::<t::ListTaskPushNotificationConfigsRequest, v1::ListTaskPushNotificationConfigsRequest>(&v, "ListTaskPushNotificationConfigsRequest")?; }
            #[test] fn list_push_configs_response(v in arb::list_push_configs_response()) { $check::<t::ListTaskPushNotificationConfigsResponse, v1::ListTaskPushNotificationConfigsResponse>(&v, "ListTaskPushNotificationConfigsResponse")?; }
            #[test] fn get_extended_card_request(v in any_get_extended_card_request()) { $check::<t::GetExtendedAgentCardRequest, v1::GetExtendedAgentCardRequest>(&v, "GetExtendedAgentCardRequest")?; }
            #[test] fn agent_card(v in arb::agent_card()) { $check::<t::AgentCard, v1::AgentCard>(&v, "AgentCard")?; }
            #[test] fn agent_interface(v in arb::agent_interface()) { $check::<t::AgentInterface, v1::AgentInterface>(&v, "AgentInterface")?; }
            #[test] fn agent_provider(v in any_agent_provider()) { $check::<t::AgentProvider, v1::AgentProvider>(&v, "AgentProvider")?; }
            #[test] fn agent_capabilities(v in arb::capabilities()) { $check::<t::AgentCapabilities, v1::AgentCapabilities>(&v, "AgentCapabilities")?; }
            #[test] fn agent_extension(v in any_agent_extension()) { $check::<t::AgentExtension, v1::AgentExtension>(&v, "AgentExtension")?; }
            #[test] fn agent_skill(v in arb::agent_skill()) { $check::<t::AgentSkill, v1::AgentSkill>(&v, "AgentSkill")?; }
            #[test] fn agent_card_signature(v in any_agent_card_signature()) { $check::<t::AgentCardSignature, v1::AgentCardSignature>(&v, "AgentCardSignature")?; }
            #[test] fn security_scheme(v in arb::security_scheme()) { $check::<t::SecurityScheme, v1::SecurityScheme>(&v, "SecurityScheme")?; }
            #[test] fn api_key_scheme(v in scheme(|s| match s { t::SecurityScheme::ApiKeySecurityScheme(x) => Some(x), _ => None })) { $check::<t::ApiKeySecurityScheme, v1::ApiKeySecurityScheme>(&v, "APIKeySecurityScheme")?; }
            #[test] fn http_auth_scheme(v in scheme(|s| match s { t::SecurityScheme::HttpAuthSecurityScheme(x) => Some(x), _ => None })) { $check::<t::HttpAuthSecurityScheme, v1::HttpAuthSecurityScheme>(&v, "HTTPAuthSecurityScheme")?; }
            #[test] fn oauth2_scheme(v in scheme(|s| match s { t::SecurityScheme::Oauth2SecurityScheme(x) => Some(x), _ => None })) { $check::<t::OAuth2SecurityScheme, v1::OAuth2SecurityScheme>(&v, "OAuth2SecurityScheme")?; }
            #[test] fn open_id_connect_scheme(v in scheme(|s| match s { t::SecurityScheme::OpenIdConnectSecurityScheme(x) => Some(x), _ => None })) { $check::<t::OpenIdConnectSecurityScheme, v1::OpenIdConnectSecurityScheme>(&v, "OpenIdConnectSecurityScheme")?; }
            #[test] fn mtls_scheme(v in scheme(|s| match s { t::SecurityScheme::MtlsSecurityScheme(x) => Some(x), _ => None })) { $check::<t::MutualTlsSecurityScheme, v1::MutualTlsSecurityScheme>(&v, "MutualTlsSecurityScheme")?; }
            #[test] fn oauth_flows(v in arb::oauth_flows()) { $check::<t::OAuthFlows, v1::OAuthFlows>(&v, "OAuthFlows")?; }
            #[test] fn authorization_code_flow(v in flow(|f| match f { t::OAuthFlows::AuthorizationCode(x) => Some(x), _ => None })) { $check::<t::AuthorizationCodeOAuthFlow, v1::AuthorizationCodeOAuthFlow>(&v, "AuthorizationCodeOAuthFlow")?; }
            #[test] fn client_credentials_flow(v in flow(|f| match f { t::OAuthFlows::ClientCredentials(x) => Some(x), _ => None })) { $check::<t::ClientCredentialsOAuthFlow, v1::ClientCredentialsOAuthFlow>(&v, "ClientCredentialsOAuthFlow")?; }
            #[test] fn implicit_flow(v in flow(|f| match f { t::OAuthFlows::Implicit(x) => Some(x), _ => None })) { $check::<t::ImplicitOAuthFlow, v1::ImplicitOAuthFlow>(&v, "ImplicitOAuthFlow")?; }
            #[test] fn password_flow(v in flow(|f| match f { t::OAuthFlows::Password(x) => Some(x), _ => None })) { $check::<t::PasswordOAuthFlow, v1::PasswordOAuthFlow>(&v, "PasswordOAuthFlow")?; }
            #[test] fn device_code_flow(v in flow(|f| match f { t::OAuthFlows::DeviceCode(x) => Some(x), _ => None })) { $check::<t::DeviceCodeOAuthFlow, v1::DeviceCodeOAuthFlow>(&v, "DeviceCodeOAuthFlow")?; }
            #[test] fn security_requirement(v in arb::security_requirement()) { $check::<t::SecurityRequirement, v1::SecurityRequirement>(&v, "SecurityRequirement")?; }
            #[test] fn string_list(v in any_string_list()) { $check::<t::StringList, v1::StringList>(&v, "StringList")?; }
        }
    };
}

mod roundtrip {
    use super::*;

    per_type!(check_roundtrip);

    #[test]
    fn enums_map_one_to_one() {
        for s in t::TaskState::ALL {
            let p = v1::TaskState::from(*s);
            assert_eq!(p as i32, s.number());
            assert_eq!(p.as_str_name(), s.as_str());
            assert_eq!(t::TaskState::from(p), *s);
        }
        for r in t::Role::ALL {
            let p = v1::Role::from(*r);
            assert_eq!(p as i32, r.number());
            assert_eq!(p.as_str_name(), r.as_str());
            assert_eq!(t::Role::from(p), *r);
        }
    }

    /// Default values, where the types have them (REQUIRED fields empty).
    #[test]
    fn defaults() {
        check_roundtrip::<t::Task, v1::Task>(&t::Task::default(), "Task").unwrap();
        check_roundtrip::<t::Message, v1::Message>(&t::Message::default(), "Message").unwrap();
        check_roundtrip::<t::AgentCard, v1::AgentCard>(&t::AgentCard::default(), "AgentCard")
            .unwrap();
        check_roundtrip::<t::SendMessageRequest, v1::SendMessageRequest>(
            &t::SendMessageRequest::default(),
            "SendMessageRequest",
        )
        .unwrap();
    }

    #[test]
    fn empty_artifacts_become_absent() {
        let task = t::Task {
            artifacts: Some(vec![]),
            ..t::Task::default()
        };
        let back = t::Task::try_from(v1::Task::from(task)).unwrap();
        assert_eq!(back.artifacts, None);
    }

    #[test]
    fn absent_required_messages_read_as_defaults() {
        assert_eq!(
            t::Task::try_from(v1::Task::default()).unwrap().status,
            t::TaskStatus::default()
        );
        assert_eq!(
            t::TaskStatusUpdateEvent::try_from(v1::TaskStatusUpdateEvent::default())
                .unwrap()
                .status,
            t::TaskStatus::default()
        );
        assert_eq!(
            t::TaskArtifactUpdateEvent::try_from(v1::TaskArtifactUpdateEvent::default())
                .unwrap()
                .artifact,
            t::Artifact::default()
        );
        assert_eq!(
            t::SendMessageRequest::try_from(v1::SendMessageRequest::default())
                .unwrap()
                .message,
            t::Message::default()
        );
        assert_eq!(
            t::AgentCard::try_from(v1::AgentCard::default())
                .unwrap()
                .capabilities,
            t::AgentCapabilities::default()
        );
    }

    #[test]
    fn struct_numbers() {
        use a2agw_proto::{json_to_value, value_to_json};
        let max = 9_007_199_254_740_992_i64; // 2^53
        for j in [
            json!(0),
            json!(-1),
            json!(max),
            json!(-max),
            json!(0.5),
            json!(-1e-300),
            json!(1e300),
            json!({"a": [1, 2.5, null, true, "x", {"b": []}]}),
        ] {
            assert_eq!(value_to_json(json_to_value(j.clone())).unwrap(), j, "{j}");
        }
        let num = |n: f64| prost_types::Value {
            kind: Some(prost_types::value::Kind::NumberValue(n)),
        };
        // Integral doubles within ±2^53 are JSON integers; beyond, floats.
        assert!(value_to_json(num(2.0)).unwrap().is_i64());
        assert!(value_to_json(num(-(max as f64))).unwrap().is_i64());
        assert!(value_to_json(num(-0.0)).unwrap().is_i64());
        assert!(value_to_json(num(2.0 * max as f64)).unwrap().is_f64());
        assert!(value_to_json(num(0.25)).unwrap().is_f64());
        // A Value without kind is null.
        assert_eq!(
            value_to_json(prost_types::Value { kind: None }).unwrap(),
            Json::Null
        );
    }
}

mod parity {
    use super::*;

    per_type!(check_parity);

    /// Default values exercise normalization 1 (REQUIRED fields holding defaults).
    #[test]
    fn defaults() {
        check_parity::<t::Task, v1::Task>(&t::Task::default(), "Task").unwrap();
        check_parity::<t::TaskStatus, v1::TaskStatus>(&t::TaskStatus::default(), "TaskStatus")
            .unwrap();
        // Whole seconds: normalization 2.
        let epoch = t::Timestamp::new(0, 0).unwrap();
        check_parity::<t::TaskStatus, v1::TaskStatus>(
            &t::TaskStatus {
                timestamp: Some(epoch),
                ..t::TaskStatus::default()
            },
            "TaskStatus",
        )
        .unwrap();
        check_parity::<t::ListTasksRequest, v1::ListTasksRequest>(
            &t::ListTasksRequest {
                status_timestamp_after: Some(epoch),
                ..t::ListTasksRequest::default()
            },
            "ListTasksRequest",
        )
        .unwrap();
        check_parity::<t::Message, v1::Message>(&t::Message::default(), "Message").unwrap();
        check_parity::<t::Part, v1::Part>(&t::Part::default(), "Part").unwrap();
        check_parity::<t::Artifact, v1::Artifact>(&t::Artifact::default(), "Artifact").unwrap();
        check_parity::<t::TaskStatusUpdateEvent, v1::TaskStatusUpdateEvent>(
            &t::TaskStatusUpdateEvent::default(),
            "TaskStatusUpdateEvent",
        )
        .unwrap();
        check_parity::<t::TaskArtifactUpdateEvent, v1::TaskArtifactUpdateEvent>(
            &t::TaskArtifactUpdateEvent::default(),
            "TaskArtifactUpdateEvent",
        )
        .unwrap();
        check_parity::<t::SendMessageRequest, v1::SendMessageRequest>(
            &t::SendMessageRequest::default(),
            "SendMessageRequest",
        )
        .unwrap();
        check_parity::<t::ListTasksRequest, v1::ListTasksRequest>(
            &t::ListTasksRequest::default(),
            "ListTasksRequest",
        )
        .unwrap();
        check_parity::<t::ListTasksResponse, v1::ListTasksResponse>(
            &t::ListTasksResponse::default(),
            "ListTasksResponse",
        )
        .unwrap();
        check_parity::<t::GetTaskRequest, v1::GetTaskRequest>(
            &t::GetTaskRequest::default(),
            "GetTaskRequest",
        )
        .unwrap();
        check_parity::<t::TaskPushNotificationConfig, v1::TaskPushNotificationConfig>(
            &t::TaskPushNotificationConfig::default(),
            "TaskPushNotificationConfig",
        )
        .unwrap();
        check_parity::<t::AgentCard, v1::AgentCard>(&t::AgentCard::default(), "AgentCard").unwrap();
        check_parity::<t::AgentSkill, v1::AgentSkill>(&t::AgentSkill::default(), "AgentSkill")
            .unwrap();
        check_parity::<t::AuthorizationCodeOAuthFlow, v1::AuthorizationCodeOAuthFlow>(
            &t::AuthorizationCodeOAuthFlow::default(),
            "AuthorizationCodeOAuthFlow",
        )
        .unwrap();
        check_parity::<t::SecurityRequirement, v1::SecurityRequirement>(
            &t::SecurityRequirement::default(),
            "SecurityRequirement",
        )
        .unwrap();
        check_parity::<t::StringList, v1::StringList>(&t::StringList::default(), "StringList")
            .unwrap();
    }

    /// Values outside what the strategies produce: extreme numbers, control
    /// and non-BMP characters, bytes that need padding, empty oneof members.
    #[test]
    fn edge_values() {
        let data = json!({
            "big": 1e300, "tiny": -1e-300, "frac": -12345.678, "max": 9_007_199_254_740_992_i64,
            "s": "\u{0}\u{1f}\u{7f}\u{2028}\"\\/\u{1F600}", "": null, "nested": [[], {}, [null]]
        });
        let parts = vec![
            t::Part::data(data),
            t::Part::data(Json::Null),
            t::Part::data(json!([])),
            t::Part::text(""),
            t::Part::text("\u{0}\n\u{1F600}"),
            t::Part::raw(Vec::new()),
            t::Part::raw(vec![0xff]),
            t::Part::raw(vec![0xfb, 0xff, 0xbf]),
            t::Part::url(""),
        ];
        for part in parts {
            check_parity::<t::Part, v1::Part>(&part, "Part").unwrap();
            check_roundtrip::<t::Part, v1::Part>(&part, "Part").unwrap();
        }
        let task = t::Task {
            metadata: Some(t::Metadata::new()),
            history: vec![t::Message {
                metadata: Some(t::Metadata::new()),
                ..t::Message::default()
            }],
            ..t::Task::default()
        };
        check_parity::<t::Task, v1::Task>(&task, "Task").unwrap();
        let req = t::ListTasksRequest {
            page_size: Some(0),
            history_length: Some(0),
            include_artifacts: Some(false),
            ..t::ListTasksRequest::default()
        };
        check_parity::<t::ListTasksRequest, v1::ListTasksRequest>(&req, "ListTasksRequest")
            .unwrap();
        let caps = t::AgentCapabilities {
            streaming: Some(false),
            push_notifications: Some(false),
            extended_agent_card: Some(false),
            extensions: vec![t::AgentExtension::default()],
        };
        check_parity::<t::AgentCapabilities, v1::AgentCapabilities>(&caps, "AgentCapabilities")
            .unwrap();
    }

    /// `Some(vec![])` artifacts: ours `"artifacts": []`, protobuf cannot say it.
    #[test]
    fn empty_artifacts_only_in_our_json() {
        let task = t::Task {
            artifacts: Some(vec![]),
            ..t::Task::default()
        };
        let ours = serde_json::to_value(&task).unwrap();
        assert_eq!(ours["artifacts"], json!([]));
        let proto = v1::Task::from(task).encode_to_vec();
        let d = DynamicMessage::decode(descriptor("Task"), proto.as_slice()).unwrap();
        assert!(serde_json::to_value(&d).unwrap().get("artifacts").is_none());
    }

    /// The normalizations are not vacuous: each one is needed for some value.
    #[test]
    fn normalizations_are_exercised() {
        let reference = |proto: &[u8], name: &str| {
            let d = DynamicMessage::decode(descriptor(name), proto).unwrap();
            serde_json::to_value(&d).unwrap()
        };
        // 1. REQUIRED defaults.
        let resp = t::ListTasksResponse::default();
        let raw = reference(
            &v1::ListTasksResponse::from(resp.clone()).encode_to_vec(),
            "ListTasksResponse",
        );
        assert_eq!(raw, json!({}));
        assert_eq!(
            serde_json::to_value(&resp).unwrap(),
            json!({"tasks": [], "nextPageToken": "", "pageSize": 0, "totalSize": 0})
        );
        // 2. Timestamps with whole seconds.
        let status = t::TaskStatus {
            timestamp: Some(t::Timestamp::new(0, 0).unwrap()),
            ..t::TaskStatus::default()
        };
        let raw = reference(
            &v1::TaskStatus::from(status.clone()).encode_to_vec(),
            "TaskStatus",
        );
        assert_eq!(raw["timestamp"], json!("1970-01-01T00:00:00Z"));
        assert_eq!(
            serde_json::to_value(&status).unwrap()["timestamp"],
            json!("1970-01-01T00:00:00.000Z")
        );
        // 3. Integral numbers in Struct.
        let part = t::Part::data(json!(2));
        let raw = reference(&v1::Part::from(part.clone()).encode_to_vec(), "Part");
        assert_eq!(raw.to_string(), r#"{"data":2.0}"#);
        assert_eq!(serde_json::to_string(&part).unwrap(), r#"{"data":2}"#);
    }
}

// ---------------------------------------------------------------------------
// Malformed input.

mod malformed {
    use super::*;
    use a2agw_proto::{json_to_struct, value_to_json};

    fn decode_convert<T, P>(bytes: &[u8])
    where
        T: TryFrom<P, Error = ConvertError>,
        P: prost::Message + Default,
    {
        if let Ok(p) = P::decode(bytes) {
            let _ = T::try_from(p);
        }
    }

    fn decode_convert_all(bytes: &[u8]) {
        decode_convert::<t::Task, v1::Task>(bytes);
        decode_convert::<t::TaskStatus, v1::TaskStatus>(bytes);
        decode_convert::<t::Message, v1::Message>(bytes);
        decode_convert::<t::Part, v1::Part>(bytes);
        decode_convert::<t::Artifact, v1::Artifact>(bytes);
        decode_convert::<t::TaskStatusUpdateEvent, v1::TaskStatusUpdateEvent>(bytes);
        decode_convert::<t::TaskArtifactUpdateEvent, v1::TaskArtifactUpdateEvent>(bytes);
        decode_convert::<t::StreamResponse, v1::StreamResponse>(bytes);
        decode_convert::<t::SendMessageResponse, v1::SendMessageResponse>(bytes);
        decode_convert::<t::SendMessageRequest, v1::SendMessageRequest>(bytes);
        decode_convert::<t::SendMessageConfiguration, v1::SendMessageConfiguration>(bytes);
        decode_convert::<t::GetTaskRequest, v1::GetTaskRequest>(bytes);
        decode_convert::<t::ListTasksRequest, v1::ListTasksRequest>(bytes);
        decode_convert::<t::ListTasksResponse, v1::ListTasksResponse>(bytes);
        decode_convert::<t::CancelTaskRequest, v1::CancelTaskRequest>(bytes);
        decode_convert::<t::SubscribeToTaskRequest, v1::SubscribeToTaskRequest>(bytes);
        decode_convert::<t::TaskPushNotificationConfig, v1::TaskPushNotificationConfig>(bytes);
        decode_convert::<t::AuthenticationInfo, v1::AuthenticationInfo>(bytes);
        decode_convert::<
            t::GetTaskPushNotificationConfigRequest,
            v1::GetTaskPushNotificationConfigRequest,
        >(bytes);
        decode_convert::<
            t::DeleteTaskPushNotificationConfigRequest,
            v1::DeleteTaskPushNotificationConfigRequest,
        >(bytes);
        decode_convert::<
            t::ListTaskPushNotificationConfigsRequest,
            v1::ListTaskPushNotificationConfigsRequest,
        >(bytes);
        decode_convert::<
            t::ListTaskPushNotificationConfigsResponse,
            v1::ListTaskPushNotificationConfigsResponse,
        >(bytes);
        decode_convert::<t::GetExtendedAgentCardRequest, v1::GetExtendedAgentCardRequest>(bytes);
        decode_convert::<t::AgentCard, v1::AgentCard>(bytes);
        decode_convert::<t::AgentInterface, v1::AgentInterface>(bytes);
        decode_convert::<t::AgentProvider, v1::AgentProvider>(bytes);
        decode_convert::<t::AgentCapabilities, v1::AgentCapabilities>(bytes);
        decode_convert::<t::AgentExtension, v1::AgentExtension>(bytes);
        decode_convert::<t::AgentSkill, v1::AgentSkill>(bytes);
        decode_convert::<t::AgentCardSignature, v1::AgentCardSignature>(bytes);
        decode_convert::<t::SecurityScheme, v1::SecurityScheme>(bytes);
        decode_convert::<t::ApiKeySecurityScheme, v1::ApiKeySecurityScheme>(bytes);
        decode_convert::<t::HttpAuthSecurityScheme, v1::HttpAuthSecurityScheme>(bytes);
        decode_convert::<t::OAuth2SecurityScheme, v1::OAuth2SecurityScheme>(bytes);
        decode_convert::<t::OpenIdConnectSecurityScheme, v1::OpenIdConnectSecurityScheme>(bytes);
        decode_convert::<t::MutualTlsSecurityScheme, v1::MutualTlsSecurityScheme>(bytes);
        decode_convert::<t::OAuthFlows, v1::OAuthFlows>(bytes);
        decode_convert::<t::AuthorizationCodeOAuthFlow, v1::AuthorizationCodeOAuthFlow>(bytes);
        decode_convert::<t::ClientCredentialsOAuthFlow, v1::ClientCredentialsOAuthFlow>(bytes);
        decode_convert::<t::ImplicitOAuthFlow, v1::ImplicitOAuthFlow>(bytes);
        decode_convert::<t::PasswordOAuthFlow, v1::PasswordOAuthFlow>(bytes);
        decode_convert::<t::DeviceCodeOAuthFlow, v1::DeviceCodeOAuthFlow>(bytes);
        decode_convert::<t::SecurityRequirement, v1::SecurityRequirement>(bytes);
        decode_convert::<t::StringList, v1::StringList>(bytes);
    }

    /// Valid encodings of big messages with a few bytes overwritten: these get
    /// far deeper into the conversions than uniform noise.
    fn mutated() -> impl Strategy<Value = Vec<u8>> {
        let valid = prop_oneof![
            arb::task().prop_map(|v| v1::Task::from(v).encode_to_vec()),
            arb::stream_response().prop_map(|v| v1::StreamResponse::from(v).encode_to_vec()),
            arb::agent_card().prop_map(|v| v1::AgentCard::from(v).encode_to_vec()),
            arb::send_message_request()
                .prop_map(|v| v1::SendMessageRequest::from(v).encode_to_vec()),
        ];
        (
            valid,
            prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        )
            .prop_map(|(mut bytes, edits)| {
                if !bytes.is_empty() {
                    for (at, byte) in edits {
                        let i = at.index(bytes.len());
                        bytes[i] = byte;
                    }
                }
                bytes
            })
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            decode_convert_all(&bytes);
        }

        #[test]
        fn mutated_encodings_never_panic(bytes in mutated()) {
            decode_convert_all(&bytes);
        }
    }

    fn missing_oneof(field: &str) -> ConvertError {
        // ConvertError is non_exhaustive but its variants are constructible.
        ConvertError::MissingOneof {
            field: field.to_owned(),
        }
    }

    fn text_part() -> v1::Part {
        v1::Part::from(t::Part::text("hi"))
    }

    #[test]
    fn unset_oneofs() {
        assert_eq!(
            t::Part::try_from(v1::Part::default()).unwrap_err(),
            missing_oneof("content")
        );
        assert_eq!(
            t::StreamResponse::try_from(v1::StreamResponse::default()).unwrap_err(),
            missing_oneof("payload")
        );
        assert_eq!(
            t::SendMessageResponse::try_from(v1::SendMessageResponse::default()).unwrap_err(),
            missing_oneof("payload")
        );
        assert_eq!(
            t::SecurityScheme::try_from(v1::SecurityScheme::default()).unwrap_err(),
            missing_oneof("scheme")
        );
        assert_eq!(
            t::OAuthFlows::try_from(v1::OAuthFlows::default()).unwrap_err(),
            missing_oneof("flow")
        );
    }

    #[test]
    fn nested_errors_name_the_path() {
        // A part without content deep inside a stream event.
        let msg = v1::Message {
            parts: vec![text_part(), v1::Part::default()],
            ..v1::Message::default()
        };
        let task = v1::Task {
            history: vec![v1::Message::default(), msg],
            ..v1::Task::default()
        };
        let event = v1::StreamResponse {
            payload: Some(v1::stream_response::Payload::Task(task)),
        };
        let err = t::StreamResponse::try_from(event).unwrap_err();
        assert_eq!(err, missing_oneof("task.history[1].parts[1].content"));
        assert_eq!(err.field(), "task.history[1].parts[1].content");
        let v = err.field_violation();
        assert_eq!(v.field, "task.history[1].parts[1].content");

        // A scheme without kind in the card's map; an OAuth scheme without flows.
        let mut card = v1::AgentCard::default();
        card.security_schemes
            .insert("key".to_owned(), v1::SecurityScheme::default());
        assert_eq!(
            t::AgentCard::try_from(card).unwrap_err(),
            missing_oneof("securitySchemes.key.scheme")
        );
        let mut card = v1::AgentCard::default();
        card.security_schemes.insert(
            "oauth".to_owned(),
            v1::SecurityScheme {
                scheme: Some(v1::security_scheme::Scheme::Oauth2SecurityScheme(
                    v1::OAuth2SecurityScheme::default(),
                )),
            },
        );
        assert_eq!(
            t::AgentCard::try_from(card).unwrap_err(),
            ConvertError::MissingField {
                field: "securitySchemes.oauth.oauth2SecurityScheme.flows".to_owned()
            }
        );
        let scheme = v1::OAuth2SecurityScheme {
            flows: Some(v1::OAuthFlows::default()),
            ..v1::OAuth2SecurityScheme::default()
        };
        assert_eq!(
            t::OAuth2SecurityScheme::try_from(scheme).unwrap_err(),
            missing_oneof("flows.flow")
        );
        // Send response with a message that has a content-less part.
        let resp = v1::SendMessageResponse {
            payload: Some(v1::send_message_response::Payload::Message(v1::Message {
                parts: vec![v1::Part::default()],
                ..v1::Message::default()
            })),
        };
        assert_eq!(
            t::SendMessageResponse::try_from(resp).unwrap_err(),
            missing_oneof("message.parts[0].content")
        );
    }

    #[test]
    fn enum_numbers_out_of_range() {
        let status = v1::TaskStatus {
            state: 9,
            ..v1::TaskStatus::default()
        };
        assert_eq!(
            t::TaskStatus::try_from(status.clone()).unwrap_err(),
            ConvertError::EnumOutOfRange {
                field: "state".to_owned(),
                enum_name: "TaskState",
                value: 9
            }
        );
        let event = v1::StreamResponse {
            payload: Some(v1::stream_response::Payload::StatusUpdate(
                v1::TaskStatusUpdateEvent {
                    status: Some(status),
                    ..v1::TaskStatusUpdateEvent::default()
                },
            )),
        };
        // Through the wire: prost keeps unknown enum numbers in the i32.
        let decoded = v1::StreamResponse::decode(event.encode_to_vec().as_slice()).unwrap();
        assert_eq!(
            t::StreamResponse::try_from(decoded).unwrap_err(),
            ConvertError::EnumOutOfRange {
                field: "statusUpdate.status.state".to_owned(),
                enum_name: "TaskState",
                value: 9
            }
        );
        let msg = v1::Message {
            role: -1,
            ..v1::Message::default()
        };
        assert_eq!(
            t::Message::try_from(msg).unwrap_err(),
            ConvertError::EnumOutOfRange {
                field: "role".to_owned(),
                enum_name: "Role",
                value: -1
            }
        );
        let req = v1::ListTasksRequest {
            status: 1000,
            ..v1::ListTasksRequest::default()
        };
        assert_eq!(
            t::ListTasksRequest::try_from(req).unwrap_err(),
            ConvertError::EnumOutOfRange {
                field: "status".to_owned(),
                enum_name: "TaskState",
                value: 1000
            }
        );
    }

    #[test]
    fn timestamps_out_of_range() {
        for (seconds, nanos) in [
            (253_402_300_800, 0),
            (-62_135_596_801, 0),
            (0, -1),
            (0, 1_000_000_000),
            (i64::MAX, 0),
        ] {
            let status = v1::TaskStatus {
                state: 1,
                message: None,
                timestamp: Some(prost_types::Timestamp { seconds, nanos }),
            };
            assert_eq!(
                t::TaskStatus::try_from(status).unwrap_err(),
                ConvertError::Timestamp {
                    field: "timestamp".to_owned(),
                    seconds,
                    nanos
                }
            );
        }
        let req = v1::ListTasksRequest {
            status_timestamp_after: Some(prost_types::Timestamp {
                seconds: 0,
                nanos: -5,
            }),
            ..v1::ListTasksRequest::default()
        };
        assert_eq!(
            t::ListTasksRequest::try_from(req).unwrap_err().field(),
            "statusTimestampAfter"
        );
        // The bounds themselves are fine.
        for (seconds, nanos) in [(253_402_300_799, 999_999_999), (-62_135_596_800, 0)] {
            let status = v1::TaskStatus {
                state: 1,
                message: None,
                timestamp: Some(prost_types::Timestamp { seconds, nanos }),
            };
            assert!(t::TaskStatus::try_from(status).is_ok());
        }
    }

    #[test]
    fn non_finite_numbers() {
        let nan = prost_types::Value {
            kind: Some(prost_types::value::Kind::NumberValue(f64::NAN)),
        };
        let mut list = json_to_struct(
            json!({"a": [1, 2]})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        if let Some(prost_types::Value {
            kind: Some(prost_types::value::Kind::ListValue(l)),
        }) = list.fields.get_mut("a")
        {
            l.values.push(nan.clone());
        }
        let msg = v1::Message {
            parts: vec![text_part()],
            metadata: Some(list),
            ..v1::Message::default()
        };
        assert_eq!(
            t::Message::try_from(msg).unwrap_err(),
            ConvertError::NonFiniteNumber {
                field: "metadata.a[2]".to_owned()
            }
        );
        let part = v1::Part {
            content: Some(v1::part::Content::Data(prost_types::Value {
                kind: Some(prost_types::value::Kind::NumberValue(f64::INFINITY)),
            })),
            ..v1::Part::default()
        };
        assert_eq!(
            t::Part::try_from(part).unwrap_err(),
            ConvertError::NonFiniteNumber {
                field: "data".to_owned()
            }
        );
        assert!(value_to_json(nan).is_err());
    }
}

// ---------------------------------------------------------------------------
// A2aError ↔ google.rpc.Status details.

mod status {
    use super::*;
    use a2agw_proto::{error_details, error_from_status, rpc, status_details};
    use t::{A2aError, ErrorCode, FieldViolation};

    fn a2a_error() -> impl Strategy<Value = A2aError> {
        (
            prop::sample::select(ErrorCode::ALL),
            arb::text(),
            prop::collection::btree_map("[a-zA-Z]{1,8}", arb::text(), 0..3),
            prop::collection::vec(
                ("[a-z.\\[\\]0-9]{1,16}", "[a-z ]{1,16}")
                    .prop_map(|(f, d)| FieldViolation::new(f, d)),
                0..3,
            ),
        )
            .prop_map(|(code, message, metadata, violations)| A2aError {
                code,
                message,
                metadata,
                violations,
            })
    }

    static RPC_POOL: LazyLock<DescriptorPool> = LazyLock::new(|| {
        DescriptorPool::decode(tonic_types::pb::FILE_DESCRIPTOR_SET)
            .expect("tonic-types descriptor set decodes")
    });

    proptest! {
        #[test]
        fn details_round_trip(err in a2a_error()) {
            let status = status_details(&err, tonic::Code::FailedPrecondition);
            prop_assert_eq!(status.code, tonic::Code::FailedPrecondition as i32);
            prop_assert_eq!(&status.message, &err.message);
            let bytes = status.encode_to_vec();
            let decoded = rpc::Status::decode(bytes.as_slice()).unwrap();
            // The fallback code is only used when no A2A ErrorInfo names one.
            let fallback = if err.code.is_a2a() { ErrorCode::InternalError } else { err.code };
            let back = error_from_status(&decoded, fallback);
            let mut expected = err.clone();
            if !err.code.is_a2a() {
                // Standard codes carry no ErrorInfo, hence no metadata.
                expected.metadata.clear();
            }
            prop_assert_eq!(back, expected);
        }

        /// The details, as ProtoJSON (prost-reflect, `Any` resolved through
        /// the google.rpc descriptors), are exactly `A2aError::details()`.
        #[test]
        fn details_match_the_json_details(err in a2a_error()) {
            let status = status_details(&err, tonic::Code::InvalidArgument);
            let desc = RPC_POOL.get_message_by_name("google.rpc.Status").unwrap();
            let dynamic = DynamicMessage::decode(desc, status.encode_to_vec().as_slice()).unwrap();
            let json = serde_json::to_value(&dynamic).unwrap();
            let details = json.get("details").cloned().unwrap_or_else(|| json!([]));
            prop_assert_eq!(canonical(&details), canonical(&Json::Array(err.details())));
        }
    }

    #[test]
    fn task_not_found() {
        let err = A2aError::task_not_found("t-1");
        let status = status_details(&err, tonic::Code::NotFound);
        assert_eq!(status.details.len(), 1);
        assert_eq!(status.details[0].type_url, t::ERROR_INFO_TYPE);
        let info = rpc::ErrorInfo::decode(status.details[0].value.as_slice()).unwrap();
        assert_eq!(info.reason, "TASK_NOT_FOUND");
        assert_eq!(info.domain, "a2a-protocol.org");
        assert_eq!(info.metadata.get("taskId").map(String::as_str), Some("t-1"));
        assert_eq!(error_details(&err), status.details);
    }

    #[test]
    fn invalid_params_carries_a_bad_request_only() {
        let err = A2aError::invalid_params(vec![FieldViolation::new("message.parts", "required")]);
        let details = error_details(&err);
        assert_eq!(details.len(), 1);
        assert_eq!(details[0].type_url, t::BAD_REQUEST_TYPE);
        let bad = rpc::BadRequest::decode(details[0].value.as_slice()).unwrap();
        assert_eq!(bad.field_violations[0].field, "message.parts");
        assert_eq!(bad.field_violations[0].description, "required");
    }

    #[test]
    fn reading_is_lenient() {
        let status = rpc::Status {
            code: tonic::Code::FailedPrecondition as i32,
            message: "no".to_owned(),
            details: vec![
                // Undecodable, unknown type, foreign domain: ignored / metadata only.
                prost_types::Any {
                    type_url: t::ERROR_INFO_TYPE.to_owned(),
                    value: vec![0xff, 0xff],
                },
                prost_types::Any {
                    type_url: "type.googleapis.com/google.rpc.RetryInfo".to_owned(),
                    value: vec![],
                },
                prost_types::Any {
                    type_url: "example.com/google.rpc.ErrorInfo".to_owned(),
                    value: rpc::ErrorInfo {
                        reason: "TASK_NOT_CANCELABLE".to_owned(),
                        domain: "example.com".to_owned(),
                        metadata: [("k".to_owned(), "v".to_owned())].into_iter().collect(),
                    }
                    .encode_to_vec(),
                },
            ],
        };
        let err = error_from_status(&status, ErrorCode::UnsupportedOperation);
        assert_eq!(err.code, ErrorCode::UnsupportedOperation);
        assert_eq!(err.message, "no");
        assert_eq!(err.metadata.get("k").map(String::as_str), Some("v"));

        // Our domain: the reason decides the code, whatever the fallback.
        let mut status = status;
        status.details.push(prost_types::Any {
            type_url: "type.googleapis.com/google.rpc.ErrorInfo".to_owned(),
            value: rpc::ErrorInfo {
                reason: "TASK_NOT_CANCELABLE".to_owned(),
                domain: t::ERROR_DOMAIN.to_owned(),
                metadata: Default::default(),
            }
            .encode_to_vec(),
        });
        let err = error_from_status(&status, ErrorCode::UnsupportedOperation);
        assert_eq!(err.code, ErrorCode::TaskNotCancelable);
    }
}
