//! The schema check itself: it must reject what is not 1.0 ProtoJSON, or the round-trip
//! tests that rely on it would prove nothing.

use crate::support::errors_v1;
use serde_json::json;

#[test]
fn schema_rejects_non_protojson() {
    let bad = [
        (
            "Task",
            json!({"id": "t", "status": {"state": "TASK_STATE_WORKING"}, "kind": "task"}),
        ),
        ("Task", json!({"id": "t", "status": {"state": "working"}})),
        (
            "Message",
            json!({"messageId": "m", "role": "user", "parts": [{"text": "x"}]}),
        ),
        ("Part", json!({"kind": "text", "text": "x"})),
        (
            "TaskStatus",
            json!({"state": "TASK_STATE_WORKING", "timestamp": "not a time"}),
        ),
        ("AgentCard", json!({"name": "a", "url": "https://x"})),
    ];
    for (def, v) in bad {
        let Some(errors) = errors_v1(def, &v) else {
            return;
        };
        assert!(!errors.is_empty(), "{def} accepted {v}");
    }
    let good = json!({"id": "t", "status": {"state": "TASK_STATE_WORKING", "timestamp": "2025-10-28T10:30:00.000Z"}});
    assert_eq!(errors_v1("Task", &good), Some(vec![]));
}
