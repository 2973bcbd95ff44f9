//! The REST calls to Agent Engine: a bearer token per request, 429/503 retries, and HTTP
//! failures mapped to [`ProviderError`]s a user can act on.

use crate::{CREATE_SESSION_METHOD, SCOPE};
use a2agw_provider::{ProviderError, ProviderErrorKind, Result};
use gcp_auth::TokenProvider;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Whether the query has run on the session yet: a 4xx before it rejects the task, a 4xx
/// when resuming fails it (providers.md §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Creating the session, a new query.
    Before,
    /// A new query on the session carried over from an earlier task of the context: like
    /// `Before`, except that an HTTP 404 (the session is gone) is no error (see
    /// [`Client::stream_query`]).
    Continued,
    /// A query that answers pending function calls.
    After,
}

/// An HTTP error status after the retries.
struct Refusal {
    status: StatusCode,
    body: String,
    retries: u32,
}

/// The longest `Retry-After` we honour before giving up on a 429/503.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// The token provider, never printed.
pub(crate) struct Tokens(pub(crate) Arc<dyn TokenProvider>);

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenProvider")
    }
}

#[derive(Debug)]
pub(crate) struct Client {
    pub(crate) http: reqwest::Client,
    /// `https://{location}-aiplatform.googleapis.com` (no trailing slash).
    pub(crate) base_url: String,
    pub(crate) api_version: String,
    pub(crate) project: String,
    /// `projects/{p}/locations/{l}/reasoningEngines/{id}`.
    pub(crate) engine: String,
    pub(crate) tokens: Tokens,
    pub(crate) request_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_retries: u32,
}

impl Client {
    fn url(&self, action: &str, sse: bool) -> Result<reqwest::Url> {
        let mut url = reqwest::Url::parse(&format!(
            "{}/{}/{}:{action}",
            self.base_url, self.api_version, self.engine
        ))
        .map_err(|e| {
            ProviderError::new(
                ProviderErrorKind::Other,
                format!(
                    "the Vertex AI base URL `{}` does not make a valid URL: {e}",
                    self.base_url
                ),
            )
        })?;
        if sse {
            url.query_pairs_mut().append_pair("alt", "sse");
        }
        Ok(url)
    }

    /// A token from the credential (it caches tokens until shortly before they expire).
    async fn token(&self) -> Result<String> {
        let Ok(got) =
            tokio::time::timeout(self.request_timeout, self.tokens.0.token(&[SCOPE])).await
        else {
            return Err(ProviderError::unavailable(format!(
                "could not get a Google access token within {} s from the configured \
                 credentials (the token endpoint or metadata server does not answer); check \
                 the network and the credential settings of this agent",
                self.request_timeout.as_secs_f32()
            )));
        };
        match got {
            Ok(t) => Ok(t.as_str().to_owned()),
            Err(e) => Err(ProviderError::unavailable(format!(
                "could not get a Google access token (scope cloud-platform) from the configured \
                 credentials: {}. Check the credential settings of this agent (service account \
                 key file, metadata server, gcloud user credentials)",
                crate::auth::describe(&e)
            ))),
        }
    }

    /// Creates an ADK session for `user_id` and returns its id.
    pub(crate) async fn create_session(&self, user_id: &str) -> Result<String> {
        let body = json!({"classMethod": CREATE_SESSION_METHOD, "input": {"user_id": user_id}});
        let answer = self
            .json("query", &body, "creating the session", Phase::Before, false)
            .await?;
        answer
            .get("output")
            .and_then(|o| o.get("id"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                ProviderError::malformed(format!(
                    "Vertex AI created a session without an id (`{CREATE_SESSION_METHOD}` \
                     answered no `output.id`): is this engine deployed with the ADK template?"
                ))
            })
    }

    /// `:query` in non-streaming mode (bounded by the idle timeout: it runs the agent).
    /// `None` as for [`Self::stream_query`].
    pub(crate) async fn query(&self, body: &Value, phase: Phase) -> Result<Option<Value>> {
        const WHAT: &str = "running the query";
        match self.query_answer("query", body, WHAT, phase).await? {
            Some(resp) => self.read_json(resp, WHAT, true).await.map(Some),
            None => Ok(None),
        }
    }

