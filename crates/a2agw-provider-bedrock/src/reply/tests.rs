use super::*;
use a2agw_types::{Part, Role};

fn function(group: &str, name: &str, invocation_type: Option<&str>) -> PendingInput {
    PendingInput {
        kind: InputKind::Function,
        action_group: group.into(),
        function: Some(name.into()),
        api_path: None,
        http_method: None,
        parameters: vec![Param {
            name: "date".into(),
            kind: "string".into(),
            value: "2026-12-24".into(),
        }],
        request_body: None,
        action_invocation_type: invocation_type.map(str::to_owned),
        agent_id: None,
        collaborator_name: None,
    }
}

fn api(group: &str, method: &str, path: &str) -> PendingInput {
    PendingInput {
        kind: InputKind::Api,
        action_group: group.into(),
        function: None,
        api_path: Some(path.into()),
        http_method: Some(method.into()),
        parameters: Vec::new(),
        request_body: Some(json!({"application/json": [
            {"name": "city", "type": "string", "value": "Paris"}
        ]})),
        action_invocation_type: None,
        agent_id: None,
        collaborator_name: None,
    }
}

fn text(t: &str) -> Message {
    Message::text(Role::User, "m", t)
}

fn data(v: Value) -> Message {
    Message {
        message_id: "m".into(),
        role: Role::User,
        parts: vec![Part::data(v)],
        ..Message::default()
    }
}

fn result(input: usize, body: Option<&str>) -> InvocationResult {
    InvocationResult {
        input,
        body: body.map(str::to_owned),
        ..InvocationResult::default()
    }
}

fn two() -> Vec<PendingInput> {
    vec![
        function("booking", "book_table", Some("RESULT")),
        api("weather", "GET", "/weather"),
    ]
}

#[test]
fn one_pending_input_takes_any_form() {
    let one = [function("booking", "book_table", Some("RESULT"))];
    let cases = [
        text("table 7"),
        data(json!({"results": [{"body": "table 7"}]})),
        data(json!({"results": [{"function": "book_table", "result": "table 7"}]})),
        data(json!([{"function": "book_table", "actionGroup": "booking", "body": "table 7"}])),
        data(json!({"function": "book_table", "body": "table 7"})),
        data(json!({"body": "table 7"})),
        data(json!({"book_table": "table 7"})),
        data(json!("table 7")),
        text("{\"book_table\": \"table 7\"}"),
    ];
    for m in cases {
        assert_eq!(
            parse_reply(&m, &one),
            Ok(vec![result(0, Some("table 7"))]),
            "{m:?}"
        );
    }
}

#[test]
fn plain_text_is_sent_verbatim() {
    let one = [function("booking", "book_table", None)];
    assert_eq!(
        parse_reply(&text("  table 7\n"), &one),
        Ok(vec![result(0, Some("  table 7\n"))])
    );
}

#[test]
fn json_bodies_are_sent_as_json_text() {
    let one = [function("booking", "book_table", None)];
    assert_eq!(
        parse_reply(&data(json!({"book_table": {"table": 7}})), &one),
        Ok(vec![result(0, Some("{\"table\":7}"))])
    );
    assert_eq!(
        parse_reply(
            &data(json!({"book_table": {"body": {"table": 7}, "responseState": "failure"}})),
            &one
        ),
        Ok(vec![InvocationResult {
            input: 0,
            body: Some("{\"table\":7}".into()),
            response_state: Some("FAILURE"),
            ..InvocationResult::default()
        }])
    );
    // A failure needs no body.
    assert_eq!(
        parse_reply(
            &data(json!({"results": [{"responseState": "REPROMPT"}]})),
            &one
        ),
        Ok(vec![InvocationResult {
            input: 0,
            response_state: Some("REPROMPT"),
            ..InvocationResult::default()
        }])
    );
}

#[test]
fn several_inputs_need_named_results() {
    let inputs = two();
    let expected = Ok(vec![
        result(0, Some("table 7")),
        InvocationResult {
            input: 1,
            body: Some("{\"temp\":21}".into()),
            http_status_code: Some(200),
            ..InvocationResult::default()
        },
    ]);
    let list = json!([
        {"apiPath": "/weather", "httpMethod": "get", "body": {"temp": 21}, "httpStatusCode": 200},
        {"function": "book_table", "body": "table 7"}
    ]);
    assert_eq!(
        parse_reply(&data(json!({"results": list})), &inputs),
        expected
    );
    assert_eq!(parse_reply(&data(list.clone()), &inputs), expected);
    // Two data parts, one result each.
    let m = Message {
        message_id: "m".into(),
        role: Role::User,
        parts: vec![
            Part::data(json!({"function": "book_table", "body": "table 7"})),
            Part::data(json!({"apiPath": "/weather", "body": {"temp": 21}, "httpStatusCode": 200})),
        ],
        ..Message::default()
    };
    assert_eq!(parse_reply(&m, &inputs), expected);
    // Keyed by function name and API path.
    assert_eq!(
        parse_reply(
            &data(json!({"book_table": "table 7", "/weather": "sunny"})),
            &inputs
        ),
        Ok(vec![result(0, Some("table 7")), result(1, Some("sunny"))])
    );
}

