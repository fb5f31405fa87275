//! Queries on `delivery_digests`: claiming a webhook body's SHA-256 for the replay
//! window, inside the transaction that stores its delivery.
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// A body's digest and the start of the window it must not have been seen in.
#[derive(Debug, Clone)]
pub struct Replay {
    /// Lower-case hex SHA-256 of the raw body.
    pub digest: String,
    /// A body last accepted before this is new again.
    pub since: DateTime<Utc>,
}

const CLAIM_POSTGRES: &str = "INSERT INTO delivery_digests (digest, received_at) VALUES ($1, $2) \
     ON CONFLICT (digest) DO UPDATE SET received_at = excluded.received_at \
     WHERE delivery_digests.received_at < $3 RETURNING digest";
const CLAIM_SQLITE: &str = "INSERT INTO delivery_digests (digest, received_at) VALUES (?, ?) \
     ON CONFLICT (digest) DO UPDATE SET received_at = excluded.received_at \
     WHERE delivery_digests.received_at < ? RETURNING digest";

/// Records the body as accepted now; `false` when the same body was accepted within
/// the window (a replay), in which case nothing changed.
///
/// # Errors
/// When the database fails.
pub async fn claim(conn: &impl ConnectionTrait, replay: &Replay) -> Result<bool, DbErr> {
    let backend = conn.get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        CLAIM_POSTGRES
    } else {
        CLAIM_SQLITE
    };
    let values: [sea_orm::Value; 3] = [
        replay.digest.clone().into(),
        Utc::now().into(),
        replay.since.into(),
    ];
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(row.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_body_is_new_once_per_window_and_new_again_after_it() {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("d.db").display());
        let db = crate::db::connect(&url, 1).await.expect("db");
        crate::db::migrate(&db).await.expect("migrations");
        let within = Replay {
            digest: "ab".repeat(32),
            since: Utc::now() - chrono::Duration::hours(1),
        };
        assert!(claim(&db, &within).await.expect("claim"));
        assert!(!claim(&db, &within).await.expect("claim"), "a replay");
        let after = Replay {
            since: Utc::now() + chrono::Duration::seconds(1),
            ..within
        };
        assert!(
            claim(&db, &after).await.expect("claim"),
            "the window has passed"
        );
    }
}
