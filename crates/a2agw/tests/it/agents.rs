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

/// SIGHUP reloads the agents: one added is served, one removed answers 404, the stream a
/// client had open on the removed agent runs to its end, and a configuration that does not
/// check changes nothing.
#[cfg(unix)]
#[test]
fn sighup_reloads_the_agents_without_dropping_a_stream() {
    use std::io::Read;
    use std::time::{Duration, Instant};
    let gateway = Gateway::start_with(Some(CONFIG));
    let base = gateway.url();
    let http = reqwest::blocking::Client::new();
    let status = |path: &str| {
        http.get(format!("{base}{path}"))
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    let card = |agent: &str| status(&format!("/agents/{agent}/.well-known/agent-card.json"));
    assert_eq!(
        (card("alpha"), card("beta"), card("gamma")),
        (200, 200, 404)
    );

    // A stream on beta that outlives the reload (the demo agent's `slow 3`: three 1 s steps).
    let stream = {
        let url = format!("{base}/agents/beta/message:stream");
        std::thread::spawn(move || {
            let body = serde_json::json!({"message": {"messageId": "m-reload", "role": "ROLE_USER", "parts": [{"text": "slow 3"}]}});
            let mut resp = reqwest::blocking::Client::new()
                .post(url)
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .unwrap();
            let mut text = String::new();
            resp.read_to_string(&mut text).unwrap();
            text
        })
    };
    std::thread::sleep(Duration::from_millis(300));

    let hangup = || {
        let done = std::process::Command::new("kill")
            .args(["-HUP", &gateway.pid().to_string()])
            .status()
            .unwrap();
        assert!(done.success());
    };
    let wait_for = |what: &str, check: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !check() {
            assert!(Instant::now() < deadline, "{what}; log:\n{}", gateway.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let reloaded = CONFIG.replace("beta", "gamma");
    std::fs::write(gateway.config_path(), &reloaded).unwrap();
    hangup();
    wait_for("gamma is served after SIGHUP", &|| card("gamma") == 200);
    assert_eq!((card("alpha"), card("beta")), (200, 404));
    assert_eq!(status("/agents/beta/tasks"), 404);

    let events = stream.join().unwrap();
    assert!(
        events.contains("TASK_STATE_COMPLETED"),
        "the stream on the removed agent ended early:\n{events}"
    );

    // A configuration that does not check is refused; gamma stays.
    std::fs::write(
        gateway.config_path(),
        reloaded.replace(
            "description = \"The second demo agent\"",
            "description = \"\"",
        ),
    )
    .unwrap();
    hangup();
    wait_for("the refused reload is logged", &|| {
        gateway.log().contains("reload refused")
    });
    assert_eq!((card("alpha"), card("gamma")), (200, 200));
}

/// `[signing]`: the binary signs each agent's card; the official Python SDK's verifier
/// (`a2a.utils.signing`) accepts the card the gateway serves, with the public key it
/// publishes at `/.well-known/jwks.json`.
#[test]
fn the_official_sdk_verifies_the_cards_the_binary_signs() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let Some(python) = python() else { return };
    let keys =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../a2agw-signing/tests/data/keys");
    let config = format!(
        "{CONFIG}\n[signing]\nkey_file = \"{}\"\nkid = \"gw-1\"\n",
        keys.join("p256.pem").display()
    );
    let gateway = Gateway::start_with(Some(&config));
    let http = reqwest::blocking::Client::new();
    let jwks: serde_json::Value = http
        .get(format!("{}/.well-known/jwks.json", gateway.url()))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(jwks["keys"][0]["kid"], "gw-1", "{jwks}");
    assert_eq!(jwks["keys"][0]["crv"], "P-256", "{jwks}");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../a2agw-signing/tests/interop/sdk_signing.py");
    for agent in ["alpha", "beta"] {
        let card = http
            .get(format!(
                "{}/agents/{agent}/.well-known/agent-card.json",
                gateway.url()
            ))
            .send()
            .unwrap()
            .text()
            .unwrap();
        let verify = |card: &str| {
            let mut child = Command::new(python)
                .arg(&script)
                .args(["verify", "--alg", "ES256", "--kid", "gw-1", "--key"])
                .arg(keys.join("p256.pub.pem"))
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(card.as_bytes())
                .unwrap();
            child.wait_with_output().unwrap()
        };
        let out = verify(&card);
        assert!(
            out.status.success(),
            "the SDK refused {agent}'s card: {}{}\n{card}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let changed = card.replacen("demo agent", "other agent", 1);
        assert_ne!(changed, card);
        assert!(
            !verify(&changed).status.success(),
            "the SDK accepted a changed card"
        );
    }
}
