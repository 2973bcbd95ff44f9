//! Where a request reached the gateway, for the agent card's URLs: the TCP connection it
//! came on ([`Connection`]), the proxies trusted to say more ([`parse_trusted_proxy`]), and
//! a validating reading of `Host`, RFC 7239 `Forwarded` and `X-Forwarded-*`.
//!
//! Everything here reads what a peer sent, so nothing panics and every value is checked
//! before it reaches a URL: a host is a DNS name, an IPv4 address or a bracketed IPv6
//! address with an optional port; a scheme is `http` or `https`; a prefix is an absolute
//! path without `.`/`..` segments, `//`, `?` or `#`, percent-encoded where needed. A value
//! that fails its check is ignored, as if it had not been sent.

use axum::extract::FromRequestParts;
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::http::{Extensions, HeaderMap, request::Parts};
use axum::serve::IncomingStream;
use ipnet::IpNet;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// The TCP connection a request came on: the peer's address and the local address it
/// reached. Serve with `into_make_service_with_connect_info::<Connection>()` to fill it in
/// (a plain `ConnectInfo<SocketAddr>` gives the peer alone); without either, both are
/// unknown, and forwarded headers are then never trusted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Connection {
    /// The TCP peer: the client, or the proxy in front of the gateway.
    pub peer: Option<SocketAddr>,
    /// The gateway's own address on this connection.
    pub local: Option<SocketAddr>,
}

impl Connection {
    /// The connection of a request, from its extensions.
    pub fn of(extensions: &Extensions) -> Self {
        if let Some(ConnectInfo(c)) = extensions.get::<ConnectInfo<Connection>>() {
            return *c;
        }
        Connection {
            peer: extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(a)| *a),
            local: None,
        }
    }
}

impl Connected<IncomingStream<'_, tokio::net::TcpListener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, tokio::net::TcpListener>) -> Self {
        Connection {
            peer: Some(*stream.remote_addr()),
            local: stream.io().local_addr().ok(),
        }
    }
}

/// The gateway's listener: a TCP listener that sets `TCP_NODELAY` on every connection
/// it accepts ([`no_delay`]).
#[derive(Debug)]
pub struct Listener(tokio::net::TcpListener);

/// `listener` with `TCP_NODELAY` set on every connection it accepts. Without it, Nagle's
/// algorithm holds a response's second small write (the HTTP/2 frames of a gRPC answer,
/// each SSE event) until the client acknowledges the first, which a delayed ACK puts off
/// by 40 ms (measured: every gRPC call and every stream at c=1 took 44 ms).
pub fn no_delay(listener: tokio::net::TcpListener) -> Listener {
    Listener(listener)
}

impl axum::serve::Listener for Listener {
    type Io = tokio::net::TcpStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (tcp, addr) = axum::serve::Listener::accept(&mut self.0).await;
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "setting TCP_NODELAY failed");
        }
        (tcp, addr)
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

impl Connected<IncomingStream<'_, Listener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, Listener>) -> Self {
        Connection {
            peer: Some(*stream.remote_addr()),
            local: stream.io().local_addr().ok(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Connection {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Connection::of(&parts.extensions))
    }
}

/// One trusted proxy network: a CIDR (`10.0.0.0/8`, `fd00::/8`) or a single address
/// (`127.0.0.1` = `/32`, `::1` = `/128`). Host bits are cleared (`10.1.2.3/8` is
/// `10.0.0.0/8`).
pub fn parse_trusted_proxy(s: &str) -> Result<IpNet, String> {
    let t = s.trim();
    if let Ok(net) = t.parse::<IpNet>() {
        return Ok(net.trunc());
    }
    if let Ok(ip) = t.parse::<IpAddr>() {
        return Ok(IpNet::from(ip));
    }
    Err(format!(
        "`{s}` is not an IP network like 10.0.0.0/8 or ::1/128, nor an address"
    ))
}

