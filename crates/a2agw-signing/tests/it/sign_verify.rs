//! Sign → verify round trips, tampering, header checks and the policy matrix.

use crate::{key_pem, sample_card};
use a2agw_signing::{
    SignatureAlgorithm, SigningKey, TrustPolicy, TrustedKeys, Verified, VerifyError, canonicalize,
    card_payload, sign_card, verify_card, with_signature, with_signatures,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

const KEYS: [&str; 4] = ["ed25519.pem", "p256.pem", "p384.pem", "rsa2048.pem"];

fn key(file: &str) -> SigningKey {
    SigningKey::from_pem(&key_pem(file), None).unwrap()
}

fn trusting(keys: &[&SigningKey]) -> TrustedKeys {
    let mut trusted = TrustedKeys::new();
    for k in keys {
        trusted.add_signing_key(k).unwrap();
    }
    trusted
}

fn header_of(signed: &Value, index: usize) -> Value {
    let protected = signed["signatures"][index]["protected"].as_str().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(protected).unwrap()).unwrap()
}

#[test]
fn round_trip_each_algorithm() {
    for file in KEYS {
        let key = key(file);
        let signed = with_signature(&sample_card(), &key).unwrap();
        let trusted = trusting(&[&key]);
        let verified = verify_card(&signed, &trusted, TrustPolicy::Require).unwrap();
        assert_eq!(
            verified,
            Verified::Signed {
                kid: key.kid().to_owned(),
                alg: key.alg(),
                index: 0
            },
            "{file}"
        );
        // The header, in its fixed order, and the stored form.
        let protected = signed["signatures"][0]["protected"].as_str().unwrap();
        let header = String::from_utf8(URL_SAFE_NO_PAD.decode(protected).unwrap()).unwrap();
        assert_eq!(
            header,
            format!(
                r#"{{"alg":"{}","kid":"{}","typ":"JOSE"}}"#,
                key.alg(),
                key.kid()
            )
        );
        let entry = signed["signatures"][0].as_object().unwrap();
        assert_eq!(entry.keys().collect::<Vec<_>>(), ["protected", "signature"]);
        assert!(
            !entry["signature"]
                .as_str()
                .unwrap()
                .contains(['=', '+', '/'])
        );
        // The signature is over protected || '.' || BASE64URL(JCS(payload)): check it
        // with jsonwebtoken directly, independently of verify_card.
        let payload = canonicalize(&card_payload(&sample_card())).unwrap();
        let input = format!("{protected}.{}", URL_SAFE_NO_PAD.encode(payload));
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.public_jwk()).unwrap();
        let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        let alg: jsonwebtoken::Algorithm = key.alg().as_str().parse().unwrap();
        assert!(
            jsonwebtoken::crypto::verify(
                entry["signature"].as_str().unwrap(),
                input.as_bytes(),
                &decoding,
                alg
            )
            .unwrap(),
            "{file}"
        );
    }
}

#[test]
fn jku_goes_in_the_header_and_is_not_followed() {
    let key = key("ed25519.pem").with_jku("https://127.0.0.1:1/never-fetched.json");
    let signed = with_signature(&sample_card(), &key).unwrap();
    assert_eq!(
        header_of(&signed, 0)["jku"],
        "https://127.0.0.1:1/never-fetched.json"
    );
    verify_card(&signed, &trusting(&[&key]), TrustPolicy::Require).unwrap();
    // With no trusted key, jku is not fetched: the kid is unknown.
    let err = verify_card(&signed, &TrustedKeys::new(), TrustPolicy::Require).unwrap_err();
    assert!(matches!(err, VerifyError::UnknownKid { .. }), "{err:?}");
    assert!(err.to_string().contains(key.kid()));
}

