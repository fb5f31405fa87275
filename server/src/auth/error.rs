//! `AuthError`: why a caller was refused, with its catalogue code. How it is answered
//! over HTTP (JSON in the API's shape, or a redirect to `/login`) is in
//! `routes::auth::refusal`.

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
