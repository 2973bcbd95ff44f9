//! The SDK client for one agent alias (retries, timeouts, region, endpoint), and the SDK's
//! errors mapped to [`ProviderError`]s a user can act on.

use crate::BedrockConfig;
use a2agw_provider::{ProviderError, ProviderErrorKind, Result};
use aws_sdk_bedrockagentruntime as bar;
use aws_sdk_bedrockagentruntime::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockagentruntime::operation::invoke_agent::builders::InvokeAgentFluentBuilder;
use aws_sdk_bedrockagentruntime::operation::invoke_agent::{InvokeAgentError, InvokeAgentOutput};
use aws_sdk_bedrockagentruntime::types::error::ResponseStreamError;
use aws_smithy_types::event_stream::{HeaderValue, Message, RawMessage};
use std::time::Duration;

/// Whether upstream work has started when a call fails: a 4xx before it rejects the task,
/// a 4xx after it fails the task (providers.md §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// A new message.
    Start,
    /// Sending the invocation results of a returnControl.
    Resume,
}

/// One agent alias, reached through the SDK.
#[derive(Clone)]
pub(crate) struct Upstream {
    pub(crate) client: bar::Client,
    pub(crate) agent_id: String,
    pub(crate) agent_alias_id: String,
    pub(crate) region: String,
    pub(crate) endpoint_url: Option<String>,
    pub(crate) traces_as_status: bool,
    pub(crate) idle_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) max_retries: u32,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the SDK client: its Debug would print the credentials provider's internals.
        f.debug_struct("BedrockProvider")
            .field("agent_id", &self.agent_id)
            .field("agent_alias_id", &self.agent_alias_id)
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .field("traces_as_status", &self.traces_as_status)
            .field("idle_timeout", &self.idle_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_retries", &self.max_retries)
            .finish_non_exhaustive()
    }
}

fn config_error(message: impl Into<String>) -> ProviderError {
    ProviderError::new(ProviderErrorKind::Other, message)
}

