//! Several authenticators behind one: e.g. API keys and JWT bearer tokens side by side.

use super::jwt::{bearer_value, looks_like_jwt};
use super::{Authenticator, Principal};
use axum::http::{HeaderMap, header};
use std::sync::Arc;

/// The kind of credential an authenticator reads, which decides what it is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialKind {
    /// JWT bearer tokens ([`super::JwtAuth`]).
    Jwt,
    /// API keys ([`super::ApiKeyAuth`]), which also accept `Authorization: Bearer <key>`.
    ApiKey,
    /// Anything else: always shown every header.
    Other,
}

/// Tries its authenticators in order.
///
/// * The first `Ok(Some(principal))` wins.
/// * Otherwise the first `Err` wins (an authenticator that recognised its credential type
///   and refused the credential) over the `Ok(None)` of the others.
/// * Otherwise `Ok(None)`: served as `anonymous` if [`CompositeAuth::new`] said so, else
///   401.
///
/// **Bearer routing**: JWT and API-key authenticators both read `Authorization: Bearer`.
/// A bearer value that [looks like a JWT](super::looks_like_jwt) (three base64url segments,
/// the first starting with `e`, i.e. a JSON header) is shown only to [`CredentialKind::Jwt`]
/// members; any other bearer value only to [`CredentialKind::ApiKey`] members (the other
/// kind sees the request without its `Authorization` header). So an API key must not be
/// shaped like a JWT; keys containing no `.` never are. `X-API-Key` and other headers are
/// shown to everyone.
///
/// **Challenge**: the members' `WWW-Authenticate` challenges joined with `, `, each scheme
/// once (the variant with parameters kept), e.g.
/// `Bearer realm="a2a-gateway", ApiKey header="x-api-key"`.
#[derive(Debug, Clone, Default)]
pub struct CompositeAuth {
    members: Vec<(CredentialKind, Arc<dyn Authenticator>)>,
    anonymous: bool,
}

impl CompositeAuth {
    /// No authenticators yet; `anonymous`: serve requests without credentials.
    pub fn new(anonymous: bool) -> Self {
        CompositeAuth {
            members: Vec::new(),
            anonymous,
        }
    }

    /// Adds an authenticator of the given kind, tried after those already added.
    #[must_use]
    pub fn with(mut self, kind: CredentialKind, auth: Arc<dyn Authenticator>) -> Self {
        self.members.push((kind, auth));
        self
    }

    /// Adds a JWT authenticator.
    #[must_use]
    pub fn with_jwt(self, auth: impl Authenticator) -> Self {
        self.with(CredentialKind::Jwt, Arc::new(auth))
    }

    /// Adds an API-key authenticator.
    #[must_use]
    pub fn with_api_keys(self, auth: impl Authenticator) -> Self {
        self.with(CredentialKind::ApiKey, Arc::new(auth))
    }

    /// How many authenticators it holds.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

impl Authenticator for CompositeAuth {
    fn authenticate(&self, headers: &HeaderMap) -> Result<Option<Principal>, String> {
        // Which kind the bearer value (if any) belongs to; the other kind gets the headers
        // without `Authorization`.
        let bearer_kind = bearer_value(headers).map(|v| match v {
            Ok(v) if !looks_like_jwt(v) => CredentialKind::ApiKey,
            // A JWT, or not even text: JWT authenticators say what is wrong with it.
            _ => CredentialKind::Jwt,
        });
        let stripped = bearer_kind.map(|_| {
            let mut h = headers.clone();
            h.remove(header::AUTHORIZATION);
            h
        });
        let mut first_err = None;
        for (kind, auth) in &self.members {
            let view = match (bearer_kind, &stripped) {
                (Some(bk), Some(stripped)) if *kind != CredentialKind::Other && *kind != bk => {
                    stripped
                }
                _ => headers,
            };
            match auth.authenticate(view) {
                Ok(Some(principal)) => return Ok(Some(principal)),
                Ok(None) => {}
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        first_err.map_or(Ok(None), Err)
    }

    fn allows_anonymous(&self) -> bool {
        self.anonymous
    }

    fn challenge(&self) -> String {
        let mut out: Vec<(String, String)> = Vec::new();
        for (_, auth) in &self.members {
            for challenge in split_challenges(&auth.challenge()) {
                let scheme = challenge
                    .split(' ')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                match out.iter_mut().find(|(s, _)| *s == scheme) {
                    // Keep the variant with parameters.
                    Some((_, kept)) => {
                        if !kept.contains(' ') && challenge.contains(' ') {
                            *kept = challenge;
                        }
                    }
                    None => out.push((scheme, challenge)),
                }
            }
        }
        out.into_iter()
            .map(|(_, c)| c)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Splits a `WWW-Authenticate` value into its challenges: at commas outside quotes, where
/// the next item is a new scheme (a token not followed by `=`) rather than a parameter.
fn split_challenges(value: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                items.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    items.push(current);
    let mut challenges: Vec<String> = Vec::new();
    for item in items {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let first = item.split([' ', '=']).next().unwrap_or_default();
        let is_param = item[first.len()..].trim_start().starts_with('=');
        match challenges.last_mut() {
            Some(last) if is_param => {
                last.push_str(", ");
                last.push_str(item);
            }
            _ => challenges.push(item.to_owned()),
        }
    }
    challenges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_are_split_at_schemes() {
        assert_eq!(
            split_challenges(r#"ApiKey header="x-api-key", Bearer"#),
            vec![r#"ApiKey header="x-api-key""#, "Bearer"]
        );
        assert_eq!(
            split_challenges(r#"Bearer realm="a, b", error="x", Basic realm="r""#),
            vec![r#"Bearer realm="a, b", error="x""#, r#"Basic realm="r""#]
        );
    }
}
