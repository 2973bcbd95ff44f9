//! State machine tests: the transition table, and property tests over random event
//! sequences (never leave a terminal state, never apply an illegal transition, the fold of
//! the accepted events equals the running snapshot).

use super::*;
use a2agw_provider::Route;
use a2agw_types::arbitrary as arb;
use a2agw_types::{Part, Role};
use proptest::prelude::*;

fn created(state: TaskState) -> TaskRecord {
    let task = Task {
        id: "t".into(),
        context_id: "c".into(),
        status: TaskStatus {
            state,
            ..TaskStatus::default()
        },
        ..Task::default()
    };
    apply(
        &TaskRecord::default(),
        &TaskEvent::created(task, &Route::default()),
    )
    .unwrap()
}

fn status(state: TaskState) -> TaskEvent {
    TaskEvent::Status {
        status: TaskStatus {
            state,
            ..TaskStatus::default()
        },
        metadata: None,
    }
}

fn chunk(id: &str, text: &str, append: bool, last_chunk: bool) -> TaskEvent {
    TaskEvent::Artifact {
        artifact: Artifact {
            artifact_id: id.into(),
            parts: vec![Part::text(text)],
            ..Artifact::default()
        },
        append,
        last_chunk,
        metadata: None,
    }
}

#[test]
fn table() {
    use TaskState::*;
    let all = TaskState::ALL;
    let legal: &[(TaskState, &[TaskState])] = &[
        (
            Submitted,
            &[
                Working,
                InputRequired,
                AuthRequired,
                Completed,
                Failed,
                Canceled,
                Rejected,
            ],
        ),
        (
            Working,
            &[
                Working,
                InputRequired,
                AuthRequired,
                Completed,
                Failed,
                Canceled,
                Rejected,
            ],
        ),
        (InputRequired, &[Working, Canceled, Failed, Rejected]),
        (AuthRequired, &[Working, Canceled, Failed, Rejected]),
        (Completed, &[]),
        (Failed, &[]),
        (Canceled, &[]),
        (Rejected, &[]),
        (Unspecified, &[]),
    ];
    for (from, tos) in legal {
        for to in all {
            assert_eq!(is_legal(*from, *to), tos.contains(to), "{from} -> {to}");
        }
    }
}

#[test]
fn creation_rules() {
    for s in TaskState::ALL {
        let task = Task {
            id: "t".into(),
            status: TaskStatus {
                state: *s,
                ..TaskStatus::default()
            },
            ..Task::default()
        };
        let r = apply(
            &TaskRecord::default(),
            &TaskEvent::created(task, &Route::default()),
        );
        assert_eq!(
            r.is_ok(),
            matches!(s, TaskState::Submitted | TaskState::Working),
            "{s}"
        );
    }
    let rec = created(TaskState::Submitted);
    assert_eq!(rec.last_seq, 1);
    assert!(matches!(
        apply(
            &rec,
            &TaskEvent::created(rec.task.clone(), &Route::agent("a"))
        ),
        Err(TransitionError::InvalidCreation(_))
    ));
    assert!(matches!(
        apply(&TaskRecord::default(), &status(TaskState::Working)),
        Err(TransitionError::InvalidCreation(_))
    ));
    let no_id = Task {
        status: TaskStatus {
            state: TaskState::Submitted,
            ..TaskStatus::default()
        },
        ..Task::default()
    };
    assert!(
        apply(
            &TaskRecord::default(),
            &TaskEvent::created(no_id, &Route::default())
        )
        .is_err()
    );
}

#[test]
fn terminal_is_final() {
    for s in [
        TaskState::Completed,
        TaskState::Failed,
        TaskState::Canceled,
        TaskState::Rejected,
    ] {
        let rec = apply(&created(TaskState::Working), &status(s)).unwrap();
        for e in [
            status(TaskState::Working),
            status(s),
            chunk("a", "x", false, false),
            TaskEvent::UserMessage {
                message: Message::text(Role::User, "m", "hi"),
            },
            TaskEvent::ProviderData {
                data: serde_json::json!({}),
            },
        ] {
            assert_eq!(
                apply(&rec, &e),
                Err(TransitionError::Terminal {
                    state: s,
                    event: e.kind()
                })
            );
        }
    }
}

#[test]
fn artifact_chunks_concatenate() {
    let mut rec = created(TaskState::Working);
    for e in [
        chunk("a", "one ", false, false),
        chunk("b", "other", false, true),
        chunk("a", "two ", true, false),
        chunk("a", "three", true, true),
    ] {
        rec = apply(&rec, &e).unwrap();
    }
    let a = &rec.task.artifacts()[0];
    let texts: Vec<_> = a
        .parts
        .iter()
        .map(|p| match &p.content {
            a2agw_types::PartContent::Text(t) => t.as_str(),
            _ => "",
        })
        .collect();
    assert_eq!(texts.concat(), "one two three");
    assert_eq!(rec.task.artifacts().len(), 2);
    // Replacing (append: false) an existing id.
    rec = apply(&rec, &chunk("a", "new", false, true)).unwrap();
    assert_eq!(rec.task.artifacts()[0].parts.len(), 1);
    // Appending to an unknown artifact is refused.
    assert_eq!(
        apply(&rec, &chunk("zz", "x", true, false)),
        Err(TransitionError::UnknownArtifact("zz".into()))
    );
}

