//! The JSON-RPC 2.0 envelope, A2A method names (1.0 and 0.3) and the typed request
//! that every binding decodes into.

use crate::error::DecodeErrorKind;
use crate::requests::*;
use crate::validate::Validate;
use crate::{A2aError, ErrorCode, FieldViolation, TaskPushNotificationConfig};
use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::fmt;

/// The only JSON-RPC version.
pub const JSONRPC_VERSION: &str = "2.0";

/// An A2A protocol version (Major.Minor; patch numbers take no part in negotiation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProtocolVersion {
    /// 0.3 (legacy; slash-named methods, `kind` discriminators).
    V0_3,
    /// 1.0 (current).
    V1_0,
}

impl ProtocolVersion {
    /// `"0.3"` or `"1.0"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProtocolVersion::V0_3 => "0.3",
            ProtocolVersion::V1_0 => "1.0",
        }
    }

    /// Reads an `A2A-Version` value: `Ok(None)` when empty (the spec's "0.3 or unspecified"),
    /// the version for `1.0`, `1.0.1`, `0.3`, `0.3.0`, and an error naming the value otherwise.
    pub fn from_header(value: &str) -> Result<Option<Self>, A2aError> {
        let v = value.trim();
        if v.is_empty() {
            return Ok(None);
        }
        let mut it = v.split('.');
        let major = it.next().and_then(|s| s.parse::<u32>().ok());
        let minor = it.next().and_then(|s| s.parse::<u32>().ok());
        let rest_ok = it.all(|s| s.parse::<u32>().is_ok());
        match (major, minor, rest_ok) {
            (Some(1), Some(0), true) => Ok(Some(ProtocolVersion::V1_0)),
            (Some(0), Some(3), true) => Ok(Some(ProtocolVersion::V0_3)),
            _ => Err(A2aError::new(
                ErrorCode::VersionNotSupported,
                format!("A2A version `{v}` is not supported; supported versions: 1.0, 0.3"),
            )
            .with_metadata("requestedVersion", v)),
        }
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A JSON-RPC request id: a string, a number or null.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum RequestId {
    /// A string id.
    String(String),
    /// A numeric id, kept exactly as sent.
    Number(serde_json::Number),
    /// `null` (also used in responses when the request's id could not be read).
    #[default]
    Null,
}

impl From<&str> for RequestId {
    fn from(s: &str) -> Self {
        RequestId::String(s.to_owned())
    }
}

impl From<i64> for RequestId {
    fn from(n: i64) -> Self {
        RequestId::Number(n.into())
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestId::String(s) => write!(f, "{s:?}"),
            RequestId::Number(n) => write!(f, "{n}"),
            RequestId::Null => f.write_str("null"),
        }
    }
}

impl Serialize for RequestId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RequestId::String(v) => s.serialize_str(v),
            RequestId::Number(n) => n.serialize(s),
            RequestId::Null => s.serialize_unit(),
        }
    }
}

impl<'de> Deserialize<'de> for RequestId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(RequestId::String(s)),
            Value::Number(n) => Ok(RequestId::Number(n)),
            Value::Null => Ok(RequestId::Null),
            _ => Err(D::Error::custom(
                "a JSON-RPC id must be a string, a number or null",
            )),
        }
    }
}

/// A JSON-RPC error object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonRpcError {
    /// The code.
    pub code: i32,
    /// Human-readable message.
    pub message: String,
    /// Details (1.0: an array of ProtoJSON `Any`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// A JSON-RPC request as sent on the wire (used by clients and tests).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonRpcRequest {
    /// Always `"2.0"`.
    pub jsonrpc: String,
    /// The id.
    pub id: RequestId,
    /// The method name.
    pub method: String,
    /// The parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
}

impl JsonRpcRequest {
    /// A request for `method` with `params`.
    pub fn new(id: impl Into<RequestId>, method: impl Into<String>, params: Value) -> Self {
        JsonRpcRequest {
            jsonrpc: JSONRPC_VERSION.into(),
            id: id.into(),
            method: method.into(),
            params: Some(params),
        }
    }
}

