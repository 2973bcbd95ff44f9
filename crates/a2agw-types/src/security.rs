//! Security schemes (OpenAPI 3.2 style) and security requirements.

use crate::events::oneof_wrapper;
use crate::serde_util;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

oneof_wrapper! {
    /// One way to authenticate (proto oneof `scheme`).
    pub enum SecurityScheme {
        /// An API key in a header, query parameter or cookie.
        ApiKeySecurityScheme(ApiKeySecurityScheme) => "apiKeySecurityScheme" | "api_key_security_scheme",
        /// HTTP authentication (`Bearer`, `Basic`, …).
        HttpAuthSecurityScheme(HttpAuthSecurityScheme) => "httpAuthSecurityScheme" | "http_auth_security_scheme",
        /// OAuth 2.0.
        Oauth2SecurityScheme(OAuth2SecurityScheme) => "oauth2SecurityScheme" | "oauth2_security_scheme",
        /// OpenID Connect.
        OpenIdConnectSecurityScheme(OpenIdConnectSecurityScheme) => "openIdConnectSecurityScheme" | "open_id_connect_security_scheme",
        /// Mutual TLS.
        MtlsSecurityScheme(MutualTlsSecurityScheme) => "mtlsSecurityScheme" | "mtls_security_scheme",
    }
}

/// An API key scheme.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeySecurityScheme {
    /// Description.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
    /// `query`, `header` or `cookie`. REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub location: String,
    /// The header, query parameter or cookie name. REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub name: String,
}

/// An HTTP authentication scheme.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpAuthSecurityScheme {
    /// Description.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
    /// The IANA scheme name, e.g. `Bearer`. REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub scheme: String,
    /// A hint such as `JWT`.
    #[serde(
        alias = "bearer_format",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub bearer_format: String,
}

/// An OAuth 2.0 scheme.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuth2SecurityScheme {
    /// Description.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
    /// The flow. REQUIRED.
    pub flows: OAuthFlows,
    /// RFC 8414 authorization server metadata URL.
    #[serde(
        rename = "oauth2MetadataUrl",
        alias = "oauth2_metadata_url",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub oauth2_metadata_url: String,
}

/// An OpenID Connect scheme.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenIdConnectSecurityScheme {
    /// Description.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
    /// The discovery URL. REQUIRED.
    #[serde(
        alias = "open_id_connect_url",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    pub open_id_connect_url: String,
}

/// A mutual TLS scheme.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MutualTlsSecurityScheme {
    /// Description.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
}

oneof_wrapper! {
    /// The OAuth flow of a scheme (proto oneof `flow`): exactly one.
    pub enum OAuthFlows {
        /// Authorization code (with optional PKCE).
        AuthorizationCode(AuthorizationCodeOAuthFlow) => "authorizationCode" | "authorization_code",
        /// Client credentials.
        ClientCredentials(ClientCredentialsOAuthFlow) => "clientCredentials" | "client_credentials",
        /// Implicit (deprecated).
        Implicit(ImplicitOAuthFlow) => "implicit",
        /// Password (deprecated).
        Password(PasswordOAuthFlow) => "password",
        /// Device code (RFC 8628).
        DeviceCode(DeviceCodeOAuthFlow) => "deviceCode" | "device_code",
    }
}

/// Scope name to description.
pub type Scopes = BTreeMap<String, String>;

/// Authorization code flow.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationCodeOAuthFlow {
    /// REQUIRED.
    #[serde(
        alias = "authorization_url",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    pub authorization_url: String,
    /// REQUIRED.
    #[serde(
        alias = "token_url",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    pub token_url: String,
    /// Refresh URL.
    #[serde(
        alias = "refresh_url",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub refresh_url: String,
    /// REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub scopes: Scopes,
    /// PKCE is required.
    #[serde(
        alias = "pkce_required",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "serde_util::is_false"
    )]
    pub pkce_required: bool,
}

/// Client credentials flow.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientCredentialsOAuthFlow {
    /// REQUIRED.
    #[serde(
        alias = "token_url",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    pub token_url: String,
    /// Refresh URL.
    #[serde(
        alias = "refresh_url",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub refresh_url: String,
    /// REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub scopes: Scopes,
}

/// Implicit flow (deprecated).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImplicitOAuthFlow {
    /// Authorization URL.
    #[serde(
        alias = "authorization_url",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub authorization_url: String,
    /// Refresh URL.
    #[serde(
        alias = "refresh_url",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub refresh_url: String,
    /// Scopes.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub scopes: Scopes,
}

/// Password flow (deprecated).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordOAuthFlow {
    /// Token URL.
    #[serde(
        alias = "token_url",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub token_url: String,
    /// Refresh URL.
    #[serde(
        alias = "refresh_url",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub refresh_url: String,
    /// Scopes.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub scopes: Scopes,
}

/// Device code flow (RFC 8628).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceCodeOAuthFlow {
    /// REQUIRED.
    #[serde(
        alias = "device_authorization_url",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    pub device_authorization_url: String,
    /// REQUIRED.
    #[serde(
        alias = "token_url",
        default,
        deserialize_with = "serde_util::null_default"
    )]
    pub token_url: String,
    /// Refresh URL.
    #[serde(
        alias = "refresh_url",
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub refresh_url: String,
    /// REQUIRED.
    #[serde(default, deserialize_with = "serde_util::null_default")]
    pub scopes: Scopes,
}

/// A list of strings (proto `StringList`), used for scope lists.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StringList {
    /// The strings.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub list: Vec<String>,
}

/// Scheme names that must all be satisfied together, each with its scopes.
/// A list of requirements is an OR: any one of them suffices.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SecurityRequirement {
    /// Scheme name to required scopes.
    #[serde(
        default,
        deserialize_with = "serde_util::null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub schemes: BTreeMap<String, StringList>,
}
