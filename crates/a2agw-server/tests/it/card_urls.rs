//! Cards that are right everywhere: one table of deployments (a configured public URL or
//! not; trusted proxies; a second agent; the 1.0, 0.3 and hybrid card forms; gRPC on the
//! HTTP port or at a configured address; IPv4 or IPv6) and requests (the root card, an
//! agent's card, the 0.3 paths; `Host` variants, `X-Forwarded-*`, RFC 7239 `Forwarded`,
//! sent from a trusted or an untrusted peer, or through a real reverse proxy that strips a
//! path prefix and adds forwarded headers).
//!
//! For each case the test reads the card, checks its interface URLs, and then *follows
//! every URL it declares* (`supportedInterfaces[].url`, the 0.3 `url` and
//! `additionalInterfaces[].url`): it creates a task through the card's first JSON-RPC
//! interface, then asks every interface, on its binding and version, for that task (it
//! must be there: every URL reaches the same agent) and for an unknown one (the A2A
//! TaskNotFound error of that binding). Host names like `gw.example.com` do not resolve:
//! a URL's authority is mapped to the socket that stands for it (the gateway for its own
//! address, else the case's front: the test proxy, or the gateway itself), and the
//! request carries the URL's authority as `Host`. gRPC goes straight to the gateway with
//! the URL as `:authority` (the test proxy speaks HTTP/1.1 only; a gRPC proxy passes
//! through and has no path to strip).
//!
//! Peers: a direct client connects from 127.0.0.1 (or binds 127.0.0.2, or `::1`); the
//! test proxy connects to the gateway from 127.0.0.2 (or `::1`), so a gateway that trusts
//! `127.0.0.2/32` trusts the proxy but not the direct clients.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::{TestServer, server, user_message};
use a2agw_proto::v1::{self, a2a_service_client::A2aServiceClient};
use a2agw_server::CardForm;
use a2agw_types::binding;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};
use std::net::{IpAddr, SocketAddr};

/// Every interface the gateway can declare: the binary's default set.
const ALL: [(&str, &str); 5] = [
    (binding::JSONRPC, "1.0"),
    (binding::HTTP_JSON, "1.0"),
    (binding::GRPC, "1.0"),
    (binding::JSONRPC, "0.3"),
    (binding::HTTP_JSON, "0.3"),
];

/// The name of the second agent, when a case serves one.
const BETA: &str = "beta";

const CARD: &str = "/.well-known/agent-card.json";
const CARD_03: &str = "/.well-known/agent-card.json?A2A-Version=0.3";
const LEGACY: &str = "/.well-known/agent.json";
const BETA_CARD: &str = "/agents/beta/.well-known/agent-card.json";
const BETA_CARD_03: &str = "/agents/beta/.well-known/agent-card.json?A2A-Version=0.3";
const BETA_LEGACY: &str = "/agents/beta/.well-known/agent.json";

/// How the test proxy tells the gateway what the client saw.
#[derive(Clone, Copy, Debug)]
enum Style {
    /// `X-Forwarded-Proto`, `-Host` (the client's `Host`), `-Port` when given, `-Prefix`
    /// when not empty, `-For`.
    XForwarded {
        proto: &'static str,
        port: Option<&'static str>,
        prefix: &'static str,
    },
    /// `Forwarded: for=…;proto=…;host="…"` and `X-Forwarded-Prefix` when not empty.
    Forwarded {
        proto: &'static str,
        prefix: &'static str,
    },
}

/// Where the case's requests go.
#[derive(Clone, Copy, Debug)]
enum Via {
    /// Straight to the gateway, from this local address.
    Direct(&'static str),
    /// Through the test proxy: it serves under `strip` (removed before forwarding),
    /// connects to the gateway from `from`, and adds the headers of `style`.
    Proxy {
        strip: &'static str,
        from: &'static str,
        style: Style,
    },
}

/// One row: the deployment, the request, and the card's expected base URL and gRPC
/// address (`{gw}` stands for the gateway's own `host:port`).
#[derive(Clone, Copy, Debug)]
struct Case {
    name: &'static str,
    public_url: Option<&'static str>,
    trusted: &'static [&'static str],
    /// Also serve the agent [`BETA`].
    beta: bool,
    form: CardForm,
    grpc_address: Option<&'static str>,
    /// Listen on `[::1]:0` instead of `127.0.0.1:0`.
    ipv6: bool,
    via: Via,
    path: &'static str,
    /// Request headers (`{long}` is a 300-character host).
    headers: &'static [(&'static str, &'static str)],
    base: &'static str,
    grpc: &'static str,
    /// The path prefix to remove when a followed URL goes straight to the gateway (the
    /// part of the base URL a proxy would have stripped).
    strip: &'static str,
}

const BASE: Case = Case {
    name: "",
    public_url: None,
    trusted: &[],
    beta: false,
    form: CardForm::V1_0,
    grpc_address: None,
    ipv6: false,
    via: Via::Direct("127.0.0.1"),
    path: CARD,
    headers: &[],
    base: "http://{gw}",
    grpc: "{gw}",
    strip: "",
};

/// The trusted test proxy's address.
const PROXY_IP: &[&str] = &["127.0.0.2/32"];

const XF_HTTPS_A2A: Via = Via::Proxy {
    strip: "/a2a",
    from: "127.0.0.2",
    style: Style::XForwarded {
        proto: "https",
        port: None,
        prefix: "/a2a",
    },
};

