//! Fetching an upstream agent's card by URL, safely: for registering agents by the URL of
//! their card.
//!
//! Everything is described on [`CardFetcher`] (this module is private).

use crate::outbound::{self, Blocked, GuardedResolver, Purpose};
use a2agw_types::{AgentCard, DecodeError, FieldViolation, Validate, json_type_name, v03};
use reqwest::header::{ACCEPT, ETAG, HeaderValue, IF_NONE_MATCH};
use reqwest::{StatusCode, Url};
use serde_json::{Map, Value};
use std::time::Duration;

/// How a [`CardFetcher`] fetches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchSettings {
    /// Allow cards on loopback, private, link-local and other non-public addresses
    /// (tests, private deployments). Default `false`.
    pub allow_private: bool,
    /// Time for the whole request: connection, headers and body. Default 10 s.
    pub timeout: Duration,
    /// Largest card body accepted, in bytes. Default 512 KiB.
    pub max_bytes: usize,
    /// Most redirects followed. Default 3.
    pub max_redirects: usize,
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings {
            allow_private: false,
            timeout: Duration::from_secs(10),
            max_bytes: 512 * 1024,
            max_redirects: 3,
        }
    }
}

/// Fetches agent cards by URL: for registering upstream agents by the URL of their card.
/// Cheap to clone: clones share one HTTP client and its connection pool.
///
/// [`CardFetcher::fetch`] sends one `GET` with `Accept: application/json` (and
/// `If-None-Match` when the caller has an `ETag` from an earlier fetch) and gives back the
/// card in its A2A 1.0 form together with the JSON exactly as received.
///
/// # The SSRF guard
/// The URL is chosen by someone else, and the gateway requests it from inside its network,
/// so unless [`FetchSettings::allow_private`] is set the SSRF guard shared with push
/// delivery (the "SSRF guard" of [`PushPolicy`](crate::PushPolicy)) applies: `http`/`https` only, no
/// `localhost` names, no IP literal in a non-public range (`outbound::forbidden_range`);
/// host names are resolved by the guard's resolver, which refuses a name when any of its
/// addresses is non-public and pins the checked addresses for the connection. Every
/// redirect hop is checked the same way (its literal and `localhost` name by the redirect
/// policy, its name by the resolver when connecting), and at most
/// [`FetchSettings::max_redirects`] are followed. No proxy is used.
///
/// The whole request — connection, headers and body — must finish within
/// [`FetchSettings::timeout`], and the body is read as a stream and given up as soon as it
/// passes [`FetchSettings::max_bytes`] (at once when `Content-Length` announces more). The
/// client never asks for (nor decodes) compression, so the limit is the size of the JSON
/// itself.
///
/// # Card versions
/// A card with `supportedInterfaces` is read as 1.0 (also a "hybrid" card, which carries
/// the 0.3 top-level fields too). A card without it whose `protocolVersion` starts with
/// `0.` — or, without a string `protocolVersion`, that has a top-level `url` — is read as
/// a 0.3 card and converted (its `url`/`preferredTransport` and `additionalInterfaces`
/// become `supportedInterfaces` with protocol version `0.3`). Anything else is read as 1.0
/// and then fails validation.
///
/// A card must have every REQUIRED field: `name`, `description`, `version`,
/// `supportedInterfaces` (0.3: `url`, `protocolVersion`), `capabilities`,
/// `defaultInputModes`, `defaultOutputModes` and `skills`, and whatever the nested objects
/// require ([`a2agw_types::Validate`]). [`FetchError::InvalidCard`] lists every broken rule
/// by field path, in the names of the version the card was written in.
///
/// # Error messages
/// Every [`FetchError`] names the host (and port) it is about, never the URL's path or
/// query, which may carry secrets.
#[derive(Clone, Debug)]
pub struct CardFetcher {
    client: reqwest::Client,
    settings: FetchSettings,
}

/// What a fetch gave.
#[derive(Clone, Debug, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "returned once per fetch and taken apart at once, never stored in bulk"
)]
pub enum Fetched {
    /// `304 Not Modified`: the card is still the one with the `ETag` given.
    NotModified,
    /// A valid card.
    Card(FetchedCard),
}

