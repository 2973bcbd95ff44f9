//! JWT bearer tokens (`Authorization: Bearer <JWT>`).
//!
//! A token is accepted when its signature verifies with a configured key, its `iss` is the
//! configured issuer, its `aud` contains one of the configured audiences, and it is within
//! its `exp`/`nbf` window (give or take a small leeway). `exp`, `iss` and `aud` are
//! required; `nbf` is checked when present; `crit` headers are refused.
//!
//! **Principal**: [`Principal::Jwt`] with the issuer and the value of a configured claim
//! (default `sub`): its owner form `jwt:<issuer>|<value>` never equals an API key's or
//! the anonymous caller's, nor another issuer's.
//!
//! **Keys** ([`JwtKeySource`]): an HMAC secret (HS256/384/512), one public key in PEM
//! (RSA → RS*/PS*, EC P-256 → ES256, P-384 → ES384, Ed25519 → EdDSA), or a JWKS URL. A
//! JWKS is fetched by [`JwtAuth::start`] (which fails when it cannot be), then again in the
//! background every [`JwtConfig::jwks_refresh_interval`] and when a token names an
//! unknown `kid` (at most once per [`JwtConfig::jwks_min_refresh_interval`]). Because
//! [`Authenticator::authenticate`] is synchronous, a token with a `kid` not yet known is
//! refused (and the refresh started); once the refresh has landed the same token is
//! accepted. Symmetric (`oct`) and encryption (`use: enc`) keys in a JWKS are ignored; a
//! JWK's `alg`, when given, is the only algorithm accepted with it.
//!
//! Errors are short messages for the client and never contain the token; tokens are never
//! logged.

use super::{Authenticator, Principal};
use axum::http::{HeaderMap, header};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Where the verification keys come from.
#[derive(Clone)]
pub enum JwtKeySource {
    /// An HMAC shared secret (raw bytes): HS256, HS384, HS512.
    Secret(Vec<u8>),
    /// One public key in PEM (`PUBLIC KEY`, or `RSA PUBLIC KEY`): RSA (RS256/384/512,
    /// PS256/384/512), EC P-256 (ES256) or P-384 (ES384), Ed25519 (EdDSA).
    PublicKeyPem(String),
    /// A JWKS document (`{"keys": [...]}`) at this URL, fetched at start and refreshed.
    JwksUrl(String),
}

impl fmt::Debug for JwtKeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtKeySource::Secret(_) => f.write_str("Secret([redacted])"),
            JwtKeySource::PublicKeyPem(_) => f.write_str("PublicKeyPem(..)"),
            JwtKeySource::JwksUrl(url) => f.debug_tuple("JwksUrl").field(url).finish(),
        }
    }
}

/// Settings of [`JwtAuth`]. Make one with [`JwtConfig::new`], then change fields.
#[derive(Clone, Debug)]
pub struct JwtConfig {
    /// The `iss` tokens must carry (exact match). Required.
    pub issuer: String,
    /// Accepted audiences: the token's `aud` must contain one of them. At least one.
    pub audiences: Vec<String>,
    /// The verification keys.
    pub keys: JwtKeySource,
    /// The claim whose value is the principal (string or number). Default `sub`.
    pub principal_claim: String,
    /// The claim listing the caller's roles (an array of strings, or one string of
    /// space-separated values as OAuth's `scope`), checked against agents' `role:` grants.
    /// Empty (the default): no roles are read.
    pub roles_claim: String,
    /// Clock skew tolerated on `exp` and `nbf` (whole seconds). Default 30 s.
    pub leeway: Duration,
    /// JWKS only: refresh period (at least 100 ms). Default 10 min.
    pub jwks_refresh_interval: Duration,
    /// JWKS only: least time between two fetches caused by unknown `kid`s; also the retry
    /// delay after a failed fetch (then at least 1 s, at most the refresh interval).
    /// Default 30 s.
    pub jwks_min_refresh_interval: Duration,
    /// JWKS only: timeout of one fetch. Default 10 s.
    pub jwks_timeout: Duration,
    /// `realm` of the `WWW-Authenticate: Bearer` challenge. Default `a2a-gateway`.
    pub realm: String,
    /// Serve requests without a bearer token as `anonymous`. Default false.
    pub anonymous: bool,
}

