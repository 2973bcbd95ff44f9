//! Key loading, public JWKs, kids, JWKS and trusted keys.

use crate::key_pem;
use a2agw_signing::{Error, Jwks, SignatureAlgorithm, SigningKey, TrustedKeys, protected_header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

#[test]
fn loads_each_supported_key_type() {
    for (file, alg, kty, crv) in [
        (
            "ed25519.pem",
            SignatureAlgorithm::EdDSA,
            "OKP",
            Some("Ed25519"),
        ),
        ("p256.pem", SignatureAlgorithm::ES256, "EC", Some("P-256")),
        ("p384.pem", SignatureAlgorithm::ES384, "EC", Some("P-384")),
        ("rsa2048.pem", SignatureAlgorithm::RS256, "RSA", None),
    ] {
        let key = SigningKey::from_pem(&key_pem(file), None).unwrap();
        assert_eq!(key.alg(), alg, "{file}");
        let jwk = key.public_jwk();
        assert_eq!(jwk["kty"], kty, "{file}");
        assert_eq!(jwk.get("crv").and_then(Value::as_str), crv, "{file}");
        assert_eq!(jwk["alg"], alg.as_str());
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["kid"], key.kid());
        assert!(
            jwk.get("d").is_none() && jwk.get("p").is_none(),
            "no private members"
        );
        // derived kid: base64url of 16 bytes of the RFC 7638 thumbprint
        assert_eq!(key.kid().len(), 22, "{file}");
        let tp = URL_SAFE_NO_PAD.decode(key.thumbprint().unwrap()).unwrap();
        assert_eq!(URL_SAFE_NO_PAD.encode(&tp[..16]), key.kid());
        // configured kid and jku
        let named = SigningKey::from_pem(&key_pem(file), Some("k-1"))
            .unwrap()
            .with_jku("https://gw.example/jwks.json");
        assert_eq!(named.kid(), "k-1");
        assert_eq!(named.jku(), Some("https://gw.example/jwks.json"));
    }
}

