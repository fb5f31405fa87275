//! `POST /webhooks/github`: a place among the deliveries in flight (503 with
//! `Retry-After` when intake is saturated), headers checked, then the body read up to
//! the size cap (413 at once when `Content-Length` says it is too large) within the
//! body deadline (408), then intake. The endpoint is unauthenticated until the
//! signature is checked, so nothing here is sized by what the client declares.
use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use futures::{Stream, StreamExt};

use super::error::{ApiError, ApiErrorCode};
use crate::domain::{WebhookHeaderError, WebhookHeaders};
use crate::services::intake::{self, IntakeError};
use crate::services::AppState;

/// Receives one GitHub webhook delivery and answers 202 once it is stored.
#[tracing::instrument(skip_all)]
pub async fn receive_webhook(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let result = async {
        // Held until the delivery is stored or refused.
        let _permit = state
            .intake_permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| saturated())?;
        let headers = WebhookHeaders::from_lookup(|name| {
            req.headers().get(name).and_then(|v| v.to_str().ok())
        })
        .map_err(header_error)?;
        let settings = &state.settings.webhook;
        let deadline = Duration::from_millis(settings.body_timeout_ms);
        let body =
            tokio::time::timeout(deadline, read_body(&req, payload, settings.max_body_bytes))
                .await
                .map_err(|_| too_slow(deadline))??;
        intake::accept(&state, &headers, body.freeze())
            .await
            .map_err(intake_error)
    }
    .await;
    match result {
        Ok(accepted) => Ok(HttpResponse::Accepted().json(accepted)),
        Err(err) => {
            state
                .metrics
                .rejections
                .with_label_values(&[err.code().as_str()])
                .inc();
            Err(err)
        }
    }
}

/// The most a body buffer reserves before bytes arrive: a client's `Content-Length`
/// is a claim, not a reason to allocate (the buffer grows as the bytes come).
const INITIAL_CAPACITY: usize = 64 * 1024;

/// Reads the body, refusing it as soon as it is known to exceed `max` bytes.
pub(super) async fn read_body(
    req: &HttpRequest,
    payload: web::Payload,
    max: usize,
) -> Result<web::BytesMut, ApiError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    collect(payload, declared, max).await
}

/// Collects `payload` (of `declared` length, if said) up to `max` bytes.
async fn collect<E: std::fmt::Display>(
    mut payload: impl Stream<Item = Result<web::Bytes, E>> + Unpin,
    declared: Option<usize>,
    max: usize,
) -> Result<web::BytesMut, ApiError> {
    if declared.is_some_and(|len| len > max) {
        return Err(too_large(max));
    }
    let mut body =
        web::BytesMut::with_capacity(declared.unwrap_or(8 * 1024).min(max).min(INITIAL_CAPACITY));
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::new(ApiErrorCode::BodyUnreadable, e.to_string()))?;
        if body.len() + chunk.len() > max {
            return Err(too_large(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn too_large(max: usize) -> ApiError {
    ApiError::new(
        ApiErrorCode::PayloadTooLarge,
        format!("the body exceeds the {max}-byte limit"),
    )
    .closing_connection()
}

fn saturated() -> ApiError {
    ApiError::new(
        ApiErrorCode::IntakeSaturated,
        "too many deliveries are being received at once; retry shortly",
    )
    .retry_after(1)
    .closing_connection()
}

fn too_slow(deadline: Duration) -> ApiError {
    ApiError::new(
        ApiErrorCode::BodyTimeout,
        format!("the body did not arrive within {} ms", deadline.as_millis()),
    )
    .closing_connection()
}

fn header_error(err: WebhookHeaderError) -> ApiError {
    let code = match err {
        WebhookHeaderError::MissingEvent => ApiErrorCode::MissingEvent,
        WebhookHeaderError::MissingDelivery => ApiErrorCode::MissingDelivery,
        WebhookHeaderError::MissingSignature => ApiErrorCode::MissingSignature,
    };
    ApiError::new(code, err.to_string())
}

fn intake_error(err: IntakeError) -> ApiError {
    let code = match &err {
        IntakeError::BadSignature => ApiErrorCode::BadSignature,
        IntakeError::WrongScope => ApiErrorCode::WrongSecretScope,
        IntakeError::InstallationMismatch => ApiErrorCode::InstallationMismatch,
        IntakeError::Malformed(_) => ApiErrorCode::MalformedPayload,
        IntakeError::Storage(_) => return ApiError::storage(&err).retry_after(1),
        IntakeError::Deadline => {
            return ApiError::new(ApiErrorCode::StorageDeadline, err.to_string()).retry_after(1)
        }
        IntakeError::Refused { retry_after } => {
            return ApiError::new(ApiErrorCode::StorageBreakerOpen, err.to_string())
                .retry_after(retry_after.as_secs().max(1))
        }
    };
    ApiError::new(code, err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn a_declared_25_mib_body_that_never_comes_reserves_no_25_mib() {
        let max = 25 * 1024 * 1024;
        let nothing = futures::stream::empty::<Result<web::Bytes, std::io::Error>>();
        let body = collect(nothing, Some(max), max).await.unwrap();
        assert!(body.capacity() <= INITIAL_CAPACITY, "{}", body.capacity());
        let oversized = futures::stream::empty::<Result<web::Bytes, std::io::Error>>();
        assert!(collect(oversized, Some(max + 1), max).await.is_err());
    }
}