/// Each change of a signed card breaks the signature.
#[test]
fn tampering_fails() {
    let key = key("ed25519.pem");
    let trusted = trusting(&[&key]);
    let signed = with_signature(&sample_card(), &key).unwrap();
    type Tamper = Box<dyn Fn(&mut Value)>;
    let tampers: Vec<(&str, Tamper)> = vec![
        ("name", Box::new(|c| c["name"] = json!("Evil Agent"))),
        (
            "description",
            Box::new(|c| c["description"] = json!("Echoes what it is told!")),
        ),
        ("version", Box::new(|c| c["version"] = json!("1.2.4"))),
        (
            "interface url",
            Box::new(|c| c["supportedInterfaces"][0]["url"] = json!("https://evil.example/a2a")),
        ),
        (
            "interface order",
            Box::new(|c| c["supportedInterfaces"].as_array_mut().unwrap().reverse()),
        ),
        (
            "tenant",
            Box::new(|c| c["supportedInterfaces"][1]["tenant"] = json!("t2")),
        ),
        (
            "provider",
            Box::new(|c| c["provider"]["organization"] = json!("Evil Org")),
        ),
        (
            "capability flag",
            Box::new(|c| c["capabilities"]["pushNotifications"] = json!(true)),
        ),
        (
            "optional flag removed",
            Box::new(|c| {
                c["capabilities"]
                    .as_object_mut()
                    .unwrap()
                    .remove("pushNotifications");
            }),
        ),
        (
            "extension params",
            Box::new(|c| c["capabilities"]["extensions"][0]["params"]["level"] = json!(4)),
        ),
        (
            "extension required",
            Box::new(|c| {
                c["capabilities"]["extensions"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("required");
            }),
        ),
        (
            "security scheme",
            Box::new(|c| {
                c["securitySchemes"]["bearer"]["httpAuthSecurityScheme"]["scheme"] = json!("Basic")
            }),
        ),
        (
            "security requirement",
            Box::new(|c| c["securityRequirements"] = json!([])),
        ),
        (
            "skill tag",
            Box::new(|c| {
                c["skills"][0]["tags"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!("admin"))
            }),
        ),
        (
            "skill added",
            Box::new(|c| {
                c["skills"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"id": "x", "name": "x", "description": "x", "tags": ["x"]}))
            }),
        ),
        (
            "mode",
            Box::new(|c| c["defaultOutputModes"] = json!(["text/plain"])),
        ),
        (
            "icon removed",
            Box::new(|c| {
                c.as_object_mut().unwrap().remove("iconUrl");
            }),
        ),
        (
            "documentationUrl emptied",
            Box::new(|c| c["documentationUrl"] = json!("")),
        ),
        (
            "unknown member added",
            Box::new(|c| c["url"] = json!("https://evil.example/a2a")),
        ),
        (
            "number type",
            Box::new(|c| c["capabilities"]["extensions"][0]["params"]["level"] = json!("3")),
        ),
    ];
    for (what, tamper) in tampers {
        let mut card = signed.clone();
        tamper(&mut card);
        let err = verify_card(&card, &trusted, TrustPolicy::VerifyIfPresent).unwrap_err();
        assert!(
            matches!(err, VerifyError::BadSignature { .. }),
            "{what}: {err:?}"
        );
        assert!(err.to_string().contains(key.kid()), "{what}: {err}");
    }
    // The signature bytes themselves.
    let mut card = signed.clone();
    let sig = card["signatures"][0]["signature"]
        .as_str()
        .unwrap()
        .to_owned();
    // Replace the first character (base64url, so ASCII).
    let flipped = match sig.strip_prefix('A') {
        Some(rest) => format!("B{rest}"),
        None => format!("A{}", sig.get(1..).unwrap()),
    };
    card["signatures"][0]["signature"] = json!(flipped);
    assert!(matches!(
        verify_card(&card, &trusted, TrustPolicy::Require),
        Err(VerifyError::BadSignature { .. })
    ));
    card["signatures"][0]["signature"] = json!("!!not base64!!");
    assert!(matches!(
        verify_card(&card, &trusted, TrustPolicy::Require),
        Err(VerifyError::BadSignature { .. })
    ));
}

