//! Two agents behind one gateway binary (`[agents.alpha]`, `[agents.beta]`), reached by the
//! official Python SDK's 1.0 client at each agent's own base URL, `/agents/<name>`, on every
//! binding: the SDK reads that agent's card, its client works there (the gRPC interface
//! carries the agent as `tenant`, which the SDK's factory sends), and a task made through
//! one agent is not found through the other (`tests/python/interop.py`, `isolation`).

use crate::support::{Gateway, python, run_script_at};

const CONFIG: &str = "\
[agents.alpha]
description = \"The first demo agent\"
[[agents.alpha.skills]]
id = \"echo\"
name = \"Echo\"
description = \"Echoes the message back\"
tags = [\"echo\"]

[agents.beta]
description = \"The second demo agent\"
[[agents.beta.skills]]
id = \"echo\"
name = \"Echo\"
description = \"Echoes the message back\"
tags = [\"echo\"]
";

/// `interop.py` at `/agents/beta` over `transport`: a few scenarios, then isolation from
/// alpha.
fn two_agents(transport: &str) {
    let Some(python) = python() else { return };
    let gateway = Gateway::start_with(Some(CONFIG));
    let other = format!("{}/agents/alpha", gateway.url());
    let scenarios = ["send", "stream", "get", "isolation"];
    let mut args = vec![transport];
    args.extend(scenarios);
    args.extend(["--other", &other]);
    run_script_at(
        python,
        &gateway,
        "/agents/beta",
        "interop.py",
        &args,
        &scenarios,
    );
}

#[test]
fn jsonrpc_two_agents_at_their_own_paths() {
    two_agents("JSONRPC");
}

#[test]
fn http_json_two_agents_at_their_own_paths() {
    two_agents("HTTP+JSON");
}

#[test]
fn grpc_two_agents_through_the_tenant() {
    two_agents("GRPC");
}
