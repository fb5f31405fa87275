//! Group commit for intake. Every accepted delivery must be durable before its 202,
//! and a commit costs a disk flush, so one commit per delivery caps intake at the
//! database's flush rate. One writer task per process takes the deliveries that
//! arrived while the previous commit ran and stores them in one transaction
//! (`db::deliveries::store_batch`); each request waits for the commit that holds
//! its delivery, so nothing is answered before it is stored, and a failed commit
//! fails every request in it (nothing of them is stored). A request that stopped
//! waiting (past the webhook deadline) before its batch began is left out. Under no load a batch is
//! one delivery and costs what storing it alone costs. The writer runs on a thread
//! of its own, so plugins busy on the job workers' runtime never delay a 202.
use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::{mpsc, oneshot};

use crate::db::deliveries::{self, NewDelivery, Stored};
use crate::domain::EventMeta;

/// At most this many deliveries in one commit...
const MAX_BATCH: usize = 64;
/// ...and at most this many payload bytes (the first delivery always goes in).
const MAX_BATCH_BYTES: usize = 16 * 1024 * 1024;
/// Deliveries waiting for the writer; more wait for room, holding their requests.
const QUEUE: usize = 1024;

/// A delivery handed to the writer.
#[derive(Debug)]
pub struct OwnedDelivery {
    /// `X-GitHub-Delivery`.
    pub delivery_id: String,
    /// `X-GitHub-Event`.
    pub event: String,
    /// What routing needs from the payload.
    pub meta: EventMeta,
    /// The raw body.
    pub payload: Vec<u8>,
    /// The accepting span's W3C `traceparent`.
    pub trace_parent: Option<String>,
    /// The body's digest and replay window, when replays are refused.
    pub replay: Option<crate::db::delivery_digests::Replay>,
}

impl OwnedDelivery {
    fn borrowed(&self) -> NewDelivery<'_> {
        NewDelivery {
            delivery_id: &self.delivery_id,
            event: &self.event,
            meta: &self.meta,
            payload: &self.payload,
            trace_parent: self.trace_parent.clone(),
            replay: self.replay.clone(),
        }
    }
}

struct Pending {
    delivery: OwnedDelivery,
    reply: oneshot::Sender<Result<Stored, DbErr>>,
}

/// The handle requests store their deliveries through; cheap to clone.
#[derive(Debug, Clone)]
pub struct DeliveryWriter {
    queue: mpsc::Sender<Pending>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("delivery", &self.delivery.delivery_id)
            .finish_non_exhaustive()
    }
}

impl DeliveryWriter {
    /// Starts the writer on a thread of its own, with its own single-threaded
    /// runtime, so plugins busy on the job workers' runtime never delay a 202. It
    /// ends when the last handle is dropped. On PostgreSQL the writer opens its own
    /// connection (`url`) on that runtime, so its socket is driven by that runtime
    /// alone; SQLite's one connection, which lives on a thread of its own, is
    /// shared (`db`).
    ///
    /// # Errors
    /// When the thread or its runtime cannot be started.
    pub fn spawn(db: DatabaseConnection, url: String) -> std::io::Result<Self> {
        let (queue, incoming) = mpsc::channel(QUEUE);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new().name("delivery-writer".into()).spawn(move || {
            runtime.block_on(async move {
                let db = if db.get_database_backend() == sea_orm::DbBackend::Postgres {
                    match crate::db::connect(&url, 1).await {
                        Ok(own) => own,
                        Err(err) => {
                            tracing::error!(error = %err, "the delivery writer could not open its connection; it shares the pool");
                            db
                        }
                    }
                } else {
                    db
                };
                run(db, incoming).await;
            });
        })?;
        Ok(Self { queue })
    }

    /// Stores `delivery` and its job; returns once the commit holding it is done.
    ///
    /// # Errors
    /// When the database fails (nothing of this delivery was stored) or the writer
    /// has stopped.
    pub async fn store(&self, delivery: OwnedDelivery) -> Result<Stored, DbErr> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Pending { delivery, reply })
            .await
            .map_err(|_| DbErr::Custom("the delivery writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| DbErr::Custom("the delivery writer stopped before the commit".into()))?
    }
}

async fn run(db: DatabaseConnection, mut incoming: mpsc::Receiver<Pending>) {
    while let Some(first) = incoming.recv().await {
        let mut bytes = first.delivery.payload.len();
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH && bytes < MAX_BATCH_BYTES {
            match incoming.try_recv() {
                Ok(next) => {
                    bytes += next.delivery.payload.len();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        // A request that gave up (its deadline passed, it was refused with 503) is
        // not stored: what was refused stays refused.
        batch.retain(|p| !p.reply.is_closed());
        if batch.is_empty() {
            continue;
        }
        let news: Vec<NewDelivery<'_>> = batch.iter().map(|p| p.delivery.borrowed()).collect();
        let result = deliveries::store_batch(&db, &news).await;
        drop(news);
        match result {
            Ok(stored) => {
                for (pending, one) in batch.into_iter().zip(stored) {
                    let _ = pending.reply.send(Ok(one));
                }
            }
            Err(err) => {
                let message = err.to_string();
                tracing::error!(deliveries = batch.len(), error = %message, "storing a batch of deliveries failed; none of them was stored");
                for pending in batch {
                    let _ = pending.reply.send(Err(DbErr::Custom(message.clone())));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(id: &str) -> OwnedDelivery {
        let payload = br#"{"action":"opened","repository":{"full_name":"o/r","name":"r","owner":{"login":"o"}},"issue":{"number":1}}"#.to_vec();
        OwnedDelivery {
            delivery_id: id.into(),
            event: "issues".into(),
            meta: EventMeta::from_json(&payload).expect("meta"),
            payload,
            trace_parent: None,
            replay: None,
        }
    }

    #[tokio::test]
    async fn concurrent_deliveries_are_stored_once_each_and_duplicates_are_told() {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("w.db").display());
        let db = crate::db::connect(&url, 1).await.expect("db");
        crate::db::migrate(&db).await.expect("migrations");
        let writer = DeliveryWriter::spawn(db.clone(), url.clone()).expect("the writer starts");
        let mut tasks = Vec::new();
        for i in 0..200 {
            let writer = writer.clone();
            // Every delivery id twice: one of each pair is a duplicate, in the same
            // batch or not.
            tasks.push(tokio::spawn(async move {
                writer.store(delivery(&format!("d-{}", i / 2))).await
            }));
        }
        let mut new = 0;
        let mut duplicate = 0;
        for task in tasks {
            match task.await.expect("task").expect("stored") {
                Stored::New { .. } => new += 1,
                Stored::Duplicate => duplicate += 1,
            }
        }
        assert_eq!((new, duplicate), (100, 100));
        let rows = deliveries::list(&db, None, 1000, None).await.expect("list");
        assert_eq!(rows.len(), 100);
        assert!(
            rows.iter().all(|r| r.job.is_some()),
            "every stored delivery has its job"
        );
    }
}
