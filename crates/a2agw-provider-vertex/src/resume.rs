//! Pending function calls: the question an interrupted task asks, and the genai
//! `function_response` Content built from the user's reply (the rules are in the crate
//! docs, *Replies*).

use crate::stream::field;
use crate::{CallKind, PendingCall};
use a2agw_provider::new_id;
use a2agw_types::{Message, Part, PartContent, Role, TaskState};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// What replaces a secret in what the user is shown.
pub(crate) const REDACTED: &str = "[redacted]";

/// A pending call as seen in the query (with its arguments, for the question).
#[derive(Clone, Debug)]
pub(crate) struct Pending {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) kind: CallKind,
    pub(crate) args: Value,
    pub(crate) auth_config: Option<Value>,
}

impl Pending {
    pub(crate) fn saved(&self) -> PendingCall {
        PendingCall {
            id: self.id.clone(),
            name: self.name.clone(),
            kind: self.kind,
            auth_config: self.auth_config.clone(),
        }
    }
}

fn state_for<'a>(mut kinds: impl Iterator<Item = &'a CallKind>) -> TaskState {
    if kinds.any(|k| *k == CallKind::Auth) {
        TaskState::AuthRequired
    } else {
        TaskState::InputRequired
    }
}

fn str_at<'v>(v: &'v Value, path: &[(&str, &str)]) -> Option<&'v str> {
    let mut cur = v;
    for (snake, camel) in path {
        cur = field(cur, snake, camel)?;
    }
    cur.as_str()
}

/// Where the user signs in, from an ADK auth config.
fn auth_uri(config: &Value) -> Option<&str> {
    [
        ("exchanged_auth_credential", "exchangedAuthCredential"),
        ("raw_auth_credential", "rawAuthCredential"),
    ]
    .iter()
    .find_map(|cred| {
        str_at(
            config,
            &[*cred, ("oauth2", "oauth2"), ("auth_uri", "authUri")],
        )
    })
}

/// The INPUT_REQUIRED / AUTH_REQUIRED state and message for calls the agent waits for.
pub(crate) fn question(pending: &[Pending]) -> (TaskState, Message) {
    let mut sentences = Vec::new();
    let mut described = Vec::new();
    for p in pending {
        let mut d = json!({
            "id": p.id,
            "name": p.name,
            "kind": p.kind,
            "args": redact(&p.args),
        });
        match p.kind {
            CallKind::Tool => sentences.push(format!(
                "The agent is waiting for the result of `{}` (call `{}`).",
                p.name, p.id
            )),
            CallKind::Confirmation => {
                let tool = str_at(
                    &p.args,
                    &[
                        ("original_function_call", "originalFunctionCall"),
                        ("name", "name"),
                    ],
                )
                .unwrap_or("a tool");
                let hint = str_at(
                    &p.args,
                    &[("tool_confirmation", "toolConfirmation"), ("hint", "hint")],
                );
                if let Some(hint) = hint {
                    d["hint"] = json!(hint);
                    sentences.push(format!(
                        "The agent asks you to confirm a call of `{tool}` (call `{}`): {hint}",
                        p.id
                    ));
                } else {
                    sentences.push(format!(
                        "The agent asks you to confirm a call of `{tool}` (call `{}`).",
                        p.id
                    ));
                }
            }
            CallKind::Auth => {
                let uri = p.auth_config.as_ref().and_then(auth_uri);
                if let Some(uri) = uri {
                    d["auth_uri"] = json!(uri);
                    sentences.push(format!(
                        "The agent needs your authorization (call `{}`): open {uri} and sign in.",
                        p.id
                    ));
                } else {
                    sentences.push(format!(
                        "The agent needs your authorization (call `{}`), as described by the \
                         auth config in the data part.",
                        p.id
                    ));
                }
            }
        }
        described.push(d);
    }
    sentences.push(match pending {
        [one] => match one.kind {
            CallKind::Tool => format!(
                "Reply on this task with the result as plain text, or as a data part \
                 {{\"{}\": {{…}}}}.",
                one.id
            ),
            CallKind::Confirmation => format!(
                "Reply on this task with \"yes\" or \"no\" (or a data part {{\"{}\": \
                 {{\"confirmed\": true}}}}).",
                one.id
            ),
            CallKind::Auth => format!(
                "Then reply on this task with the URL your browser was redirected to (or a data \
                 part {{\"{}\": <the completed auth config>}}).",
                one.id
            ),
        },
        _ => {
            let all_confirmations = pending.iter().all(|p| p.kind == CallKind::Confirmation);
            format!(
                "Reply on this task with a data part that answers every call: {{\"<call id>\": \
                 <response>, …}}{}.",
                if all_confirmations {
                    ", or with \"yes\" or \"no\" for all of them"
                } else {
                    ""
                }
            )
        }
    });
    let message = Message {
        message_id: new_id(),
        role: Role::Agent,
        parts: vec![
            Part::text(sentences.join(" ")),
            Part::data(json!({"pending_calls": described})),
        ],
        ..Message::default()
    };
    (state_for(pending.iter().map(|p| &p.kind)), message)
}

