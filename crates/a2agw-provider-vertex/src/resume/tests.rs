//! Unit tests of the reply parsing.
#![allow(clippy::unwrap_used)]

use super::*;

fn call(id: &str, name: &str, kind: CallKind) -> PendingCall {
    PendingCall {
        id: id.into(),
        name: name.into(),
        kind,
        auth_config: None,
    }
}

fn text(t: &str) -> Message {
    Message::text(Role::User, "m", t)
}

fn responses(content: &Value) -> Vec<(String, Value)> {
    content["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let r = &p["function_response"];
            (r["id"].as_str().unwrap().to_owned(), r["response"].clone())
        })
        .collect()
}

#[test]
fn yes_and_no_answer_every_pending_confirmation() {
    let pending = [
        call("c1", "adk_request_confirmation", CallKind::Confirmation),
        call("c2", "adk_request_confirmation", CallKind::Confirmation),
    ];
    let content = reply_content(&text(" Approve! "), &pending).unwrap();
    assert_eq!(
        responses(&content),
        [
            ("c1".into(), json!({"confirmed": true})),
            ("c2".into(), json!({"confirmed": true}))
        ]
    );
    let content = reply_content(&text("no"), &pending).unwrap();
    assert_eq!(responses(&content)[1].1, json!({"confirmed": false}));
    // A confirmation object keeps its payload.
    let reply = Message {
        parts: vec![Part::data(
            json!({"c1": {"confirmed": true, "payload": {"x": 1}}, "c2": false}),
        )],
        ..text("")
    };
    let content = reply_content(&reply, &pending).unwrap();
    assert_eq!(
        responses(&content),
        [
            ("c1".into(), json!({"confirmed": true, "payload": {"x": 1}})),
            ("c2".into(), json!({"confirmed": false}))
        ]
    );
}

#[test]
fn several_tool_calls_need_a_keyed_reply() {
    let pending = [
        call("a", "get_weather", CallKind::Tool),
        call("b", "get_time", CallKind::Tool),
    ];
    assert_eq!(
        reply_content(&text("sunny"), &pending).unwrap_err(),
        "The reply has no answer for the call(s) `a`, `b`"
    );
    // JSON in a text part counts as data.
    let content =
        reply_content(&text(r#"{"a": "sunny", "b": {"time": "noon"}}"#), &pending).unwrap();
    assert_eq!(
        responses(&content),
        [
            ("a".into(), json!({"result": "sunny"})),
            ("b".into(), json!({"time": "noon"}))
        ]
    );
    assert_eq!(
        reply_content(&text(r#"{"responses": [{"id": "a"}]}"#), &pending).unwrap_err(),
        "The entry for call `a` has no `response`"
    );
}

#[test]
fn a_mixed_reply_answers_the_confirmation_by_text_only_when_it_is_alone() {
    let pending = [
        call("t", "lookup", CallKind::Tool),
        call("c", "adk_request_confirmation", CallKind::Confirmation),
    ];
    assert_eq!(
        reply_content(&text("yes"), &pending).unwrap_err(),
        "The reply has no answer for the call(s) `t`"
    );
}

#[test]
fn auth_text_sets_the_redirect_url_in_snake_or_camel_case() {
    let mut snake = call("x", "adk_request_credential", CallKind::Auth);
    snake.auth_config = Some(json!({
        "auth_scheme": {"type": "oauth2"},
        "raw_auth_credential": {"auth_type": "oauth2", "oauth2": {"client_id": "c", "client_secret": "s"}}
    }));
    let content = reply_content(&text("https://cb.example/?code=1"), &[snake]).unwrap();
    assert_eq!(
        responses(&content)[0].1["exchanged_auth_credential"],
        json!({"auth_type": "oauth2", "oauth2": {
            "client_id": "c", "client_secret": "s", "auth_response_uri": "https://cb.example/?code=1"
        }})
    );
    // Without a saved config (camelCase by default).
    let bare = call("x", "adk_request_credential", CallKind::Auth);
    let content = reply_content(&text("https://cb.example/"), &[bare]).unwrap();
    assert_eq!(
        responses(&content)[0].1,
        json!({"exchangedAuthCredential": {"oauth2": {"authResponseUri": "https://cb.example/"}}})
    );
}

#[test]
fn redaction_hides_secrets_at_any_depth() {
    let v = json!({
        "clientSecret": "s1", "client_id": "id",
        "nested": [{"api_key": "k", "accessToken": "t", "password": null, "token": {"inner": "x"}}]
    });
    assert_eq!(
        redact(&v),
        json!({
            "clientSecret": REDACTED, "client_id": "id",
            "nested": [{"api_key": REDACTED, "accessToken": REDACTED, "password": null, "token": {"inner": "x"}}]
        })
    );
}

#[test]
fn merge_keeps_the_base_where_the_patch_is_redacted() {
    let base = json!({"a": {"secret": "s", "keep": 1}, "b": 2});
    let patch = json!({"a": {"secret": REDACTED, "new": 3}, "b": "x"});
    assert_eq!(
        merge(base, &patch),
        json!({"a": {"secret": "s", "keep": 1, "new": 3}, "b": "x"})
    );
}
