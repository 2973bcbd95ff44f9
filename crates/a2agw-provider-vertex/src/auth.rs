//! Where the Google access tokens come from: a service account key file, the metadata
//! server, gcloud user credentials, or `gcp_auth`'s automatic detection.

use a2agw_provider::{ProviderError, Result};
use gcp_auth::{
    ConfigDefaultCredentials, CustomServiceAccount, MetadataServiceAccount, Token, TokenProvider,
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Google's OAuth token endpoint (used when a user credentials file names none).
const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// The credentials of the agent's calls, chosen in the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VertexCredentials {
    /// A service account JSON key file (`gcp_auth::CustomServiceAccount::from_file`):
    /// signed JWT assertions exchanged at the key's `token_uri`.
    ServiceAccountFile(PathBuf),
    /// The metadata server of Google Cloud (GCE, GKE, Cloud Run…):
    /// `gcp_auth::MetadataServiceAccount`. Fails at start elsewhere.
    MetadataServer,
    /// gcloud user credentials (`gcloud auth application-default login`): `None` reads
    /// `~/.config/gcloud/application_default_credentials.json` (`%APPDATA%\gcloud\…` on
    /// Windows) with `gcp_auth::ConfigDefaultCredentials`; `Some(path)` reads that
    /// `authorized_user` JSON file (its refresh token is exchanged at its `token_uri`, by
    /// default `https://oauth2.googleapis.com/token`).
    UserCredentials(Option<PathBuf>),
    /// `gcp_auth::provider()`: `GOOGLE_APPLICATION_CREDENTIALS`, then the gcloud user
    /// credentials, then the metadata server, then `gcloud auth print-access-token`.
    Auto,
}

fn failed(message: String) -> ProviderError {
    ProviderError::unavailable(message)
}

impl VertexCredentials {
    /// A token provider for these credentials. Files are read now (and the metadata server
    /// or gcloud are asked now, as `gcp_auth` does for them); errors name the credential and
    /// what to fix, never key material.
    pub async fn token_provider(&self) -> Result<Arc<dyn TokenProvider>> {
        match self {
            VertexCredentials::ServiceAccountFile(path) => CustomServiceAccount::from_file(path)
                .map(|sa| Arc::new(sa) as Arc<dyn TokenProvider>)
                .map_err(|e| {
                    failed(format!(
                        "could not load the Google service account key file `{}`: {}. Check \
                         that it exists, is readable, and is a JSON key of type \
                         `service_account` (from `gcloud iam service-accounts keys create`)",
                        path.display(),
                        describe(&e)
                    ))
                }),
            VertexCredentials::MetadataServer => MetadataServiceAccount::new()
                .await
                .map(|m| Arc::new(m) as Arc<dyn TokenProvider>)
                .map_err(|e| {
                    failed(format!(
                        "could not get a token from the Google Cloud metadata server: {}. This \
                         works only on Google Cloud (GCE, GKE, Cloud Run…); elsewhere configure \
                         a service account key file or gcloud user credentials",
                        describe(&e)
                    ))
                }),
            VertexCredentials::UserCredentials(None) => ConfigDefaultCredentials::new()
                .await
                .map(|c| Arc::new(c) as Arc<dyn TokenProvider>)
                .map_err(|e| {
                    failed(format!(
                        "could not use the gcloud user credentials \
                         (~/.config/gcloud/application_default_credentials.json): {}. Run \
                         `gcloud auth application-default login`, or configure a credentials \
                         file",
                        describe(&e)
                    ))
                }),
            VertexCredentials::UserCredentials(Some(path)) => {
                AuthorizedUser::from_file(path).map(|u| Arc::new(u) as Arc<dyn TokenProvider>)
            }
            VertexCredentials::Auto => gcp_auth::provider().await.map_err(|e| {
                failed(format!(
                    "found no usable Google credentials: {}. Set GOOGLE_APPLICATION_CREDENTIALS \
                     to a service account key file, run `gcloud auth application-default \
                     login`, or run on Google Cloud",
                    describe(&e)
                ))
            }),
        }
    }
}

/// A `gcp_auth` error without anything it may have read (JSON errors give only the
/// position, as serde can quote the value it choked on).
pub(crate) fn describe(e: &gcp_auth::Error) -> String {
    match e {
        gcp_auth::Error::NoAuthMethod(gcloud, metadata, user) => format!(
            "the gcloud user credentials file: {}; the metadata server: {}; the gcloud CLI: {}",
            describe(user),
            describe(metadata),
            describe(gcloud)
        ),
        gcp_auth::Error::Http(what, err) => format!("{what}: {err}"),
        gcp_auth::Error::Io(what, err) => format!("{what}: {err}"),
        gcp_auth::Error::Json(what, err) => json_error(what, err),
        gcp_auth::Error::Other(what, err) => format!("{what}: {err}"),
        gcp_auth::Error::Str(what) => (*what).to_owned(),
    }
}

