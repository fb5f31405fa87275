//! The authenticated user: `GET /user` answers who owns the request's token (see
//! [`crate::Simulator::set_token_owner`]); an installation token is refused with
//! GitHub's 403, as it belongs to no user.

use super::Routes;
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};

use super::{base_url, credential, ensure_actor, DEFAULT_ACTOR};
use crate::{error::SimError, json, Simulator};

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.get("/user", get_user);
}

/// `GET /user`.
async fn get_user(sim: web::Data<Simulator>, req: HttpRequest) -> Result<HttpResponse, SimError> {
    let token = credential(req.headers()).unwrap_or_default().to_owned();
    let mut state = sim.lock();
    if state.apps.tokens.contains_key(&token) {
        return Err(SimError::status(
            StatusCode::FORBIDDEN,
            "Resource not accessible by integration",
        ));
    }
    let owner = state
        .apps
        .token_owners
        .get(&token)
        .cloned()
        .unwrap_or_else(|| DEFAULT_ACTOR.to_owned());
    let login = ensure_actor(&mut state, &owner);
    let user = state.user_or_placeholder(&login);
    Ok(HttpResponse::Ok().json(json::public_user(&base_url(&req), &user)))
}
