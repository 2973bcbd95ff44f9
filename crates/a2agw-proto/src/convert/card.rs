//! The agent card, its parts, security schemes and OAuth flows.

use super::error::{At, ConvertError};
use super::{into_vec, metadata_from, metadata_into, try_opt, try_req, try_vec};
use crate::v1;
use a2agw_types as t;

impl From<t::AgentInterface> for v1::AgentInterface {
    fn from(i: t::AgentInterface) -> Self {
        v1::AgentInterface {
            url: i.url,
            protocol_binding: i.protocol_binding,
            tenant: i.tenant,
            protocol_version: i.protocol_version,
        }
    }
}

impl TryFrom<v1::AgentInterface> for t::AgentInterface {
    type Error = ConvertError;
    fn try_from(i: v1::AgentInterface) -> Result<Self, ConvertError> {
        Ok(t::AgentInterface {
            url: i.url,
            protocol_binding: i.protocol_binding,
            tenant: i.tenant,
            protocol_version: i.protocol_version,
        })
    }
}

impl From<t::AgentProvider> for v1::AgentProvider {
    fn from(p: t::AgentProvider) -> Self {
        v1::AgentProvider {
            url: p.url,
            organization: p.organization,
        }
    }
}

impl TryFrom<v1::AgentProvider> for t::AgentProvider {
    type Error = ConvertError;
    fn try_from(p: v1::AgentProvider) -> Result<Self, ConvertError> {
        Ok(t::AgentProvider {
            url: p.url,
            organization: p.organization,
        })
    }
}

impl From<t::AgentExtension> for v1::AgentExtension {
    fn from(e: t::AgentExtension) -> Self {
        v1::AgentExtension {
            uri: e.uri,
            description: e.description,
            required: e.required,
            params: metadata_into(e.params),
        }
    }
}

impl TryFrom<v1::AgentExtension> for t::AgentExtension {
    type Error = ConvertError;
    fn try_from(e: v1::AgentExtension) -> Result<Self, ConvertError> {
        Ok(t::AgentExtension {
            uri: e.uri,
            description: e.description,
            required: e.required,
            params: metadata_from(e.params, "params")?,
        })
    }
}

impl From<t::AgentCapabilities> for v1::AgentCapabilities {
    fn from(c: t::AgentCapabilities) -> Self {
        v1::AgentCapabilities {
            streaming: c.streaming,
            push_notifications: c.push_notifications,
            extensions: into_vec(c.extensions),
            extended_agent_card: c.extended_agent_card,
        }
    }
}

impl TryFrom<v1::AgentCapabilities> for t::AgentCapabilities {
    type Error = ConvertError;
    fn try_from(c: v1::AgentCapabilities) -> Result<Self, ConvertError> {
        Ok(t::AgentCapabilities {
            streaming: c.streaming,
            push_notifications: c.push_notifications,
            extensions: try_vec(c.extensions, "extensions")?,
            extended_agent_card: c.extended_agent_card,
        })
    }
}

impl From<t::AgentSkill> for v1::AgentSkill {
    fn from(s: t::AgentSkill) -> Self {
        v1::AgentSkill {
            id: s.id,
            name: s.name,
            description: s.description,
            tags: s.tags,
            examples: s.examples,
            input_modes: s.input_modes,
            output_modes: s.output_modes,
            security_requirements: into_vec(s.security_requirements),
        }
    }
}

impl TryFrom<v1::AgentSkill> for t::AgentSkill {
    type Error = ConvertError;
    fn try_from(s: v1::AgentSkill) -> Result<Self, ConvertError> {
        Ok(t::AgentSkill {
            id: s.id,
            name: s.name,
            description: s.description,
            tags: s.tags,
            examples: s.examples,
            input_modes: s.input_modes,
            output_modes: s.output_modes,
            security_requirements: try_vec(s.security_requirements, "securityRequirements")?,
        })
    }
}

impl From<t::AgentCardSignature> for v1::AgentCardSignature {
    fn from(s: t::AgentCardSignature) -> Self {
        v1::AgentCardSignature {
            protected: s.protected,
            signature: s.signature,
            header: metadata_into(s.header),
        }
    }
}

