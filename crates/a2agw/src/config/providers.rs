//! The per-provider sections of `[agent]`: `[agent.langgraph]`, `[agent.azure]`,
//! `[agent.bedrock]` and `[agent.vertex]`.
//!
//! Every section parses in every build (so a file stays valid whatever features the binary
//! was built with); selecting a provider the build lacks is a clear error at start. Secrets
//! never sit in the file: it names the environment variables that hold them
//! (`api_key_env`, `client_secret_env`) or the files (`credential.path`).

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// The providers this build can run, in the order they are listed to users.
pub const AVAILABLE: &[&str] = &[
    "demo",
    "conformance",
    "echo",
    #[cfg(feature = "provider-langgraph")]
    "langgraph",
    #[cfg(feature = "provider-azure")]
    "azure",
    #[cfg(feature = "provider-bedrock")]
    "bedrock",
    #[cfg(feature = "provider-vertex")]
    "vertex",
];

/// Every provider name the configuration knows, with the cargo feature that builds it.
pub const KNOWN: &[(&str, &str)] = &[
    ("demo", ""),
    ("conformance", ""),
    ("echo", ""),
    ("langgraph", "provider-langgraph"),
    ("azure", "provider-azure"),
    ("bedrock", "provider-bedrock"),
    ("vertex", "provider-vertex"),
];

/// The provider of an `[agents.<name>]` agent: `[agents.<name>.provider]` with `kind` and,
/// for an adapter, its section's keys (those of `[agent.<kind>]`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ProviderConfig {
    /// The built-in demo agent.
    #[default]
    Demo,
    /// The built-in TCK conformance agent.
    Conformance,
    /// The built-in echo agent: completes every task at once with one artifact (the
    /// benchmarks' agent).
    Echo,
    /// LangGraph Platform / Agent Server (feature `provider-langgraph`).
    Langgraph(LangGraphSection),
    /// Azure AI Foundry Agent Service (feature `provider-azure`).
    Azure(AzureSection),
    /// Amazon Bedrock Agents (feature `provider-bedrock`).
    Bedrock(BedrockSection),
    /// Vertex AI Agent Engine (feature `provider-vertex`).
    Vertex(VertexSection),
}

impl ProviderConfig {
    /// The provider's name (`kind`), as [`KNOWN`] lists it.
    pub fn kind(&self) -> &'static str {
        match self {
            ProviderConfig::Demo => "demo",
            ProviderConfig::Conformance => "conformance",
            ProviderConfig::Echo => "echo",
            ProviderConfig::Langgraph(_) => "langgraph",
            ProviderConfig::Azure(_) => "azure",
            ProviderConfig::Bedrock(_) => "bedrock",
            ProviderConfig::Vertex(_) => "vertex",
        }
    }

    /// Whether it is built in (needs no card of its own to be told apart from the demo).
    pub fn is_builtin(&self) -> bool {
        matches!(
            self,
            ProviderConfig::Demo | ProviderConfig::Conformance | ProviderConfig::Echo
        )
    }

    /// Built into this binary, and its section complete; `at` names it in errors
    /// (`agents.support.provider`).
    pub fn check(&self, at: &str) -> Result<()> {
        let kind = self.kind();
        if !AVAILABLE.contains(&kind) {
            let feature = KNOWN
                .iter()
                .find(|(n, _)| *n == kind)
                .map_or("", |(_, f)| *f);
            bail!(
                "{at}: `{kind}` is not available in this build (available: {}); rebuild with \
                 `--features {feature}` (or `all-providers`)",
                AVAILABLE.join(", ")
            );
        }
        let checked = match self {
            ProviderConfig::Demo | ProviderConfig::Conformance | ProviderConfig::Echo => Ok(()),
            ProviderConfig::Langgraph(s) => s.check(),
            ProviderConfig::Azure(s) => s.check(),
            ProviderConfig::Bedrock(s) => s.check(),
            ProviderConfig::Vertex(s) => s.check(),
        };
        checked.with_context(|| format!("{at} (kind = \"{kind}\")"))
    }
}

/// `[agent.langgraph]`: a LangGraph Platform / Agent Server assistant.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LangGraphSection {
    /// The Agent Server's base URL, e.g. `https://my-deployment.langgraph.app`.
    pub base_url: String,
    /// The assistant id or graph name, e.g. `agent`.
    pub assistant_id: String,
    /// The environment variable holding the API key sent as `x-api-key` (LangSmith
    /// deployments). Empty: no key (a self-hosted server without auth).
    pub api_key_env: String,
    /// Seconds to wait for each HTTP answer (thread creation, run start, cancel).
    pub request_timeout_secs: u64,
    /// Seconds a running stream may stay silent before the task fails.
    pub idle_timeout_secs: u64,
}

impl Default for LangGraphSection {
    fn default() -> Self {
        LangGraphSection {
            base_url: String::new(),
            assistant_id: String::new(),
            api_key_env: String::new(),
            request_timeout_secs: 30,
            idle_timeout_secs: 300,
        }
    }
}

