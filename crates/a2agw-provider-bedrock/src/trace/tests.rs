use super::*;

fn part(trace: bt::Trace) -> bt::TracePart {
    bt::TracePart::builder().trace(trace).build()
}

#[test]
fn knowledge_bases_guardrails_and_collaborators() {
    let kb = bt::InvocationInput::builder()
        .knowledge_base_lookup_input(
            bt::KnowledgeBaseLookupInput::builder()
                .knowledge_base_id("KB1")
                .text("opening hours")
                .build(),
        )
        .build();
    let mut p = part(bt::Trace::OrchestrationTrace(
        bt::OrchestrationTrace::InvocationInput(kb),
    ));
    assert_eq!(
        summarise(&p).summary.as_deref(),
        Some("Searching knowledge base KB1 for: opening hours")
    );
    p.collaborator_name = Some("booker".into());
    assert_eq!(
        summarise(&p).summary.as_deref(),
        Some("[booker] Searching knowledge base KB1 for: opening hours")
    );

    let g = bt::GuardrailTrace::builder()
        .action(bt::GuardrailAction::Intervened)
        .build();
    assert_eq!(
        summarise(&part(bt::Trace::GuardrailTrace(g)))
            .summary
            .as_deref(),
        Some("A guardrail intervened")
    );
    let g = bt::GuardrailTrace::builder()
        .action(bt::GuardrailAction::None)
        .build();
    assert_eq!(
        summarise(&part(bt::Trace::GuardrailTrace(g))),
        TraceInfo::default()
    );
}

#[test]
fn ask_user_and_failures_are_flagged() {
    let o = bt::Observation::builder().r#type(bt::Type::AskUser).build();
    let info = summarise(&part(bt::Trace::OrchestrationTrace(
        bt::OrchestrationTrace::Observation(o),
    )));
    assert!(info.ask_user);
    let f = bt::FailureTrace::builder()
        .failure_reason("Lambda timed out")
        .build();
    let info = summarise(&part(bt::Trace::FailureTrace(f)));
    assert_eq!(info.failure.as_deref(), Some("Lambda timed out"));
    assert_eq!(info.summary.as_deref(), Some("Failure: Lambda timed out"));
}

#[test]
fn prompts_are_never_shown_and_summaries_are_short() {
    let m = bt::ModelInvocationInput::builder()
        .text("SECRET PROMPT")
        .build();
    let info = summarise(&part(bt::Trace::OrchestrationTrace(
        bt::OrchestrationTrace::ModelInvocationInput(m),
    )));
    assert_eq!(info, TraceInfo::default());

    let r = bt::Rationale::builder()
        .text(format!("line one\n\n  {}", "word ".repeat(100)))
        .build();
    let summary = summarise(&part(bt::Trace::OrchestrationTrace(
        bt::OrchestrationTrace::Rationale(r),
    )))
    .summary
    .unwrap();
    assert!(
        summary.starts_with("Thinking: line one word word"),
        "{summary}"
    );
    assert_eq!(summary.chars().count(), MAX_SUMMARY + 1);
    assert!(summary.ends_with('…'));
}
