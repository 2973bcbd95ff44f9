//! The gRPC baseline: a minimal tonic server whose `SendMessage` answers the protobuf of a
//! completed echo task and does nothing else (every other method: UNIMPLEMENTED). It is
//! the ceiling of HTTP/2 + tonic + the load generator's gRPC client on this machine, as
//! [`crate::baseline`] is for HTTP/1.1; it runs in the baseline's process, on a port of its
//! own.

use a2agw_proto::v1::a2a_service_server::{A2aService, A2aServiceServer};
use a2agw_proto::v1::{
    AgentCard, Artifact, CancelTaskRequest, DeleteTaskPushNotificationConfigRequest,
    GetExtendedAgentCardRequest, GetTaskPushNotificationConfigRequest, GetTaskRequest,
    ListTaskPushNotificationConfigsRequest, ListTaskPushNotificationConfigsResponse,
    ListTasksRequest, ListTasksResponse, Message, Part, Role, SendMessageRequest,
    SendMessageResponse, StreamResponse, SubscribeToTaskRequest, Task, TaskPushNotificationConfig,
    TaskState, TaskStatus, part, send_message_response,
};
use tonic::{Request, Response, Status};

type Stream = futures::stream::Empty<Result<StreamResponse, Status>>;

#[derive(Debug, Default)]
struct Baseline;

fn text(t: &str) -> Part {
    Part {
        content: Some(part::Content::Text(t.to_owned())),
        ..Part::default()
    }
}

fn unimplemented<T>() -> Result<Response<T>, Status> {
    Err(Status::unimplemented(
        "the baseline answers SendMessage only",
    ))
}

#[tonic::async_trait]
impl A2aService for Baseline {
    async fn send_message(
        &self,
        request: Request<SendMessageRequest>,
    ) -> Result<Response<SendMessageResponse>, Status> {
        let message = request.into_inner().message.unwrap_or_default();
        let (id, context) = (
            "019aa4e4-8d0f-7a33-9c1e-4c1f0e0b8f51",
            "019aa4e4-8d0f-7a33-9c1e-4c2a7d3c1e22",
        );
        let task = Task {
            id: id.into(),
            context_id: context.into(),
            status: Some(TaskStatus {
                state: TaskState::Completed.into(),
                ..TaskStatus::default()
            }),
            artifacts: vec![Artifact {
                artifact_id: "019aa4e4-8d0f-7a33-9c1e-4c3b9e8f0a13".into(),
                name: "echo".into(),
                parts: vec![text("hello gateway")],
                ..Artifact::default()
            }],
            history: vec![Message {
                task_id: id.into(),
                context_id: context.into(),
                role: Role::User.into(),
                ..message
            }],
            ..Task::default()
        };
        Ok(Response::new(SendMessageResponse {
            payload: Some(send_message_response::Payload::Task(task)),
        }))
    }

    type SendStreamingMessageStream = Stream;

    async fn send_streaming_message(
        &self,
        _: Request<SendMessageRequest>,
    ) -> Result<Response<Stream>, Status> {
        unimplemented()
    }

    async fn get_task(&self, _: Request<GetTaskRequest>) -> Result<Response<Task>, Status> {
        unimplemented()
    }

    async fn list_tasks(
        &self,
        _: Request<ListTasksRequest>,
    ) -> Result<Response<ListTasksResponse>, Status> {
        unimplemented()
    }

    async fn cancel_task(&self, _: Request<CancelTaskRequest>) -> Result<Response<Task>, Status> {
        unimplemented()
    }

    type SubscribeToTaskStream = Stream;

    async fn subscribe_to_task(
        &self,
        _: Request<SubscribeToTaskRequest>,
    ) -> Result<Response<Stream>, Status> {
        unimplemented()
    }

    async fn create_task_push_notification_config(
        &self,
        _: Request<TaskPushNotificationConfig>,
    ) -> Result<Response<TaskPushNotificationConfig>, Status> {
        unimplemented()
    }

    async fn get_task_push_notification_config(
        &self,
        _: Request<GetTaskPushNotificationConfigRequest>,
    ) -> Result<Response<TaskPushNotificationConfig>, Status> {
        unimplemented()
    }

    async fn list_task_push_notification_configs(
        &self,
        _: Request<ListTaskPushNotificationConfigsRequest>,
    ) -> Result<Response<ListTaskPushNotificationConfigsResponse>, Status> {
        unimplemented()
    }

    async fn get_extended_agent_card(
        &self,
        _: Request<GetExtendedAgentCardRequest>,
    ) -> Result<Response<AgentCard>, Status> {
        unimplemented()
    }

    async fn delete_task_push_notification_config(
        &self,
        _: Request<DeleteTaskPushNotificationConfigRequest>,
    ) -> Result<Response<()>, Status> {
        unimplemented()
    }
}

/// Serves the gRPC baseline on `listener` until the process ends.
pub(crate) async fn serve(listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    let incoming = tokio_stream_from(listener);
    tonic::transport::Server::builder()
        .tcp_nodelay(true)
        .add_service(A2aServiceServer::new(Baseline))
        .serve_with_incoming(incoming)
        .await?;
    Ok(())
}

/// The accepted connections of `listener`, with `TCP_NODELAY`, as tonic's incoming stream.
fn tokio_stream_from(
    listener: tokio::net::TcpListener,
) -> impl futures::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    futures::stream::unfold(listener, |listener| async move {
        let accepted = listener.accept().await.map(|(tcp, _)| {
            let _ = tcp.set_nodelay(true);
            tcp
        });
        Some((accepted, listener))
    })
}