fn json_error(what: &str, err: &serde_json::Error) -> String {
    let text = err.to_string();
    // "missing field `x`" names only the field.
    if text.starts_with("missing field") {
        format!("{what}: {text}")
    } else {
        format!(
            "{what} (invalid JSON at line {}, column {})",
            err.line(),
            err.column()
        )
    }
}

/// An `authorized_user` credentials file (what `gcloud auth application-default login`
/// writes).
#[derive(Deserialize)]
struct UserFile {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    client_id: String,
    client_secret: String,
    refresh_token: String,
    #[serde(default)]
    quota_project_id: Option<String>,
    #[serde(default)]
    token_uri: Option<String>,
}

/// A token provider for an `authorized_user` file at a given path (`gcp_auth` reads only
/// the default location).
pub(crate) struct AuthorizedUser {
    http: reqwest::Client,
    file: UserFile,
    token_uri: String,
    token: tokio::sync::Mutex<Option<Arc<Token>>>,
}

impl fmt::Debug for AuthorizedUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizedUser")
            .field("client_id", &self.file.client_id)
            .field("token_uri", &self.token_uri)
            .finish_non_exhaustive()
    }
}

impl AuthorizedUser {
    fn from_file(path: &Path) -> Result<Self> {
        let shown = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| {
            failed(format!(
                "could not read the gcloud user credentials file `{shown}`: {e}"
            ))
        })?;
        let kind = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned));
        if kind.as_deref() == Some("service_account") {
            return Err(failed(format!(
                "`{shown}` is a service account key, not gcloud user credentials: configure it \
                 as a service account key file"
            )));
        }
        let file: UserFile = serde_json::from_str(&text).map_err(|e| {
            failed(format!(
                "`{shown}` is not a gcloud user credentials file of type `authorized_user`: {}. \
                 Create one with `gcloud auth application-default login`",
                json_error("reading it failed", &e)
            ))
        })?;
        if let Some(kind) = file.kind.as_deref()
            && kind != "authorized_user"
        {
            return Err(failed(format!(
                "`{shown}` has credentials of type `{kind}`; only `authorized_user` files are \
                 read as gcloud user credentials"
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| failed(format!("could not build the HTTP client: {e}")))?;
        let token_uri = file
            .token_uri
            .clone()
            .unwrap_or_else(|| DEFAULT_TOKEN_URI.to_owned());
        Ok(AuthorizedUser {
            http,
            file,
            token_uri,
            token: tokio::sync::Mutex::new(None),
        })
    }

    async fn fetch(&self) -> Result<Token, gcp_auth::Error> {
        let body = json!({
            "client_id": self.file.client_id,
            "client_secret": self.file.client_secret,
            "grant_type": "refresh_token",
            "refresh_token": self.file.refresh_token,
        });
        let resp = self
            .http
            .post(&self.token_uri)
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                gcp_auth::Error::Other(
                    "the token request failed",
                    format!("{} ({})", crate::http::without_url(&e), self.token_uri).into(),
                )
            })?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| {
            gcp_auth::Error::Other(
                "reading the token response failed",
                crate::http::without_url(&e).into(),
            )
        })?;
        if !status.is_success() {
            // OAuth errors: {"error": "invalid_grant", "error_description": "…"}.
            let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let code = v.get("error").and_then(Value::as_str).unwrap_or("");
            let description = v
                .get("error_description")
                .and_then(Value::as_str)
                .unwrap_or("");
            return Err(gcp_auth::Error::Other(
                "the token endpoint refused the refresh token",
                format!(
                    "HTTP {}{}{}",
                    status.as_u16(),
                    if code.is_empty() {
                        String::new()
                    } else {
                        format!(": {code}")
                    },
                    if description.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", crate::http::excerpt(description))
                    }
                )
                .into(),
            ));
        }
        serde_json::from_slice::<Token>(&bytes)
            .map_err(|e| gcp_auth::Error::Json("the token endpoint answered without a token", e))
    }
}

#[async_trait::async_trait]
impl TokenProvider for AuthorizedUser {
    async fn token(&self, _scopes: &[&str]) -> Result<Arc<Token>, gcp_auth::Error> {
        let mut cached = self.token.lock().await;
        if let Some(t) = cached.as_ref()
            && !t.has_expired()
        {
            return Ok(t.clone());
        }
        let token = Arc::new(self.fetch().await?);
        *cached = Some(token.clone());
        Ok(token)
    }

    async fn project_id(&self) -> Result<Arc<str>, gcp_auth::Error> {
        self.file
            .quota_project_id
            .as_deref()
            .map(Arc::from)
            .ok_or(gcp_auth::Error::Str(
                "no quota project in the user credentials",
            ))
    }
}