/// Changes that proto normalisation removes, and member order, keep the signature valid.
#[test]
fn non_changes_keep_the_signature() {
    let key = key("p256.pem");
    let trusted = trusting(&[&key]);
    let signed = with_signature(&sample_card(), &key).unwrap();
    let mut card = signed.clone();
    card["supportedInterfaces"][0]["tenant"] = json!("");
    card["skills"][0]["inputModes"] = json!([]);
    card["capabilities"]["extensions"][0]["description"] = json!("An extension");
    card["iconUrl"] = json!("https://example.com/icon.png");
    card.as_object_mut()
        .unwrap()
        .insert("securitySchemes".into(), signed["securitySchemes"].clone());
    // Re-insert members in reverse order.
    let reversed: serde_json::Map<String, Value> = card
        .as_object()
        .unwrap()
        .iter()
        .rev()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    verify_card(&Value::Object(reversed), &trusted, TrustPolicy::Require).unwrap();
    // Snake-case names are read as their JSON names.
    let mut snake = signed.clone();
    let modes = snake
        .as_object_mut()
        .unwrap()
        .remove("defaultInputModes")
        .unwrap();
    snake["default_input_modes"] = modes;
    verify_card(&snake, &trusted, TrustPolicy::Require).unwrap();
}

#[test]
fn unknown_kid_and_untrusted_signer_fail() {
    let trusted_key = SigningKey::from_pem(&key_pem("ed25519.pem"), Some("trusted")).unwrap();
    let trusted = trusting(&[&trusted_key]);
    let stranger = SigningKey::from_pem(&key_pem("other-ed25519.pem"), Some("stranger")).unwrap();
    let signed = with_signature(&sample_card(), &stranger).unwrap();
    let err = verify_card(&signed, &trusted, TrustPolicy::VerifyIfPresent).unwrap_err();
    assert!(
        matches!(&err, VerifyError::UnknownKid { kid, .. } if kid == "stranger"),
        "{err:?}"
    );
    // The stranger claims the trusted kid.
    let impostor = SigningKey::from_pem(&key_pem("other-ed25519.pem"), Some("trusted")).unwrap();
    let signed = with_signature(&sample_card(), &impostor).unwrap();
    let err = verify_card(&signed, &trusted, TrustPolicy::VerifyIfPresent).unwrap_err();
    assert!(matches!(err, VerifyError::BadSignature { .. }), "{err:?}");
}

/// A signature with a hand-made protected header, signed with the Ed25519 test key.
fn with_header(card: &Value, header: &Value) -> Value {
    let protected = URL_SAFE_NO_PAD.encode(header.to_string());
    let payload = canonicalize(&card_payload(card)).unwrap();
    let input = format!("{protected}.{}", URL_SAFE_NO_PAD.encode(payload));
    let pem = key_pem("ed25519.pem");
    let enc = jsonwebtoken::EncodingKey::from_ed_pem(&pem).unwrap();
    let signature =
        jsonwebtoken::crypto::sign(input.as_bytes(), &enc, jsonwebtoken::Algorithm::EdDSA).unwrap();
    let mut signed = card.clone();
    signed["signatures"] = json!([{"protected": protected, "signature": signature}]);
    signed
}

