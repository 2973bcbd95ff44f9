//! Microsoft Entra credentials from `azure_identity` 1.0, chosen by configuration.
//!
//! `azure_identity` 1.0 has no `DefaultAzureCredential` (no chain): the configuration
//! names exactly one credential. Its HTTP calls (token endpoint, IMDS) go through
//! `azure_core`'s pipeline on the same reqwest 0.13 / rustls stack as the adapter.

use a2agw_provider::{ProviderError, ProviderErrorKind, Result};
use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::TokenCredential;
use azure_core::http::{
    AsyncRawResponse, ClientOptions, HttpClient, Request, Transport, Url, new_http_client,
};
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ClientAssertionCredentialOptions,
    ClientSecretCredential, ClientSecretCredentialOptions, ManagedIdentityCredential,
    ManagedIdentityCredentialOptions, UserAssignedId, WorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// A secret string (a client secret). Its `Debug` output never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value (to hand to the credential; never log it).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

/// Which `azure_identity` credential gets the gateway's Entra tokens.
///
/// `authority_host` (for the credentials that talk to Entra themselves) overrides the
/// login endpoint, e.g. `https://login.microsoftonline.us` (Azure Government) or
/// `https://login.chinacloudapi.cn`; `None` means the `AZURE_AUTHORITY_HOST` environment
/// variable when set (AKS sets it for workload identity), else the public cloud
/// `https://login.microsoftonline.com`. `azure_identity` accepts only `https://` hosts;
/// an `http://` host is accepted here only for a loopback address (a local token endpoint
/// such as the test fake's): the credential is built with its `https://` form and a
/// transport that sends its token requests to that address over plain HTTP.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum AzureCredentialConfig {
    /// A service principal with a client secret (`ClientSecretCredential`).
    ClientSecret {
        /// The Entra tenant (directory) id.
        tenant_id: String,
        /// The application (client) id.
        client_id: String,
        /// The client secret.
        client_secret: Secret,
        /// The Entra authority host (sovereign clouds); see the type's docs.
        authority_host: Option<String>,
    },
    /// The managed identity of the Azure host (`ManagedIdentityCredential`: App Service /
    /// Functions through `IDENTITY_ENDPOINT`, else the VM / AKS node IMDS endpoint).
    ManagedIdentity {
        /// The client id of a user-assigned identity; `None` for the system-assigned one.
        client_id: Option<String>,
    },
    /// Microsoft Entra Workload ID on Kubernetes (`WorkloadIdentityCredential`): a
    /// federated service-account token exchanged for an Entra token.
    WorkloadIdentity {
        /// The tenant id; `None`: `AZURE_TENANT_ID` (set by the AKS webhook).
        tenant_id: Option<String>,
        /// The client id; `None`: `AZURE_CLIENT_ID`.
        client_id: Option<String>,
        /// The federated token file; `None`: `AZURE_FEDERATED_TOKEN_FILE`.
        token_file: Option<PathBuf>,
        /// The Entra authority host; see the type's docs.
        authority_host: Option<String>,
    },
    /// The signed-in Azure CLI (`AzureCliCredential`, runs `az account get-access-token`):
    /// for development machines.
    AzureCli {
        /// The tenant to get tokens for; `None`: the CLI's default tenant.
        tenant_id: Option<String>,
    },
}

impl AzureCredentialConfig {
    /// The configuration name of the credential kind (`client_secret`,
    /// `managed_identity`, `workload_identity`, `azure_cli`).
    pub fn kind(&self) -> &'static str {
        match self {
            AzureCredentialConfig::ClientSecret { .. } => "client_secret",
            AzureCredentialConfig::ManagedIdentity { .. } => "managed_identity",
            AzureCredentialConfig::WorkloadIdentity { .. } => "workload_identity",
            AzureCredentialConfig::AzureCli { .. } => "azure_cli",
        }
    }

    /// Builds the credential. Fails (kind `Other`) on invalid settings: an empty or
    /// malformed tenant or client id, an unreadable federated token file, missing
    /// workload identity environment variables, an unusable authority host. No token is
    /// requested here: the first one is fetched when the provider makes its first call.
    pub fn build(&self) -> Result<Arc<dyn TokenCredential>> {
        let kind = self.kind();
        let fail = |e: azure_core::Error| build_error(kind, &e);
        let credential: Arc<dyn TokenCredential> = match self {
            AzureCredentialConfig::ClientSecret {
                tenant_id,
                client_id,
                client_secret,
                authority_host,
            } => {
                let options = ClientSecretCredentialOptions {
                    client_options: client_options(kind, authority_host.as_deref())?,
                };
                ClientSecretCredential::new(
                    tenant_id.trim(),
                    client_id.trim().to_owned(),
                    client_secret.expose().to_owned().into(),
                    Some(options),
                )
                .map_err(fail)?
            }
            AzureCredentialConfig::ManagedIdentity { client_id } => {
                let options = ManagedIdentityCredentialOptions {
                    user_assigned_id: non_empty(client_id.as_deref())
                        .map(|id| UserAssignedId::ClientId(id.to_owned())),
                    ..ManagedIdentityCredentialOptions::default()
                };
                ManagedIdentityCredential::new(Some(options)).map_err(fail)?
            }
            AzureCredentialConfig::WorkloadIdentity {
                tenant_id,
                client_id,
                token_file,
                authority_host,
            } => {
                let options = WorkloadIdentityCredentialOptions {
                    credential_options: ClientAssertionCredentialOptions {
                        client_options: client_options(kind, authority_host.as_deref())?,
                    },
                    client_id: non_empty(client_id.as_deref()).map(str::to_owned),
                    tenant_id: non_empty(tenant_id.as_deref()).map(str::to_owned),
                    token_file_path: token_file.clone(),
                };
                WorkloadIdentityCredential::new(Some(options)).map_err(fail)?
            }
            AzureCredentialConfig::AzureCli { tenant_id } => {
                let options = AzureCliCredentialOptions {
                    tenant_id: non_empty(tenant_id.as_deref()).map(str::to_owned),
                    ..AzureCliCredentialOptions::default()
                };
                AzureCliCredential::new(Some(options)).map_err(fail)?
            }
        };
        Ok(credential)
    }
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

