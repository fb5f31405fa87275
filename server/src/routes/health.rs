//! Liveness (the process answers) and readiness (the database answers, and takes
//! writes: intake's storage breaker is closed, or a probe write succeeds), each
//! answered within a second whatever the database does.
use std::time::Duration;

use actix_web::{web, HttpResponse};
use chrono::Utc;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::services::AppState;

/// How long readiness waits for the database before saying it is not ready.
const READY_WITHIN: Duration = Duration::from_millis(800);

/// `GET /health/live`: 200 while the process serves HTTP.
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /health/ready`: 200 when the database answers within a second and takes
/// writes, 503 otherwise. While intake's storage breaker says writes fail, it
/// writes a probe row itself, so it turns ready again without waiting for a
/// delivery, and its success closes the breaker.
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let check = async {
        if state.breaker.healthy() {
            state
                .db
                .ping()
                .await
                .map_err(|e| ("unreachable", e.to_string()))
        } else {
            probe_write(&state)
                .await
                .map_err(|e| ("failing_writes", e.to_string()))
        }
    };
    match tokio::time::timeout(READY_WITHIN, check).await {
        Ok(Ok(())) => HttpResponse::Ok().json(json!({"status": "ok", "database": "ok"})),
        Ok(Err((database, err))) => {
            tracing::warn!(error = %err, database, "readiness check: database not ready");
            HttpResponse::ServiceUnavailable()
                .json(json!({"status": "unavailable", "database": database}))
        }
        Err(_) => {
            tracing::warn!("readiness check: the database did not answer within a second");
            HttpResponse::ServiceUnavailable()
                .json(json!({"status": "unavailable", "database": "slow"}))
        }
    }
}

/// One small write (the `storage_probe` row); reports to the breaker.
async fn probe_write(state: &AppState) -> Result<(), sea_orm::DbErr> {
    let backend = state.db.get_database_backend();
    let written = state
        .db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DbBackend::Postgres => "INSERT INTO storage_probe (id, probed_at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at",
                _ => "INSERT INTO storage_probe (id, probed_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at",
            },
            [Utc::now().into()],
        ))
        .await;
    match written {
        Ok(_) => {
            state.breaker.succeeded();
            Ok(())
        }
        Err(err) => Err(err),
    }
}
