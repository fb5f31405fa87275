//! The session cookie: reading the token a request carries, setting it after sign-in
//! and removing it at sign-out (names and token format: `auth::session`).
use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;

use crate::auth::session::{PLAIN_COOKIE, SECURE_COOKIE};

/// The session token the request carries, if any.
#[must_use]
pub fn cookie_token(req: &HttpRequest) -> Option<String> {
    req.cookie(SECURE_COOKIE)
        .or_else(|| req.cookie(PLAIN_COOKIE))
        .map(|c| c.value().to_owned())
}

/// The cookie that carries `token`.
#[must_use]
pub fn session_cookie(token: String, secure: bool, ttl_secs: u64) -> Cookie<'static> {
    let name = if secure { SECURE_COOKIE } else { PLAIN_COOKIE };
    Cookie::build(name, token)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(
            i64::try_from(ttl_secs).unwrap_or(i64::MAX),
        ))
        .finish()
}

/// A cookie that removes the session cookie.
#[must_use]
pub fn removal_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = session_cookie(String::new(), secure, 0);
    cookie.make_removal();
    cookie
}
