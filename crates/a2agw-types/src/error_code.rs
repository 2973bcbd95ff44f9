//! JSON-RPC and A2A error codes, and the protocol-level error every binding maps from.

use crate::{FieldViolation, ProtocolVersion};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fmt;

/// The `google.rpc.ErrorInfo` domain of A2A errors.
pub const ERROR_DOMAIN: &str = "a2a-protocol.org";
/// `@type` of `google.rpc.ErrorInfo` in ProtoJSON `Any` form.
pub const ERROR_INFO_TYPE: &str = "type.googleapis.com/google.rpc.ErrorInfo";
/// `@type` of `google.rpc.BadRequest` in ProtoJSON `Any` form.
pub const BAD_REQUEST_TYPE: &str = "type.googleapis.com/google.rpc.BadRequest";

/// Every error code of JSON-RPC 2.0 and A2A 1.0 (0.3 shares -32001..=-32007).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorCode {
    /// -32700: the body is not valid JSON.
    ParseError,
    /// -32600: valid JSON but not a JSON-RPC request.
    InvalidRequest,
    /// -32601: unknown method.
    MethodNotFound,
    /// -32602: parameters fail validation.
    InvalidParams,
    /// -32603: unexpected server failure.
    InternalError,
    /// -32001: the task (or push config) does not exist or is not visible to the caller.
    TaskNotFound,
    /// -32002: the task is not in a cancelable state.
    TaskNotCancelable,
    /// -32003: push notifications are not supported.
    PushNotificationNotSupported,
    /// -32004: the operation is not supported.
    UnsupportedOperation,
    /// -32005: a media type is not supported.
    ContentTypeNotSupported,
    /// -32006: the agent produced an invalid response.
    InvalidAgentResponse,
    /// -32007: the extended card is declared but none is configured.
    ExtendedAgentCardNotConfigured,
    /// -32008: a required extension was not activated.
    ExtensionSupportRequired,
    /// -32009: the requested protocol version is not served.
    VersionNotSupported,
}

