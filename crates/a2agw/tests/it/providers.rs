//! Each provider adapter end to end: a configuration file selects the provider, the
//! `a2a-gateway` binary runs it against the provider crate's local fake of the platform
//! (its real wire format), and the official Python SDK is the caller
//! (`tests/python/provider_e2e.py`): a plain answer, a streamed answer, and
//! input-required then resume. Only the base URL and a test credential differ from
//! production.

// Helpers outside #[test] functions may unwrap (a failure is a test failure).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::{Gateway, run_script};
use std::path::Path;

/// The `[agent]` part every provider configuration shares (a provider agent must describe
/// itself: the demo's card words are refused).
fn agent(provider: &str) -> String {
    format!(
        "[agent]\nname = \"{provider}-e2e\"\ndescription = \"The {provider} fake behind the gateway\"\n\
         provider = \"{provider}\"\n\n[[agent.skills]]\nid = \"answer\"\nname = \"Answer\"\n\
         description = \"Answers through the {provider} adapter\"\ntags = [\"e2e\"]\n\n"
    )
}

/// A runtime for the fake upstream, serving while the test thread runs the gateway and
/// the script.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// Starts the gateway with `config` and `env`, runs the script's `scenarios` over
/// `transport`, and checks that no value of `secrets` reached the gateway's log.
fn run(
    python: &Path,
    config: &str,
    env: &[(&str, &str)],
    transport: &str,
    scenarios: &[&str],
    secrets: &[&str],
) {
    let gateway = Gateway::start_env(Some(config), env);
    let mut args = vec![transport];
    args.extend(scenarios);
    run_script(python, &gateway, "provider_e2e.py", &args, scenarios);
    let log = gateway.log();
    for secret in secrets {
        assert!(
            !log.contains(secret),
            "a secret reached the gateway log:\n{log}"
        );
    }
}

/// The `plain` tests run `plain`, `stream` and `context`: four tasks, the last two in one
/// context, so the upstream must have seen exactly three conversations.
const SCENARIOS: &[&str] = &["plain", "stream", "context"];

/// Checks that the upstream conversations named in `ids` (one per call that names one) are
/// the three [`SCENARIOS`] imply.
fn assert_three_conversations(ids: &[String], what: &str) {
    let distinct: std::collections::BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(
        distinct.len(),
        3,
        "{what}: the two tasks of one context continue one conversation, other tasks get \
         their own; seen {ids:?}"
    );
}

/// The path segment after `after` in `path`.
#[cfg(any(feature = "provider-langgraph", feature = "provider-azure"))]
fn segment_after(path: &str, after: &str) -> Option<String> {
    let mut parts = path.split(['/', '?', ' ']);
    parts.find(|p| *p == after)?;
    parts.next().map(str::to_owned)
}

#[cfg(feature = "provider-langgraph")]
mod langgraph {
    use super::{SCENARIOS, agent, assert_three_conversations, run, runtime, segment_after};
    use crate::support::python;
    use a2agw_provider_langgraph::fake::{API_KEY, FakeServer};
    use tokio::runtime::Runtime;

    fn e2e(assistant: &str, transport: &str, scenarios: &[&str]) -> Option<(Runtime, FakeServer)> {
        let python = python()?;
        let rt = runtime();
        let fake = rt.block_on(FakeServer::start()).unwrap();
        let config = format!(
            "{}[agent.langgraph]\nbase_url = \"{}\"\nassistant_id = \"{assistant}\"\n\
             api_key_env = \"A2AGW_E2E_LANGGRAPH_KEY\"\n",
            agent("langgraph"),
            fake.base_url()
        );
        run(
            python,
            &config,
            &[("A2AGW_E2E_LANGGRAPH_KEY", API_KEY)],
            transport,
            scenarios,
            &[API_KEY],
        );
        Some((rt, fake))
    }

    #[test]
    fn plain_and_streamed_answers_and_one_thread_per_context() {
        let Some((_rt, fake)) = e2e("plain", "JSONRPC", SCENARIOS) else {
            return;
        };
        let runs: Vec<String> = fake
            .calls()
            .into_iter()
            .filter(|(call, _)| call.starts_with("POST ") && call.contains("/runs"))
            .filter_map(|(call, _)| segment_after(&call, "threads"))
            .collect();
        assert_three_conversations(&runs, "LangGraph threads");
    }

    #[test]
    fn interrupt_is_input_required_and_the_reply_resumes_the_run() {
        e2e("input", "HTTP+JSON", &["input"]);
    }
}

#[cfg(feature = "provider-azure")]
mod azure {
    use super::{SCENARIOS, agent, assert_three_conversations, run, runtime, segment_after};
    use crate::support::python;
    use a2agw_provider_azure::fake::{self, FakeServer};
    use tokio::runtime::Runtime;

    fn e2e(agent_id: &str, transport: &str, scenarios: &[&str]) -> Option<(Runtime, FakeServer)> {
        let python = python()?;
        let rt = runtime();
        let fake = rt.block_on(FakeServer::start()).unwrap();
        // The real `ClientSecretCredential` gets its token from the fake's Entra endpoint.
        let config = format!(
            "{}[agent.azure]\nendpoint = \"{}\"\nagent_id = \"{agent_id}\"\n\n\
             [agent.azure.credential]\nkind = \"client_secret\"\ntenant_id = \"{}\"\n\
             client_id = \"{}\"\nclient_secret_env = \"A2AGW_E2E_AZURE_SECRET\"\n\
             authority_host = \"{}\"\n",
            agent("azure"),
            fake.endpoint(),
            fake::TENANT_ID,
            fake::CLIENT_ID,
            fake.authority_host()
        );
        run(
            python,
            &config,
            &[("A2AGW_E2E_AZURE_SECRET", fake::CLIENT_SECRET)],
            transport,
            scenarios,
            &[fake::CLIENT_SECRET, fake::TOKEN],
        );
        assert!(
            !fake.token_requests().is_empty(),
            "the gateway should have fetched its token from the fake Entra endpoint"
        );
        Some((rt, fake))
    }

