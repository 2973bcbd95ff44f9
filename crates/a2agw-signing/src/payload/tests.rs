use super::card_payload;
use crate::canonicalize;
use serde_json::{Value, json};

fn check(card: &Value, expected: &str) {
    let got = canonicalize(&card_payload(card)).unwrap();
    assert_eq!(got, expected);
}

/// The worked example of spec §8.4.1: `extensions: []` is dropped, `description: ""`
/// and `skills: []` stay.
#[test]
fn spec_worked_example() {
    let card = json!({
        "name": "Example Agent",
        "description": "",
        "capabilities": {"streaming": false, "pushNotifications": false, "extensions": []},
        "skills": [],
        "signatures": [{"protected": "eyJ9", "signature": "x"}]
    });
    check(
        &card,
        r#"{"capabilities":{"pushNotifications":false,"streaming":false},"description":"","name":"Example Agent","skills":[]}"#,
    );
}

#[test]
fn required_fields_survive_at_default() {
    let card = json!({
        "name": "",
        "description": "",
        "version": "",
        "supportedInterfaces": [{"url": "", "protocolBinding": "", "protocolVersion": "", "tenant": ""}],
        "capabilities": {},
        "defaultInputModes": [],
        "defaultOutputModes": [],
        "skills": [{"id": "", "name": "", "description": "", "tags": [], "examples": [], "inputModes": [], "outputModes": [], "securityRequirements": []}],
        "provider": {"url": "", "organization": ""}
    });
    check(
        &card,
        r#"{"capabilities":{},"defaultInputModes":[],"defaultOutputModes":[],"description":"","name":"","provider":{"organization":"","url":""},"skills":[{"description":"","id":"","name":"","tags":[]}],"supportedInterfaces":[{"protocolBinding":"","protocolVersion":"","url":""}],"version":""}"#,
    );
}

#[test]
fn optional_fields_keep_explicit_defaults_implicit_ones_go() {
    let card = json!({
        "name": "a",
        "documentationUrl": "",
        "iconUrl": null,
        "securitySchemes": {},
        "securityRequirements": [],
        "capabilities": {"streaming": false, "extendedAgentCard": false, "pushNotifications": null,
            "extensions": [{"uri": "urn:x", "description": "", "required": false, "params": {}},
                           {"uri": "urn:y", "required": true, "params": {"a": "", "b": [], "c": 0.0}}]}
    });
    check(
        &card,
        r#"{"capabilities":{"extendedAgentCard":false,"extensions":[{"params":{},"uri":"urn:x"},{"params":{"a":"","b":[],"c":0},"required":true,"uri":"urn:y"}],"streaming":false},"documentationUrl":"","name":"a"}"#,
    );
}

#[test]
fn security_schemes() {
    let card = json!({
        "securitySchemes": {
            "key": {"apiKeySecurityScheme": {"description": "", "location": "header", "name": "X-Key"}},
            "oauth": {"oauth2SecurityScheme": {"flows": {"authorizationCode": {
                "authorizationUrl": "https://a", "tokenUrl": "https://t", "refreshUrl": "", "scopes": {}, "pkceRequired": false}},
                "oauth2MetadataUrl": ""}},
            "mtls": {"mtlsSecurityScheme": {"description": ""}}
        },
        "securityRequirements": [{"schemes": {"key": {"list": []}}}, {"schemes": {}}]
    });
    check(
        &card,
        r#"{"securityRequirements":[{"schemes":{"key":{}}},{}],"securitySchemes":{"key":{"apiKeySecurityScheme":{"location":"header","name":"X-Key"}},"mtls":{"mtlsSecurityScheme":{}},"oauth":{"oauth2SecurityScheme":{"flows":{"authorizationCode":{"authorizationUrl":"https://a","scopes":{},"tokenUrl":"https://t"}}}}}}"#,
    );
}

/// Unknown members (a 0.3 `url`, vendor fields) are kept exactly as received.
#[test]
fn unknown_members_are_kept() {
    let card = json!({
        "name": "a",
        "url": "https://old.example/a2a",
        "x-vendor": {"empty": "", "list": []},
        "nothing": null,
        "skills": [{"id": "s", "name": "n", "description": "d", "tags": ["t"], "x-extra": ""}]
    });
    check(
        &card,
        r#"{"name":"a","nothing":null,"skills":[{"description":"d","id":"s","name":"n","tags":["t"],"x-extra":""}],"url":"https://old.example/a2a","x-vendor":{"empty":"","list":[]}}"#,
    );
}

#[test]
fn proto_names_are_read_as_json_names() {
    let card =
        json!({"default_input_modes": ["text/plain"], "icon_url": "", "security_schemes": {}});
    check(
        &card,
        r#"{"defaultInputModes":["text/plain"],"iconUrl":""}"#,
    );
}

#[test]
fn payload_of_our_own_types_matches_their_serialisation() {
    // A card built with a2agw-types serialises without implicit defaults; the payload
    // only removes the signatures.
    let card = a2agw_types::AgentCard {
        name: "Echo".into(),
        description: "Echoes".into(),
        version: "1.0.0".into(),
        default_input_modes: vec!["text/plain".into()],
        default_output_modes: vec!["text/plain".into()],
        signatures: vec![a2agw_types::AgentCardSignature::default()],
        ..Default::default()
    };
    let mut value = serde_json::to_value(&card).unwrap();
    let payload = card_payload(&value);
    value.as_object_mut().unwrap().remove("signatures");
    assert_eq!(payload, value);
}