impl Upstream {
    /// A client for `config` on top of the shared AWS configuration `sdk` (credentials,
    /// region, retry mode and backoff); the config's region, endpoint, timeouts and retry
    /// count win.
    pub(crate) fn new(config: BedrockConfig, sdk: &aws_types::SdkConfig) -> Result<Self> {
        if config.agent_id.trim().is_empty() || config.agent_alias_id.trim().is_empty() {
            return Err(config_error(
                "the Bedrock agent needs an agent id and an agent alias id",
            ));
        }
        let region = config
            .region
            .clone()
            .filter(|r| !r.trim().is_empty())
            .map(bar::config::Region::new)
            .or_else(|| sdk.region().cloned())
            .ok_or_else(|| {
                config_error(
                    "no AWS region for the Bedrock agent: set `region` in its configuration, or \
                     AWS_REGION / a profile region",
                )
            })?;
        if let Some(url) = &config.endpoint_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(config_error(format!(
                "the Bedrock endpoint_url `{url}` is not an http(s) URL"
            )));
        }
        let retry = sdk
            .retry_config()
            .cloned()
            .unwrap_or_else(bar::config::retry::RetryConfig::standard)
            .with_max_attempts(config.max_retries.saturating_add(1));
        let timeouts = bar::config::timeout::TimeoutConfig::builder()
            .connect_timeout(config.request_timeout)
            // Covers the wait for the response headers; the event stream that follows is
            // read under the idle timeout.
            .operation_attempt_timeout(config.request_timeout)
            .build();
        let mut builder = bar::config::Builder::from(sdk)
            .region(region.clone())
            .retry_config(retry)
            .timeout_config(timeouts);
        if let Some(url) = &config.endpoint_url {
            builder = builder.endpoint_url(url);
        }
        Ok(Upstream {
            client: bar::Client::from_conf(builder.build()),
            agent_id: config.agent_id,
            agent_alias_id: config.agent_alias_id,
            region: region.to_string(),
            endpoint_url: config.endpoint_url,
            traces_as_status: config.traces_as_status,
            idle_timeout: config.idle_timeout,
            request_timeout: config.request_timeout,
            max_retries: config.max_retries,
        })
    }

    /// An InvokeAgent request on `session_id`.
    pub(crate) fn request(&self, session_id: &str) -> InvokeAgentFluentBuilder {
        self.client
            .invoke_agent()
            .agent_id(&self.agent_id)
            .agent_alias_id(&self.agent_alias_id)
            .session_id(session_id)
            .enable_trace(self.traces_as_status)
    }

    /// Sends `request` (with the SDK's retries) and returns once the response stream is open.
    pub(crate) async fn send(
        &self,
        request: InvokeAgentFluentBuilder,
        phase: Phase,
    ) -> Result<InvokeAgentOutput> {
        request
            .send()
            .await
            .map_err(|e| self.invoke_error(&e, phase))
    }

    /// [`Self::send`], but `Ok(None)` when Bedrock answers `ConflictException` (another
    /// call is running in the session): the caller then uses a session of its own.
    pub(crate) async fn send_unless_busy(
        &self,
        request: InvokeAgentFluentBuilder,
        phase: Phase,
    ) -> Result<Option<InvokeAgentOutput>> {
        match request.send().await {
            Ok(output) => Ok(Some(output)),
            Err(SdkError::ServiceError(ctx)) if ctx.err().code() == Some("ConflictException") => {
                Ok(None)
            }
            Err(e) => Err(self.invoke_error(&e, phase)),
        }
    }

    fn where_(&self) -> String {
        match &self.endpoint_url {
            Some(u) => format!("the endpoint {u}"),
            None => format!("region {}", self.region),
        }
    }

    fn retried(&self) -> String {
        match self.max_retries {
            0 => String::new(),
            1 => ", also after 1 retry".into(),
            n => format!(", also after {n} retries"),
        }
    }

    /// The error of a failed InvokeAgent call (before any event was read).
    pub(crate) fn invoke_error(
        &self,
        err: &SdkError<InvokeAgentError>,
        phase: Phase,
    ) -> ProviderError {
        match err {
            SdkError::ServiceError(ctx) => {
                let status = ctx.raw().status().as_u16();
                let e = ctx.err();
                self.service_error(status, e.code().unwrap_or(""), e.message(), phase)
            }
            SdkError::TimeoutError(_) => ProviderError::timeout(format!(
                "Amazon Bedrock did not answer within {} s ({}){}; try again later, or raise \
                 `request_timeout`",
                self.request_timeout.as_secs_f32(),
                self.where_(),
                self.retried()
            )),
            SdkError::DispatchFailure(d) if d.is_timeout() => ProviderError::timeout(format!(
                "Amazon Bedrock did not answer within {} s ({}){}; try again later",
                self.request_timeout.as_secs_f32(),
                self.where_(),
                self.retried()
            )),
            SdkError::DispatchFailure(d) if !d.is_io() && is_credentials_error(err) => {
                ProviderError::unavailable(format!(
                    "the gateway found no usable AWS credentials to sign the request to Amazon \
                     Bedrock ({}): set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, web \
                     identity or an instance role (the standard AWS credential chain)",
                    detail(err)
                ))
            }
            SdkError::DispatchFailure(_) => ProviderError::unavailable(format!(
                "could not reach Amazon Bedrock at {} ({}){}: check the region, the endpoint \
                 and the network",
                self.where_(),
                detail(err),
                self.retried()
            )),
            SdkError::ResponseError(_) => ProviderError::malformed(format!(
                "Amazon Bedrock answered something that is not an InvokeAgent response ({}); \
                 check the endpoint, then try again",
                detail(err)
            )),
            SdkError::ConstructionFailure(_) => config_error(format!(
                "could not build the InvokeAgent request ({}); check the agent's configuration",
                detail(err)
            )),
            _ => config_error(format!("the InvokeAgent call failed: {}", detail(err))),
        }
    }

    fn service_error(
        &self,
        status: u16,
        code: &str,
        message: Option<&str>,
        phase: Phase,
    ) -> ProviderError {
        let what = match (code.is_empty(), message.filter(|m| !m.is_empty())) {
            (false, Some(m)) => format!("{code}: {m}"),
            (false, None) => code.to_owned(),
            (true, Some(m)) => format!("HTTP {status}: {m}"),
            (true, None) => format!("HTTP {status}"),
        };
        let refused = |hint: &str| {
            let kind = match phase {
                Phase::Start => ProviderErrorKind::Rejected,
                Phase::Resume => ProviderErrorKind::Other,
            };
            ProviderError::new(
                kind,
                format!("Amazon Bedrock refused the request ({what}){hint}"),
            )
        };
        match code {
            "ValidationException" => refused(match phase {
                Phase::Start => "; check the agent id, the alias id and the message",
                Phase::Resume => {
                    "; the invocation results do not match what the agent asked for, or the \
                     invocation expired: send the request again as a new task"
                }
            }),
            "ResourceNotFoundException" => refused(&format!(
                ": there is no agent `{}` with alias `{}` in region {}; check agent_id, \
                 agent_alias_id and region in the configuration",
                self.agent_id, self.agent_alias_id, self.region
            )),
            "ConflictException" => refused(
                "; another request is still running in this session: wait for it to finish, \
                 then try again",
            ),
            "AccessDeniedException" => ProviderError::unavailable(format!(
                "Amazon Bedrock denied access ({what}): the AWS identity the gateway runs as needs \
                 the IAM permission `bedrock:InvokeAgent` on \
                 arn:aws:bedrock:{}:<account>:agent-alias/{}/{}",
                self.region, self.agent_id, self.agent_alias_id
            )),
            "UnrecognizedClientException"
            | "InvalidSignatureException"
            | "IncompleteSignatureException"
            | "ExpiredTokenException"
            | "InvalidClientTokenId"
            | "MissingAuthenticationTokenException" => ProviderError::unavailable(format!(
                "Amazon Bedrock did not accept the gateway's AWS credentials ({what}): check the \
                 access key, secret key and session token (or the profile) that the standard AWS \
                 credential chain finds, and that they have not expired"
            )),
            "ThrottlingException" | "ServiceQuotaExceededException" => {
                ProviderError::unavailable(format!(
                    "Amazon Bedrock is throttling requests ({what}){}; try again later or ask AWS \
                     for a higher quota",
                    self.retried()
                ))
            }
            "DependencyFailedException" => ProviderError::unavailable(format!(
                "a resource the Bedrock agent depends on failed ({what}); check the agent's \
                 action group Lambda functions, knowledge bases and their permissions"
            )),
            "ModelNotReadyException" => ProviderError::unavailable(format!(
                "the Bedrock agent's model is not ready ({what}){}; try again in a minute",
                self.retried()
            )),
            _ if status == 401 || status == 403 => ProviderError::unavailable(format!(
                "Amazon Bedrock refused the gateway's AWS credentials ({what}): check the \
                 credentials and that their identity has the IAM permission `bedrock:InvokeAgent`"
            )),
            _ if status == 429 => ProviderError::unavailable(format!(
                "Amazon Bedrock is throttling requests ({what}){}; try again later",
                self.retried()
            )),
            _ if status >= 500 => ProviderError::unavailable(format!(
                "Amazon Bedrock has a problem ({what}, HTTP {status}){}; try again later",
                self.retried()
            )),
            _ if (400..500).contains(&status) => refused(""),
            _ => config_error(format!("the InvokeAgent call failed ({what})")),
        }
    }
}

