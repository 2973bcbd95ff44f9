//! Signing keys (private, PEM), their public JWKs, JWKS documents, and the trusted
//! public keys a verifier checks against.

use crate::error::{Error, Result};
use crate::jcs::canonicalize;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// The JWS algorithms this crate signs and verifies with. `none` and the HMAC
/// algorithms (`HS*`) are deliberately absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// Ed25519 (RFC 8037).
    EdDSA,
    /// ECDSA P-256 with SHA-256.
    ES256,
    /// ECDSA P-384 with SHA-384.
    ES384,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PSS with SHA-256 (verification of others' cards; an RSA signing key signs RS256).
    PS256,
}

impl SignatureAlgorithm {
    /// All algorithms, the verification allowlist.
    pub const ALL: [Self; 5] = [
        Self::EdDSA,
        Self::ES256,
        Self::ES384,
        Self::RS256,
        Self::PS256,
    ];

    /// The JOSE name (`"EdDSA"`, `"ES256"`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EdDSA => "EdDSA",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::RS256 => "RS256",
            Self::PS256 => "PS256",
        }
    }

    /// Parses a JOSE `alg` value; `None` for anything outside the allowlist.
    #[must_use]
    pub fn from_jose(alg: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == alg)
    }

    pub(crate) fn jwt(self) -> jsonwebtoken::Algorithm {
        match self {
            Self::EdDSA => jsonwebtoken::Algorithm::EdDSA,
            Self::ES256 => jsonwebtoken::Algorithm::ES256,
            Self::ES384 => jsonwebtoken::Algorithm::ES384,
            Self::RS256 => jsonwebtoken::Algorithm::RS256,
            Self::PS256 => jsonwebtoken::Algorithm::PS256,
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of a public key, which fixes the algorithms it may verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Ed25519,
    P256,
    P384,
    Rsa,
}

impl KeyKind {
    pub(crate) fn fits(self, alg: SignatureAlgorithm) -> bool {
        use SignatureAlgorithm as A;
        matches!(
            (self, alg),
            (Self::Ed25519, A::EdDSA)
                | (Self::P256, A::ES256)
                | (Self::P384, A::ES384)
                | (Self::Rsa, A::RS256 | A::PS256)
        )
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Ed25519 => "Ed25519",
            Self::P256 => "EC P-256",
            Self::P384 => "EC P-384",
            Self::Rsa => "RSA",
        }
    }
}

/// Makes sure jsonwebtoken has its process-wide crypto provider (aws-lc-rs) before any
/// use, so that it never panics for want of one. Installing fails harmlessly when a
/// provider is already there.
fn ensure_provider() {
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
}

/// The label of the first PEM block (`PRIVATE KEY`, `EC PRIVATE KEY`, …).
fn pem_label(pem: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(pem).ok()?;
    let start = text.find("-----BEGIN ")? + "-----BEGIN ".len();
    let rest = &text[start..];
    let end = rest.find("-----")?;
    Some(rest[..end].trim().to_owned())
}

/// The public members of a JWK (RFC 7517) and its kind, from jsonwebtoken's `Jwk`.
fn public_members(jwk: &Jwk, what: &str) -> Result<(KeyKind, Value)> {
    let unsupported = |reason: &str| Error::UnsupportedKey {
        what: what.to_owned(),
        reason: reason.to_owned(),
    };
    match &jwk.algorithm {
        AlgorithmParameters::OctetKeyPair(p) => match p.curve {
            EllipticCurve::Ed25519 => Ok((
                KeyKind::Ed25519,
                json!({"kty": "OKP", "crv": "Ed25519", "x": p.x}),
            )),
            _ => Err(unsupported("an OKP key on a curve other than Ed25519")),
        },
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => Ok((
                KeyKind::P256,
                json!({"kty": "EC", "crv": "P-256", "x": p.x, "y": p.y}),
            )),
            EllipticCurve::P384 => Ok((
                KeyKind::P384,
                json!({"kty": "EC", "crv": "P-384", "x": p.x, "y": p.y}),
            )),
            _ => Err(unsupported("EC keys must be on P-256 or P-384")),
        },
        AlgorithmParameters::RSA(p) => {
            Ok((KeyKind::Rsa, json!({"kty": "RSA", "n": p.n, "e": p.e})))
        }
        AlgorithmParameters::OctetKey(_) => Err(unsupported(
            "a symmetric (oct) key: card signatures are asymmetric only",
        )),
        _ => Err(unsupported("an unknown key type")),
    }
}