impl TryFrom<v1::AgentCardSignature> for t::AgentCardSignature {
    type Error = ConvertError;
    fn try_from(s: v1::AgentCardSignature) -> Result<Self, ConvertError> {
        Ok(t::AgentCardSignature {
            protected: s.protected,
            signature: s.signature,
            header: metadata_from(s.header, "header")?,
        })
    }
}

impl From<t::AgentCard> for v1::AgentCard {
    fn from(c: t::AgentCard) -> Self {
        v1::AgentCard {
            name: c.name,
            description: c.description,
            supported_interfaces: into_vec(c.supported_interfaces),
            provider: c.provider.map(Into::into),
            version: c.version,
            documentation_url: c.documentation_url,
            capabilities: Some(c.capabilities.into()),
            security_schemes: c
                .security_schemes
                .into_iter()
                .map(|(k, v)| (k, v.into()))
                .collect(),
            security_requirements: into_vec(c.security_requirements),
            default_input_modes: c.default_input_modes,
            default_output_modes: c.default_output_modes,
            skills: into_vec(c.skills),
            signatures: into_vec(c.signatures),
            icon_url: c.icon_url,
        }
    }
}

/// An absent `capabilities` becomes the default (no optional capability).
impl TryFrom<v1::AgentCard> for t::AgentCard {
    type Error = ConvertError;
    fn try_from(c: v1::AgentCard) -> Result<Self, ConvertError> {
        let mut security_schemes = std::collections::BTreeMap::new();
        for (name, scheme) in c.security_schemes {
            let scheme = t::SecurityScheme::try_from(scheme)
                .map_err(|e| e.within(&format!("securitySchemes.{name}")))?;
            security_schemes.insert(name, scheme);
        }
        Ok(t::AgentCard {
            name: c.name,
            description: c.description,
            supported_interfaces: try_vec(c.supported_interfaces, "supportedInterfaces")?,
            provider: try_opt(c.provider, "provider")?,
            version: c.version,
            documentation_url: c.documentation_url,
            capabilities: try_req(c.capabilities, "capabilities")?,
            security_schemes,
            security_requirements: try_vec(c.security_requirements, "securityRequirements")?,
            default_input_modes: c.default_input_modes,
            default_output_modes: c.default_output_modes,
            skills: try_vec(c.skills, "skills")?,
            signatures: try_vec(c.signatures, "signatures")?,
            icon_url: c.icon_url,
        })
    }
}

impl From<t::StringList> for v1::StringList {
    fn from(l: t::StringList) -> Self {
        v1::StringList { list: l.list }
    }
}

impl TryFrom<v1::StringList> for t::StringList {
    type Error = ConvertError;
    fn try_from(l: v1::StringList) -> Result<Self, ConvertError> {
        Ok(t::StringList { list: l.list })
    }
}

impl From<t::SecurityRequirement> for v1::SecurityRequirement {
    fn from(r: t::SecurityRequirement) -> Self {
        v1::SecurityRequirement {
            schemes: r.schemes.into_iter().map(|(k, v)| (k, v.into())).collect(),
        }
    }
}

impl TryFrom<v1::SecurityRequirement> for t::SecurityRequirement {
    type Error = ConvertError;
    fn try_from(r: v1::SecurityRequirement) -> Result<Self, ConvertError> {
        Ok(t::SecurityRequirement {
            schemes: r
                .schemes
                .into_iter()
                .map(|(k, v)| (k, t::StringList { list: v.list }))
                .collect(),
        })
    }
}

impl From<t::ApiKeySecurityScheme> for v1::ApiKeySecurityScheme {
    fn from(s: t::ApiKeySecurityScheme) -> Self {
        v1::ApiKeySecurityScheme {
            description: s.description,
            location: s.location,
            name: s.name,
        }
    }
}