impl JwtConfig {
    /// A config with the defaults listed on the fields.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>, keys: JwtKeySource) -> Self {
        JwtConfig {
            issuer: issuer.into(),
            audiences: vec![audience.into()],
            keys,
            principal_claim: "sub".into(),
            roles_claim: String::new(),
            leeway: Duration::from_secs(30),
            jwks_refresh_interval: Duration::from_secs(600),
            jwks_min_refresh_interval: Duration::from_secs(30),
            jwks_timeout: Duration::from_secs(10),
            realm: "a2a-gateway".into(),
            anonymous: false,
        }
    }
}

/// Why a [`JwtAuth`] could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum JwtSetupError {
    /// A setting is missing or inconsistent.
    #[error("invalid JWT auth configuration: {0}")]
    Config(String),
    /// The configured key cannot be used.
    #[error("invalid JWT key: {0}")]
    Key(String),
    /// The JWKS could not be fetched or holds no usable key.
    #[error("cannot load the JWKS from {url}: {reason}")]
    Jwks {
        /// The JWKS URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
}

/// One verification key, with the validation (its algorithms) it is used with.
struct Key {
    kid: Option<String>,
    validation: Validation,
    key: DecodingKey,
}

#[derive(Default)]
struct KeySet {
    keys: Vec<Key>,
}

type SharedKeys = Arc<RwLock<Arc<KeySet>>>;

/// Validates `Authorization: Bearer <JWT>`: see the module documentation of `auth/jwt.rs`.
#[derive(Clone)]
pub struct JwtAuth {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    audiences: Vec<String>,
    principal_claim: String,
    roles_claim: String,
    realm: String,
    anonymous: bool,
    keys: SharedKeys,
    /// JWKS only: the URL, and wakes the refresher on an unknown `kid`. Dropping the last
    /// [`JwtAuth`] closes the channel, which ends the refresher.
    jwks: Option<(String, mpsc::Sender<()>)>,
}

impl fmt::Debug for JwtAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = self.current_keys().keys.len();
        f.debug_struct("JwtAuth")
            .field("issuer", &self.inner.issuer)
            .field("audiences", &self.inner.audiences)
            .field("principal_claim", &self.inner.principal_claim)
            .field("roles_claim", &self.inner.roles_claim)
            .field("jwks_url", &self.inner.jwks.as_ref().map(|(url, _)| url))
            .field("keys", &keys)
            .finish_non_exhaustive()
    }
}

/// A token refused, with the message the client gets.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rejection {
    Malformed,
    Expired,
    NotYetValid,
    WrongAudience,
    WrongIssuer,
    BadSignature,
    Algorithm,
    UnknownKey,
    MissingClaim(&'static str),
    BadClaim(&'static str),
    MissingPrincipal(String),
    Critical,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Invalid bearer token: ")?;
        match self {
            Rejection::Malformed => f.write_str("not a well-formed JWT"),
            Rejection::Expired => f.write_str("the JWT has expired"),
            Rejection::NotYetValid => f.write_str("the JWT is not valid yet (nbf)"),
            Rejection::WrongAudience => f.write_str("the JWT audience (aud) is not accepted"),
            Rejection::WrongIssuer => f.write_str("the JWT issuer (iss) is not accepted"),
            Rejection::BadSignature => f.write_str("the JWT signature is invalid"),
            Rejection::Algorithm => f.write_str("the JWT signing algorithm is not accepted"),
            Rejection::UnknownKey => f.write_str("the JWT signing key (kid) is unknown"),
            Rejection::MissingClaim(c) => write!(f, "the JWT has no `{c}` claim"),
            Rejection::BadClaim(c) => write!(f, "the JWT `{c}` claim is malformed"),
            Rejection::MissingPrincipal(c) => {
                write!(f, "the JWT has no usable `{c}` claim (string or number)")
            }
            Rejection::Critical => f.write_str("the JWT has unsupported critical headers (crit)"),
        }
    }
}

/// A claim name from the fixed set `jsonwebtoken` validates, so messages never echo
/// token content.
fn spec_claim(name: &str) -> &'static str {
    match name {
        "exp" => "exp",
        "nbf" => "nbf",
        "iat" => "iat",
        "iss" => "iss",
        "aud" => "aud",
        "sub" => "sub",
        _ => "registered",
    }
}

