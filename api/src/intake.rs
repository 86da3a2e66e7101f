//! What every telemetry transport shares once a device is known: its rate limit, payload
//! parsing, the write-behind queue and the counters. HTTP and MQTT differ only in how they
//! answer.

use std::time::Duration;

use tianguis_domain::iot::payload;
use tianguis_domain::iot::telemetry::DeviceIdentity;
use tianguis_domain::ports::RateDecision;
use tokio::sync::oneshot;

use crate::AppState;

const WINDOW: Duration = Duration::from_secs(60);

/// Why a device's points were not taken, with a stable code for the device.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    RateLimited { retry_after: Duration },
    Invalid { code: &'static str, message: String },
    Unavailable,
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::RateLimited { .. } => "RATE_LIMITED",
            Refusal::Invalid { code, .. } => code,
            Refusal::Unavailable => "UNAVAILABLE",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Refusal::RateLimited { .. } => "this device sends too often".into(),
            Refusal::Invalid { message, .. } => message.clone(),
            Refusal::Unavailable => "the points could not be stored; send them again".into(),
        }
    }
}

/// Resolves to the number of points once they are committed.
pub type Stored = oneshot::Receiver<tianguis_domain::Result<usize>>;

/// Takes one payload from an authenticated device: counts it against the device's limit
/// (shared by every transport and replica), parses it and queues its points for storage.
pub async fn accept(
    state: &AppState,
    device: DeviceIdentity,
    body: &[u8],
) -> Result<Stored, Refusal> {
    let refused = |refusal: Refusal| {
        state.metrics.record_telemetry_rejected(refusal.code());
        refusal
    };
    // A flooding device is slowed down on its own; the others are not affected.
    let key = format!("device:{}", device.device_id);
    match state
        .rate_limiter
        .hit(&key, state.settings.credential_per_minute, WINDOW)
        .await
    {
        Ok(RateDecision::Limited { retry_after }) => {
            return Err(refused(Refusal::RateLimited { retry_after }));
        }
        Ok(RateDecision::Allowed { .. }) => {}
        Err(err) => tracing::warn!(error = %err, "rate limiter unavailable"),
    }
    let invalid = |err: payload::PayloadError| {
        refused(Refusal::Invalid {
            code: err.reason,
            message: err.message,
        })
    };
    let points = payload::parse(body, state.deps.clock.now()).map_err(invalid)?;
    if let Some(profile_id) = device.profile_id {
        let declared = state
            .profile_keys
            .of(&state.deps, profile_id)
            .await
            .map_err(|err| {
                tracing::error!(error = ?err, "reading a device profile failed");
                refused(Refusal::Unavailable)
            })?;
        payload::check_declared(&points, &declared).map_err(invalid)?;
    }
    state.telemetry.submit(device, points).await.map_err(|err| {
        tracing::error!(error = ?err, "queueing telemetry failed");
        refused(Refusal::Unavailable)
    })
}

/// Waits for queued points to be committed and counts them.
pub async fn stored(state: &AppState, stored: Stored) -> Result<usize, Refusal> {
    match stored.await {
        Ok(Ok(count)) => {
            state.metrics.record_telemetry(count);
            Ok(count)
        }
        Ok(Err(err)) => {
            tracing::error!(error = ?err, "storing telemetry failed");
            state.metrics.record_telemetry_rejected("UNAVAILABLE");
            Err(Refusal::Unavailable)
        }
        Err(_) => {
            state.metrics.record_telemetry_rejected("UNAVAILABLE");
            Err(Refusal::Unavailable)
        }
    }
}
