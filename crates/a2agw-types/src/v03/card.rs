//! The 0.3 agent card and its OpenAPI-style security schemes.

use super::de;
use crate::Metadata;
use crate::serde_util;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// The `protocolVersion` written on 0.3 cards.
pub const PROTOCOL_VERSION: &str = "0.3.0";

/// Scheme name to required scopes (OpenAPI Security Requirement Object); a list of them is
/// an OR, the schemes inside one are an AND.
pub type SecurityRequirement = BTreeMap<String, Vec<String>>;

/// Scope name to description.
pub type Scopes = BTreeMap<String, String>;

/// A 0.3 agent card.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentCard {
    /// The A2A version the agent speaks (`"0.3.0"`). REQUIRED.
    pub protocol_version: String,
    /// REQUIRED.
    pub name: String,
    /// REQUIRED.
    pub description: String,
    /// The preferred endpoint. REQUIRED.
    pub url: String,
    /// The transport at `url` (absent = `JSONRPC`; always written).
    #[serde(
        default = "default_transport",
        deserialize_with = "transport_or_default"
    )]
    pub preferred_transport: String,
    /// Further (url, transport) combinations.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub additional_interfaces: Vec<AgentInterface>,
    /// Icon URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    /// The organisation behind the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<AgentProvider>,
    /// The agent's own version. REQUIRED.
    pub version: String,
    /// Documentation URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_url: Option<String>,
    /// Optional capabilities. REQUIRED.
    pub capabilities: AgentCapabilities,
    /// Named security schemes.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub security_schemes: BTreeMap<String, SecurityScheme>,
    /// Security requirements (any one suffices).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub security: Vec<SecurityRequirement>,
    /// Accepted input media types. REQUIRED.
    pub default_input_modes: Vec<String>,
    /// Produced output media types. REQUIRED.
    pub default_output_modes: Vec<String>,
    /// Skills. REQUIRED.
    pub skills: Vec<AgentSkill>,
    /// An extended card is available to authenticated callers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_authenticated_extended_card: Option<bool>,
    /// JWS signatures over the card.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub signatures: Vec<AgentCardSignature>,
}

fn default_transport() -> String {
    crate::binding::JSONRPC.to_owned()
}

fn transport_or_default<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_else(default_transport))
}

/// A (url, transport) combination.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AgentInterface {
    /// The endpoint. REQUIRED.
    pub url: String,
    /// `JSONRPC`, `GRPC`, `HTTP+JSON` or another transport name. REQUIRED.
    pub transport: String,
}

/// The organisation that provides an agent.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AgentProvider {
    /// REQUIRED.
    pub organization: String,
    /// REQUIRED.
    pub url: String,
}

/// Optional capabilities.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentCapabilities {
    /// Streaming methods are supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streaming: Option<bool>,
    /// Push notifications are supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_notifications: Option<bool>,
    /// Status history is recorded (removed in 1.0: dropped when converting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_transition_history: Option<bool>,
    /// Supported extensions.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub extensions: Vec<AgentExtension>,
}

/// A protocol extension the agent supports.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct AgentExtension {
    /// The extension's URI. REQUIRED.
    pub uri: String,
    /// Description (empty = absent).
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
    pub id: String,
    /// REQUIRED.
    pub name: String,
    /// REQUIRED.
    pub description: String,
    /// REQUIRED.
    pub tags: Vec<String>,
    /// Example prompts.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub examples: Vec<String>,
    /// Input media types.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub input_modes: Vec<String>,
    /// Output media types.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub output_modes: Vec<String>,
    /// Security requirements of this skill.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub security: Vec<SecurityRequirement>,
}

/// A JWS signature over the card.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct AgentCardSignature {
    /// REQUIRED.
    pub protected: String,
    /// REQUIRED.
    pub signature: String,
    /// Unprotected header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<Metadata>,
}

/// A security scheme, told apart by `type`.
// OAuth2 (four optional flows) is much larger than the others; cards are few and
// short-lived, so the plain shape is kept rather than boxing it.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum SecurityScheme {
    /// `"type": "apiKey"`.
    #[serde(rename = "apiKey")]
    ApiKey(ApiKeySecurityScheme),
    /// `"type": "http"`.
    #[serde(rename = "http")]
    Http(HttpAuthSecurityScheme),
    /// `"type": "oauth2"`.
    #[serde(rename = "oauth2")]
    OAuth2(OAuth2SecurityScheme),
    /// `"type": "openIdConnect"`.
    #[serde(rename = "openIdConnect")]
    OpenIdConnect(OpenIdConnectSecurityScheme),
    /// `"type": "mutualTLS"`.
    #[serde(rename = "mutualTLS")]
    MutualTls(MutualTlsSecurityScheme),
}

