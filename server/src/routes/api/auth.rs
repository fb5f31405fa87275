//! Roles in the JSON API. Callers are admitted by the `auth` extractors in each
//! handler's signature (`AnyViewer` for reads, `AnyMaintainer` for project writes,
//! `AdminOnly` for the rest); a bearer token is the bootstrap `api.token` (admin) or
//! a token from `gantry token create` with its scope. Handlers whose project is
//! known only from the record check it here.
use crate::auth::{AccessDenied, Principal, Role};
use crate::routes::error::{ApiError, ApiErrorCode};

/// The API's 403.
#[must_use]
pub fn forbidden(denied: &AccessDenied) -> ApiError {
    ApiError::new(ApiErrorCode::Forbidden, denied.to_string())
}

/// Checks `need` on `project` (`None`: a global change, which needs admin).
///
/// # Errors
/// A 403 [`ApiError`].
pub fn require_on(caller: &Principal, need: Role, project: Option<&str>) -> Result<(), ApiError> {
    match project {
        Some(p) => caller.require(need, Some(p)),
        None => caller.require(Role::Admin, None),
    }
    .map_err(|d| forbidden(&d))
}