const FWD_HTTPS_A2A: Via = Via::Proxy {
    strip: "/a2a",
    from: "127.0.0.2",
    style: Style::Forwarded {
        proto: "https",
        prefix: "/a2a",
    },
};

const HOST_GW: &[(&str, &str)] = &[("host", "gw.example.com")];

const EVIL: &[(&str, &str)] = &[
    ("x-forwarded-host", "evil.example"),
    ("x-forwarded-proto", "https"),
    ("x-forwarded-prefix", "/evil"),
    ("x-forwarded-port", "6666"),
];

const EVIL_FORWARDED: &[(&str, &str)] =
    &[("forwarded", "for=203.0.113.9;proto=https;host=evil.example")];

fn cases() -> Vec<Case> {
    vec![
        // ── A configured public URL wins over everything ─────────────────────────────
        Case {
            name: "public url behind a prefix-stripping proxy",
            public_url: Some("https://gw.example.com/a2a"),
            via: XF_HTTPS_A2A,
            headers: HOST_GW,
            base: "https://gw.example.com/a2a",
            grpc: "gw.example.com:443",
            ..BASE
        },
        Case {
            name: "public url with a trailing slash",
            public_url: Some("https://gw.example.com/a2a/"),
            base: "https://gw.example.com/a2a",
            grpc: "gw.example.com:443",
            strip: "/a2a",
            ..BASE
        },
        Case {
            name: "public url beats a trusted proxy's forwarded host",
            public_url: Some("https://gw.example.com/a2a"),
            trusted: &["127.0.0.0/8"],
            headers: &[
                ("x-forwarded-host", "other.example"),
                ("forwarded", "host=other.example;proto=http"),
            ],
            base: "https://gw.example.com/a2a",
            grpc: "gw.example.com:443",
            strip: "/a2a",
            ..BASE
        },
        Case {
            name: "public url, second agent's card",
            public_url: Some("https://gw.example.com/a2a"),
            beta: true,
            via: XF_HTTPS_A2A,
            path: BETA_CARD,
            headers: HOST_GW,
            base: "https://gw.example.com/a2a",
            grpc: "gw.example.com:443",
            ..BASE
        },
        Case {
            name: "public url with a non-default port, 0.3 path",
            public_url: Some("http://gw.example.com:8080"),
            path: LEGACY,
            base: "http://gw.example.com:8080",
            grpc: "gw.example.com:8080",
            ..BASE
        },
        Case {
            name: "public url and a configured gRPC address",
            public_url: Some("https://gw.example.com"),
            grpc_address: Some("grpc.example.com:50051"),
            base: "https://gw.example.com",
            grpc: "grpc.example.com:50051",
            ..BASE
        },
        Case {
            name: "public url with an IPv6 host",
            public_url: Some("http://[2001:db8::1]:8080/a2a"),
            path: CARD_03,
            base: "http://[2001:db8::1]:8080/a2a",
            grpc: "[2001:db8::1]:8080",
            strip: "/a2a",
            ..BASE
        },
        Case {
            name: "public url, hybrid card",
            public_url: Some("https://gw.example.com/a2a"),
            form: CardForm::Hybrid,
            via: XF_HTTPS_A2A,
            headers: HOST_GW,
            base: "https://gw.example.com/a2a",
            grpc: "gw.example.com:443",
            ..BASE
        },
        // ── A trusted proxy with X-Forwarded-* ───────────────────────────────────────
        Case {
            name: "x-forwarded proxy under /a2a",
            trusted: PROXY_IP,
            via: XF_HTTPS_A2A,
            headers: HOST_GW,
            base: "https://gw.example.com/a2a",
            grpc: "gw.example.com:443",
            ..BASE
        },
        Case {
            name: "x-forwarded proxy, second agent's card (tenant on gRPC)",
            trusted: PROXY_IP,
            beta: true,
            via: XF_HTTPS_A2A,
            path: BETA_CARD,
            headers: HOST_GW,
            base: "https://gw.example.com/a2a",
            grpc: "gw.example.com:443",
            ..BASE
        },
        Case {
            name: "x-forwarded proxy, 0.3 card by query",
            trusted: PROXY_IP,
            via: XF_HTTPS_A2A,
            path: CARD_03,
            headers: HOST_GW,
            base: "https://gw.example.com/a2a",
            grpc: "gw.example.com:443",
            ..BASE
        },
        Case {
            name: "x-forwarded proxy, 0.3 legacy path",
            trusted: PROXY_IP,
            via: XF_HTTPS_A2A,
            path: LEGACY,
            headers: HOST_GW,
            base: "https://gw.example.com/a2a",
            grpc: "gw.example.com:443",
            ..BASE
        },
        Case {
            name: "x-forwarded proxy, second agent's 0.3 legacy path",
            trusted: PROXY_IP,
            beta: true,
            via: XF_HTTPS_A2A,
            path: BETA_LEGACY,
            headers: HOST_GW,
            base: "https://gw.example.com/a2a",
            grpc: "gw.example.com:443",
            ..BASE
        },
        Case {
            name: "x-forwarded proxy, client Host with a non-default port",
            trusted: PROXY_IP,
            via: XF_HTTPS_A2A,
            headers: &[("host", "gw.example.com:8443")],
            base: "https://gw.example.com:8443/a2a",
            grpc: "gw.example.com:8443",
            ..BASE
        },
        Case {
            name: "x-forwarded proxy, X-Forwarded-Port completes the host",
            trusted: PROXY_IP,
            via: Via::Proxy {
                strip: "/a2a",
                from: "127.0.0.2",
                style: Style::XForwarded {
                    proto: "https",
                    port: Some("8443"),
                    prefix: "/a2a",
                },
            },
            headers: HOST_GW,
            base: "https://gw.example.com:8443/a2a",
            grpc: "gw.example.com:8443",
            ..BASE
        },
        Case {
            name: "x-forwarded proxy, the scheme's default X-Forwarded-Port is left out",
            trusted: PROXY_IP,
            via: Via::Proxy {
                strip: "/a2a",
                from: "127.0.0.2",
                style: Style::XForwarded {
                    proto: "https",
                    port: Some("443"),
                    prefix: "/a2a",
                },
            },
            headers: HOST_GW,
            base: "https://gw.example.com/a2a",
            grpc: "gw.example.com:443",
            ..BASE
        },
        Case {
            name: "x-forwarded proxy, plain http on port 8080, no prefix",
            trusted: PROXY_IP,
            via: Via::Proxy {
                strip: "",
                from: "127.0.0.2",
                style: Style::XForwarded {
                    proto: "http",
                    port: None,
                    prefix: "",
                },
            },
            headers: &[("host", "gw.example.com:8080")],
            base: "http://gw.example.com:8080",
            grpc: "gw.example.com:8080",
            ..BASE
        },
        Case {
            name: "x-forwarded proxy, plain http without a port: gRPC on 80",
            trusted: PROXY_IP,
            via: Via::Proxy {
                strip: "",
                from: "127.0.0.2",
                style: Style::XForwarded {
                    proto: "http",
                    port: None,
                    prefix: "",
                },
            },
            headers: HOST_GW,
            base: "http://gw.example.com",
            grpc: "gw.example.com:80",
            ..BASE
        },
        Case {
            name: "x-forwarded proxy, nested prefix sent with a trailing slash",
            trusted: PROXY_IP,
            via: Via::Proxy {
                strip: "/team/a2a",
                from: "127.0.0.2",
                style: Style::XForwarded {
                    proto: "https",
                    port: None,
                    prefix: "/team/a2a/",
                },
            },
            headers: HOST_GW,
            base: "https://gw.example.com/team/a2a",
            grpc: "gw.example.com:443",
            ..BASE
        },
        Case {
            name: "x-forwarded proxy, hybrid card",
            trusted: PROXY_IP,
            form: CardForm::Hybrid,
            via: XF_HTTPS_A2A,
            headers: HOST_GW,
            base: "https://gw.example.com/a2a",
            grpc: "gw.example.com:443",
            ..BASE
        },
        Case {
            name: "x-forwarded proxy, second agent's hybrid card",
            trusted: PROXY_IP,
            beta: true,
            form: CardForm::Hybrid,
            via: XF_HTTPS_A2A,
            path: BETA_CARD,
            headers: HOST_GW,
            base: "https://gw.example.com/a2a",
            grpc: "gw.example.com:443",
            ..BASE
        },
        Case {
            name: "x-forwarded proxy, client Host an IPv6 literal",
            trusted: PROXY_IP,
            via: XF_HTTPS_A2A,
            headers: &[("host", "[2001:db8::1]:8443")],
            base: "https://[2001:db8::1]:8443/a2a",
            grpc: "[2001:db8::1]:8443",
            ..BASE
        },
        Case {
            name: "x-forwarded proxy in one of several trusted networks",
            trusted: &["10.0.0.0/8", "fd00::/8", "127.0.0.2"],
            via: XF_HTTPS_A2A,
            headers: HOST_GW,
            base: "https://gw.example.com/a2a",
            grpc: "gw.example.com:443",
            ..BASE
        },
        Case {
            name: "x-forwarded proxy and a configured gRPC address",
            trusted: PROXY_IP,
            grpc_address: Some("grpc.example.com:50051"),
            via: XF_HTTPS_A2A,
            headers: HOST_GW,
            base: "https://gw.example.com/a2a",
            grpc: "grpc.example.com:50051",
            ..BASE
        },
        // ── A trusted proxy with RFC 7239 Forwarded ──────────────────────────────────
        Case {
            name: "forwarded proxy under /a2a",
            trusted: PROXY_IP,
            via: FWD_HTTPS_A2A,
            headers: HOST_GW,
            base: "https://gw.example.com/a2a",
            grpc: "gw.example.com:443",
            ..BASE
        },
        Case {
            name: "forwarded proxy, quoted IPv6 host with a port",
            trusted: PROXY_IP,
            via: FWD_HTTPS_A2A,
            headers: &[("host", "[2001:db8::1]:8443")],
            base: "https://[2001:db8::1]:8443/a2a",
            grpc: "[2001:db8::1]:8443",
            ..BASE
        },
        Case {
            name: "forwarded proxy, second agent's 0.3 card",
            trusted: PROXY_IP,
            beta: true,
            via: FWD_HTTPS_A2A,
            path: BETA_CARD_03,
            headers: HOST_GW,
            base: "https://gw.example.com/a2a",
            grpc: "gw.example.com:443",
            ..BASE
        },
        Case {
            name: "forwarded from a trusted peer: the first element wins",
            trusted: PROXY_IP,
            via: Via::Direct("127.0.0.2"),
            headers: &[(
                "forwarded",
                "for=198.51.100.1;proto=https;host=\"gw.example.com:9443\", for=10.0.0.1;proto=http;host=inner.local",
            )],
            base: "https://gw.example.com:9443",
            grpc: "gw.example.com:9443",
            ..BASE
        },
        Case {
            name: "forwarded wins over x-forwarded",
            trusted: PROXY_IP,
            via: Via::Direct("127.0.0.2"),
            headers: &[
                ("forwarded", "proto=https;host=gw.example.com"),
                ("x-forwarded-host", "other.example"),
                ("x-forwarded-proto", "http"),
                ("x-forwarded-prefix", "/a2a"),
            ],
            base: "https://gw.example.com/a2a",
            grpc: "gw.example.com:443",
            strip: "/a2a",
            ..BASE
        },
        Case {
            name: "forwarded with only for=: x-forwarded is read",
            trusted: PROXY_IP,
            via: Via::Direct("127.0.0.2"),
            headers: &[
                ("forwarded", "for=198.51.100.1"),
                ("x-forwarded-host", "gw.example.com"),
                ("x-forwarded-proto", "https"),
            ],
            base: "https://gw.example.com",
            grpc: "gw.example.com:443",
            ..BASE
        },
        // ── A trusted peer's values are validated ────────────────────────────────────
        Case {
            name: "trusted peer, x-forwarded lists: the first value wins",
            trusted: PROXY_IP,
            via: Via::Direct("127.0.0.2"),
            headers: &[
                ("x-forwarded-host", "gw.example.com, inner.local"),
                ("x-forwarded-proto", "https, http"),
                ("x-forwarded-prefix", "/a2a, /inner"),
            ],
            base: "https://gw.example.com/a2a",
            grpc: "gw.example.com:443",
            strip: "/a2a",
            ..BASE
        },
        Case {
            name: "trusted peer, a junk forwarded host falls back to Host",
            trusted: PROXY_IP,
            via: Via::Direct("127.0.0.2"),
            headers: &[("x-forwarded-host", "evil.example/path")],
            ..BASE
        },
        Case {
            name: "trusted peer, a traversing prefix is ignored",
            trusted: PROXY_IP,
            via: Via::Direct("127.0.0.2"),
            headers: &[("x-forwarded-prefix", "/../evil")],
            ..BASE
        },
        Case {
            name: "trusted peer, a scheme other than http(s) is ignored",
            trusted: PROXY_IP,
            via: Via::Direct("127.0.0.2"),
            headers: &[("x-forwarded-proto", "javascript")],
            ..BASE
        },
        Case {
            name: "trusted peer, a prefix is percent-encoded",
            trusted: PROXY_IP,
            via: Via::Direct("127.0.0.2"),
            headers: &[("x-forwarded-prefix", "/my team")],
            base: "http://{gw}/my%20team",
            strip: "/my%20team",
            ..BASE
        },
        Case {
            name: "trusted peer, a junk Forwarded header is ignored",
            trusted: PROXY_IP,
            via: Via::Direct("127.0.0.2"),
            headers: &[("forwarded", "host=\"evil.example")],
            ..BASE
        },
        // ── Untrusted peers: forwarded headers never count ───────────────────────────
        Case {
            name: "untrusted peer sends x-forwarded evil.example",
            trusted: PROXY_IP,
            headers: EVIL,
            ..BASE
        },
        Case {
            name: "untrusted peer sends Forwarded evil.example",
            trusted: PROXY_IP,
            headers: EVIL_FORWARDED,
            ..BASE
        },
        Case {
            name: "no trusted proxies at all",
            headers: EVIL,
            ..BASE
        },
        Case {
            name: "untrusted peer, second agent's card",
            trusted: PROXY_IP,
            beta: true,
            path: BETA_CARD,
            headers: EVIL,
            ..BASE
        },
        Case {
            name: "untrusted peer, 0.3 card",
            trusted: PROXY_IP,
            path: CARD_03,
            headers: EVIL_FORWARDED,
            ..BASE
        },
        Case {
            name: "untrusted peer, hybrid card",
            trusted: PROXY_IP,
            form: CardForm::Hybrid,
            headers: EVIL,
            ..BASE
        },
        Case {
            name: "untrusted proxy: its headers are ignored, its Host is used",
            trusted: &["10.0.0.0/8"],
            via: XF_HTTPS_A2A,
            headers: &[("host", "evil.example")],
            ..BASE
        },
        Case {
            name: "an IPv6-only trust list does not trust an IPv4 peer",
            trusted: &["::1/128"],
            headers: EVIL,
            ..BASE
        },
        // ── Host variants, no proxy ──────────────────────────────────────────────────
        Case {
            name: "Host with a non-default port",
            headers: &[("host", "gw.example.com:8080")],
            base: "http://gw.example.com:8080",
            grpc: "gw.example.com:8080",
            ..BASE
        },
        Case {
            name: "Host without a port: gRPC on 80",
            headers: &[("host", "gw.example.com")],
            base: "http://gw.example.com",
            grpc: "gw.example.com:80",
            ..BASE
        },
        Case {
            name: "Host in capitals is lower-cased",
            headers: &[("host", "GW.Example.COM:8080")],
            base: "http://gw.example.com:8080",
            grpc: "gw.example.com:8080",
            ..BASE
        },
        Case {
            name: "Host an IPv6 literal",
            headers: &[("host", "[2001:db8::1]:9999")],
            base: "http://[2001:db8::1]:9999",
            grpc: "[2001:db8::1]:9999",
            ..BASE
        },
        Case {
            name: "Host with a path falls back to the local address",
            headers: &[("host", "evil.example/path")],
            ..BASE
        },
        Case {
            name: "Host with userinfo falls back to the local address",
            headers: &[("host", "x@evil.example")],
            ..BASE
        },
        Case {
            name: "Host with a space falls back to the local address",
            headers: &[("host", "evil example")],
            ..BASE
        },
        Case {
            name: "an over-long Host falls back to the local address",
            headers: &[("host", "{long}")],
            ..BASE
        },
        Case {
            name: "the default Host, second agent's 0.3 legacy path",
            beta: true,
            path: BETA_LEGACY,
            ..BASE
        },
        // ── IPv6 listener ────────────────────────────────────────────────────────────
        Case {
            name: "IPv6 listener, the client's Host",
            ipv6: true,
            via: Via::Direct("::1"),
            ..BASE
        },
        Case {
            name: "IPv6 listener, second agent, 0.3 card",
            ipv6: true,
            beta: true,
            via: Via::Direct("::1"),
            path: BETA_CARD_03,
            ..BASE
        },
        Case {
            name: "IPv6 listener behind a trusted IPv6 proxy",
            ipv6: true,
            trusted: &["::1/128"],
            via: Via::Proxy {
                strip: "/a2a",
                from: "::1",
                style: Style::XForwarded {
                    proto: "https",
                    port: Some("8443"),
                    prefix: "/a2a",
                },
            },
            headers: HOST_GW,
            base: "https://gw.example.com:8443/a2a",
            grpc: "gw.example.com:8443",
            ..BASE
        },
        Case {
            name: "IPv6 listener, untrusted IPv6 peer",
            ipv6: true,
            trusted: &["fd00::/8"],
            via: Via::Direct("::1"),
            headers: EVIL,
            ..BASE
        },
    ]
}

