//! A local HTTP endpoint standing in for a customer's webhook receiver.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// One request a receiver got.
#[derive(Debug)]
pub struct Received {
    pub event_id: String,
    pub signature: String,
    pub body: String,
}

/// A local HTTP endpoint that records what it receives and answers with a chosen status.
pub struct Receiver {
    pub url: String,
    pub status: Arc<AtomicU16>,
    /// While set, requests are recorded but never answered (a hung endpoint).
    pub hang: Arc<AtomicBool>,
    pub requests: mpsc::UnboundedReceiver<Received>,
}

#[derive(Clone)]
struct ReceiverState {
    status: Arc<AtomicU16>,
    hang: Arc<AtomicBool>,
    sink: mpsc::UnboundedSender<Received>,
}

async fn record(State(state): State<ReceiverState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let _ = state.sink.send(Received {
        event_id: header("tianguis-event-id"),
        signature: header("tianguis-signature"),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    if state.hang.load(Ordering::SeqCst) {
        std::future::pending::<()>().await;
    }
    StatusCode::from_u16(state.status.load(Ordering::SeqCst)).expect("status")
}

impl Receiver {
    pub async fn start() -> Self {
        let status = Arc::new(AtomicU16::new(200));
        let hang = Arc::new(AtomicBool::new(false));
        let (sink, requests) = mpsc::unbounded_channel();
        let router = axum::Router::new()
            .route("/hook", axum::routing::post(record))
            .with_state(ReceiverState {
                status: status.clone(),
                hang: hang.clone(),
                sink,
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            url,
            status,
            hang,
            requests,
        }
    }

    pub async fn next(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(20), self.requests.recv())
            .await
            .expect("a delivery arrived in time")
            .expect("receiver open")
    }

    /// Nothing more arrives within `wait`.
    pub async fn assert_quiet(&mut self, wait: Duration) {
        if let Ok(Some(extra)) = tokio::time::timeout(wait, self.requests.recv()).await {
            panic!("unexpected extra delivery: {extra:?}");
        }
    }
}