    #[test]
    fn plain_and_streamed_answers_and_one_thread_per_context() {
        let Some((_rt, fake)) = e2e("plain", "GRPC", SCENARIOS) else {
            return;
        };
        let messages: Vec<String> = fake
            .requests()
            .into_iter()
            .filter(|r| r.starts_with("POST ") && r.ends_with("/messages"))
            .filter_map(|r| segment_after(&r, "threads"))
            .collect();
        assert_three_conversations(&messages, "Azure threads");
    }

    #[test]
    fn requires_action_is_input_required_and_the_reply_submits_tool_outputs() {
        e2e("input", "JSONRPC", &["input"]);
    }
}

#[cfg(feature = "provider-bedrock")]
mod bedrock {
    use super::{SCENARIOS, agent, assert_three_conversations, run, runtime};
    use crate::support::python;
    use a2agw_provider_bedrock::fake::{
        FAKE_ACCESS_KEY_ID, FAKE_REGION, FAKE_SECRET_ACCESS_KEY, FakeServer,
    };
    use tokio::runtime::Runtime;

    fn e2e(agent_id: &str, transport: &str, scenarios: &[&str]) -> Option<(Runtime, FakeServer)> {
        let python = python()?;
        let rt = runtime();
        let fake = rt.block_on(FakeServer::start()).unwrap();
        // The real SDK, SigV4-signing with credentials from the standard chain (here the
        // environment), against the fake's endpoint.
        let config = format!(
            "{}[agent.bedrock]\nagent_id = \"{agent_id}\"\nagent_alias_id = \"TSTALIASID\"\n\
             endpoint_url = \"{}\"\n",
            agent("bedrock"),
            fake.base_url()
        );
        run(
            python,
            &config,
            &[
                ("AWS_ACCESS_KEY_ID", FAKE_ACCESS_KEY_ID),
                ("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_ACCESS_KEY),
                ("AWS_REGION", FAKE_REGION),
                // Nothing from the host's own AWS setup.
                ("AWS_CONFIG_FILE", "/nonexistent/a2agw-e2e"),
                ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/a2agw-e2e"),
                ("AWS_EC2_METADATA_DISABLED", "true"),
            ],
            transport,
            scenarios,
            &[FAKE_SECRET_ACCESS_KEY],
        );
        let requests = fake.requests_for(agent_id);
        assert!(!requests.is_empty(), "the fake saw no InvokeAgent call");
        assert!(
            requests
                .iter()
                .all(|r| r.access_key_id == FAKE_ACCESS_KEY_ID),
            "every call is signed with the configured credentials"
        );
        Some((rt, fake))
    }

    #[test]
    fn plain_and_streamed_answers_and_one_session_per_context() {
        let Some((_rt, fake)) = e2e("plain", "HTTP+JSON", SCENARIOS) else {
            return;
        };
        let sessions: Vec<String> = fake
            .requests_for("plain")
            .into_iter()
            .map(|r| r.session_id)
            .collect();
        assert_three_conversations(&sessions, "Bedrock sessions");
    }

    #[test]
    fn return_control_is_input_required_and_the_reply_resumes_the_invocation() {
        e2e("input", "GRPC", &["input"]);
    }
}

#[cfg(feature = "provider-vertex")]
mod vertex {
    use super::{SCENARIOS, agent, assert_three_conversations, run, runtime};
    use crate::support::python;
    use a2agw_provider_vertex::fake::{self, FakeServer};
    use tokio::runtime::Runtime;

    fn e2e(engine_id: &str, transport: &str, scenarios: &[&str]) -> Option<(Runtime, FakeServer)> {
        let python = python()?;
        let rt = runtime();
        let fake = rt.block_on(FakeServer::start()).unwrap();
        // A service-account key file whose token_uri is the fake's: the real gcp_auth
        // JWT-bearer flow gets the token the fake engine accepts.
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("sa.json");
        std::fs::write(&key, fake::service_account_json(&fake.token_uri())).unwrap();
        let config = format!(
            "{}[agent.vertex]\nproject = \"{}\"\nlocation = \"us-central1\"\n\
             engine_id = \"{engine_id}\"\nbase_url = \"{}\"\n\n[agent.vertex.credential]\n\
             kind = \"service_account_file\"\npath = \"{}\"\n",
            agent("vertex"),
            fake::PROJECT,
            fake.base_url(),
            key.display()
        );
        run(python, &config, &[], transport, scenarios, &[fake::TOKEN]);
        assert!(
            fake.issued_tokens() > 0,
            "the gateway should have fetched its token from the fake /token"
        );
        Some((rt, fake))
    }

    #[test]
    fn plain_and_streamed_answers_and_one_session_per_context() {
        let Some((_rt, fake)) = e2e("plain", "JSONRPC", SCENARIOS) else {
            return;
        };
        let sessions = fake
            .requests()
            .into_iter()
            .filter(|r| r.action == "streamQuery")
            .filter_map(|r| r.body["input"]["session_id"].as_str().map(str::to_owned))
            .collect::<Vec<_>>();
        assert_three_conversations(&sessions, "Vertex sessions");
    }

    #[test]
    fn long_running_tool_is_input_required_and_the_reply_resumes_the_session() {
        e2e("input", "HTTP+JSON", &["input"]);
    }
}
