//! The `echo` agent: completes every task at once with one artifact holding the message's
//! text — what other A2A servers' example agents do, and so the agent of the benchmarks
//! that compare servers (`cargo xtask bench`).

use crate::{EventStream, Provider, ProviderEvent, Result, TaskContext, new_id};
use a2agw_types::{Artifact, Message, Part, TaskState};

/// The echo provider.
#[derive(Clone, Copy, Debug, Default)]
pub struct EchoProvider;

#[async_trait::async_trait]
impl Provider for EchoProvider {
    fn kind(&self) -> &'static str {
        "echo"
    }

    async fn run(&self, _ctx: TaskContext, message: Message) -> Result<EventStream> {
        let artifact = Artifact {
            artifact_id: new_id(),
            name: "echo".into(),
            parts: vec![Part::text(message.text_content())],
            ..Artifact::default()
        };
        Ok(Box::pin(futures::stream::iter([
            Ok(ProviderEvent::Artifact {
                artifact,
                append: false,
                last_chunk: true,
            }),
            Ok(ProviderEvent::Status {
                state: TaskState::Completed,
                message: None,
            }),
        ])))
    }

    async fn cancel(&self, _ctx: TaskContext) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use a2agw_types::Role;
    use futures::StreamExt;

    #[tokio::test]
    async fn one_artifact_then_completed() {
        let events: Vec<_> = EchoProvider
            .run(TaskContext::default(), Message::text(Role::User, "m", "hi"))
            .await
            .unwrap()
            .map(|e| e.unwrap())
            .collect()
            .await;
        assert_eq!(events.len(), 2);
        assert!(
            matches!(&events[0], ProviderEvent::Artifact { artifact, .. } if artifact.parts == [Part::text("hi")])
        );
        assert!(matches!(
            events[1],
            ProviderEvent::Status {
                state: TaskState::Completed,
                ..
            }
        ));
    }
}
