//! The HTTP calls to the Agent Server and the mapping of their failures.

use crate::{LangGraphConfig, config_error};
use a2agw_provider::http::retry_after;
use a2agw_provider::{ProviderError, Result};
use reqwest::header::{CONTENT_LOCATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, Response, StatusCode, Url};
use serde_json::{Value, json};
use std::fmt;
use std::time::Duration;

/// How often a 429 answer is retried (with backoff) before giving up.
const RETRIES_429: u32 = 2;

pub(crate) struct Client {
    http: reqwest::Client,
    base: Url,
    pub(crate) assistant_id: String,
    headers: HeaderMap,
    pub(crate) request_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) poll_interval: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LangGraphClient")
            .field("base", &self.base.as_str())
            .field("assistant_id", &self.assistant_id)
            .field("request_timeout", &self.request_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub(crate) fn new(config: LangGraphConfig) -> Result<Self> {
        let base = Url::parse(&config.base_url).map_err(|e| {
            config_error(format!(
                "the LangGraph base URL `{}` is not a valid URL: {e}",
                config.base_url
            ))
        })?;
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(config_error(format!(
                "the LangGraph base URL `{}` must be an http(s) URL",
                config.base_url
            )));
        }
        let mut headers = HeaderMap::new();
        if let Some(key) = &config.api_key {
            let mut v = HeaderValue::from_str(key).map_err(|_| {
                config_error("the LangGraph API key contains characters not allowed in a header")
            })?;
            v.set_sensitive(true);
            headers.insert("x-api-key", v);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.request_timeout)
            .build()
            .map_err(|e| config_error(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            http,
            base,
            assistant_id: config.assistant_id,
            headers,
            request_timeout: config.request_timeout,
            idle_timeout: config.idle_timeout,
            poll_interval: config.poll_interval,
        })
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// Sends a request and returns the successful response.
    async fn send(
        &self,
        what: &str,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Response> {
        let resp = self.send_raw(what, method, url, body).await?;
        if resp.status().is_success() {
            Ok(resp)
        } else {
            Err(self.status_error(what, resp).await)
        }
    }

    /// Sends a request (retrying 429 a few times) and returns the response, whatever its
    /// status; fails only when the server cannot be reached in time.
    async fn send_raw(
        &self,
        what: &str,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Response> {
        let mut attempt = 0;
        loop {
            let mut req = self
                .http
                .request(method.clone(), url.clone())
                .headers(self.headers.clone());
            if let Some(body) = body {
                req = req.json(body);
            }
            let resp = match tokio::time::timeout(self.request_timeout, req.send()).await {
                Err(_) => {
                    return Err(ProviderError::timeout(format!(
                        "LangGraph at {} did not answer within {} s while trying to {what}; \
                         check that the server is up, or raise the request timeout",
                        self.origin(),
                        self.request_timeout.as_secs_f32()
                    )));
                }
                Ok(Err(e)) => {
                    return Err(ProviderError::unavailable(format!(
                        "cannot reach LangGraph at {} to {what} ({}); check the base URL and \
                         that the server is running",
                        self.origin(),
                        e.without_url()
                    )));
                }
                Ok(Ok(resp)) => resp,
            };
            if resp.status() == StatusCode::TOO_MANY_REQUESTS && attempt < RETRIES_429 {
                attempt += 1;
                let wait = retry_after(&resp).unwrap_or(Duration::from_millis(250 << attempt));
                tokio::time::sleep(wait.min(Duration::from_secs(5))).await;
                continue;
            }
            return Ok(resp);
        }
    }

    fn origin(&self) -> String {
        self.base.origin().ascii_serialization()
    }

    async fn status_error(&self, what: &str, resp: Response) -> ProviderError {
        let status = resp.status();
        let body = tokio::time::timeout(self.request_timeout, resp.text())
            .await
            .ok()
            .and_then(|r| r.ok())
            .unwrap_or_default();
        let detail = detail_of(&body);
        let code = status.as_u16();
        match code {
            401 | 403 => ProviderError::unavailable(format!(
                "LangGraph refused the credentials (HTTP {code}) while trying to {what}; \
                 check the configured API key{detail}"
            )),
            404 => ProviderError::rejected(format!(
                "LangGraph does not know assistant `{}` or its thread (HTTP 404) while trying \
                 to {what}; check the assistant id in the configuration{detail}",
                self.assistant_id
            )),
            409 => ProviderError::rejected(format!(
                "the LangGraph thread is busy with another run (HTTP 409); retry once it has \
                 finished{detail}"
            )),
            429 => ProviderError::unavailable(format!(
                "LangGraph is rate limiting requests (HTTP 429) while trying to {what}; retry \
                 later{detail}"
            )),
            400..=499 => ProviderError::rejected(format!(
                "LangGraph refused to {what} (HTTP {code}); check the message and the \
                 assistant's input schema{detail}"
            )),
            _ => ProviderError::unavailable(format!(
                "LangGraph failed with HTTP {code} while trying to {what}; retry later or \
                 check the Agent Server logs{detail}"
            )),
        }
    }

    /// Creates (or finds) the thread `thread_id`; returns the id the server reports.
    pub(crate) async fn create_thread(&self, thread_id: &str, context_id: &str) -> Result<String> {
        let body = json!({
            "thread_id": thread_id,
            "if_exists": "do_nothing",
            "metadata": { "a2a_context_id": context_id },
        });
        let what = "create a thread";
        let resp = self
            .send(what, Method::POST, self.url(&["threads"]), Some(&body))
            .await?;
        let v: Value = self.json(what, resp).await?;
        v.get("thread_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                ProviderError::malformed(
                    "LangGraph answered the thread creation without a `thread_id`; is the base \
                     URL an Agent Server?",
                )
            })
    }

    async fn json(&self, what: &str, resp: Response) -> Result<Value> {
        let bytes = tokio::time::timeout(self.request_timeout, resp.bytes())
            .await
            .map_err(|_| {
                ProviderError::timeout(format!(
                    "LangGraph stopped answering while trying to {what}"
                ))
            })?
            .map_err(|e| {
                ProviderError::malformed(format!(
                    "LangGraph's answer broke off while trying to {what} ({})",
                    e.without_url()
                ))
            })?;
        serde_json::from_slice(&bytes).map_err(|e| {
            ProviderError::malformed(format!(
                "LangGraph answered with invalid JSON while trying to {what} ({e})"
            ))
        })
    }

    /// Starts a streamed run; returns the SSE response and the run id when the
    /// `Content-Location` header names it.
    pub(crate) async fn start_run(
        &self,
        thread_id: &str,
        body: &Value,
    ) -> Result<(Response, Option<String>)> {
        let url = self.url(&["threads", thread_id, "runs", "stream"]);
        let resp = self
            .send("start a run", Method::POST, url, Some(body))
            .await?;
        Self::started(resp)
    }

    /// Like [`Client::start_run`], but `None` when the thread is busy with another run
    /// (HTTP 409).
    pub(crate) async fn start_run_unless_busy(
        &self,
        thread_id: &str,
        body: &Value,
    ) -> Result<Option<(Response, Option<String>)>> {
        let url = self.url(&["threads", thread_id, "runs", "stream"]);
        let what = "start a run";
        let resp = self.send_raw(what, Method::POST, url, Some(body)).await?;
        match resp.status() {
            StatusCode::CONFLICT => Ok(None),
            s if s.is_success() => Self::started(resp).map(Some),
            _ => Err(self.status_error(what, resp).await),
        }
    }

    /// The SSE response of a started run and its run id (`Content-Location`).
    fn started(resp: Response) -> Result<(Response, Option<String>)> {
        let is_sse = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !is_sse {
            return Err(ProviderError::malformed(
                "LangGraph answered the streamed run without `text/event-stream`; is the base \
                 URL an Agent Server?",
            ));
        }
        let run_id = resp
            .headers()
            .get(CONTENT_LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(run_id_of_location);
        Ok((resp, run_id))
    }

    /// Asks the server to stop a run; a run that is gone or already finished is fine.
    pub(crate) async fn cancel_run(&self, thread_id: &str, run_id: &str) -> Result<()> {
        let mut url = self.url(&["threads", thread_id, "runs", run_id, "cancel"]);
        url.query_pairs_mut()
            .append_pair("wait", "0")
            .append_pair("action", "interrupt");
        let what = "cancel the run";
        let resp = self.send_raw(what, Method::POST, url, None).await?;
        match resp.status() {
            s if s.is_success() => Ok(()),
            // The run is gone, or it already finished: nothing left to stop.
            StatusCode::NOT_FOUND | StatusCode::CONFLICT => Ok(()),
            _ => Err(self.status_error(what, resp).await),
        }
    }

    /// The run object (`GET /threads/{thread_id}/runs/{run_id}`); a run that is gone is an
    /// error saying so.
    pub(crate) async fn get_run(&self, thread_id: &str, run_id: &str) -> Result<Value> {
        let url = self.url(&["threads", thread_id, "runs", run_id]);
        let what = "read the run";
        let resp = self.send_raw(what, Method::GET, url, None).await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Err(ProviderError::new(
                a2agw_provider::ProviderErrorKind::Other,
                format!(
                    "LangGraph no longer knows run {run_id} on thread {thread_id} (HTTP 404); \
                     send the request again as a new task"
                ),
            ));
        }
        if !resp.status().is_success() {
            return Err(self.status_error(what, resp).await);
        }
        self.json(what, resp).await
    }

    /// The thread's current state (`GET /threads/{thread_id}/state`: `values`, `tasks`,
    /// `interrupts`).
    pub(crate) async fn thread_state(&self, thread_id: &str) -> Result<Value> {
        let url = self.url(&["threads", thread_id, "state"]);
        let what = "read the thread state";
        let resp = self.send(what, Method::GET, url, None).await?;
        self.json(what, resp).await
    }

    /// Joins the stream of a run that is still going
    /// (`GET /threads/{thread_id}/runs/{run_id}/stream`); `None` when the server has no such
    /// route (HTTP 404 / 405 / 501, or an answer that is not `text/event-stream`).
    pub(crate) async fn join_run(&self, thread_id: &str, run_id: &str) -> Result<Option<Response>> {
        let url = self.url(&["threads", thread_id, "runs", run_id, "stream"]);
        let what = "join the run's stream";
        let resp = self.send_raw(what, Method::GET, url, None).await?;
        match resp.status() {
            s if s.is_success() => {
                let is_sse = resp
                    .headers()
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.starts_with("text/event-stream"));
                Ok(is_sse.then_some(resp))
            }
            StatusCode::NOT_FOUND
            | StatusCode::METHOD_NOT_ALLOWED
            | StatusCode::NOT_IMPLEMENTED => Ok(None),
            _ => Err(self.status_error(what, resp).await),
        }
    }

    /// The run's status (`success`, `interrupted`, `error`, …), if the server tells it.
    pub(crate) async fn run_status(&self, thread_id: &str, run_id: &str) -> Option<String> {
        let url = self.url(&["threads", thread_id, "runs", run_id]);
        let what = "read the run status";
        let resp = self.send(what, Method::GET, url, None).await.ok()?;
        let v = self.json(what, resp).await.ok()?;
        v.get("status").and_then(Value::as_str).map(str::to_owned)
    }
}