impl ErrorCode {
    /// Every code.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::ParseError,
        ErrorCode::InvalidRequest,
        ErrorCode::MethodNotFound,
        ErrorCode::InvalidParams,
        ErrorCode::InternalError,
        ErrorCode::TaskNotFound,
        ErrorCode::TaskNotCancelable,
        ErrorCode::PushNotificationNotSupported,
        ErrorCode::UnsupportedOperation,
        ErrorCode::ContentTypeNotSupported,
        ErrorCode::InvalidAgentResponse,
        ErrorCode::ExtendedAgentCardNotConfigured,
        ErrorCode::ExtensionSupportRequired,
        ErrorCode::VersionNotSupported,
    ];

    /// The JSON-RPC `error.code`.
    pub const fn code(self) -> i32 {
        match self {
            ErrorCode::ParseError => -32700,
            ErrorCode::InvalidRequest => -32600,
            ErrorCode::MethodNotFound => -32601,
            ErrorCode::InvalidParams => -32602,
            ErrorCode::InternalError => -32603,
            ErrorCode::TaskNotFound => -32001,
            ErrorCode::TaskNotCancelable => -32002,
            ErrorCode::PushNotificationNotSupported => -32003,
            ErrorCode::UnsupportedOperation => -32004,
            ErrorCode::ContentTypeNotSupported => -32005,
            ErrorCode::InvalidAgentResponse => -32006,
            ErrorCode::ExtendedAgentCardNotConfigured => -32007,
            ErrorCode::ExtensionSupportRequired => -32008,
            ErrorCode::VersionNotSupported => -32009,
        }
    }

    /// The code with this JSON-RPC number.
    pub fn from_code(code: i32) -> Option<Self> {
        ErrorCode::ALL.iter().copied().find(|c| c.code() == code)
    }

    /// The error's name in the 1.0 spec (`TaskNotFoundError`, `JSONParseError`, …).
    pub const fn spec_name(self) -> &'static str {
        match self {
            ErrorCode::ParseError => "JSONParseError",
            ErrorCode::InvalidRequest => "InvalidRequestError",
            ErrorCode::MethodNotFound => "MethodNotFoundError",
            ErrorCode::InvalidParams => "InvalidParamsError",
            ErrorCode::InternalError => "InternalError",
            ErrorCode::TaskNotFound => "TaskNotFoundError",
            ErrorCode::TaskNotCancelable => "TaskNotCancelableError",
            ErrorCode::PushNotificationNotSupported => "PushNotificationNotSupportedError",
            ErrorCode::UnsupportedOperation => "UnsupportedOperationError",
            ErrorCode::ContentTypeNotSupported => "ContentTypeNotSupportedError",
            ErrorCode::InvalidAgentResponse => "InvalidAgentResponseError",
            ErrorCode::ExtendedAgentCardNotConfigured => "ExtendedAgentCardNotConfiguredError",
            ErrorCode::ExtensionSupportRequired => "ExtensionSupportRequiredError",
            ErrorCode::VersionNotSupported => "VersionNotSupportedError",
        }
    }

    /// The error's name in the 0.3 spec, where it differs (`None` for codes 0.3 lacks).
    pub const fn spec_name_v03(self) -> Option<&'static str> {
        match self {
            ErrorCode::ExtendedAgentCardNotConfigured => {
                Some("AuthenticatedExtendedCardNotConfiguredError")
            }
            ErrorCode::ExtensionSupportRequired | ErrorCode::VersionNotSupported => None,
            other => Some(other.spec_name()),
        }
    }

    /// `google.rpc.ErrorInfo.reason`: the spec name in UPPER_SNAKE_CASE without "Error".
    pub const fn reason(self) -> &'static str {
        match self {
            ErrorCode::ParseError => "JSON_PARSE",
            ErrorCode::InvalidRequest => "INVALID_REQUEST",
            ErrorCode::MethodNotFound => "METHOD_NOT_FOUND",
            ErrorCode::InvalidParams => "INVALID_PARAMS",
            ErrorCode::InternalError => "INTERNAL",
            ErrorCode::TaskNotFound => "TASK_NOT_FOUND",
            ErrorCode::TaskNotCancelable => "TASK_NOT_CANCELABLE",
            ErrorCode::PushNotificationNotSupported => "PUSH_NOTIFICATION_NOT_SUPPORTED",
            ErrorCode::UnsupportedOperation => "UNSUPPORTED_OPERATION",
            ErrorCode::ContentTypeNotSupported => "CONTENT_TYPE_NOT_SUPPORTED",
            ErrorCode::InvalidAgentResponse => "INVALID_AGENT_RESPONSE",
            ErrorCode::ExtendedAgentCardNotConfigured => "EXTENDED_AGENT_CARD_NOT_CONFIGURED",
            ErrorCode::ExtensionSupportRequired => "EXTENSION_SUPPORT_REQUIRED",
            ErrorCode::VersionNotSupported => "VERSION_NOT_SUPPORTED",
        }
    }

    /// The code for an `ErrorInfo.reason`.
    pub fn from_reason(reason: &str) -> Option<Self> {
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|c| c.reason() == reason)
    }

    /// A default human-readable message.
    pub const fn default_message(self) -> &'static str {
        match self {
            ErrorCode::ParseError => "Invalid JSON payload",
            ErrorCode::InvalidRequest => "Request payload validation error",
            ErrorCode::MethodNotFound => "Method not found",
            ErrorCode::InvalidParams => "Invalid parameters",
            ErrorCode::InternalError => "Internal error",
            ErrorCode::TaskNotFound => "Task not found",
            ErrorCode::TaskNotCancelable => "Task cannot be canceled",
            ErrorCode::PushNotificationNotSupported => "Push Notification is not supported",
            ErrorCode::UnsupportedOperation => "This operation is not supported",
            ErrorCode::ContentTypeNotSupported => "Incompatible content types",
            ErrorCode::InvalidAgentResponse => "Invalid agent response",
            ErrorCode::ExtendedAgentCardNotConfigured => "Extended agent card is not configured",
            ErrorCode::ExtensionSupportRequired => "A required extension was not activated",
            ErrorCode::VersionNotSupported => "Protocol version is not supported",
        }
    }

    /// True for the A2A-specific codes (-32001..=-32099), which carry an `ErrorInfo`.
    pub const fn is_a2a(self) -> bool {
        let c = self.code();
        c <= -32001 && c >= -32099
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.spec_name(), self.code())
    }
}

/// A protocol error, independent of binding: each binding maps it to its wire form
/// (JSON-RPC error object, `google.rpc.Status` body with an HTTP status, gRPC status).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct A2aError {
    /// The error code.
    pub code: ErrorCode,
    /// Human-readable message.
    pub message: String,
    /// `ErrorInfo.metadata` (e.g. `taskId`).
    pub metadata: BTreeMap<String, String>,
    /// Field violations (`google.rpc.BadRequest`), for validation errors.
    pub violations: Vec<FieldViolation>,
}

impl fmt::Display for A2aError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for A2aError {}