    /// `:streamQuery?alt=sse`, up to the response headers. `None` when the session of a
    /// [`Phase::Continued`] query is gone (HTTP 404: expired or deleted); nothing ran.
    pub(crate) async fn stream_query(
        &self,
        body: &Value,
        phase: Phase,
    ) -> Result<Option<Response>> {
        self.query_answer("streamQuery", body, "starting the query", phase)
            .await
    }

    async fn query_answer(
        &self,
        action: &str,
        body: &Value,
        what: &str,
        phase: Phase,
    ) -> Result<Option<Response>> {
        match self.attempt(action, body, what, true).await? {
            Ok(resp) => Ok(Some(resp)),
            Err(r) if phase == Phase::Continued && r.status == StatusCode::NOT_FOUND => {
                tracing::debug!(
                    detail = %error_detail(&r.body),
                    "vertex: the session carried over from the context is gone"
                );
                Ok(None)
            }
            Err(r) => Err(self.status_error(r.status, &r.body, what, phase, r.retries)),
        }
    }

    /// Sends one request; an HTTP error status (after the retries) is an error.
    async fn send(
        &self,
        action: &str,
        body: &Value,
        what: &str,
        phase: Phase,
        long: bool,
    ) -> Result<Response> {
        self.attempt(action, body, what, long)
            .await?
            .map_err(|r| self.status_error(r.status, &r.body, what, phase, r.retries))
    }

    /// Sends one request, retrying 429 and 503. `long` requests (queries) wait up to the
    /// idle timeout for their headers and have no total timeout (a stream's body is read
    /// under the idle timeout); the others have the request timeout.
    async fn attempt(
        &self,
        action: &str,
        body: &Value,
        what: &str,
        long: bool,
    ) -> Result<std::result::Result<Response, Refusal>> {
        let sse = action == "streamQuery";
        let wait = if long {
            self.idle_timeout
        } else {
            self.request_timeout
        };
        let mut attempt = 0;
        loop {
            let token = self.token().await?;
            let mut req = self
                .http
                .post(self.url(action, sse)?)
                .bearer_auth(token)
                .json(body);
            if !long {
                req = req.timeout(self.request_timeout);
            }
            let resp = match tokio::time::timeout(wait, req.send()).await {
                Err(_) => return Err(timeout_error(what, wait)),
                Ok(Err(e)) if e.is_timeout() => return Err(timeout_error(what, wait)),
                Ok(Err(e)) => {
                    return Err(ProviderError::unavailable(format!(
                        "could not reach Vertex AI while {what} ({}): check the base URL `{}` \
                         and the network",
                        without_url(&e),
                        self.base_url
                    )));
                }
                Ok(Ok(r)) => r,
            };
            let status = resp.status();
            if status.is_success() {
                return Ok(Ok(resp));
            }
            let retryable = matches!(
                status,
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
            );
            if retryable && attempt < self.max_retries {
                attempt += 1;
                let after = retry_after(&resp).unwrap_or_else(|| backoff(attempt));
                if after <= MAX_RETRY_AFTER {
                    tracing::debug!(what, attempt, ?after, %status, "vertex: retrying");
                    tokio::time::sleep(after).await;
                    continue;
                }
            }
            let body = resp.text().await.unwrap_or_default();
            return Ok(Err(Refusal {
                status,
                body,
                retries: attempt,
            }));
        }
    }

    /// Sends a request and reads its JSON body.
    async fn json(
        &self,
        action: &str,
        body: &Value,
        what: &str,
        phase: Phase,
        long: bool,
    ) -> Result<Value> {
        let resp = self.send(action, body, what, phase, long).await?;
        self.read_json(resp, what, long).await
    }

    /// Reads the JSON body of an answer.
    async fn read_json(&self, resp: Response, what: &str, long: bool) -> Result<Value> {
        let wait = if long {
            self.idle_timeout
        } else {
            self.request_timeout
        };
        let bytes = match tokio::time::timeout(wait, resp.bytes()).await {
            Err(_) => return Err(timeout_error(what, wait)),
            Ok(Err(e)) if e.is_timeout() => return Err(timeout_error(what, wait)),
            Ok(Err(e)) => {
                return Err(ProviderError::unavailable(format!(
                    "the connection to Vertex AI broke while {what} ({})",
                    without_url(&e)
                )));
            }
            Ok(Ok(b)) => b,
        };
        serde_json::from_slice(&bytes).map_err(|e| {
            ProviderError::malformed(format!(
                "Vertex AI answered with invalid JSON while {what}: {e}"
            ))
        })
    }

