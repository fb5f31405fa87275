//! `GET /login` (the form) and `POST /login` (check the password, start a session).
//! A wrong login and a wrong password get the same status and the same page.
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::services::signin::{self, SignIn};
use crate::services::AppState;

/// The sign-in page.
#[derive(Template)]
#[template(path = "pages/login.html")]
struct LoginPage<'a> {
    /// What went wrong, if anything.
    error: Option<&'a str>,
    /// Where to go after signing in.
    next: &'a str,
}

/// Query of `GET /login`.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Body of `POST /login`.
#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    next: Option<String>,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

/// A local path to return to, else `/`: `/` followed by nothing or by a character
/// other than `/` and `\` (so never `//host` or `/\host`, which browsers read as
/// another site), with no control character anywhere (a tab or newline that a
/// browser drops would turn `/\t/host` into `//host`; security review L2).
fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(p)
            if p.strip_prefix('/')
                .is_some_and(|rest| !rest.starts_with(['/', '\\']))
                && !p.chars().any(char::is_control) =>
        {
            p
        }
        _ => "/",
    }
}

fn page(status: StatusCode, error: Option<&str>, next: &str) -> HttpResponse {
    match (LoginPage { error, next }).render() {
        Ok(html) => HttpResponse::build(status)
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(err) => {
            tracing::error!(error = %err, "rendering the sign-in page failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// `GET /login`: the sign-in form.
pub async fn show_login(query: web::Query<LoginQuery>) -> HttpResponse {
    page(StatusCode::OK, None, local_path(query.next.as_deref()))
}

/// `POST /login`: signs in; a new session every time (a session the browser already
/// had is ended, never adopted).
pub async fn submit_login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let next = local_path(form.next.as_deref()).to_owned();
    let previous = super::resolved(&req);
    let address = super::client::client_address(&req, &state.settings);
    let outcome = signin::sign_in(
        &state,
        &form.login,
        form.password,
        &address,
        previous.as_ref(),
    )
    .await;
    match outcome {
        Ok(SignIn::Success { token }) => {
            let secure = super::client::is_secure(&req, &state.settings);
            HttpResponse::SeeOther()
                .cookie(super::session_cookie(
                    token,
                    secure,
                    state.settings.web.session_ttl_secs,
                ))
                .insert_header((header::LOCATION, next))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish()
        }
        Ok(SignIn::Wrong) => page(
            StatusCode::UNAUTHORIZED,
            Some("Wrong login or password."),
            &next,
        ),
        Ok(SignIn::Throttled { retry_after_secs }) => {
            let mut response = page(
                StatusCode::TOO_MANY_REQUESTS,
                Some("Too many failed sign-ins. Wait a while and try again."),
                &next,
            );
            if let Ok(value) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Err(err) => {
            let request_id = uuid::Uuid::new_v4();
            tracing::error!(%request_id, error = %err, "sign-in failed");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                Some("The server could not check your sign-in. Try again shortly."),
                &next,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(local_path(Some("/dashboard/plugins")), "/dashboard/plugins");
        assert_eq!(local_path(Some("//evil.example")), "/");
        assert_eq!(local_path(Some("https://evil.example")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(Some("/\t/evil.example")), "/");
        assert_eq!(local_path(Some("/a\nb")), "/");
        assert_eq!(local_path(None), "/");
    }
}