fn rejection(err: &jsonwebtoken::errors::Error) -> Rejection {
    match err.kind() {
        ErrorKind::ExpiredSignature => Rejection::Expired,
        ErrorKind::ImmatureSignature => Rejection::NotYetValid,
        ErrorKind::InvalidAudience => Rejection::WrongAudience,
        ErrorKind::InvalidIssuer => Rejection::WrongIssuer,
        ErrorKind::InvalidSignature => Rejection::BadSignature,
        ErrorKind::InvalidAlgorithm
        | ErrorKind::UnsupportedAlgorithm
        | ErrorKind::InvalidAlgorithmName
        | ErrorKind::MissingAlgorithm
        | ErrorKind::InvalidKeyFormat
        | ErrorKind::InvalidEcdsaKey
        | ErrorKind::InvalidEddsaKey
        | ErrorKind::InvalidRsaKey(_) => Rejection::Algorithm,
        ErrorKind::MissingRequiredClaim(c) => Rejection::MissingClaim(spec_claim(c)),
        ErrorKind::InvalidClaimFormat(c) => Rejection::BadClaim(spec_claim(c)),
        _ => Rejection::Malformed,
    }
}

/// Whether a bearer credential has the shape of a compact JWS: three `.`-separated
/// base64url segments, the first two non-empty, the first (a JSON object) starting with
/// `e` (base64 of `{`). [`super::CompositeAuth`] routes such bearer values to JWT
/// authenticators and all others to API-key authenticators.
pub fn looks_like_jwt(value: &str) -> bool {
    let b64url = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let mut parts = value.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(p), Some(s), None) => {
            h.starts_with('e') && !p.is_empty() && b64url(h) && b64url(p) && b64url(s)
        }
        _ => false,
    }
}

/// The credential of `Authorization: Bearer <value>` (scheme case-insensitive), trimmed:
/// `None` without a bearer credential, `Some(Err(()))` when it is not visible ASCII.
pub(crate) fn bearer_value(headers: &HeaderMap) -> Option<Result<&str, ()>> {
    let value = headers.get(header::AUTHORIZATION)?.as_bytes().trim_ascii();
    let (scheme, rest) = value.split_at(value.iter().position(|&b| b == b' ')?);
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return None;
    }
    let rest = rest.trim_ascii();
    if rest.is_empty() {
        return None;
    }
    Some(
        std::str::from_utf8(rest)
            .map_err(|_| ())
            .and_then(|s| if s.is_ascii() { Ok(s) } else { Err(()) }),
    )
}

impl Key {
    fn new(
        kid: Option<String>,
        key: DecodingKey,
        algorithms: &[Algorithm],
        base: &Validation,
    ) -> Self {
        let mut validation = base.clone();
        validation.algorithms = algorithms.to_vec();
        Key {
            kid,
            validation,
            key,
        }
    }
}

/// The checks every token gets, whatever the key.
fn base_validation(config: &JwtConfig) -> Validation {
    let mut v = Validation::new(Algorithm::HS256);
    v.leeway = config.leeway.as_secs();
    v.validate_exp = true;
    v.validate_nbf = true;
    v.validate_aud = true;
    v.set_issuer(&[&config.issuer]);
    let audiences: Vec<&str> = config
        .audiences
        .iter()
        .map(String::as_str)
        .filter(|a| !a.trim().is_empty())
        .collect();
    v.set_audience(&audiences);
    v.set_required_spec_claims(&["exp", "iss", "aud"]);
    v
}

fn check_config(config: &JwtConfig) -> Result<(), JwtSetupError> {
    if config.issuer.trim().is_empty() {
        return Err(JwtSetupError::Config("the issuer is empty".into()));
    }
    if config.audiences.iter().all(|a| a.trim().is_empty()) {
        return Err(JwtSetupError::Config(
            "at least one audience is required".into(),
        ));
    }
    if config.principal_claim.trim().is_empty() {
        return Err(JwtSetupError::Config("the principal claim is empty".into()));
    }
    if let JwtKeySource::JwksUrl(url) = &config.keys
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(JwtSetupError::Config(format!(
            "the JWKS URL `{url}` is not an http(s) URL"
        )));
    }
    Ok(())
}

const RSA_ALGORITHMS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

