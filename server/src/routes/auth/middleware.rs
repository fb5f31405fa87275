//! The request middleware: resolves the caller once (see `authenticate`) and applies
//! the CSRF rules described in the module header of `auth`. Mounted around the whole
//! app in `startup`.
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::web::{self, BytesMut};
use actix_web::{Error, HttpMessage};
use futures::StreamExt;
use subtle::ConstantTimeEq;

use super::credentials::authenticate;
use crate::auth::{AuthError, Credential, Principal};
use crate::config::Settings;
use crate::services::AppState;

/// The caller as the middleware resolved it (`None`: anonymous), kept in the
/// request's extensions for the extractors.
#[derive(Debug, Clone)]
pub struct Resolved(pub Option<Principal>);

/// The principal the middleware found for this request (`None`: anonymous, or the
/// middleware is not mounted).
#[must_use]
pub fn resolved(req: &actix_web::HttpRequest) -> Option<Principal> {
    req.extensions().get::<Resolved>().and_then(|r| r.0.clone())
}

/// Paths whose unsafe requests are checked by origin only: they create a session
/// rather than use one.
const ORIGIN_ONLY: &[&str] = &["/login"];

/// The CSRF form field and header.
pub const CSRF_FIELD: &str = "csrf";
/// The CSRF header (htmx sends it through `hx-headers`).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The middleware function; mount with
/// `actix_web::middleware::from_fn(routes::admit)`. A refusal is answered
/// here (not passed up as an error), so the middleware around it (the hardening
/// headers) sees a response.
///
/// # Errors
/// None of its own: refusals are responses. An [`AuthError`] makes them: 403 when a
/// CSRF check fails, 503 when credentials cannot be checked.
pub async fn admit(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    match check(&mut req, &state).await {
        Ok(()) => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
        Err(refusal) => Ok(req.error_response(refusal).map_into_right_body()),
    }
}

/// Resolves the caller into the request's extensions, and checks an unsafe
/// request's origin and CSRF token.
async fn check(req: &mut ServiceRequest, state: &AppState) -> Result<(), Error> {
    let principal = authenticate(req.request(), state).await?;
    let unsafe_method = !matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    if unsafe_method && !req.headers().contains_key(header::AUTHORIZATION) {
        same_origin(req, &state.settings)?;
        if let Some(Principal {
            via: Credential::Session { csrf, .. },
            ..
        }) = &principal
        {
            if !ORIGIN_ONLY.contains(&req.path()) {
                let presented = presented_token(req, &state.settings).await?;
                let valid: bool = presented.as_bytes().ct_eq(csrf.as_bytes()).into();
                if presented.is_empty() || !valid {
                    return Err(AuthError::CsrfRejected("this form has expired or did not come from this site: reload the page and try again").into());
                }
            }
        }
    }
    req.extensions_mut().insert(Resolved(principal));
    Ok(())
}

/// Refuses requests another site started: a cross-site `Sec-Fetch-Site`, or an
/// `Origin` that is neither this server nor an allowed origin.
fn same_origin(req: &ServiceRequest, settings: &Settings) -> Result<(), AuthError> {
    let refused = AuthError::CsrfRejected("cross-site requests are refused");
    if let Some(site) = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
    {
        if site.eq_ignore_ascii_case("cross-site") || site.eq_ignore_ascii_case("same-site") {
            return Err(refused);
        }
    }
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin
        .to_str()
        .map_err(|_| AuthError::CsrfRejected("cross-site requests are refused"))?
        .trim();
    if settings
        .web
        .allowed_origins
        .iter()
        .any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        return Ok(());
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_owned()));
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    match (origin_host, host) {
        (Some(o), Some(h)) if o.eq_ignore_ascii_case(&h) => Ok(()),
        _ => Err(refused),
    }
}

/// The CSRF token the request carries: the header, else the `csrf` field of an
/// urlencoded or multipart body (the body is read and put back for the handler).
async fn presented_token(req: &mut ServiceRequest, settings: &Settings) -> Result<String, Error> {
    if let Some(value) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return Ok(value.trim().to_owned());
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    let multipart = content_type.starts_with("multipart/form-data");
    if !form && !multipart {
        return Ok(String::new());
    }
    let limit = settings.plugins.max_component_bytes.max(1024 * 1024);
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Err(actix_web::error::ErrorPayloadTooLarge(
                "the request body is too large",
            ));
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let token = if form {
        url::form_urlencoded::parse(&body)
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.into_owned())
    } else {
        multipart_field(&body, CSRF_FIELD)
    };
    req.set_payload(Payload::from(body));
    Ok(token.unwrap_or_default())
}

/// The value of a small text field in a multipart body.
fn multipart_field(body: &[u8], name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let at = find(body, marker.as_bytes())?;
    let rest = &body[at + marker.len()..];
    let start = find(rest, b"\r\n\r\n")? + 4;
    let value = &rest[start..];
    let end = find(value, b"\r\n--")?;
    String::from_utf8(value[..end].to_vec())
        .ok()
        .map(|v| v.trim().to_owned())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::multipart_field;

    #[test]
    fn a_field_is_found_in_a_multipart_body() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc123\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.wasm\"\r\n\r\n\x00asm\r\n--XyZ--\r\n";
        assert_eq!(multipart_field(body, "csrf").as_deref(), Some("abc123"));
        assert_eq!(multipart_field(body, "other"), None);
    }
}
