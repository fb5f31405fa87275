//! The JSON API's error shape: `{"error": "snake_case_code", "message": "..."}` with
//! the right status. A 5xx carries a request id; the full cause goes to the log once
//! and never to the client.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// An error answered to an API client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    close: bool,
    /// Seconds for a `Retry-After` header.
    retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    message: &'a str,
}

impl ApiError {
    /// An error with a status, a stable code and a message safe to show.
    #[must_use]
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            close: false,
            retry_after: None,
        }
    }

    /// A server-side failure: logs the cause with a fresh request id and answers
    /// with `status` and only that id.
    #[must_use]
    pub fn internal(status: StatusCode, code: &'static str, cause: &dyn std::error::Error) -> Self {
        let request_id = uuid::Uuid::new_v4();
        let mut chain = cause.to_string();
        let mut source = cause.source();
        while let Some(s) = source {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            source = s.source();
        }
        tracing::error!(%request_id, error = %chain, code, "request failed");
        Self {
            status,
            code,
            message: format!("the server could not complete the request (request id {request_id})"),
            close: false,
            retry_after: None,
        }
    }
}

impl ApiError {
    /// The stable snake_case code of this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
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

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.close {
            response.force_close();
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(Body {
            error: self.code,
            message: &self.message,
        })
    }
}

/// 405 for any method a resource does not serve.
pub async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not accept that method",
    ))
}
