//! Write-behind for telemetry: requests and messages hand their points to one writer,
//! which stores whatever has queued up in one transaction. Under load many devices share a
//! transaction; when idle a lone point is stored at once, with no timer to wait for.

use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc, oneshot};

use super::payload::Point;
use super::telemetry::{DeviceIdentity, Submission, store_batch};
use crate::{Deps, Error, Result};

/// The most points one transaction takes; a batch never splits a submission.
const MAX_BATCH_POINTS: usize = 20_000;
/// Transactions in flight at once: one fills while another commits.
const FLUSHES_IN_FLIGHT: usize = 2;
/// Submissions waiting for a transaction before callers wait to hand theirs over.
const QUEUE: usize = 4_096;

/// Told which devices' points were just stored, off the writer's path.
pub type StoredHook = Arc<dyn Fn(&[DeviceIdentity]) + Send + Sync>;

struct Queued {
    submission: Submission,
    stored: oneshot::Sender<Result<usize>>,
}

#[derive(Clone)]
pub struct TelemetryWriter {
    queue: mpsc::Sender<Queued>,
}

impl TelemetryWriter {
    /// Starts the writer on the current runtime; it stops when every handle is dropped.
    pub fn start(deps: Deps, on_stored: StoredHook) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(run(deps, receiver, on_stored));
        Self { queue }
    }

    /// Queues a device's points and resolves once they are committed, to the number stored.
    pub async fn write(&self, device: DeviceIdentity, points: Vec<Point>) -> Result<usize> {
        self.submit(device, points)
            .await?
            .await
            .map_err(|_| writer_gone())?
    }

    /// Queues a device's points; the receiver resolves once they are committed. Waits only
    /// while the queue is full, which slows the fastest senders first.
    pub async fn submit(
        &self,
        device: DeviceIdentity,
        points: Vec<Point>,
    ) -> Result<oneshot::Receiver<Result<usize>>> {
        let (stored, receiver) = oneshot::channel();
        self.queue
            .send(Queued {
                submission: Submission { device, points },
                stored,
            })
            .await
            .map_err(|_| writer_gone())?;
        Ok(receiver)
    }
}

fn writer_gone() -> Error {
    Error::Unexpected(anyhow::anyhow!("the telemetry writer has stopped"))
}

async fn run(deps: Deps, mut receiver: mpsc::Receiver<Queued>, on_stored: StoredHook) {
    let flushes = Arc::new(Semaphore::new(FLUSHES_IN_FLIGHT));
    while let Some(first) = receiver.recv().await {
        // While every transaction is busy, submissions pile up and then leave together.
        let Ok(permit) = flushes.clone().acquire_owned().await else {
            return;
        };
        let mut points = first.submission.points.len();
        let mut batch = vec![first];
        while points < MAX_BATCH_POINTS {
            match receiver.try_recv() {
                Ok(next) => {
                    points += next.submission.points.len();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        let deps = deps.clone();
        let on_stored = on_stored.clone();
        tokio::spawn(async move {
            flush(&deps, batch, &on_stored).await;
            drop(permit);
        });
    }
}

async fn flush(deps: &Deps, batch: Vec<Queued>, on_stored: &StoredHook) {
    let (submissions, replies): (Vec<_>, Vec<_>) =
        batch.into_iter().map(|q| (q.submission, q.stored)).unzip();
    match store_batch(deps, &submissions).await {
        Ok(()) => {
            let devices: Vec<DeviceIdentity> = submissions.iter().map(|s| s.device).collect();
            for (submission, reply) in submissions.into_iter().zip(replies) {
                let _ = reply.send(Ok(submission.points.len()));
            }
            on_stored(&devices);
        }
        Err(_) if submissions.len() > 1 => {
            // One bad submission (a device deleted meanwhile, say) must not fail the others:
            // each is retried on its own and only the culprit hears of an error.
            for (submission, reply) in submissions.into_iter().zip(replies) {
                let one = [submission];
                let result = store_batch(deps, &one).await;
                let [submission] = one;
                if result.is_ok() {
                    on_stored(&[submission.device]);
                }
                let _ = reply.send(result.map(|()| submission.points.len()));
            }
        }
        Err(err) => {
            if let Some(reply) = replies.into_iter().next() {
                let _ = reply.send(Err(err));
            }
        }
    }
}