#[test]
fn header_rules() {
    let key = SigningKey::from_pem(&key_pem("ed25519.pem"), Some("k")).unwrap();
    let trusted = trusting(&[&key]);
    let card = sample_card();
    // The hand-made path itself verifies.
    let ok = with_header(&card, &json!({"alg": "EdDSA", "kid": "k"}));
    verify_card(&ok, &trusted, TrustPolicy::Require).unwrap();

    let check = |header: Value, expect: &dyn Fn(&VerifyError) -> bool| {
        let signed = with_header(&card, &header);
        let err = verify_card(&signed, &trusted, TrustPolicy::Require).unwrap_err();
        assert!(expect(&err), "{header}: {err:?}");
    };
    check(
        json!({"alg": "none", "kid": "k"}),
        &|e| matches!(e, VerifyError::DisallowedAlg { alg, .. } if alg == "none"),
    );
    check(json!({"alg": "HS256", "kid": "k"}), &|e| {
        matches!(e, VerifyError::DisallowedAlg { .. })
    });
    check(json!({"alg": "", "kid": "k"}), &|e| {
        matches!(e, VerifyError::DisallowedAlg { .. })
    });
    check(json!({"kid": "k"}), &|e| {
        matches!(e, VerifyError::MissingHeaderParam { param: "alg", .. })
    });
    check(json!({"alg": "EdDSA"}), &|e| {
        matches!(e, VerifyError::MissingHeaderParam { param: "kid", .. })
    });
    check(json!({"alg": "EdDSA", "kid": 7}), &|e| {
        matches!(e, VerifyError::MissingHeaderParam { param: "kid", .. })
    });
    check(
        json!({"alg": "EdDSA", "kid": "k", "crit": ["exp"], "exp": 1}),
        &|e| matches!(e, VerifyError::UnsupportedHeader { param, .. } if param == "crit"),
    );
    check(
        json!({"alg": "EdDSA", "kid": "k", "b64": false}),
        &|e| matches!(e, VerifyError::UnsupportedHeader { param, .. } if param == "b64"),
    );
    check(json!({"alg": "ES256", "kid": "k"}), &|e| {
        matches!(e, VerifyError::AlgKeyMismatch { .. })
    });
    check(json!("not an object"), &|e| {
        matches!(e, VerifyError::BadHeader { .. })
    });

    // Not base64url, and malformed entries.
    let mut bad = ok.clone();
    bad["signatures"][0]["protected"] = json!("eyJ===");
    assert!(matches!(
        verify_card(&bad, &trusted, TrustPolicy::Require),
        Err(VerifyError::BadHeader { .. })
    ));
    bad["signatures"] = json!([{"signature": "x"}]);
    assert!(matches!(
        verify_card(&bad, &trusted, TrustPolicy::Require),
        Err(VerifyError::MalformedSignature { .. })
    ));
    bad["signatures"] = json!({"protected": "x"});
    assert!(matches!(
        verify_card(&bad, &trusted, TrustPolicy::Require),
        Err(VerifyError::SignaturesNotArray)
    ));
    // A parameter in both headers, and crit in the unprotected one.
    let mut dup = ok.clone();
    dup["signatures"][0]["header"] = json!({"kid": "other"});
    assert!(matches!(
        verify_card(&dup, &trusted, TrustPolicy::Require),
        Err(VerifyError::UnsupportedHeader { .. })
    ));
    dup["signatures"][0]["header"] = json!({"crit": ["x"]});
    assert!(matches!(
        verify_card(&dup, &trusted, TrustPolicy::Require),
        Err(VerifyError::UnsupportedHeader { .. })
    ));
    // An unrelated unprotected header is fine.
    dup["signatures"][0]["header"] = json!({"note": "hello"});
    verify_card(&dup, &trusted, TrustPolicy::Require).unwrap();
}

