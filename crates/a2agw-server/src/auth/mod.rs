//! Authentication: who is calling. API keys (stored as SHA-256 hashes) and, when
//! configured, anonymous access.

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::Debug;

mod composite;
mod jwt;
pub use composite::{CompositeAuth, CredentialKind};
pub use jwt::{JwtAuth, JwtConfig, JwtKeySource, JwtSetupError, looks_like_jwt};

/// Turns a request's credentials into a principal.
pub trait Authenticator: Send + Sync + Debug + 'static {
    /// `Ok(Some(principal))` for valid credentials, `Ok(None)` when none were presented,
    /// `Err(message)` for invalid ones (the message is sent to the client: no secrets).
    fn authenticate(&self, headers: &HeaderMap) -> Result<Option<String>, String>;

    /// Whether a request without credentials is served (as principal `anonymous`).
    fn allows_anonymous(&self) -> bool;

    /// The `WWW-Authenticate` challenge sent with a 401.
    fn challenge(&self) -> String;
}

/// The SHA-256 of a key, in lower-case hex: the form keys are stored in the config.
pub fn hash_key(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// API keys in a header (default `X-API-Key`), or as `Authorization: Bearer <key>`.
#[derive(Clone, Debug, Default)]
pub struct ApiKeyAuth {
    /// Header name the key is read from.
    pub header: String,
    /// SHA-256 (hex) of each key → the principal it authenticates.
    pub keys: HashMap<String, String>,
    /// Serve requests without credentials as `anonymous`.
    pub anonymous: bool,
}

impl ApiKeyAuth {
    /// No keys; anonymous access allowed (the demo default).
    pub fn anonymous_only() -> Self {
        ApiKeyAuth {
            header: "x-api-key".into(),
            keys: HashMap::new(),
            anonymous: true,
        }
    }
}

impl Authenticator for ApiKeyAuth {
    fn authenticate(&self, headers: &HeaderMap) -> Result<Option<String>, String> {
        let from_header = headers
            .get(self.header.as_str())
            .and_then(|v| v.to_str().ok());
        let from_bearer = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            });
        let Some(key) = from_header.or(from_bearer) else {
            return Ok(None);
        };
        match self.keys.get(&hash_key(key.trim())) {
            Some(principal) => Ok(Some(principal.clone())),
            None => Err("Invalid API key".into()),
        }
    }

    fn allows_anonymous(&self) -> bool {
        self.anonymous
    }

    fn challenge(&self) -> String {
        format!("ApiKey header=\"{}\", Bearer", self.header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_matched_by_hash() {
        let mut auth = ApiKeyAuth::anonymous_only();
        auth.anonymous = false;
        auth.keys.insert(hash_key("s3cret"), "alice".into());
        let mut h = HeaderMap::new();
        assert_eq!(auth.authenticate(&h), Ok(None));
        h.insert("x-api-key", "s3cret".parse().unwrap());
        assert_eq!(auth.authenticate(&h), Ok(Some("alice".into())));
        h.insert("x-api-key", "wrong".parse().unwrap());
        assert!(auth.authenticate(&h).is_err());
        let mut h = HeaderMap::new();
        h.insert("authorization", "Bearer s3cret".parse().unwrap());
        assert_eq!(auth.authenticate(&h), Ok(Some("alice".into())));
        assert_eq!(
            hash_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