// ── The test proxy ───────────────────────────────────────────────────────────────────

#[derive(Clone, Debug)]
struct ProxyState {
    upstream: SocketAddr,
    strip: &'static str,
    style: Style,
    client: reqwest::Client,
}

/// A reverse proxy on a port of its own, until dropped.
struct Proxy {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn start_proxy(upstream: SocketAddr, strip: &'static str, from: &str, style: Style) -> Proxy {
    let client = reqwest::Client::builder()
        .local_address(from.parse::<IpAddr>().unwrap())
        .build()
        .unwrap();
    let state = ProxyState {
        upstream,
        strip,
        style,
        client,
    };
    let app = axum::Router::new().fallback(forward).with_state(state);
    let bind = if upstream.is_ipv6() {
        "[::1]:0"
    } else {
        "127.0.0.1:0"
    };
    let listener = tokio::net::TcpListener::bind(bind).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        let _ = axum::serve(listener, app).await;
    });
    Proxy { addr, task }
}

/// Strips the prefix, adds the forwarded headers, forwards to the gateway (whose `Host`
/// becomes the upstream's address, as proxies usually do) and relays the answer.
async fn forward(
    State(p): State<ProxyState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: axum::extract::Request,
) -> axum::response::Response {
    let pq = req
        .uri()
        .path_and_query()
        .map_or("/", |x| x.as_str())
        .to_owned();
    let rest = match pq.strip_prefix(p.strip) {
        Some("") => "/".to_owned(),
        Some(r) if r.starts_with('/') => r.to_owned(),
        Some(r) if r.starts_with('?') => format!("/{r}"),
        _ => return (axum::http::StatusCode::NOT_FOUND, "not under the prefix").into_response(),
    };
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let method = req.method().clone();
    let mut headers = req.headers().clone();
    for h in [header::HOST, header::CONTENT_LENGTH, header::CONNECTION] {
        headers.remove(h);
    }
    let mut set = |name: &str, value: String| {
        headers.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(&value).unwrap(),
        );
    };
    let ip = peer.ip();
    set("x-forwarded-for", ip.to_string());
    match p.style {
        Style::XForwarded {
            proto,
            port,
            prefix,
        } => {
            set("x-forwarded-proto", proto.into());
            set("x-forwarded-host", host);
            if let Some(port) = port {
                set("x-forwarded-port", port.into());
            }
            if !prefix.is_empty() {
                set("x-forwarded-prefix", prefix.into());
            }
        }
        Style::Forwarded { proto, prefix } => {
            let for_ = match ip {
                IpAddr::V6(v6) => format!("\"[{v6}]\""),
                IpAddr::V4(v4) => v4.to_string(),
            };
            set(
                "forwarded",
                format!("for={for_};proto={proto};host=\"{host}\""),
            );
            if !prefix.is_empty() {
                set("x-forwarded-prefix", prefix.into());
            }
        }
    }
    let body = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .unwrap();
    let resp = p
        .client
        .request(method, format!("http://{}{rest}", p.upstream))
        .headers(headers)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let mut out_headers = resp.headers().clone();
    for h in [
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
        header::CONNECTION,
    ] {
        out_headers.remove(h);
    }
    let bytes = resp.bytes().await.unwrap();
    let mut out = (status, bytes).into_response();
    out.headers_mut().extend(out_headers);
    out
}

