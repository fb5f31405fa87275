//! Accepting a webhook delivery: verify the signature on the raw bytes, read the few
//! routing fields, check that a secret of the repository's own scope signed it and
//! that a known installation it names belongs to the repository's owner, then store
//! the delivery and its job in one transaction. Nothing else happens before the reply;
//! the worker is only woken. All of it within the webhook deadline, and not at all
//! while the storage breaker is open.
use sea_orm::DbErr;
use thiserror::Error;

use crate::db::deliveries::Stored;
use crate::db::delivery_digests::Replay;
use crate::domain::{is_known_action, is_known_event, EventMeta, WebhookHeaders};
use crate::services::delivery_writer::OwnedDelivery;
use crate::services::storage_breaker::Admission;
use crate::services::AppState;

/// Why a delivery was not accepted. The webhook route maps each to a status.
#[derive(Debug, Error)]
pub enum IntakeError {
    /// 401: the signature matches none of the configured secrets.
    #[error("the signature does not match the body under any configured secret")]
    BadSignature,
    /// 401: the signature matches a secret, but not one of the scope that decides for
    /// this repository (a repository or organisation with its own secrets).
    #[error("the signature was made with a secret that does not apply to this repository")]
    WrongScope,
    /// 401: the body names an installation Gantry knows to belong to another account
    /// than the repository's owner (an installation cannot act for another owner).
    #[error("the installation named by the delivery belongs to another account than the repository's owner")]
    InstallationMismatch,
    /// 400: the verified body is not a JSON object GitHub would send.
    #[error("the payload is not a JSON object: {0}")]
    Malformed(String),
    /// 503: the database could not store the delivery; GitHub records a failure and
    /// the delivery can be redelivered.
    #[error("the delivery could not be stored")]
    Storage(#[source] DbErr),
    /// 503: the delivery could not be stored within `webhook.deadline_ms`; it may
    /// still be stored (a redelivery is then a duplicate), never half.
    #[error("the delivery could not be stored within the webhook deadline")]
    Deadline,
    /// 503 at once: storage keeps failing and the breaker is open.
    #[error("storage is failing; deliveries are refused until it recovers")]
    Refused {
        /// When a client may try again.
        retry_after: std::time::Duration,
    },
}

/// What intake did with a delivery.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Accepted {
    /// `X-GitHub-Delivery`.
    pub delivery: String,
    /// `X-GitHub-Event`.
    pub event: String,
    /// The payload's action.
    pub action: Option<String>,
    /// Whether GitHub documents this event and action.
    pub recognised: bool,
    /// Whether this delivery id, or this very body within the replay window, had
    /// been accepted before (then nothing changed).
    pub duplicate: bool,
}

/// The body's digest and the window it must be new in, when replays are refused
/// (`webhook.replay_window_secs`); hashed on a blocking thread.
async fn replay_of(state: &AppState, body: bytes::Bytes) -> Result<Option<Replay>, IntakeError> {
    let window = state.settings.webhook.replay_window_secs;
    if window == 0 {
        return Ok(None);
    }
    let digest = tokio::task::spawn_blocking(move || {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(&body))
    })
    .await
    .map_err(|e| IntakeError::Storage(DbErr::Custom(format!("hashing the body failed: {e}"))))?;
    let window = chrono::Duration::seconds(i64::try_from(window).unwrap_or(i64::MAX / 1000));
    Ok(Some(Replay {
        digest,
        since: chrono::Utc::now() - window,
    }))
}

/// Verifies, stores and enqueues one delivery.
///
/// # Errors
/// An [`IntakeError`]; in every case nothing was stored.
#[tracing::instrument(name = "intake", skip_all, fields(delivery.id = %headers.delivery.as_str(), event = %headers.event.as_str()))]
pub async fn accept(
    state: &AppState,
    headers: &WebhookHeaders,
    body: bytes::Bytes,
) -> Result<Accepted, IntakeError> {
    if let Admission::Refused { retry_after } = state.breaker.admit() {
        return Err(IntakeError::Refused { retry_after });
    }
    let deadline = state.settings.webhook.deadline();
    match tokio::time::timeout(deadline, verify_and_store(state, headers, body)).await {
        Ok(Ok(accepted)) => {
            state.breaker.succeeded();
            Ok(accepted)
        }
        Ok(Err(IntakeError::Storage(err))) => {
            state.breaker.failed();
            Err(IntakeError::Storage(err))
        }
        Ok(Err(other)) => Err(other),
        Err(_) => {
            state.breaker.failed();
            tracing::error!(
                deadline_ms = deadline.as_millis() as u64,
                "a delivery could not be stored within the webhook deadline; refused with 503"
            );
            Err(IntakeError::Deadline)
        }
    }
}

async fn verify_and_store(
    state: &AppState,
    headers: &WebhookHeaders,
    body: bytes::Bytes,
) -> Result<Accepted, IntakeError> {
    // The signature is checked on the raw bytes before anything parses them.
    let verified = state
        .webhook_secrets
        .verify(&state.db, body.clone(), &headers.signature_hex)
        .await
        .map_err(IntakeError::Storage)?;
    let Some(verified) = verified else {
        tracing::warn!("webhook signature mismatch");
        return Err(IntakeError::BadSignature);
    };
    state.metrics.payload_parses.inc();
    let meta = EventMeta::from_json(&body).map_err(|e| IntakeError::Malformed(e.to_string()))?;
    let event = headers.event.as_str();
    if !verified.accepts(event, &meta) {
        tracing::warn!(scope = %verified.decisive_scope(event, &meta), "webhook signed with a secret of another scope");
        return Err(IntakeError::WrongScope);
    }
    if !crate::services::installations::bound(&state.db, event, &meta)
        .await
        .map_err(IntakeError::Storage)?
    {
        tracing::warn!(installation = ?meta.installation_id, "webhook names an installation of another account");
        return Err(IntakeError::InstallationMismatch);
    }
    if headers
        .delivery
        .as_str()
        .starts_with(crate::services::schedule::DELIVERY_PREFIX)
    {
        // Scheduled ticks are the server's own deliveries (`services::schedule`).
        return Err(IntakeError::Malformed(format!(
            "delivery ids starting with {} are reserved for scheduled ticks",
            crate::services::schedule::DELIVERY_PREFIX
        )));
    }
    let recognised = is_known_event(event) && is_known_action(event, meta.action.as_deref());
    let delivery = OwnedDelivery {
        delivery_id: headers.delivery.as_str().to_owned(),
        event: event.to_owned(),
        meta: meta.clone(),
        payload: body.to_vec(),
        trace_parent: crate::telemetry::current_trace_parent(),
        replay: replay_of(state, body).await?,
    };
    let stored = state
        .writer
        .store(delivery)
        .await
        .map_err(IntakeError::Storage)?;
    let duplicate = stored == Stored::Duplicate;
    state
        .metrics
        .delivery_accepted(event, recognised, duplicate);
    if !duplicate {
        state.wake_workers();
    }
    if !recognised {
        tracing::info!(action = ?meta.action, "stored a delivery of an unrecognised event or action");
    }
    Ok(Accepted {
        delivery: headers.delivery.as_str().to_owned(),
        event: event.to_owned(),
        action: meta.action,
        recognised,
        duplicate,
    })
}