/// The loopback networks, `127.0.0.0/8` and `::1/128`: what the deprecated
/// `server.trust_forwarded_headers = true` trusts.
pub fn loopback_proxies() -> Vec<IpNet> {
    ["127.0.0.0/8", "::1/128"]
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// Whether `peer` is in one of `proxies` (an IPv4-mapped IPv6 peer, as a dual-stack
/// listener reports IPv4 clients, counts as its IPv4 address). An unknown peer is not.
pub(crate) fn is_trusted(proxies: &[IpNet], peer: Option<SocketAddr>) -> bool {
    peer.is_some_and(|p| {
        let ip = p.ip().to_canonical();
        proxies.iter().any(|n| n.contains(&ip))
    })
}

/// Longest host (with port) accepted: a 253-character DNS name, `:` and 5 digits.
const MAX_AUTHORITY: usize = 253 + 6;
/// Longest path prefix accepted.
const MAX_PREFIX: usize = 1024;

fn valid_port(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= 5
        && p.bytes().all(|b| b.is_ascii_digit())
        && p.parse::<u16>().is_ok_and(|n| n != 0)
}

fn valid_dns_name(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// `s` as a URL authority `host[:port]` (lower-cased), or `None` when it is anything else:
/// userinfo (`x@y`), a path (`evil.com/path`), spaces, an unbracketed or zoned IPv6
/// address, a port outside 1–65535, or longer than a DNS name allows.
pub(crate) fn authority(s: &str) -> Option<String> {
    if s.is_empty() || s.len() > MAX_AUTHORITY {
        return None;
    }
    let ok = if let Some(rest) = s.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        ip.parse::<Ipv6Addr>().is_ok()
            && (after.is_empty() || after.strip_prefix(':').is_some_and(valid_port))
    } else {
        let (host, port) = match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        };
        valid_dns_name(host) && port.is_none_or(valid_port)
    };
    ok.then(|| s.to_ascii_lowercase())
}

/// Whether an authority names a port.
pub(crate) fn has_port(authority: &str) -> bool {
    match authority.rsplit_once(']') {
        Some((_, after)) => after.starts_with(':'),
        None => authority.contains(':'),
    }
}

/// The default port of `scheme` (`https` 443, anything else 80).
pub(crate) fn default_port(scheme: &str) -> u16 {
    if scheme.eq_ignore_ascii_case("https") {
        443
    } else {
        80
    }
}

/// `http` or `https` (any case), else `None`.
fn scheme(s: &str) -> Option<&'static str> {
    if s.eq_ignore_ascii_case("https") {
        Some("https")
    } else if s.eq_ignore_ascii_case("http") {
        Some("http")
    } else {
        None
    }
}

fn is_pchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b)
}

/// `s` as a path prefix: `""` for `/` or empty, else `/seg/...` without a trailing slash,
/// with characters outside RFC 3986 `pchar` percent-encoded (valid `%XX` escapes kept).
/// `None` when it does not start with `/`, holds `//`, `?`, `#`, a `.` or `..` segment
/// (also as `%2e`), or is longer than 1024 bytes.
pub(crate) fn prefix(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return Some(String::new());
    }
    if s.len() > MAX_PREFIX || !s.starts_with('/') || s.contains("//") || s.contains(['?', '#']) {
        return None;
    }
    let mut out = String::new();
    for seg in s.trim_end_matches('/').split('/').skip(1) {
        let dots = seg.to_ascii_lowercase().replace("%2e", ".");
        if dots == "." || dots == ".." {
            return None;
        }
        out.push('/');
        let bytes = seg.as_bytes();
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            let escape = b == b'%'
                && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if escape {
                out.push_str(&seg[i..i + 3]);
                i += 3;
                continue;
            }
            if is_pchar(b) {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
            i += 1;
        }
    }
    Some(out)
}

/// The parameters of the first element of an RFC 7239 `Forwarded` value: `name=value`
/// pairs separated by `;` (names lower-cased, values tokens or quoted strings with `\`
/// escapes), up to the first `,` outside quotes. `None` when it does not parse.
pub(crate) fn forwarded_first(v: &str) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut chars = v.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        match chars.peek() {
            None | Some(',') => return Some(pairs),
            Some(';') => {
                chars.next();
                continue;
            }
            _ => {}
        }
        let mut name = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && *c != ';' && *c != ',') {
            name.push(c);
        }
        if chars.next() != Some('=') {
            return None;
        }
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return None;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => value.push(chars.next()?),
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !matches!(*c, ';' | ',' | ' ' | '\t' | '"')) {
                value.push(c);
            }
        }
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        if !matches!(chars.peek(), None | Some(';' | ',')) {
            return None;
        }
        pairs.push((name, value));
    }
}

/// The first value of a comma-separated header (the one the proxy nearest the client
/// wrote), trimmed; `None` when absent, empty or not visible ASCII.
fn first_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let v = headers.get(name)?.to_str().ok()?;
    let first = v.split(',').next()?.trim();
    (!first.is_empty()).then_some(first)
}

/// What a trusted proxy says about the client's view of the gateway; each part `None`
/// when not said, or said invalidly.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Forwarded {
    pub(crate) scheme: Option<&'static str>,
    pub(crate) authority: Option<String>,
    pub(crate) prefix: Option<String>,
}