impl<'de> Deserialize<'de> for SecurityScheme {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (kind, value) = de::tagged_object(d, "type")?;
        match kind.as_str() {
            "apiKey" => de::nested(value).map(SecurityScheme::ApiKey),
            "http" => de::nested(value).map(SecurityScheme::Http),
            "oauth2" => de::nested(value).map(SecurityScheme::OAuth2),
            "openIdConnect" => de::nested(value).map(SecurityScheme::OpenIdConnect),
            "mutualTLS" => de::nested(value).map(SecurityScheme::MutualTls),
            other => Err(de::unknown_tag(
                "type",
                other,
                &["apiKey", "http", "oauth2", "openIdConnect", "mutualTLS"],
            )),
        }
    }
}

/// Where an API key goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiKeyLocation {
    /// A cookie.
    Cookie,
    /// A header.
    #[default]
    Header,
    /// A query parameter.
    Query,
}

impl ApiKeyLocation {
    /// `cookie`, `header` or `query` (the 1.0 `location` spelling too).
    pub const fn as_str(self) -> &'static str {
        match self {
            ApiKeyLocation::Cookie => "cookie",
            ApiKeyLocation::Header => "header",
            ApiKeyLocation::Query => "query",
        }
    }
}

/// An API key scheme.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ApiKeySecurityScheme {
    /// Description (empty = absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
    /// Where the key goes (`in`). REQUIRED.
    #[serde(rename = "in")]
    pub location: ApiKeyLocation,
    /// The header, query parameter or cookie name. REQUIRED.
    pub name: String,
}

/// An HTTP authentication scheme.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpAuthSecurityScheme {
    /// Description (empty = absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
    /// The RFC 7235 scheme name, e.g. `bearer` (kept as written). REQUIRED.
    pub scheme: String,
    /// A hint such as `JWT` (empty = absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub bearer_format: String,
}

/// An OAuth 2.0 scheme.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OAuth2SecurityScheme {
    /// Description (empty = absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
    /// The flows (0.3 allows several; 1.0 exactly one). REQUIRED.
    pub flows: OAuthFlows,
    /// RFC 8414 metadata URL (empty = absent).
    #[serde(
        rename = "oauth2MetadataUrl",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub oauth2_metadata_url: String,
}

/// The OAuth flows of a scheme (any subset).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthFlows {
    /// Authorization code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_code: Option<AuthorizationCodeOAuthFlow>,
    /// Client credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_credentials: Option<ClientCredentialsOAuthFlow>,
    /// Implicit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implicit: Option<ImplicitOAuthFlow>,
    /// Password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<PasswordOAuthFlow>,
}

/// Authorization code flow.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationCodeOAuthFlow {
    /// REQUIRED.
    pub authorization_url: String,
    /// REQUIRED.
    pub token_url: String,
    /// Refresh URL (empty = absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub refresh_url: String,
    /// REQUIRED.
    pub scopes: Scopes,
}

/// Client credentials flow.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientCredentialsOAuthFlow {
    /// REQUIRED.
    pub token_url: String,
    /// Refresh URL (empty = absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub refresh_url: String,
    /// REQUIRED.
    pub scopes: Scopes,
}

/// Implicit flow.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImplicitOAuthFlow {
    /// REQUIRED.
    pub authorization_url: String,
    /// Refresh URL (empty = absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub refresh_url: String,
    /// REQUIRED.
    pub scopes: Scopes,
}

/// Password flow.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordOAuthFlow {
    /// REQUIRED.
    pub token_url: String,
    /// Refresh URL (empty = absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub refresh_url: String,
    /// REQUIRED.
    pub scopes: Scopes,
}

/// An OpenID Connect scheme.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenIdConnectSecurityScheme {
    /// Description (empty = absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
    /// The discovery URL. REQUIRED.
    pub open_id_connect_url: String,
}

/// A mutual TLS scheme.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MutualTlsSecurityScheme {
    /// Description (empty = absent).
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
}
