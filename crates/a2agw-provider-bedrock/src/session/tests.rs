use super::*;
use a2agw_types::TaskState;
use serde_json::json;

#[test]
fn valid_context_ids_are_used_as_they_are() {
    for id in [
        "ctx-1",
        "0b4e7c1e-5f43-4a4e-9d55-2f1f4c3c1a9b",
        "a.b_c:d-e",
        &"x".repeat(100),
    ] {
        assert!(is_valid_session_id(id), "{id}");
        assert_eq!(session_id_for(id), id);
    }
}

#[test]
fn other_context_ids_are_hashed() {
    let long = "y".repeat(101);
    for id in ["", "my context", "ctx/1", "ü", "a+b", long.as_str()] {
        assert!(!is_valid_session_id(id), "{id:?}");
        let derived = session_id_for(id);
        assert!(is_valid_session_id(&derived), "{derived}");
        assert_eq!(derived.len(), 68);
        assert!(derived.starts_with("a2a-"));
        assert_eq!(derived, session_id_for(id), "deterministic");
    }
    // SHA-256("my context"), so that other implementations can derive the same id.
    assert_eq!(
        session_id_for("my context"),
        "a2a-bb136b416fa3dbc024ce0f2f2403ae24078a961688c1384cfa9b4d76554f8f79"
    );
    assert_ne!(session_id_for("ctx/1"), session_id_for("ctx/2"));
}

#[test]
fn saved_data_and_the_session_of_a_task() {
    let mut ctx = TaskContext {
        task_id: "task-1".into(),
        context_id: "ctx-1".into(),
        state: TaskState::Working,
        ..TaskContext::default()
    };
    assert_eq!(SessionData::from_ctx(&ctx).unwrap(), None);
    // The task's own session: never shared with another task, nor with another caller
    // who names the same context id.
    assert_eq!(SessionData::session_id_of(&ctx, None), "task-1");

    ctx.provider_data = Some(json!({"sessionId": "s-9"}));
    let saved = SessionData::from_ctx(&ctx).unwrap().unwrap();
    assert_eq!(SessionData::session_id_of(&ctx, Some(&saved)), "s-9");
    assert_eq!(saved.pending(), None);
    assert_eq!(saved.to_value(), json!({"sessionId": "s-9"}));

    ctx.provider_data = Some(json!({"sessionId": 7}));
    let e = SessionData::from_ctx(&ctx).unwrap_err();
    assert!(
        e.message
            .starts_with("the saved Bedrock session data of this task is unreadable")
    );
}

#[test]
fn a_new_task_continues_the_session_of_its_context() {
    let mut ctx = TaskContext {
        task_id: "task-2".into(),
        context_id: "ctx-1".into(),
        context_data: Some(json!({"sessionId": "task-1"})),
        ..TaskContext::default()
    };
    assert_eq!(
        SessionData::context_session(&ctx).as_deref(),
        Some("task-1")
    );
    assert_eq!(SessionData::session_id_of(&ctx, None), "task-1");
    // Only the session carries over: a pending invocation belongs to its own task.
    ctx.context_data = Some(json!({
        "sessionId": "task-1",
        "invocationId": "inv-1",
        "invocationInputs": [{"type": "nonsense"}],
    }));
    assert_eq!(SessionData::session_id_of(&ctx, None), "task-1");
    // The task's own saved session wins.
    let saved = SessionData::session("s-9");
    assert_eq!(SessionData::session_id_of(&ctx, Some(&saved)), "s-9");
    // Unusable context data: the task's own session.
    for bad in [
        json!(null),
        json!("task-1"),
        json!([1, 2]),
        json!({}),
        json!({"sessionId": 7}),
        json!({"sessionId": ""}),
        json!({"sessionId": "not a session/ü"}),
        json!({"sessionId": "x".repeat(101)}),
        json!({"session_id": "task-1"}),
    ] {
        ctx.context_data = Some(bad.clone());
        assert_eq!(SessionData::context_session(&ctx), None, "{bad}");
        assert_eq!(SessionData::session_id_of(&ctx, None), "task-2", "{bad}");
    }
}