/// `[agent.azure]`: an Azure AI Foundry Agent Service agent.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AzureSection {
    /// The project endpoint,
    /// `https://<resource>.services.ai.azure.com/api/projects/<project>`.
    pub endpoint: String,
    /// The agent id, `asst_…`.
    pub agent_id: String,
    /// The `api-version` of every call.
    pub api_version: String,
    /// The Entra token scope (older deployments use
    /// `https://cognitiveservices.azure.com/.default`).
    pub scope: String,
    /// Seconds to wait for each HTTP answer.
    pub request_timeout_secs: u64,
    /// Seconds a run's event stream may stay silent before the run is cancelled and the
    /// task fails.
    pub idle_timeout_secs: u64,
    /// How many times a 429 answer is retried.
    pub max_retries: u32,
    /// `[agent.azure.credential]`: how the gateway gets its Entra tokens.
    pub credential: AzureCredentialSection,
}

impl Default for AzureSection {
    fn default() -> Self {
        AzureSection {
            endpoint: String::new(),
            agent_id: String::new(),
            api_version: "v1".into(),
            scope: "https://ai.azure.com/.default".into(),
            request_timeout_secs: 30,
            idle_timeout_secs: 120,
            max_retries: 2,
            credential: AzureCredentialSection::default(),
        }
    }
}

/// `[agent.azure.credential]`: one `azure_identity` credential, named by `kind`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AzureCredentialSection {
    /// `managed_identity` (default), `workload_identity`, `client_secret` or `azure_cli`.
    pub kind: String,
    /// The Entra tenant (required for `client_secret`).
    pub tenant_id: String,
    /// The application (client) id: required for `client_secret`; for
    /// `managed_identity`, a user-assigned identity.
    pub client_id: String,
    /// For `client_secret`: the environment variable holding the secret.
    pub client_secret_env: String,
    /// For `workload_identity`: the federated token file (default:
    /// `$AZURE_FEDERATED_TOKEN_FILE`).
    pub token_file: String,
    /// The Entra authority host for `client_secret` and `workload_identity` (sovereign
    /// clouds), e.g. `https://login.microsoftonline.us`. Empty: the public cloud.
    pub authority_host: String,
}

impl Default for AzureCredentialSection {
    fn default() -> Self {
        AzureCredentialSection {
            kind: "managed_identity".into(),
            tenant_id: String::new(),
            client_id: String::new(),
            client_secret_env: "AZURE_CLIENT_SECRET".into(),
            token_file: String::new(),
            authority_host: String::new(),
        }
    }
}

/// `[agent.bedrock]`: an Amazon Bedrock agent (alias).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct BedrockSection {
    /// The agent id.
    pub agent_id: String,
    /// The alias id (e.g. `TSTALIASID` for the draft).
    pub agent_alias_id: String,
    /// The AWS region (default: the standard chain, `AWS_REGION` / the profile).
    pub region: String,
    /// Another endpoint for the Bedrock Agent Runtime API (VPC endpoints, tests).
    pub endpoint_url: String,
    /// A named profile of the shared AWS config files (default: the standard chain).
    pub profile: String,
    /// Show the agent's trace steps as WORKING status messages.
    pub traces_as_status: bool,
    /// Seconds to wait for the response to start.
    pub request_timeout_secs: u64,
    /// Seconds the response stream may stay silent before the task fails.
    pub idle_timeout_secs: u64,
    /// How many times throttling and 5xx answers are retried before the stream starts.
    pub max_retries: u32,
}

impl Default for BedrockSection {
    fn default() -> Self {
        BedrockSection {
            agent_id: String::new(),
            agent_alias_id: String::new(),
            region: String::new(),
            endpoint_url: String::new(),
            profile: String::new(),
            traces_as_status: false,
            request_timeout_secs: 60,
            idle_timeout_secs: 300,
            max_retries: 2,
        }
    }
}

/// `[agent.vertex]`: a Vertex AI Agent Engine (reasoning engine) with the ADK template.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct VertexSection {
    /// The Google Cloud project id.
    pub project: String,
    /// The region, e.g. `us-central1`.
    pub location: String,
    /// The reasoning engine id.
    pub engine_id: String,
    /// Another API base URL (default `https://{location}-aiplatform.googleapis.com`).
    pub base_url: String,
    /// `v1` (default) or `v1beta1`.
    pub api_version: String,
    /// Stream answers with `:streamQuery` (default) or wait for `:query`.
    pub streaming: bool,
    /// The class method of `:streamQuery` (empty: the adapter's default,
    /// `async_stream_query`).
    pub stream_method: String,
    /// The class method of `:query` when `streaming = false` (empty: the adapter's default).
    pub query_method: String,
    /// The ADK `user_id` the gateway's sessions are created for.
    pub user_id: String,
    /// Seconds to wait for each HTTP answer.
    pub request_timeout_secs: u64,
    /// Seconds a stream may stay silent before the task fails.
    pub idle_timeout_secs: u64,
    /// How many times 429/503 answers are retried.
    pub max_retries: u32,
    /// `[agent.vertex.credential]`: where the access tokens come from.
    pub credential: VertexCredentialSection,
}

