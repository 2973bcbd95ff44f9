//! Interop with the official Python SDK (`a2a-sdk[signing]`, `a2a.utils.signing`),
//! through `tests/interop/sdk_signing.py`.
//!
//! Python comes from `A2AGW_PYTHON` (default `~/.cache/a2a-gateway/venv/bin/python`,
//! which `.ci/run` creates). Without it, or without `a2a.utils.signing`, the tests
//! print a note and pass, unless `CI` is set: then they fail.
//!
//! The cards are ASCII-only and have no empty values: the SDK's canonicaliser drops
//! every `""`, `[]` and `{}` (REQUIRED fields included, against spec §8.4.1), and
//! SDK releases before the RFC 8785 fix did not canonicalise non-ASCII text, non-BMP
//! keys or floats as JCS does.

use crate::{data, key_pem, sample_card};
use a2agw_signing::{SigningKey, TrustPolicy, TrustedKeys, Verified, verify_card, with_signature};
use serde_json::{Value, json};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn python() -> Option<PathBuf> {
    let python = std::env::var_os("A2AGW_PYTHON")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".cache/a2a-gateway/venv/bin/python"))
        })?;
    let probe = Command::new(&python).arg(script()).arg("probe").output();
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    match probe {
        Ok(out) if out.status.success() => {
            eprintln!(
                "a2a-sdk {} at {}",
                String::from_utf8_lossy(&out.stdout).trim(),
                python.display()
            );
            Some(python)
        }
        other => {
            let why = match other {
                Ok(out) => String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
                    .to_owned(),
                Err(e) => e.to_string(),
            };
            assert!(
                !ci,
                "CI is set but {} cannot import a2a.utils.signing ({why}); install 'a2a-sdk[http-server,grpc,signing]' (see .ci/run)",
                python.display()
            );
            eprintln!(
                "note: skipping the Python SDK signing interop test: {} cannot import a2a.utils.signing ({why}); \
                 create it with `python3 -m venv ~/.cache/a2a-gateway/venv && ~/.cache/a2a-gateway/venv/bin/pip install 'a2a-sdk[http-server,grpc,signing]'`",
                python.display()
            );
            None
        }
    }
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/sdk_signing.py")
}

/// Runs the harness; (success, stdout, stderr).
fn run(python: &PathBuf, args: &[&str], card: &Value) -> (bool, String, String) {
    let mut child = Command::new(python)
        .arg(script())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(card.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn key_path(name: &str) -> String {
    data(&format!("keys/{name}")).to_string_lossy().into_owned()
}

/// (a) The SDK signs, `verify_card` accepts; a tampered SDK-signed card is refused.
#[test]
fn sdk_signs_we_verify() {
    let Some(python) = python() else { return };
    for (file, alg) in [("ed25519", "EdDSA"), ("p256", "ES256")] {
        let kid = format!("py-{file}");
        let (ok, stdout, stderr) = run(
            &python,
            &[
                "sign",
                "--key",
                &key_path(&format!("{file}.pem")),
                "--alg",
                alg,
                "--kid",
                &kid,
            ],
            &sample_card(),
        );
        assert!(ok, "SDK signing failed: {stderr}");
        let signed: Value = serde_json::from_str(&stdout).unwrap();
        let mut trusted = TrustedKeys::new();
        trusted
            .add_public_pem(&kid, &key_pem(&format!("{file}.pub.pem")))
            .unwrap();
        let verified = verify_card(&signed, &trusted, TrustPolicy::Require).unwrap_or_else(|e| {
            panic!("{alg}: we reject the SDK's signature: {e}\ncard: {stdout}")
        });
        assert!(
            matches!(verified, Verified::Signed { ref kid, .. } if kid == &format!("py-{file}"))
        );
        eprintln!(
            "{alg}: SDK-signed card verified; header {}",
            signed["signatures"][0]["protected"]
        );

        let mut tampered = signed.clone();
        tampered["skills"][0]["name"] = json!("Evil");
        assert!(verify_card(&tampered, &trusted, TrustPolicy::Require).is_err());
    }
}

/// (b) We sign, the SDK's verifier accepts (public key through its key_provider); a
/// tampered card is refused by the SDK too.
#[test]
fn we_sign_sdk_verifies() {
    let Some(python) = python() else { return };
    for (file, alg) in [
        ("ed25519", "EdDSA"),
        ("p256", "ES256"),
        ("rsa2048", "RS256"),
    ] {
        let key = SigningKey::from_pem(&key_pem(&format!("{file}.pem")), None).unwrap();
        assert_eq!(key.alg().as_str(), alg);
        let signed = with_signature(&sample_card(), &key).unwrap();
        let args = [
            "verify",
            "--key",
            &key_path(&format!("{file}.pub.pem")),
            "--alg",
            alg,
            "--kid",
            key.kid(),
        ];
        let (ok, stdout, stderr) = run(&python, &args, &signed);
        assert!(
            ok,
            "{alg}: the SDK rejects our signature: {stdout} {stderr}"
        );
        assert_eq!(stdout.trim(), "ok");
        eprintln!("{alg}: the SDK verified our signature");

        let mut tampered = signed.clone();
        tampered["version"] = json!("9.9.9");
        let (ok, stdout, _) = run(&python, &args, &tampered);
        assert!(!ok, "{alg}: the SDK accepted a tampered card: {stdout}");
    }
}

/// Not an assertion of interop: shows where the SDK departs from §8.4.1 (it drops
/// REQUIRED empty fields such as `description: ""` and `tags: []`), so that a run
/// records today's behaviour.
#[test]
fn sdk_divergence_on_required_empty_fields_is_reported() {
    let Some(python) = python() else { return };
    let key = SigningKey::from_pem(&key_pem("ed25519.pem"), Some("k")).unwrap();
    let mut card = sample_card();
    card["description"] = json!("");
    card["skills"][0]["tags"] = json!([]);
    let signed = with_signature(&card, &key).unwrap();
    let args = [
        "verify",
        "--key",
        &key_path("ed25519.pub.pem"),
        "--alg",
        "EdDSA",
        "--kid",
        "k",
    ];
    let (ok, stdout, _) = run(&python, &args, &signed);
    eprintln!(
        "card with REQUIRED empty fields, signed by us: the SDK {}",
        if ok {
            "accepts it".to_owned()
        } else {
            format!("rejects it ({})", stdout.trim())
        }
    );
}
