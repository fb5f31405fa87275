//! `POST /logout`: ends the session (the row is revoked, so the cookie is refused
//! from now on, wherever it was copied).
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::auth::{session, signin, AuthError, Principal};
use crate::state::AppState;

/// `POST /logout`: revokes the session and clears the cookie.
pub async fn logout(
    principal: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AuthError> {
    signin::sign_out(&state, &principal).await?;
    let secure = session::is_secure(&req, &state.settings);
    Ok(HttpResponse::SeeOther()
        .cookie(session::removal_cookie(secure))
        .insert_header((header::LOCATION, "/login"))
        .insert_header(("HX-Redirect", "/login"))
        .finish())
}
