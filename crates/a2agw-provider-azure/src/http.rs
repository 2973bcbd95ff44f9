//! The REST calls to the Agent Service: bearer token per request, `api-version` on every
//! call, 429 retries, and HTTP failures mapped to [`ProviderError`]s a user can act on.

use a2agw_provider::{ProviderError, ProviderErrorKind, Result};
use azure_core::credentials::TokenCredential;
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Whether upstream work has started when a call is made: a 4xx before it rejects the
/// task, a 4xx after it fails the task (providers.md §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Creating the thread, adding the message, creating the run.
    Before,
    /// Submitting tool outputs, cancelling.
    After,
}

/// The longest `Retry-After` we honour before giving up on a 429.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub(crate) struct Client {
    pub(crate) http: reqwest::Client,
    pub(crate) endpoint: String,
    pub(crate) api_version: String,
    pub(crate) scope: String,
    pub(crate) credential: Arc<dyn TokenCredential>,
    pub(crate) request_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_retries: u32,
    /// How often [`Provider::recover`](a2agw_provider::Provider::recover) polls a run.
    pub(crate) poll_interval: Duration,
    /// How long a recovery polls a run that does not finish.
    pub(crate) recover_timeout: Duration,
}

impl Client {
    fn url(&self, path: &str, query: &[(&str, &str)]) -> Result<reqwest::Url> {
        let mut url =
            reqwest::Url::parse(&format!("{}{path}", self.endpoint.trim_end_matches('/')))
                .map_err(|e| {
                    ProviderError::new(
                        ProviderErrorKind::Other,
                        format!(
                            "the Azure project endpoint `{}` is not a valid URL: {e}",
                            self.endpoint
                        ),
                    )
                })?;
        {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
            pairs.append_pair("api-version", &self.api_version);
        }
        Ok(url)
    }

    /// A fresh bearer token from the credential (it caches as it sees fit).
    async fn token(&self) -> Result<String> {
        match self
            .credential
            .get_token(&[self.scope.as_str()], None)
            .await
        {
            Ok(t) => Ok(t.token.secret().to_owned()),
            Err(e) => Err(ProviderError::unavailable(format!(
                "could not get a Microsoft Entra token for scope `{}` from the configured Azure \
                 credential: {e}. Check the credential settings of this agent (tenant, client \
                 id, secret, managed identity) and that the identity can sign in",
                self.scope
            ))),
        }
    }

