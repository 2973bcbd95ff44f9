//! returnControl: the invocation inputs the agent hands to the caller (saved with the task
//! and shown in the INPUT_REQUIRED message), and the caller's reply turned into
//! `sessionState.returnControlInvocationResults`.
//!
//! The accepted reply forms are documented in the crate docs (*Replying to returnControl*).

use a2agw_provider::{ProviderError, ProviderErrorKind, Result};
use a2agw_types::{Message, PartContent};
use aws_sdk_bedrockagentruntime::types as bt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[cfg(test)]
mod tests;

/// The longest parameter value shown in the INPUT_REQUIRED text (the data part has all).
const MAX_SHOWN_VALUE: usize = 200;

/// Whether an input is a function or an API operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum InputKind {
    Function,
    Api,
}

/// One parameter of an invocation input.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Param {
    pub(crate) name: String,
    #[serde(rename = "type", default, skip_serializing_if = "String::is_empty")]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) value: String,
}

/// One invocation input of a returnControl event, as saved with the task and shown to the
/// client (Bedrock's field names).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PendingInput {
    #[serde(rename = "type")]
    pub(crate) kind: InputKind,
    pub(crate) action_group: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) function: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) api_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) http_method: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) parameters: Vec<Param>,
    /// API inputs: `{"<media type>": [{"name", "type", "value"}]}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) request_body: Option<Value>,
    /// `RESULT`, `USER_CONFIRMATION` or `USER_CONFIRMATION_AND_RESULT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) action_invocation_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) agent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) collaborator_name: Option<String>,
}

fn params<'a>(
    list: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>, Option<&'a str>)>,
) -> Vec<Param> {
    list.into_iter()
        .map(|(name, kind, value)| Param {
            name: name.unwrap_or_default().to_owned(),
            kind: kind.unwrap_or_default().to_owned(),
            value: value.unwrap_or_default().to_owned(),
        })
        .collect()
}

