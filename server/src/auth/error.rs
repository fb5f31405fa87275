//! `AuthError`: why a request was not admitted. JSON bodies in the API's shape
//! (`{"error", "message"}`); a browser asking for a page while signed out is sent to
//! `/login` instead (303, or `HX-Redirect` for htmx).
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use super::role::AccessDenied;
use crate::domain::ApiErrorCode;

/// Why a caller was refused.
#[derive(Debug)]
pub enum AuthError {
    /// 401: no valid session or token (absent, expired, revoked, forged).
    NotSignedIn {
        /// For a browser page request: where to come back after signing in.
        login_redirect: Option<String>,
        /// For an htmx request: answer 401 with `HX-Redirect: /login`.
        htmx: bool,
    },
    /// 403: signed in, but the role is too low.
    Forbidden(AccessDenied),
    /// 403: an unsafe request by session cookie without a valid CSRF token, or from
    /// another site.
    CsrfRejected(&'static str),
    /// 503: the database could not be asked (the cause is logged).
    Unavailable,
}

impl AuthError {
    /// A plain 401 (no redirect).
    #[must_use]
    pub fn not_signed_in() -> Self {
        AuthError::NotSignedIn {
            login_redirect: None,
            htmx: false,
        }
    }

    /// The answer to `req` when nobody is signed in: 401, or a 303 to `/login` for a
    /// browser asking for a page (`HX-Redirect` for htmx).
    #[must_use]
    pub fn signed_out(req: &actix_web::HttpRequest) -> Self {
        super::extract::signed_out(req)
    }

    /// Whether the caller is not signed in (as opposed to signed in but refused):
    /// dashboard handlers send these to `/login`.
    #[must_use]
    pub fn is_not_signed_in(&self) -> bool {
        matches!(self, AuthError::NotSignedIn { .. })
    }

    /// Whether the caller is signed in but may not do this.
    #[must_use]
    pub fn is_forbidden(&self) -> bool {
        matches!(self, AuthError::Forbidden(_) | AuthError::CsrfRejected(_))
    }

    /// The catalogue code in the JSON body.
    #[must_use]
    pub fn code(&self) -> ApiErrorCode {
        match self {
            AuthError::NotSignedIn { .. } => ApiErrorCode::Unauthorized,
            AuthError::Forbidden(_) => ApiErrorCode::Forbidden,
            AuthError::CsrfRejected(_) => ApiErrorCode::CsrfRejected,
            AuthError::Unavailable => ApiErrorCode::StorageUnavailable,
        }
    }
}

impl From<AccessDenied> for AuthError {
    fn from(denied: AccessDenied) -> Self {
        AuthError::Forbidden(denied)
    }
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthError::NotSignedIn { .. } => {
                f.write_str("sign in first, or send a valid API token (Authorization: Bearer ...)")
            }
            AuthError::Forbidden(denied) => write!(f, "{denied}"),
            AuthError::CsrfRejected(why) => f.write_str(why),
            AuthError::Unavailable => {
                f.write_str("the server could not check who you are; try again")
            }
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    message: &'a str,
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            AuthError::NotSignedIn {
                login_redirect: Some(_),
                htmx: false,
            } => StatusCode::SEE_OTHER,
            // The catalogue's status: 401, 403 or 503.
            refused => StatusCode::from_u16(refused.code().status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            AuthError::NotSignedIn { htmx: true, .. } => {
                response.insert_header(("HX-Redirect", "/login"));
            }
            AuthError::NotSignedIn {
                login_redirect: Some(to),
                ..
            } => {
                response.insert_header((header::LOCATION, to.as_str()));
            }
            _ => {}
        }
        if matches!(self, AuthError::NotSignedIn { .. }) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        let message = self.to_string();
        response.json(Body {
            error: self.code().as_str(),
            message: &message,
        })
    }
}
