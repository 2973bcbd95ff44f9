//! The 0.3 JSON-RPC methods: server side (params in, results out), client side (params
//! out, results in) and the hybrid agent card.

use super::card::{AgentCard, PROTOCOL_VERSION};
use super::convert::{interfaces_v03, no_tenant, try_vec};
use super::de::decode;
use super::model::{
    DeleteTaskPushNotificationConfigParams, GetTaskPushNotificationConfigParams,
    ListTaskPushNotificationConfigParams, MessageSendParams, SendMessageResult, StreamEvent, Task,
    TaskIdParams, TaskPushNotificationConfig, TaskQueryParams,
};
use crate as v1;
use crate::jsonrpc::json_type_name;
use crate::{
    A2aError, A2aRequest, A2aResponse, ConversionError, DecodeError, ErrorCode, FieldViolation,
    Method, Validate,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

fn invalid_params(field: &str, description: impl Into<String>) -> A2aError {
    let field = if field.is_empty() { "params" } else { field };
    A2aError::invalid_params(vec![FieldViolation::new(field, description)])
}

fn decode_params<T: DeserializeOwned>(params: Value) -> Result<T, A2aError> {
    decode(params).map_err(|e: DecodeError| invalid_params(&e.path, e.message))
}

fn conversion(e: ConversionError) -> A2aError {
    invalid_params(&e.field, e.reason)
}

/// The 0.3 name of a field that 1.0 validation reports by its 1.0 path.
fn v03_field(method: Method, field: &str) -> String {
    let webhook = |f: &str| match f.strip_suffix("authentication.scheme") {
        Some(head) => format!("{head}authentication.schemes"),
        None => f.to_owned(),
    };
    match method {
        Method::SendMessage | Method::SendStreamingMessage => {
            match field.strip_prefix("configuration.taskPushNotificationConfig") {
                Some(rest) => webhook(&format!("configuration.pushNotificationConfig{rest}")),
                None => field.to_owned(),
            }
        }
        Method::CreateTaskPushNotificationConfig if field != "taskId" => {
            webhook(&format!("pushNotificationConfig.{field}"))
        }
        Method::GetTaskPushNotificationConfig
        | Method::DeleteTaskPushNotificationConfig
        | Method::ListTaskPushNotificationConfigs => match field {
            "taskId" => "id".to_owned(),
            "id" => "pushNotificationConfigId".to_owned(),
            other => other.to_owned(),
        },
        _ => field.to_owned(),
    }
}

/// Decodes 0.3 `params` for `method`, converts them to the 1.0 request and validates it.
///
/// Failures are `InvalidParams` (-32602) naming the field by its 0.3 path. Absent or `null`
/// params read as `{}`; `agent/getAuthenticatedExtendedCard` ignores its params (0.3 defines
/// none).
///
/// `tasks/pushNotificationConfig/get` without `pushNotificationConfigId` gives a 1.0
/// `GetTaskPushNotificationConfigRequest` with an **empty `id`**: 0.3 let the server pick
/// the task's config, so the server must read an empty id as "the task's only (or first)
/// config". Validation lets that empty id through for this method only.
pub(crate) fn request_from_params(
    method: Method,
    params: Option<Value>,
) -> Result<A2aRequest, A2aError> {
    if method == Method::GetExtendedAgentCard {
        return Ok(A2aRequest::GetExtendedAgentCard(
            v1::GetExtendedAgentCardRequest::default(),
        ));
    }
    let params = match params {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(v @ Value::Object(_)) => v,
        Some(other) => {
            return Err(invalid_params(
                "params",
                format!("must be an object, got {}", json_type_name(&other)),
            ));
        }
    };
    let send = |params| -> Result<v1::SendMessageRequest, A2aError> {
        decode_params::<MessageSendParams>(params)?
            .try_into()
            .map_err(conversion)
    };
    let req = match method {
        Method::SendMessage => A2aRequest::SendMessage(send(params)?),
        Method::SendStreamingMessage => A2aRequest::SendStreamingMessage(send(params)?),
        Method::GetTask => A2aRequest::GetTask(decode_params::<TaskQueryParams>(params)?.into()),
        Method::CancelTask => A2aRequest::CancelTask(decode_params::<TaskIdParams>(params)?.into()),
        Method::SubscribeToTask => {
            A2aRequest::SubscribeToTask(decode_params::<TaskIdParams>(params)?.into())
        }
        Method::CreateTaskPushNotificationConfig => A2aRequest::CreateTaskPushNotificationConfig(
            decode_params::<TaskPushNotificationConfig>(params)?
                .try_into()
                .map_err(conversion)?,
        ),
        Method::GetTaskPushNotificationConfig => A2aRequest::GetTaskPushNotificationConfig(
            decode_params::<GetTaskPushNotificationConfigParams>(params)?.into(),
        ),
        Method::ListTaskPushNotificationConfigs => A2aRequest::ListTaskPushNotificationConfigs(
            decode_params::<ListTaskPushNotificationConfigParams>(params)?.into(),
        ),
        Method::DeleteTaskPushNotificationConfig => A2aRequest::DeleteTaskPushNotificationConfig(
            decode_params::<DeleteTaskPushNotificationConfigParams>(params)?.into(),
        ),
        Method::ListTasks | Method::GetExtendedAgentCard => {
            return Err(A2aError::new(
                ErrorCode::MethodNotFound,
                format!("`{}` has no 0.3 JSON-RPC method", method.name()),
            ));
        }
    };
    let mut violations = Vec::new();
    req.validate_into("", &mut violations);
    if method == Method::GetTaskPushNotificationConfig {
        violations.retain(|v| v.field != "id");
    }
    if violations.is_empty() {
        Ok(req)
    } else {
        for v in &mut violations {
            v.field = v03_field(method, &v.field);
        }
        Err(A2aError::invalid_params(violations))
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<Value, ConversionError> {
    serde_json::to_value(value).map_err(|e| ConversionError::to_v03("", e.to_string()))
}

/// A config as a 0.3 result. The tenant is routing data the server assigned; a 0.3 client
/// never sent one, so it is left out rather than refused.
fn push_config_result(
    c: &v1::TaskPushNotificationConfig,
) -> Result<TaskPushNotificationConfig, ConversionError> {
    let mut c = c.clone();
    c.tenant.clear();
    TaskPushNotificationConfig::try_from(c)
}

/// Encodes a 1.0 result in its 0.3 form (the JSON-RPC `result`).
pub(crate) fn encode_response(response: &A2aResponse) -> Result<Value, ConversionError> {
    match response {
        A2aResponse::SendMessage(r) => to_json(&SendMessageResult::try_from(r.clone())?),
        A2aResponse::Task(t) => to_json(&Task::try_from(t.clone())?),
        A2aResponse::ListTasks(_) => Err(ConversionError::to_v03(
            "",
            "0.3 JSON-RPC has no ListTasks method or result",
        )),
        A2aResponse::PushConfig(c) => to_json(&push_config_result(c)?),
        A2aResponse::PushConfigs(r) => {
            if !r.next_page_token.is_empty() {
                return Err(ConversionError::to_v03(
                    "nextPageToken",
                    "0.3 has no paging: the list result must hold every config",
                ));
            }
            let configs = r
                .configs
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    push_config_result(c).map_err(super::convert::at(format!("configs[{i}]")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            to_json(&configs)
        }
        A2aResponse::Empty => Ok(Value::Null),
        A2aResponse::AgentCard(c) => to_json(&AgentCard::try_from(c.clone())?),
        A2aResponse::StreamEvent { event, last } => {
            to_json(&StreamEvent::from_v1(event.clone(), *last)?)
        }
    }
}

/// The 0.3 JSON-RPC method name and params of a 1.0 request, for talking to a 0.3 agent.
///
/// Fails for what 0.3 cannot express: `ListTasks` (no 0.3 JSON-RPC method), a non-empty
/// `tenant`, paging of push-config lists, and the content cases of the type conversions
/// (see the [module docs](super)). `GetExtendedAgentCard` gives `{}` (0.3 defines no
/// params; sending `{}` or none are both accepted).
pub fn request_to_params(req: &A2aRequest) -> Result<(&'static str, Value), ConversionError> {
    let no_method = || ConversionError::to_v03("method", "0.3 JSON-RPC has no ListTasks method");
    let name = req.method().name_v03().ok_or_else(no_method)?;
    let params = match req.clone() {
        A2aRequest::SendMessage(r) | A2aRequest::SendStreamingMessage(r) => {
            to_json(&MessageSendParams::try_from(r)?)?
        }
        A2aRequest::GetTask(r) => to_json(&TaskQueryParams::try_from(r)?)?,
        A2aRequest::ListTasks(_) => return Err(no_method()),
        A2aRequest::CancelTask(r) => to_json(&TaskIdParams::try_from(r)?)?,
        A2aRequest::SubscribeToTask(r) => to_json(&TaskIdParams::try_from(r)?)?,
        A2aRequest::CreateTaskPushNotificationConfig(r) => {
            to_json(&TaskPushNotificationConfig::try_from(r)?)?
        }
        A2aRequest::GetTaskPushNotificationConfig(r) => {
            to_json(&GetTaskPushNotificationConfigParams::try_from(r)?)?
        }
        A2aRequest::ListTaskPushNotificationConfigs(r) => {
            to_json(&ListTaskPushNotificationConfigParams::try_from(r)?)?
        }
        A2aRequest::DeleteTaskPushNotificationConfig(r) => {
            to_json(&DeleteTaskPushNotificationConfigParams::try_from(r)?)?
        }
        A2aRequest::GetExtendedAgentCard(r) => {
            no_tenant(&r.tenant)?;
            Value::Object(Map::new())
        }
    };
    Ok((name, params))
}

/// Decodes the 0.3 JSON-RPC `result` of `method` (from a 0.3 agent) into the 1.0 response.
///
/// Stream methods give [`A2aResponse::StreamEvent`] with `last` = the status update's
/// `final` flag (`false` for the other event kinds). A push-config list gives a 1.0 list
/// with no next page; a delete result gives [`A2aResponse::Empty`] whatever its value
/// (0.3 says `null`). `ListTasks` is a [`ConversionError`]. The result is decoded and
/// converted, not validated (see [`crate::Validate`]).
pub fn decode_result(method: Method, result: Value) -> Result<A2aResponse, crate::Error> {
    Ok(match method {
        Method::SendMessage => {
            A2aResponse::SendMessage(decode::<SendMessageResult>(result)?.try_into()?)
        }
        Method::SendStreamingMessage | Method::SubscribeToTask => {
            let (event, last) = decode::<StreamEvent>(result)?.into_v1()?;
            A2aResponse::StreamEvent { event, last }
        }
        Method::GetTask | Method::CancelTask => {
            A2aResponse::Task(decode::<Task>(result)?.try_into()?)
        }
        Method::ListTasks => {
            return Err(ConversionError::to_v1(
                "",
                "0.3 JSON-RPC has no ListTasks method or result",
            )
            .into());
        }
        Method::CreateTaskPushNotificationConfig | Method::GetTaskPushNotificationConfig => {
            A2aResponse::PushConfig(decode::<TaskPushNotificationConfig>(result)?.try_into()?)
        }
        Method::ListTaskPushNotificationConfigs => {
            let configs = decode::<Vec<TaskPushNotificationConfig>>(result)?;
            A2aResponse::PushConfigs(v1::ListTaskPushNotificationConfigsResponse {
                configs: try_vec(configs, "")?,
                next_page_token: String::new(),
            })
        }
        Method::DeleteTaskPushNotificationConfig => A2aResponse::Empty,
        Method::GetExtendedAgentCard => {
            A2aResponse::AgentCard(decode::<AgentCard>(result)?.try_into()?)
        }
    })
}

/// The 1.0 card JSON with the 0.3 top-level fields merged in, so one card serves both
/// client generations (spec digest §1.3 item 2, option (a)).
///
/// Added: `protocolVersion` (`"0.3.0"`), `url` and `preferredTransport` (the first
/// tenant-free interface with protocol version 0.3, else the first tenant-free one),
/// `additionalInterfaces` (the other tenant-free interfaces, omitted when none) and
/// `supportsAuthenticatedExtendedCard` (from `capabilities.extendedAgentCard`, when set).
///
/// `securitySchemes` keeps its **1.0 shape** (`{"httpAuthSecurityScheme": {…}}`): the key is
/// shared by both versions and only one shape can be served. 1.0 clients read it
/// correctly; a 0.3 client that parses `securitySchemes` strictly (it expects
/// `{"type": …}`) may refuse the card, so an agent with security schemes and strict 0.3
/// clients should serve the 0.3 card ([`AgentCard`] via `TryFrom`) by `A2A-Version`
/// instead (option (b)). `security` (0.3's requirements) is not added, since it would
/// point at schemes of the other shape.
pub fn hybrid_card(card: &v1::AgentCard) -> Result<Value, ConversionError> {
    let (main, additional) = interfaces_v03(&card.supported_interfaces)?;
    let mut value = to_json(card)?;
    let Value::Object(o) = &mut value else {
        return Err(ConversionError::to_v03(
            "",
            "an agent card serializes to a JSON object",
        ));
    };
    o.insert("protocolVersion".into(), PROTOCOL_VERSION.into());
    o.insert("url".into(), main.url.into());
    o.insert("preferredTransport".into(), main.transport.into());
    if !additional.is_empty() {
        o.insert("additionalInterfaces".into(), to_json(&additional)?);
    }
    if let Some(b) = card.capabilities.extended_agent_card {
        o.insert("supportsAuthenticatedExtendedCard".into(), b.into());
    }
    Ok(value)
}