/// The RFC 7638 JWK thumbprint (SHA-256 over the canonical required members).
fn thumbprint(members: &Value) -> Result<[u8; 32]> {
    let canonical = canonicalize(members)?;
    Ok(Sha256::digest(canonical.as_bytes()).into())
}

/// The default `kid` of a key: base64url of the first 16 bytes of its RFC 7638
/// SHA-256 JWK thumbprint (22 characters).
fn derived_kid(members: &Value) -> Result<String> {
    let tp = thumbprint(members)?;
    Ok(URL_SAFE_NO_PAD.encode(&tp[..16]))
}

/// A private key that signs cards: the algorithm follows from the key (Ed25519 →
/// EdDSA, EC P-256 → ES256, EC P-384 → ES384, RSA → RS256).
#[derive(Clone)]
pub struct SigningKey {
    alg: SignatureAlgorithm,
    kid: String,
    jku: Option<String>,
    encoding: EncodingKey,
    /// `kty`, `crv`, `x`/`y` or `n`/`e`, in that order.
    public: Value,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("jku", &self.jku)
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Loads an unencrypted PEM private key: PKCS#8 (`PRIVATE KEY`) Ed25519, EC
    /// P-256/P-384 or RSA, or PKCS#1 (`RSA PRIVATE KEY`). `kid` defaults to
    /// the key's derived id (base64url of the first 16 bytes of its RFC 7638
    /// thumbprint).
    ///
    /// # Errors
    /// A clear [`Error`] for anything else: SEC1 `EC PRIVATE KEY` (convert with
    /// `openssl pkcs8 -topk8 -nocrypt`), encrypted keys, public keys, Ed448, P-521,
    /// invalid content.
    pub fn from_pem(pem: &[u8], kid: Option<&str>) -> Result<Self> {
        ensure_provider();
        let what = "signing key";
        let Some(label) = pem_label(pem) else {
            return Err(Error::NotPem { what: what.into() });
        };
        let unsupported = |reason: &str| Error::UnsupportedKey {
            what: what.into(),
            reason: reason.into(),
        };
        let invalid = |source| Error::InvalidKey {
            what: what.into(),
            source,
        };
        let (encoding, alg) = match label.as_str() {
            "PRIVATE KEY" => {
                if let Ok(key) = EncodingKey::from_ed_pem(pem) {
                    (key, SignatureAlgorithm::EdDSA)
                } else if let Ok(key) = EncodingKey::from_ec_pem(pem) {
                    let alg = if Jwk::from_encoding_key(&key, jsonwebtoken::Algorithm::ES256)
                        .is_ok()
                    {
                        SignatureAlgorithm::ES256
                    } else if Jwk::from_encoding_key(&key, jsonwebtoken::Algorithm::ES384).is_ok() {
                        SignatureAlgorithm::ES384
                    } else {
                        return Err(unsupported("an EC key that is not on P-256 or P-384"));
                    };
                    (key, alg)
                } else if let Ok(key) = EncodingKey::from_rsa_pem(pem) {
                    (key, SignatureAlgorithm::RS256)
                } else {
                    return Err(unsupported(
                        "a PKCS#8 key that is not Ed25519, EC P-256/P-384 or RSA (Ed448, X25519 and others are not supported)",
                    ));
                }
            }
            "RSA PRIVATE KEY" => (
                EncodingKey::from_rsa_pem(pem).map_err(invalid)?,
                SignatureAlgorithm::RS256,
            ),
            "EC PRIVATE KEY" => {
                return Err(unsupported(
                    "a SEC1 `EC PRIVATE KEY`; convert it to PKCS#8 with `openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-pkcs8.pem`",
                ));
            }
            "ENCRYPTED PRIVATE KEY" => {
                return Err(unsupported(
                    "an encrypted private key; decrypt it with `openssl pkcs8 -in key.pem -out plain.pem`",
                ));
            }
            "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE" => {
                return Err(unsupported(
                    "a public key or certificate: signing needs the private key",
                ));
            }
            other => return Err(unsupported(&format!("a PEM block labelled {other:?}"))),
        };
        Self::from_encoding_key(encoding, alg, kid)
    }