impl A2aError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        A2aError {
            code,
            message: message.into(),
            metadata: BTreeMap::new(),
            violations: Vec::new(),
        }
    }

    /// Adds an `ErrorInfo.metadata` entry.
    #[must_use]
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// -32001 for `task_id`.
    pub fn task_not_found(task_id: &str) -> Self {
        A2aError::new(
            ErrorCode::TaskNotFound,
            format!("Task not found: {task_id}"),
        )
        .with_metadata("taskId", task_id)
    }

    /// -32602 with field violations.
    pub fn invalid_params(violations: Vec<FieldViolation>) -> Self {
        let message = if violations.is_empty() {
            ErrorCode::InvalidParams.default_message().to_owned()
        } else {
            let detail: Vec<String> = violations
                .iter()
                .map(|v| format!("`{}`: {}", v.field, v.description))
                .collect();
            format!("Invalid parameters: {}", detail.join("; "))
        };
        A2aError {
            code: ErrorCode::InvalidParams,
            message,
            metadata: BTreeMap::new(),
            violations,
        }
    }

    /// -32004 with a message.
    pub fn unsupported(message: impl Into<String>) -> Self {
        A2aError::new(ErrorCode::UnsupportedOperation, message)
    }

    /// -32603 with a message.
    pub fn internal(message: impl Into<String>) -> Self {
        A2aError::new(ErrorCode::InternalError, message)
    }

    /// The `google.rpc.ErrorInfo` of this error, in ProtoJSON `Any` form.
    pub fn error_info(&self) -> Value {
        let mut o = Map::new();
        o.insert("@type".into(), ERROR_INFO_TYPE.into());
        o.insert("reason".into(), self.code.reason().into());
        o.insert("domain".into(), ERROR_DOMAIN.into());
        if !self.metadata.is_empty() {
            o.insert("metadata".into(), json!(self.metadata));
        }
        Value::Object(o)
    }

    /// The `google.rpc.BadRequest` of this error, when it has field violations.
    pub fn bad_request(&self) -> Option<Value> {
        if self.violations.is_empty() {
            return None;
        }
        let v: Vec<Value> = self
            .violations
            .iter()
            .map(|v| json!({"field": v.field, "description": v.description}))
            .collect();
        Some(json!({"@type": BAD_REQUEST_TYPE, "fieldViolations": v}))
    }

    /// The `details` array (`ErrorInfo` first, then `BadRequest`), shared by the
    /// JSON-RPC `data`, the REST `google.rpc.Status` body and gRPC status details.
    ///
    /// Only A2A-specific codes carry an `ErrorInfo`; the JSON-RPC standard codes have no
    /// spec reason and carry only a `BadRequest` when there are field violations.
    pub fn details(&self) -> Vec<Value> {
        let mut d = Vec::with_capacity(2);
        if self.code.is_a2a() {
            d.push(self.error_info());
        }
        d.extend(self.bad_request());
        d
    }

    /// The JSON-RPC `error` object in the form of `version`.
    ///
    /// 1.0: `data` is an array of `Any` ([`A2aError::details`]), omitted when empty.
    /// 0.3: `data` is a plain object (it was free-form), omitted when there is nothing to say.
    pub fn to_jsonrpc(&self, version: ProtocolVersion) -> crate::JsonRpcError {
        let data = match version {
            ProtocolVersion::V1_0 => {
                let details = self.details();
                (!details.is_empty()).then_some(Value::Array(details))
            }
            ProtocolVersion::V0_3 => {
                let mut o = Map::new();
                if !self.metadata.is_empty() {
                    o.extend(
                        self.metadata
                            .iter()
                            .map(|(k, v)| (k.clone(), Value::String(v.clone()))),
                    );
                }
                if !self.violations.is_empty() {
                    let v: Vec<Value> = self
                        .violations
                        .iter()
                        .map(|v| json!({"field": v.field, "description": v.description}))
                        .collect();
                    o.insert("fieldViolations".into(), Value::Array(v));
                }
                (!o.is_empty()).then_some(Value::Object(o))
            }
        };
        crate::JsonRpcError {
            code: self.code.code(),
            message: self.message.clone(),
            data,
        }
    }

    /// Reads an error back from a JSON-RPC error object (client side); unknown codes
    /// become `InternalError` with the original code kept in the metadata.
    pub fn from_jsonrpc(e: &crate::JsonRpcError) -> Self {
        let code = ErrorCode::from_code(e.code).unwrap_or(ErrorCode::InternalError);
        let mut err = A2aError::new(code, e.message.clone());
        if ErrorCode::from_code(e.code).is_none() {
            err.metadata
                .insert("jsonrpcCode".into(), e.code.to_string());
        }
        if let Some(Value::Array(items)) = &e.data {
            for item in items {
                match (item.get("@type").and_then(Value::as_str), item) {
                    (Some(ERROR_INFO_TYPE), _) => {
                        if let Some(Value::Object(md)) = item.get("metadata") {
                            err.metadata.extend(md.iter().filter_map(|(k, v)| {
                                v.as_str().map(|s| (k.clone(), s.to_owned()))
                            }));
                        }
                    }
                    (Some(BAD_REQUEST_TYPE), _) => {
                        if let Some(Value::Array(fv)) = item.get("fieldViolations") {
                            err.violations.extend(fv.iter().map(|v| {
                                let text = |k: &str| {
                                    v.get(k)
                                        .and_then(Value::as_str)
                                        .unwrap_or_default()
                                        .to_owned()
                                };
                                FieldViolation::new(text("field"), text("description"))
                            }));
                        }
                    }
                    _ => {}
                }
            }
        }
        err
    }
}

impl From<crate::ValidationError> for A2aError {
    fn from(e: crate::ValidationError) -> Self {
        A2aError::invalid_params(e.violations)
    }
}
