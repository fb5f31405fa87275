//! `POST /logout`: ends the session (the row is revoked, so the cookie is refused
//! from now on, wherever it was copied).
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::auth::{AuthError, Principal};
use crate::services::signin;
use crate::services::AppState;

/// `POST /logout`: revokes the session and clears the cookie.
pub async fn logout(
    principal: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AuthError> {
    signin::sign_out(&state, &principal).await?;
    let secure = super::client::is_secure(&req, &state.settings);
    Ok(HttpResponse::SeeOther()
        .cookie(super::removal_cookie(secure))
        .insert_header((header::LOCATION, "/login"))
        .insert_header(("HX-Redirect", "/login"))
        .finish())
}