// ── Reading the card ─────────────────────────────────────────────────────────────────

/// One interface a card declares.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Iface {
    binding: String,
    version: String,
    url: String,
    tenant: String,
}

/// Every interface of a served card: `supportedInterfaces`, and the 0.3 `url` with its
/// `preferredTransport` and `additionalInterfaces` (0.3 interfaces, no tenant).
fn interfaces_of(card: &Value) -> Vec<Iface> {
    let mut out = Vec::new();
    for i in card["supportedInterfaces"].as_array().into_iter().flatten() {
        out.push(Iface {
            binding: i["protocolBinding"].as_str().unwrap().to_owned(),
            version: i["protocolVersion"].as_str().unwrap().to_owned(),
            url: i["url"].as_str().unwrap().to_owned(),
            tenant: i["tenant"].as_str().unwrap_or_default().to_owned(),
        });
    }
    if let Some(url) = card["url"].as_str() {
        out.push(Iface {
            binding: card["preferredTransport"]
                .as_str()
                .unwrap_or("JSONRPC")
                .to_owned(),
            version: "0.3".into(),
            url: url.to_owned(),
            tenant: String::new(),
        });
    }
    for i in card["additionalInterfaces"]
        .as_array()
        .into_iter()
        .flatten()
    {
        out.push(Iface {
            binding: i["transport"].as_str().unwrap().to_owned(),
            version: "0.3".into(),
            url: i["url"].as_str().unwrap().to_owned(),
            tenant: String::new(),
        });
    }
    out
}

