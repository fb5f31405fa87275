//! The errors the simulator answers with, in GitHub's own shapes and statuses.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use serde_json::{json, Value};

/// Where GitHub points its error bodies.
const DOCS: &str = "https://docs.github.com/rest";

/// A request the simulator refuses, rendered like GitHub would.
#[derive(Debug)]
pub(crate) enum SimError {
    /// 401: no usable `Authorization` header.
    Unauthorized,
    /// 404: unknown repository, issue, label or path.
    NotFound,
    /// 400: the body is not JSON.
    BadJson,
    /// 422: the body is JSON but not acceptable; holds GitHub's `errors` entries.
    Validation(Vec<Value>),
    /// 422 "Unprocessable Entity" whose `errors` are sentences, as GitHub words the
    /// refusals of a pull request review.
    Sentences(Vec<String>),
    /// Any other refusal GitHub words specially, with that status and message, e.g.
    /// 403 "This workflow is already running", 404 "Branch not found", 405 "Pull
    /// Request is not mergeable", 409 "<path> does not match <sha>", 422 "Reference
    /// already exists".
    Message(StatusCode, String),
}

impl SimError {
    /// A 422 with one `{"resource", "code", "field"}` entry.
    pub fn invalid(resource: &str, code: &str, field: &str) -> Self {
        Self::Validation(vec![
            json!({ "resource": resource, "code": code, "field": field }),
        ])
    }

    /// `status` with GitHub's body around `message`.
    pub fn status(status: StatusCode, message: impl Into<String>) -> Self {
        Self::Message(status, message.into())
    }
}

impl std::fmt::Display for SimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Unauthorized => "Requires authentication",
            Self::NotFound => "Not Found",
            Self::BadJson => "Problems parsing JSON",
            Self::Validation(_) => "Validation Failed",
            Self::Sentences(_) => "Unprocessable Entity",
            Self::Message(_, message) => message,
        })
    }
}

impl ResponseError for SimError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadJson => StatusCode::BAD_REQUEST,
            Self::Validation(_) | Self::Sentences(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Message(status, _) => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = json!({ "message": self.to_string(), "documentation_url": DOCS });
        let errors = match self {
            Self::Validation(errors) => Some(errors.clone()),
            Self::Sentences(errors) => Some(errors.iter().map(|e| json!(e)).collect()),
            _ => None,
        };
        if let (Some(errors), Some(map)) = (errors, body.as_object_mut()) {
            map.insert("errors".to_owned(), Value::Array(errors));
        }
        HttpResponse::build(self.status_code()).json(body)
    }
}