    /// Loads a PEM private key from a file (see [`from_pem`](Self::from_pem)).
    ///
    /// # Errors
    /// [`Error::KeyFile`] when the file cannot be read, then as `from_pem`.
    pub fn from_pem_file(path: impl AsRef<Path>, kid: Option<&str>) -> Result<Self> {
        let path = path.as_ref();
        let pem = std::fs::read(path).map_err(|source| Error::KeyFile {
            path: path.to_owned(),
            source,
        })?;
        Self::from_pem(&pem, kid)
    }

    /// Loads a PEM private key from the environment variable `var`, which holds the
    /// PEM text itself (see [`from_pem`](Self::from_pem)).
    ///
    /// # Errors
    /// [`Error::KeyEnv`] when the variable is unset or not UTF-8, then as `from_pem`.
    pub fn from_env(var: &str, kid: Option<&str>) -> Result<Self> {
        let pem = std::env::var(var).map_err(|_| Error::KeyEnv {
            var: var.to_owned(),
        })?;
        Self::from_pem(pem.as_bytes(), kid)
    }

    /// An Ed25519 key from its 32-byte private seed (RFC 8032 `d`), as published by
    /// test-vector suites.
    ///
    /// # Errors
    /// As [`from_pem`](Self::from_pem) when the key cannot be used.
    pub fn from_ed25519_seed(seed: &[u8; 32], kid: Option<&str>) -> Result<Self> {
        ensure_provider();
        // PKCS#8 v1 PrivateKeyInfo for id-Ed25519 (1.3.101.112), RFC 8410 §7.
        let mut der = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        der.extend_from_slice(seed);
        Self::from_encoding_key(
            EncodingKey::from_ed_der(&der),
            SignatureAlgorithm::EdDSA,
            kid,
        )
    }

    fn from_encoding_key(
        encoding: EncodingKey,
        alg: SignatureAlgorithm,
        kid: Option<&str>,
    ) -> Result<Self> {
        let what = "signing key";
        let jwk =
            Jwk::from_encoding_key(&encoding, alg.jwt()).map_err(|source| Error::InvalidKey {
                what: what.into(),
                source,
            })?;
        let (_, public) = public_members(&jwk, what)?;
        // Fail now rather than on the first card: the key must actually sign.
        jsonwebtoken::crypto::sign(b"a2agw-signing self-test", &encoding, alg.jwt()).map_err(
            |source| Error::InvalidKey {
                what: what.into(),
                source,
            },
        )?;
        let kid = match kid {
            Some(kid) => kid.to_owned(),
            None => derived_kid(&public)?,
        };
        Ok(Self {
            alg,
            kid,
            jku: None,
            encoding,
            public,
        })
    }

    /// Sets the `jku` (JWKS URL) put in the protected header.
    #[must_use]
    pub fn with_jku(mut self, jku: impl Into<String>) -> Self {
        self.jku = Some(jku.into());
        self
    }

    /// The algorithm this key signs with.
    #[must_use]
    pub fn alg(&self) -> SignatureAlgorithm {
        self.alg
    }

    /// The key id put in the protected header.
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The JWKS URL put in the protected header, if any.
    #[must_use]
    pub fn jku(&self) -> Option<&str> {
        self.jku.as_deref()
    }

    /// The public JWK: `kty`, `crv`, `x`/`y` (or `n`, `e`), `kid`, `alg`, `use: "sig"`.
    #[must_use]
    pub fn public_jwk(&self) -> Value {
        let mut jwk = self.public.clone();
        if let Value::Object(map) = &mut jwk {
            map.insert("kid".into(), Value::String(self.kid.clone()));
            map.insert("alg".into(), Value::String(self.alg.as_str().into()));
            map.insert("use".into(), Value::String("sig".into()));
        }
        jwk
    }

    /// The RFC 7638 SHA-256 thumbprint of the public key, base64url.
    ///
    /// # Errors
    /// Never in practice (the members are plain strings).
    pub fn thumbprint(&self) -> Result<String> {
        Ok(URL_SAFE_NO_PAD.encode(thumbprint(&self.public)?))
    }

    pub(crate) fn encoding(&self) -> &EncodingKey {
        &self.encoding
    }
}

/// A JWK Set (RFC 7517 §5), `{"keys": [...]}`: what an agent publishes (e.g. at
/// its `jku`) so that others can verify its cards. Holding several keys allows
/// rotation: sign with the new key while the old one is still published.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Jwks {
    /// The public JWKs.
    pub keys: Vec<Value>,
}