impl TryFrom<v1::ApiKeySecurityScheme> for t::ApiKeySecurityScheme {
    type Error = ConvertError;
    fn try_from(s: v1::ApiKeySecurityScheme) -> Result<Self, ConvertError> {
        Ok(t::ApiKeySecurityScheme {
            description: s.description,
            location: s.location,
            name: s.name,
        })
    }
}

impl From<t::HttpAuthSecurityScheme> for v1::HttpAuthSecurityScheme {
    fn from(s: t::HttpAuthSecurityScheme) -> Self {
        v1::HttpAuthSecurityScheme {
            description: s.description,
            scheme: s.scheme,
            bearer_format: s.bearer_format,
        }
    }
}

impl TryFrom<v1::HttpAuthSecurityScheme> for t::HttpAuthSecurityScheme {
    type Error = ConvertError;
    fn try_from(s: v1::HttpAuthSecurityScheme) -> Result<Self, ConvertError> {
        Ok(t::HttpAuthSecurityScheme {
            description: s.description,
            scheme: s.scheme,
            bearer_format: s.bearer_format,
        })
    }
}

impl From<t::OAuth2SecurityScheme> for v1::OAuth2SecurityScheme {
    fn from(s: t::OAuth2SecurityScheme) -> Self {
        v1::OAuth2SecurityScheme {
            description: s.description,
            flows: Some(s.flows.into()),
            oauth2_metadata_url: s.oauth2_metadata_url,
        }
    }
}

/// An absent `flows` is refused ([`ConvertError::MissingField`]): there is no
/// default flow, and the JSON reader refuses it too.
impl TryFrom<v1::OAuth2SecurityScheme> for t::OAuth2SecurityScheme {
    type Error = ConvertError;
    fn try_from(s: v1::OAuth2SecurityScheme) -> Result<Self, ConvertError> {
        let flows = s.flows.ok_or_else(|| ConvertError::MissingField {
            field: "flows".to_owned(),
        })?;
        Ok(t::OAuth2SecurityScheme {
            description: s.description,
            flows: flows.try_into().at("flows")?,
            oauth2_metadata_url: s.oauth2_metadata_url,
        })
    }
}

impl From<t::OpenIdConnectSecurityScheme> for v1::OpenIdConnectSecurityScheme {
    fn from(s: t::OpenIdConnectSecurityScheme) -> Self {
        v1::OpenIdConnectSecurityScheme {
            description: s.description,
            open_id_connect_url: s.open_id_connect_url,
        }
    }
}

impl TryFrom<v1::OpenIdConnectSecurityScheme> for t::OpenIdConnectSecurityScheme {
    type Error = ConvertError;
    fn try_from(s: v1::OpenIdConnectSecurityScheme) -> Result<Self, ConvertError> {
        Ok(t::OpenIdConnectSecurityScheme {
            description: s.description,
            open_id_connect_url: s.open_id_connect_url,
        })
    }
}

impl From<t::MutualTlsSecurityScheme> for v1::MutualTlsSecurityScheme {
    fn from(s: t::MutualTlsSecurityScheme) -> Self {
        v1::MutualTlsSecurityScheme {
            description: s.description,
        }
    }
}

impl TryFrom<v1::MutualTlsSecurityScheme> for t::MutualTlsSecurityScheme {
    type Error = ConvertError;
    fn try_from(s: v1::MutualTlsSecurityScheme) -> Result<Self, ConvertError> {
        Ok(t::MutualTlsSecurityScheme {
            description: s.description,
        })
    }
}

impl From<t::SecurityScheme> for v1::SecurityScheme {
    fn from(s: t::SecurityScheme) -> Self {
        use v1::security_scheme::Scheme;
        let scheme = match s {
            t::SecurityScheme::ApiKeySecurityScheme(x) => Scheme::ApiKeySecurityScheme(x.into()),
            t::SecurityScheme::HttpAuthSecurityScheme(x) => {
                Scheme::HttpAuthSecurityScheme(x.into())
            }
            t::SecurityScheme::Oauth2SecurityScheme(x) => Scheme::Oauth2SecurityScheme(x.into()),
            t::SecurityScheme::OpenIdConnectSecurityScheme(x) => {
                Scheme::OpenIdConnectSecurityScheme(x.into())
            }
            t::SecurityScheme::MtlsSecurityScheme(x) => Scheme::MtlsSecurityScheme(x.into()),
        };
        v1::SecurityScheme {
            scheme: Some(scheme),
        }
    }
}