/// How a response stream ended badly.
#[derive(Debug)]
pub(crate) enum StreamFailure {
    /// Bedrock sent an exception frame: the task fails with its code and message.
    Exception { code: String, message: String },
    /// The stream is broken.
    Error(ProviderError),
}

/// The failure of `completion.recv()`.
pub(crate) fn stream_failure(err: &SdkError<ResponseStreamError, RawMessage>) -> StreamFailure {
    match err {
        SdkError::ServiceError(ctx) => {
            let e = ctx.err();
            let code = match ctx.raw() {
                RawMessage::Decoded(m) => header_str(m, ":exception-type"),
                _ => None,
            }
            .or_else(|| e.code().map(str::to_owned))
            .unwrap_or_else(|| exception_name(e).to_owned());
            StreamFailure::Exception {
                code,
                message: e.message().unwrap_or("no details given").to_owned(),
            }
        }
        SdkError::TimeoutError(_) => StreamFailure::Error(ProviderError::timeout(
            "the response stream from Amazon Bedrock timed out; try again later",
        )),
        SdkError::DispatchFailure(_) => StreamFailure::Error(ProviderError::malformed(format!(
            "the response stream from Amazon Bedrock broke off ({}); try again",
            detail(err)
        ))),
        _ => StreamFailure::Error(ProviderError::malformed(format!(
            "the response stream from Amazon Bedrock is malformed or truncated ({}); try again",
            detail(err)
        ))),
    }
}

