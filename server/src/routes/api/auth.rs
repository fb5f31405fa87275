//! `ApiCaller`: the extractor that admits a request to the JSON API when it carries
//! the configured token. Compared as SHA-256 digests in constant time, so neither
//! content nor length leaks through timing.
use std::future::{ready, Ready};

use actix_web::http::StatusCode;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::routes::ApiError;
use crate::state::AppState;

/// A caller that presented the API token.
#[derive(Debug)]
pub struct ApiCaller;

impl ApiCaller {
    /// The name recorded in the audit log for what this caller does.
    #[must_use]
    pub fn name(&self) -> &'static str {
        "api-token"
    }
}

impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(check(req))
    }
}

fn check(req: &HttpRequest) -> Result<ApiCaller, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "misconfigured", "application state missing"))?;
    let Some(expected) = &state.settings.api.token else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "api_disabled",
            "the JSON API is closed: set api.token (GANTRY_API__TOKEN) to open it",
        ));
    };
    let presented = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let matches: bool = Sha256::digest(presented.as_bytes()).ct_eq(&Sha256::digest(expected.expose().as_bytes())).into();
    if presented.is_empty() || !matches {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "a valid API token is required (Authorization: Bearer ...)"));
    }
    Ok(ApiCaller)
}
