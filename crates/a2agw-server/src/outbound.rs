//! The SSRF guard for the gateway's own outbound requests to URLs chosen by others: push
//! notification webhooks ([`crate::push`]) and upstream agent cards
//! ([`crate::CardFetcher`]).
//!
//! Unless private targets are allowed (tests, private deployments), a target is refused
//! when its scheme is not `http`/`https`, when its host is `localhost` or a name under it,
//! or when its address is not public ([`forbidden_range`]): loopback, private, link-local
//! (with the cloud metadata address 169.254.169.254), shared CGNAT space, unspecified,
//! multicast or broadcast — also when written as an IPv4-mapped, IPv4-compatible or NAT64
//! IPv6 address.
//!
//! IP-literal hosts are checked before a request ([`check_literal`], [`check_url`]); host
//! names are checked when the HTTP client connects, by [`GuardedResolver`], which refuses a
//! name when **any** of its addresses is forbidden and otherwise hands the client exactly
//! the addresses it checked (so DNS rebinding cannot slip an internal address in between).
//! Clients using the resolver must not use a proxy (`no_proxy()`): the resolver would then
//! see the proxy's name, not the target's.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// How long the create-time webhook check waits for DNS before accepting the name
/// unresolved.
const CREATE_DNS_TIMEOUT: Duration = Duration::from_secs(3);

/// What an outbound URL is for: only the wording of refusals depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// A push notification webhook.
    Webhook,
    /// An upstream agent's card.
    AgentCard,
}

impl Purpose {
    fn schemes(self) -> &'static str {
        match self {
            Purpose::Webhook => "webhooks are http or https",
            Purpose::AgentCard => "agent cards are fetched over http or https",
        }
    }

    fn no_host(self) -> &'static str {
        match self {
            Purpose::Webhook => "the webhook URL has no host",
            Purpose::AgentCard => "the agent card URL has no host",
        }
    }

    fn not_allowed(self) -> &'static str {
        match self {
            Purpose::Webhook => "private webhook targets are not allowed",
            Purpose::AgentCard => "agent cards on private addresses are not allowed",
        }
    }
}

/// Why a URL may not be requested.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Blocked {
    /// Not a usable URL: unparseable, no host, or a scheme other than `http`/`https`.
    Invalid(String),
    /// The target is not public (the guard's refusal).
    Refused(String),
}

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Blocked::Invalid(why) | Blocked::Refused(why) => f.write_str(why),
        }
    }
}

/// Why `ip` may not be a webhook target, or `None` for a public address.
pub(crate) fn forbidden_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        // 169.254/16, with the cloud metadata service at 169.254.169.254.
        Some("link-local")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared address space (CGNAT)")
    } else if a == 0 {
        Some("unspecified")
    } else if ip.is_broadcast() {
        Some("broadcast")
    } else if ip.is_multicast() {
        Some("multicast")
    } else {
        None
    }
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() {
        Some("unspecified")
    } else if let Some(v4) = ip.to_ipv4_mapped() {
        forbidden_v4(v4)
    } else if segments[..6] == [0; 6] {
        // IPv4-compatible (deprecated, ::a.b.c.d).
        forbidden_v4(Ipv4Addr::from_bits(ip.to_bits() as u32))
    } else if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        // NAT64 (64:ff9b::/96) reaches the embedded IPv4 address.
        forbidden_v4(Ipv4Addr::from_bits(ip.to_bits() as u32))
    } else if segments[0] & 0xfe00 == 0xfc00 {
        Some("private (unique local)")
    } else if segments[0] & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if segments[0] & 0xffc0 == 0xfec0 {
        Some("private (site-local)")
    } else if ip.is_multicast() {
        Some("multicast")
    } else {
        None
    }
}

/// `localhost` and the names under it (RFC 6761), which always mean this machine.
pub(crate) fn is_localhost_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost")
}

