//! The JSON API's error shape: `{"error": "snake_case_code", "message": "..."}`, an
//! [`ErrorResponse`], with the status of its code in the catalogue
//! ([`ApiErrorCode`], documented in `docs/api.md`). A failure of the server itself
//! (the database: 503 `storage_unavailable`; a bug: 500 `internal`) carries only a
//! request id; the full cause goes to the log once and never to the client.
use actix_web::error::JsonPayloadError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse, ResponseError};
use serde::Serialize;

pub use crate::domain::ApiErrorCode;

/// An error answered to an API client.
#[derive(Debug)]
pub struct ApiError {
    code: ApiErrorCode,
    message: String,
    close: bool,
    /// Seconds for a `Retry-After` header.
    retry_after: Option<u64>,
}

/// The body of every JSON error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorResponse {
    /// The stable code (see the catalogue).
    pub error: ApiErrorCode,
    /// What went wrong, safe to show; for a 5xx, only a request id.
    pub message: String,
}

impl ApiError {
    /// An error with its catalogue code and a message safe to show.
    #[must_use]
    pub fn new(code: ApiErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            close: false,
            retry_after: None,
        }
    }

    /// A failure of the server: logs the cause with a fresh request id and answers
    /// with `code` and only that id.
    #[must_use]
    pub fn internal(code: ApiErrorCode, cause: &dyn std::error::Error) -> Self {
        let request_id = uuid::Uuid::new_v4();
        let chain = error_chain(cause);
        tracing::error!(%request_id, error = %chain, code = code.as_str(), "request failed");
        Self::new(
            code,
            format!("the server could not complete the request (request id {request_id})"),
        )
    }

    /// 503 `storage_unavailable`: the database could not be used.
    #[must_use]
    pub fn storage(cause: &dyn std::error::Error) -> Self {
        Self::internal(ApiErrorCode::StorageUnavailable, cause)
    }

    /// The catalogue code of this error.
    #[must_use]
    pub fn code(&self) -> ApiErrorCode {
        self.code
    }

    /// Closes the connection after answering, so the rest of a refused body is never
    /// read.
    #[must_use]
    pub fn closing_connection(mut self) -> Self {
        self.close = true;
        self
    }

    /// Says when to try again (`Retry-After`, in seconds).
    #[must_use]
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }
}

/// The HTTP status of `code`, as actix types it.
#[must_use]
pub fn status_of(code: ApiErrorCode) -> StatusCode {
    StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// An error and its sources, joined by `: `, for the log.
#[must_use]
pub fn error_chain(cause: &dyn std::error::Error) -> String {
    let mut chain = cause.to_string();
    let mut source = cause.source();
    while let Some(s) = source {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        source = s.source();
    }
    chain
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        status_of(self.code)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if self.close {
            response.force_close();
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(ErrorResponse {
            error: self.code,
            message: self.message.clone(),
        })
    }
}

/// 405 for any method a resource does not serve.
pub async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        ApiErrorCode::MethodNotAllowed,
        "this endpoint does not accept that method",
    ))
}

/// Answers in the API's error shape for requests the extractors cannot read: a
/// JSON body (`invalid_json`; `unsupported_media_type` and `payload_too_large`
/// keep actix's 415 and 413) or a query string (`invalid_query`).
pub fn extractor_errors(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::JsonConfig::default().error_handler(|err, _req| {
        let code = match &err {
            JsonPayloadError::ContentType => ApiErrorCode::UnsupportedMediaType,
            JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
                ApiErrorCode::PayloadTooLarge
            }
            _ => ApiErrorCode::InvalidJson,
        };
        ApiError::new(code, err.to_string()).into()
    }))
    .app_data(web::QueryConfig::default().error_handler(|err, _req| {
        ApiError::new(ApiErrorCode::InvalidQuery, err.to_string()).into()
    }));
}