impl TryFrom<v1::SecurityScheme> for t::SecurityScheme {
    type Error = ConvertError;
    fn try_from(s: v1::SecurityScheme) -> Result<Self, ConvertError> {
        use v1::security_scheme::Scheme;
        Ok(match s.scheme {
            None => return Err(ConvertError::missing_oneof("scheme")),
            Some(Scheme::ApiKeySecurityScheme(x)) => {
                t::SecurityScheme::ApiKeySecurityScheme(x.try_into().at("apiKeySecurityScheme")?)
            }
            Some(Scheme::HttpAuthSecurityScheme(x)) => t::SecurityScheme::HttpAuthSecurityScheme(
                x.try_into().at("httpAuthSecurityScheme")?,
            ),
            Some(Scheme::Oauth2SecurityScheme(x)) => {
                t::SecurityScheme::Oauth2SecurityScheme(x.try_into().at("oauth2SecurityScheme")?)
            }
            Some(Scheme::OpenIdConnectSecurityScheme(x)) => {
                t::SecurityScheme::OpenIdConnectSecurityScheme(
                    x.try_into().at("openIdConnectSecurityScheme")?,
                )
            }
            Some(Scheme::MtlsSecurityScheme(x)) => {
                t::SecurityScheme::MtlsSecurityScheme(x.try_into().at("mtlsSecurityScheme")?)
            }
        })
    }
}

impl From<t::AuthorizationCodeOAuthFlow> for v1::AuthorizationCodeOAuthFlow {
    fn from(f: t::AuthorizationCodeOAuthFlow) -> Self {
        v1::AuthorizationCodeOAuthFlow {
            authorization_url: f.authorization_url,
            token_url: f.token_url,
            refresh_url: f.refresh_url,
            scopes: f.scopes.into_iter().collect(),
            pkce_required: f.pkce_required,
        }
    }
}

impl TryFrom<v1::AuthorizationCodeOAuthFlow> for t::AuthorizationCodeOAuthFlow {
    type Error = ConvertError;
    fn try_from(f: v1::AuthorizationCodeOAuthFlow) -> Result<Self, ConvertError> {
        Ok(t::AuthorizationCodeOAuthFlow {
            authorization_url: f.authorization_url,
            token_url: f.token_url,
            refresh_url: f.refresh_url,
            scopes: f.scopes.into_iter().collect(),
            pkce_required: f.pkce_required,
        })
    }
}

impl From<t::ClientCredentialsOAuthFlow> for v1::ClientCredentialsOAuthFlow {
    fn from(f: t::ClientCredentialsOAuthFlow) -> Self {
        v1::ClientCredentialsOAuthFlow {
            token_url: f.token_url,
            refresh_url: f.refresh_url,
            scopes: f.scopes.into_iter().collect(),
        }
    }
}

impl TryFrom<v1::ClientCredentialsOAuthFlow> for t::ClientCredentialsOAuthFlow {
    type Error = ConvertError;
    fn try_from(f: v1::ClientCredentialsOAuthFlow) -> Result<Self, ConvertError> {
        Ok(t::ClientCredentialsOAuthFlow {
            token_url: f.token_url,
            refresh_url: f.refresh_url,
            scopes: f.scopes.into_iter().collect(),
        })
    }
}

impl From<t::ImplicitOAuthFlow> for v1::ImplicitOAuthFlow {
    fn from(f: t::ImplicitOAuthFlow) -> Self {
        v1::ImplicitOAuthFlow {
            authorization_url: f.authorization_url,
            refresh_url: f.refresh_url,
            scopes: f.scopes.into_iter().collect(),
        }
    }
}