/// A static public key from PEM; the algorithms follow from the key type.
fn key_from_pem(pem: &str, base: &Validation) -> Result<Key, JwtSetupError> {
    if pem.contains("PRIVATE KEY") {
        return Err(JwtSetupError::Key(
            "a private key was given; configure the public key (`openssl pkey -pubout`)".into(),
        ));
    }
    let bytes = pem.as_bytes();
    if let Ok(key) = DecodingKey::from_rsa_pem(bytes) {
        return Ok(Key::new(None, key, RSA_ALGORITHMS, base));
    }
    if let Ok(key) = DecodingKey::from_ec_pem(bytes) {
        // The uncompressed point: 65 bytes on P-256, 97 on P-384.
        let alg = match key.try_get_as_bytes().map(<[u8]>::len) {
            Ok(65) => Algorithm::ES256,
            Ok(97) => Algorithm::ES384,
            _ => {
                return Err(JwtSetupError::Key(
                    "only P-256 (ES256) and P-384 (ES384) EC keys are supported".into(),
                ));
            }
        };
        return Ok(Key::new(None, key, &[alg], base));
    }
    if let Ok(key) = DecodingKey::from_ed_pem(bytes) {
        return Ok(Key::new(None, key, &[Algorithm::EdDSA], base));
    }
    Err(JwtSetupError::Key(
        "not a PEM public key of a supported type (RSA, EC P-256/P-384, Ed25519)".into(),
    ))
}

/// A verification key from a JWK, or `None` when it is not a usable signing key.
fn key_from_jwk(jwk: &Jwk, base: &Validation) -> Option<Key> {
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return None;
    }
    let family: &[Algorithm] = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => RSA_ALGORITHMS,
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => &[Algorithm::ES256],
            EllipticCurve::P384 => &[Algorithm::ES384],
            _ => return None,
        },
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            &[Algorithm::EdDSA]
        }
        // Symmetric keys do not belong in a published key set.
        _ => return None,
    };
    let algorithms = match jwk.common.key_algorithm {
        None => family.to_vec(),
        Some(ka) => {
            let alg = Algorithm::try_from(ka).ok()?;
            if !family.contains(&alg) {
                return None;
            }
            vec![alg]
        }
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(Key::new(jwk.common.key_id.clone(), key, &algorithms, base))
}

/// Parses a JWKS document, keeping the usable signing keys (unusable ones are skipped).
fn parse_jwks(body: &[u8], base: &Validation) -> Result<KeySet, String> {
    #[derive(serde::Deserialize)]
    struct RawJwks {
        keys: Vec<Value>,
    }
    let raw: RawJwks =
        serde_json::from_slice(body).map_err(|e| format!("not a JWKS document: {e}"))?;
    let total = raw.keys.len();
    let keys: Vec<Key> = raw
        .keys
        .into_iter()
        .filter_map(|v| serde_json::from_value::<Jwk>(v).ok())
        .filter_map(|jwk| key_from_jwk(&jwk, base))
        .collect();
    if keys.len() < total {
        tracing::debug!(
            skipped = total - keys.len(),
            "JWKS keys skipped (not usable signing keys)"
        );
    }
    if keys.is_empty() {
        return Err(format!(
            "no usable signing key among its {total} keys (RSA, EC P-256/P-384, Ed25519)"
        ));
    }
    Ok(KeySet { keys })
}

async fn fetch_jwks(
    client: &reqwest::Client,
    url: &str,
    base: &Validation,
) -> Result<KeySet, String> {
    let resp = client
        .get(url)
        .header(header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(format!("HTTP status {status}"));
    }
    let body = resp
        .bytes()
        .await
        .map_err(|e| format!("reading the body failed: {e}"))?;
    parse_jwks(&body, base)
}

/// The background JWKS refresher's state.
struct Refresher {
    client: reqwest::Client,
    url: String,
    base: Validation,
    keys: SharedKeys,
    rx: mpsc::Receiver<()>,
    interval: Duration,
    min_interval: Duration,
}

