//! Builds the configured provider: the built-in demo, or one of the adapters compiled in
//! with the `provider-*` features. The configuration was checked by
//! [`Config::check`](crate::config::Config::check); secrets are read here, from the
//! environment variables the file names.

use crate::config::ProviderConfig;
use a2agw_provider::{ConformanceProvider, DemoProvider, EchoProvider, Provider};
use anyhow::{Result, bail};
use std::sync::Arc;

/// The provider `config` describes.
pub async fn build(config: &ProviderConfig) -> Result<Arc<dyn Provider>> {
    #[allow(unreachable_patterns)] // every variant is reachable in the all-providers build
    let provider: Arc<dyn Provider> = match config {
        ProviderConfig::Demo => Arc::new(DemoProvider::default()),
        // The test agent of the official TCK's scenarios (`cargo xtask tck`).
        ProviderConfig::Conformance => Arc::new(ConformanceProvider::default()),
        ProviderConfig::Echo => Arc::new(EchoProvider),
        #[cfg(feature = "provider-langgraph")]
        ProviderConfig::Langgraph(s) => Arc::new(langgraph::build(s)?),
        #[cfg(feature = "provider-azure")]
        ProviderConfig::Azure(s) => Arc::new(azure::build(s)?),
        #[cfg(feature = "provider-bedrock")]
        ProviderConfig::Bedrock(s) => Arc::new(bedrock::build(s).await?),
        #[cfg(feature = "provider-vertex")]
        ProviderConfig::Vertex(s) => Arc::new(vertex::build(s).await?),
        other => bail!(
            "provider `{}` is not available in this build (available: {})",
            other.kind(),
            crate::config::providers::AVAILABLE.join(", ")
        ),
    };
    Ok(provider)
}

/// The value of the environment variable `name`, which the config field `field` names.
#[cfg(any(feature = "provider-langgraph", feature = "provider-azure"))]
fn secret_env(field: &str, name: &str) -> Result<String> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => Ok(v),
        Ok(_) => bail!("{field}: the environment variable `{name}` is empty"),
        Err(_) => bail!("{field}: the environment variable `{name}` is not set"),
    }
}

#[cfg(any(
    feature = "provider-langgraph",
    feature = "provider-azure",
    feature = "provider-bedrock",
    feature = "provider-vertex"
))]
fn secs(s: u64) -> std::time::Duration {
    std::time::Duration::from_secs(s.max(1))
}

#[cfg(feature = "provider-langgraph")]
mod langgraph {
    use super::{secret_env, secs};
    use crate::config::LangGraphSection;
    use a2agw_provider_langgraph::{LangGraphConfig, LangGraphProvider};
    use anyhow::{Context, Result};

    pub(super) fn build(s: &LangGraphSection) -> Result<LangGraphProvider> {
        let mut c = LangGraphConfig::new(&s.base_url, &s.assistant_id);
        if !s.api_key_env.is_empty() {
            c.api_key = Some(secret_env("agent.langgraph.api_key_env", &s.api_key_env)?);
        }
        c.request_timeout = secs(s.request_timeout_secs);
        c.idle_timeout = secs(s.idle_timeout_secs);
        LangGraphProvider::new(c).context("agent.langgraph")
    }
}

#[cfg(feature = "provider-azure")]
mod azure {
    use super::{opt, secret_env, secs};
    use crate::config::{AzureCredentialSection, AzureSection};
    use a2agw_provider_azure::{AzureAgentsConfig, AzureAgentsProvider, AzureCredentialConfig};
    use anyhow::{Context, Result, bail};

    pub(super) fn build(s: &AzureSection) -> Result<AzureAgentsProvider> {
        let mut c = AzureAgentsConfig::new(&s.endpoint, &s.agent_id);
        c.api_version.clone_from(&s.api_version);
        c.scope.clone_from(&s.scope);
        c.request_timeout = secs(s.request_timeout_secs);
        c.idle_timeout = secs(s.idle_timeout_secs);
        c.max_retries = s.max_retries;
        let credential = credential(&s.credential)?
            .build()
            .context("agent.azure.credential")?;
        AzureAgentsProvider::new(c, credential).context("agent.azure")
    }

