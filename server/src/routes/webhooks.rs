//! `POST /webhooks/github`: headers checked first, then the body read up to the size
//! cap (413 at once when `Content-Length` says it is too large), then intake.
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures::StreamExt;

use super::ApiError;
use crate::domain::{WebhookHeaderError, WebhookHeaders};
use crate::services::intake::{self, IntakeError};
use crate::state::AppState;

/// Receives one GitHub webhook delivery and answers 202 once it is stored.
#[tracing::instrument(skip_all)]
pub async fn receive_webhook(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let result = async {
        let headers = WebhookHeaders::from_lookup(|name| {
            req.headers().get(name).and_then(|v| v.to_str().ok())
        })
        .map_err(header_error)?;
        let body = read_body(&req, payload, state.settings.webhook.max_body_bytes).await?;
        intake::accept(&state, &headers, &body)
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
                .with_label_values(&[err.code()])
                .inc();
            Err(err)
        }
    }
}

/// Reads the body, refusing it as soon as it is known to exceed `max` bytes.
pub(super) async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    max: usize,
) -> Result<web::BytesMut, ApiError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > max) {
        return Err(too_large(max));
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(8 * 1024).min(max));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(StatusCode::BAD_REQUEST, "body_unreadable", e.to_string())
        })?;
        if body.len() + chunk.len() > max {
            return Err(too_large(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn too_large(max: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the body exceeds the {max}-byte limit"),
    )
    .closing_connection()
}

fn header_error(err: WebhookHeaderError) -> ApiError {
    let (status, code) = match err {
        WebhookHeaderError::MissingEvent => (StatusCode::BAD_REQUEST, "missing_event"),
        WebhookHeaderError::MissingDelivery => (StatusCode::BAD_REQUEST, "missing_delivery"),
        WebhookHeaderError::MissingSignature => (StatusCode::UNAUTHORIZED, "missing_signature"),
    };
    ApiError::new(status, code, err.to_string())
}

fn intake_error(err: IntakeError) -> ApiError {
    match &err {
        IntakeError::BadSignature => {
            ApiError::new(StatusCode::UNAUTHORIZED, "bad_signature", err.to_string())
        }
        IntakeError::WrongScope => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "wrong_secret_scope",
            err.to_string(),
        ),
        IntakeError::Malformed(_) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_payload",
            err.to_string(),
        ),
        IntakeError::Storage(_) => {
            ApiError::internal(StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable", &err)
                .retry_after(1)
        }
        IntakeError::Deadline => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_deadline",
            err.to_string(),
        )
        .retry_after(1),
        IntakeError::Refused { retry_after } => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_breaker_open",
            err.to_string(),
        )
        .retry_after(retry_after.as_secs().max(1)),
    }
}