/// A fetched, valid card.
#[derive(Clone, Debug, PartialEq)]
pub struct FetchedCard {
    /// The card in its A2A 1.0 form (a 0.3 card converted).
    pub card: AgentCard,
    /// The JSON exactly as received (what a signature verifier checks).
    pub raw: Value,
    /// The response's `ETag`, for the next fetch's `If-None-Match`.
    pub etag: Option<String>,
    /// What the card was: `"1.0"` or `"0.3"`.
    pub protocol_version: String,
}

/// Why a card could not be fetched. Every message names the host (with the port, when the
/// URL gives one), never the URL's path or query.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FetchError {
    /// The URL is unusable: not a URL, no host, or a scheme other than `http`/`https`.
    #[error("bad agent card URL{}: {reason}", for_host(.host))]
    BadUrl {
        /// The URL's host, when it could be read.
        host: Option<String>,
        /// What is wrong.
        reason: String,
    },
    /// The SSRF guard refused the target (the URL, a redirect or what a name resolved to).
    #[error("agent card at `{host}` refused by the SSRF guard: {reason}")]
    Refused {
        /// The refused host.
        host: String,
        /// Which address, and why it is refused.
        reason: String,
    },
    /// The request did not finish within [`FetchSettings::timeout`].
    #[error("fetching the agent card from `{host}` timed out after {timeout:?}")]
    Timeout {
        /// The host asked.
        host: String,
        /// The time allowed.
        timeout: Duration,
    },
    /// The body is larger than [`FetchSettings::max_bytes`].
    #[error("the agent card from `{host}` is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The host that sent it.
        host: String,
        /// The limit.
        limit: usize,
    },
    /// An HTTP status other than 2xx (and other than 304 for a conditional fetch).
    #[error("`{host}` answered HTTP {status} for the agent card")]
    Status {
        /// The host that answered.
        host: String,
        /// The status code.
        status: u16,
    },
    /// The body is not JSON.
    #[error("the agent card from `{host}` is not JSON: {reason}")]
    NotJson {
        /// The host that sent it.
        host: String,
        /// The parser's message.
        reason: String,
    },
    /// The body is JSON, but not an object.
    #[error("the agent card from `{host}` is {found}, not a JSON object")]
    NotObject {
        /// The host that sent it.
        host: String,
        /// What it is (`an array`, `a string`, …).
        found: &'static str,
    },
    /// The card breaks the spec's rules: every broken one, by field path.
    #[error("the agent card from `{host}` is invalid: {}", list(.problems))]
    InvalidCard {
        /// The host that sent it.
        host: String,
        /// What the card was read as: `"1.0"` or `"0.3"`.
        protocol_version: &'static str,
        /// Each broken rule (missing REQUIRED fields, wrong types, values 1.0 cannot hold).
        problems: Vec<FieldViolation>,
    },
    /// More than [`FetchSettings::max_redirects`] redirects.
    #[error("fetching the agent card: `{host}` redirected once more after {max} redirects")]
    TooManyRedirects {
        /// The host that sent the redirect not followed.
        host: String,
        /// The limit.
        max: usize,
    },
    /// The connection failed (DNS, TCP, TLS, or the connection broke mid-response).
    #[error("cannot fetch the agent card from `{host}`: {reason}")]
    Connection {
        /// The host asked.
        host: String,
        /// The error and its causes (without the URL).
        reason: String,
    },
    /// The HTTP client could not be built (a TLS backend that cannot start).
    #[error("cannot build the HTTP client for agent cards: {0}")]
    Client(String),
}

fn for_host(host: &Option<String>) -> String {
    match host {
        Some(h) => format!(" (host `{h}`)"),
        None => String::new(),
    }
}

fn list(problems: &[FieldViolation]) -> String {
    let items: Vec<String> = problems
        .iter()
        .map(|p| {
            if p.field.is_empty() {
                p.description.clone()
            } else {
                format!("`{}` {}", p.field, p.description)
            }
        })
        .collect();
    items.join("; ")
}

/// `host[:port]` of a URL: what errors name (no user info, path or query).
fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