/// `/threads/{tid}/runs/{rid}` → `rid`.
fn run_id_of_location(location: &str) -> Option<String> {
    let path = location.split(['?', '#']).next()?;
    let rid = path.rsplit_once("/runs/")?.1.trim_matches('/');
    (!rid.is_empty() && !rid.contains('/')).then(|| rid.to_owned())
}

/// `: <detail>` from an error body (`detail`, `message` or `error`), shortened; or nothing.
fn detail_of(body: &str) -> String {
    let text = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| {
            ["detail", "message", "error"].iter().find_map(|k| {
                v.get(*k)
                    .map(|d| d.as_str().map_or(d.to_string(), str::to_owned))
            })
        })
        .unwrap_or_else(|| body.trim().to_owned());
    if text.is_empty() {
        return String::new();
    }
    let short: String = text.chars().take(300).collect();
    format!(": {short}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location() {
        assert_eq!(
            run_id_of_location("/threads/t/runs/r1").as_deref(),
            Some("r1")
        );
        assert_eq!(
            run_id_of_location("/threads/t/runs/r1?x=1").as_deref(),
            Some("r1")
        );
        assert_eq!(run_id_of_location("/threads/t"), None);
    }

    #[test]
    fn details() {
        assert_eq!(
            detail_of(r#"{"detail":"Thread is busy"}"#),
            ": Thread is busy"
        );
        assert_eq!(detail_of(""), "");
        assert_eq!(detail_of("oops"), ": oops");
    }
}
