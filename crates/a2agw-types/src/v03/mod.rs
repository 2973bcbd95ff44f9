//! A2A 0.3 wire shapes and their conversion to and from the 1.0 types.

use crate::{A2aError, A2aRequest, ErrorCode, Method};
use serde_json::Value;

/// Decodes 0.3 `params` for `method` and converts them to the 1.0 request.
pub(crate) fn request_from_params(method: Method, params: Option<Value>) -> Result<A2aRequest, A2aError> {
    let _ = params;
    Err(A2aError::new(ErrorCode::MethodNotFound, format!("0.3 method `{}` is not available yet", method.name_for(crate::ProtocolVersion::V0_3))))
}

/// Encodes a 1.0 result in its 0.3 form.
pub(crate) fn encode_response(response: &crate::A2aResponse) -> Result<Value, crate::ConversionError> {
    let _ = response;
    Err(crate::ConversionError::to_v03("result", "not implemented yet"))
}