/// A JSON-RPC response: exactly one of `result` and `error`.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonRpcResponse {
    /// The request's id.
    pub id: RequestId,
    /// `result` or `error`.
    pub outcome: Result<Value, JsonRpcError>,
}

impl JsonRpcResponse {
    /// A success response.
    pub fn success(id: RequestId, result: Value) -> Self {
        JsonRpcResponse {
            id,
            outcome: Ok(result),
        }
    }

    /// An error response.
    pub fn error(id: RequestId, error: JsonRpcError) -> Self {
        JsonRpcResponse {
            id,
            outcome: Err(error),
        }
    }
}

impl JsonRpcResponse {
    /// The text of [`JsonRpcResponse::success`] for a `result` that is JSON text already
    /// (from [`A2aResponse::to_json_text`]): the same bytes, without parsing it back.
    pub fn success_text(id: &RequestId, result: &str) -> String {
        let id = serde_json::to_string(id).unwrap_or_else(|_| "null".to_owned());
        let mut out = String::with_capacity(result.len() + id.len() + 32);
        out.push_str("{\"jsonrpc\":\"");
        out.push_str(JSONRPC_VERSION);
        out.push_str("\",\"id\":");
        out.push_str(&id);
        out.push_str(",\"result\":");
        out.push_str(result);
        out.push('}');
        out
    }
}

impl Serialize for JsonRpcResponse {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("jsonrpc", JSONRPC_VERSION)?;
        m.serialize_entry("id", &self.id)?;
        match &self.outcome {
            Ok(r) => m.serialize_entry("result", r)?,
            Err(e) => m.serialize_entry("error", e)?,
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for JsonRpcResponse {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            jsonrpc: String,
            #[serde(default)]
            id: RequestId,
            #[serde(default, deserialize_with = "crate::serde_util::present_value")]
            result: Option<Value>,
            #[serde(default)]
            error: Option<JsonRpcError>,
        }
        let r = Raw::deserialize(d)?;
        if r.jsonrpc != JSONRPC_VERSION {
            return Err(D::Error::custom(format_args!(
                "`jsonrpc` must be \"2.0\", got {:?}",
                r.jsonrpc
            )));
        }
        let outcome = match (r.result, r.error) {
            (Some(v), None) => Ok(v),
            (None, Some(e)) => Err(e),
            (Some(_), Some(_)) => {
                return Err(D::Error::custom("a response has both `result` and `error`"));
            }
            (None, None) => return Err(D::Error::custom("a response needs `result` or `error`")),
        };
        Ok(JsonRpcResponse { id: r.id, outcome })
    }
}

/// The 11 A2A operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// `SendMessage` / `message/send`.
    SendMessage,
    /// `SendStreamingMessage` / `message/stream`.
    SendStreamingMessage,
    /// `GetTask` / `tasks/get`.
    GetTask,
    /// `ListTasks` (no 0.3 JSON-RPC name).
    ListTasks,
    /// `CancelTask` / `tasks/cancel`.
    CancelTask,
    /// `SubscribeToTask` / `tasks/resubscribe`.
    SubscribeToTask,
    /// `CreateTaskPushNotificationConfig` / `tasks/pushNotificationConfig/set`.
    CreateTaskPushNotificationConfig,
    /// `GetTaskPushNotificationConfig` / `tasks/pushNotificationConfig/get`.
    GetTaskPushNotificationConfig,
    /// `ListTaskPushNotificationConfigs` / `tasks/pushNotificationConfig/list`.
    ListTaskPushNotificationConfigs,
    /// `DeleteTaskPushNotificationConfig` / `tasks/pushNotificationConfig/delete`.
    DeleteTaskPushNotificationConfig,
    /// `GetExtendedAgentCard` / `agent/getAuthenticatedExtendedCard`.
    GetExtendedAgentCard,
}

