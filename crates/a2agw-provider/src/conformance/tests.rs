#![allow(clippy::unwrap_used)]

use super::*;
use a2agw_types::{PartContent, Role};
use futures::StreamExt;

async fn run(message_id: &str, state: TaskState) -> Vec<ProviderEvent> {
    let ctx = TaskContext {
        state,
        ..TaskContext::default()
    };
    let p = ConformanceProvider {
        wait: Duration::from_millis(1),
        demo: DemoProvider {
            step: Duration::from_millis(1),
        },
    };
    let s = p
        .run(ctx, Message::text(Role::User, message_id, "TCK test"))
        .await
        .unwrap();
    s.map(|e| e.unwrap()).collect().await
}

/// The states and artifact parts of a run, in order, as short strings.
fn trace(events: &[ProviderEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            ProviderEvent::Status { state, message } => Some(format!(
                "{}{}",
                state.as_str(),
                message
                    .as_ref()
                    .map(|m| format!(" {:?}", m.text_content()))
                    .unwrap_or_default()
            )),
            ProviderEvent::Artifact {
                artifact,
                append,
                last_chunk,
            } => Some(format!(
                "artifact{}{} {}",
                if *append { " append" } else { "" },
                if *last_chunk { " last" } else { "" },
                artifact
                    .parts
                    .iter()
                    .map(|p| match &p.content {
                        PartContent::Text(t) => format!("text {t:?}"),
                        PartContent::Raw(_) => format!("raw {} {}", p.filename, p.media_type),
                        PartContent::Url(u) => format!("url {u} {} {}", p.filename, p.media_type),
                        PartContent::Data(d) => format!("data {d}"),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            ProviderEvent::Reply(m) => Some(format!("reply {:?}", m.text_content())),
            ProviderEvent::SaveData(_) => None,
        })
        .collect()
}

#[tokio::test]
async fn every_scenario_of_the_feature_files() {
    let cases: &[(&str, &[&str])] = &[
        (
            "tck-complete-task-abc",
            &[r#"TASK_STATE_COMPLETED "Hello from TCK""#],
        ),
        (
            "tck-artifact-text-1",
            &[
                r#"artifact last text "Generated text content""#,
                "TASK_STATE_COMPLETED",
            ],
        ),
        (
            "tck-artifact-file-1",
            &[
                "artifact last raw output.txt text/plain",
                "TASK_STATE_COMPLETED",
            ],
        ),
        (
            "tck-artifact-file-url-1",
            &[
                "artifact last url https://example.com/output.txt output.txt text/plain",
                "TASK_STATE_COMPLETED",
            ],
        ),
        (
            "tck-artifact-data-1",
            &[
                r#"artifact last data {"key":"value","count":42}"#,
                "TASK_STATE_COMPLETED",
            ],
        ),
        (
            "tck-message-response-1",
            &[r#"reply "Direct message response""#],
        ),
        (
            "tck-input-required-1",
            &[r#"TASK_STATE_INPUT_REQUIRED "Input required: reply on this task to continue""#],
        ),
        ("tck-reject-task-1", &[r#"TASK_STATE_REJECTED "rejected""#]),
        (
            "tck-stream-001-x",
            &[
                "TASK_STATE_WORKING",
                r#"artifact last text "Stream hello from TCK""#,
                "TASK_STATE_COMPLETED",
            ],
        ),
        ("tck-stream-002-x", &["TASK_STATE_COMPLETED"]),
        (
            "tck-stream-003-x",
            &[
                "TASK_STATE_WORKING",
                r#"artifact last text "Stream task lifecycle""#,
                "TASK_STATE_COMPLETED",
            ],
        ),
        (
            "tck-stream-ordering-001-x",
            &[
                "TASK_STATE_WORKING",
                r#"artifact last text "Ordered output""#,
                "TASK_STATE_COMPLETED",
            ],
        ),
        (
            "tck-stream-artifact-text-x",
            &[
                "TASK_STATE_WORKING",
                r#"artifact last text "Streamed text content""#,
                "TASK_STATE_COMPLETED",
            ],
        ),
        (
            "tck-stream-artifact-file-x",
            &[
                "TASK_STATE_WORKING",
                "artifact last raw output.txt text/plain",
                "TASK_STATE_COMPLETED",
            ],
        ),
        (
            "tck-stream-artifact-chunked-x",
            &[
                "TASK_STATE_WORKING",
                r#"artifact text "chunk-1 ""#,
                r#"artifact append last text "chunk-2""#,
                "TASK_STATE_COMPLETED",
            ],
        ),
        (
            "test-resubscribe-message-id-7",
            &["TASK_STATE_WORKING", "TASK_STATE_COMPLETED"],
        ),
    ];
    for (id, expected) in cases {
        let got = trace(&run(id, TaskState::Unspecified).await);
        assert_eq!(got, *expected, "messageId {id}");
    }
}

#[tokio::test]
async fn the_chunks_are_one_artifact() {
    let ev = run("tck-stream-artifact-chunked-1", TaskState::Unspecified).await;
    let ids: Vec<&str> = ev
        .iter()
        .filter_map(|e| match e {
            ProviderEvent::Artifact { artifact, .. } => Some(artifact.artifact_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1]);
}

/// A reply on an interrupted task follows the same table: `tck-complete-task` completes
/// it, `tck-input-required` keeps it waiting.
#[tokio::test]
async fn follow_ups_follow_the_table() {
    assert_eq!(
        trace(&run("tck-complete-task-2", TaskState::InputRequired).await),
        [r#"TASK_STATE_COMPLETED "Hello from TCK""#]
    );
    assert_eq!(
        trace(&run("tck-input-required-2", TaskState::InputRequired).await)[0],
        r#"TASK_STATE_INPUT_REQUIRED "Input required: reply on this task to continue""#
    );
}

/// Any other message reaches the demo agent (here its echo: artifact chunks, then done).
#[tokio::test]
async fn other_messages_reach_the_demo_agent() {
    let got = trace(&run("m-1", TaskState::Unspecified).await);
    assert_eq!(
        got.first().map(String::as_str),
        Some(r#"TASK_STATE_WORKING "Working on it""#)
    );
    assert_eq!(
        got.last().map(String::as_str),
        Some(r#"TASK_STATE_COMPLETED "Done""#)
    );
}

/// The long-running task is taken over after a crash and completes.
#[tokio::test]
async fn the_long_running_task_recovers() {
    let p = ConformanceProvider {
        wait: Duration::from_millis(1),
        ..ConformanceProvider::default()
    };
    let ctx = TaskContext {
        state: TaskState::Working,
        provider_data: Some(json!({"scenario": "long-running"})),
        ..TaskContext::default()
    };
    let s = p.recover(ctx).await.unwrap().unwrap();
    let got = trace(&s.map(|e| e.unwrap()).collect::<Vec<_>>().await);
    assert_eq!(got, ["TASK_STATE_WORKING", "TASK_STATE_COMPLETED"]);
    assert!(p.recover(TaskContext::default()).await.unwrap().is_none());
}