/// The form a case's request asks for (decision 34).
fn asked_form(case: &Case) -> CardForm {
    if case.path.contains("A2A-Version=0.3") || case.path.contains("/agent.json") {
        CardForm::V0_3
    } else {
        case.form
    }
}

/// The 1.0 `supportedInterfaces` a case expects, in declaration order.
fn expected_interfaces(case: &Case, base: &str, grpc: &str) -> Vec<Iface> {
    let agent = case.path.contains("/agents/beta/").then_some(BETA);
    let at = agent.map_or(String::new(), |a| format!("/agents/{a}"));
    ALL.iter()
        .map(|(b, v)| Iface {
            binding: (*b).to_owned(),
            version: (*v).to_owned(),
            url: match *b {
                binding::JSONRPC => format!("{base}{at}/"),
                binding::GRPC => grpc.to_owned(),
                _ => format!("{base}{at}"),
            },
            tenant: match (*b, agent) {
                (binding::GRPC, Some(a)) => a.to_owned(),
                _ => String::new(),
            },
        })
        .collect()
}

// ── Following the URLs ───────────────────────────────────────────────────────────────

/// Where a followed request goes.
struct Targets {
    gateway: SocketAddr,
    /// The gateway's `host:port` as it writes it into cards.
    gateway_authority: String,
    /// The proxy, when the case has one.
    proxy: Option<SocketAddr>,
    strip: &'static str,
    http: reqwest::Client,
}

