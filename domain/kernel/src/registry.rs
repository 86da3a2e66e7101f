//! What each bounded context adds to the service, in one place: its job kinds and their
//! queues, its event consumers, its recurring sweeps and daily upkeep, the hooks it
//! offers lower contexts, and its settings. Each context crate has a
//! `register(&mut Registry)`; the wiring calls them once at start-up, and the worker pool,
//! the dispatcher and the sweep iterate what they added.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::events::EventConsumer;
use crate::ports::Job;
use crate::{Deps, Error, Result};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A queue of the worker pool: jobs of one or more kinds that share a concurrency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Queue {
    /// The queue's name in the store and in metrics, such as `send_email`.
    pub name: &'static str,
    /// Runs at once per worker process, unless `TIANGUIS_CONCURRENCY_<NAME>` says otherwise.
    pub concurrency: usize,
    /// Attempts a job gets when its handler fails unexpectedly, before it is kept as failed.
    pub max_attempts: i32,
}

impl Queue {
    pub const fn new(name: &'static str, concurrency: usize) -> Self {
        Self {
            name,
            concurrency,
            max_attempts: crate::jobs::MAX_ATTEMPTS,
        }
    }

    /// The variable that sets this queue's concurrency.
    pub fn concurrency_variable(&self) -> String {
        format!("TIANGUIS_CONCURRENCY_{}", self.name.to_ascii_uppercase())
    }
}

/// A kind of job: its payload holds ids, and its handler loads fresh state, so a run twice
/// does its work once.
pub trait JobKind: Serialize + DeserializeOwned + Send + 'static {
    /// The payload's tag in the ledger, such as `SendEmail`.
    const NAME: &'static str;
    /// The queue it runs on.
    const QUEUE: Queue;

    /// The business the job works for, if any: its admins see it.
    fn tenant_id(&self) -> Option<uuid::Uuid>;
}

type Handler = Arc<dyn Fn(Deps, serde_json::Value) -> BoxFuture<'static, Result<()>> + Send + Sync>;
/// Recurring work: returns how many jobs it enqueued.
type Task = Arc<dyn Fn(Deps) -> BoxFuture<'static, Result<usize>> + Send + Sync>;

#[derive(Default)]
pub struct Registry {
    queues: Vec<Queue>,
    handlers: HashMap<&'static str, Handler>,
    consumers: Vec<Arc<dyn EventConsumer>>,
    sweeps: Vec<(&'static str, Task)>,
    daily: Vec<(&'static str, Task)>,
    provided: HashMap<TypeId, Vec<Arc<dyn Any + Send + Sync>>>,
}

impl Registry {
    /// Adds a job kind and how to run it.
    pub fn job<J, F, Fut>(&mut self, handler: F)
    where
        J: JobKind,
        F: Fn(Deps, J) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        if !self.queues.iter().any(|q| q.name == J::QUEUE.name) {
            self.queues.push(J::QUEUE);
        }
        let handler = Arc::new(handler);
        let previous = self.handlers.insert(
            J::NAME,
            Arc::new(move |deps, args| {
                let handler = handler.clone();
                Box::pin(async move {
                    let job: J = serde_json::from_value(args).map_err(|e| {
                        Error::Unexpected(anyhow::anyhow!("a {} job's payload: {e}", J::NAME))
                    })?;
                    handler(deps, job).await
                })
            }),
        );
        assert!(previous.is_none(), "job kind {} registered twice", J::NAME);
    }

    /// Adds a consumer of domain events; the dispatcher hands it every event in order.
    pub fn consumer(&mut self, consumer: impl EventConsumer + 'static) {
        self.consumers.push(Arc::new(consumer));
    }

    /// Adds work the sweep runs every minute (wake snoozed items, start due campaigns,
    /// re-enqueue work whose job was lost).
    pub fn sweep<F, Fut>(&mut self, name: &'static str, task: F)
    where
        F: Fn(Deps) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<usize>> + Send + 'static,
    {
        self.sweeps
            .push((name, Arc::new(move |deps| Box::pin(task(deps)))));
    }

    /// Adds upkeep the daily maintenance job runs once a day.
    pub fn daily<F, Fut>(&mut self, name: &'static str, task: F)
    where
        F: Fn(Deps) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<usize>> + Send + 'static,
    {
        self.daily
            .push((name, Arc::new(move |deps| Box::pin(task(deps)))));
    }

    /// Offers a value to every context: a context's settings, or an implementation of a
    /// hook a lower context defines (several may be provided for one hook).
    pub fn provide<T: Send + Sync + 'static>(&mut self, value: T) {
        self.provided
            .entry(TypeId::of::<T>())
            .or_default()
            .push(Arc::new(value));
    }

    /// The first value provided of type `T`.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.all::<T>().next()
    }

    /// Every value provided of type `T`, in the order provided.
    pub fn all<T: Send + Sync + 'static>(&self) -> impl Iterator<Item = &T> {
        self.provided
            .get(&TypeId::of::<T>())
            .into_iter()
            .flatten()
            .filter_map(|v| v.downcast_ref::<T>())
    }

    pub fn queues(&self) -> &[Queue] {
        &self.queues
    }

    pub fn queue(&self, name: &str) -> Option<&Queue> {
        self.queues.iter().find(|q| q.name == name)
    }

    pub fn consumers(&self) -> &[Arc<dyn EventConsumer>] {
        &self.consumers
    }

    /// Runs a job from its ledger payload (`{ "Name": { …args } }`).
    pub async fn run(&self, deps: &Deps, job: &Job) -> Result<()> {
        let (name, args) = job.parts()?;
        let handler = self.handlers.get(name).ok_or_else(|| {
            Error::Unexpected(anyhow::anyhow!("no handler for jobs of kind {name}"))
        })?;
        handler(deps.clone(), args.clone()).await
    }

    /// Runs every sweep task; returns how many jobs they enqueued.
    pub(crate) async fn run_sweeps(&self, deps: &Deps) -> Result<usize> {
        let mut enqueued = 0;
        for (name, task) in &self.sweeps {
            enqueued += task(deps.clone()).await.map_err(|e| {
                tracing::error!(sweep = name, error = ?e, "a sweep failed");
                e
            })?;
        }
        Ok(enqueued)
    }

    /// Runs every daily task, logging what each did.
    pub(crate) async fn run_daily(&self, deps: &Deps) -> Result<()> {
        for (name, task) in &self.daily {
            let done = task(deps.clone()).await?;
            tracing::info!(task = name, done, "daily upkeep");
        }
        Ok(())
    }
}