/// Refetches the JWKS every `interval` (after a failure: `min_interval` but at least 1 s,
/// and at most `interval`) and on request (an unknown `kid`), never twice within
/// `min_interval` for a request. Ends when every sender (every [`JwtAuth`]) is gone.
async fn refresh_loop(mut r: Refresher) {
    r.interval = r.interval.max(Duration::from_millis(100));
    let retry = r.min_interval.max(Duration::from_secs(1)).min(r.interval);
    let mut last = Instant::now();
    let mut last_ok = true;
    let mut pending = false;
    loop {
        let periodic = last + if last_ok { r.interval } else { retry };
        let deadline = if pending {
            periodic.min(last + r.min_interval)
        } else {
            periodic
        };
        tokio::select! {
            msg = r.rx.recv() => match msg {
                None => return,
                Some(()) if Instant::now() < last + r.min_interval => {
                    pending = true;
                    continue;
                }
                Some(()) => {}
            },
            () = tokio::time::sleep_until(deadline) => {}
        }
        last = Instant::now();
        pending = false;
        match fetch_jwks(&r.client, &r.url, &r.base).await {
            Ok(set) => {
                tracing::debug!(jwks_url = %r.url, keys = set.keys.len(), "JWKS refreshed");
                *r.keys
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(set);
                last_ok = true;
            }
            Err(reason) => {
                tracing::warn!(jwks_url = %r.url, %reason, "JWKS refresh failed; keeping the previous keys");
                last_ok = false;
            }
        }
        // Requests made while fetching are answered by this fetch.
        while r.rx.try_recv().is_ok() {}
    }
}

impl JwtAuth {
    /// Sets up JWT auth. For a JWKS URL, fetches it (failing when that is impossible or it
    /// holds no usable key) and starts the background refresher on the current tokio
    /// runtime; it stops when the last clone of the returned value is dropped.
    pub async fn start(config: JwtConfig) -> Result<Self, JwtSetupError> {
        let JwtKeySource::JwksUrl(url) = &config.keys else {
            return Self::new(&config);
        };
        check_config(&config)?;
        let base = base_validation(&config);
        let jwks_err = |reason: String| JwtSetupError::Jwks {
            url: url.clone(),
            reason,
        };
        let client = reqwest::Client::builder()
            .timeout(config.jwks_timeout)
            .build()
            .map_err(|e| jwks_err(format!("cannot build the HTTP client: {e}")))?;
        if url.starts_with("http://") {
            tracing::warn!(jwks_url = %url, "the JWKS is fetched over plain HTTP: use HTTPS outside tests");
        }
        install_crypto_provider();
        let set = fetch_jwks(&client, url, &base).await.map_err(jwks_err)?;
        tracing::info!(jwks_url = %url, keys = set.keys.len(), "JWKS loaded");
        let keys: SharedKeys = Arc::new(RwLock::new(Arc::new(set)));
        let (tx, rx) = mpsc::channel(1);
        tokio::spawn(refresh_loop(Refresher {
            client,
            url: url.clone(),
            base,
            keys: Arc::clone(&keys),
            rx,
            interval: config.jwks_refresh_interval,
            min_interval: config.jwks_min_refresh_interval,
        }));
        Ok(Self::from_parts(&config, keys, Some((url.clone(), tx))))
    }

    /// Sets up JWT auth with a static key ([`JwtKeySource::Secret`] or
    /// [`JwtKeySource::PublicKeyPem`]); a JWKS URL needs [`JwtAuth::start`].
    pub fn new(config: &JwtConfig) -> Result<Self, JwtSetupError> {
        check_config(config)?;
        install_crypto_provider();
        let base = base_validation(config);
        let key = match &config.keys {
            JwtKeySource::Secret(secret) => {
                if secret.is_empty() {
                    return Err(JwtSetupError::Key("the HMAC secret is empty".into()));
                }
                Key::new(
                    None,
                    DecodingKey::from_secret(secret),
                    &[Algorithm::HS256, Algorithm::HS384, Algorithm::HS512],
                    &base,
                )
            }
            JwtKeySource::PublicKeyPem(pem) => key_from_pem(pem, &base)?,
            JwtKeySource::JwksUrl(_) => {
                return Err(JwtSetupError::Config(
                    "a JWKS URL is loaded by `JwtAuth::start`".into(),
                ));
            }
        };
        let keys = Arc::new(RwLock::new(Arc::new(KeySet { keys: vec![key] })));
        Ok(Self::from_parts(config, keys, None))
    }