impl Targets {
    /// The real URL for a card URL, and the `Host` to send: the gateway's own address
    /// goes to the gateway; any other authority to the case's front (the proxy, which
    /// strips its prefix, or the gateway, with `strip` removed here).
    fn resolve(&self, url: &str) -> (String, String) {
        let (_, rest) = url.split_once("://").expect("an absolute URL");
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let to_proxy = authority != self.gateway_authority && self.proxy.is_some();
        if to_proxy {
            let proxy = self.proxy.unwrap();
            return (format!("http://{proxy}{path}"), authority.to_owned());
        }
        let path = if self.strip.is_empty() {
            path
        } else {
            let rest = path
                .strip_prefix(self.strip)
                .unwrap_or_else(|| panic!("{url} is not under {}", self.strip));
            assert!(rest.is_empty() || rest.starts_with('/'), "{url}");
            if rest.is_empty() { "/" } else { rest }
        };
        (
            format!("http://{}{path}", self.gateway),
            authority.to_owned(),
        )
    }

    async fn post(&self, url: &str, version: &str, body: Value) -> Value {
        let (real, host) = self.resolve(url);
        let resp = self
            .http
            .post(&real)
            .header(header::HOST, host)
            .header("content-type", "application/json")
            .header("a2a-version", version)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert_eq!(status, 200, "POST {url} (as {real}): {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("POST {url}: {e}: {text}"))
    }

    async fn get(&self, url: &str, version: &str) -> (u16, Value) {
        let (real, host) = self.resolve(url);
        let resp = self
            .http
            .get(&real)
            .header(header::HOST, host)
            .header("a2a-version", version)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("GET {url} (as {real}), {status}: {e}: {text}"));
        (status, body)
    }

