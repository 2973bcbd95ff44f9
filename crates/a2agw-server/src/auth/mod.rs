//! Authentication: who is calling. API keys (stored as SHA-256 hashes), JWT bearer tokens
//! and, when configured, anonymous access.
//!
//! **Owners are kind-qualified.** An authenticator names a [`Principal`] of a kind
//! (anonymous, API key, JWT issuer and subject); the task owner is
//! [`Principal::owner`], an injective encoding of kind and name, so a JWT whose `sub` is
//! `anonymous`, or equals an API key's principal, is not that caller and cannot read its
//! tasks.

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::{self, Debug};

mod composite;
mod jwt;
pub use composite::{CompositeAuth, CredentialKind};
pub use jwt::{JwtAuth, JwtConfig, JwtKeySource, JwtSetupError, looks_like_jwt};

/// Who a request's credentials name, and by which kind of credential.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Principal {
    /// No credentials, where anonymous access is allowed.
    Anonymous,
    /// The principal an API key is configured for.
    ApiKey(String),
    /// A JWT's issuer (`iss`) and the value of its principal claim (default `sub`).
    Jwt {
        /// The token's `iss` (the configured issuer).
        issuer: String,
        /// The principal claim's value.
        subject: String,
        /// The values of the configured roles claim (none when no roles claim is
        /// configured): agents may be allowed to a role ([`a2agw_registry::Grant::Role`]).
        /// Not part of the owner: a caller's tasks stay its own whatever its roles.
        roles: Vec<String>,
    },
}

impl Principal {
    /// The task owner this principal is: distinct principals are distinct owners.
    ///
    /// * anonymous → `anonymous`;
    /// * an API key's principal `name` → `name` when it holds no `:` and is not
    ///   `anonymous` (so owners written before owners were qualified stay the same),
    ///   `key:<name>` otherwise;
    /// * a JWT → `jwt:<issuer>|<subject>`, with `%` and `|` in the issuer percent-encoded
    ///   (`%25`, `%7C`) so that the first `|` ends it.
    ///
    /// Each form is told apart by its first `:` (none, `key:`, `jwt:`), so the mapping is
    /// injective.
    pub fn owner(&self) -> String {
        match self {
            Principal::Anonymous => "anonymous".to_owned(),
            Principal::ApiKey(name) if !name.contains(':') && name != "anonymous" => name.clone(),
            Principal::ApiKey(name) => format!("key:{name}"),
            Principal::Jwt {
                issuer, subject, ..
            } => {
                let issuer = issuer.replace('%', "%25").replace('|', "%7C");
                format!("jwt:{issuer}|{subject}")
            }
        }
    }

    /// The roles a JWT's roles claim grants; none for other kinds.
    pub fn roles(&self) -> &[String] {
        match self {
            Principal::Jwt { roles, .. } => roles,
            _ => &[],
        }
    }

    /// Whether this is [`Principal::Anonymous`].
    pub fn is_anonymous(&self) -> bool {
        matches!(self, Principal::Anonymous)
    }
}

impl fmt::Display for Principal {
    /// The owner form ([`Principal::owner`]), for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.owner())
    }
}

/// Turns a request's credentials into a principal.
pub trait Authenticator: Send + Sync + Debug + 'static {
    /// `Ok(Some(principal))` for valid credentials, `Ok(None)` when none were presented,
    /// `Err(message)` for invalid ones (the message is sent to the client: no secrets).
    fn authenticate(&self, headers: &HeaderMap) -> Result<Option<Principal>, String>;

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
    fn authenticate(&self, headers: &HeaderMap) -> Result<Option<Principal>, String> {
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
            Some(principal) => Ok(Some(Principal::ApiKey(principal.clone()))),
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
        assert_eq!(
            auth.authenticate(&h),
            Ok(Some(Principal::ApiKey("alice".into())))
        );
        h.insert("x-api-key", "wrong".parse().unwrap());
        assert!(auth.authenticate(&h).is_err());
        let mut h = HeaderMap::new();
        h.insert("authorization", "Bearer s3cret".parse().unwrap());
        assert_eq!(
            auth.authenticate(&h),
            Ok(Some(Principal::ApiKey("alice".into())))
        );
        assert_eq!(
            hash_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn owners_are_distinct_per_kind() {
        let jwt = |issuer: &str, subject: &str| Principal::Jwt {
            issuer: issuer.into(),
            subject: subject.into(),
            roles: vec!["ops".into()],
        };
        let key = |name: &str| Principal::ApiKey(name.into());
        // Owners written before qualification keep their form.
        assert_eq!(Principal::Anonymous.owner(), "anonymous");
        assert_eq!(key("alice").owner(), "alice");
        assert_eq!(
            jwt("https://idp/", "alice").owner(),
            "jwt:https://idp/|alice"
        );
        // Pairs that a naive encoding would confuse.
        let principals = [
            Principal::Anonymous,
            key("anonymous"),
            key("key:anonymous"),
            key("alice"),
            key("key:alice"),
            key("jwt:https://idp/|alice"),
            jwt("https://idp/", "alice"),
            jwt("https://idp/", "anonymous"),
            jwt("a", "b|c"),
            jwt("a|b", "c"),
            jwt("a%7Cb", "c"),
            jwt("", "alice"),
        ];
        let owners: std::collections::HashSet<String> =
            principals.iter().map(Principal::owner).collect();
        assert_eq!(owners.len(), principals.len(), "{owners:?}");
    }
}