impl Jwks {
    /// The public JWKs of these signing keys, in order.
    pub fn from_signing_keys<'a>(keys: impl IntoIterator<Item = &'a SigningKey>) -> Self {
        Self {
            keys: keys.into_iter().map(SigningKey::public_jwk).collect(),
        }
    }

    /// The document as JSON.
    #[must_use]
    pub fn to_value(&self) -> Value {
        json!({ "keys": self.keys })
    }
}

/// A trusted public key.
#[derive(Clone)]
pub(crate) struct TrustedKey {
    pub(crate) kind: KeyKind,
    /// The JWK's `alg`, when it pins one.
    pub(crate) alg: Option<SignatureAlgorithm>,
    pub(crate) decoding: DecodingKey,
}

impl fmt::Debug for TrustedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustedKey")
            .field("kind", &self.kind)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// The public keys a verifier trusts, by `kid`. Loaded from JWKS documents or PEM
/// public keys; never fetched (this crate does no network IO, `jku` is ignored).
#[derive(Clone, Debug, Default)]
pub struct TrustedKeys {
    keys: BTreeMap<String, TrustedKey>,
}

fn b64_len(value: &str) -> Option<usize> {
    URL_SAFE_NO_PAD.decode(value).ok().map(|b| b.len())
}

impl TrustedKeys {
    /// No keys.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads a JWKS document (`{"keys":[...]}`). Every key needs a `kid`.
    ///
    /// # Errors
    /// [`Error::Jwks`] for bad JSON, [`Error::InvalidJwk`] / [`Error::UnsupportedKey`]
    /// for an unusable key, [`Error::DuplicateKid`].
    pub fn from_jwks_json(json: &str) -> Result<Self> {
        let jwks: Jwks = serde_json::from_str(json).map_err(Error::Jwks)?;
        Self::from_jwks(&jwks)
    }

