//! The agent card and its parts.

use crate::serde_util;
use crate::{Metadata, SecurityRequirement, SecurityScheme};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The core binding names of `AgentInterface.protocolBinding`.
pub mod binding {
    /// JSON-RPC 2.0 over HTTP, with SSE for streams.
    pub const JSONRPC: &str = "JSONRPC";
    /// HTTP+JSON (REST).
    pub const HTTP_JSON: &str = "HTTP+JSON";
    /// gRPC.
    pub const GRPC: &str = "GRPC";
}

/// A self-describing manifest of an agent.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentCard {
    /// REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub name: String,
    /// REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub description: String,
    /// Ordered, the first is preferred. REQUIRED, at least one.
    #[serde(
        alias = "supported_interfaces",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    pub supported_interfaces: Vec<AgentInterface>,
    /// The organisation behind the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<AgentProvider>,
    /// The agent's own version. REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub version: String,
    /// Documentation URL (explicit presence).
    #[serde(
        alias = "documentation_url",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub documentation_url: Option<String>,
    /// What the agent supports. REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub capabilities: AgentCapabilities,
    /// Named security schemes.
    #[serde(
        alias = "security_schemes",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub security_schemes: BTreeMap<String, SecurityScheme>,
    /// Any one of these requirements grants access.
    #[serde(
        alias = "security_requirements",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub security_requirements: Vec<SecurityRequirement>,
    /// Accepted input media types. REQUIRED.
    #[serde(
        alias = "default_input_modes",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    pub default_input_modes: Vec<String>,
    /// Produced output media types. REQUIRED.
    #[serde(
        alias = "default_output_modes",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    pub default_output_modes: Vec<String>,
    /// What the agent can do. REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub skills: Vec<AgentSkill>,
    /// JWS signatures over the card.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub signatures: Vec<AgentCardSignature>,
    /// Icon URL (explicit presence).
    #[serde(alias = "icon_url", default, skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
}

/// One way to reach the agent: URL, binding and protocol version.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentInterface {
    /// Absolute URL (HTTP bindings) or `host:port` (gRPC). REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub url: String,
    /// `JSONRPC`, `GRPC`, `HTTP+JSON` or a custom binding URI. REQUIRED.
    #[serde(
        alias = "protocol_binding",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    pub protocol_binding: String,
    /// Tenant to echo in every request to this interface.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub tenant: String,
    /// `Major.Minor`. REQUIRED.
    #[serde(
        alias = "protocol_version",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    pub protocol_version: String,
}

/// The organisation that provides an agent.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentProvider {
    /// REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub url: String,
    /// REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub organization: String,
}

/// Optional capabilities; an absent flag means false.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentCapabilities {
    /// Streaming methods are supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streaming: Option<bool>,
    /// Push notifications are supported.
    #[serde(
        alias = "push_notifications",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub push_notifications: Option<bool>,
    /// Supported extensions.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub extensions: Vec<AgentExtension>,
    /// An extended card is available to authenticated callers.
    #[serde(
        alias = "extended_agent_card",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub extended_agent_card: Option<bool>,
}

/// A protocol extension the agent supports.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentExtension {
    /// The extension's URI.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub uri: String,
    /// Description.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
    /// Clients must activate it.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "serde_util::is_false"
    )]
    pub required: bool,
    /// Extension parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Metadata>,
}

/// A capability of the agent.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentSkill {
    /// REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub id: String,
    /// REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub name: String,
    /// REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub description: String,
    /// Keywords. REQUIRED, at least one.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub tags: Vec<String>,
    /// Example prompts.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub examples: Vec<String>,
    /// Input media types (override the card's defaults).
    #[serde(
        alias = "input_modes",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub input_modes: Vec<String>,
    /// Output media types (override the card's defaults).
    #[serde(
        alias = "output_modes",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub output_modes: Vec<String>,
    /// Security requirements of this skill.
    #[serde(
        alias = "security_requirements",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub security_requirements: Vec<SecurityRequirement>,
}

/// A JWS signature over the card (detached payload).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentCardSignature {
    /// Base64url protected header. REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub protected: String,
    /// Base64url signature. REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub signature: String,
    /// Unprotected header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<Metadata>,
}
