//! Browser hardening on every answer (security review L15), wrapped around the
//! whole app in `startup`: a Content-Security-Policy that allows only this site's
//! own script, styles and requests (no inline script or style, no eval) and no
//! framing; `X-Content-Type-Options`, `X-Frame-Options` for older browsers,
//! `Referrer-Policy`; and `Strict-Transport-Security` when the request came over
//! TLS (`web.secure_cookies`, or `X-Forwarded-Proto: https` from a trusted proxy).
//! Refusals (401, 403) get the same headers: the middleware inside (`admit`,
//! `enforce`) answer them as responses, not errors. It holds no clone of the
//! request while the inner services run (routing needs the request to itself).
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use crate::services::AppState;

/// The policy: this origin's scripts, styles, images and requests; forms post only
/// here; nothing may frame a page.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'";

/// A year, without `includeSubDomains`: other hosts of the domain are not ours.
const HSTS: &str = "max-age=31536000";

/// Adds the hardening headers to the answer of `req`.
///
/// # Errors
/// None of its own: an error of an inner service is passed on.
pub async fn harden(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let tls = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| super::auth::client::is_secure(req.request(), &state.settings));
    let mut response = next.call(req).await?.map_into_boxed_body();
    let headers = response.headers_mut();
    let fixed = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if tls {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    Ok(response)
}