impl PendingInput {
    /// The input of a returnControl event; `None` for a kind this SDK does not know.
    pub(crate) fn from_sdk(member: &bt::InvocationInputMember) -> Option<Self> {
        match member {
            bt::InvocationInputMember::FunctionInvocationInput(f) => Some(PendingInput {
                kind: InputKind::Function,
                action_group: f.action_group.clone(),
                function: f.function.clone(),
                api_path: None,
                http_method: None,
                parameters: params(
                    f.parameters()
                        .iter()
                        .map(|p| (p.name(), p.r#type(), p.value())),
                ),
                request_body: None,
                action_invocation_type: f.action_invocation_type().map(|t| t.as_str().to_owned()),
                agent_id: f.agent_id.clone(),
                collaborator_name: f.collaborator_name.clone(),
            }),
            bt::InvocationInputMember::ApiInvocationInput(a) => {
                let request_body = a.request_body().and_then(|b| b.content()).map(|content| {
                    let mut map = serde_json::Map::new();
                    for (media_type, props) in content {
                        let list = params(
                            props
                                .properties()
                                .iter()
                                .map(|p| (p.name(), p.r#type(), p.value())),
                        );
                        map.insert(
                            media_type.clone(),
                            serde_json::to_value(list).unwrap_or(Value::Null),
                        );
                    }
                    Value::Object(map)
                });
                Some(PendingInput {
                    kind: InputKind::Api,
                    action_group: a.action_group.clone(),
                    function: None,
                    api_path: a.api_path.clone(),
                    http_method: a.http_method.clone(),
                    parameters: params(
                        a.parameters()
                            .iter()
                            .map(|p| (p.name(), p.r#type(), p.value())),
                    ),
                    request_body,
                    action_invocation_type: a
                        .action_invocation_type()
                        .map(|t| t.as_str().to_owned()),
                    agent_id: a.agent_id.clone(),
                    collaborator_name: a.collaborator_name.clone(),
                })
            }
            _ => None,
        }
    }

    /// The function name or the API path: how a reply names this input.
    pub(crate) fn name(&self) -> &str {
        match self.kind {
            InputKind::Function => self.function.as_deref().unwrap_or(""),
            InputKind::Api => self.api_path.as_deref().unwrap_or(""),
        }
    }

    fn wants_confirmation(&self) -> bool {
        matches!(
            self.action_invocation_type.as_deref(),
            Some("USER_CONFIRMATION" | "USER_CONFIRMATION_AND_RESULT")
        )
    }

    fn wants_result(&self) -> bool {
        self.action_invocation_type.as_deref() != Some("USER_CONFIRMATION")
    }

    /// `book_table (action group booking) with date=…, people=2`.
    fn describe(&self) -> String {
        let mut s = match self.kind {
            InputKind::Function => self.name().to_owned(),
            InputKind::Api => format!(
                "{} {}",
                self.http_method.as_deref().unwrap_or("").to_uppercase(),
                self.name()
            )
            .trim()
            .to_owned(),
        };
        s.push_str(&format!(" (action group {})", self.action_group));
        let mut shown: Vec<String> = self
            .parameters
            .iter()
            .map(|p| format!("{}={}", p.name, shorten(&p.value, MAX_SHOWN_VALUE)))
            .collect();
        if let Some(Value::Object(body)) = &self.request_body {
            for props in body.values() {
                if let Ok(list) = serde_json::from_value::<Vec<Param>>(props.clone()) {
                    shown.extend(
                        list.iter()
                            .map(|p| format!("{}={}", p.name, shorten(&p.value, MAX_SHOWN_VALUE))),
                    );
                }
            }
        }
        if !shown.is_empty() {
            s.push_str(" with ");
            s.push_str(&shown.join(", "));
        }
        s
    }

    /// An example reply entry for this input.
    fn example(&self) -> Value {
        let mut e = serde_json::Map::new();
        match self.kind {
            InputKind::Function => e.insert("function".into(), json!(self.name())),
            InputKind::Api => e.insert("apiPath".into(), json!(self.name())),
        };
        if self.wants_result() {
            e.insert("body".into(), json!("…"));
        }
        if self.wants_confirmation() {
            e.insert("confirmationState".into(), json!("CONFIRM"));
        }
        Value::Object(e)
    }
}

/// `s` cut to `max` characters (with `…`).
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// The text of the INPUT_REQUIRED message: what the agent asks and what to send.
pub(crate) fn question(inputs: &[PendingInput]) -> String {
    let examples: Vec<Value> = inputs.iter().map(PendingInput::example).collect();
    let data = json!({ "results": examples });
    match inputs {
        [one] if !one.wants_result() => format!(
            "The agent asks you to confirm {}. Reply on this task with \"confirm\" or \"deny\", \
             or with a data part {data}.",
            one.describe()
        ),
        [one] if one.wants_confirmation() => format!(
            "The agent asks you to confirm and run {}. Reply on this task with the result as \
             text (or \"deny\"), or with a data part {data}.",
            one.describe()
        ),
        [one] => format!(
            "The agent needs the result of {}. Reply on this task with the result as text, or \
             with a data part {data}.",
            one.describe()
        ),
        many => format!(
            "The agent needs the results of {} calls: {}. Reply on this task with a data part \
             {data}.",
            many.len(),
            many.iter()
                .map(PendingInput::describe)
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

/// The data part of the INPUT_REQUIRED message.
pub(crate) fn question_data(invocation_id: &str, inputs: &[PendingInput]) -> Value {
    json!({
        "invocationId": invocation_id,
        "invocationInputs": serde_json::to_value(inputs).unwrap_or(Value::Null),
    })
}

/// One result read from a reply, for the pending input at index `input`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct InvocationResult {
    pub(crate) input: usize,
    pub(crate) body: Option<String>,
    /// `CONFIRM` or `DENY`.
    pub(crate) confirmation: Option<&'static str>,
    /// `FAILURE` or `REPROMPT`.
    pub(crate) response_state: Option<&'static str>,
    pub(crate) http_status_code: Option<i32>,
}

/// A result entry as written in the reply, before it is matched to an input.
#[derive(Debug, Default)]
struct Entry {
    /// The function name or API path, if given.
    name: Option<String>,
    action_group: Option<String>,
    http_method: Option<String>,
    body: Option<Value>,
    confirmation: Option<Value>,
    response_state: Option<Value>,
    http_status_code: Option<Value>,
}

const ENTRY_FIELDS: [&str; 6] = [
    "body",
    "result",
    "confirmationState",
    "responseState",
    "httpStatusCode",
    "function",
];

impl Entry {
    fn from_object(o: &serde_json::Map<String, Value>) -> Entry {
        let s = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
        Entry {
            name: s("function").or_else(|| s("apiPath")),
            action_group: s("actionGroup"),
            http_method: s("httpMethod"),
            body: o.get("body").or_else(|| o.get("result")).cloned(),
            confirmation: o.get("confirmationState").cloned(),
            response_state: o.get("responseState").cloned(),
            http_status_code: o.get("httpStatusCode").cloned(),
        }
    }

    /// A keyed value: an entry object, or the body itself.
    fn keyed(name: &str, v: &Value) -> Entry {
        let mut e = match v {
            Value::Object(o) if ENTRY_FIELDS.iter().any(|f| o.contains_key(*f)) => {
                Entry::from_object(o)
            }
            other => Entry {
                body: Some(other.clone()),
                ..Entry::default()
            },
        };
        e.name = Some(name.to_owned());
        e
    }
}

/// The JSON values of a reply: its data parts, or its text when that is a JSON object or
/// list.
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

fn entries(values: &[Value], pending: usize) -> Result<Vec<Entry>, String> {
    let mut out = Vec::new();
    for v in values {
        let list = match v {
            Value::Object(o) if o.contains_key("results") => match o.get("results") {
                Some(Value::Array(items)) => items,
                _ => return Err("The reply's `results` must be a list".into()),
            },
            Value::Array(items) => items,
            Value::Object(o) if o.contains_key("function") || o.contains_key("apiPath") => {
                out.push(Entry::from_object(o));
                continue;
            }
            Value::Object(o) if pending == 1 && ENTRY_FIELDS.iter().any(|f| o.contains_key(*f)) => {
                out.push(Entry::from_object(o));
                continue;
            }
            Value::Object(o) => {
                out.extend(o.iter().map(|(k, v)| Entry::keyed(k, v)));
                continue;
            }
            other if pending == 1 => {
                out.push(Entry {
                    body: Some(other.clone()),
                    ..Entry::default()
                });
                continue;
            }
            _ => {
                return Err("The reply's data part must be an object or a list of results".into());
            }
        };
        for item in list {
            match item {
                Value::Object(o) => out.push(Entry::from_object(o)),
                _ => return Err("Each entry of the reply's `results` must be an object".into()),
            }
        }
    }
    Ok(out)
}

fn word(s: &str) -> Option<&'static str> {
    match s.trim().to_lowercase().as_str() {
        "confirm" | "confirmed" | "yes" | "y" | "ok" | "approve" | "approved" => Some("CONFIRM"),
        "deny" | "denied" | "no" | "n" | "reject" | "rejected" => Some("DENY"),
        _ => None,
    }
}

fn body_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The results of a reply for `inputs`, or why the reply cannot be used.
pub(crate) fn parse_reply(
    message: &Message,
    inputs: &[PendingInput],
) -> Result<Vec<InvocationResult>, String> {
    let values = reply_values(message);
    let mut found = entries(&values, inputs.len())?;
    if found.is_empty() {
        let text = message.text_content();
        if text.trim().is_empty() {
            return Err("The reply carries no result".into());
        }
        if inputs.len() > 1 {
            return Err(format!(
                "The agent waits for {} results; plain text can answer only one, send a data \
                 part with `results`",
                inputs.len()
            ));
        }
        // The text as it is: the agent gets the reply verbatim.
        found.push(Entry {
            body: Some(Value::String(text)),
            ..Entry::default()
        });
    }
    let mut results: Vec<Option<InvocationResult>> = vec![None; inputs.len()];
    for entry in found {
        let label = entry.name.clone().unwrap_or_else(|| "the result".into());
        let candidates: Vec<usize> = inputs
            .iter()
            .enumerate()
            .filter(|(_, i)| entry.name.as_deref().is_none_or(|n| n == i.name()))
            .filter(|(_, i)| {
                entry
                    .action_group
                    .as_deref()
                    .is_none_or(|g| g == i.action_group)
            })
            .filter(|(_, i)| {
                entry.http_method.as_deref().is_none_or(|m| {
                    i.http_method
                        .as_deref()
                        .is_some_and(|h| h.eq_ignore_ascii_case(m))
                })
            })
            .map(|(n, _)| n)
            .collect();
        let index = match candidates.as_slice() {
            [] => {
                return Err(format!(
                    "The reply names `{label}`, which the agent did not ask for"
                ));
            }
            [one] => *one,
            _ => {
                return Err(format!(
                    "The reply's `{label}` matches several pending calls; add `actionGroup` \
                     (and `httpMethod`) to tell them apart"
                ));
            }
        };
        if results[index].is_some() {
            return Err(format!("The reply has two results for `{label}`"));
        }
        results[index] = Some(result_for(index, &inputs[index], &entry)?);
    }
    let missing: Vec<&str> = inputs
        .iter()
        .zip(&results)
        .filter(|(_, r)| r.is_none())
        .map(|(i, _)| i.name())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "The reply has no result for {}",
            missing
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(results.into_iter().flatten().collect())
}

fn result_for(index: usize, input: &PendingInput, e: &Entry) -> Result<InvocationResult, String> {
    let name = input.name();
    let mut confirmation = match &e.confirmation {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match s.to_uppercase().as_str() {
            "CONFIRM" => Some("CONFIRM"),
            "DENY" => Some("DENY"),
            _ => word(s).map(Some).ok_or_else(|| {
                format!("The reply's `confirmationState` for `{name}` must be CONFIRM or DENY")
            })?,
        },
        Some(_) => {
            return Err(format!(
                "The reply's `confirmationState` for `{name}` must be CONFIRM or DENY"
            ));
        }
    };
    let response_state = match &e.response_state {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("FAILURE") => Some("FAILURE"),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("REPROMPT") => Some("REPROMPT"),
        Some(_) => {
            return Err(format!(
                "The reply's `responseState` for `{name}` must be FAILURE or REPROMPT"
            ));
        }
    };
    let http_status_code = match &e.http_status_code {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .filter(|n| (100..=599).contains(n))
                .ok_or_else(|| {
                    format!("The reply's `httpStatusCode` for `{name}` must be an HTTP status")
                })?,
        ),
    };
    let mut body = e.body.as_ref().filter(|v| !v.is_null()).map(body_text);
    if input.wants_confirmation() && confirmation.is_none() {
        // A bare word answers the confirmation; a result implies it.
        if let Some(w) = body.as_deref().and_then(word) {
            confirmation = Some(w);
            body = None;
        } else if input.wants_result() && body.is_some() {
            confirmation = Some("CONFIRM");
        } else {
            return Err(format!(
                "The agent asks you to confirm `{name}`: reply \"confirm\" or \"deny\" (or give \
                 `confirmationState`)"
            ));
        }
    }
    if !input.wants_result() {
        // Only a confirmation is asked: any text beside it goes along as the body.
    } else if body.is_none() && response_state.is_none() && confirmation != Some("DENY") {
        return Err(format!("The reply has no `body` for `{name}`"));
    }
    Ok(InvocationResult {
        input: index,
        body,
        confirmation,
        response_state,
        http_status_code,
    })
}

/// The SDK form of `results` (`sessionState.returnControlInvocationResults`).
pub(crate) fn to_sdk(
    inputs: &[PendingInput],
    results: &[InvocationResult],
) -> Result<Vec<bt::InvocationResultMember>> {
    let bad = |e: &dyn std::fmt::Display| {
        ProviderError::new(
            ProviderErrorKind::Other,
            format!("could not build the invocation results for Amazon Bedrock: {e}"),
        )
    };
    let mut out = Vec::with_capacity(results.len());
    for r in results {
        let input = inputs
            .get(r.input)
            .ok_or_else(|| bad(&"a result for an unknown input"))?;
        let body = r
            .body
            .as_ref()
            .map(|b| bt::ContentBody::builder().body(b).build());
        let member = match input.kind {
            InputKind::Function => {
                let mut b = bt::FunctionResult::builder()
                    .action_group(&input.action_group)
                    .set_function(input.function.clone())
                    .set_agent_id(input.agent_id.clone())
                    .set_confirmation_state(r.confirmation.map(bt::ConfirmationState::from))
                    .set_response_state(r.response_state.map(bt::ResponseState::from));
                if let Some(body) = body {
                    b = b.response_body("TEXT", body);
                }
                bt::InvocationResultMember::FunctionResult(b.build().map_err(|e| bad(&e))?)
            }
            InputKind::Api => {
                let mut b = bt::ApiResult::builder()
                    .action_group(&input.action_group)
                    .set_api_path(input.api_path.clone())
                    .set_http_method(input.http_method.clone())
                    .set_agent_id(input.agent_id.clone())
                    .set_http_status_code(r.http_status_code)
                    .set_confirmation_state(r.confirmation.map(bt::ConfirmationState::from))
                    .set_response_state(r.response_state.map(bt::ResponseState::from));
                if let Some(body) = body {
                    b = b.response_body("application/json", body);
                }
                bt::InvocationResultMember::ApiResult(b.build().map_err(|e| bad(&e))?)
            }
        };
        out.push(member);
    }
    Ok(out)
}