impl CardFetcher {
    /// A fetcher with its own HTTP client. Fails only when the client cannot be built.
    pub fn new(settings: FetchSettings) -> Result<Self, FetchError> {
        let allow_private = settings.allow_private;
        let max = settings.max_redirects;
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            match check_hop(attempt.url(), attempt.previous(), max, allow_private) {
                Ok(()) => attempt.follow(),
                Err(e) => attempt.error(e),
            }
        });
        let mut builder = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .redirect(policy)
            .no_proxy()
            // Whatever features other crates turn on: the size limit is on what is sent.
            .no_gzip()
            .no_brotli()
            .no_zstd()
            .no_deflate()
            .user_agent(concat!("a2a-gateway/", env!("CARGO_PKG_VERSION")));
        if !allow_private {
            builder = builder.dns_resolver(GuardedResolver::new(Purpose::AgentCard));
        }
        let client = builder
            .build()
            .map_err(|e| FetchError::Client(outbound::describe(e)))?;
        Ok(CardFetcher { client, settings })
    }

    /// The settings this fetcher was made with.
    pub fn settings(&self) -> &FetchSettings {
        &self.settings
    }

    /// GETs `url` with `Accept: application/json`, and `If-None-Match: etag` when given;
    /// reads, parses and validates the card (see [`CardFetcher`]).
    pub async fn fetch(&self, url: &str, etag: Option<&str>) -> Result<Fetched, FetchError> {
        let (parsed, _) =
            outbound::check_literal(url, self.settings.allow_private, Purpose::AgentCard).map_err(
                |b| {
                    let host = Url::parse(url).ok().map(|u| authority(&u));
                    match b {
                        Blocked::Invalid(reason) => FetchError::BadUrl { host, reason },
                        Blocked::Refused(reason) => FetchError::Refused {
                            host: host.unwrap_or_default(),
                            reason,
                        },
                    }
                },
            )?;
        self.get(parsed, etag).await
    }

    /// [`CardFetcher::fetch`] after the URL's own check.
    async fn get(&self, url: Url, etag: Option<&str>) -> Result<Fetched, FetchError> {
        let host = authority(&url);
        let timeout = self.settings.timeout;
        match tokio::time::timeout(timeout, self.get_unbounded(url, &host, etag)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout { host, timeout }),
        }
    }

    async fn get_unbounded(
        &self,
        url: Url,
        host: &str,
        etag: Option<&str>,
    ) -> Result<Fetched, FetchError> {
        let mut request = self
            .client
            .get(url)
            .header(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(tag) = etag {
            match HeaderValue::from_str(tag) {
                Ok(value) => request = request.header(IF_NONE_MATCH, value),
                // Not a header value (it did not come from a response): fetch the card.
                Err(_) => tracing::debug!(host, "card fetch: unusable ETag ignored"),
            }
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.request_error(e, host))?;
        let host = authority(response.url());
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED && etag.is_some() {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                host,
                status: status.as_u16(),
            });
        }
        let etag = response
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = self.read_body(response, &host).await?;
        let raw: Value = serde_json::from_slice(&body).map_err(|e| FetchError::NotJson {
            host: host.clone(),
            reason: e.to_string(),
        })?;
        let Value::Object(object) = &raw else {
            return Err(FetchError::NotObject {
                host,
                found: json_type_name(&raw),
            });
        };
        let (card, version) =
            read_card(object).map_err(|(protocol_version, problems)| FetchError::InvalidCard {
                host: host.clone(),
                protocol_version,
                problems,
            })?;
        Ok(Fetched::Card(FetchedCard {
            card,
            raw,
            etag,
            protocol_version: version.to_owned(),
        }))
    }

    /// The body, at most [`FetchSettings::max_bytes`] of it.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        host: &str,
    ) -> Result<Vec<u8>, FetchError> {
        let limit = self.settings.max_bytes;
        let too_large = || FetchError::TooLarge {
            host: host.to_owned(),
            limit,
        };
        let announced = response.content_length();
        if announced.is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut body = Vec::with_capacity(announced.map_or(0, |n| n as usize).min(limit));
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.request_error(e, host))?
        {
            if chunk.len() > limit - body.len() {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// A client error as a [`FetchError`]: the redirect policy's own error, the guard's
    /// resolver refusal, a timeout, or a connection failure.
    fn request_error(&self, e: reqwest::Error, host: &str) -> FetchError {
        if let Some(own) = outbound::find_source::<FetchError>(&e) {
            return own.clone();
        }
        let host = e.url().map_or_else(|| host.to_owned(), authority);
        if let Some(reason) = outbound::refused_by_guard(&e) {
            return FetchError::Refused { host, reason };
        }
        if e.is_timeout() {
            return FetchError::Timeout {
                host,
                timeout: self.settings.timeout,
            };
        }
        FetchError::Connection {
            host,
            reason: outbound::describe(e),
        }
    }
}

/// The redirect policy: may the client follow a redirect to `next`, having requested
/// `previous` (the first URL and every redirect followed so far)? Checks the hop count, the
/// scheme, and — unless `allow_private` — the hop's IP literal or `localhost` name (other
/// names are checked by the resolver when connecting).
fn check_hop(
    next: &Url,
    previous: &[Url],
    max_redirects: usize,
    allow_private: bool,
) -> Result<(), FetchError> {
    // `previous` holds the first URL too: this is redirect number `previous.len()`.
    if previous.len() > max_redirects {
        return Err(FetchError::TooManyRedirects {
            host: previous.last().map(authority).unwrap_or_default(),
            max: max_redirects,
        });
    }
    let host = authority(next);
    match outbound::check_url(next, allow_private, Purpose::AgentCard) {
        Ok(_) => Ok(()),
        Err(Blocked::Invalid(reason)) => Err(FetchError::BadUrl {
            host: Some(host),
            reason: format!("redirected to an unusable URL: {reason}"),
        }),
        Err(Blocked::Refused(reason)) => Err(FetchError::Refused {
            host,
            reason: format!("redirected to it: {reason}"),
        }),
    }
}

// ---------------------------------------------------------------------------------------
// Reading a card

/// The A2A 1.0 card of a card as received (1.0, hybrid or 0.3, as [`CardFetcher::fetch`]
/// reads it), or the list of what is wrong with it.
pub fn card_from_json(raw: &Value) -> Result<AgentCard, String> {
    let Value::Object(object) = raw else {
        return Err("the card is not a JSON object".into());
    };
    read_card(object)
        .map(|(card, _)| card)
        .map_err(|(version, problems)| format!("invalid {version} card: {}", list(&problems)))
}

/// Which card shape an object is.
fn is_v03(object: &Map<String, Value>) -> bool {
    if present(object, "supportedInterfaces") || present(object, "supported_interfaces") {
        return false;
    }
    match object.get("protocolVersion") {
        Some(Value::String(v)) => v.starts_with("0."),
        _ => present(object, "url"),
    }
}

/// A member that is there and not `null`.
fn present(object: &Map<String, Value>, key: &str) -> bool {
    object.get(key).is_some_and(|v| !v.is_null())
}

/// The REQUIRED top-level members of a 0.3 card (`preferredTransport` defaults).
const V03_REQUIRED: [&str; 9] = [
    "protocolVersion",
    "name",
    "description",
    "url",
    "version",
    "capabilities",
    "defaultInputModes",
    "defaultOutputModes",
    "skills",
];

/// The 1.0 card of a JSON object, and the version it was written in; or that version and
/// every broken rule.
fn read_card(
    object: &Map<String, Value>,
) -> Result<(AgentCard, &'static str), (&'static str, Vec<FieldViolation>)> {
    if is_v03(object) {
        read_v03(object).map(|c| (c, "0.3")).map_err(|p| ("0.3", p))
    } else {
        read_v1(object).map(|c| (c, "1.0")).map_err(|p| ("1.0", p))
    }
}

fn read_v1(object: &Map<String, Value>) -> Result<AgentCard, Vec<FieldViolation>> {
    let card: AgentCard = a2agw_types::from_value(Value::Object(object.clone()))
        .map_err(|e| vec![decode_violation(e)])?;
    let mut problems = match card.validate() {
        Ok(()) => Vec::new(),
        Err(e) => e.violations,
    };
    // The type fills a missing `capabilities` in (all optional inside); the spec requires
    // the member.
    if !present(object, "capabilities") {
        problems.push(FieldViolation::new("capabilities", "is required"));
    }
    if problems.is_empty() {
        Ok(card)
    } else {
        Err(problems)
    }
}

fn read_v03(object: &Map<String, Value>) -> Result<AgentCard, Vec<FieldViolation>> {
    let missing: Vec<FieldViolation> = V03_REQUIRED
        .iter()
        .filter(|key| !present(object, key))
        .map(|key| FieldViolation::new(*key, "is required"))
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let old: v03::AgentCard = a2agw_types::from_value(Value::Object(object.clone()))
        .map_err(|e| vec![decode_violation(e)])?;
    let card =
        AgentCard::try_from(old).map_err(|e| vec![FieldViolation::new(e.field, e.reason)])?;
    match card.validate() {
        Ok(()) => Ok(card),
        Err(e) => Err(e
            .violations
            .into_iter()
            .map(|v| FieldViolation::new(v03_path(&v.field), v.description))
            .collect()),
    }
}

/// A decoding error as a violation of the field it names (a missing REQUIRED field is
/// named itself).
fn decode_violation(e: DecodeError) -> FieldViolation {
    let missing = e
        .message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(field, _)| field.to_owned());
    match missing {
        Some(field) if e.path.is_empty() => FieldViolation::new(field, "is required"),
        Some(field) => FieldViolation::new(format!("{}.{field}", e.path), "is required"),
        None => FieldViolation::new(e.path, e.message),
    }
}

