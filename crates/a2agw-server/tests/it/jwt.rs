//! JWT bearer authentication ([`JwtAuth`]) with tokens minted here: HS256, RS256 and ES256
//! static keys, a JWKS served by a local axum server (start, rotation, refresh on unknown
//! `kid`, rate limit, periodic refresh, start failures), and [`CompositeAuth`] routing
//! between API keys and JWTs.

// Test helpers may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use a2agw_server::looks_like_jwt;
use a2agw_server::{
    ApiKeyAuth, Authenticator, CompositeAuth, JwtAuth, JwtConfig, JwtKeySource, JwtSetupError,
    Principal, hash_key,
};
use axum::http::HeaderMap;
use jsonwebtoken::jwk::{Jwk, KeyAlgorithm};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

// Throwaway test keys, made with
// `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048` /
// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256` and
// `openssl pkey -pubout`. They protect nothing.
const RSA1_PRIVATE: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCXIEVzh4nqMNJd\n\
mnBvu7zy1tsp6W6dnCMFjpSUs9KjYphOBKZ+8J61HsAxL3BszvoSvWldzRUe1H9V\n\
U6w8p/rts3+OEpr74DlojxfUhc9Kfh7Z+cFaB//9jy4bYLcmg+Bnyk5bYXgqlGIi\n\
vq1ZPXtY+g5j4p+nxeJTbrVGMbY74yuWDpjXkj+lYzgAZQscsP8HwnYpBEwOlevC\n\
ar8OPxF+G89MqQPr4aoGPAg07T7vRk2LN/6292LHMQR499WpSJZDyEZX/AeX8zBu\n\
UpneAVpjacdM0+an7qH5aW4Y2VN//2pUkaALrtZCtGpil90NgnUHXcLYk0u/2nTj\n\
IgocuYrNAgMBAAECggEAI8lJiOz8lI9REUdD/sFnId4M8eTMA9h4VpWHy5q1c2ki\n\
hb8GKiMSgfMxMbR5G9r7Trq5m7O3n6BUMsFolMh2XBlYSC1Rs/lJvt+7leDF0G8D\n\
ITzKM2aXkNR555PEawNpfUpjubHgAb03a+DZLbuoXM6B39dHVTQ/vuAFXwTgkVeB\n\
gEWth32+SRSxZKpjxP/jICA89r5nniUg9ymfU79j1wiufht5G5//yKbVk0sFtOVX\n\
dt6+0mHPKKQEKS8xIhhZLifFGtPZfrxUjCv+gd1Jffg6/fz2E5yPjvXuVXh/n2HL\n\
zk3yZ5waRCvDxBC6qnGIm02vxlZ42EXIiUMnbSqQYQKBgQDVeGw7xoLz610hn8tB\n\
NS1FLb+xlSjTpo1p4w0nuVElhEJfn4mQcbsYSJAuoH71xqYgBPiCofRwy7z/0YoU\n\
C297JjG5h1P192CeyEPxMDNzFE6PF/dYSqGYk0+LSz4Hfo22dJhVKWpkId1K5vxz\n\
MAyhozJQY2eEA3fD8IQ1gPaLaQKBgQC1PB2fzmlqqM1qiJckZPzzzS//iMQW9Lsj\n\
wjDtuzEy6vpad0waGceg7EMUpkk4L42dLoTwA2IqzZ/qxMTmIkC2UTiaAH7S4jZv\n\
Q03HDNtsn+yiv/0ibBqOcjvpgqbokf2q1V76ZCGbxqPjQlM7XDpfqJ92JwJjk7I8\n\
1Q+boFTLxQKBgDSkx/xNzkmdB5CdOaDRHmLrD1UZ9cGMV19/kOT0/KAF5+BxFZm7\n\
kmpAqt300pqF7L4Eu8xraD7Q38EuyaB72XhDSQv55ajI4tkFhkvamTWOEnmTbXom\n\
nYdk/L7bRWbPvN78Df0ig4xCFbK9GBDIDrVl66iLeyHBQS3fCJuxPBvRAoGBAJd1\n\
wAQ3yp2aqOEpebautz9A8aYKtGXC7Uq7FYz37evxuHw2SuFdPhpcmMr/FR3hj+YW\n\
ZH75NOc0pTrcavkxEwfK5RS+6T5wUrG1e6CoPBCRrn9tF63WznLRQQSrbbXbnDVS\n\
0GdNm1DGN1zLpydqslYTZACoJTT2z/RK0xpqabNJAoGBAICAPXhp6u5Uuw1ureBX\n\
hstx2ruTrsZC7bz+YK28DqF7WQvs8nzBDzwmYPhVHqNHXEL3u/LUtrP66Rw8yHTC\n\
OWDE7ljYXaV1dt8ntQh/SVK2KezFnxIr3wSGB/oPgjA6z59d17EClYOqRCdWlBOV\n\
mJQ55pkjSwfUcWrOm7gjK6hk\n\
-----END PRIVATE KEY-----\n";
const RSA1_PUBLIC: &str = "\
-----BEGIN PUBLIC KEY-----\n\
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAlyBFc4eJ6jDSXZpwb7u8\n\
8tbbKelunZwjBY6UlLPSo2KYTgSmfvCetR7AMS9wbM76Er1pXc0VHtR/VVOsPKf6\n\
7bN/jhKa++A5aI8X1IXPSn4e2fnBWgf//Y8uG2C3JoPgZ8pOW2F4KpRiIr6tWT17\n\
WPoOY+Kfp8XiU261RjG2O+Mrlg6Y15I/pWM4AGULHLD/B8J2KQRMDpXrwmq/Dj8R\n\
fhvPTKkD6+GqBjwINO0+70ZNizf+tvdixzEEePfVqUiWQ8hGV/wHl/MwblKZ3gFa\n\
Y2nHTNPmp+6h+WluGNlTf/9qVJGgC67WQrRqYpfdDYJ1B13C2JNLv9p04yIKHLmK\n\
zQIDAQAB\n\
-----END PUBLIC KEY-----\n";
const RSA2_PRIVATE: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCy1zjlQK03yr5e\n\
9R2X8y2AFEdAt/KKrlZHv3/oau7pgDWc7kpw76Dl+0FplTgjRtY3f7S1LyaXkatF\n\
8qy3SwCaluhgR8PelKQH+kyTpPXHn7Nu7JNPZsgasXpOskW3FCOBzt8NUfl6q9eJ\n\
s3VxBQXNStRL8oBZRRRSCH1vEFEyWe9tIEj1iFMdluxR0AusxzsVC2tptkWPzPkI\n\
W6FGDCr0SV1FIIywWQNm89CkItwWDLi2CEqzjx8YyCPE12cq4+Ir69IXcb8n15uf\n\
yQxzJ5JxpFzteW0Bn3NFo8LhFmWKnBuZOMm0e2xvGLplZzFuclzhkc9+V1iArCze\n\
c8kMsJgZAgMBAAECggEAEgThAimUlQD+p7GkZC7HwFZgDCjHLWroXZKcEBj/bmkR\n\
EyPn6IjJr4ezwlrFt7mHlDrv7wDLr3d+ssMDMkqXynuho9scjzzEaYYHbimE7Afu\n\
u808AG2M2YeqmOrvCZsOrXcK/pwU+g5TXq1FYXhN6oPQxRWEvLna6h2vNGAIAP28\n\
T+AusKLBgW5SVeZ3jMb3wmIaId9JVezz6iSGm0Lri1c1X5T9Wp80OFed4vIAGmBG\n\
V8zVA6JVdbeJMhxH06ldMofqDthk6cI/gigjj3fUGUNWVupkvBy6YZW0kmVdro93\n\
NiQ2BdjwrJ+2dE1XIDiC/ECJoKOvzma5WBQxHPwAMwKBgQDyW3rrD7OvCJR/oOLB\n\
H/em6J5om590D2VtkyjFOGkow1CG86xijYOKeezkr5PhvP+w5uCzh5ylx5wGXF1C\n\
ocIwNwVlm4qKCoOcdRNxSCpqRQx0u6TZ2EJvWG3jpgDNCFfIfBpyTp3NmFfwmPkd\n\
f6cCWod4QIhO+d2EJ17Msi5oUwKBgQC86G2P9LoB5ybw/Tg2+0Hje1vmckEbiuz0\n\
vrhvmRa8ZYBE9FXUgoH7fhhW8XRzju6YNyPWS7se4sHxL6LE1gDycMN7lL5B0YjN\n\
laliqFWS+uF3vbNtgOLst6+j5Z6xnWSpHoYP7lJzajDIgXOjOL901cyeSSZFK3I/\n\
2hbYf4DAYwKBgQDlRhO3skgLKzPItbwudX6EwQWy8p5bXoFWsuPcB6y8KmHQ+U64\n\
gSXS59tq0Is2/+RoR1KFpKJV1stM3S5A7eRWVobdg9MBGkc9ySgWf+3YUPAisq2W\n\
hNb8nQyAUzfov57EBFvEjYkNybRP4XeyJ2QoftovseUBybF85v3w6hOrDwKBgEyU\n\
zRW22FE9LAQ2Izvmz+cwcykQ2GQaBcWSK6LSJO1rGHzbsI/d+GPD0oosiFDweLks\n\
YVLWkJ0MwCLOdOXm+6tNG3JV8mssTpFJQsnEBCz5l727IaoavePI82M2CwdmDxCg\n\
VyjOLI6tVely0TYyIytyIOlqLiGMY1yPRQOvbLqRAoGBAIo63zezLKQl9IJ0Z9m2\n\
kPXJAojUwrPRoP4aJDo2wqCRAbxUyVjrvvuZjsoxaPTVThGUyNfgUtgS6fDLcL3n\n\
JyveJxMuxaRhqL3m230zPD+C/qtu8Y5XwGdsMFHshvxBw3qRIRM5C31FwsG6H9bO\n\
ivTdWWYaT0IJyaBOzt0iAMjy\n\
-----END PRIVATE KEY-----\n";
const EC1_PRIVATE: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgIvJwHdHV+081IxpD\n\
E8EvZfFg4H88Mp4XGsUtb1v9l1ehRANCAAQhkMwCQAIJzQ4+9oaC9BDBz6dHxP00\n\
z9c9YLXJHaAL+Grvvod0Up3fB5QkTiY5wYLm3TD00VE2QVTFtp7y1X8u\n\
-----END PRIVATE KEY-----\n";
const EC1_PUBLIC: &str = "\
-----BEGIN PUBLIC KEY-----\n\
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEIZDMAkACCc0OPvaGgvQQwc+nR8T9\n\
NM/XPWC1yR2gC/hq776HdFKd3weUJE4mOcGC5t0w9NFRNkFUxbae8tV/Lg==\n\
-----END PUBLIC KEY-----\n";