    fn from_parts(
        config: &JwtConfig,
        keys: SharedKeys,
        jwks: Option<(String, mpsc::Sender<()>)>,
    ) -> Self {
        JwtAuth {
            inner: Arc::new(Inner {
                issuer: config.issuer.clone(),
                audiences: config.audiences.clone(),
                principal_claim: config.principal_claim.clone(),
                roles_claim: config.roles_claim.trim().to_owned(),
                realm: config.realm.clone(),
                anonymous: config.anonymous,
                keys,
                jwks,
            }),
        }
    }

    fn current_keys(&self) -> Arc<KeySet> {
        Arc::clone(
            &self
                .inner
                .keys
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// How many verification keys are loaded now.
    pub fn key_count(&self) -> usize {
        self.current_keys().keys.len()
    }

    /// Asks the background refresher for a JWKS fetch (rate-limited; no-op for static keys).
    fn request_refresh(&self) {
        if let Some((_, tx)) = &self.inner.jwks {
            // Full: a refresh is already asked for. Closed: cannot happen while we live.
            let _ = tx.try_send(());
        }
    }

    /// Validates a token (without the `Bearer ` prefix) and returns its principal, or the
    /// message for the client.
    pub fn verify(&self, token: &str) -> Result<Principal, String> {
        self.verify_inner(token).map_err(|r| {
            tracing::debug!(reason = %r, "JWT refused");
            r.to_string()
        })
    }

    fn verify_inner(&self, token: &str) -> Result<Principal, Rejection> {
        if !looks_like_jwt(token) {
            return Err(Rejection::Malformed);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| Rejection::Malformed)?;
        if header.crit.is_some() {
            return Err(Rejection::Critical);
        }
        let set = self.current_keys();
        let claims = if self.inner.jwks.is_some()
            && let Some(kid) = header.kid.as_deref()
        {
            let Some(key) = set.keys.iter().find(|k| k.kid.as_deref() == Some(kid)) else {
                self.request_refresh();
                return Err(Rejection::UnknownKey);
            };
            decode(token, key, header.alg)?
        } else {
            // A static key, or a JWKS token without `kid`: every key of the algorithm.
            let mut candidates = set
                .keys
                .iter()
                .filter(|k| k.validation.algorithms.contains(&header.alg))
                .peekable();
            if candidates.peek().is_none() {
                return Err(Rejection::Algorithm);
            }
            let mut result = Err(Rejection::BadSignature);
            for key in candidates {
                result = decode(token, key, header.alg);
                match &result {
                    Err(Rejection::BadSignature | Rejection::Algorithm) => continue,
                    _ => break,
                }
            }
            result?
        };
        let claim = self.inner.principal_claim.as_str();
        let value = match claims.get(claim) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(Rejection::MissingPrincipal(claim.to_owned())),
        };
        let roles = match self.inner.roles_claim.as_str() {
            "" => Vec::new(),
            name => roles_of(claims.get(name)),
        };
        Ok(Principal::Jwt {
            issuer: self.inner.issuer.clone(),
            subject: value,
            roles,
        })
    }
}

/// The roles a roles claim holds: the strings of an array, or the space-separated words
/// of a string; anything else holds none (at most 64 roles are read).
fn roles_of(value: Option<&Value>) -> Vec<String> {
    let roles: Vec<String> = match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    roles
        .into_iter()
        .filter(|r| !r.is_empty())
        .take(64)
        .collect()
}

fn decode(token: &str, key: &Key, alg: Algorithm) -> Result<Map<String, Value>, Rejection> {
    if !key.validation.algorithms.contains(&alg) {
        return Err(Rejection::Algorithm);
    }
    jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &key.validation)
        .map(|data| data.claims)
        .map_err(|e| rejection(&e))
}

/// Selects the aws-lc-rs backend explicitly, so that a second backend feature enabled
/// elsewhere in the build cannot turn verification into a panic. Already installed (by us
/// or anyone) is fine.
fn install_crypto_provider() {
    let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
    );
}

impl Authenticator for JwtAuth {
    fn authenticate(&self, headers: &HeaderMap) -> Result<Option<Principal>, String> {
        match bearer_value(headers) {
            None => Ok(None),
            Some(Ok(token)) => self.verify(token).map(Some),
            Some(Err(())) => Err(Rejection::Malformed.to_string()),
        }
    }

    fn allows_anonymous(&self) -> bool {
        self.inner.anonymous
    }

    fn challenge(&self) -> String {
        format!("Bearer realm=\"{}\"", self.inner.realm)
    }
}