impl Forwarded {
    /// Reads `Forwarded` (RFC 7239) when the request has one that parses and names `proto`
    /// or `host`: its first element's `proto` and `host`, and then `X-Forwarded-Proto`,
    /// `-Host` and `-Port` are ignored; else those three. `X-Forwarded-Port` completes an `X-Forwarded-Host` that
    /// has no port (omitted when it is the scheme's default). `X-Forwarded-Prefix` either
    /// way, as `Forwarded` has no prefix. Lists take their first value.
    pub(crate) fn read(headers: &HeaderMap) -> Self {
        let prefix = first_value(headers, "x-forwarded-prefix").and_then(prefix);
        let standard = headers
            .get("forwarded")
            .and_then(|v| v.to_str().ok())
            .and_then(forwarded_first);
        let names =
            |pairs: &Vec<(String, String)>| pairs.iter().any(|(k, _)| k == "proto" || k == "host");
        if let Some(pairs) = standard.filter(names) {
            let get = |n: &str| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
            return Forwarded {
                scheme: get("proto").and_then(scheme),
                authority: get("host").and_then(authority),
                prefix,
            };
        }
        let scheme = first_value(headers, "x-forwarded-proto").and_then(scheme);
        let authority = first_value(headers, "x-forwarded-host")
            .and_then(authority)
            .map(
                |host| match first_value(headers, "x-forwarded-port").filter(|p| valid_port(p)) {
                    Some(port)
                        if !has_port(&host)
                            && port.parse::<u16>().ok()
                                != Some(default_port(scheme.unwrap_or("http"))) =>
                    {
                        format!("{host}:{port}")
                    }
                    _ => host,
                },
            );
        Forwarded {
            scheme,
            authority,
            prefix,
        }
    }
}

/// The validated `Host` header, if any.
pub(crate) fn host_header(headers: &HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::HOST)?
        .to_str()
        .ok()
        .map(str::trim)
        .and_then(authority)
}

