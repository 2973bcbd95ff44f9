//! The errors of key loading, canonicalisation and signing ([`Error`]), and of
//! verification ([`VerifyError`]).

use std::path::PathBuf;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Loading a key, canonicalising a card or signing it failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A number that JSON cannot hold (NaN or ±infinity) reached the canonicaliser.
    #[error("cannot canonicalise the number {number}: JCS (RFC 8785) allows finite numbers only")]
    NonFiniteNumber {
        /// The number as `serde_json` prints it.
        number: String,
    },
    /// The card to sign is not a JSON object.
    #[error("the agent card to sign is not a JSON object")]
    CardNotObject,
    /// A key file could not be read.
    #[error("cannot read the key file {}: {source}", path.display())]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The environment variable that should hold a PEM key is unset or not UTF-8.
    #[error("the environment variable {var} (a PEM key) is unset or not valid UTF-8")]
    KeyEnv {
        /// The variable's name.
        var: String,
    },
    /// The text is not a PEM document.
    #[error("the {what} is not PEM (no `-----BEGIN …-----` line)")]
    NotPem {
        /// What was being loaded ("signing key", "public key for kid …").
        what: String,
    },
    /// A key of a kind this crate does not handle, with what to do about it.
    #[error("unsupported {what}: {reason}")]
    UnsupportedKey {
        /// What was being loaded.
        what: String,
        /// Why it is refused, and how to convert it when that is possible.
        reason: String,
    },
    /// The key is of a supported kind but its content is invalid.
    #[error("invalid {what}: {source}")]
    InvalidKey {
        /// What was being loaded.
        what: String,
        /// The crypto library's reason.
        #[source]
        source: jsonwebtoken::errors::Error,
    },
    /// A JWK or JWKS document is not usable.
    #[error("invalid JWK{}: {reason}", kid.as_ref().map(|k| format!(" (kid {k:?})")).unwrap_or_default())]
    InvalidJwk {
        /// The key's `kid`, when it has one.
        kid: Option<String>,
        /// Why.
        reason: String,
    },
    /// A JWKS document is not JSON of the expected shape.
    #[error("invalid JWKS document: {0}")]
    Jwks(#[source] serde_json::Error),
    /// Two trusted keys have the same `kid`.
    #[error("two trusted keys have the kid {kid:?}")]
    DuplicateKid {
        /// The kid.
        kid: String,
    },
    /// The crypto library refused to sign.
    #[error("signing with kid {kid:?} failed: {source}")]
    Sign {
        /// The key's kid.
        kid: String,
        /// The crypto library's reason.
        #[source]
        source: jsonwebtoken::errors::Error,
    },
}

/// Why a card's signatures were not accepted (see
/// [`verify_card`](crate::verify_card)). Every variant names the signature (its index
/// in `signatures`) and, once the header is readable, its `kid`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The policy requires a signature and the card has none.
    #[error("the agent card has no signatures and the trust policy requires one")]
    Unsigned,
    /// The card is not a JSON object.
    #[error("the agent card is not a JSON object")]
    CardNotObject,
    /// `signatures` is present but not an array.
    #[error("the card's `signatures` member is not an array")]
    SignaturesNotArray,
    /// A signature entry lacks `protected`/`signature` or is not an object.
    #[error("signature #{index}: malformed entry: {reason}")]
    MalformedSignature {
        /// Index in `signatures`.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The protected header is not base64url of a JSON object.
    #[error("signature #{index}: the protected header is not base64url-encoded JSON: {reason}")]
    BadHeader {
        /// Index in `signatures`.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A required header parameter (`alg`, `kid`) is missing or not a string.
    #[error("signature #{index}: the protected header has no string `{param}`")]
    MissingHeaderParam {
        /// Index in `signatures`.
        index: usize,
        /// `alg` or `kid`.
        param: &'static str,
    },
    /// `alg` is outside the allowlist (EdDSA, ES256, ES384, RS256, PS256); `none` and
    /// HMAC are never accepted.
    #[error(
        "signature #{index} (kid {kid:?}): algorithm {alg:?} is not allowed (allowed: EdDSA, ES256, ES384, RS256, PS256)"
    )]
    DisallowedAlg {
        /// Index in `signatures`.
        index: usize,
        /// The header's kid.
        kid: String,
        /// The header's alg.
        alg: String,
    },
    /// The header uses a parameter this verifier does not implement (`crit`, `b64`),
    /// or repeats a protected parameter in the unprotected header.
    #[error("signature #{index} (kid {kid:?}): unsupported header parameter `{param}`: {reason}")]
    UnsupportedHeader {
        /// Index in `signatures`.
        index: usize,
        /// The header's kid.
        kid: String,
        /// The parameter.
        param: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// No trusted key has this kid. `jku` is never followed.
    #[error("signature #{index}: no trusted key has the kid {kid:?} (jku is never fetched)")]
    UnknownKid {
        /// Index in `signatures`.
        index: usize,
        /// The header's kid.
        kid: String,
    },
    /// The trusted key with this kid is not a key for the header's `alg`.
    #[error(
        "signature #{index} (kid {kid:?}): algorithm {alg} does not fit the trusted key ({key})"
    )]
    AlgKeyMismatch {
        /// Index in `signatures`.
        index: usize,
        /// The header's kid.
        kid: String,
        /// The header's alg.
        alg: String,
        /// The kind of the trusted key (`Ed25519`, `EC P-256`, …) and its pinned alg.
        key: String,
    },
    /// The card cannot be canonicalised, so no signature can match it.
    #[error("the card cannot be canonicalised: {0}")]
    Canonicalize(#[source] Box<Error>),
    /// The signature does not verify over the recomputed payload (the card was
    /// changed after signing, or signed by another key).
    #[error("signature #{index} (kid {kid:?}, {alg}): the signature does not match the card")]
    BadSignature {
        /// Index in `signatures`.
        index: usize,
        /// The header's kid.
        kid: String,
        /// The header's alg.
        alg: String,
    },
    /// Several signatures, none valid: each one's reason.
    #[error("none of the card's {} signatures is valid: {}", .0.len(), join(.0))]
    NoValidSignature(Vec<VerifyError>),
}

fn join(errors: &[VerifyError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
