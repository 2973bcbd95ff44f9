//! Signing a card: a JWS (RFC 7515) whose payload is the canonical card, detached.

use crate::error::{Error, Result};
use crate::jcs::canonicalize;
use crate::keys::SigningKey;
use crate::payload::card_payload;
use a2agw_types::AgentCardSignature;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// The protected header of `key`'s signatures, as JSON text in a fixed member order:
/// `{"alg":…,"kid":…,"typ":"JOSE"}`, then `"jku":…` when the key has one.
#[must_use]
pub fn protected_header(key: &SigningKey) -> String {
    let quote = |s: &str| Value::String(s.to_owned()).to_string();
    let mut header = format!(
        "{{\"alg\":{},\"kid\":{},\"typ\":\"JOSE\"",
        quote(key.alg().as_str()),
        quote(key.kid())
    );
    if let Some(jku) = key.jku() {
        header.push_str(",\"jku\":");
        header.push_str(&quote(jku));
    }
    header.push('}');
    header
}

/// The JWS signing input: `BASE64URL(protected) || '.' || BASE64URL(payload)`.
pub(crate) fn signing_input(protected_b64: &str, canonical_payload: &str) -> String {
    format!(
        "{protected_b64}.{}",
        URL_SAFE_NO_PAD.encode(canonical_payload)
    )
}

/// Signs `card` (spec §8.4.2): the payload is [`card_payload`] canonicalised with JCS,
/// base64url-encoded into the signing input and not transmitted (a detached payload;
/// not RFC 7797 `b64:false`). Any `signatures` already on the card are not covered.
///
/// # Errors
/// [`Error::CardNotObject`], [`Error::NonFiniteNumber`], [`Error::Sign`].
pub fn sign_card(card: &Value, key: &SigningKey) -> Result<AgentCardSignature> {
    if !card.is_object() {
        return Err(Error::CardNotObject);
    }
    let canonical = canonicalize(&card_payload(card))?;
    let protected = URL_SAFE_NO_PAD.encode(protected_header(key));
    let input = signing_input(&protected, &canonical);
    let signature = jsonwebtoken::crypto::sign(input.as_bytes(), key.encoding(), key.alg().jwt())
        .map_err(|source| Error::Sign {
        kid: key.kid().to_owned(),
        source,
    })?;
    Ok(AgentCardSignature {
        protected,
        signature,
        header: None,
    })
}

/// `card` with `signatures` set to one signature per key, in order, replacing any
/// signatures it had (the gateway re-signs the cards it rewrites; an upstream's
/// signature would not match the rewritten card anyway). Pass the new and the old
/// key during a rotation.
///
/// # Errors
/// As [`sign_card`].
pub fn with_signatures(card: &Value, keys: &[SigningKey]) -> Result<Value> {
    let mut signatures = Vec::with_capacity(keys.len());
    for key in keys {
        let signature = sign_card(card, key)?;
        signatures.push(signature_value(&signature));
    }
    let mut signed = card.clone();
    if let Value::Object(map) = &mut signed {
        map.insert("signatures".into(), Value::Array(signatures));
    }
    Ok(signed)
}

/// `card` with `signatures: [sign_card(card, key)]` (see [`with_signatures`]).
///
/// # Errors
/// As [`sign_card`].
pub fn with_signature(card: &Value, key: &SigningKey) -> Result<Value> {
    with_signatures(card, std::slice::from_ref(key))
}

fn signature_value(signature: &AgentCardSignature) -> Value {
    let mut map = serde_json::Map::new();
    map.insert(
        "protected".into(),
        Value::String(signature.protected.clone()),
    );
    map.insert(
        "signature".into(),
        Value::String(signature.signature.clone()),
    );
    if let Some(header) = &signature.header {
        map.insert("header".into(), Value::Object(header.clone()));
    }
    Value::Object(map)
}