#[test]
fn unusable_replies_say_why() {
    let inputs = two();
    let cases: [(Message, &str); 8] = [
        (
            text("table 7"),
            "The agent waits for 2 results; plain text can answer only one, send a data part \
             with `results`",
        ),
        (text("   "), "The reply carries no result"),
        (
            data(json!({"book_table": "t"})),
            "The reply has no result for `/weather`",
        ),
        (
            data(json!({"results": [{"function": "cancel_table", "body": "x"}]})),
            "The reply names `cancel_table`, which the agent did not ask for",
        ),
        (
            data(json!({"results": [
                {"function": "book_table", "body": "a"},
                {"function": "book_table", "body": "b"},
                {"apiPath": "/weather", "body": "c"}
            ]})),
            "The reply has two results for `book_table`",
        ),
        (
            data(json!({"results": {"book_table": "a"}})),
            "The reply's `results` must be a list",
        ),
        (
            data(json!({"results": ["a"]})),
            "Each entry of the reply's `results` must be an object",
        ),
        (
            data(json!({"results": [
                {"function": "book_table", "body": "a", "responseState": "MAYBE"},
                {"apiPath": "/weather", "body": "c"}
            ]})),
            "The reply's `responseState` for `book_table` must be FAILURE or REPROMPT",
        ),
    ];
    for (m, why) in cases {
        assert_eq!(parse_reply(&m, &inputs), Err(why.to_owned()), "{m:?}");
    }
    assert_eq!(
        parse_reply(&data(json!(42)), &inputs),
        Err("The reply's data part must be an object or a list of results".to_owned())
    );
    assert_eq!(
        parse_reply(
            &data(
                json!({"results": [{"apiPath": "/weather", "body": "x", "httpStatusCode": "ok"}]})
            ),
            &[api("weather", "GET", "/weather")]
        ),
        Err("The reply's `httpStatusCode` for `/weather` must be an HTTP status".to_owned())
    );
    assert_eq!(
        parse_reply(
            &data(json!({"results": [{"function": "book_table"}]})),
            &[function("booking", "book_table", None)]
        ),
        Err("The reply has no `body` for `book_table`".to_owned())
    );
}

#[test]
fn the_same_function_in_two_action_groups() {
    let inputs = [
        function("booking", "lookup", None),
        function("weather", "lookup", None),
    ];
    assert_eq!(
        parse_reply(&data(json!({"lookup": "x"})), &inputs),
        Err(
            "The reply's `lookup` matches several pending calls; add `actionGroup` (and \
             `httpMethod`) to tell them apart"
                .to_owned()
        )
    );
    assert_eq!(
        parse_reply(
            &data(json!({"results": [
                {"function": "lookup", "actionGroup": "weather", "body": "w"},
                {"function": "lookup", "actionGroup": "booking", "body": "b"}
            ]})),
            &inputs
        ),
        Ok(vec![result(0, Some("b")), result(1, Some("w"))])
    );
}

#[test]
fn confirmations() {
    let confirm = [function("files", "delete_file", Some("USER_CONFIRMATION"))];
    let confirmed = |c: &'static str| {
        Ok(vec![InvocationResult {
            input: 0,
            confirmation: Some(c),
            ..InvocationResult::default()
        }])
    };
    for (m, c) in [
        (text("yes"), "CONFIRM"),
        (text("Confirm"), "CONFIRM"),
        (text("OK"), "CONFIRM"),
        (text("no"), "DENY"),
        (text("Deny"), "DENY"),
        (
            data(json!({"results": [{"function": "delete_file", "confirmationState": "deny"}]})),
            "DENY",
        ),
        (data(json!({"delete_file": "CONFIRM"})), "CONFIRM"),
    ] {
        assert_eq!(parse_reply(&m, &confirm), confirmed(c), "{m:?}");
    }
    assert_eq!(
        parse_reply(&text("maybe"), &confirm),
        Err(
            "The agent asks you to confirm `delete_file`: reply \"confirm\" or \"deny\" (or give \
             `confirmationState`)"
                .to_owned()
        )
    );
    assert_eq!(
        parse_reply(
            &data(json!({"results": [{"confirmationState": "perhaps"}]})),
            &confirm
        ),
        Err("The reply's `confirmationState` for `delete_file` must be CONFIRM or DENY".to_owned())
    );

    // A confirmation with a result: the result implies the confirmation.
    let both = [function(
        "files",
        "delete_file",
        Some("USER_CONFIRMATION_AND_RESULT"),
    )];
    assert_eq!(
        parse_reply(&text("deleted 3 files"), &both),
        Ok(vec![InvocationResult {
            input: 0,
            body: Some("deleted 3 files".into()),
            confirmation: Some("CONFIRM"),
            ..InvocationResult::default()
        }])
    );
    assert_eq!(parse_reply(&text("no"), &both), confirmed("DENY"));
}