impl Method {
    /// Every method.
    pub const ALL: &'static [Method] = &[
        Method::SendMessage,
        Method::SendStreamingMessage,
        Method::GetTask,
        Method::ListTasks,
        Method::CancelTask,
        Method::SubscribeToTask,
        Method::CreateTaskPushNotificationConfig,
        Method::GetTaskPushNotificationConfig,
        Method::ListTaskPushNotificationConfigs,
        Method::DeleteTaskPushNotificationConfig,
        Method::GetExtendedAgentCard,
    ];

    /// The 1.0 name (also the gRPC rpc name).
    pub const fn name(self) -> &'static str {
        match self {
            Method::SendMessage => "SendMessage",
            Method::SendStreamingMessage => "SendStreamingMessage",
            Method::GetTask => "GetTask",
            Method::ListTasks => "ListTasks",
            Method::CancelTask => "CancelTask",
            Method::SubscribeToTask => "SubscribeToTask",
            Method::CreateTaskPushNotificationConfig => "CreateTaskPushNotificationConfig",
            Method::GetTaskPushNotificationConfig => "GetTaskPushNotificationConfig",
            Method::ListTaskPushNotificationConfigs => "ListTaskPushNotificationConfigs",
            Method::DeleteTaskPushNotificationConfig => "DeleteTaskPushNotificationConfig",
            Method::GetExtendedAgentCard => "GetExtendedAgentCard",
        }
    }

    /// The 0.3 JSON-RPC name (`None` for `ListTasks`, which 0.3 JSON-RPC lacked).
    pub const fn name_v03(self) -> Option<&'static str> {
        Some(match self {
            Method::SendMessage => "message/send",
            Method::SendStreamingMessage => "message/stream",
            Method::GetTask => "tasks/get",
            Method::ListTasks => return None,
            Method::CancelTask => "tasks/cancel",
            Method::SubscribeToTask => "tasks/resubscribe",
            Method::CreateTaskPushNotificationConfig => "tasks/pushNotificationConfig/set",
            Method::GetTaskPushNotificationConfig => "tasks/pushNotificationConfig/get",
            Method::ListTaskPushNotificationConfigs => "tasks/pushNotificationConfig/list",
            Method::DeleteTaskPushNotificationConfig => "tasks/pushNotificationConfig/delete",
            Method::GetExtendedAgentCard => "agent/getAuthenticatedExtendedCard",
        })
    }

    /// The name in the given version's form (1.0 name where 0.3 has none).
    pub const fn name_for(self, version: ProtocolVersion) -> &'static str {
        match (version, self.name_v03()) {
            (ProtocolVersion::V0_3, Some(n)) => n,
            _ => self.name(),
        }
    }

    /// Looks a method up by its 1.0 or 0.3 name (case-sensitive), with the version the name implies.
    pub fn from_name(name: &str) -> Option<(Method, ProtocolVersion)> {
        Method::ALL.iter().find_map(|m| {
            if m.name() == name {
                Some((*m, ProtocolVersion::V1_0))
            } else if m.name_v03() == Some(name) {
                Some((*m, ProtocolVersion::V0_3))
            } else {
                None
            }
        })
    }

    /// `SendStreamingMessage` and `SubscribeToTask` answer with a stream.
    pub const fn is_streaming(self) -> bool {
        matches!(self, Method::SendStreamingMessage | Method::SubscribeToTask)
    }

    /// The four push-config methods (gated by `capabilities.pushNotifications`).
    pub const fn is_push_config(self) -> bool {
        matches!(
            self,
            Method::CreateTaskPushNotificationConfig
                | Method::GetTaskPushNotificationConfig
                | Method::ListTaskPushNotificationConfigs
                | Method::DeleteTaskPushNotificationConfig
        )
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One A2A operation with its (1.0) parameters: what every binding decodes into.
#[derive(Clone, Debug, PartialEq)]
pub enum A2aRequest {
    /// `SendMessage`.
    SendMessage(SendMessageRequest),
    /// `SendStreamingMessage`.
    SendStreamingMessage(SendMessageRequest),
    /// `GetTask`.
    GetTask(GetTaskRequest),
    /// `ListTasks`.
    ListTasks(ListTasksRequest),
    /// `CancelTask`.
    CancelTask(CancelTaskRequest),
    /// `SubscribeToTask`.
    SubscribeToTask(SubscribeToTaskRequest),
    /// `CreateTaskPushNotificationConfig` (the request is the config itself).
    CreateTaskPushNotificationConfig(TaskPushNotificationConfig),
    /// `GetTaskPushNotificationConfig`.
    GetTaskPushNotificationConfig(GetTaskPushNotificationConfigRequest),
    /// `ListTaskPushNotificationConfigs`.
    ListTaskPushNotificationConfigs(ListTaskPushNotificationConfigsRequest),
    /// `DeleteTaskPushNotificationConfig`.
    DeleteTaskPushNotificationConfig(DeleteTaskPushNotificationConfigRequest),
    /// `GetExtendedAgentCard`.
    GetExtendedAgentCard(GetExtendedAgentCardRequest),
}

impl A2aRequest {
    /// The operation.
    pub const fn method(&self) -> Method {
        match self {
            A2aRequest::SendMessage(_) => Method::SendMessage,
            A2aRequest::SendStreamingMessage(_) => Method::SendStreamingMessage,
            A2aRequest::GetTask(_) => Method::GetTask,
            A2aRequest::ListTasks(_) => Method::ListTasks,
            A2aRequest::CancelTask(_) => Method::CancelTask,
            A2aRequest::SubscribeToTask(_) => Method::SubscribeToTask,
            A2aRequest::CreateTaskPushNotificationConfig(_) => {
                Method::CreateTaskPushNotificationConfig
            }
            A2aRequest::GetTaskPushNotificationConfig(_) => Method::GetTaskPushNotificationConfig,
            A2aRequest::ListTaskPushNotificationConfigs(_) => {
                Method::ListTaskPushNotificationConfigs
            }
            A2aRequest::DeleteTaskPushNotificationConfig(_) => {
                Method::DeleteTaskPushNotificationConfig
            }
            A2aRequest::GetExtendedAgentCard(_) => Method::GetExtendedAgentCard,
        }
    }

    /// The request's `tenant` field.
    pub fn tenant(&self) -> &str {
        match self {
            A2aRequest::SendMessage(r) | A2aRequest::SendStreamingMessage(r) => &r.tenant,
            A2aRequest::GetTask(r) => &r.tenant,
            A2aRequest::ListTasks(r) => &r.tenant,
            A2aRequest::CancelTask(r) => &r.tenant,
            A2aRequest::SubscribeToTask(r) => &r.tenant,
            A2aRequest::CreateTaskPushNotificationConfig(r) => &r.tenant,
            A2aRequest::GetTaskPushNotificationConfig(r) => &r.tenant,
            A2aRequest::ListTaskPushNotificationConfigs(r) => &r.tenant,
            A2aRequest::DeleteTaskPushNotificationConfig(r) => &r.tenant,
            A2aRequest::GetExtendedAgentCard(r) => &r.tenant,
        }
    }

    /// Sets the `tenant` field (e.g. from a REST `/{tenant}/…` path).
    pub fn set_tenant(&mut self, tenant: String) {
        match self {
            A2aRequest::SendMessage(r) | A2aRequest::SendStreamingMessage(r) => r.tenant = tenant,
            A2aRequest::GetTask(r) => r.tenant = tenant,
            A2aRequest::ListTasks(r) => r.tenant = tenant,
            A2aRequest::CancelTask(r) => r.tenant = tenant,
            A2aRequest::SubscribeToTask(r) => r.tenant = tenant,
            A2aRequest::CreateTaskPushNotificationConfig(r) => r.tenant = tenant,
            A2aRequest::GetTaskPushNotificationConfig(r) => r.tenant = tenant,
            A2aRequest::ListTaskPushNotificationConfigs(r) => r.tenant = tenant,
            A2aRequest::DeleteTaskPushNotificationConfig(r) => r.tenant = tenant,
            A2aRequest::GetExtendedAgentCard(r) => r.tenant = tenant,
        }
    }

    /// The 1.0 parameters as ProtoJSON.
    pub fn params_json(&self) -> Value {
        let v = match self {
            A2aRequest::SendMessage(r) | A2aRequest::SendStreamingMessage(r) => {
                serde_json::to_value(r)
            }
            A2aRequest::GetTask(r) => serde_json::to_value(r),
            A2aRequest::ListTasks(r) => serde_json::to_value(r),
            A2aRequest::CancelTask(r) => serde_json::to_value(r),
            A2aRequest::SubscribeToTask(r) => serde_json::to_value(r),
            A2aRequest::CreateTaskPushNotificationConfig(r) => serde_json::to_value(r),
            A2aRequest::GetTaskPushNotificationConfig(r) => serde_json::to_value(r),
            A2aRequest::ListTaskPushNotificationConfigs(r) => serde_json::to_value(r),
            A2aRequest::DeleteTaskPushNotificationConfig(r) => serde_json::to_value(r),
            A2aRequest::GetExtendedAgentCard(r) => serde_json::to_value(r),
        };
        // Serializing these plain data types cannot fail (string keys, no non-finite floats).
        v.unwrap_or(Value::Null)
    }

    /// Decodes 1.0 `params` for `method` and validates them.
    ///
    /// Absent or `null` params read as `{}` (so a missing REQUIRED field is reported by name).
    /// Failures are `InvalidParams` (-32602) naming the field.
    pub fn from_params(method: Method, params: Option<Value>) -> Result<Self, A2aError> {
        let params = match params {
            None | Some(Value::Null) => Value::Object(Default::default()),
            Some(v @ Value::Object(_)) => v,
            Some(other) => {
                return Err(A2aError::invalid_params(vec![FieldViolation::new(
                    "params",
                    format!("must be an object, got {}", json_type_name(&other)),
                )]));
            }
        };
        let req = match method {
            Method::SendMessage => A2aRequest::SendMessage(decode_params(params)?),
            Method::SendStreamingMessage => {
                A2aRequest::SendStreamingMessage(decode_params(params)?)
            }
            Method::GetTask => A2aRequest::GetTask(decode_params(params)?),
            Method::ListTasks => A2aRequest::ListTasks(decode_params(params)?),
            Method::CancelTask => A2aRequest::CancelTask(decode_params(params)?),
            Method::SubscribeToTask => A2aRequest::SubscribeToTask(decode_params(params)?),
            Method::CreateTaskPushNotificationConfig => {
                A2aRequest::CreateTaskPushNotificationConfig(decode_params(params)?)
            }
            Method::GetTaskPushNotificationConfig => {
                A2aRequest::GetTaskPushNotificationConfig(decode_params(params)?)
            }
            Method::ListTaskPushNotificationConfigs => {
                A2aRequest::ListTaskPushNotificationConfigs(decode_params(params)?)
            }
            Method::DeleteTaskPushNotificationConfig => {
                A2aRequest::DeleteTaskPushNotificationConfig(decode_params(params)?)
            }
            Method::GetExtendedAgentCard => {
                A2aRequest::GetExtendedAgentCard(decode_params(params)?)
            }
        };
        req.validate().map_err(A2aError::from)?;
        Ok(req)
    }
}

impl Validate for A2aRequest {
    fn validate_into(&self, path: &str, out: &mut Vec<FieldViolation>) {
        match self {
            A2aRequest::SendMessage(r) | A2aRequest::SendStreamingMessage(r) => {
                r.validate_into(path, out)
            }
            A2aRequest::GetTask(r) => r.validate_into(path, out),
            A2aRequest::ListTasks(r) => r.validate_into(path, out),
            A2aRequest::CancelTask(r) => r.validate_into(path, out),
            A2aRequest::SubscribeToTask(r) => r.validate_into(path, out),
            A2aRequest::CreateTaskPushNotificationConfig(r) => {
                if r.task_id.is_empty() {
                    let field = if path.is_empty() {
                        "taskId".to_owned()
                    } else {
                        format!("{path}.taskId")
                    };
                    out.push(FieldViolation::new(field, "is required"));
                }
                r.validate_into(path, out);
            }
            A2aRequest::GetTaskPushNotificationConfig(r) => r.validate_into(path, out),
            A2aRequest::ListTaskPushNotificationConfigs(r) => r.validate_into(path, out),
            A2aRequest::DeleteTaskPushNotificationConfig(r) => r.validate_into(path, out),
            A2aRequest::GetExtendedAgentCard(_) => {}
        }
    }
}

fn decode_params<T: serde::de::DeserializeOwned>(params: Value) -> Result<T, A2aError> {
    crate::from_value(params).map_err(|e| {
        let field = if e.path.is_empty() {
            "params".to_owned()
        } else {
            e.path.clone()
        };
        A2aError::invalid_params(vec![FieldViolation::new(field, e.message)])
    })
}

/// How error messages name the JSON type of `v` (`a string`, `an object`, `null`, …).
pub fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A JSON-RPC request decoded down to its typed A2A operation.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedRequest {
    /// The request's id.
    pub id: RequestId,
    /// The version the method name implies (0.3 for slash names, 1.0 for PascalCase).
    pub version: ProtocolVersion,
    /// The operation and its parameters, in 1.0 form.
    pub request: A2aRequest,
}

/// A request that was refused, with the id to answer with (`null` when unreadable).
#[derive(Clone, Debug, PartialEq)]
pub struct RejectedRequest {
    /// The id to put in the error response.
    pub id: RequestId,
    /// The version to answer in (the method's when known, else 1.0).
    pub version: ProtocolVersion,
    /// Why.
    pub error: A2aError,
}

/// Decodes a JSON-RPC request body into a typed A2A operation.
///
/// Gives the spec's errors: -32700 for invalid JSON (id null), -32600 for anything that is
/// not a single request object with `jsonrpc:"2.0"`, a string `method` and an id (batches
/// and notifications are refused: A2A uses neither), -32601 for an unknown method, -32602
/// for params that do not decode or validate, naming the field. 0.3 methods have their
/// params read in 0.3 form and converted to 1.0.
pub fn decode_request(body: &[u8]) -> Result<DecodedRequest, Box<RejectedRequest>> {
    let reject = |id: RequestId, version, error| Box::new(RejectedRequest { id, version, error });
    let value: Value = match crate::from_json(body) {
        Ok(v) => v,
        Err(e) => {
            let what = if e.kind == DecodeErrorKind::Eof {
                "truncated JSON"
            } else {
                "invalid JSON"
            };
            return Err(reject(
                RequestId::Null,
                ProtocolVersion::V1_0,
                A2aError::new(ErrorCode::ParseError, format!("{what}: {}", e.message)),
            ));
        }
    };
    let invalid = |msg: &str| A2aError::new(ErrorCode::InvalidRequest, msg.to_owned());
    let obj = match value {
        Value::Object(o) => o,
        Value::Array(_) => {
            return Err(reject(
                RequestId::Null,
                ProtocolVersion::V1_0,
                invalid("batch requests are not supported"),
            ));
        }
        other => {
            return Err(reject(
                RequestId::Null,
                ProtocolVersion::V1_0,
                A2aError::new(
                    ErrorCode::InvalidRequest,
                    format!(
                        "a JSON-RPC request must be an object, got {}",
                        json_type_name(&other)
                    ),
                ),
            ));
        }
    };
    let id = match obj.get("id") {
        None => None,
        Some(Value::String(s)) => Some(RequestId::String(s.clone())),
        Some(Value::Number(n)) => Some(RequestId::Number(n.clone())),
        Some(Value::Null) => Some(RequestId::Null),
        Some(_) => {
            return Err(reject(
                RequestId::Null,
                ProtocolVersion::V1_0,
                invalid("`id` must be a string, a number or null"),
            ));
        }
    };
    let answer_id = id.clone().unwrap_or_default();
    let method_name = obj.get("method").and_then(Value::as_str);
    let version = method_name
        .and_then(Method::from_name)
        .map_or(ProtocolVersion::V1_0, |(_, v)| v);
    match obj.get("jsonrpc") {
        Some(Value::String(s)) if s == JSONRPC_VERSION => {}
        _ => {
            return Err(reject(
                answer_id,
                version,
                invalid("`jsonrpc` must be \"2.0\""),
            ));
        }
    }
    let Some(method_name) = method_name else {
        return Err(reject(
            answer_id,
            version,
            invalid("`method` must be a string"),
        ));
    };
    if id.is_none() {
        return Err(reject(
            RequestId::Null,
            version,
            invalid("notifications (requests without `id`) are not supported by A2A"),
        ));
    }
    let Some((method, version)) = Method::from_name(method_name) else {
        return Err(reject(
            answer_id,
            version,
            A2aError::new(
                ErrorCode::MethodNotFound,
                format!("Method not found: `{method_name}`"),
            ),
        ));
    };
    let params = obj.get("params").cloned();
    let request = match version {
        ProtocolVersion::V1_0 => A2aRequest::from_params(method, params),
        ProtocolVersion::V0_3 => crate::v03::request_from_params(method, params),
    }
    .map_err(|e| reject(answer_id.clone(), version, e))?;
    Ok(DecodedRequest {
        id: answer_id,
        version,
        request,
    })
}

/// The result of one A2A operation (or one stream event), before it is put on the wire.
#[derive(Clone, Debug, PartialEq)]
pub enum A2aResponse {
    /// `SendMessage`.
    SendMessage(crate::SendMessageResponse),
    /// `GetTask`, `CancelTask`.
    Task(crate::Task),
    /// `ListTasks`.
    ListTasks(ListTasksResponse),
    /// `Create…`/`GetTaskPushNotificationConfig`.
    PushConfig(TaskPushNotificationConfig),
    /// `ListTaskPushNotificationConfigs`.
    PushConfigs(ListTaskPushNotificationConfigsResponse),
    /// `DeleteTaskPushNotificationConfig` (`{}` in 1.0, `null` in 0.3).
    Empty,
    /// `GetExtendedAgentCard`.
    AgentCard(crate::AgentCard),
    /// One event of `SendStreamingMessage` / `SubscribeToTask`.
    ///
    /// `last` marks the final event of the stream (0.3 writes it as `final: true`).
    StreamEvent {
        /// The event.
        event: crate::StreamResponse,
        /// Whether the stream ends after it.
        last: bool,
    },
}

impl A2aResponse {
    /// The JSON-RPC `result` (or REST body) in the form of `version`.
    ///
    /// 1.0 never fails. 0.3 fails with a [`crate::ConversionError`] naming the field that 0.3
    /// cannot express (e.g. a `ListTasks` result, which 0.3 JSON-RPC lacked).
    pub fn to_json(&self, version: ProtocolVersion) -> Result<Value, crate::ConversionError> {
        match version {
            ProtocolVersion::V0_3 => crate::v03::encode_response(self),
            ProtocolVersion::V1_0 => {
                let v = match self {
                    A2aResponse::SendMessage(r) => serde_json::to_value(r),
                    A2aResponse::Task(t) => serde_json::to_value(t),
                    A2aResponse::ListTasks(r) => serde_json::to_value(r),
                    A2aResponse::PushConfig(c) => serde_json::to_value(c),
                    A2aResponse::PushConfigs(r) => serde_json::to_value(r),
                    A2aResponse::Empty => Ok(Value::Object(Default::default())),
                    A2aResponse::AgentCard(c) => serde_json::to_value(c),
                    A2aResponse::StreamEvent { event, .. } => serde_json::to_value(event),
                };
                // Plain data with string keys: serialization cannot fail.
                Ok(v.unwrap_or(Value::Null))
            }
        }
    }

    /// [`A2aResponse::to_json`] as JSON text. For 1.0 the response is written directly,
    /// without building a [`Value`] first (the same text: fields in declaration order).
    pub fn to_json_text(&self, version: ProtocolVersion) -> Result<String, crate::ConversionError> {
        let text = match version {
            ProtocolVersion::V0_3 => serde_json::to_string(&crate::v03::encode_response(self)?),
            ProtocolVersion::V1_0 => match self {
                A2aResponse::SendMessage(r) => serde_json::to_string(r),
                A2aResponse::Task(t) => serde_json::to_string(t),
                A2aResponse::ListTasks(r) => serde_json::to_string(r),
                A2aResponse::PushConfig(c) => serde_json::to_string(c),
                A2aResponse::PushConfigs(r) => serde_json::to_string(r),
                A2aResponse::Empty => Ok("{}".to_owned()),
                A2aResponse::AgentCard(c) => serde_json::to_string(c),
                A2aResponse::StreamEvent { event, .. } => serde_json::to_string(event),
            },
        };
        // Plain data with string keys: serialization cannot fail.
        Ok(text.unwrap_or_else(|_| "null".to_owned()))
    }
}