pub(crate) const ISS: &str = "https://idp.example.test/";
pub(crate) const AUD: &str = "a2a-gateway";
pub(crate) const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

/// The principal a token of [`ISS`] with this subject authenticates as.
fn jwt_principal(subject: &str) -> Principal {
    Principal::Jwt {
        issuer: ISS.into(),
        subject: subject.into(),
        roles: Vec::new(),
    }
}

fn now() -> i64 {
    i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap()
}

/// Valid claims for `sub`; `extra` overrides or adds (a `null` removes).
pub(crate) fn claims(extra: Value) -> Value {
    let mut c = json!({
        "iss": ISS,
        "aud": AUD,
        "sub": "alice",
        "iat": now(),
        "exp": now() + 300,
    });
    let Value::Object(extra) = extra else {
        panic!("claims overrides must be an object");
    };
    for (k, v) in extra {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(&k);
        } else {
            c[k] = v;
        }
    }
    c
}

fn mint(alg: Algorithm, key: &EncodingKey, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

pub(crate) fn hs(claims: &Value) -> String {
    mint(
        Algorithm::HS256,
        &EncodingKey::from_secret(SECRET),
        None,
        claims,
    )
}

fn rsa_key(pem: &str) -> EncodingKey {
    EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap()
}

fn ec_key(pem: &str) -> EncodingKey {
    EncodingKey::from_ec_pem(pem.as_bytes()).unwrap()
}

fn bearer(token: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("authorization", format!("Bearer {token}").parse().unwrap());
    h
}

fn hs_auth() -> JwtAuth {
    JwtAuth::new(&JwtConfig::new(
        ISS,
        AUD,
        JwtKeySource::Secret(SECRET.to_vec()),
    ))
    .unwrap()
}

/// Asserts a refusal whose message contains `needle` and not the token.
#[track_caller]
fn refused(auth: &dyn Authenticator, token: &str, needle: &str) {
    match auth.authenticate(&bearer(token)) {
        Err(msg) => {
            assert!(msg.contains(needle), "{msg:?} should mention {needle:?}");
            assert!(!msg.contains(token), "the message repeats the token: {msg}");
        }
        other => panic!("expected a refusal mentioning {needle:?}, got {other:?}"),
    }
}

#[test]
fn hs256_valid_token_gives_the_sub() {
    let auth = hs_auth();
    let token = hs(&claims(json!({})));
    assert_eq!(
        auth.authenticate(&bearer(&token)),
        Ok(Some(jwt_principal("alice")))
    );
    // Scheme is case-insensitive.
    let mut h = HeaderMap::new();
    h.insert("authorization", format!("bearer {token}").parse().unwrap());
    assert_eq!(auth.authenticate(&h), Ok(Some(jwt_principal("alice"))));
    // `aud` may be an array holding the audience.
    let token = hs(&claims(json!({"aud": ["other", AUD]})));
    assert_eq!(
        auth.authenticate(&bearer(&token)),
        Ok(Some(jwt_principal("alice")))
    );
    assert!(!auth.allows_anonymous());
    assert_eq!(auth.challenge(), r#"Bearer realm="a2a-gateway""#);
}

#[test]
fn no_bearer_token_is_no_credential() {
    let auth = hs_auth();
    assert_eq!(auth.authenticate(&HeaderMap::new()), Ok(None));
    let mut h = HeaderMap::new();
    h.insert("authorization", "Basic YWxpY2U6cHc=".parse().unwrap());
    assert_eq!(auth.authenticate(&h), Ok(None));
    h.insert("authorization", "Bearer ".parse().unwrap());
    assert_eq!(auth.authenticate(&h), Ok(None));
    let mut h = HeaderMap::new();
    h.insert("x-api-key", "whatever".parse().unwrap());
    assert_eq!(auth.authenticate(&h), Ok(None));
}

#[test]
fn expired_and_not_yet_valid_tokens_are_refused() {
    let auth = hs_auth();
    refused(&auth, &hs(&claims(json!({"exp": now() - 120}))), "expired");
    refused(
        &auth,
        &hs(&claims(json!({"nbf": now() + 120}))),
        "not valid yet",
    );
    // Within the (default 30 s) leeway both pass.
    let token = hs(&claims(json!({"exp": now() - 5, "nbf": now() + 5})));
    assert_eq!(
        auth.authenticate(&bearer(&token)),
        Ok(Some(jwt_principal("alice")))
    );
    // A smaller leeway is honoured.
    let mut config = JwtConfig::new(ISS, AUD, JwtKeySource::Secret(SECRET.to_vec()));
    config.leeway = Duration::ZERO;
    let strict = JwtAuth::new(&config).unwrap();
    refused(&strict, &hs(&claims(json!({"exp": now() - 5}))), "expired");
}

#[test]
fn wrong_audience_or_issuer_is_refused() {
    let auth = hs_auth();
    refused(
        &auth,
        &hs(&claims(json!({"aud": "someone-else"}))),
        "audience",
    );
    refused(&auth, &hs(&claims(json!({"aud": ["x", "y"]}))), "audience");
    refused(
        &auth,
        &hs(&claims(json!({"iss": "https://evil.test/"}))),
        "issuer",
    );
}

#[test]
fn required_claims_are_enforced() {
    let auth = hs_auth();
    refused(&auth, &hs(&claims(json!({"exp": null}))), "`exp`");
    refused(&auth, &hs(&claims(json!({"iss": null}))), "`iss`");
    refused(&auth, &hs(&claims(json!({"aud": null}))), "`aud`");
    refused(&auth, &hs(&claims(json!({"sub": null}))), "`sub`");
    refused(&auth, &hs(&claims(json!({"exp": "tomorrow"}))), "`exp`");
}

#[test]
fn bad_signature_is_refused() {
    let auth = hs_auth();
    let other = mint(
        Algorithm::HS256,
        &EncodingKey::from_secret(b"another secret, another secret!!"),
        None,
        &claims(json!({})),
    );
    refused(&auth, &other, "signature");
    // A payload swapped under a valid signature.
    let good = hs(&claims(json!({})));
    let forged = hs(&claims(json!({"sub": "mallory"})));
    let g: Vec<&str> = good.split('.').collect();
    let f: Vec<&str> = forged.split('.').collect();
    refused(&auth, &format!("{}.{}.{}", g[0], f[1], g[2]), "signature");
}

#[test]
fn garbage_is_refused_without_panicking() {
    let auth = hs_auth();
    for junk in [
        "garbage",
        "a.b.c",
        "eyJ.eyJ.x",
        "eyJhbGciOiJIUzI1NiJ9.!!!.sig",
        "eyJhbGciOiJIUzI1NiJ9..sig",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.",
        "eyJhbGciOiJGT08ifQ.eyJzdWIiOiJhbGljZSJ9.c2ln",
        "....",
        "\u{e9}t\u{e9}",
    ] {
        let mut h = HeaderMap::new();
        let Ok(v) = format!("Bearer {junk}").parse() else {
            continue;
        };
        h.insert("authorization", v);
        let res = auth.authenticate(&h);
        assert!(res.is_err(), "{junk:?} gave {res:?}");
    }
    refused(&auth, "not-a-jwt", "well-formed");
    // alg=none is never accepted.
    refused(
        &auth,
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbGljZSJ9.",
        "well-formed",
    );
}

#[test]
fn crit_headers_are_refused() {
    let auth = hs_auth();
    let mut header = Header::new(Algorithm::HS256);
    header.crit = Some(vec!["b64".into()]);
    let token = jsonwebtoken::encode(
        &header,
        &claims(json!({})),
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap();
    refused(&auth, &token, "crit");
}

#[test]
fn principal_claim_and_the_issuer_in_the_owner() {
    let mut config = JwtConfig::new(ISS, AUD, JwtKeySource::Secret(SECRET.to_vec()));
    config.principal_claim = "email".into();
    let auth = JwtAuth::new(&config).unwrap();
    let token = hs(&claims(json!({"email": "alice@example.test"})));
    assert_eq!(
        auth.authenticate(&bearer(&token)),
        Ok(Some(jwt_principal("alice@example.test")))
    );
    refused(&auth, &hs(&claims(json!({}))), "`email`");
    refused(&auth, &hs(&claims(json!({"email": ["a"]}))), "`email`");

    // The owner of a JWT caller's tasks always names the issuer: a token whose `sub` is
    // `anonymous`, or an API key's name, is not that caller.
    config.principal_claim = "sub".into();
    let auth = JwtAuth::new(&config).unwrap();
    let token = hs(&claims(json!({})));
    let principal = auth.authenticate(&bearer(&token)).unwrap().unwrap();
    assert_eq!(principal.owner(), format!("jwt:{ISS}|alice"));
    let token = hs(&claims(json!({"sub": "anonymous"})));
    let principal = auth.authenticate(&bearer(&token)).unwrap().unwrap();
    assert!(!principal.is_anonymous());
    assert_ne!(principal.owner(), Principal::Anonymous.owner());
    // A numeric sub is accepted as its decimal form.
    let token = hs(&claims(json!({"sub": 42})));
    assert_eq!(
        auth.authenticate(&bearer(&token)),
        Ok(Some(jwt_principal("42")))
    );
}

#[test]
fn rs256_with_a_static_public_key() {
    let auth = JwtAuth::new(&JwtConfig::new(
        ISS,
        AUD,
        JwtKeySource::PublicKeyPem(RSA1_PUBLIC.into()),
    ))
    .unwrap();
    for alg in [Algorithm::RS256, Algorithm::PS256, Algorithm::RS512] {
        let token = mint(alg, &rsa_key(RSA1_PRIVATE), None, &claims(json!({})));
        assert_eq!(
            auth.authenticate(&bearer(&token)),
            Ok(Some(jwt_principal("alice")))
        );
    }
    // A `kid` does not matter with a static key.
    let token = mint(
        Algorithm::RS256,
        &rsa_key(RSA1_PRIVATE),
        Some("any"),
        &claims(json!({})),
    );
    assert_eq!(
        auth.authenticate(&bearer(&token)),
        Ok(Some(jwt_principal("alice")))
    );
    // Another key's signature.
    let token = mint(
        Algorithm::RS256,
        &rsa_key(RSA2_PRIVATE),
        None,
        &claims(json!({})),
    );
    refused(&auth, &token, "signature");
    // Algorithm confusion: HS256 "signed" with the public key as the secret.
    let token = mint(
        Algorithm::HS256,
        &EncodingKey::from_secret(RSA1_PUBLIC.as_bytes()),
        None,
        &claims(json!({})),
    );
    refused(&auth, &token, "algorithm");
    // ES256 against an RSA key.
    let token = mint(
        Algorithm::ES256,
        &ec_key(EC1_PRIVATE),
        None,
        &claims(json!({})),
    );
    refused(&auth, &token, "algorithm");
    refused(
        &auth,
        &mint(
            Algorithm::RS256,
            &rsa_key(RSA1_PRIVATE),
            None,
            &claims(json!({"exp": now() - 300})),
        ),
        "expired",
    );
}

#[test]
fn es256_with_a_static_public_key() {
    let auth = JwtAuth::new(&JwtConfig::new(
        ISS,
        AUD,
        JwtKeySource::PublicKeyPem(EC1_PUBLIC.into()),
    ))
    .unwrap();
    let token = mint(
        Algorithm::ES256,
        &ec_key(EC1_PRIVATE),
        None,
        &claims(json!({})),
    );
    assert_eq!(
        auth.authenticate(&bearer(&token)),
        Ok(Some(jwt_principal("alice")))
    );
    let token = mint(
        Algorithm::ES256,
        &ec_key(EC1_PRIVATE),
        None,
        &claims(json!({"aud": "nope"})),
    );
    refused(&auth, &token, "audience");
    let token = mint(
        Algorithm::RS256,
        &rsa_key(RSA1_PRIVATE),
        None,
        &claims(json!({})),
    );
    refused(&auth, &token, "algorithm");
    // The HMAC secret does not verify EC tokens, and vice versa.
    refused(&hs_auth(), &token, "algorithm");
}

#[test]
fn bad_configurations_are_refused_clearly() {
    let err = |config: JwtConfig| JwtAuth::new(&config).unwrap_err().to_string();
    let e = err(JwtConfig::new(
        ISS,
        AUD,
        JwtKeySource::PublicKeyPem(RSA1_PRIVATE.into()),
    ));
    assert!(e.contains("private key"), "{e}");
    let e = err(JwtConfig::new(
        ISS,
        AUD,
        JwtKeySource::PublicKeyPem(
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".into(),
        ),
    ));
    assert!(e.contains("invalid JWT key"), "{e}");
    let e = err(JwtConfig::new(
        "",
        AUD,
        JwtKeySource::Secret(SECRET.to_vec()),
    ));
    assert!(e.contains("issuer"), "{e}");
    let e = err(JwtConfig::new(
        ISS,
        "",
        JwtKeySource::Secret(SECRET.to_vec()),
    ));
    assert!(e.contains("audience"), "{e}");
    let e = err(JwtConfig::new(ISS, AUD, JwtKeySource::Secret(Vec::new())));
    assert!(e.contains("secret"), "{e}");
    let e = err(JwtConfig::new(
        ISS,
        AUD,
        JwtKeySource::JwksUrl("http://127.0.0.1:1/jwks".into()),
    ));
    assert!(e.contains("start"), "{e}");
    // The secret is not shown by Debug.
    let config = JwtConfig::new(ISS, AUD, JwtKeySource::Secret(b"hunter2-hunter2".to_vec()));
    assert!(!format!("{config:?}").contains("hunter2"));
    assert!(!format!("{:?}", JwtAuth::new(&config).unwrap()).contains("hunter2"));
}

// ---- JWKS -------------------------------------------------------------------------------

/// A JWKS endpoint on 127.0.0.1:0 whose document can be replaced, counting fetches.
struct JwksServer {
    url: String,
    doc: Arc<Mutex<(u16, String)>>,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl JwksServer {
    async fn start(doc: Value) -> Self {
        let doc = Arc::new(Mutex::new((200, doc.to_string())));
        let hits = Arc::new(AtomicUsize::new(0));
        let (d, h) = (Arc::clone(&doc), Arc::clone(&hits));
        let app = axum::Router::new().route(
            "/jwks.json",
            axum::routing::get(move || {
                let (d, h) = (Arc::clone(&d), Arc::clone(&h));
                async move {
                    h.fetch_add(1, Ordering::SeqCst);
                    let (status, body) = d.lock().unwrap().clone();
                    (
                        axum::http::StatusCode::from_u16(status).unwrap(),
                        [("content-type", "application/json")],
                        body,
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        JwksServer {
            url,
            doc,
            hits,
            task,
        }
    }

    fn set(&self, status: u16, body: impl Into<String>) {
        *self.doc.lock().unwrap() = (status, body.into());
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// The public JWK of a private key, with `kid` (and `alg` when given).
fn jwk(key: &EncodingKey, alg: Algorithm, kid: &str, with_alg: bool) -> Value {
    let mut jwk = Jwk::from_encoding_key(key, alg).unwrap();
    jwk.common.key_id = Some(kid.into());
    jwk.common.key_algorithm = with_alg.then(|| KeyAlgorithm::from(alg));
    serde_json::to_value(jwk).unwrap()
}

fn jwks(keys: &[Value]) -> Value {
    json!({ "keys": keys })
}

fn jwks_config(url: &str) -> JwtConfig {
    let mut config = JwtConfig::new(ISS, AUD, JwtKeySource::JwksUrl(url.into()));
    config.jwks_min_refresh_interval = Duration::from_millis(100);
    config
}

/// Polls `f` every 20 ms for up to 5 s.
async fn eventually(mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..250 {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn jwks_keys_rotate_and_unknown_kid_triggers_a_refresh() {
    let rsa1 = rsa_key(RSA1_PRIVATE);
    let rsa2 = rsa_key(RSA2_PRIVATE);
    let ec1 = ec_key(EC1_PRIVATE);
    let server = JwksServer::start(jwks(&[jwk(&rsa1, Algorithm::RS256, "k1", true)])).await;
    let auth = JwtAuth::start(jwks_config(&server.url)).await.unwrap();
    assert_eq!(server.hits(), 1);
    assert_eq!(auth.key_count(), 1);

    let t1 = mint(Algorithm::RS256, &rsa1, Some("k1"), &claims(json!({})));
    assert_eq!(
        auth.authenticate(&bearer(&t1)),
        Ok(Some(jwt_principal("alice")))
    );
    // `kid` k1 verified by its key only: another key's signature under k1 fails.
    let forged = mint(Algorithm::RS256, &rsa2, Some("k1"), &claims(json!({})));
    refused(&auth, &forged, "signature");

    // Rotate: k1 retired, k2 (RSA) and k3 (EC) published.
    server.set(
        200,
        jwks(&[
            jwk(&rsa2, Algorithm::RS256, "k2", true),
            jwk(&ec1, Algorithm::ES256, "k3", false),
        ])
        .to_string(),
    );
    let t2 = mint(Algorithm::RS256, &rsa2, Some("k2"), &claims(json!({})));
    let t3 = mint(Algorithm::ES256, &ec1, Some("k3"), &claims(json!({})));
    // Not known yet: refused, and the refresh starts.
    refused(&auth, &t2, "unknown");
    assert!(
        eventually(|| auth.authenticate(&bearer(&t2)) == Ok(Some(jwt_principal("alice")))).await,
        "the new key was never picked up"
    );
    assert!(server.hits() >= 2);
    assert_eq!(
        auth.authenticate(&bearer(&t3)),
        Ok(Some(jwt_principal("alice")))
    );
    // The retired key no longer verifies.
    refused(&auth, &t1, "unknown");
    // A JWK's `alg` is the only algorithm accepted with it (k2 says RS256).
    let ps = mint(Algorithm::PS256, &rsa2, Some("k2"), &claims(json!({})));
    refused(&auth, &ps, "algorithm");
    // Validation still applies to JWKS keys.
    let expired = mint(
        Algorithm::RS256,
        &rsa2,
        Some("k2"),
        &claims(json!({"exp": now() - 300})),
    );
    refused(&auth, &expired, "expired");
    // Without `kid`, every key of the token's algorithm is tried.
    let no_kid = mint(Algorithm::ES256, &ec1, None, &claims(json!({})));
    assert_eq!(
        auth.authenticate(&bearer(&no_kid)),
        Ok(Some(jwt_principal("alice")))
    );
}

#[tokio::test]
async fn unknown_kid_refreshes_are_rate_limited() {
    let rsa1 = rsa_key(RSA1_PRIVATE);
    let server = JwksServer::start(jwks(&[jwk(&rsa1, Algorithm::RS256, "k1", true)])).await;
    let mut config = jwks_config(&server.url);
    config.jwks_min_refresh_interval = Duration::from_secs(3600);
    let auth = JwtAuth::start(config).await.unwrap();
    for i in 0..50 {
        let t = mint(
            Algorithm::RS256,
            &rsa1,
            Some(&format!("random-{i}")),
            &claims(json!({})),
        );
        refused(&auth, &t, "unknown");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.hits(), 1, "unknown kids must not hammer the JWKS");
}

#[tokio::test]
async fn jwks_is_refreshed_periodically_and_survives_failures() {
    let rsa1 = rsa_key(RSA1_PRIVATE);
    let rsa2 = rsa_key(RSA2_PRIVATE);
    let server = JwksServer::start(jwks(&[jwk(&rsa1, Algorithm::RS256, "k1", true)])).await;
    let mut config = jwks_config(&server.url);
    config.jwks_refresh_interval = Duration::from_millis(100);
    config.jwks_min_refresh_interval = Duration::from_secs(3600);
    let auth = JwtAuth::start(config).await.unwrap();
    let t1 = mint(Algorithm::RS256, &rsa1, Some("k1"), &claims(json!({})));

    // A failing endpoint keeps the previous keys.
    for (status, body) in [
        (500, "oops".to_owned()),
        (200, "not json".to_owned()),
        (200, jwks(&[]).to_string()),
    ] {
        server.set(status, body);
        let hits = server.hits();
        assert!(eventually(|| server.hits() > hits).await);
        assert_eq!(
            auth.authenticate(&bearer(&t1)),
            Ok(Some(jwt_principal("alice")))
        );
    }

    // Rotation is picked up by the periodic refresh alone (unknown-kid refreshes are
    // rate-limited to once an hour here). Failed fetches are retried after at most the
    // refresh interval.
    server.set(
        200,
        jwks(&[jwk(&rsa2, Algorithm::RS256, "k2", true)]).to_string(),
    );
    let t2 = mint(Algorithm::RS256, &rsa2, Some("k2"), &claims(json!({})));
    assert!(
        eventually(|| auth.authenticate(&bearer(&t2)) == Ok(Some(jwt_principal("alice")))).await,
        "the periodic refresh never picked up the new key"
    );
    refused(&auth, &t1, "unknown");

    // The refresher stops with the last clone.
    let clone = auth.clone();
    drop(auth);
    assert_eq!(
        clone.authenticate(&bearer(&t2)),
        Ok(Some(jwt_principal("alice")))
    );
    drop(clone);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let hits = server.hits();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(server.hits(), hits, "the refresher outlived its JwtAuth");
}

#[tokio::test]
async fn jwks_that_cannot_be_loaded_fail_the_start() {
    let start_err = |url: String| async move {
        match JwtAuth::start(jwks_config(&url)).await {
            Err(e @ JwtSetupError::Jwks { .. }) => e.to_string(),
            other => panic!("expected a JWKS error, got {other:?}"),
        }
    };
    // Nothing listening.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let e = start_err(format!("http://{addr}/jwks.json")).await;
    assert!(e.contains("request failed"), "{e}");

    let server = JwksServer::start(json!({})).await;
    server.set(404, "no");
    let e = start_err(server.url.clone()).await;
    assert!(e.contains("404"), "{e}");
    server.set(200, "<html>");
    let e = start_err(server.url.clone()).await;
    assert!(e.contains("not a JWKS"), "{e}");
    server.set(200, jwks(&[]).to_string());
    let e = start_err(server.url.clone()).await;
    assert!(e.contains("no usable signing key"), "{e}");
    // Symmetric and encryption keys are not usable.
    server.set(
        200,
        jwks(&[json!({"kty": "oct", "kid": "s", "k": "c2VjcmV0"}), {
            let mut k = jwk(&rsa_key(RSA1_PRIVATE), Algorithm::RS256, "e", false);
            k["use"] = json!("enc");
            k
        }])
        .to_string(),
    );
    let e = start_err(server.url.clone()).await;
    assert!(e.contains("no usable signing key"), "{e}");
    assert!(e.contains(&server.url), "{e}");
    // Unusable keys next to a usable one are skipped.
    server.set(
        200,
        jwks(&[
            json!({"kty": "oct", "kid": "s", "k": "c2VjcmV0"}),
            json!({"kty": "weird"}),
            jwk(&rsa_key(RSA1_PRIVATE), Algorithm::RS256, "k1", false),
        ])
        .to_string(),
    );
    let auth = JwtAuth::start(jwks_config(&server.url)).await.unwrap();
    assert_eq!(auth.key_count(), 1);
}

// ---- CompositeAuth ----------------------------------------------------------------------

fn api_keys() -> ApiKeyAuth {
    let mut auth = ApiKeyAuth::anonymous_only();
    auth.anonymous = false;
    auth.keys.insert(hash_key("s3cret-key"), "bob".into());
    auth
}

#[test]
fn composite_routes_bearer_values_by_shape() {
    for auth in [
        CompositeAuth::new(false)
            .with_api_keys(api_keys())
            .with_jwt(hs_auth()),
        CompositeAuth::new(false)
            .with_jwt(hs_auth())
            .with_api_keys(api_keys()),
    ] {
        assert_eq!(auth.len(), 2);
        let jwt = hs(&claims(json!({})));
        assert_eq!(
            auth.authenticate(&bearer(&jwt)),
            Ok(Some(jwt_principal("alice")))
        );
        // A bad JWT gets the JWT error, not "Invalid API key".
        refused(&auth, &hs(&claims(json!({"exp": now() - 300}))), "expired");
        // A non-JWT bearer value is an API key.
        assert_eq!(
            auth.authenticate(&bearer("s3cret-key")),
            Ok(Some(Principal::ApiKey("bob".into())))
        );
        refused(&auth, "wrong-key", "Invalid API key");
        // X-API-Key is seen whatever the bearer.
        let mut h = HeaderMap::new();
        h.insert("x-api-key", "s3cret-key".parse().unwrap());
        assert_eq!(
            auth.authenticate(&h),
            Ok(Some(Principal::ApiKey("bob".into())))
        );
        h.insert("x-api-key", "nope".parse().unwrap());
        assert_eq!(auth.authenticate(&h), Err("Invalid API key".into()));
        // Nothing presented.
        assert_eq!(auth.authenticate(&HeaderMap::new()), Ok(None));
        assert!(!auth.allows_anonymous());
    }
    let auth = CompositeAuth::new(true)
        .with_jwt(hs_auth())
        .with_api_keys(api_keys());
    assert!(auth.allows_anonymous());
    assert_eq!(
        auth.challenge(),
        r#"Bearer realm="a2a-gateway", ApiKey header="x-api-key""#
    );
    let auth = CompositeAuth::new(true)
        .with_api_keys(api_keys())
        .with_jwt(hs_auth());
    assert_eq!(
        auth.challenge(),
        r#"ApiKey header="x-api-key", Bearer realm="a2a-gateway""#
    );
}

#[test]
fn composite_first_success_wins_then_first_error() {
    // Two issuers: the second accepts what the first refuses.
    let other = JwtConfig::new(
        "https://other.test/",
        AUD,
        JwtKeySource::Secret(SECRET.to_vec()),
    );
    let auth = CompositeAuth::new(false)
        .with_jwt(hs_auth())
        .with_jwt(JwtAuth::new(&other).unwrap());
    let token = hs(&claims(json!({"iss": "https://other.test/"})));
    assert_eq!(
        auth.authenticate(&bearer(&token)),
        Ok(Some(Principal::Jwt {
            issuer: "https://other.test/".into(),
            subject: "alice".into(),
            roles: Vec::new(),
        }))
    );
    // Both refuse: the first refusal is reported.
    refused(
        &auth,
        &hs(&claims(json!({"iss": "https://third.test/"}))),
        "issuer",
    );
    // A valid X-API-Key beside an invalid JWT: the first success wins.
    let auth = CompositeAuth::new(false)
        .with_jwt(hs_auth())
        .with_api_keys(api_keys());
    let mut h = bearer(&hs(&claims(json!({"aud": "nope"}))));
    h.insert("x-api-key", "s3cret-key".parse().unwrap());
    assert_eq!(
        auth.authenticate(&h),
        Ok(Some(Principal::ApiKey("bob".into())))
    );
}

#[test]
fn jwt_shape_detection() {
    assert!(looks_like_jwt(&hs(&claims(json!({})))));
    assert!(looks_like_jwt("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0."));
    for not in [
        "s3cret-key",
        "a.b.c",
        "eyJ.eyJ",
        "eyJ.eyJ.c.d",
        "eyJ..c",
        "eyJ.e+J.c",
        "eyJ.eyJ.c=",
        "",
    ] {
        assert!(!looks_like_jwt(not), "{not:?}");
    }
}

/// Owners are kind-qualified: a JWT whose `sub` is `anonymous`, or the name of an API
/// key's principal, is a different caller from the anonymous one or that key's holder,
/// and cannot get, list, cancel or subscribe to their tasks (each sees TaskNotFound, as
/// for a task that does not exist). Each caller still reaches its own.
#[tokio::test]
async fn a_jwt_sub_naming_another_kind_of_caller_is_not_that_caller() {
    use crate::support::{json_of, send_request, server};
    let srv = server()
        .api_key("alice-key", "alice")
        .anonymous(true)
        .jwt(JwtConfig::new(
            ISS,
            AUD,
            JwtKeySource::Secret(SECRET.to_vec()),
        ))
        .start()
        .await;
    let send = |req: reqwest::RequestBuilder| async move {
        let (status, body) = json_of(req.send().await.unwrap()).await;
        assert_eq!(status, 200, "{body}");
        body["task"]["id"].as_str().unwrap().to_owned()
    };
    let anonymous_task = send(srv.post_json("/message:send", &send_request("hello"))).await;
    let alice_task = send(
        srv.post_json("/message:send", &send_request("hello"))
            .header("x-api-key", "alice-key"),
    )
    .await;
    let token_for = |sub: &str| format!("Bearer {}", hs(&claims(json!({"sub": sub}))));
    let jwt_task = send(
        srv.post_json("/message:send", &send_request("hello"))
            .header("authorization", token_for("alice")),
    )
    .await;

    // Who asks, and which task ids they must not reach.
    let cases = [
        (
            Some(token_for("anonymous")),
            &anonymous_task,
            "a JWT with sub=anonymous",
        ),
        (
            Some(token_for("alice")),
            &alice_task,
            "a JWT with sub=<an API key's name>",
        ),
        (None, &jwt_task, "an anonymous caller"),
    ];
    for (token, task, who) in cases {
        let with = |req: reqwest::RequestBuilder| match &token {
            Some(t) => req.header("authorization", t),
            None => req,
        };
        let (status, body) = json_of(
            with(srv.get(&format!("/tasks/{task}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 404, "{who} got another caller's task: {body}");
        assert_eq!(
            body["error"]["details"][0]["reason"], "TASK_NOT_FOUND",
            "{body}"
        );
        let (status, body) = json_of(
            with(srv.post_json(&format!("/tasks/{task}:cancel"), &json!({})))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 404, "{who} cancelled another caller's task: {body}");
        let (status, body) = json_of(with(srv.get("/tasks")).send().await.unwrap()).await;
        assert_eq!(status, 200, "{body}");
        let ids: Vec<&str> = body["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["id"].as_str())
            .collect();
        assert!(
            !ids.contains(&task.as_str()),
            "{who} listed another caller's task: {ids:?}"
        );
        let resp = with(srv.get(&format!("/tasks/{task}:subscribe")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            404,
            "{who} subscribed to another caller's task"
        );
    }

    // Each caller still reaches its own task.
    for (header, value, task) in [
        (None, String::new(), &anonymous_task),
        (Some("x-api-key"), "alice-key".to_owned(), &alice_task),
        (Some("authorization"), token_for("alice"), &jwt_task),
    ] {
        let mut req = srv.get(&format!("/tasks/{task}"));
        if let Some(h) = header {
            req = req.header(h, value);
        }
        let (status, body) = json_of(req.send().await.unwrap()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["id"], task.as_str());
    }
}