impl TryFrom<v1::ImplicitOAuthFlow> for t::ImplicitOAuthFlow {
    type Error = ConvertError;
    fn try_from(f: v1::ImplicitOAuthFlow) -> Result<Self, ConvertError> {
        Ok(t::ImplicitOAuthFlow {
            authorization_url: f.authorization_url,
            refresh_url: f.refresh_url,
            scopes: f.scopes.into_iter().collect(),
        })
    }
}

impl From<t::PasswordOAuthFlow> for v1::PasswordOAuthFlow {
    fn from(f: t::PasswordOAuthFlow) -> Self {
        v1::PasswordOAuthFlow {
            token_url: f.token_url,
            refresh_url: f.refresh_url,
            scopes: f.scopes.into_iter().collect(),
        }
    }
}

impl TryFrom<v1::PasswordOAuthFlow> for t::PasswordOAuthFlow {
    type Error = ConvertError;
    fn try_from(f: v1::PasswordOAuthFlow) -> Result<Self, ConvertError> {
        Ok(t::PasswordOAuthFlow {
            token_url: f.token_url,
            refresh_url: f.refresh_url,
            scopes: f.scopes.into_iter().collect(),
        })
    }
}

impl From<t::DeviceCodeOAuthFlow> for v1::DeviceCodeOAuthFlow {
    fn from(f: t::DeviceCodeOAuthFlow) -> Self {
        v1::DeviceCodeOAuthFlow {
            device_authorization_url: f.device_authorization_url,
            token_url: f.token_url,
            refresh_url: f.refresh_url,
            scopes: f.scopes.into_iter().collect(),
        }
    }
}

impl TryFrom<v1::DeviceCodeOAuthFlow> for t::DeviceCodeOAuthFlow {
    type Error = ConvertError;
    fn try_from(f: v1::DeviceCodeOAuthFlow) -> Result<Self, ConvertError> {
        Ok(t::DeviceCodeOAuthFlow {
            device_authorization_url: f.device_authorization_url,
            token_url: f.token_url,
            refresh_url: f.refresh_url,
            scopes: f.scopes.into_iter().collect(),
        })
    }
}

// The implicit and password flows are deprecated in the proto (and so in the
// generated code), but still part of the protocol: they must convert.
#[allow(deprecated)]
impl From<t::OAuthFlows> for v1::OAuthFlows {
    fn from(f: t::OAuthFlows) -> Self {
        use v1::o_auth_flows::Flow;
        let flow = match f {
            t::OAuthFlows::AuthorizationCode(x) => Flow::AuthorizationCode(x.into()),
            t::OAuthFlows::ClientCredentials(x) => Flow::ClientCredentials(x.into()),
            t::OAuthFlows::Implicit(x) => Flow::Implicit(x.into()),
            t::OAuthFlows::Password(x) => Flow::Password(x.into()),
            t::OAuthFlows::DeviceCode(x) => Flow::DeviceCode(x.into()),
        };
        v1::OAuthFlows { flow: Some(flow) }
    }
}

#[allow(deprecated)]
impl TryFrom<v1::OAuthFlows> for t::OAuthFlows {
    type Error = ConvertError;
    fn try_from(f: v1::OAuthFlows) -> Result<Self, ConvertError> {
        use v1::o_auth_flows::Flow;
        Ok(match f.flow {
            None => return Err(ConvertError::missing_oneof("flow")),
            Some(Flow::AuthorizationCode(x)) => {
                t::OAuthFlows::AuthorizationCode(x.try_into().at("authorizationCode")?)
            }
            Some(Flow::ClientCredentials(x)) => {
                t::OAuthFlows::ClientCredentials(x.try_into().at("clientCredentials")?)
            }
            Some(Flow::Implicit(x)) => t::OAuthFlows::Implicit(x.try_into().at("implicit")?),
            Some(Flow::Password(x)) => t::OAuthFlows::Password(x.try_into().at("password")?),
            Some(Flow::DeviceCode(x)) => t::OAuthFlows::DeviceCode(x.try_into().at("deviceCode")?),
        })
    }
}
