//! The extractors: `Principal` (anyone signed in or holding a token) and the role
//! newtypes `AnyViewer`, `AnyMaintainer` and `AdminOnly`, so a handler states the
//! role it needs in its signature. The principal is resolved once per request and
//! kept in the request's extensions.
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures::future::LocalBoxFuture;

use super::middleware::Resolved;
use super::refusal::signed_out;
use crate::auth::{AuthError, Principal, Role};
use crate::services::AppState;

impl FromRequest for Principal {
    type Error = AuthError;
    type Future = LocalBoxFuture<'static, Result<Self, AuthError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { resolve(&req).await })
    }
}

/// The request's principal, resolved at most once per request.
async fn resolve(req: &HttpRequest) -> Result<Principal, AuthError> {
    let known = req.extensions().get::<Resolved>().cloned();
    let principal = match known {
        Some(Resolved(found)) => found,
        None => {
            // The middleware is not mounted (a test harness): resolve here.
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or(AuthError::Unavailable)?
                .clone();
            let found = super::credentials::authenticate(req, &state).await?;
            req.extensions_mut().insert(Resolved(found.clone()));
            found
        }
    };
    principal.ok_or_else(|| signed_out(req))
}

macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $role:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Principal);

        impl Deref for $name {
            type Target = Principal;

            fn deref(&self) -> &Principal {
                &self.0
            }
        }

        impl FromRequest for $name {
            type Error = AuthError;
            type Future = LocalBoxFuture<'static, Result<Self, AuthError>>;

            fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move {
                    let principal = resolve(&req).await?;
                    principal.require($role, None)?;
                    Ok($name(principal))
                })
            }
        }
    };
}

role_extractor!(
    /// A caller with at least the viewer role on some project (401/403 otherwise).
    AnyViewer,
    Role::Viewer
);
role_extractor!(
    /// A caller who maintains at least one project; handlers then check the project
    /// itself with [`Principal::require`].
    AnyMaintainer,
    Role::Maintainer
);
role_extractor!(
    /// An admin (401/403 otherwise).
    AdminOnly,
    Role::Admin
);