    fn status_error(
        &self,
        status: StatusCode,
        body: &str,
        what: &str,
        phase: Phase,
        retries: u32,
    ) -> ProviderError {
        let detail = error_detail(body);
        let code = status.as_u16();
        let retried = match retries {
            0 => String::new(),
            1 => " after 1 retry".to_owned(),
            n => format!(" after {n} retries"),
        };
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                return ProviderError::unavailable(format!(
                    "Vertex AI refused the credentials while {what} (HTTP {code}{detail}). Check \
                     that the configured Google credential is valid and that its principal has \
                     the role `roles/aiplatform.user` (Vertex AI User) on project `{}`; with \
                     gcloud user credentials also set a quota project (`gcloud auth \
                     application-default set-quota-project`)",
                    self.project
                ));
            }
            StatusCode::TOO_MANY_REQUESTS => {
                return ProviderError::unavailable(format!(
                    "Vertex AI is throttling requests (HTTP 429{detail}) while {what}{retried}; \
                     try again later or raise the project's Agent Engine quota"
                ));
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                return ProviderError::unavailable(format!(
                    "Vertex AI is unavailable (HTTP 503{detail}) while {what}{retried}; try \
                     again later"
                ));
            }
            StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => {
                return ProviderError::timeout(format!(
                    "Vertex AI timed out (HTTP {code}{detail}) while {what}; try again later"
                ));
            }
            s if s.is_server_error() => {
                return ProviderError::unavailable(format!(
                    "Vertex AI answered HTTP {code} while {what}{detail}; the service has a \
                     problem, try again later"
                ));
            }
            _ => {}
        }
        let (kind, hint) = match (status, phase) {
            (StatusCode::NOT_FOUND, Phase::Before | Phase::Continued) => (
                ProviderErrorKind::Rejected,
                format!(
                    "; check the project, location and engine id (`{}`) and the API version \
                     `{}` in the configuration",
                    self.engine, self.api_version
                ),
            ),
            (_, Phase::Before | Phase::Continued) => (
                ProviderErrorKind::Rejected,
                "; check the class methods in the configuration and that the engine is \
                 deployed with the ADK template"
                    .to_owned(),
            ),
            (_, Phase::After) => (
                ProviderErrorKind::Other,
                "; the session may have expired or been deleted: send the request again as a \
                 new task"
                    .to_owned(),
            ),
        };
        ProviderError::new(
            kind,
            format!("Vertex AI answered HTTP {code} while {what}{detail}{hint}"),
        )
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1 << attempt.min(4)))
}

fn timeout_error(what: &str, wait: Duration) -> ProviderError {
    ProviderError::timeout(format!(
        "Vertex AI did not answer within {} s while {what}; try again later, or raise the \
         timeouts of this agent if it is slow",
        wait.as_secs_f32()
    ))
}

pub(crate) use a2agw_provider::http::{retry_after, without_url};

/// The `(status, message)` of a Google error `{"error": {"code", "message", "status"}}`
/// (also inside a one-element array, as streaming methods answer).
pub(crate) fn google_error(v: &Value) -> Option<(u16, String, String)> {
    let v = match v {
        Value::Array(items) => items.first()?,
        other => other,
    };
    let err = v.get("error")?.as_object()?;
    let code = err
        .get("code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .unwrap_or(0);
    let status = err
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let message = err
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    Some((code, status, message))
}

/// `: STATUS: message` from a Google error body, or a short excerpt of any other body.
pub(crate) fn error_detail(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(body)
        && let Some((_, status, message)) = google_error(&v)
    {
        return match (status.is_empty(), message.is_empty()) {
            (true, true) => String::new(),
            (false, true) => format!(": {status}"),
            (true, false) => format!(": {}", excerpt(&message)),
            (false, false) => format!(": {status}: {}", excerpt(&message)),
        };
    }
    let body = body.trim();
    if body.is_empty() {
        String::new()
    } else {
        format!(": {}", excerpt(body))
    }
}

pub(crate) fn excerpt(s: &str) -> String {
    const MAX: usize = 300;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}