/// The checks that need no DNS: scheme, host present, `localhost` names and IP-literal
/// hosts. Returns the parsed URL and the host when it is a name (to be resolved).
pub(crate) fn check_literal(
    url: &str,
    allow_private: bool,
    purpose: Purpose,
) -> Result<(reqwest::Url, Option<String>), Blocked> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| Blocked::Invalid(format!("not a valid URL: {e}")))?;
    let name = check_url(&parsed, allow_private, purpose)?;
    Ok((parsed, name))
}

/// [`check_literal`] on a parsed URL (a redirect's target, say): `Ok` with the host when
/// it is a name (to be resolved), `None` for an allowed IP literal (or when private targets
/// are allowed).
pub(crate) fn check_url(
    url: &reqwest::Url,
    allow_private: bool,
    purpose: Purpose,
) -> Result<Option<String>, Blocked> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Blocked::Invalid(format!(
            "scheme `{}` is not allowed: {}",
            url.scheme(),
            purpose.schemes()
        )));
    }
    let host = match url.host_str() {
        Some(h) if !h.is_empty() => h.to_owned(),
        _ => return Err(Blocked::Invalid(purpose.no_host().into())),
    };
    if allow_private {
        return Ok(None);
    }
    // `host_str` writes IPv6 literals in brackets, and IPv4 in its normal dotted form
    // whatever the URL said (`http://2130706433/` is `127.0.0.1`).
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return match forbidden_range(ip) {
            Some(why) => Err(Blocked::Refused(refusal(&host, ip, why, purpose))),
            None => Ok(None),
        };
    }
    if is_localhost_name(&host) {
        return Err(Blocked::Refused(format!(
            "host `{host}` is this machine (loopback); {}",
            purpose.not_allowed()
        )));
    }
    Ok(Some(host))
}

fn refusal(host: &str, ip: IpAddr, why: &str, purpose: Purpose) -> String {
    let not_allowed = purpose.not_allowed();
    if host.trim_start_matches('[').trim_end_matches(']') == ip.to_string() {
        format!("address {ip} is {why}; {not_allowed}")
    } else {
        format!("host `{host}` resolves to {ip}, which is {why}; {not_allowed}")
    }
}

/// The first forbidden address among `addrs`, as a refusal message.
fn check_addresses(host: &str, addrs: &[SocketAddr], purpose: Purpose) -> Result<(), String> {
    match addrs
        .iter()
        .find_map(|a| forbidden_range(a.ip()).map(|why| (a.ip(), why)))
    {
        Some((ip, why)) => Err(refusal(host, ip, why, purpose)),
        None => Ok(()),
    }
}

/// Checks a webhook URL when a config is created: `http`/`https` only, and unless
/// `allow_private`, no `localhost` name, no forbidden IP literal (`forbidden_range`) and
/// no host name resolving to a forbidden address. A name that cannot be resolved now is
/// accepted (the worker's resolver checks it again at every send). `Err` explains the
/// refusal (without secrets: the message names the host, never the URL's path or query).
pub async fn check_webhook_url(url: &str, allow_private: bool) -> Result<(), String> {
    let purpose = Purpose::Webhook;
    let (_, name) = check_literal(url, allow_private, purpose).map_err(|b| b.to_string())?;
    let Some(host) = name else { return Ok(()) };
    match tokio::time::timeout(
        CREATE_DNS_TIMEOUT,
        tokio::net::lookup_host((host.as_str(), 0)),
    )
    .await
    {
        Ok(Ok(addrs)) => check_addresses(&host, &addrs.collect::<Vec<_>>(), purpose),
        // Unresolvable or slow now: the send-time resolver decides.
        Ok(Err(_)) | Err(_) => Ok(()),
    }
}