    /// Sends one request. `stream` requests have no total timeout (the body is read under
    /// the idle timeout); the wait for their headers is bounded by the idle timeout.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        what: &str,
        phase: Phase,
        stream: bool,
    ) -> Result<Response> {
        self.send_url(method, self.url(path, &[])?, body, what, phase, stream)
            .await
    }

    /// [`Client::send_raw`], failing unless the answer is a success.
    async fn send_url(
        &self,
        method: Method,
        url: reqwest::Url,
        body: Option<&Value>,
        what: &str,
        phase: Phase,
        stream: bool,
    ) -> Result<Response> {
        let resp = self.send_raw(method, url, body, what, stream).await?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let text = resp.text().await.unwrap_or_default();
        Err(self.status_error(status, &text, what, phase))
    }

    /// Sends one request (retrying a 429 as allowed) and returns the answer, whatever its
    /// status; fails only when there is no answer (token, network, timeout).
    async fn send_raw(
        &self,
        method: Method,
        url: reqwest::Url,
        body: Option<&Value>,
        what: &str,
        stream: bool,
    ) -> Result<Response> {
        let mut attempt = 0;
        loop {
            let token = self.token().await?;
            let mut req = self
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(token);
            if let Some(b) = body {
                req = req.json(b);
            }
            if stream {
                req = req.header(reqwest::header::ACCEPT, "text/event-stream");
            } else {
                req = req.timeout(self.request_timeout);
            }
            let wait = if stream {
                self.idle_timeout
            } else {
                self.request_timeout
            };
            let resp = match tokio::time::timeout(wait, req.send()).await {
                Err(_) => return Err(timeout_error(what, wait)),
                Ok(Err(e)) if e.is_timeout() => return Err(timeout_error(what, wait)),
                Ok(Err(e)) => {
                    return Err(ProviderError::unavailable(format!(
                        "could not reach Azure AI Foundry while {what} ({}): check the project \
                         endpoint `{}` and the network",
                        without_url(&e),
                        self.endpoint
                    )));
                }
                Ok(Ok(r)) => r,
            };
            if resp.status() == StatusCode::TOO_MANY_REQUESTS && attempt < self.max_retries {
                attempt += 1;
                let after =
                    retry_after(&resp).unwrap_or(Duration::from_millis(500 * u64::from(attempt)));
                if after <= MAX_RETRY_AFTER {
                    tracing::debug!(what, attempt, ?after, "azure: throttled, retrying");
                    tokio::time::sleep(after).await;
                    continue;
                }
            }
            return Ok(resp);
        }
    }

    /// Sends a request and reads its JSON body.
    pub(crate) async fn json(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        what: &str,
        phase: Phase,
    ) -> Result<Value> {
        self.json_query(method, path, &[], body, what, phase).await
    }

    /// Sends a request with extra query parameters and reads its JSON body.
    pub(crate) async fn json_query(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        what: &str,
        phase: Phase,
    ) -> Result<Value> {
        let url = self.url(path, query)?;
        let resp = self.send_url(method, url, body, what, phase, false).await?;
        self.read_json(resp, what).await
    }

    /// Like [`Client::json`], but an answer with one of the `statuses` is given back as
    /// `Ok(Err((status, detail)))` instead of failing (`detail` as in [`error_detail`]).
    pub(crate) async fn json_unless(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        what: &str,
        phase: Phase,
        statuses: &[StatusCode],
    ) -> Result<Result<Value, (StatusCode, String)>> {
        let url = self.url(path, &[])?;
        let resp = self.send_raw(method, url, body, what, false).await?;
        let status = resp.status();
        if status.is_success() {
            return self.read_json(resp, what).await.map(Ok);
        }
        let text = resp.text().await.unwrap_or_default();
        if statuses.contains(&status) {
            Ok(Err((status, error_detail(&text))))
        } else {
            Err(self.status_error(status, &text, what, phase))
        }
    }

    /// Reads the JSON body of a successful answer.
    async fn read_json(&self, resp: Response, what: &str) -> Result<Value> {
        let bytes = resp.bytes().await.map_err(|e| {
            if e.is_timeout() {
                timeout_error(what, self.request_timeout)
            } else {
                ProviderError::unavailable(format!(
                    "the connection to Azure AI Foundry broke while {what} ({})",
                    without_url(&e)
                ))
            }
        })?;
        serde_json::from_slice(&bytes).map_err(|e| {
            ProviderError::malformed(format!(
                "Azure AI Foundry answered with invalid JSON while {what}: {e}"
            ))
        })
    }

    fn status_error(
        &self,
        status: StatusCode,
        body: &str,
        what: &str,
        phase: Phase,
    ) -> ProviderError {
        let detail = error_detail(body);
        let code = status.as_u16();
        let kind = match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                return ProviderError::unavailable(format!(
                    "Azure AI Foundry refused the credentials while {what} (HTTP {code}{detail}). \
                     Check that the configured Azure credential gets tokens for scope `{}` and \
                     that its identity has a role such as `Azure AI User` on the project",
                    self.scope
                ));
            }
            StatusCode::TOO_MANY_REQUESTS => {
                return ProviderError::unavailable(format!(
                    "Azure AI Foundry is throttling requests (HTTP 429{detail}) while {what}; \
                     try again later or raise the deployment's quota"
                ));
            }
            StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => ProviderErrorKind::Timeout,
            s if s.is_server_error() => ProviderErrorKind::Unavailable,
            _ if phase == Phase::Before => ProviderErrorKind::Rejected,
            _ => ProviderErrorKind::Other,
        };
        let hint = match (status, phase) {
            (StatusCode::NOT_FOUND, Phase::Before) => {
                "; check the project endpoint and the agent id in the configuration"
            }
            (StatusCode::NOT_FOUND, Phase::After) => {
                "; the thread or run no longer exists (runs waiting for tool outputs expire after \
                 about 10 minutes): send the request again as a new task"
            }
            (s, _) if s.is_server_error() => "; the service has a problem, try again later",
            (_, Phase::After) => {
                "; the run may have expired or ended: send the request again as a new task"
            }
            _ => "",
        };
        ProviderError::new(
            kind,
            format!("Azure AI Foundry answered HTTP {code} while {what}{detail}{hint}"),
        )
    }
}

fn timeout_error(what: &str, wait: Duration) -> ProviderError {
    ProviderError::timeout(format!(
        "Azure AI Foundry did not answer within {} s while {what}; try again later",
        wait.as_secs_f32()
    ))
}

pub(crate) use a2agw_provider::http::{retry_after, without_url};

/// `: code: message` from an Azure error body `{"error":{"code","message"}}`, or a short
/// excerpt of any other body.
pub(crate) fn error_detail(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(body)
        && let Some(err) = v.get("error")
    {
        let code = err.get("code").and_then(Value::as_str).unwrap_or("");
        let message = err.get("message").and_then(Value::as_str).unwrap_or("");
        return match (code.is_empty(), message.is_empty()) {
            (true, true) => String::new(),
            (false, true) => format!(": {code}"),
            (true, false) => format!(": {}", excerpt(message)),
            (false, false) => format!(": {code}: {}", excerpt(message)),
        };
    }
    let body = body.trim();
    if body.is_empty() {
        String::new()
    } else {
        format!(": {}", excerpt(body))
    }
}

fn excerpt(s: &str) -> String {
    const MAX: usize = 300;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}
