//! SQLite's disk full, made portable with `PRAGMA max_page_count`: the database
//! cannot grow while deliveries arrive, then gets room again.
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::{
    assert_answered_within, assert_nothing_lost, assert_nothing_twice, deliver, deliver_at_rate,
    on_sqlite,
};
use crate::helpers::{spawn_app, AppOptions};

/// Keeps the database nearly full until stopped: every few milliseconds it may
/// grow by at most a few pages (none, two or six), so writes fail at every step
/// of a transaction (its first statement, a later one, the commit) while some still
/// succeed, as on a disk that a log rotation frees now and then. `max_page_count`
/// belongs to a connection, and a connection Gantry closes after a failure is
/// replaced by one without the limit, so the limit is set again each time.
struct DiskFull {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl DiskFull {
    fn start(db: DatabaseConnection) -> Self {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            let mut headroom = [0, 2, 0, 6, 0].iter().cycle();
            while !*stopped.borrow() {
                if let Some(pages) = page_count(&db).await {
                    let limit = pages + headroom.next().copied().unwrap_or(0);
                    let _ = db
                        .execute_unprepared(&format!("PRAGMA max_page_count = {limit}"))
                        .await;
                }
                let _ = tokio::time::timeout(Duration::from_millis(15), stopped.changed()).await;
            }
            db.execute_unprepared("PRAGMA max_page_count = 1073741823")
                .await
                .unwrap();
        });
        Self { stop, task }
    }

    async fn end(self) {
        let _ = self.stop.send(true);
        self.task.await.unwrap();
    }
}

async fn page_count(db: &DatabaseConnection) -> Option<i64> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "PRAGMA page_count",
        ))
        .await
        .ok()??;
    row.try_get_by_index::<i64>(0).ok()
}

async fn set_max_pages(db: &DatabaseConnection, pages: i64) {
    db.execute_unprepared(&format!("PRAGMA max_page_count = {pages}"))
        .await
        .unwrap();
}

/// The failure sequence behind issue 16's lost deliveries, step by step: a
/// transaction whose first write fails on the full disk is rolled back by SQLite
/// itself, so the driver's ROLLBACK fails and it still counts one transaction open;
/// its next "transaction" is a savepoint, and when that one fails too, rolling back
/// to the savepoint leaves SQLite inside a transaction that never commits. Every
/// later delivery is answered 202 from inside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_sqlite_rolled_back_by_itself_does_not_swallow_later_deliveries() {
    if !on_sqlite() {
        super::skip("SQLite's disk full has no PostgreSQL counterpart here");
        return;
    }
    let app = spawn_app(AppOptions {
        plugins: crate::helpers::Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let db = app.state.db.clone();

    // A write that SQLite answers SQLITE_FULL by rolling back the whole transaction
    // (one row, no statement journal), like a worker's bookkeeping on a full disk.
    db.execute_unprepared("CREATE TABLE fault_probe (b BLOB)")
        .await
        .unwrap();
    let pages = page_count(&db).await.unwrap();
    set_max_pages(&db, pages).await;
    {
        let txn = sea_orm::TransactionTrait::begin(&db).await.unwrap();
        let full = txn
            .execute_unprepared("INSERT INTO fault_probe VALUES (zeroblob(1000000))")
            .await;
        assert!(full.is_err(), "the disk is full");
    }
    // A delivery while the disk is still full: refused, or stored for good.
    set_max_pages(&db, pages).await;
    let mut sent = deliver(&app, 1..2, 1).await.unwrap();
    // Room again: these are answered 202, and must be on disk.
    set_max_pages(&db, 1_073_741_823).await;
    sent.extend(deliver(&app, 2..6, 1).await.unwrap());
    assert!(sent[1..].iter().all(|s| s.status == Some(202)), "{sent:?}");

    let app = app.restart().await;
    let mut lost = Vec::new();
    for s in sent.iter().filter(|s| s.status == Some(202)) {
        if gantry_server::db::deliveries::find_by_delivery_id(&app.state.db, &s.delivery)
            .await
            .unwrap()
            .is_none()
        {
            lost.push(s.issue);
        }
    }
    assert!(
        lost.is_empty(),
        "issues answered 202 but lost after the restart: {lost:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_answered_202_while_sqlite_is_full_are_stored_after_a_restart_and_labelled_once()
{
    if !on_sqlite() {
        super::skip("SQLite's disk full has no PostgreSQL counterpart here");
        return;
    }
    let app = spawn_app(AppOptions::default()).await;
    // 50 deliveries a second for 3 s, the disk full from 0.5 s to 2.5 s.
    let load = deliver_at_rate(&app, 1..151, 50);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let full = DiskFull::start(app.state.db.clone());
    tokio::time::sleep(Duration::from_millis(2000)).await;
    full.end().await;
    let mut sent = load.await.unwrap();
    sent.extend(deliver(&app, 151..161, 4).await.unwrap());

    assert_answered_within(&sent, Duration::from_secs(10));
    let refused = sent.iter().filter(|s| s.status != Some(202)).count();
    assert!(
        refused > 0,
        "the full disk refused nothing: the fault did not happen"
    );
    app.wait_for_idle_queue(Duration::from_secs(60)).await;
    let app = app.restart().await;
    app.wait_for_idle_queue(Duration::from_secs(60)).await;
    assert_nothing_lost(&app, &sent).await;
    assert_nothing_twice(&app, &sent);
}
