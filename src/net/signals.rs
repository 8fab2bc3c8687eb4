//! Ctrl-C and SIGTERM, caught from the moment a [`Signals`] is made: a cluster makes one before it
//! spawns any replica, so that a signal at any moment after stops it cleanly (its children killed,
//! exit 130) rather than with the signal's default action.

/// The stop signals, registered when made.
pub struct Signals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    /// Registers for Ctrl-C (SIGINT) and, on Unix, SIGTERM. Must be called inside a Tokio runtime.
    pub fn register() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Signals {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// Waits for the next stop signal, and says which it was. Waits for ever where signals cannot be
    /// caught.
    pub async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            let interrupt = async {
                match &mut self.interrupt {
                    Some(signal) => signal.recv().await,
                    None => std::future::pending().await,
                }
            };
            let terminate = async {
                match &mut self.terminate {
                    Some(signal) => signal.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = interrupt => "Ctrl-C",
                _ = terminate => "SIGTERM",
            }
        }
        #[cfg(not(unix))]
        {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
            "Ctrl-C"
        }
    }
}