    /// Loads a JWKS document from a file (see [`from_jwks_json`](Self::from_jwks_json)).
    ///
    /// # Errors
    /// [`Error::KeyFile`], then as `from_jwks_json`.
    pub fn from_jwks_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::KeyFile {
            path: path.to_owned(),
            source,
        })?;
        Self::from_jwks_json(&text)
    }

    /// Trusts every key of a JWKS.
    ///
    /// # Errors
    /// As [`add_jwk`](Self::add_jwk).
    pub fn from_jwks(jwks: &Jwks) -> Result<Self> {
        let mut keys = Self::new();
        for jwk in &jwks.keys {
            keys.add_jwk(jwk)?;
        }
        Ok(keys)
    }

    /// Trusts one public JWK (OKP Ed25519, EC P-256/P-384, RSA). It needs a `kid`;
    /// `use`, when present, must be `sig`; `alg`, when present, pins the algorithm.
    ///
    /// # Errors
    /// [`Error::InvalidJwk`], [`Error::UnsupportedKey`], [`Error::DuplicateKid`].
    pub fn add_jwk(&mut self, jwk: &Value) -> Result<()> {
        ensure_provider();
        let kid = jwk.get("kid").and_then(Value::as_str).map(str::to_owned);
        let bad = |reason: String| Error::InvalidJwk {
            kid: kid.clone(),
            reason,
        };
        let Some(kid_s) = kid.clone() else {
            return Err(bad("the key has no string `kid`".into()));
        };
        let member = |name: &str| jwk.get(name).and_then(Value::as_str);
        if let Some(u) = jwk.get("use")
            && u.as_str() != Some("sig")
        {
            return Err(bad(format!("`use` is {u}, not \"sig\"")));
        }
        let alg = match jwk.get("alg") {
            None | Some(Value::Null) => None,
            Some(Value::String(a)) => Some(SignatureAlgorithm::from_jose(a).ok_or_else(|| {
                bad(format!(
                    "`alg` {a:?} is not allowed (EdDSA, ES256, ES384, RS256, PS256)"
                ))
            })?),
            Some(other) => return Err(bad(format!("`alg` is {other}, not a string"))),
        };
        let need = |name: &'static str| {
            member(name).ok_or_else(|| bad(format!("missing string `{name}`")))
        };
        let (kind, decoding) = match member("kty") {
            Some("OKP") => {
                if member("crv") != Some("Ed25519") {
                    return Err(bad("OKP keys must have `crv` \"Ed25519\"".into()));
                }
                let x = need("x")?;
                if b64_len(x) != Some(32) {
                    return Err(bad("`x` is not 32 base64url-encoded bytes".into()));
                }
                let key = DecodingKey::from_ed_components(x).map_err(|e| bad(e.to_string()))?;
                (KeyKind::Ed25519, key)
            }
            Some("EC") => {
                let (kind, len) = match member("crv") {
                    Some("P-256") => (KeyKind::P256, 32),
                    Some("P-384") => (KeyKind::P384, 48),
                    other => {
                        return Err(bad(format!(
                            "EC curve {other:?} is not supported (P-256, P-384)"
                        )));
                    }
                };
                let (x, y) = (need("x")?, need("y")?);
                if b64_len(x) != Some(len) || b64_len(y) != Some(len) {
                    return Err(bad(format!(
                        "`x`/`y` are not {len} base64url-encoded bytes each"
                    )));
                }
                let key = DecodingKey::from_ec_components(x, y).map_err(|e| bad(e.to_string()))?;
                (kind, key)
            }
            Some("RSA") => {
                let (n, e) = (need("n")?, need("e")?);
                if b64_len(n).is_none() || b64_len(e).is_none() {
                    return Err(bad("`n`/`e` are not base64url".into()));
                }
                let key = DecodingKey::from_rsa_components(n, e).map_err(|e| bad(e.to_string()))?;
                (KeyKind::Rsa, key)
            }
            Some("oct") => {
                return Err(bad(
                    "symmetric (oct) keys are never trusted for card signatures".into(),
                ));
            }
            other => return Err(bad(format!("unsupported `kty` {other:?}"))),
        };
        if let Some(alg) = alg
            && !kind.fits(alg)
        {
            return Err(bad(format!(
                "`alg` {alg} does not fit a {} key",
                kind.name()
            )));
        }
        self.insert(
            kid_s,
            TrustedKey {
                kind,
                alg,
                decoding,
            },
        )
    }

    /// Trusts a PEM public key (`PUBLIC KEY` SPKI: Ed25519, EC P-256/P-384, RSA; or
    /// `RSA PUBLIC KEY`) under `kid`.
    ///
    /// # Errors
    /// [`Error::NotPem`], [`Error::UnsupportedKey`], [`Error::InvalidKey`],
    /// [`Error::DuplicateKid`].
    pub fn add_public_pem(&mut self, kid: &str, pem: &[u8]) -> Result<()> {
        ensure_provider();
        let what = format!("public key for kid {kid:?}");
        let Some(label) = pem_label(pem) else {
            return Err(Error::NotPem { what });
        };
        let decoding = match label.as_str() {
            "PUBLIC KEY" => DecodingKey::from_ed_pem(pem)
                .or_else(|_| DecodingKey::from_ec_pem(pem))
                .or_else(|_| DecodingKey::from_rsa_pem(pem))
                .map_err(|_| Error::UnsupportedKey {
                    what: what.clone(),
                    reason: "not an Ed25519, EC P-256/P-384 or RSA public key".into(),
                })?,
            "RSA PUBLIC KEY" => {
                DecodingKey::from_rsa_pem(pem).map_err(|source| Error::InvalidKey {
                    what: what.clone(),
                    source,
                })?
            }
            other => {
                return Err(Error::UnsupportedKey {
                    what,
                    reason: format!("a PEM block labelled {other:?}; expected `PUBLIC KEY`"),
                });
            }
        };
        let jwk = Jwk::from_decoding_key(&decoding, None).map_err(|source| Error::InvalidKey {
            what: what.clone(),
            source,
        })?;
        let (_, mut members) = public_members(&jwk, &what)?;
        if let Value::Object(map) = &mut members {
            map.insert("kid".into(), Value::String(kid.to_owned()));
        }
        self.add_jwk(&members)
    }

    /// Trusts the public half of a signing key, under its kid and algorithm.
    ///
    /// # Errors
    /// [`Error::DuplicateKid`].
    pub fn add_signing_key(&mut self, key: &SigningKey) -> Result<()> {
        self.add_jwk(&key.public_jwk())
    }

    fn insert(&mut self, kid: String, key: TrustedKey) -> Result<()> {
        if self.keys.contains_key(&kid) {
            return Err(Error::DuplicateKid { kid });
        }
        self.keys.insert(kid, key);
        Ok(())
    }

    pub(crate) fn get(&self, kid: &str) -> Option<&TrustedKey> {
        self.keys.get(kid)
    }

    /// The trusted kids, sorted.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// How many keys are trusted.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// No key is trusted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}
