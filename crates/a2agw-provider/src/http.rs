//! Helpers for adapters that talk HTTP with reqwest (feature `http`).

use std::time::Duration;

/// The text of a reqwest error without its URL (which may carry a query with secrets):
/// the causes behind it, or what kind of failure it was.
pub fn without_url(e: &reqwest::Error) -> String {
    let mut s = String::new();
    // The outermost message repeats the URL; its sources carry the cause.
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        if !s.is_empty() {
            s.push_str(": ");
        }
        s.push_str(&err.to_string());
        source = err.source();
    }
    if !s.is_empty() {
        s
    } else if e.is_connect() {
        "connection failed".into()
    } else if e.is_body() || e.is_decode() {
        "the response body was cut off".into()
    } else {
        "request failed".into()
    }
}

/// The delay a `Retry-After: <seconds>` header of `resp` asks for.
pub fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    let secs = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(Duration::from_secs(secs))
}