/// The same interrupted state again after a reply that could not be used.
pub(crate) fn ask_again(why: &str, pending: &[PendingCall]) -> (TaskState, Message) {
    let waits: Vec<String> = pending
        .iter()
        .map(|p| format!("`{}` (call `{}`)", p.name, p.id))
        .collect();
    let described: Vec<Value> = pending
        .iter()
        .map(|p| json!({"id": p.id, "name": p.name, "kind": p.kind}))
        .collect();
    let message = Message {
        message_id: new_id(),
        role: Role::Agent,
        parts: vec![
            Part::text(format!(
                "{why}. The agent still waits for: {}.",
                waits.join(", ")
            )),
            Part::data(json!({"pending_calls": described})),
        ],
        ..Message::default()
    };
    (state_for(pending.iter().map(|p| &p.kind)), message)
}

/// The JSON values a reply carries: its data parts, or its text when it is JSON.
fn reply_values(message: &Message) -> Vec<Value> {
    let data: Vec<Value> = message
        .parts
        .iter()
        .filter_map(|p| match &p.content {
            PartContent::Data(v) => Some(v.clone()),
            _ => None,
        })
        .collect();
    if !data.is_empty() {
        return data;
    }
    serde_json::from_str::<Value>(message.text_content().trim())
        .ok()
        .filter(|v| v.is_object() || v.is_array())
        .into_iter()
        .collect()
}

/// `yes` / `no` and their usual synonyms.
fn yes_no(text: &str) -> Option<bool> {
    let t = text
        .trim()
        .trim_end_matches(['.', '!'])
        .trim()
        .to_lowercase();
    match t.as_str() {
        "yes" | "y" | "ok" | "okay" | "confirm" | "confirmed" | "approve" | "approved" | "true" => {
            Some(true)
        }
        "no" | "n" | "deny" | "denied" | "reject" | "rejected" | "cancel" | "false" => Some(false),
        _ => None,
    }
}

/// The answers in a reply, by call id.
fn answers(message: &Message, pending: &[PendingCall]) -> Result<BTreeMap<String, Value>, String> {
    let ids: Vec<&str> = pending.iter().map(|p| p.id.as_str()).collect();
    let mut found = BTreeMap::new();
    for v in reply_values(message) {
        let list = v.get("responses").filter(|l| l.is_array()).unwrap_or(&v);
        match list {
            Value::Array(items) => {
                for item in items {
                    let Some(id) = item.get("id").and_then(Value::as_str) else {
                        return Err("Each entry of `responses` needs the `id` of its call".into());
                    };
                    let Some(response) = item.get("response") else {
                        return Err(format!("The entry for call `{id}` has no `response`"));
                    };
                    found.insert(id.to_owned(), response.clone());
                }
            }
            Value::Object(map) if map.keys().any(|k| ids.contains(&k.as_str())) => {
                for (k, v) in map {
                    found.insert(k.clone(), v.clone());
                }
            }
            Value::Object(_) if pending.len() == 1 => {
                found.insert(pending[0].id.clone(), v.clone());
            }
            _ => {}
        }
    }
    if found.is_empty() {
        let text = message.text_content();
        let text = text.trim();
        if !text.is_empty() {
            let confirmation = yes_no(text);
            if let Some(yes) = confirmation
                && pending.iter().any(|p| p.kind == CallKind::Confirmation)
            {
                for p in pending.iter().filter(|p| p.kind == CallKind::Confirmation) {
                    found.insert(p.id.clone(), Value::Bool(yes));
                }
            } else if let [one] = pending {
                found.insert(one.id.clone(), Value::String(text.to_owned()));
            }
        }
    }
    if let Some(unknown) = found.keys().find(|k| !ids.contains(&k.as_str())) {
        return Err(format!("The reply names an unknown call `{unknown}`"));
    }
    let missing: Vec<String> = pending
        .iter()
        .filter(|p| !found.contains_key(&p.id))
        .map(|p| format!("`{}`", p.id))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "The reply has no answer for the call(s) {}",
            missing.join(", ")
        ));
    }
    Ok(found)
}

