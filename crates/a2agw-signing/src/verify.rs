//! Verifying a card's signatures against trusted keys (spec §8.4.3).

use crate::error::VerifyError;
use crate::jcs::canonicalize;
use crate::keys::{SignatureAlgorithm, TrustedKeys};
use crate::payload::card_payload;
use crate::sign::signing_input;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// What a verifier demands of a card's signatures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustPolicy {
    /// Signatures are not looked at.
    Off,
    /// An unsigned card passes; a signed one must carry a valid signature.
    #[default]
    VerifyIfPresent,
    /// The card must carry a valid signature.
    Require,
}

/// The outcome of a successful [`verify_card`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verified {
    /// The policy is [`TrustPolicy::Off`]: nothing was checked.
    NotChecked,
    /// The card has no signatures and the policy is [`TrustPolicy::VerifyIfPresent`].
    Unsigned,
    /// This signature verified with the trusted key of this kid.
    Signed {
        /// The kid of the key that verified.
        kid: String,
        /// The algorithm.
        alg: SignatureAlgorithm,
        /// Index of the signature in `signatures`.
        index: usize,
    },
}

/// Verifies `card`'s signatures under `policy`.
///
/// For each signature: the protected header must decode to a JSON object with
/// string `alg` and `kid`; `alg` must be EdDSA, ES256, ES384, RS256 or PS256 (never
/// `none` nor HMAC); `crit` and `b64:false` are refused, as is a parameter repeated
/// in the unprotected `header`; the key is the trusted key of that `kid` and must fit
/// `alg`; the signature must verify over
/// `protected || '.' || BASE64URL(JCS(card_payload(card)))`. `jku` is never
/// followed: keys come only from `keys`.
///
/// The card passes when at least one signature is valid. A card whose signatures are
/// all bad fails under both `VerifyIfPresent` and `Require`.
///
/// # Errors
/// The reason of the one signature, or [`VerifyError::NoValidSignature`] with each
/// one's reason, or [`VerifyError::Unsigned`] under `Require`.
pub fn verify_card(
    card: &Value,
    keys: &TrustedKeys,
    policy: TrustPolicy,
) -> Result<Verified, VerifyError> {
    if policy == TrustPolicy::Off {
        return Ok(Verified::NotChecked);
    }
    let Value::Object(map) = card else {
        return Err(VerifyError::CardNotObject);
    };
    let signatures = match map.get("signatures") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(items)) => items.as_slice(),
        Some(_) => return Err(VerifyError::SignaturesNotArray),
    };
    if signatures.is_empty() {
        return match policy {
            TrustPolicy::Require => Err(VerifyError::Unsigned),
            _ => Ok(Verified::Unsigned),
        };
    }
    let canonical =
        canonicalize(&card_payload(card)).map_err(|e| VerifyError::Canonicalize(Box::new(e)))?;
    let mut failures = Vec::new();
    for (index, signature) in signatures.iter().enumerate() {
        match verify_one(index, signature, &canonical, keys) {
            Ok(verified) => return Ok(verified),
            Err(e) => failures.push(e),
        }
    }
    if failures.len() == 1
        && let Some(only) = failures.pop()
    {
        return Err(only);
    }
    Err(VerifyError::NoValidSignature(failures))
}

fn verify_one(
    index: usize,
    signature: &Value,
    canonical: &str,
    keys: &TrustedKeys,
) -> Result<Verified, VerifyError> {
    let malformed = |reason: &str| VerifyError::MalformedSignature {
        index,
        reason: reason.to_owned(),
    };
    let Value::Object(entry) = signature else {
        return Err(malformed("not a JSON object"));
    };
    let Some(protected) = entry.get("protected").and_then(Value::as_str) else {
        return Err(malformed("no string `protected`"));
    };
    let Some(sig) = entry.get("signature").and_then(Value::as_str) else {
        return Err(malformed("no string `signature`"));
    };
    let unprotected = match entry.get("header") {
        None | Some(Value::Null) => None,
        Some(Value::Object(h)) => Some(h),
        Some(_) => return Err(malformed("`header` is not a JSON object")),
    };
    let header = decode_header(index, protected)?;
    let kid = match header.get("kid") {
        Some(Value::String(kid)) => kid.clone(),
        _ => {
            return Err(VerifyError::MissingHeaderParam {
                index,
                param: "kid",
            });
        }
    };
    let alg_name = match header.get("alg") {
        Some(Value::String(alg)) => alg.clone(),
        _ => {
            return Err(VerifyError::MissingHeaderParam {
                index,
                param: "alg",
            });
        }
    };
    let Some(alg) = SignatureAlgorithm::from_jose(&alg_name) else {
        return Err(VerifyError::DisallowedAlg {
            index,
            kid,
            alg: alg_name,
        });
    };
    let unsupported = |param: &str, reason: &'static str| VerifyError::UnsupportedHeader {
        index,
        kid: kid.clone(),
        param: param.to_owned(),
        reason,
    };
    if header.contains_key("crit") || unprotected.is_some_and(|h| h.contains_key("crit")) {
        return Err(unsupported(
            "crit",
            "no critical extension is implemented (RFC 7515 §4.1.11)",
        ));
    }
    if header.get("b64").is_some_and(|b| b != &Value::Bool(true)) {
        return Err(unsupported(
            "b64",
            "A2A card signatures base64url-encode the payload (not RFC 7797)",
        ));
    }
    if let Some(h) = unprotected
        && let Some(name) = h.keys().find(|name| header.contains_key(name.as_str()))
    {
        return Err(unsupported(
            name,
            "it is in both the protected and the unprotected header (RFC 7515 §7.2.1)",
        ));
    }
    let Some(key) = keys.get(&kid) else {
        return Err(VerifyError::UnknownKid { index, kid });
    };
    if !key.kind.fits(alg) || key.alg.is_some_and(|pinned| pinned != alg) {
        let key_desc = match key.alg {
            Some(pinned) => format!("{} key pinned to {pinned}", key.kind.name()),
            None => format!("{} key", key.kind.name()),
        };
        return Err(VerifyError::AlgKeyMismatch {
            index,
            kid,
            alg: alg_name,
            key: key_desc,
        });
    }
    let input = signing_input(protected, canonical);
    let valid = jsonwebtoken::crypto::verify(sig, input.as_bytes(), &key.decoding, alg.jwt())
        .unwrap_or(false);
    if valid {
        Ok(Verified::Signed { kid, alg, index })
    } else {
        Err(VerifyError::BadSignature {
            index,
            kid,
            alg: alg_name,
        })
    }
}

fn decode_header(index: usize, protected: &str) -> Result<Map<String, Value>, VerifyError> {
    let bad = |reason: String| VerifyError::BadHeader { index, reason };
    let bytes = URL_SAFE_NO_PAD
        .decode(protected)
        .map_err(|e| bad(format!("not base64url without padding ({e})")))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(header)) => Ok(header),
        Ok(_) => Err(bad("the JSON is not an object".into())),
        Err(e) => Err(bad(format!("not JSON ({e})"))),
    }
}