/// RFC 7638 §3.1: the thumbprint of its example RSA key.
#[test]
fn thumbprint_matches_rfc7638_example() {
    let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    let mut keys = TrustedKeys::new();
    keys.add_jwk(&json!({"kty": "RSA", "n": n, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"}))
        .unwrap();
    // The thumbprint is computed by SigningKey only; check the RFC value through the
    // JCS of the required members, which is how SigningKey computes it.
    let members = json!({"e": "AQAB", "kty": "RSA", "n": n});
    let digest = Sha256::digest(a2agw_signing::canonicalize(&members).unwrap().as_bytes());
    assert_eq!(
        URL_SAFE_NO_PAD.encode(digest),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

/// a2a-tck CARD-SIGN reference key: d = SHA-256("a2a-tck CARD-SIGN reference vectors key-1").
#[test]
fn tck_reference_key() {
    let seed: [u8; 32] = Sha256::digest(b"a2a-tck CARD-SIGN reference vectors key-1").into();
    let key = SigningKey::from_ed25519_seed(&seed, Some("key-1")).unwrap();
    assert_eq!(key.alg(), SignatureAlgorithm::EdDSA);
    assert_eq!(
        key.public_jwk()["x"],
        "HPZl5kjLaWKcAp5QBiOWueZa0MyB5U6CGj0M6xZN4W4"
    );
    assert_eq!(
        protected_header(&key),
        r#"{"alg":"EdDSA","kid":"key-1","typ":"JOSE"}"#
    );
    assert_eq!(
        URL_SAFE_NO_PAD.encode(protected_header(&key)),
        "eyJhbGciOiJFZERTQSIsImtpZCI6ImtleS0xIiwidHlwIjoiSk9TRSJ9"
    );
    let with_jku = key.with_jku("https://a.example/jwks.json");
    assert_eq!(
        protected_header(&with_jku),
        r#"{"alg":"EdDSA","kid":"key-1","typ":"JOSE","jku":"https://a.example/jwks.json"}"#
    );
}

fn reason(err: &Error) -> String {
    err.to_string()
}

#[test]
fn refuses_unsupported_keys_with_clear_errors() {
    let sec1 = SigningKey::from_pem(&key_pem("p256-sec1.pem"), None).unwrap_err();
    assert!(matches!(sec1, Error::UnsupportedKey { .. }), "{sec1:?}");
    assert!(reason(&sec1).contains("openssl pkcs8 -topk8"), "{sec1}");

    let ed448 = SigningKey::from_pem(&key_pem("ed448.pem"), None).unwrap_err();
    assert!(reason(&ed448).contains("Ed448"), "{ed448}");

    let public = SigningKey::from_pem(&key_pem("ed25519.pub.pem"), None).unwrap_err();
    assert!(reason(&public).contains("private key"), "{public}");

    let not_pem = SigningKey::from_pem(b"hello", None).unwrap_err();
    assert!(matches!(not_pem, Error::NotPem { .. }), "{not_pem:?}");

    let garbage = SigningKey::from_pem(
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        None,
    )
    .unwrap_err();
    assert!(
        matches!(garbage, Error::UnsupportedKey { .. }),
        "{garbage:?}"
    );

    let missing = SigningKey::from_pem_file("/nonexistent/key.pem", None).unwrap_err();
    assert!(matches!(missing, Error::KeyFile { .. }), "{missing:?}");
    assert!(reason(&missing).contains("/nonexistent/key.pem"));

    let env = SigningKey::from_env("A2AGW_SIGNING_TEST_SURELY_UNSET_VARIABLE", None).unwrap_err();
    assert!(matches!(env, Error::KeyEnv { .. }), "{env:?}");
}

#[test]
fn from_pem_file_loads() {
    let key = SigningKey::from_pem_file(crate::data("keys/p256.pem"), Some("file-key")).unwrap();
    assert_eq!(key.alg(), SignatureAlgorithm::ES256);
    assert_eq!(key.kid(), "file-key");
}

#[test]
fn jwks_round_trips_into_trusted_keys() {
    let keys = ["ed25519.pem", "p256.pem", "p384.pem", "rsa2048.pem"]
        .map(|f| SigningKey::from_pem(&key_pem(f), None).unwrap());
    let jwks = Jwks::from_signing_keys(&keys);
    let text = jwks.to_value().to_string();
    let trusted = TrustedKeys::from_jwks_json(&text).unwrap();
    assert_eq!(trusted.len(), 4);
    for key in &keys {
        assert!(trusted.kids().any(|k| k == key.kid()));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, &text).unwrap();
    assert_eq!(TrustedKeys::from_jwks_file(&path).unwrap().len(), 4);
}

#[test]
fn refuses_bad_jwks() {
    let key = SigningKey::from_pem(&key_pem("ed25519.pem"), Some("a")).unwrap();
    let jwk = key.public_jwk();
    let mut keys = TrustedKeys::new();
    keys.add_jwk(&jwk).unwrap();
    assert!(matches!(
        keys.add_jwk(&jwk),
        Err(Error::DuplicateKid { .. })
    ));

    let cases = [
        (
            json!({"kty": "oct", "k": "c2VjcmV0", "kid": "h"}),
            "symmetric",
        ),
        (
            json!({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]}),
            "kid",
        ),
        (
            json!({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"], "kid": "b", "alg": "HS256"}),
            "not allowed",
        ),
        (
            json!({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"], "kid": "b", "alg": "ES256"}),
            "does not fit",
        ),
        (
            json!({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"], "kid": "b", "use": "enc"}),
            "use",
        ),
        (
            json!({"kty": "OKP", "crv": "Ed448", "x": jwk["x"], "kid": "b"}),
            "Ed25519",
        ),
        (
            json!({"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "kid": "b"}),
            "32",
        ),
        (
            json!({"kty": "EC", "crv": "P-521", "x": "AA", "y": "AA", "kid": "b"}),
            "P-521",
        ),
        (json!({"kty": "RSA", "kid": "b", "e": "AQAB"}), "`n`"),
    ];
    for (bad, why) in cases {
        let err = TrustedKeys::new().add_jwk(&bad).unwrap_err();
        assert!(err.to_string().contains(why), "{bad}: {err}");
    }
    assert!(matches!(
        TrustedKeys::from_jwks_json("{\"keys\": 3}"),
        Err(Error::Jwks(_))
    ));
}

#[test]
fn public_pems_match_the_private_keys() {
    for name in ["ed25519", "p256", "p384", "rsa2048"] {
        let key = SigningKey::from_pem(&key_pem(&format!("{name}.pem")), Some("k")).unwrap();
        let mut from_pem = TrustedKeys::new();
        from_pem
            .add_public_pem("k", &key_pem(&format!("{name}.pub.pem")))
            .unwrap();
        assert_eq!(from_pem.kids().collect::<Vec<_>>(), ["k"]);
        // A card signed by the private key verifies with the PEM public key.
        let card = crate::sample_card();
        let signed = a2agw_signing::with_signature(&card, &key).unwrap();
        a2agw_signing::verify_card(&signed, &from_pem, a2agw_signing::TrustPolicy::Require)
            .unwrap();
    }
    let err = TrustedKeys::new()
        .add_public_pem("k", &key_pem("p256.pem"))
        .unwrap_err();
    assert!(err.to_string().contains("PUBLIC KEY"), "{err}");
}