/// The 0.3 name of a 1.0 field path of a converted 0.3 card: the first interface is the
/// card's `url`/`preferredTransport`, the others are `additionalInterfaces`, and a
/// security scheme loses the 1.0 wrapper member (`securitySchemes["k"].flows…`).
fn v03_path(path: &str) -> String {
    if let Some(rest) = path.strip_prefix("supportedInterfaces[")
        && let Some((index, field)) = rest.split_once(']')
        && let Ok(index) = index.parse::<usize>()
    {
        let field = field.strip_prefix('.').unwrap_or(field);
        let field_v03 = match field {
            "protocolBinding" => "transport",
            other => other,
        };
        return match (index, field) {
            (0, "url") => "url".to_owned(),
            (0, "protocolBinding") => "preferredTransport".to_owned(),
            (0, _) => path.to_owned(),
            (n, "") => format!("additionalInterfaces[{}]", n - 1),
            (n, _) => format!("additionalInterfaces[{}].{field_v03}", n - 1),
        };
    }
    if path.starts_with("securitySchemes[")
        && let Some(end) = path.find("].")
    {
        let (scheme, rest) = path.split_at(end + 2);
        return match rest.split_once('.') {
            Some((_wrapper, inner)) => format!("{scheme}{inner}"),
            None => scheme.trim_end_matches('.').to_owned(),
        };
    }
    path.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn redirect_hops_are_checked() {
        let start = [url("https://cards.example.com/agent")];
        // A public-looking hop is followed (its name is checked by the resolver).
        assert_eq!(
            check_hop(&url("https://other.example.com/c"), &start, 3, false),
            Ok(())
        );
        for target in [
            "http://127.0.0.1:8080/card",
            "http://localhost/card",
            "http://[::1]/card",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.1.2.3/card",
            "http://2130706433/card",
        ] {
            match check_hop(&url(target), &start, 3, false) {
                Err(FetchError::Refused { host, reason }) => {
                    assert_eq!(host, authority(&url(target)), "{target}");
                    assert!(reason.contains("not allowed"), "{target}: {reason}");
                }
                other => panic!("{target}: {other:?}"),
            }
            // Allowed when private targets are.
            assert_eq!(check_hop(&url(target), &start, 3, true), Ok(()), "{target}");
        }
        assert!(matches!(
            check_hop(&url("ftp://cards.example.com/c"), &start, 3, true),
            Err(FetchError::BadUrl { .. })
        ));
        // The count: `previous` is the first URL plus the redirects followed.
        let three = [
            url("https://a.example.com/1"),
            url("https://a.example.com/2"),
            url("https://a.example.com/3"),
        ];
        assert_eq!(
            check_hop(&url("https://a.example.com/4"), &three, 3, true),
            Ok(())
        );
        let four = [three.as_slice(), &[url("https://b.example.com/4")]].concat();
        assert_eq!(
            check_hop(&url("https://a.example.com/5"), &four, 3, true),
            Err(FetchError::TooManyRedirects {
                host: "b.example.com".into(),
                max: 3
            })
        );
        assert!(matches!(
            check_hop(&url("https://a.example.com/2"), &start, 0, true),
            Err(FetchError::TooManyRedirects { max: 0, .. })
        ));
    }

    /// The policy is wired into the client: a server on loopback (reached here past the
    /// URL's own check, as if it were public) redirecting to a loopback literal or to
    /// `localhost` is refused at the hop.
    #[tokio::test]
    async fn redirects_to_internal_addresses_are_refused() {
        use axum::response::Redirect;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = axum::Router::new()
            .route(
                "/to-literal",
                axum::routing::get(move || async move {
                    Redirect::temporary(&format!("http://127.0.0.1:{port}/card?token=s3cret"))
                }),
            )
            .route(
                "/to-localhost",
                axum::routing::get(move || async move {
                    Redirect::temporary(&format!("http://localhost:{port}/card"))
                }),
            )
            .route(
                "/to-metadata",
                axum::routing::get(|| async {
                    Redirect::temporary("http://169.254.169.254/latest/meta-data/")
                }),
            );
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let fetcher = CardFetcher::new(FetchSettings {
            timeout: Duration::from_secs(5),
            ..FetchSettings::default()
        })
        .unwrap();
        for (path, refused) in [
            ("/to-literal", "127.0.0.1"),
            ("/to-localhost", "localhost"),
            ("/to-metadata", "169.254.169.254"),
        ] {
            let start = url(&format!("http://127.0.0.1:{port}{path}"));
            match fetcher.get(start, None).await {
                Err(e @ FetchError::Refused { .. }) => {
                    let text = e.to_string();
                    assert!(text.contains(refused), "{path}: {text}");
                    assert!(text.contains("redirected"), "{path}: {text}");
                    assert!(!text.contains("s3cret"), "{path}: {text}");
                }
                other => panic!("{path}: {other:?}"),
            }
        }
        // And the fetch itself refuses the loopback URL before connecting.
        let e = fetcher
            .fetch(&format!("http://127.0.0.1:{port}/to-literal"), None)
            .await
            .unwrap_err();
        assert!(matches!(e, FetchError::Refused { .. }), "{e:?}");
        server.abort();
    }

    fn v03_card() -> Value {
        json!({
            "protocolVersion": "0.3.0",
            "name": "Old agent",
            "description": "speaks 0.3",
            "url": "https://agent.example.com/a2a",
            "preferredTransport": "JSONRPC",
            "additionalInterfaces": [{"url": "https://agent.example.com/rest", "transport": "HTTP+JSON"}],
            "version": "2.1",
            "capabilities": {"streaming": true},
            "defaultInputModes": ["text/plain"],
            "defaultOutputModes": ["text/plain"],
            "skills": [{"id": "s", "name": "S", "description": "does s", "tags": ["t"]}]
        })
    }

    fn object(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(o) => o,
            other => panic!("{other}"),
        }
    }

    fn fields(problems: &[FieldViolation]) -> Vec<&str> {
        problems.iter().map(|p| p.field.as_str()).collect()
    }

    #[test]
    fn versions_are_told_apart() {
        assert!(is_v03(&object(v03_card())));
        assert!(is_v03(&object(json!({"url": "https://a"}))));
        assert!(is_v03(&object(json!({"protocolVersion": "0.2.5"}))));
        assert!(!is_v03(&object(
            json!({"protocolVersion": "1.0", "url": "https://a"})
        )));
        assert!(!is_v03(&object(json!({}))));
        let mut hybrid = object(v03_card());
        hybrid.insert("supportedInterfaces".into(), json!([]));
        assert!(!is_v03(&hybrid));
    }

    #[test]
    fn v03_cards_convert_and_report_in_their_own_names() {
        let (card, version) = read_card(&object(v03_card())).unwrap();
        assert_eq!(version, "0.3");
        assert_eq!(card.supported_interfaces.len(), 2);
        assert_eq!(
            card.supported_interfaces[0].url,
            "https://agent.example.com/a2a"
        );
        assert_eq!(card.supported_interfaces[0].protocol_version, "0.3");
        assert_eq!(card.supported_interfaces[1].protocol_binding, "HTTP+JSON");

        let mut missing = object(v03_card());
        for key in ["name", "url", "skills", "capabilities"] {
            missing.remove(key);
        }
        let (version, problems) = read_card(&missing).unwrap_err();
        assert_eq!(version, "0.3");
        assert_eq!(fields(&problems), ["name", "url", "capabilities", "skills"]);

        let mut empty = object(v03_card());
        empty.insert("url".into(), json!(""));
        empty.insert("description".into(), json!(""));
        empty.insert(
            "additionalInterfaces".into(),
            json!([{"url": "https://x", "transport": ""}]),
        );
        empty.insert(
            "skills".into(),
            json!([{"id": "s", "name": "S", "description": "d", "tags": []}]),
        );
        let (_, problems) = read_card(&empty).unwrap_err();
        assert_eq!(
            fields(&problems),
            [
                "description",
                "url",
                "additionalInterfaces[0].transport",
                "skills[0].tags"
            ]
        );

        let mut nested = object(v03_card());
        nested.insert(
            "skills".into(),
            json!([{"id": "s", "name": "S", "tags": ["t"]}]),
        );
        let (_, problems) = read_card(&nested).unwrap_err();
        assert_eq!(fields(&problems), ["skills[0].description"]);
    }

    #[test]
    fn v1_cards_report_every_missing_field() {
        let (_, problems) = read_card(&object(json!({}))).unwrap_err();
        assert_eq!(
            fields(&problems),
            [
                "name",
                "description",
                "version",
                "supportedInterfaces",
                "defaultInputModes",
                "defaultOutputModes",
                "skills",
                "capabilities"
            ]
        );
        let (version, problems) =
            read_card(&object(json!({"name": 5, "supportedInterfaces": []}))).unwrap_err();
        assert_eq!(version, "1.0");
        assert_eq!(fields(&problems), ["name"]);
    }

    #[test]
    fn v03_paths() {
        assert_eq!(v03_path("supportedInterfaces[0].url"), "url");
        assert_eq!(
            v03_path("supportedInterfaces[0].protocolBinding"),
            "preferredTransport"
        );
        assert_eq!(
            v03_path("supportedInterfaces[2].url"),
            "additionalInterfaces[1].url"
        );
        assert_eq!(
            v03_path("supportedInterfaces[1].protocolBinding"),
            "additionalInterfaces[0].transport"
        );
        assert_eq!(
            v03_path(r#"securitySchemes["k"].apiKeySecurityScheme.name"#),
            r#"securitySchemes["k"].name"#
        );
        assert_eq!(
            v03_path(
                r#"securitySchemes["k"].oauth2SecurityScheme.flows.clientCredentials.tokenUrl"#
            ),
            r#"securitySchemes["k"].flows.clientCredentials.tokenUrl"#
        );
        assert_eq!(v03_path("skills[0].tags"), "skills[0].tags");
    }

    #[test]
    fn messages_name_the_host_not_the_query() {
        let e = FetchError::InvalidCard {
            host: "cards.example.com".into(),
            protocol_version: "1.0",
            problems: vec![
                FieldViolation::new("name", "is required"),
                FieldViolation::new("skills", "is required and must not be empty"),
            ],
        };
        assert_eq!(
            e.to_string(),
            "the agent card from `cards.example.com` is invalid: `name` is required; `skills` is required and must not be empty"
        );
        assert_eq!(
            FetchError::BadUrl {
                host: None,
                reason: "not a valid URL: x".into()
            }
            .to_string(),
            "bad agent card URL: not a valid URL: x"
        );
    }
}
