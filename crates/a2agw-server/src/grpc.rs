//! The gRPC binding: `lf.a2a.v1.A2AService` (all 11 RPCs, the two stream RPCs
//! server-streaming) over the one [`Handler`](crate::Handler), and the service that serves
//! it on the HTTP port.
//!
//! - Every RPC converts its proto request with `TryFrom` (a message that does not convert is
//!   INVALID_ARGUMENT with a `BadRequest` naming the field), runs [`Validate`] (the same),
//!   reads the caller from the metadata exactly as the HTTP bindings read headers
//!   (`authorization` / the API-key header, `a2a-version`, `a2a-extensions`,
//!   `last-event-id`), calls the handler and converts the result back.
//! - Errors: the code of [`crate::error::rpc_code`] (the one mapping), a human-readable
//!   message, and the `google.rpc.Status` details of [`a2agw_proto::status_details`]
//!   (`ErrorInfo` with domain `a2a-protocol.org`, `BadRequest` for validation errors) in
//!   the `grpc-status-details-bin` trailer. Missing or invalid credentials are
//!   UNAUTHENTICATED with the challenge in `www-authenticate` metadata; a principal over its
//!   stream limit gets RESOURCE_EXHAUSTED.
//! - `a2a-version`: absent, `1.0` or `1.0.x` serve 1.0 (the package `lf.a2a.v1` already says
//!   which surface the client speaks, as the REST 1.0 routes do). Anything else, `0.3`
//!   included, is FAILED_PRECONDITION `VERSION_NOT_SUPPORTED`: 0.3 gRPC is package
//!   `a2a.v1`, a different service this gateway does not serve.
//! - Streams end after the handler's closing event; an error mid-stream ends the stream with
//!   that error's status. The principal's stream slot is held for the stream's life.
//!
//! Port sharing ([`service`]): one axum [`Router`] whose only route is a fallback service
//! that looks at each request's `Content-Type`: `application/grpc`, `application/grpc+…`
//! and `application/grpc;…` go to the tonic routes (the A2A service and server
//! reflection; an unknown gRPC method is UNIMPLEMENTED), everything else to the HTTP router
//! ([`crate::router`]). `axum::serve` (hyper-util's auto connection builder) speaks
//! HTTP/1.1 and HTTP/2 with prior knowledge (h2c) on the same listener, which is what
//! plaintext gRPC clients use. Request messages are limited to `Limits::max_body_bytes`,
//! as HTTP bodies are.

use crate::app::{AppState, CallerError};
use crate::error::{grpc_call_error, grpc_status, grpc_unauthenticated};
use crate::forwarded::Connection;
use crate::handler::{Caller, Reply};
use a2agw_proto::ConvertError;
use a2agw_proto::v1;
use a2agw_proto::v1::a2a_service_server::{A2aService, A2aServiceServer};
use a2agw_types::{A2aError, A2aRequest, A2aResponse, ErrorCode, ProtocolVersion, Validate};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, header};
use axum::routing::future::RouteFuture;
use futures::StreamExt;
use futures::stream::BoxStream;
use std::convert::Infallible;
use std::task::{Context, Poll};
use tonic::Status;
use tonic::metadata::MetadataMap;
use tower_service::Service;

/// The stream type of the two server-streaming RPCs.
pub(crate) type GrpcStream = BoxStream<'static, Result<v1::StreamResponse, Status>>;

/// The gateway on one port: gRPC requests (by `Content-Type`) to [`grpc_routes`],
/// everything else to the HTTP router ([`crate::router`]). Serve it with `axum::serve`.
pub fn service(state: AppState) -> Router {
    let http = crate::router::router(state.clone());
    let grpc = grpc_routes(state);
    Router::new().fallback_service(Dispatch { http, grpc })
}

/// The gRPC routes alone (`lf.a2a.v1.A2AService` and server reflection), for serving gRPC
/// on a port of its own; unknown services and methods answer UNIMPLEMENTED.
pub fn grpc_routes(state: AppState) -> Router {
    let max = state.limits.max_body_bytes;
    let extensions =
        axum::middleware::from_fn_with_state(state.clone(), crate::router::activated_extensions);
    let a2a = A2aServiceServer::new(GrpcService { state }).max_decoding_message_size(max);
    let mut routes = tonic::service::Routes::builder();
    routes.add_service(a2a);
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(a2agw_proto::FILE_DESCRIPTOR_SET)
    };
    // v1 and v1alpha: grpcurl and older clients still ask v1alpha. The descriptor set is
    // generated and checked in (a unit test builds both); should it not decode, the
    // gateway serves without reflection rather than not at all.
    match (reflection().build_v1(), reflection().build_v1alpha()) {
        (Ok(v1), Ok(v1alpha)) => {
            routes.add_service(v1);
            routes.add_service(v1alpha);
        }
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(error = %e, "gRPC server reflection is off: bad descriptor set");
        }
    }
    // `a2a-extensions` response metadata, as HTTP responses carry the header.
    routes
        .routes()
        .prepare()
        .into_axum_router()
        .layer(extensions)
}

