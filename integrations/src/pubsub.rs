//! Live-event fan-out. [`LocalHub`] delivers within one process; [`RedisPubSub`] publishes
//! through Redis and feeds every process's hub from one pattern subscription, so a replica
//! holds one Redis connection for subscribers however many clients it serves.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::stream::{self, BoxStream, StreamExt};
use redis::AsyncCommands;
use tianguis_domain::ports::PubSub;
use tokio::sync::broadcast;

/// How many undelivered messages a subscriber may fall behind before it skips ahead.
/// A slow subscriber loses old messages; it never slows the publisher or anyone else.
const SUBSCRIBER_BUFFER: usize = 1024;

type Senders = HashMap<String, broadcast::Sender<Arc<Vec<u8>>>>;

#[derive(Clone, Default)]
pub struct LocalHub {
    topics: Arc<Mutex<Senders>>,
}

impl LocalHub {
    pub fn deliver(&self, topic: &str, payload: Vec<u8>) {
        let mut topics = self.topics.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(sender) = topics.get(topic)
            && sender.send(Arc::new(payload)).is_err()
        {
            // Nobody listens any more.
            topics.remove(topic);
        }
    }

    pub fn listeners(&self) -> usize {
        let topics = self.topics.lock().unwrap_or_else(|p| p.into_inner());
        topics.values().map(|sender| sender.receiver_count()).sum()
    }

    pub fn listen(&self, topic: &str) -> BoxStream<'static, Vec<u8>> {
        let receiver = {
            let mut topics = self.topics.lock().unwrap_or_else(|p| p.into_inner());
            topics
                .entry(topic.to_owned())
                .or_insert_with(|| broadcast::channel(SUBSCRIBER_BUFFER).0)
                .subscribe()
        };
        stream::unfold(receiver, |mut receiver| async move {
            loop {
                match receiver.recv().await {
                    Ok(payload) => return Some((payload.as_ref().clone(), receiver)),
                    Err(broadcast::error::RecvError::Lagged(skipped)) => {
                        tracing::warn!(skipped, "slow subscriber skipped messages");
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
        .boxed()
    }
}

/// In-process pub/sub: the embedded default.
#[derive(Clone, Default)]
pub struct InProcessPubSub {
    hub: LocalHub,
}

#[async_trait::async_trait]
impl PubSub for InProcessPubSub {
    async fn publish(&self, topic: &str, payload: Vec<u8>) -> anyhow::Result<()> {
        self.hub.deliver(topic, payload);
        Ok(())
    }

    async fn subscribe(&self, topic: &str) -> anyhow::Result<BoxStream<'static, Vec<u8>>> {
        Ok(self.hub.listen(topic))
    }

    fn listeners(&self) -> usize {
        self.hub.listeners()
    }
}

/// Every channel this service publishes on starts with this, so one pattern catches all.
const CHANNEL_PREFIX: &str = "tianguis:";

pub struct RedisPubSub {
    publisher: redis::aio::ConnectionManager,
    hub: LocalHub,
}

impl RedisPubSub {
    /// Connects and starts the task that relays Redis messages to local subscribers.
    pub async fn connect(client: &redis::Client) -> anyhow::Result<Self> {
        let publisher = client.get_connection_manager().await?;
        let hub = LocalHub::default();
        let mut subscription = client.get_async_pubsub().await?;
        subscription
            .psubscribe(format!("{CHANNEL_PREFIX}*"))
            .await?;
        let relay = hub.clone();
        tokio::spawn(async move {
            let mut messages = subscription.into_on_message();
            while let Some(message) = messages.next().await {
                if let Some(topic) = message.get_channel_name().strip_prefix(CHANNEL_PREFIX) {
                    relay.deliver(topic, message.get_payload_bytes().to_vec());
                }
            }
            tracing::error!("Redis subscription ended; live events stop on this replica");
        });
        Ok(Self { publisher, hub })
    }
}

#[async_trait::async_trait]
impl PubSub for RedisPubSub {
    async fn publish(&self, topic: &str, payload: Vec<u8>) -> anyhow::Result<()> {
        let mut conn = self.publisher.clone();
        let _: i64 = conn
            .publish(format!("{CHANNEL_PREFIX}{topic}"), payload)
            .await?;
        Ok(())
    }

    async fn subscribe(&self, topic: &str) -> anyhow::Result<BoxStream<'static, Vec<u8>>> {
        Ok(self.hub.listen(topic))
    }

    fn listeners(&self) -> usize {
        self.hub.listeners()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(payload: &[u8]) -> usize {
        usize::from_le_bytes(payload.try_into().expect("eight bytes"))
    }

    #[tokio::test]
    async fn listeners_count_live_subscriptions_until_they_are_dropped() {
        let pubsub = InProcessPubSub::default();
        assert_eq!(pubsub.listeners(), 0);
        let first = pubsub.subscribe("a").await.expect("subscribed");
        let second = pubsub.subscribe("b").await.expect("subscribed");
        assert_eq!(pubsub.listeners(), 2);
        drop(first);
        assert_eq!(pubsub.listeners(), 1);
        drop(second);
        assert_eq!(pubsub.listeners(), 0);
    }

    #[tokio::test]
    async fn a_subscriber_that_stops_reading_holds_up_neither_publishers_nor_others() {
        let pubsub = InProcessPubSub::default();
        let mut stalled = pubsub.subscribe("t").await.expect("subscribed");
        let mut reader = pubsub.subscribe("t").await.expect("subscribed");
        let total = SUBSCRIBER_BUFFER * 3;
        for i in 0..total {
            pubsub
                .publish("t", i.to_le_bytes().to_vec())
                .await
                .expect("published");
            let heard = reader.next().await.expect("delivered");
            assert_eq!(
                number(&heard),
                i,
                "the reading subscriber hears everything in order"
            );
        }
        // The stalled one lost what overflowed its buffer and resumes with recent messages.
        let resumed = number(&stalled.next().await.expect("still open"));
        assert_eq!(resumed, total - SUBSCRIBER_BUFFER);
    }
}