    /// Creates a task through a JSON-RPC interface; its id.
    async fn create_task(&self, i: &Iface) -> String {
        assert_eq!(i.binding, binding::JSONRPC, "{i:?}");
        let body = if i.version == "1.0" {
            json!({"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {
                "message": user_message("hello"),
                "configuration": {"returnImmediately": true},
            }})
        } else {
            json!({"jsonrpc": "2.0", "id": 1, "method": "message/send", "params": {
                "message": {"kind": "message", "messageId": crate::support::message_id(),
                    "role": "user", "parts": [{"kind": "text", "text": "hello"}]},
                "configuration": {"blocking": false},
            }})
        };
        let resp = self.post(&i.url, &i.version, body).await;
        let result = &resp["result"];
        let id = result["task"]["id"]
            .as_str()
            .or_else(|| result["id"].as_str())
            .unwrap_or_else(|| panic!("no task from {}: {resp}", i.url));
        id.to_owned()
    }

    /// Asks `i` for task `id`: `Ok(())` when found, `Err(what was answered)` otherwise;
    /// an unknown id must be that binding's TaskNotFound.
    async fn get_task(&self, i: &Iface, id: &str, known: bool) {
        match (i.binding.as_str(), i.version.as_str()) {
            (binding::JSONRPC, v) => {
                let method = if v == "1.0" { "GetTask" } else { "tasks/get" };
                let mut params = json!({"id": id});
                if !i.tenant.is_empty() {
                    params["tenant"] = json!(i.tenant);
                }
                let resp = self
                    .post(
                        &i.url,
                        v,
                        json!({"jsonrpc": "2.0", "id": 2, "method": method, "params": params}),
                    )
                    .await;
                if known {
                    assert_eq!(resp["result"]["id"], id, "{i:?}: {resp}");
                } else {
                    assert_eq!(resp["error"]["code"], -32001, "{i:?}: {resp}");
                }
            }
            (binding::HTTP_JSON, v) => {
                let tenant = if i.tenant.is_empty() {
                    String::new()
                } else {
                    format!("/{}", i.tenant)
                };
                let path = if v == "1.0" {
                    format!("{}{tenant}/tasks/{id}", i.url)
                } else {
                    format!("{}/v1/tasks/{id}", i.url)
                };
                let (status, body) = self.get(&path, v).await;
                if known {
                    assert_eq!(status, 200, "{i:?}: {body}");
                    assert_eq!(body["id"], id, "{i:?}: {body}");
                } else {
                    assert_eq!(status, 404, "{i:?}: {body}");
                    assert_eq!(body["error"]["status"], "NOT_FOUND", "{i:?}: {body}");
                    if v == "1.0" {
                        assert!(body.to_string().contains("TASK_NOT_FOUND"), "{body}");
                    }
                }
            }
            (binding::GRPC, _) => {
                let (host, port) = i.url.rsplit_once(':').expect("gRPC url is host:port");
                assert!(
                    !i.url.contains('/') && port.parse::<u16>().is_ok() && !host.is_empty(),
                    "gRPC url is host:port: {}",
                    i.url
                );
                let channel =
                    tonic::transport::Endpoint::from_shared(format!("http://{}", self.gateway))
                        .unwrap()
                        .origin(format!("http://{}", i.url).parse().unwrap())
                        .connect()
                        .await
                        .unwrap();
                let answer = A2aServiceClient::new(channel)
                    .get_task(v1::GetTaskRequest {
                        id: id.to_owned(),
                        tenant: i.tenant.clone(),
                        ..v1::GetTaskRequest::default()
                    })
                    .await;
                match (known, answer) {
                    (true, Ok(task)) => assert_eq!(task.into_inner().id, id, "{i:?}"),
                    (false, Err(status)) => {
                        assert_eq!(status.code(), tonic::Code::NotFound, "{i:?}: {status:?}");
                    }
                    (known, other) => panic!("{i:?}, task known: {known}: {other:?}"),
                }
            }
            (other, _) => panic!("unexpected binding {other}"),
        }
    }
}

fn fill(template: &str, gw: &str) -> String {
    template.replace("{gw}", gw)
}

