//! How an [`AuthError`] is answered over HTTP: JSON in the API's shape
//! (`{"error", "message"}`) with the catalogue's status; a browser asking for a page
//! while signed out is sent to `/login` instead (303, or `HX-Redirect` for htmx).
use actix_web::http::{header, Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;

use crate::auth::AuthError;

/// The 401 for this request: a redirect to `/login` for a browser asking for a page.
pub fn signed_out(req: &HttpRequest) -> AuthError {
    let htmx = req.headers().contains_key("HX-Request");
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let page = req.method() == Method::GET && !req.path().starts_with("/api/") && wants_html;
    let login_redirect = page.then(|| {
        let next = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
        format!(
            "/login?next={}",
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        )
    });
    AuthError::NotSignedIn {
        login_redirect,
        htmx,
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    message: &'a str,
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            AuthError::NotSignedIn {
                login_redirect: Some(_),
                htmx: false,
            } => StatusCode::SEE_OTHER,
            // The catalogue's status: 401, 403 or 503.
            refused => StatusCode::from_u16(refused.code().status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            AuthError::NotSignedIn { htmx: true, .. } => {
                response.insert_header(("HX-Redirect", "/login"));
            }
            AuthError::NotSignedIn {
                login_redirect: Some(to),
                ..
            } => {
                response.insert_header((header::LOCATION, to.as_str()));
            }
            _ => {}
        }
        if matches!(self, AuthError::NotSignedIn { .. }) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        let message = self.to_string();
        response.json(Body {
            error: self.code().as_str(),
            message: &message,
        })
    }
}