impl Default for VertexSection {
    fn default() -> Self {
        VertexSection {
            project: String::new(),
            location: String::new(),
            engine_id: String::new(),
            base_url: String::new(),
            api_version: "v1".into(),
            streaming: true,
            stream_method: String::new(),
            query_method: String::new(),
            user_id: "a2a-gateway".into(),
            request_timeout_secs: 30,
            idle_timeout_secs: 300,
            max_retries: 2,
            credential: VertexCredentialSection::default(),
        }
    }
}

/// `[agent.vertex.credential]`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct VertexCredentialSection {
    /// `auto` (default: `GOOGLE_APPLICATION_CREDENTIALS`, then gcloud's user credentials,
    /// then the metadata server, then `gcloud`), `service_account_file`, `metadata_server`
    /// or `user`.
    pub kind: String,
    /// The key file for `service_account_file`; for `user`, another
    /// `application_default_credentials.json` than gcloud's.
    pub path: String,
}

impl Default for VertexCredentialSection {
    fn default() -> Self {
        VertexCredentialSection {
            kind: "auto".into(),
            path: String::new(),
        }
    }
}

fn required(section: &str, fields: &[(&str, &str)]) -> Result<()> {
    for (name, value) in fields {
        if value.trim().is_empty() {
            bail!("agent.{section}.{name}: required");
        }
    }
    Ok(())
}

fn positive(section: &str, fields: &[(&str, u64)]) -> Result<()> {
    for (name, value) in fields {
        if *value == 0 {
            bail!("agent.{section}.{name}: must be at least 1");
        }
    }
    Ok(())
}

fn http_url(field: &str, value: &str) -> Result<()> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    if rest.is_none_or(|r| r.is_empty() || r.starts_with('/')) {
        bail!("{field}: `{value}` is not an http:// or https:// URL");
    }
    Ok(())
}

impl LangGraphSection {
    pub(super) fn check(&self) -> Result<()> {
        required(
            "langgraph",
            &[
                ("base_url", &self.base_url),
                ("assistant_id", &self.assistant_id),
            ],
        )?;
        http_url("agent.langgraph.base_url", &self.base_url)?;
        positive(
            "langgraph",
            &[
                ("request_timeout_secs", self.request_timeout_secs),
                ("idle_timeout_secs", self.idle_timeout_secs),
            ],
        )
    }
}

impl AzureSection {
    pub(super) fn check(&self) -> Result<()> {
        required(
            "azure",
            &[
                ("endpoint", &self.endpoint),
                ("agent_id", &self.agent_id),
                ("api_version", &self.api_version),
                ("scope", &self.scope),
            ],
        )?;
        http_url("agent.azure.endpoint", &self.endpoint)?;
        positive(
            "azure",
            &[
                ("request_timeout_secs", self.request_timeout_secs),
                ("idle_timeout_secs", self.idle_timeout_secs),
            ],
        )?;
        let c = &self.credential;
        match c.kind.as_str() {
            "client_secret" => required(
                "azure.credential",
                &[
                    ("tenant_id", &c.tenant_id),
                    ("client_id", &c.client_id),
                    ("client_secret_env", &c.client_secret_env),
                ],
            )?,
            "managed_identity" | "workload_identity" | "azure_cli" => {}
            other => bail!(
                "agent.azure.credential.kind: `{other}` is not one of managed_identity, \
                 workload_identity, client_secret, azure_cli"
            ),
        }
        if !c.authority_host.is_empty() {
            http_url("agent.azure.credential.authority_host", &c.authority_host)?;
        }
        Ok(())
    }
}

impl BedrockSection {
    pub(super) fn check(&self) -> Result<()> {
        required(
            "bedrock",
            &[
                ("agent_id", &self.agent_id),
                ("agent_alias_id", &self.agent_alias_id),
            ],
        )?;
        if !self.endpoint_url.is_empty() {
            http_url("agent.bedrock.endpoint_url", &self.endpoint_url)?;
        }
        positive(
            "bedrock",
            &[
                ("request_timeout_secs", self.request_timeout_secs),
                ("idle_timeout_secs", self.idle_timeout_secs),
            ],
        )
    }
}

impl VertexSection {
    pub(super) fn check(&self) -> Result<()> {
        required(
            "vertex",
            &[
                ("project", &self.project),
                ("location", &self.location),
                ("engine_id", &self.engine_id),
                ("api_version", &self.api_version),
                ("user_id", &self.user_id),
            ],
        )?;
        if !self.base_url.is_empty() {
            http_url("agent.vertex.base_url", &self.base_url)?;
        }
        positive(
            "vertex",
            &[
                ("request_timeout_secs", self.request_timeout_secs),
                ("idle_timeout_secs", self.idle_timeout_secs),
            ],
        )?;
        let c = &self.credential;
        match c.kind.as_str() {
            "service_account_file" if c.path.is_empty() => {
                bail!("agent.vertex.credential.path: required for service_account_file")
            }
            "auto" | "service_account_file" | "metadata_server" | "user" => Ok(()),
            other => bail!(
                "agent.vertex.credential.kind: `{other}` is not one of auto, \
                 service_account_file, metadata_server, user"
            ),
        }
    }
}