/// Whether a request is gRPC: `Content-Type: application/grpc`, `application/grpc+proto`
/// (any `+suffix`) or with parameters. gRPC-Web (`application/grpc-web…`) is not.
fn is_grpc(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct.split(';').next().unwrap_or("").trim();
    match essence.split_at_checked("application/grpc".len()) {
        Some((head, rest)) => {
            head.eq_ignore_ascii_case("application/grpc")
                && (rest.is_empty() || rest.starts_with('+'))
        }
        None => false,
    }
}

/// Routes each request to the gRPC or the HTTP router by its `Content-Type`.
#[derive(Clone, Debug)]
struct Dispatch {
    http: Router,
    grpc: Router,
}

impl Service<Request<Body>> for Dispatch {
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = RouteFuture<Infallible>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Both routers are always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: Request<Body>) -> Self::Future {
        // HTTP/2 carries the host in `:authority`, which tonic's metadata and the card's
        // `Host` reading do not see: keep it as `host` so cards (the extended card over
        // gRPC, a card fetched over h2c) name the address reached.
        if !req.headers().contains_key(header::HOST)
            && let Some(v) = req
                .uri()
                .authority()
                .and_then(|a| axum::http::HeaderValue::from_str(a.as_str()).ok())
        {
            req.headers_mut().insert(header::HOST, v);
        }
        if is_grpc(req.headers()) {
            self.grpc.call(req)
        } else {
            self.http.call(req)
        }
    }
}

/// `A2AService` on the handler of [`AppState`].
#[derive(Clone, Debug)]
pub(crate) struct GrpcService {
    state: AppState,
}

fn invalid(e: &ConvertError) -> Status {
    grpc_status(&A2aError::invalid_params(vec![e.field_violation()]))
}

/// Converts a proto request; a failure is INVALID_ARGUMENT naming the field.
fn decode<P, T: TryFrom<P, Error = ConvertError>>(msg: P) -> Result<T, Status> {
    T::try_from(msg).map_err(|e| invalid(&e))
}

/// Runs the spec's checks; a failure is INVALID_ARGUMENT with a `BadRequest`.
fn validate(request: &A2aRequest) -> Result<(), Status> {
    request
        .validate()
        .map_err(|e| grpc_status(&A2aError::from(e)))
}

fn unexpected(what: &str) -> Status {
    grpc_status(&A2aError::internal(format!(
        "the handler answered {what} with an unexpected result"
    )))
}

fn metadata_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl GrpcService {
    fn unauthenticated(&self, message: &str) -> Status {
        grpc_unauthenticated(&self.state.auth.challenge(), message)
    }

    /// The caller, from metadata read exactly as the HTTP bindings read headers
    /// ([`crate::app::read_caller`]); gRPC serves A2A 1.0 only.
    fn caller(&self, headers: &HeaderMap) -> Result<Caller, Status> {
        let info = match crate::app::read_caller(&self.state, headers, None, "grpc") {
            Ok(info) => info,
            Err(CallerError::Unauthenticated(msg)) => return Err(self.unauthenticated(&msg)),
            Err(CallerError::Version(e)) => return Err(grpc_status(&e)),
        };
        match info.version_header {
            None | Some(ProtocolVersion::V1_0) => Ok(info.caller),
            Some(v) => {
                let raw = metadata_str(headers, "a2a-version").unwrap_or("");
                let err = A2aError::new(
                    ErrorCode::VersionNotSupported,
                    format!(
                        "A2A {v} over gRPC is the service `a2a.v1.A2AService`, which this gateway does not serve; \
                         `lf.a2a.v1.A2AService` serves A2A 1.0"
                    ),
                )
                .with_metadata("requestedVersion", raw.trim());
                Err(grpc_status(&err))
            }
        }
    }

    /// Reads the caller from `metadata`, builds the request with `build` (which converts),
    /// validates it and calls [`AppState::call`].
    async fn call(
        &self,
        metadata: &MetadataMap,
        extensions: &tonic::Extensions,
        build: impl FnOnce() -> Result<A2aRequest, Status>,
    ) -> Result<Reply, Status> {
        let headers = metadata.clone().into_headers();
        let caller = self.caller(&headers)?;
        let request = build()?;
        validate(&request)?;
        let conn = Connection::of(extensions);
        self.state
            .call(&caller, request, &headers, conn)
            .await
            .map_err(|e| grpc_call_error(&self.state.auth.challenge(), e))
    }

    /// A unary RPC.
    async fn unary(
        &self,
        metadata: &MetadataMap,
        extensions: &tonic::Extensions,
        build: impl FnOnce() -> Result<A2aRequest, Status>,
    ) -> Result<A2aResponse, Status> {
        match self.call(metadata, extensions, build).await? {
            Reply::Unary(r) => Ok(r),
            Reply::Stream(_) => Err(unexpected("a unary RPC")),
        }
    }

    /// A server-streaming RPC: the stream holds its stream slot until it ends.
    async fn stream(
        &self,
        metadata: &MetadataMap,
        extensions: &tonic::Extensions,
        build: impl FnOnce() -> Result<A2aRequest, Status>,
    ) -> Result<GrpcStream, Status> {
        match self.call(metadata, extensions, build).await? {
            Reply::Stream(items) => Ok(items
                .take_until(self.state.shutdown.wait())
                .map(|r| match r {
                    Ok(item) => Ok(v1::StreamResponse::from(item.event)),
                    Err(e) => Err(grpc_status(&e)),
                })
                .boxed()),
            Reply::Unary(_) => Err(unexpected("a streaming RPC")),
        }
    }
}