#[test]
fn status_messages_and_user_messages_go_to_history() {
    let mut rec = created(TaskState::Submitted);
    let ask = Message::text(Role::Agent, "q", "name?");
    rec = apply(
        &rec,
        &TaskEvent::Status {
            status: TaskStatus {
                state: TaskState::InputRequired,
                message: Some(ask.clone()),
                timestamp: None,
            },
            metadata: None,
        },
    )
    .unwrap();
    let answer = Message::text(Role::User, "a", "Ada");
    rec = apply(
        &rec,
        &TaskEvent::UserMessage {
            message: answer.clone(),
        },
    )
    .unwrap();
    assert_eq!(
        rec.task.status.state,
        TaskState::InputRequired,
        "a user message does not change the state"
    );
    assert_eq!(rec.task.history, [ask, answer]);
    assert_eq!(rec.last_seq, 3);
}

fn any_event() -> impl Strategy<Value = TaskEvent> {
    prop_oneof![
        4 => (arb::task_state(), proptest::option::of(arb::message())).prop_map(|(state, message)| TaskEvent::Status {
            status: TaskStatus { state, message, timestamp: None },
            metadata: None,
        }),
        3 => (proptest::sample::select(&["a", "b", "c"][..]), any::<bool>(), any::<bool>()).prop_map(|(id, append, last)| chunk(id, "x", append, last)),
        1 => arb::message().prop_map(|message| TaskEvent::UserMessage { message }),
        1 => arb::json_value().prop_map(|data| TaskEvent::ProviderData { data }),
        1 => arb::id().prop_map(|agent| TaskEvent::Assigned { agent, upstream: String::new() }),
        1 => arb::task().prop_map(|task| TaskEvent::created(task, &Route::agent("a"))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences(start in prop_oneof![Just(TaskState::Submitted), Just(TaskState::Working)], events in proptest::collection::vec(any_event(), 0..40)) {
        let mut rec = created(start);
        let mut accepted = vec![TaskEvent::created(rec.task.clone(), &Route::default())];
        for e in &events {
            let before = rec.task.status.state;
            match apply(&rec, e) {
                Ok(next) => {
                    prop_assert!(!before.is_terminal(), "changed a terminal task");
                    if let Some(to) = e.new_state() {
                        prop_assert!(is_legal(before, to), "applied illegal {before} -> {to}");
                        prop_assert_eq!(next.task.status.state, to);
                    } else {
                        prop_assert_eq!(next.task.status.state, before);
                    }
                    prop_assert_eq!(next.last_seq, rec.last_seq + 1);
                    accepted.push(e.clone());
                    rec = next;
                }
                Err(err) => {
                    let explained = match (&err, e) {
                        (TransitionError::Terminal { .. }, _) => before.is_terminal(),
                        (TransitionError::Illegal { from, to }, _) => *from == before && !is_legal(*from, *to),
                        (TransitionError::InvalidCreation(_), TaskEvent::Created { .. }) => true,
                        (TransitionError::InvalidCreation(_), TaskEvent::Assigned { .. }) => !rec.agent.is_empty(),
                        (TransitionError::UnknownArtifact(id), TaskEvent::Artifact { append: true, .. }) => !rec.task.artifacts().iter().any(|a| &a.artifact_id == id),
                        _ => false,
                    };
                    prop_assert!(explained, "unexplained refusal {err} of {e:?} in {before}");
                }
            }
        }
        prop_assert_eq!(fold(accepted.iter()).unwrap(), rec);
    }
}

/// The route is recorded by `Created`; `Assigned` completes only a task that has none
/// (logs written before routes were recorded at creation), and never moves one.
#[test]
fn the_route_is_set_at_creation_and_fixed() {
    let task = Task {
        id: "t".into(),
        status: TaskStatus {
            state: TaskState::Submitted,
            ..TaskStatus::default()
        },
        ..Task::default()
    };
    let route = Route {
        agent: "a".into(),
        upstream: "u1".into(),
    };
    let rec = apply(
        &TaskRecord::default(),
        &TaskEvent::created(task.clone(), &route),
    )
    .unwrap();
    assert_eq!(rec.route(), route);
    let moved = TaskEvent::Assigned {
        agent: "b".into(),
        upstream: String::new(),
    };
    assert!(matches!(
        apply(&rec, &moved),
        Err(TransitionError::InvalidCreation(_))
    ));
    // An old log: created without a route, assigned next.
    let old = apply(
        &TaskRecord::default(),
        &TaskEvent::created(task, &Route::default()),
    )
    .unwrap();
    let assigned = apply(&old, &moved).unwrap();
    assert_eq!(assigned.route(), Route::agent("b"));
    assert!(apply(&assigned, &moved).is_err());
    // The old form of `Created` (no route fields) still reads.
    let json = serde_json::json!({"type": "created", "task": {"id": "t", "contextId": "c",
        "status": {"state": "TASK_STATE_SUBMITTED"}}});
    let e: TaskEvent = serde_json::from_value(json).unwrap();
    assert!(matches!(e, TaskEvent::Created { ref agent, .. } if agent.is_empty()));
}