/// The local address as an authority (an IPv4-mapped IPv6 address as IPv4).
pub(crate) fn local_authority(local: SocketAddr) -> String {
    SocketAddr::new(local.ip().to_canonical(), local.port()).to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn trusted_proxies_parse_cidrs_and_addresses() {
        assert_eq!(
            parse_trusted_proxy("10.0.0.0/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(
            parse_trusted_proxy(" 10.1.2.3/8 ").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(
            parse_trusted_proxy("127.0.0.1").unwrap().to_string(),
            "127.0.0.1/32"
        );
        assert_eq!(parse_trusted_proxy("::1").unwrap().to_string(), "::1/128");
        assert_eq!(
            parse_trusted_proxy("fd00::/8").unwrap().to_string(),
            "fd00::/8"
        );
        for bad in [
            "",
            "10.0.0.0/33",
            "10.0.0/8",
            "localhost",
            "::1/129",
            "1.2.3.4/x",
        ] {
            let e = parse_trusted_proxy(bad).unwrap_err();
            assert!(e.contains(&format!("`{bad}`")), "{e}");
        }
    }

    #[test]
    fn only_peers_in_the_list_are_trusted() {
        let nets: Vec<IpNet> = ["10.0.0.0/8", "::1/128"]
            .iter()
            .map(|s| parse_trusted_proxy(s).unwrap())
            .collect();
        let at = |s: &str| Some(s.parse::<SocketAddr>().unwrap());
        assert!(is_trusted(&nets, at("10.9.8.7:1234")));
        assert!(is_trusted(&nets, at("[::1]:1234")));
        assert!(is_trusted(&nets, at("[::ffff:10.0.0.1]:1234")));
        assert!(!is_trusted(&nets, at("11.0.0.1:1234")));
        assert!(!is_trusted(&nets, at("[::2]:1234")));
        assert!(!is_trusted(&nets, None));
        assert!(!is_trusted(&[], at("10.0.0.1:1")));
        let lo = loopback_proxies();
        assert!(is_trusted(&lo, at("127.0.0.2:1")));
        assert!(is_trusted(&lo, at("[::1]:1")));
        assert!(!is_trusted(&lo, at("192.168.1.1:1")));
    }

    #[test]
    fn authorities_are_host_and_port_only() {
        for ok in [
            "gw.example.com",
            "GW.Example.com:8443",
            "127.0.0.1:7420",
            "[::1]",
            "[::1]:8080",
            "[2001:db8::1]:443",
            "localhost",
            "a_b.internal:1",
        ] {
            assert_eq!(
                authority(ok).as_deref(),
                Some(ok.to_ascii_lowercase().as_str()),
                "{ok}"
            );
        }
        let long = format!("{}.com", "a".repeat(260));
        for bad in [
            "",
            "evil.com/path",
            "a b",
            "x@y",
            "user:pw@host",
            "host:",
            "host:0",
            "host:65536",
            "host:80:80",
            "::1",
            "[::1",
            "[::1]x",
            "[fe80::1%eth0]",
            "[1.2.3.4]",
            "-a.com",
            "a..com",
            "a.com.",
            "evil.com?x",
            "evil.com#x",
            "é.com",
            long.as_str(),
        ] {
            assert_eq!(authority(bad), None, "{bad}");
        }
        assert!(has_port("a:1") && has_port("[::1]:1"));
        assert!(!has_port("a") && !has_port("[::1]"));
    }

    #[test]
    fn prefixes_are_safe_absolute_paths() {
        assert_eq!(prefix("").as_deref(), Some(""));
        assert_eq!(prefix("/").as_deref(), Some(""));
        assert_eq!(prefix("/a2a").as_deref(), Some("/a2a"));
        assert_eq!(prefix("/team/a2a/").as_deref(), Some("/team/a2a"));
        assert_eq!(prefix("/my team").as_deref(), Some("/my%20team"));
        assert_eq!(prefix("/ü").as_deref(), Some("/%C3%BC"));
        assert_eq!(prefix("/a%2Fb").as_deref(), Some("/a%2Fb"));
        assert_eq!(prefix("/100%").as_deref(), Some("/100%25"));
        assert_eq!(prefix("/\"<x>").as_deref(), Some("/%22%3Cx%3E"));
        for bad in [
            "a2a",
            "//evil.com",
            "/a//b",
            "/a/../b",
            "/..",
            "/.",
            "/%2e%2E",
            "/.%2e/x",
            "/a?x=1",
            "/a#f",
            &format!("/{}", "a".repeat(1100)),
        ] {
            assert_eq!(prefix(bad), None, "{bad}");
        }
    }

    #[test]
    fn forwarded_elements_parse_with_quotes() {
        let p = |s: &str| forwarded_first(s);
        assert_eq!(
            p("for=192.0.2.60;proto=https;host=gw.example.com").unwrap(),
            [
                ("for".into(), "192.0.2.60".into()),
                ("proto".into(), "https".into()),
                ("host".into(), "gw.example.com".into())
            ]
        );
        assert_eq!(
            p("For=\"[2001:db8:cafe::17]:4711\"; Host=\"[::1]:8080\" ;proto=http, for=1.2.3.4;host=evil").unwrap(),
            [
                ("for".into(), "[2001:db8:cafe::17]:4711".into()),
                ("host".into(), "[::1]:8080".into()),
                ("proto".into(), "http".into())
            ]
        );
        assert_eq!(
            p("host=\"a,b\\\"c\"").unwrap(),
            [("host".into(), "a,b\"c".into())]
        );
        assert_eq!(p("").unwrap(), []);
        for bad in [
            "host",
            "host=\"open",
            "=x",
            "host=a b",
            "ho st=a",
            "host=a\"b\"",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn forwarded_wins_over_x_forwarded_and_prefix_applies_to_both() {
        let f = Forwarded::read(&headers(&[
            ("forwarded", "proto=https;host=\"[2001:db8::1]:8443\""),
            ("x-forwarded-proto", "http"),
            ("x-forwarded-host", "other.example"),
            ("x-forwarded-prefix", "/a2a/"),
        ]));
        assert_eq!(f.scheme, Some("https"));
        assert_eq!(f.authority.as_deref(), Some("[2001:db8::1]:8443"));
        assert_eq!(f.prefix.as_deref(), Some("/a2a"));
        let f = Forwarded::read(&headers(&[
            ("x-forwarded-proto", "https, http"),
            ("x-forwarded-host", "gw.example.com, inner.local"),
            ("x-forwarded-port", "8443"),
        ]));
        assert_eq!(f.scheme, Some("https"));
        assert_eq!(f.authority.as_deref(), Some("gw.example.com:8443"));
        // The scheme's default port is left out; a host's own port wins.
        let f = Forwarded::read(&headers(&[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "gw.example.com"),
            ("x-forwarded-port", "443"),
        ]));
        assert_eq!(f.authority.as_deref(), Some("gw.example.com"));
        let f = Forwarded::read(&headers(&[
            ("x-forwarded-host", "gw.example.com:9000"),
            ("x-forwarded-port", "8443"),
        ]));
        assert_eq!(f.authority.as_deref(), Some("gw.example.com:9000"));
        // Junk is ignored, value by value.
        let f = Forwarded::read(&headers(&[
            ("x-forwarded-proto", "javascript"),
            ("x-forwarded-host", "evil.com/path"),
            ("x-forwarded-prefix", "/../admin"),
            ("x-forwarded-port", "99999"),
        ]));
        assert_eq!(f, Forwarded::default());
    }
}
