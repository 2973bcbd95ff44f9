//! Short, human-readable summaries of Bedrock `trace` events (never the prompts or the raw
//! model input/output, which can be huge and sensitive).

use crate::reply::shorten;
use aws_sdk_bedrockagentruntime::types as bt;

#[cfg(test)]
mod tests;

/// The longest summary, in characters.
pub(crate) const MAX_SUMMARY: usize = 300;

/// What one trace event tells about the agent's progress.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct TraceInfo {
    /// A short text for a WORKING status message, if the event is worth showing.
    pub(crate) summary: Option<String>,
    /// The agent asked the user a question (`observation.type == ASK_USER`).
    pub(crate) ask_user: bool,
    /// A `failureTrace`'s reason.
    pub(crate) failure: Option<String>,
}

fn invocation(i: &bt::InvocationInput) -> Option<String> {
    if let Some(ag) = i.action_group_invocation_input() {
        let name = ag.action_group_name().unwrap_or("?");
        let what = match (ag.function(), ag.api_path()) {
            (Some(f), _) => format!(": {f}"),
            (None, Some(p)) => format!(": {} {p}", ag.verb().unwrap_or("").to_uppercase()),
            _ => String::new(),
        };
        return Some(format!("Calling action group {name}{what}"));
    }
    if let Some(kb) = i.knowledge_base_lookup_input() {
        return Some(format!(
            "Searching knowledge base {} for: {}",
            kb.knowledge_base_id().unwrap_or("?"),
            kb.text().unwrap_or("")
        ));
    }
    if let Some(c) = i.agent_collaborator_invocation_input() {
        return Some(format!(
            "Asking collaborator agent {}",
            c.agent_collaborator_name().unwrap_or("?")
        ));
    }
    if i.code_interpreter_invocation_input().is_some() {
        return Some("Running code".into());
    }
    None
}

fn observation(o: &bt::Observation, info: &mut TraceInfo) -> Option<String> {
    match o.r#type() {
        Some(bt::Type::AskUser) => {
            info.ask_user = true;
            Some("Asking the user for more information".into())
        }
        Some(bt::Type::ActionGroup) => Some("Got the action group's result".into()),
        Some(bt::Type::KnowledgeBase) => {
            let n = o
                .knowledge_base_lookup_output()
                .map(|k| k.retrieved_references().len())
                .unwrap_or(0);
            Some(format!("Found {n} reference(s) in the knowledge base"))
        }
        Some(bt::Type::AgentCollaborator) => Some(format!(
            "Got the answer of collaborator agent {}",
            o.agent_collaborator_invocation_output()
                .and_then(|c| c.agent_collaborator_name())
                .unwrap_or("?")
        )),
        Some(bt::Type::Reprompt) => Some("Asking the model again".into()),
        // FINISH: the answer follows as chunks.
        _ => None,
    }
}

/// Summarises one trace event.
pub(crate) fn summarise(part: &bt::TracePart) -> TraceInfo {
    let mut info = TraceInfo::default();
    let text = match part.trace() {
        Some(bt::Trace::OrchestrationTrace(o)) => match o {
            bt::OrchestrationTrace::Rationale(r) => r.text().map(|t| format!("Thinking: {t}")),
            bt::OrchestrationTrace::InvocationInput(i) => invocation(i),
            bt::OrchestrationTrace::Observation(o) => observation(o, &mut info),
            _ => None,
        },
        Some(bt::Trace::RoutingClassifierTrace(r)) => match r {
            bt::RoutingClassifierTrace::InvocationInput(i) => invocation(i),
            bt::RoutingClassifierTrace::Observation(o) => observation(o, &mut info),
            _ => None,
        },
        Some(bt::Trace::PreProcessingTrace(bt::PreProcessingTrace::ModelInvocationOutput(o))) => o
            .parsed_response()
            .and_then(|p| p.rationale())
            .map(|r| format!("Pre-processing: {r}")),
        Some(bt::Trace::GuardrailTrace(g)) => match g.action() {
            Some(bt::GuardrailAction::Intervened) => Some("A guardrail intervened".into()),
            _ => None,
        },
        Some(bt::Trace::FailureTrace(f)) => {
            let reason = f.failure_reason().unwrap_or("no reason given").to_owned();
            let text = format!("Failure: {reason}");
            info.failure = Some(reason);
            Some(text)
        }
        Some(bt::Trace::CustomOrchestrationTrace(c)) => c
            .event()
            .and_then(|e| e.text())
            .map(|t| format!("Custom orchestration: {t}")),
        // Model inputs/outputs (the prompts) and post-processing are never shown.
        _ => None,
    };
    info.summary = text
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty())
        .map(|t| match part.collaborator_name() {
            Some(c) if !c.is_empty() => format!("[{c}] {t}"),
            _ => t,
        })
        .map(|t| shorten(&t, MAX_SUMMARY));
    info
}