fn task_reply(r: A2aResponse, what: &str) -> Result<tonic::Response<v1::Task>, Status> {
    match r {
        A2aResponse::Task(t) => Ok(tonic::Response::new(t.into())),
        _ => Err(unexpected(what)),
    }
}

fn push_config_reply(
    r: A2aResponse,
    what: &str,
) -> Result<tonic::Response<v1::TaskPushNotificationConfig>, Status> {
    match r {
        A2aResponse::PushConfig(c) => Ok(tonic::Response::new(c.into())),
        _ => Err(unexpected(what)),
    }
}

#[tonic::async_trait]
impl A2aService for GrpcService {
    async fn send_message(
        &self,
        request: tonic::Request<v1::SendMessageRequest>,
    ) -> Result<tonic::Response<v1::SendMessageResponse>, Status> {
        let (metadata, extensions, msg) = request.into_parts();
        let r = self
            .unary(&metadata, &extensions, || {
                Ok(A2aRequest::SendMessage(decode(msg)?))
            })
            .await?;
        match r {
            A2aResponse::SendMessage(r) => Ok(tonic::Response::new(r.into())),
            _ => Err(unexpected("SendMessage")),
        }
    }

    type SendStreamingMessageStream = GrpcStream;

    async fn send_streaming_message(
        &self,
        request: tonic::Request<v1::SendMessageRequest>,
    ) -> Result<tonic::Response<GrpcStream>, Status> {
        let (metadata, extensions, msg) = request.into_parts();
        let s = self
            .stream(&metadata, &extensions, || {
                Ok(A2aRequest::SendStreamingMessage(decode(msg)?))
            })
            .await?;
        Ok(tonic::Response::new(s))
    }

    async fn get_task(
        &self,
        request: tonic::Request<v1::GetTaskRequest>,
    ) -> Result<tonic::Response<v1::Task>, Status> {
        let (metadata, extensions, msg) = request.into_parts();
        let r = self
            .unary(&metadata, &extensions, || {
                Ok(A2aRequest::GetTask(decode(msg)?))
            })
            .await?;
        task_reply(r, "GetTask")
    }

    async fn list_tasks(
        &self,
        request: tonic::Request<v1::ListTasksRequest>,
    ) -> Result<tonic::Response<v1::ListTasksResponse>, Status> {
        let (metadata, extensions, msg) = request.into_parts();
        let r = self
            .unary(&metadata, &extensions, || {
                Ok(A2aRequest::ListTasks(decode(msg)?))
            })
            .await?;
        match r {
            A2aResponse::ListTasks(r) => Ok(tonic::Response::new(r.into())),
            _ => Err(unexpected("ListTasks")),
        }
    }

    async fn cancel_task(
        &self,
        request: tonic::Request<v1::CancelTaskRequest>,
    ) -> Result<tonic::Response<v1::Task>, Status> {
        let (metadata, extensions, msg) = request.into_parts();
        let r = self
            .unary(&metadata, &extensions, || {
                Ok(A2aRequest::CancelTask(decode(msg)?))
            })
            .await?;
        task_reply(r, "CancelTask")
    }

    type SubscribeToTaskStream = GrpcStream;