fn exception_name(e: &ResponseStreamError) -> &'static str {
    match e {
        ResponseStreamError::InternalServerException(_) => "internalServerException",
        ResponseStreamError::ValidationException(_) => "validationException",
        ResponseStreamError::ResourceNotFoundException(_) => "resourceNotFoundException",
        ResponseStreamError::ServiceQuotaExceededException(_) => "serviceQuotaExceededException",
        ResponseStreamError::ThrottlingException(_) => "throttlingException",
        ResponseStreamError::AccessDeniedException(_) => "accessDeniedException",
        ResponseStreamError::ConflictException(_) => "conflictException",
        ResponseStreamError::DependencyFailedException(_) => "dependencyFailedException",
        ResponseStreamError::BadGatewayException(_) => "badGatewayException",
        ResponseStreamError::ModelNotReadyException(_) => "modelNotReadyException",
        _ => "unknownException",
    }
}

/// What to do about a mid-stream exception, by its type.
pub(crate) fn exception_hint(code: &str) -> &'static str {
    match code {
        "throttlingException" | "serviceQuotaExceededException" => {
            "; Bedrock is throttling the agent, try again later"
        }
        "internalServerException" | "badGatewayException" => {
            "; the service had a problem, try again"
        }
        "dependencyFailedException" => {
            "; check the agent's action group Lambda functions, knowledge bases and their \
             permissions"
        }
        "modelNotReadyException" => "; the agent's model is not ready, try again in a minute",
        "accessDeniedException" => {
            "; the agent's service role (or the gateway's identity) lacks a permission"
        }
        _ => "",
    }
}

/// The error and its causes, one line, without the SDK's debug dumps.
fn detail<E: std::error::Error + 'static, R: std::fmt::Debug>(err: &SdkError<E, R>) -> String {
    let full = DisplayErrorContext(err).to_string();
    // `DisplayErrorContext` ends with a `({:?})` dump of the error; keep the readable part.
    let readable = match full.find(" (") {
        Some(i) if full.ends_with(')') => &full[..i],
        _ => full.as_str(),
    };
    crate::reply::shorten(readable.trim(), 400)
}

/// Whether the dispatch failed because no credentials could be loaded: a credentials
/// provider failed, or there was no identity to sign with (the SDK reports that only as
/// text).
fn is_credentials_error<E: std::error::Error + 'static, R: std::fmt::Debug + 'static>(
    err: &SdkError<E, R>,
) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if e.is::<aws_credential_types::provider::error::CredentialsError>() {
            return true;
        }
        let text = e.to_string();
        if text.contains("no identity resolver") || text.contains("credentials provider") {
            return true;
        }
        source = e.source();
    }
    false
}

/// A string header of an event-stream message.
fn header_str(message: &Message, name: &str) -> Option<String> {
    message
        .headers()
        .iter()
        .find(|h| h.name().as_str() == name)
        .and_then(|h| match h.value() {
            HeaderValue::String(s) => Some(s.as_str().to_owned()),
            _ => None,
        })
}
