//! Who may see and do what on the dashboard, on top of `crate::auth`:
//!
//! - [`User`]: any caller with at least the viewer role somewhere (every page is
//!   readable by viewers). Signed out: a browser is sent to `/login` (303), htmx
//!   gets `HX-Redirect`.
//! - Writes: `auth`'s middleware has already checked CSRF on every unsafe request
//!   (form field `csrf` or header `X-CSRF-Token`, and the `Origin` check) before a
//!   handler runs; each write handler then checks the role it needs on the project
//!   concerned with [`require`] before it changes anything.
//!
//! Templates render write controls only where [`can`] says the role allows them,
//! so a viewer's pages carry no forms or buttons that write.
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures::future::LocalBoxFuture;

use super::view::{is_htmx, DashError};
use crate::auth::{AuthError, Principal, Role};

/// A signed-in caller with at least the viewer role somewhere.
#[derive(Debug, Clone)]
pub struct User(pub Principal);

fn refused(req: &HttpRequest, err: &AuthError) -> DashError {
    if err.is_not_signed_in() {
        let next = req
            .uri()
            .path_and_query()
            .map_or("/dashboard", |pq| pq.as_str())
            .to_owned();
        return DashError::SignIn {
            next,
            htmx: is_htmx(req),
        };
    }
    if err.is_forbidden() {
        return DashError::Forbidden(err.to_string());
    }
    DashError::Internal(err.to_string())
}

async fn signed_in(req: &HttpRequest) -> Result<Principal, DashError> {
    let principal = Principal::extract(req)
        .await
        .map_err(|e| refused(req, &e))?;
    principal
        .require(Role::Viewer, None)
        .map_err(|e| DashError::Forbidden(e.to_string()))?;
    Ok(principal)
}

impl FromRequest for User {
    type Error = DashError;
    type Future = LocalBoxFuture<'static, Result<Self, DashError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { signed_in(&req).await.map(User) })
    }
}

/// Checks `need` on `project` (`None`: on some project; `Admin`: the admin role).
///
/// # Errors
/// [`DashError::Forbidden`] naming what was needed.
pub fn require(principal: &Principal, need: Role, project: Option<&str>) -> Result<(), DashError> {
    principal
        .require(need, project)
        .map_err(|e| DashError::Forbidden(e.to_string()))
}

/// Whether `principal` may do what needs `need` on `project` (for rendering).
#[must_use]
pub fn can(principal: &Principal, need: Role, project: Option<&str>) -> bool {
    principal.require(need, project).is_ok()
}
