//! The live event stream between nodes that share one PostgreSQL database: every event published on one node is
//! also sent with `pg_notify` on a channel of this database and schema, and every node `LISTEN`s on it and hands
//! what other nodes sent to its own listeners. Each node tags what it sends with a random node id and ignores its
//! own, which it has already delivered locally.
//!
//! Notifications are not kept: a node that loses its listening connection misses what was sent meanwhile. sqlx's
//! listener reconnects by itself; the node then tells its listeners they may have missed changes (a permission
//! change for every database makes each listener look again).

use std::sync::Arc;

use sqlx::Connection as _;
use sqlx::postgres::{PgConnection, PgListener};
use tokio::sync::{broadcast, mpsc};
use tresor_core::StoreError;
use tresor_core::live::{LiveBus, LiveChange, LiveEvent, LocalBus};
use tresor_store_sql::{Engine, driver_error};

/// The bus of a node among several on one PostgreSQL database.
#[derive(Debug)]
pub struct PgLiveBus {
    local: LocalBus,
    outgoing: mpsc::UnboundedSender<String>,
}

impl PgLiveBus {
    /// Connects twice to `url` (one connection listens, one sends) and starts both tasks; they end with the runtime.
    pub async fn start(url: &str) -> Result<Arc<Self>, StoreError> {
        let fail = |e| driver_error(Engine::Postgres, e);
        let mut sender = PgConnection::connect(url).await.map_err(fail)?;
        // Channels belong to a database, not a schema: installations that share a database in separate schemas
        // must not hear each other.
        let schema: String =
            sqlx::query_scalar("SELECT current_schema()").fetch_one(&mut sender).await.map_err(fail)?;
        let channel = channel_name(&schema);
        let mut listener = PgListener::connect(url).await.map_err(fail)?;
        listener.listen(&channel).await.map_err(fail)?;
        let node = node_id();
        let (outgoing, mut to_send) = mpsc::unbounded_channel::<String>();
        let bus = Arc::new(Self { local: LocalBus::new(), outgoing });

        let sending_channel = channel.clone();
        let own = node.clone();
        tokio::spawn(async move {
            while let Some(payload) = to_send.recv().await {
                let sent = sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(&sending_channel)
                    .bind(format!("{own}\t{payload}"))
                    .execute(&mut sender)
                    .await;
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "a live event could not be sent to the other nodes");
                }
            }
        });
        let hearing = Arc::clone(&bus);
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(notification)) => {
                        let Some((origin, text)) = notification.payload().split_once('\t') else { continue };
                        if origin == node {
                            continue;
                        }
                        match LiveEvent::decode(text) {
                            Some(event) => hearing.local.deliver(Arc::new(event)),
                            None => tracing::warn!("a live event from another node did not decode"),
                        }
                    }
                    // The connection was lost and is being made again: whatever was sent meanwhile is gone, so every
                    // listener looks at what it can see again.
                    Ok(None) => {
                        tracing::warn!("the live events connection to PostgreSQL was lost; reconnecting");
                        let now = tresor_core::Timestamp::from_millis(0);
                        hearing.local.deliver(Arc::new(LiveEvent::new(LiveChange::PermissionsChanged, now)));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "listening for live events failed; trying again");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(bus)
    }
}

impl LiveBus for PgLiveBus {
    fn publish(&self, event: LiveEvent) {
        let text = event.encode();
        self.local.deliver(Arc::new(event));
        // The sending task ends only with the runtime.
        let _ = self.outgoing.send(text);
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.local.subscribe()
    }
}

/// `tresor_live_<schema>`, cut to PostgreSQL's 63-byte identifiers.
fn channel_name(schema: &str) -> String {
    let mut name = format!("tresor_live_{schema}");
    while name.len() > 63 {
        name.pop();
    }
    name
}

/// A node's id on the channel. It need not be secret, only distinct between nodes (and between servers of one test
/// process): the process id and the start time in nanoseconds make it so.
fn node_id() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{:x}-{nanos:x}", std::process::id())
}
