//! Encode/decode through the generated prost types.

use a2agw_proto::v1::{
    Artifact, Message, Part, Role, StreamResponse, Task, TaskState, TaskStatus, part,
    stream_response,
};
use prost::Message as _;
use prost_types::{Struct, Timestamp, Value, value::Kind};

fn text_part(text: &str) -> Part {
    Part {
        content: Some(part::Content::Text(text.to_owned())),
        media_type: "text/plain".to_owned(),
        ..Part::default()
    }
}

fn sample_task() -> Task {
    let metadata = Struct {
        fields: [(
            "priority".to_owned(),
            Value {
                kind: Some(Kind::NumberValue(2.0)),
            },
        )]
        .into_iter()
        .collect(),
    };
    Task {
        id: "task-1".to_owned(),
        context_id: "ctx-1".to_owned(),
        status: Some(TaskStatus {
            state: TaskState::Completed.into(),
            message: None,
            timestamp: Some(Timestamp {
                seconds: 1_767_225_600,
                nanos: 123_000_000,
            }),
        }),
        artifacts: vec![Artifact {
            artifact_id: "art-1".to_owned(),
            name: "result".to_owned(),
            parts: vec![
                text_part("hello"),
                Part {
                    content: Some(part::Content::Raw(vec![0, 1, 2, 255])),
                    filename: "blob.bin".to_owned(),
                    media_type: "application/octet-stream".to_owned(),
                    ..Part::default()
                },
                Part {
                    content: Some(part::Content::Data(Value {
                        kind: Some(Kind::BoolValue(true)),
                    })),
                    ..Part::default()
                },
            ],
            ..Artifact::default()
        }],
        history: vec![Message {
            message_id: "msg-1".to_owned(),
            context_id: "ctx-1".to_owned(),
            task_id: "task-1".to_owned(),
            role: Role::User.into(),
            parts: vec![text_part("hi")],
            ..Message::default()
        }],
        metadata: Some(metadata),
    }
}

#[test]
fn task_round_trips() {
    let task = sample_task();
    let bytes = task.encode_to_vec();
    let decoded = Task::decode(bytes.as_slice()).unwrap();
    assert_eq!(decoded, task);
    assert_eq!(
        decoded.status.as_ref().unwrap().state(),
        TaskState::Completed
    );
    assert_eq!(decoded.history[0].role(), Role::User);

    // Field 1 (id), wire type 2 (length-delimited) comes first.
    assert_eq!(bytes[0], (1 << 3) | 2);
}

#[test]
fn task_round_trips_inside_a_stream_response() {
    let event = StreamResponse {
        payload: Some(stream_response::Payload::Task(sample_task())),
    };
    let decoded = StreamResponse::decode(event.encode_to_vec().as_slice()).unwrap();
    assert_eq!(decoded, event);
}

#[test]
fn unknown_enum_values_are_kept() {
    // Open enums: a newer peer's state survives decoding as its number.
    let status = TaskStatus {
        state: 42,
        ..TaskStatus::default()
    };
    let decoded = TaskStatus::decode(status.encode_to_vec().as_slice()).unwrap();
    assert_eq!(decoded.state, 42);
    assert_eq!(decoded.state(), TaskState::Unspecified);
}