#[test]
fn questions_say_what_to_send() {
    assert_eq!(
        question(&[function("booking", "book_table", Some("RESULT"))]),
        "The agent needs the result of book_table (action group booking) with date=2026-12-24. \
         Reply on this task with the result as text, or with a data part \
         {\"results\":[{\"function\":\"book_table\",\"body\":\"…\"}]}."
    );
    assert_eq!(
        question(&[function(
            "files",
            "delete_file",
            Some("USER_CONFIRMATION_AND_RESULT")
        )]),
        "The agent asks you to confirm and run delete_file (action group files) with \
         date=2026-12-24. Reply on this task with the result as text (or \"deny\"), or with a \
         data part {\"results\":[{\"function\":\"delete_file\",\"body\":\"…\",\
         \"confirmationState\":\"CONFIRM\"}]}."
    );
    assert_eq!(
        question(&two()),
        "The agent needs the results of 2 calls: book_table (action group booking) with \
         date=2026-12-24; GET /weather (action group weather) with city=Paris. Reply on this \
         task with a data part {\"results\":[{\"function\":\"book_table\",\"body\":\"…\"},\
         {\"apiPath\":\"/weather\",\"body\":\"…\"}]}."
    );
    let mut long = function("booking", "note", None);
    long.parameters[0].value = "x".repeat(500);
    assert!(question(&[long]).contains(&format!("date={}…. Reply", "x".repeat(200))));
}

#[test]
fn inputs_from_the_sdk() {
    let f = bt::FunctionInvocationInput::builder()
        .action_group("booking")
        .function("book_table")
        .parameters(
            bt::FunctionParameter::builder()
                .name("people")
                .r#type("integer")
                .value("4")
                .build(),
        )
        .action_invocation_type(bt::ActionInvocationType::UserConfirmationAndResult)
        .collaborator_name("helper")
        .build()
        .unwrap();
    let input =
        PendingInput::from_sdk(&bt::InvocationInputMember::FunctionInvocationInput(f)).unwrap();
    assert_eq!(
        serde_json::to_value(&input).unwrap(),
        json!({
            "type": "function", "actionGroup": "booking", "function": "book_table",
            "parameters": [{"name": "people", "type": "integer", "value": "4"}],
            "actionInvocationType": "USER_CONFIRMATION_AND_RESULT",
            "collaboratorName": "helper"
        })
    );

    let a = bt::ApiInvocationInput::builder()
        .action_group("weather")
        .api_path("/weather")
        .http_method("POST")
        .request_body(
            bt::ApiRequestBody::builder()
                .content(
                    "application/json",
                    bt::PropertyParameters::builder()
                        .properties(
                            bt::Parameter::builder()
                                .name("city")
                                .r#type("string")
                                .value("Paris")
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .build()
        .unwrap();
    let input = PendingInput::from_sdk(&bt::InvocationInputMember::ApiInvocationInput(a)).unwrap();
    assert_eq!(
        serde_json::to_value(&input).unwrap(),
        json!({
            "type": "api", "actionGroup": "weather", "apiPath": "/weather", "httpMethod": "POST",
            "requestBody": {"application/json": [{"name": "city", "type": "string", "value": "Paris"}]}
        })
    );
    assert_eq!(
        input.describe(),
        "POST /weather (action group weather) with city=Paris"
    );
}

#[test]
fn results_in_the_sdk_form() {
    let mut inputs = two();
    inputs[0].agent_id = Some("AGENT2".into());
    let results = [
        InvocationResult {
            input: 0,
            body: Some("table 7".into()),
            confirmation: Some("CONFIRM"),
            ..InvocationResult::default()
        },
        InvocationResult {
            input: 1,
            body: None,
            response_state: Some("FAILURE"),
            http_status_code: Some(503),
            ..InvocationResult::default()
        },
    ];
    let sdk = to_sdk(&inputs, &results).unwrap();
    let bt::InvocationResultMember::FunctionResult(f) = &sdk[0] else {
        panic!("{sdk:?}")
    };
    assert_eq!(f.action_group, "booking");
    assert_eq!(f.function(), Some("book_table"));
    assert_eq!(f.agent_id(), Some("AGENT2"));
    assert_eq!(
        f.confirmation_state(),
        Some(&bt::ConfirmationState::Confirm)
    );
    assert_eq!(
        f.response_body()
            .and_then(|b| b.get("TEXT"))
            .and_then(|c| c.body()),
        Some("table 7")
    );
    let bt::InvocationResultMember::ApiResult(a) = &sdk[1] else {
        panic!("{sdk:?}")
    };
    assert_eq!(
        (a.action_group.as_str(), a.api_path(), a.http_method()),
        ("weather", Some("/weather"), Some("GET"))
    );
    assert_eq!(a.response_state(), Some(&bt::ResponseState::Failure));
    assert_eq!(a.http_status_code(), Some(503));
    assert_eq!(a.response_body(), None);

    let e = to_sdk(&inputs, &[result(5, Some("x"))]).unwrap_err();
    assert_eq!(
        e.message,
        "could not build the invocation results for Amazon Bedrock: a result for an unknown input"
    );
}

#[test]
fn shorten_counts_characters() {
    assert_eq!(shorten("héllo", 5), "héllo");
    assert_eq!(shorten("héllo", 2), "hé…");
}