/// The genai Content with one `function_response` per pending call, or why the reply
/// cannot be used.
pub(crate) fn reply_content(message: &Message, pending: &[PendingCall]) -> Result<Value, String> {
    let mut found = answers(message, pending)?;
    let mut parts = Vec::new();
    for p in pending {
        let answer = found.remove(&p.id).unwrap_or(Value::Null);
        let response = match p.kind {
            CallKind::Tool => match answer {
                Value::Object(_) => answer,
                other => json!({"result": other}),
            },
            CallKind::Confirmation => confirmation(&p.id, answer)?,
            CallKind::Auth => {
                let base = p.auth_config.clone().unwrap_or(Value::Null);
                match answer {
                    Value::String(uri) => with_redirect(base, uri),
                    Value::Object(_) => merge(base, &answer),
                    _ => {
                        return Err(format!(
                            "The answer to the authorization request `{}` must be the URL your \
                             browser was redirected to, or the completed auth config object",
                            p.id
                        ));
                    }
                }
            }
        };
        parts
            .push(json!({"function_response": {"id": p.id, "name": p.name, "response": response}}));
    }
    Ok(json!({"role": "user", "parts": parts}))
}

fn confirmation(id: &str, answer: Value) -> Result<Value, String> {
    let yes = match &answer {
        Value::Bool(b) => Some(*b),
        Value::String(s) => yes_no(s),
        Value::Object(o) if o.get("confirmed").is_some_and(Value::is_boolean) => {
            return Ok(answer);
        }
        _ => None,
    };
    yes.map(|b| json!({"confirmed": b})).ok_or_else(|| {
        format!(
            "Answer the confirmation `{id}` with \"yes\" or \"no\" (or {{\"confirmed\": true}})"
        )
    })
}

/// `config` with the OAuth redirect URL set (`exchangedAuthCredential.oauth2.authResponseUri`,
/// or the snake_case names when the config uses them).
fn with_redirect(config: Value, uri: String) -> Value {
    let snake = config.get("exchanged_auth_credential").is_some()
        || config.get("raw_auth_credential").is_some()
        || config.get("auth_scheme").is_some();
    let (exchanged, raw, key) = if snake {
        (
            "exchanged_auth_credential",
            "raw_auth_credential",
            "auth_response_uri",
        )
    } else {
        (
            "exchangedAuthCredential",
            "rawAuthCredential",
            "authResponseUri",
        )
    };
    let mut config = match config {
        Value::Object(m) => Value::Object(m),
        _ => Value::Object(Map::new()),
    };
    // ADK reads the exchanged credential; start it from the raw one when it is missing.
    if config.get(exchanged).is_none_or(Value::is_null)
        && let Some(raw) = config.get(raw).cloned()
    {
        config = set_path(config, &[exchanged], raw);
    }
    set_path(config, &[exchanged, "oauth2", key], Value::String(uri))
}

/// `v` with `leaf` at `path`, creating objects on the way (a non-object is replaced).
fn set_path(v: Value, path: &[&str], leaf: Value) -> Value {
    let Some((first, rest)) = path.split_first() else {
        return leaf;
    };
    let mut map = match v {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let child = map.get(*first).cloned().unwrap_or(Value::Null);
    map.insert((*first).to_owned(), set_path(child, rest, leaf));
    Value::Object(map)
}

/// `patch` merged into `base` (objects recursively); `[redacted]` values keep the base's.
fn merge(base: Value, patch: &Value) -> Value {
    match patch {
        Value::Object(p) => {
            let mut map = match base {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            for (k, pv) in p {
                if pv.as_str() == Some(REDACTED) {
                    continue;
                }
                let bv = map.get(k).cloned().unwrap_or(Value::Null);
                map.insert(k.clone(), merge(bv, pv));
            }
            Value::Object(map)
        }
        other => other.clone(),
    }
}

/// Whether a key names a secret (client secrets, API keys, tokens, passwords, keys).
fn secret_key(key: &str) -> bool {
    let k: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    matches!(
        k.as_str(),
        "clientsecret"
            | "apikey"
            | "accesstoken"
            | "refreshtoken"
            | "idtoken"
            | "token"
            | "password"
            | "privatekey"
            | "secret"
    )
}

/// `v` with the values of secret keys replaced by `[redacted]`.
pub(crate) fn redact(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = if secret_key(k) && !v.is_null() && !v.is_object() {
                        Value::String(REDACTED.to_owned())
                    } else {
                        redact(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests;