/// Runs one case; a failure panics with the case's name in the message.
async fn run(case: &Case) {
    let mut builder = server()
        .interfaces(ALL.to_vec())
        .card_form(case.form)
        .trusted_proxies(case.trusted);
    if let Some(u) = case.public_url {
        builder = builder.public_url(u);
    }
    if let Some(g) = case.grpc_address {
        builder = builder.grpc_address(g);
    }
    if case.beta {
        builder = builder.agent(BETA);
    }
    if case.ipv6 {
        builder = builder.listen("[::1]:0");
    }
    let srv: TestServer = builder.start().await;
    let gw = srv.addr.to_string();
    let proxy = match case.via {
        Via::Proxy { strip, from, style } => Some(start_proxy(srv.addr, strip, from, style).await),
        Via::Direct(_) => None,
    };
    // The card request.
    let client = match case.via {
        Via::Direct(from) => reqwest::Client::builder()
            .local_address(from.parse::<IpAddr>().unwrap())
            .build()
            .unwrap(),
        Via::Proxy { .. } => reqwest::Client::new(),
    };
    let url = match (&proxy, case.via) {
        (Some(p), Via::Proxy { strip, .. }) => format!("http://{}{strip}{}", p.addr, case.path),
        _ => format!("http://{gw}{}", case.path),
    };
    let mut headers = HeaderMap::new();
    let long = format!("{}.example", "a".repeat(300));
    for (k, v) in case.headers {
        let v = if *v == "{long}" { long.as_str() } else { v };
        headers.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    let resp = client.get(&url).headers(headers).send().await.unwrap();
    assert_eq!(resp.status(), 200, "GET {url}");
    let text = resp.text().await.unwrap();
    assert!(
        !text.contains("evil") && !text.contains("other.example") && !text.contains("inner"),
        "the card names what it must not: {text}"
    );
    let card: Value = serde_json::from_str(&text).unwrap();
    let base = fill(case.base, &gw);
    let grpc = fill(case.grpc, &gw);
    let want = expected_interfaces(case, &base, &grpc);
    let form = asked_form(case);
    let has_v1 = card.get("supportedInterfaces").is_some();
    let has_v03 = card.get("url").is_some();
    assert_eq!(
        (has_v1, has_v03),
        match form {
            CardForm::V1_0 => (true, false),
            CardForm::V0_3 => (false, true),
            CardForm::Hybrid => (true, true),
        },
        "{card}"
    );
    let got = interfaces_of(&card);
    if has_v1 {
        assert_eq!(got[..want.len()], want[..], "{card}");
    }
    if has_v03 {
        // The 0.3 `url` is the first 0.3 JSON-RPC interface; the additional ones are
        // the tenant-free 0.3 interfaces.
        let jsonrpc_03 = want.iter().find(|i| i.version == "0.3").unwrap();
        assert_eq!(card["url"], jsonrpc_03.url.as_str(), "{card}");
        assert_eq!(card["preferredTransport"], "JSONRPC", "{card}");
        for extra in card["additionalInterfaces"]
            .as_array()
            .into_iter()
            .flatten()
        {
            assert!(
                want.iter().any(|w| w.version == "0.3"
                    && w.binding == extra["transport"]
                    && w.url == extra["url"]),
                "{extra} is not one of the expected 0.3 interfaces: {card}"
            );
        }
    }
    // Follow every URL.
    let targets = Targets {
        gateway: srv.addr,
        gateway_authority: gw.clone(),
        proxy: proxy.as_ref().map(|p| p.addr),
        strip: case.strip,
        http: reqwest::Client::new(),
    };
    let first = got
        .iter()
        .find(|i| i.binding == binding::JSONRPC)
        .expect("a JSON-RPC interface");
    let id = targets.create_task(first).await;
    for i in &got {
        targets.get_task(i, &id, true).await;
        targets.get_task(i, "no-such-task", false).await;
    }
}

/// The whole table, case by case (each on a server of its own); every failure is
/// reported with its case's name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_urls_at_least_40_cases_each_url_followed() {
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut names = std::collections::HashSet::new();
    for c in &cases {
        assert!(names.insert(c.name), "two cases named {}", c.name);
    }
    let mut failures = Vec::new();
    for case in cases {
        let outcome = tokio::spawn(async move { run(&case).await }).await;
        if let Err(e) = outcome {
            let msg = e
                .try_into_panic()
                .ok()
                .and_then(|p| {
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                })
                .unwrap_or_default();
            failures.push(format!("{}: {msg}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The extended card (JSON-RPC `GetExtendedAgentCard`, REST `/extendedAgentCard`, gRPC
/// `GetExtendedAgentCard`) follows the same rules as the public card: a trusted peer's
/// forwarded headers count (gRPC metadata included, so the peer reaches the tonic
/// handlers too), an untrusted peer's do not.
#[tokio::test]
async fn the_extended_card_follows_the_same_rules_on_every_binding() {
    let builder = server().interfaces(ALL.to_vec()).trusted_proxies(PROXY_IP);
    let extended = builder.card();
    let srv = builder.extended_card(extended).start().await;
    let forged = [
        ("x-forwarded-host", "gw.example.com"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-prefix", "/a2a"),
    ];
    for (from, want) in [
        ("127.0.0.2", "https://gw.example.com/a2a/".to_owned()),
        ("127.0.0.1", format!("http://{}/", srv.addr)),
    ] {
        let ip: IpAddr = from.parse().unwrap();
        let http = reqwest::Client::builder()
            .local_address(ip)
            .build()
            .unwrap();
        let mut headers = HeaderMap::new();
        for (k, v) in forged {
            headers.insert(k, HeaderValue::from_static(v));
        }
        let rpc: Value = http
            .post(srv.url("/"))
            .headers(headers.clone())
            .header("content-type", "application/json")
            .body(
                json!({"jsonrpc": "2.0", "id": 1, "method": "GetExtendedAgentCard", "params": {}})
                    .to_string(),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            rpc["result"]["supportedInterfaces"][0]["url"], want,
            "{from}: {rpc}"
        );
        let rest: Value = http
            .get(srv.url("/extendedAgentCard"))
            .headers(headers)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            rest["supportedInterfaces"][0]["url"], want,
            "{from}: {rest}"
        );
        let channel = tonic::transport::Endpoint::from_shared(srv.base.clone())
            .unwrap()
            .local_address(Some(ip))
            .connect()
            .await
            .unwrap();
        let mut request = tonic::Request::new(v1::GetExtendedAgentCardRequest::default());
        for (k, v) in forged {
            request.metadata_mut().insert(k, v.parse().unwrap());
        }
        let card = A2aServiceClient::new(channel)
            .get_extended_agent_card(request)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(card.supported_interfaces[0].url, want, "{from}");
        let grpc = card
            .supported_interfaces
            .iter()
            .find(|i| i.protocol_binding == binding::GRPC)
            .unwrap();
        let want_grpc = if from == "127.0.0.2" {
            "gw.example.com:443".to_owned()
        } else {
            srv.addr.to_string()
        };
        assert_eq!(grpc.url, want_grpc, "{from}");
    }
}
