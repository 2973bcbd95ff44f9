//! Server-sent events framing shared by the JSON-RPC and HTTP+JSON bindings.

use crate::shutdown::Shutdown;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use std::convert::Infallible;
use std::time::Duration;

/// One event to send: the task event's sequence number (0: none), an optional event name
/// (`error` for the HTTP+JSON binding's final error event), and the JSON text.
pub(crate) type SseItem = (u64, Option<&'static str>, String);

/// An SSE response. The sequence number becomes the event's `id:` (omitted when 0) so a
/// client can resume with `Last-Event-ID`. Comment lines keep idle connections alive. The
/// response ends when `events` ends or the gateway shuts down (a client resumes from the
/// last `id:` it saw, on this or another instance). The stream slot is held by `events`
/// (`AppState::call`) until they are dropped.
pub(crate) fn sse_response(
    keep_alive: Duration,
    shutdown: &Shutdown,
    events: impl Stream<Item = SseItem> + Send + 'static,
) -> Response {
    let stream = events.take_until(shutdown.wait()).map(|(seq, name, data)| {
        let mut e = Event::default().data(data);
        if seq > 0 {
            e = e.id(seq.to_string());
        }
        if let Some(name) = name {
            e = e.event(name);
        }
        Ok::<_, Infallible>(e)
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(keep_alive).text("keep-alive"))
        .into_response()
}