/// A target refused by the guard at request time (found in a request error's source chain
/// by [`refused_by_guard`]).
#[derive(Debug)]
pub(crate) struct Refused(pub(crate) String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// The HTTP client's DNS resolver when private targets are not allowed: resolves with the
/// system resolver, refuses the name if any address is forbidden, and otherwise gives the
/// HTTP client exactly the addresses it checked (so a rebinding name cannot slip an
/// internal address in between check and connect).
#[derive(Debug)]
pub(crate) struct GuardedResolver {
    purpose: Purpose,
}

impl GuardedResolver {
    /// A resolver whose refusals are worded for `purpose`.
    pub(crate) fn new(purpose: Purpose) -> Self {
        GuardedResolver { purpose }
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let purpose = self.purpose;
        Box::pin(async move {
            if is_localhost_name(&host) {
                return Err(Refused(format!("host `{host}` is this machine (loopback)")).into());
            }
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() {
                return Err(format!("host `{host}` has no address").into());
            }
            // `Refused` itself goes into the box (not a `Box<Refused>`), so that
            // `refused_by_guard` finds it.
            check_addresses(&host, &addrs, purpose).map_err(Refused)?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether a request error came from the guard's resolver (its refusal message).
pub(crate) fn refused_by_guard(e: &reqwest::Error) -> Option<String> {
    find_source::<Refused>(e).map(|r| r.0.clone())
}

/// The first error of type `T` in `e`'s source chain (`e` included).
pub(crate) fn find_source<'a, T: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(found) = err.downcast_ref::<T>() {
            return Some(found);
        }
        source = err.source();
    }
    None
}

/// A request error and its causes, without the URL (its query may carry secrets).
pub(crate) fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> IpAddr {
        IpAddr::V4(s.parse().unwrap_or_else(|e| panic!("{s}: {e}")))
    }

    fn v6(s: &str) -> IpAddr {
        IpAddr::V6(s.parse().unwrap_or_else(|e| panic!("{s}: {e}")))
    }

    #[test]
    fn forbidden_ipv4_ranges() {
        for (ip, why) in [
            ("127.0.0.1", "loopback"),
            ("127.255.255.254", "loopback"),
            ("10.0.0.1", "private"),
            ("10.255.255.255", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("169.254.0.1", "link-local"),
            ("100.64.0.1", "shared address space (CGNAT)"),
            ("100.127.255.255", "shared address space (CGNAT)"),
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "unspecified"),
            ("255.255.255.255", "broadcast"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
        ] {
            assert_eq!(forbidden_range(v4(ip)), Some(why), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.255.255",
            "192.167.1.1",
            "11.0.0.1",
        ] {
            assert_eq!(forbidden_range(v4(ip)), None, "{ip}");
        }
    }

    #[test]
    fn forbidden_ipv6_ranges() {
        for (ip, why) in [
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("fc00::1", "private (unique local)"),
            ("fd12:3456:789a::1", "private (unique local)"),
            ("fe80::1", "link-local"),
            ("febf::1", "link-local"),
            ("fec0::1", "private (site-local)"),
            ("ff02::1", "multicast"),
            // IPv4-mapped, IPv4-compatible and NAT64 forms of forbidden IPv4 addresses.
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:169.254.169.254", "link-local"),
            ("::ffff:10.1.2.3", "private"),
            ("::ffff:100.64.0.1", "shared address space (CGNAT)"),
            ("::ffff:0.0.0.0", "unspecified"),
            ("::127.0.0.1", "loopback"),
            ("::192.168.0.1", "private"),
            ("64:ff9b::a9fe:a9fe", "link-local"),
            ("64:ff9b::7f00:1", "loopback"),
        ] {
            assert_eq!(forbidden_range(v6(ip)), Some(why), "{ip}");
        }
        for ip in [
            "2001:4860:4860::8888",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "fbff::1",
            "fe7f::1",
        ] {
            assert_eq!(forbidden_range(v6(ip)), None, "{ip}");
        }
    }

    #[test]
    fn literal_checks() {
        let refused = |url: &str| {
            check_literal(url, false, Purpose::Webhook)
                .map(|_| ())
                .unwrap_err()
                .to_string()
        };
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://127.1/hook",
            "http://2130706433/hook",
            "http://0x7f000001/hook",
            "http://localhost/hook",
            "http://LOCALHOST./hook",
            "http://api.localhost/hook",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/hook",
            "http://[::1]/hook",
            "http://[::ffff:127.0.0.1]/hook",
            "http://[fd00::1]:9000/hook",
            "http://0.0.0.0/hook",
            "http://100.64.1.1/hook",
        ] {
            let why = refused(url);
            assert!(why.contains("not allowed"), "{url}: {why}");
            assert!(
                matches!(
                    check_literal(url, false, Purpose::Webhook),
                    Err(Blocked::Refused(_))
                ),
                "{url}"
            );
        }
        assert!(refused("ftp://example.com/hook").contains("scheme `ftp`"));
        assert!(refused("file:///etc/passwd").contains("scheme `file`"));
        assert!(refused("not a url").contains("not a valid URL"));
        assert!(matches!(
            check_literal("ftp://example.com/hook", false, Purpose::Webhook),
            Err(Blocked::Invalid(_))
        ));
        assert!(check_literal("http://", false, Purpose::Webhook).is_err());
        // Public literals pass; names are left to DNS.
        let (_, name) =
            check_literal("https://93.184.216.34/hook", false, Purpose::Webhook).unwrap();
        assert_eq!(name, None);
        let (_, name) = check_literal(
            "https://hooks.example.com/x?token=s",
            false,
            Purpose::Webhook,
        )
        .unwrap();
        assert_eq!(name.as_deref(), Some("hooks.example.com"));
        // With private targets allowed, only the scheme and the host are checked.
        for url in [
            "http://127.0.0.1:1/h",
            "http://localhost/h",
            "http://[::1]/h",
        ] {
            assert!(check_literal(url, true, Purpose::Webhook).is_ok(), "{url}");
        }
        assert!(check_literal("ftp://127.0.0.1/h", true, Purpose::Webhook).is_err());
        // The message names the host, never the path or query.
        let why = refused("http://10.0.0.1/secret-path?token=hunter2");
        assert!(
            !why.contains("secret-path") && !why.contains("hunter2"),
            "{why}"
        );
        // The push wording is unchanged; agent cards have their own.
        assert_eq!(
            refused("http://10.0.0.1/h"),
            "address 10.0.0.1 is private; private webhook targets are not allowed"
        );
        let card = check_literal("http://[::1]/card", false, Purpose::AgentCard).unwrap_err();
        assert_eq!(
            card.to_string(),
            "address ::1 is loopback; agent cards on private addresses are not allowed"
        );
    }

    #[tokio::test]
    async fn create_time_check_resolves_names() {
        assert!(
            check_webhook_url("http://127.0.0.1:9/h", false)
                .await
                .is_err()
        );
        assert!(
            check_webhook_url("http://127.0.0.1:9/h", true)
                .await
                .is_ok()
        );
        // A name that does not resolve is left to the send-time check.
        assert!(
            check_webhook_url("https://does-not-exist.invalid/h", false)
                .await
                .is_ok()
        );
    }

    /// The resolver's refusal is recognised in the client's error (so it is not retried),
    /// and addresses are checked after resolution: `localhost` reaches the resolver here
    /// because the literal check is bypassed.
    #[tokio::test]
    async fn resolver_refusals_are_recognised() {
        let client = reqwest::Client::builder()
            .dns_resolver(GuardedResolver::new(Purpose::Webhook))
            .no_proxy()
            .build()
            .unwrap();
        let err = client
            .post("http://localhost:9/h")
            .send()
            .await
            .unwrap_err();
        let why = refused_by_guard(&err).unwrap_or_else(|| panic!("not recognised: {err:?}"));
        assert!(why.contains("loopback"), "{why}");
        // Another failure (nothing listens on a public-looking literal that is refused
        // nowhere: use an unroutable TEST-NET address with a tiny timeout) is not a refusal.
        let client = reqwest::Client::builder()
            .dns_resolver(GuardedResolver::new(Purpose::Webhook))
            .connect_timeout(Duration::from_millis(50))
            .no_proxy()
            .build()
            .unwrap();
        let err = client
            .post("http://192.0.2.1:9/h?token=secret")
            .send()
            .await
            .unwrap_err();
        assert_eq!(refused_by_guard(&err), None, "{err:?}");
        let text = describe(err);
        assert!(!text.contains("token=secret"), "no URL: {text}");
    }
}
