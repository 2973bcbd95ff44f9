//! Writing a provider run as straight-line async code: the run gets an [`Out`] to emit
//! events into, returns `Err(Stop::Error(e))` to end with a provider error, and
//! [`drive_stream`] turns it into the run's [`EventStream`]. Dropping the stream drops the
//! run (and with it the upstream connection it holds): that is how the engine stops one.

use crate::{EventStream, ProviderError, ProviderEvent, Result};
use a2agw_types::{Message, TaskState};
use futures::channel::mpsc::Sender;
use futures::{SinkExt, StreamExt};
use std::future::Future;

/// Where a run's events go; a send fails once the consumer dropped the stream.
#[derive(Debug)]
pub struct Out(Sender<Result<ProviderEvent>>);

impl Out {
    /// Emits `event`; `Err(Closed)` when nobody listens any more.
    pub async fn emit(&mut self, event: ProviderEvent) -> Result<(), Closed> {
        self.0.send(Ok(event)).await.map_err(|_| Closed)
    }
}

/// The consumer dropped the stream.
#[derive(Debug)]
pub struct Closed;

/// How a run ends early: a provider error to report, or the consumer went away.
#[derive(Debug)]
pub enum Stop {
    /// Reported as the stream's last item.
    Error(ProviderError),
    /// Nobody listens: end quietly.
    Closed,
}

impl From<ProviderError> for Stop {
    fn from(e: ProviderError) -> Self {
        Stop::Error(e)
    }
}

impl From<Closed> for Stop {
    fn from(_: Closed) -> Self {
        Stop::Closed
    }
}

/// A status event.
pub fn status(state: TaskState, message: Option<Message>) -> ProviderEvent {
    ProviderEvent::Status { state, message }
}

/// Runs `drive` as an event stream: what it emits, then its error (if any) as the last
/// item. The run is polled only while the stream is; dropping the stream drops the run.
pub fn drive_stream<F>(drive: impl FnOnce(Out) -> F) -> EventStream
where
    F: Future<Output = Result<(), Stop>> + Send + 'static,
{
    let (tx, rx) = futures::channel::mpsc::channel(16);
    let mut err_tx = tx.clone();
    let fut = drive(Out(tx));
    let driver = futures::stream::once(async move {
        if let Err(Stop::Error(e)) = fut.await {
            let _ = err_tx.send(Err(e)).await;
        }
        drop(err_tx);
    })
    .filter_map(|()| async { None });
    futures::stream::select(rx, driver).boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProviderErrorKind;

    #[tokio::test]
    async fn events_then_the_error_last_and_dropping_the_stream_drops_the_run() {
        let stream = drive_stream(|mut out| async move {
            out.emit(status(TaskState::Working, None)).await?;
            Err(Stop::Error(ProviderError::new(
                ProviderErrorKind::Timeout,
                "late",
            )))
        });
        let items: Vec<_> = stream.collect().await;
        assert_eq!(items.len(), 2);
        assert_eq!(
            items[0].as_ref().ok(),
            Some(&status(TaskState::Working, None))
        );
        assert!(matches!(&items[1], Err(e) if e.kind == ProviderErrorKind::Timeout));

        // Dropping the stream drops the run (and what it holds, e.g. a connection).
        struct Guard(std::sync::Arc<std::sync::atomic::AtomicBool>);
        impl Drop for Guard {
            fn drop(&mut self) {
                self.0.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let dropped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let guard = Guard(std::sync::Arc::clone(&dropped));
        let mut stream = drive_stream(|mut out| async move {
            let _guard = guard;
            out.emit(status(TaskState::Working, None)).await?;
            std::future::pending::<()>().await;
            Ok(())
        });
        assert!(stream.next().await.is_some());
        assert!(!dropped.load(std::sync::atomic::Ordering::SeqCst));
        drop(stream);
        assert!(dropped.load(std::sync::atomic::Ordering::SeqCst));
    }
}