    fn credential(c: &AzureCredentialSection) -> Result<AzureCredentialConfig> {
        Ok(match c.kind.as_str() {
            "client_secret" => AzureCredentialConfig::ClientSecret {
                tenant_id: c.tenant_id.clone(),
                client_id: c.client_id.clone(),
                client_secret: secret_env(
                    "agent.azure.credential.client_secret_env",
                    &c.client_secret_env,
                )?
                .into(),
                authority_host: opt(&c.authority_host),
            },
            "managed_identity" => AzureCredentialConfig::ManagedIdentity {
                client_id: opt(&c.client_id),
            },
            "workload_identity" => AzureCredentialConfig::WorkloadIdentity {
                tenant_id: opt(&c.tenant_id),
                client_id: opt(&c.client_id),
                token_file: opt(&c.token_file).map(Into::into),
                authority_host: opt(&c.authority_host),
            },
            "azure_cli" => AzureCredentialConfig::AzureCli {
                tenant_id: opt(&c.tenant_id),
            },
            other => bail!("agent.azure.credential.kind: `{other}` is not supported"),
        })
    }
}

#[cfg(any(
    feature = "provider-azure",
    feature = "provider-bedrock",
    feature = "provider-vertex"
))]
fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

#[cfg(feature = "provider-bedrock")]
mod bedrock {
    use super::{opt, secs};
    use crate::config::BedrockSection;
    use a2agw_provider_bedrock::{BedrockConfig, BedrockProvider};
    use anyhow::{Context, Result};

    /// Credentials come from the standard AWS chain (environment, profile files, SSO, web
    /// identity, container and instance roles); nothing secret is in the section.
    pub(super) async fn build(s: &BedrockSection) -> Result<BedrockProvider> {
        let mut c = BedrockConfig::new(&s.agent_id, &s.agent_alias_id);
        c.region = opt(&s.region);
        c.endpoint_url = opt(&s.endpoint_url);
        c.profile = opt(&s.profile);
        c.traces_as_status = s.traces_as_status;
        c.request_timeout = secs(s.request_timeout_secs);
        c.idle_timeout = secs(s.idle_timeout_secs);
        c.max_retries = s.max_retries;
        BedrockProvider::from_env(c).await.context("agent.bedrock")
    }
}

#[cfg(feature = "provider-vertex")]
mod vertex {
    use super::{opt, secs};
    use crate::config::VertexSection;
    use a2agw_provider_vertex::{VertexConfig, VertexCredentials, VertexProvider};
    use anyhow::{Context, Result, bail};

    pub(super) async fn build(s: &VertexSection) -> Result<VertexProvider> {
        let mut c = VertexConfig::new(&s.project, &s.location, &s.engine_id);
        c.base_url = opt(&s.base_url);
        c.api_version.clone_from(&s.api_version);
        c.streaming = s.streaming;
        if !s.stream_method.is_empty() {
            c.stream_method.clone_from(&s.stream_method);
        }
        if !s.query_method.is_empty() {
            c.query_method.clone_from(&s.query_method);
        }
        c.user_id.clone_from(&s.user_id);
        c.request_timeout = secs(s.request_timeout_secs);
        c.idle_timeout = secs(s.idle_timeout_secs);
        c.max_retries = s.max_retries;
        let path = || opt(&s.credential.path).map(std::path::PathBuf::from);
        let credentials = match s.credential.kind.as_str() {
            "auto" => VertexCredentials::Auto,
            "metadata_server" => VertexCredentials::MetadataServer,
            "user" => VertexCredentials::UserCredentials(path()),
            "service_account_file" => match path() {
                Some(p) => VertexCredentials::ServiceAccountFile(p),
                None => bail!("agent.vertex.credential.path: required for service_account_file"),
            },
            other => bail!("agent.vertex.credential.kind: `{other}` is not supported"),
        };
        let tokens = credentials
            .token_provider()
            .await
            .context("agent.vertex.credential")?;
        VertexProvider::new(c, tokens).context("agent.vertex")
    }
}