    async fn subscribe_to_task(
        &self,
        request: tonic::Request<v1::SubscribeToTaskRequest>,
    ) -> Result<tonic::Response<GrpcStream>, Status> {
        let (metadata, extensions, msg) = request.into_parts();
        let s = self
            .stream(&metadata, &extensions, || {
                Ok(A2aRequest::SubscribeToTask(decode(msg)?))
            })
            .await?;
        Ok(tonic::Response::new(s))
    }

    async fn create_task_push_notification_config(
        &self,
        request: tonic::Request<v1::TaskPushNotificationConfig>,
    ) -> Result<tonic::Response<v1::TaskPushNotificationConfig>, Status> {
        let (metadata, extensions, msg) = request.into_parts();
        let r = self
            .unary(&metadata, &extensions, || {
                Ok(A2aRequest::CreateTaskPushNotificationConfig(decode(msg)?))
            })
            .await?;
        push_config_reply(r, "CreateTaskPushNotificationConfig")
    }

    async fn get_task_push_notification_config(
        &self,
        request: tonic::Request<v1::GetTaskPushNotificationConfigRequest>,
    ) -> Result<tonic::Response<v1::TaskPushNotificationConfig>, Status> {
        let (metadata, extensions, msg) = request.into_parts();
        let r = self
            .unary(&metadata, &extensions, || {
                Ok(A2aRequest::GetTaskPushNotificationConfig(decode(msg)?))
            })
            .await?;
        push_config_reply(r, "GetTaskPushNotificationConfig")
    }

    async fn list_task_push_notification_configs(
        &self,
        request: tonic::Request<v1::ListTaskPushNotificationConfigsRequest>,
    ) -> Result<tonic::Response<v1::ListTaskPushNotificationConfigsResponse>, Status> {
        let (metadata, extensions, msg) = request.into_parts();
        let r = self
            .unary(&metadata, &extensions, || {
                Ok(A2aRequest::ListTaskPushNotificationConfigs(decode(msg)?))
            })
            .await?;
        match r {
            A2aResponse::PushConfigs(r) => Ok(tonic::Response::new(r.into())),
            _ => Err(unexpected("ListTaskPushNotificationConfigs")),
        }
    }

    async fn get_extended_agent_card(
        &self,
        request: tonic::Request<v1::GetExtendedAgentCardRequest>,
    ) -> Result<tonic::Response<v1::AgentCard>, Status> {
        let (metadata, extensions, msg) = request.into_parts();
        // gRPC has no path: a `tenant` naming an agent selects it, and its card points there
        // (public URL, or the host the metadata names; gRPC requests carry no Host header
        // unless HTTP/2's `:authority` is kept as one, see `Dispatch`).
        let request = A2aRequest::GetExtendedAgentCard(decode(msg)?);
        let r = self.unary(&metadata, &extensions, || Ok(request)).await?;
        match r {
            A2aResponse::AgentCard(c) => Ok(tonic::Response::new(c.into())),
            _ => Err(unexpected("GetExtendedAgentCard")),
        }
    }

    async fn delete_task_push_notification_config(
        &self,
        request: tonic::Request<v1::DeleteTaskPushNotificationConfigRequest>,
    ) -> Result<tonic::Response<()>, Status> {
        let (metadata, extensions, msg) = request.into_parts();
        let r = self
            .unary(&metadata, &extensions, || {
                Ok(A2aRequest::DeleteTaskPushNotificationConfig(decode(msg)?))
            })
            .await?;
        match r {
            A2aResponse::Empty => Ok(tonic::Response::new(())),
            _ => Err(unexpected("DeleteTaskPushNotificationConfig")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ct(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, v.parse().unwrap());
        h
    }

    #[test]
    fn grpc_is_recognised_by_content_type() {
        assert!(is_grpc(&ct("application/grpc")));
        assert!(is_grpc(&ct("application/grpc+proto")));
        assert!(is_grpc(&ct("Application/GRPC; charset=utf-8")));
        assert!(!is_grpc(&ct("application/grpc-web")));
        assert!(!is_grpc(&ct("application/grpcx")));
        assert!(!is_grpc(&ct("application/json")));
        assert!(!is_grpc(&ct("application/a2a+json")));
        assert!(!is_grpc(&ct("")));
        assert!(!is_grpc(&HeaderMap::new()));
    }

    #[test]
    fn reflection_builds_from_the_descriptor_set() {
        let b = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(a2agw_proto::FILE_DESCRIPTOR_SET)
        };
        assert!(b().build_v1().is_ok());
        assert!(b().build_v1alpha().is_ok());
    }
}