#[test]
fn policy_matrix() {
    let key = key("ed25519.pem");
    let trusted = trusting(&[&key]);
    let unsigned = sample_card();
    let mut empty = sample_card();
    empty["signatures"] = json!([]);
    let valid = with_signature(&sample_card(), &key).unwrap();
    let mut bad = valid.clone();
    bad["name"] = json!("changed");

    use TrustPolicy::{Off, Require, VerifyIfPresent};
    assert_eq!(
        verify_card(&unsigned, &trusted, Off).unwrap(),
        Verified::NotChecked
    );
    assert_eq!(
        verify_card(&valid, &trusted, Off).unwrap(),
        Verified::NotChecked
    );
    assert_eq!(
        verify_card(&bad, &trusted, Off).unwrap(),
        Verified::NotChecked
    );

    assert_eq!(
        verify_card(&unsigned, &trusted, VerifyIfPresent).unwrap(),
        Verified::Unsigned
    );
    assert_eq!(
        verify_card(&empty, &trusted, VerifyIfPresent).unwrap(),
        Verified::Unsigned
    );
    assert!(matches!(
        verify_card(&valid, &trusted, VerifyIfPresent).unwrap(),
        Verified::Signed { .. }
    ));
    assert!(matches!(
        verify_card(&bad, &trusted, VerifyIfPresent),
        Err(VerifyError::BadSignature { .. })
    ));

    assert!(matches!(
        verify_card(&unsigned, &trusted, Require),
        Err(VerifyError::Unsigned)
    ));
    assert!(matches!(
        verify_card(&empty, &trusted, Require),
        Err(VerifyError::Unsigned)
    ));
    assert!(matches!(
        verify_card(&valid, &trusted, Require).unwrap(),
        Verified::Signed { .. }
    ));
    assert!(matches!(
        verify_card(&bad, &trusted, Require),
        Err(VerifyError::BadSignature { .. })
    ));

    assert_eq!(TrustPolicy::default(), VerifyIfPresent);
    assert!(matches!(
        verify_card(&json!([1]), &trusted, Require),
        Err(VerifyError::CardNotObject)
    ));
}

#[test]
fn rotation_and_multiple_signatures() {
    let old = SigningKey::from_pem(&key_pem("p256.pem"), Some("old")).unwrap();
    let new = SigningKey::from_pem(&key_pem("ed25519.pem"), Some("new")).unwrap();
    let signed = with_signatures(&sample_card(), &[new.clone(), old.clone()]).unwrap();
    assert_eq!(signed["signatures"].as_array().unwrap().len(), 2);
    assert_eq!(header_of(&signed, 0)["kid"], "new");
    assert_eq!(header_of(&signed, 1)["kid"], "old");
    // A verifier that only knows the old key accepts the second signature.
    let verified = verify_card(&signed, &trusting(&[&old]), TrustPolicy::Require).unwrap();
    assert_eq!(
        verified,
        Verified::Signed {
            kid: "old".into(),
            alg: SignatureAlgorithm::ES256,
            index: 1
        }
    );
    // Knowing neither: every reason is reported.
    let err = verify_card(&signed, &TrustedKeys::new(), TrustPolicy::Require).unwrap_err();
    let VerifyError::NoValidSignature(reasons) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(reasons.len(), 2);
    assert!(
        err.to_string().contains("\"new\"") && err.to_string().contains("\"old\""),
        "{err}"
    );
}

#[test]
fn resigning_replaces_upstream_signatures() {
    let upstream = SigningKey::from_pem(&key_pem("other-ed25519.pem"), Some("upstream")).unwrap();
    let ours = SigningKey::from_pem(&key_pem("ed25519.pem"), Some("gateway")).unwrap();
    let from_upstream = with_signature(&sample_card(), &upstream).unwrap();
    let mut rewritten = from_upstream.clone();
    rewritten["supportedInterfaces"][0]["url"] = json!("https://gateway.example/a2a");
    let resigned = with_signature(&rewritten, &ours).unwrap();
    assert_eq!(resigned["signatures"].as_array().unwrap().len(), 1);
    assert_eq!(header_of(&resigned, 0)["kid"], "gateway");
    // The upstream signature did not enter the payload: same signature as for a clean card.
    let mut clean = rewritten.clone();
    clean.as_object_mut().unwrap().remove("signatures");
    assert_eq!(
        sign_card(&clean, &ours).unwrap(),
        sign_card(&rewritten, &ours).unwrap()
    );
    verify_card(&resigned, &trusting(&[&ours]), TrustPolicy::Require).unwrap();
}

