//! The gateway's shutdown signal.

use std::sync::Arc;

/// The gateway's shutdown signal, shared by everything that must react to it.
#[derive(Clone, Debug)]
pub struct Shutdown(Arc<tokio::sync::watch::Sender<bool>>);

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown(Arc::new(tokio::sync::watch::channel(false).0))
    }
}

impl Shutdown {
    /// Begins shutdown: readiness fails and open streams end after their current event.
    pub fn begin(&self) {
        self.0.send_replace(true);
    }

    /// Whether shutdown has begun.
    pub fn is_begun(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once shutdown has begun.
    pub fn wait(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.0.subscribe();
        async move {
            if rx.wait_for(|begun| *begun).await.is_err() {
                // Every handle is gone: no shutdown can come any more.
                std::future::pending::<()>().await;
            }
        }
    }
}
