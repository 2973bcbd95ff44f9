//! Integration tests of a2agw-signing: JCS against Node.js, sign/verify round trips,
//! tampering, the policy matrix, key handling, the a2a-tck reference key, and interop
//! with the official Python SDK.
// Test helpers outside `#[test]` functions unwrap too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod jcs_node;
mod keys;
mod python_sdk;
mod sign_verify;

use std::path::PathBuf;

/// `tests/data/<rel>`.
pub(crate) fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// A committed TEST-ONLY key (`tests/data/keys/<name>`).
pub(crate) fn key_pem(name: &str) -> Vec<u8> {
    std::fs::read(data(&format!("keys/{name}"))).unwrap()
}

/// An ASCII-only card with no empty values (the Python SDK's canonicaliser drops
/// empty values; see the crate docs).
pub(crate) fn sample_card() -> serde_json::Value {
    serde_json::json!({
        "name": "Echo Agent",
        "description": "Echoes what it is told",
        "version": "1.2.3",
        "supportedInterfaces": [
            {"url": "https://gw.example/agents/echo/a2a/v1", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
            {"url": "https://gw.example/agents/echo/rest", "protocolBinding": "HTTP+JSON", "protocolVersion": "1.0", "tenant": "t1"}
        ],
        "provider": {"url": "https://example.com", "organization": "Example Org"},
        "documentationUrl": "https://example.com/docs",
        "capabilities": {"streaming": true, "pushNotifications": false,
            "extensions": [{"uri": "urn:example:ext", "description": "An extension", "required": true, "params": {"level": 3, "mode": "fast"}}]},
        "securitySchemes": {"bearer": {"httpAuthSecurityScheme": {"scheme": "Bearer", "bearerFormat": "JWT"}}},
        "securityRequirements": [{"schemes": {"bearer": {"list": ["read"]}}}],
        "defaultInputModes": ["text/plain"],
        "defaultOutputModes": ["text/plain", "application/json"],
        "skills": [{"id": "echo", "name": "Echo", "description": "Echo the input", "tags": ["echo", "test"], "examples": ["hello"]}],
        "iconUrl": "https://example.com/icon.png"
    })
}