#[test]
fn typed_card_round_trip_and_sign_errors() {
    let card = a2agw_types::AgentCard {
        name: "Typed".into(),
        description: String::new(),
        version: "0.1.0".into(),
        ..Default::default()
    };
    let key = key("rsa2048.pem");
    let value = serde_json::to_value(&card).unwrap();
    let signature = sign_card(&value, &key).unwrap();
    let mut signed_card = card.clone();
    signed_card.signatures = vec![signature];
    let signed = serde_json::to_value(&signed_card).unwrap();
    verify_card(&signed, &trusting(&[&key]), TrustPolicy::Require).unwrap();
    // and back through the typed form
    let parsed: a2agw_types::AgentCard = serde_json::from_value(signed.clone()).unwrap();
    assert_eq!(serde_json::to_value(&parsed).unwrap(), signed);

    assert!(matches!(
        sign_card(&json!("x"), &key),
        Err(a2agw_signing::Error::CardNotObject)
    ));
}

/// The spec's §8.4.1 example, signed with the a2a-tck reference key.
#[test]
fn spec_example_with_tck_key() {
    use sha2::Digest as _;
    let seed: [u8; 32] = sha2::Sha256::digest(b"a2a-tck CARD-SIGN reference vectors key-1").into();
    let key = SigningKey::from_ed25519_seed(&seed, Some("key-1")).unwrap();
    let card = json!({
        "name": "Example Agent", "description": "", "skills": [],
        "capabilities": {"streaming": false, "pushNotifications": false, "extensions": []}
    });
    assert_eq!(
        canonicalize(&card_payload(&card)).unwrap(),
        r#"{"capabilities":{"pushNotifications":false,"streaming":false},"description":"","name":"Example Agent","skills":[]}"#
    );
    let signature = sign_card(&card, &key).unwrap();
    assert_eq!(
        signature.protected,
        "eyJhbGciOiJFZERTQSIsImtpZCI6ImtleS0xIiwidHlwIjoiSk9TRSJ9"
    );
    // Ed25519 is deterministic.
    assert_eq!(sign_card(&card, &key).unwrap(), signature);
    let signed = with_signature(&card, &key).unwrap();
    let mut trusted = TrustedKeys::new();
    trusted
        .add_jwk(&json!({"kty": "OKP", "crv": "Ed25519", "x": "HPZl5kjLaWKcAp5QBiOWueZa0MyB5U6CGj0M6xZN4W4", "kid": "key-1"}))
        .unwrap();
    verify_card(&signed, &trusted, TrustPolicy::Require).unwrap();
}

/// PS256 (RSA-PSS) signatures of other signers verify with an RSA key that does not
/// pin `alg`; a key pinned to RS256 refuses them.
#[test]
fn ps256_from_others() {
    let card = sample_card();
    let protected = URL_SAFE_NO_PAD.encode(r#"{"alg":"PS256","kid":"rsa","typ":"JOSE"}"#);
    let payload = canonicalize(&card_payload(&card)).unwrap();
    let input = format!("{protected}.{}", URL_SAFE_NO_PAD.encode(payload));
    let enc = jsonwebtoken::EncodingKey::from_rsa_pem(&key_pem("rsa2048.pem")).unwrap();
    let signature =
        jsonwebtoken::crypto::sign(input.as_bytes(), &enc, jsonwebtoken::Algorithm::PS256).unwrap();
    let mut signed = card.clone();
    signed["signatures"] = json!([{"protected": protected, "signature": signature}]);

    let mut unpinned = TrustedKeys::new();
    unpinned
        .add_public_pem("rsa", &key_pem("rsa2048.pub.pem"))
        .unwrap();
    assert_eq!(
        verify_card(&signed, &unpinned, TrustPolicy::Require).unwrap(),
        Verified::Signed {
            kid: "rsa".into(),
            alg: SignatureAlgorithm::PS256,
            index: 0
        }
    );
    let pinned = trusting(&[&SigningKey::from_pem(&key_pem("rsa2048.pem"), Some("rsa")).unwrap()]);
    let err = verify_card(&signed, &pinned, TrustPolicy::Require).unwrap_err();
    assert!(matches!(err, VerifyError::AlgKeyMismatch { .. }), "{err:?}");
    assert!(err.to_string().contains("pinned to RS256"), "{err}");
}
