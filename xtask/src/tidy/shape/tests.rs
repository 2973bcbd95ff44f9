use super::{Source, check_sources};

fn src(path: &str, text: &str) -> Source {
    Source {
        path: path.to_owned(),
        text: text.to_owned(),
    }
}

/// A minimal server that keeps every rule.
fn clean() -> Vec<Source> {
    vec![
        src(
            "lib.rs",
            "//! The server.\nmod app;\nmod error;\nmod jsonrpc;\npub use app::AppState;\n",
        ),
        src(
            "app.rs",
            "use crate::error::respond;\npub struct AppState;\nfn call(s: &S) {\n    \
             let _g = s.limits.stream_guard(\"p\", \"a\");\n    s.handler\n        .call(x);\n}\n",
        ),
        src("error/mod.rs", "mod respond;\n"),
        src(
            "error/respond.rs",
            "fn f() { (StatusCode::NOT_FOUND, json!({\"error\": 1})); Status::internal(\"x\"); }\n",
        ),
        src(
            "jsonrpc.rs",
            "use crate::app::AppState;\n// StatusCode::NOT_FOUND in a comment\n\
             fn ok() -> StatusCode { StatusCode::OK }\nfn t(s: TaskStatus) { TaskStatus::now(1); }\n\
             #[cfg(test)]\nmod tests { fn t() { StatusCode::BAD_REQUEST; } }\n",
        ),
    ]
}

#[test]
fn a_clean_server_passes() {
    let violations = check_sources(&clean());
    assert!(violations.is_empty(), "{violations:#?}");
}

fn with(path: &str, text: &str) -> Vec<String> {
    let mut sources = clean();
    sources.retain(|s| s.path != path);
    sources.push(src(path, text));
    check_sources(&sources)
}

#[test]
fn error_responses_outside_respond_are_found() {
    let cases = [
        "fn f() { StatusCode::NOT_FOUND.into_response() }",
        "fn f() { axum::http::StatusCode::from_u16(500) }",
        "fn f() { tonic::Status::resource_exhausted(\"x\") }",
        "fn f() { Status::new(c, \"x\") }",
        "fn f() { let c = tonic::Code::Internal; }",
        "fn f() { json!({\"error\": {\"code\": 404}}) }",
        "fn f() { body[\"error\"][\"code\"] = 1; }",
        "fn f() { JsonRpcResponse::error(id, e) }",
        "fn f() { e\n    .to_jsonrpc(v) }",
        "fn f() { crate::error::http_status(e.code) }",
        "fn f() { rest_error_body(&e) }",
    ];
    for case in cases {
        let violations = with("jsonrpc.rs", case);
        assert_eq!(violations.len(), 1, "{case}: {violations:#?}");
        assert!(violations[0].contains("jsonrpc.rs:"), "{violations:?}");
        assert!(violations[0].contains("error/respond.rs"), "{violations:?}");
    }
}

#[test]
fn success_statuses_comments_and_tests_are_not_error_responses() {
    let cases = [
        "fn f() { (StatusCode::OK, StatusCode::NOT_MODIFIED, StatusCode::NO_CONTENT) }",
        "// StatusCode::NOT_FOUND\n/* Status::internal(x) */ fn f() {}",
        "fn f() { TaskStatus::now(s); ErrorCode::TaskNotFound; RpcCode::NotFound; }",
        "fn f() { let url = \"http://x\"; }\n#[cfg(test)]\nmod tests { StatusCode::BAD_REQUEST }",
        "fn f() { map.get(\"errors\"); Some(\"error\") }",
    ];
    for case in cases {
        let violations = with("jsonrpc.rs", case);
        assert!(violations.is_empty(), "{case}: {violations:#?}");
    }
}

#[test]
fn the_call_path_is_app_rs() {
    let cases = [
        "fn f(s: &S) { s.limits.stream_guard(\"p\", \"a\"); }",
        "fn f(s: &S) { s.handler\n        .call(c, r); }",
        "fn f(s: &S) { s.handler.call_agent(c, a, r); }",
        "fn f(s: &S) { s.card.render_at(&c, b, None); }",
        "fn f(s: &S) { s.card.served_json(&c, b, None, f); }",
        "fn f(s: &S) { s.handler.card_path(&c, &r); }",
    ];
    for case in cases {
        let violations = with("jsonrpc.rs", case);
        assert_eq!(violations.len(), 1, "{case}: {violations:#?}");
        assert!(violations[0].contains("AppState::call"), "{violations:?}");
    }
    let mut sources = clean();
    sources.push(src(
        "card.rs",
        "fn render_at() {}\nfn f(s: &S) { s.with_interfaces(); s.signed_json(card_json(x)); }",
    ));
    assert!(check_sources(&sources).is_empty());
}

#[test]
fn module_cycles_are_found() {
    // error -> app closes app -> error.
    let violations = with("error/mod.rs", "mod respond;\nuse crate::app::AppState;\n");
    assert_eq!(violations.len(), 1, "{violations:#?}");
    assert!(
        violations[0].contains("app -> error -> app"),
        "{violations:?}"
    );
    assert!(violations[0].contains("error/mod.rs:2"), "{violations:?}");
    // Through a name lib.rs re-exports.
    let violations = with(
        "error/mod.rs",
        "mod respond;\nfn f(_: crate::AppState) {}\n",
    );
    assert_eq!(violations.len(), 1, "{violations:#?}");
    assert!(
        violations[0].contains("app -> error -> app"),
        "{violations:?}"
    );
    // Through a group: both modules it names are edges, each closing a cycle.
    let violations = with(
        "error/mod.rs",
        "mod respond;\nuse crate::{jsonrpc, app::AppState};\n",
    );
    assert_eq!(violations.len(), 2, "{violations:#?}");
    assert!(
        violations[0].contains("app -> error -> app"),
        "{violations:?}"
    );
    assert!(
        violations[1].contains("app -> error -> jsonrpc -> app"),
        "{violations:?}"
    );
    // A longer cycle: jsonrpc -> app -> error -> jsonrpc.
    let violations = with("error/mod.rs", "mod respond;\nuse crate::jsonrpc::x;\n");
    assert_eq!(violations.len(), 1, "{violations:#?}");
    assert!(
        violations[0].contains("app -> error -> jsonrpc -> app"),
        "{violations:?}"
    );
}

#[test]
fn lib_rs_has_no_pub_mod() {
    let violations = with(
        "lib.rs",
        "//! The server.\npub mod app;\nmod error;\nmod jsonrpc;\n",
    );
    assert_eq!(violations.len(), 1, "{violations:#?}");
    assert!(violations[0].contains("lib.rs:2"), "{violations:?}");
}