fn build_error(kind: &str, e: &azure_core::Error) -> ProviderError {
    ProviderError::new(
        ProviderErrorKind::Other,
        format!("could not set up the Azure credential `{kind}`: {e}"),
    )
}

fn config_error(kind: &str, message: &str) -> ProviderError {
    ProviderError::new(
        ProviderErrorKind::Other,
        format!("could not set up the Azure credential `{kind}`: {message}"),
    )
}

/// The pipeline options for a credential that talks to the Entra authority host.
fn client_options(kind: &str, authority_host: Option<&str>) -> Result<ClientOptions> {
    let mut options = ClientOptions::default();
    let Some(host) = non_empty(authority_host) else {
        return Ok(options);
    };
    let url = Url::parse(host).map_err(|e| {
        config_error(
            kind,
            &format!("the authority host `{host}` is not a valid URL: {e}"),
        )
    })?;
    let authority = match url.scheme() {
        "https" => url,
        "http" if is_loopback(&url) => {
            let port = url.port_or_known_default().unwrap_or(80);
            let mut https = url.clone();
            let rewritten = https.set_scheme("https").is_ok() && https.set_port(Some(port)).is_ok();
            let Some(host_name) = url.host_str().filter(|_| rewritten) else {
                return Err(config_error(
                    kind,
                    &format!("the authority host `{host}` cannot be used"),
                ));
            };
            options.transport = Some(Transport::new(Arc::new(LoopbackHttp {
                host: host_name.to_owned(),
                port,
                inner: new_http_client(None),
            })));
            https
        }
        _ => {
            return Err(config_error(
                kind,
                &format!(
                    "the authority host `{host}` must be an https URL (plain http is accepted \
                     only for a loopback address such as a local test token endpoint)"
                ),
            ));
        }
    };
    let mut custom = CustomConfiguration::default();
    custom.authority_host = authority.as_str().trim_end_matches('/').to_owned();
    options.cloud = Some(Arc::new(CloudConfiguration::Custom(custom)));
    Ok(options)
}

/// `127.0.0.0/8`, `::1` or `localhost`.
fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(h) => h
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// Sends the credential's requests for `https://{host}:{port}` to `http://{host}:{port}`
/// (a loopback token endpoint without TLS); every other request goes out unchanged.
#[derive(Debug)]
struct LoopbackHttp {
    host: String,
    port: u16,
    inner: Arc<dyn HttpClient>,
}

#[async_trait::async_trait]
impl HttpClient for LoopbackHttp {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let url = request.url();
        if url.scheme() == "https"
            && url.host_str() == Some(self.host.as_str())
            && url.port_or_known_default() == Some(self.port)
        {
            let mut plain = request.clone();
            let target = plain.url_mut();
            if target.set_scheme("http").is_ok() && target.set_port(Some(self.port)).is_ok() {
                return self.inner.execute_request(&plain).await;
            }
        }
        self.inner.execute_request(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        let is = |s: &str| is_loopback(&Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}")));
        assert!(is("http://127.0.0.1:8080"));
        assert!(is("http://127.1.2.3"));
        assert!(is("http://localhost:1"));
        assert!(is("http://[::1]:9"));
        assert!(!is("http://10.0.0.1"));
        assert!(!is("http://login.example"));
    }

    #[test]
    fn authority_hosts() {
        assert!(client_options("client_secret", None).is_ok());
        assert!(client_options("client_secret", Some(" ")).is_ok());
        let o = client_options("client_secret", Some("https://login.microsoftonline.us"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(o.transport.is_none());
        let o = client_options("client_secret", Some("http://127.0.0.1:4000"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(o.transport.is_some());
        match o.cloud.as_deref() {
            Some(CloudConfiguration::Custom(c)) => {
                assert_eq!(c.authority_host, "https://127.0.0.1:4000");
            }
            other => panic!("{other:?}"),
        }
        let e = client_options("client_secret", Some("http://login.example"))
            .err()
            .map(|e| e.message);
        assert_eq!(
            e.as_deref(),
            Some(
                "could not set up the Azure credential `client_secret`: the authority host \
                 `http://login.example` must be an https URL (plain http is accepted only for a \
                 loopback address such as a local test token endpoint)"
            )
        );
    }

    #[test]
    fn secrets_are_redacted() {
        let c = AzureCredentialConfig::ClientSecret {
            tenant_id: "t".into(),
            client_id: "c".into(),
            client_secret: "hunter2".into(),
            authority_host: None,
        };
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(dbg.contains("Secret(<redacted>)"), "{dbg}");
    }
}
