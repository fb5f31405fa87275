//! What every dashboard page shares: the navigation context (`Nav`: who is signed
//! in, their role, the CSRF token, the area shown), rendering a page in full or only
//! its `content` block for htmx (`HX-Request`), and `DashError`, which renders a
//! page with the right status (or sends a signed-out browser to `/login`).
use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;

use crate::auth::{Principal, Role};

/// The navigation and identity shown on every page.
#[derive(Debug, Clone)]
pub struct Nav {
    /// The signed-in login.
    pub login: String,
    /// Their highest role, as a word.
    pub role: &'static str,
    /// Whether they are an admin (the users and teams pages).
    pub admin: bool,
    /// The session's CSRF token (empty for API-token callers, who cannot post forms).
    pub csrf: String,
    /// The area shown (`overview`, `plugins`, ...), to mark the current link.
    pub area: &'static str,
    /// Whether this server is a `gantry sandbox` (the sandbox page).
    pub sandbox: bool,
    /// `?v=` of `/static/gantry.css`.
    pub css_version: String,
    /// `?v=` of `/static/htmx.min.js`.
    pub htmx_version: String,
}

impl Nav {
    /// The context for `principal` looking at `area`.
    #[must_use]
    pub fn new(principal: &Principal, area: &'static str, sandbox: bool) -> Self {
        let highest = principal.highest_role();
        Self {
            login: principal.login.clone(),
            role: highest.map_or("none", Role::as_str),
            admin: principal.is_admin(),
            csrf: principal.csrf_token().unwrap_or_default().to_owned(),
            area,
            sandbox,
            css_version: super::assets::version("gantry.css"),
            htmx_version: super::assets::version("htmx.min.js"),
        }
    }

    /// The navigation links this caller sees.
    #[must_use]
    pub fn links(&self) -> Vec<NavLink> {
        let mut all = vec![
            ("overview", "/dashboard", "Overview"),
            ("projects", "/dashboard/projects", "Projects"),
            ("plugins", "/dashboard/plugins", "Plugins"),
            ("policies", "/dashboard/policies", "Policies"),
            ("approvals", "/dashboard/approvals", "Approvals"),
            ("deliveries", "/dashboard/deliveries", "Deliveries"),
            ("audit", "/dashboard/audit", "Audit log"),
            ("commands", "/dashboard/commands", "Commands"),
        ];
        if self.admin {
            all.push(("users", "/dashboard/users", "Users & teams"));
            all.push(("app", "/dashboard/app", "GitHub App"));
            all.push(("models", "/dashboard/models", "Model usage"));
        }
        if self.sandbox {
            all.push(("sandbox", "/dashboard/sandbox", "Sandbox"));
        }
        all.into_iter()
            .map(|(area, href, label)| NavLink {
                href,
                label,
                current: area == self.area,
            })
            .collect()
    }

    /// The `hx-headers` value of `<body>`: htmx sends the CSRF token with every
    /// request it makes.
    #[must_use]
    pub fn hx_headers(&self) -> String {
        serde_json::json!({ "X-CSRF-Token": self.csrf }).to_string()
    }
}

/// One link of the navigation.
#[derive(Debug, Clone)]
pub struct NavLink {
    /// Where it goes.
    pub href: &'static str,
    /// What it says.
    pub label: &'static str,
    /// Whether it is the page shown.
    pub current: bool,
}

/// Whether htmx made this request (and wants a fragment, not a whole page).
#[must_use]
pub fn is_htmx(req: &HttpRequest) -> bool {
    req.headers()
        .get("HX-Request")
        .is_some_and(|v| v.as_bytes() == b"true")
        && !req.headers().contains_key("HX-History-Restore-Request")
}

/// Renders `page` whole, or for htmx only the fragment `fragment` renders (a block
/// of the same template).
///
/// # Errors
/// [`DashError::Bug`] when rendering fails.
pub fn render<T: Template>(
    req: &HttpRequest,
    page: &T,
    fragment: impl FnOnce(&T) -> askama::Result<String>,
) -> Result<HttpResponse, DashError> {
    let body = if is_htmx(req) {
        fragment(page)
    } else {
        page.render()
    };
    let body = body.map_err(|e| DashError::bug(&e))?;
    Ok(html(StatusCode::OK, body))
}

/// A fragment rendered on its own (a polled block).
///
/// # Errors
/// [`DashError::Bug`] when rendering failed.
pub fn fragment(rendered: askama::Result<String>) -> Result<HttpResponse, DashError> {
    Ok(html(
        StatusCode::OK,
        rendered.map_err(|e| DashError::bug(&e))?,
    ))
}

/// An HTML answer that is never cached and varies with `HX-Request`.
#[must_use]
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::VARY, "HX-Request"))
        .body(body)
}

/// After a write: back to `to` (303 for a form, `HX-Redirect` for htmx).
#[must_use]
pub fn see_other(req: &HttpRequest, to: &str) -> HttpResponse {
    if is_htmx(req) {
        HttpResponse::Ok()
            .insert_header(("HX-Redirect", to))
            .finish()
    } else {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, to))
            .finish()
    }
}

/// Why a dashboard request failed. Each renders the error page with its status.
#[derive(Debug)]
pub enum DashError {
    /// 303 to `/login` (htmx: 401 with `HX-Redirect`): not signed in.
    SignIn {
        /// Where to come back to.
        next: String,
        /// Whether htmx asked.
        htmx: bool,
    },
    /// 403: signed in, but the role is too low, or the CSRF check failed.
    Forbidden(String),
    /// 404: no such thing.
    NotFound(String),
    /// 400: the form is wrong; the text says how.
    BadRequest(String),
    /// 409: it changed meanwhile (already decided, already installed).
    Conflict(String),
    /// 502: GitHub refused or failed an approved action.
    Upstream(String),
    /// 503: the database or another part of the server failed; the cause is logged
    /// under the request id shown.
    Internal(String),
    /// 500: a bug in the server (a page that does not render); the cause is logged
    /// under the request id shown.
    Bug(String),
}

impl DashError {
    /// Logs `cause` with a fresh request id and answers 503 with only that id.
    #[must_use]
    pub fn internal(cause: &dyn std::error::Error) -> Self {
        Self::Internal(logged(cause))
    }

    /// A bug: logs `cause` with a fresh request id and answers 500 with only that
    /// id.
    #[must_use]
    pub fn bug(cause: &dyn std::error::Error) -> Self {
        Self::Bug(logged(cause))
    }
}

/// Logs `cause` under a fresh request id; the message that shows only that id.
fn logged(cause: &dyn std::error::Error) -> String {
    let request_id = uuid::Uuid::new_v4();
    let chain = crate::routes::error::error_chain(cause);
    tracing::error!(%request_id, error = %chain, "dashboard request failed");
    format!("the server could not complete the request (request id {request_id})")
}

impl From<sea_orm::DbErr> for DashError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::internal(&err)
    }
}

impl std::fmt::Display for DashError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SignIn { .. } => f.write_str("sign in first"),
            Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::BadRequest(m)
            | Self::Conflict(m)
            | Self::Upstream(m)
            | Self::Internal(m)
            | Self::Bug(m) => f.write_str(m),
        }
    }
}

/// The error page.
#[derive(Template)]
#[template(path = "pages/error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: String,
}

impl ResponseError for DashError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn { htmx: true, .. } => StatusCode::UNAUTHORIZED,
            Self::SignIn { .. } => StatusCode::SEE_OTHER,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Upstream(_) => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Bug(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let Self::SignIn { next, htmx } = self {
            let to = format!(
                "/login?next={}",
                url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            );
            let mut response = HttpResponse::build(status);
            response.insert_header((header::CACHE_CONTROL, "no-store"));
            return if *htmx {
                response.insert_header(("HX-Redirect", to)).finish()
            } else {
                response.insert_header((header::LOCATION, to)).finish()
            };
        }
        let page = ErrorPage {
            status: status.as_u16(),
            title: status.canonical_reason().unwrap_or("Error"),
            message: self.to_string(),
        };
        match page.render() {
            Ok(body) => html(status, body),
            Err(_) => HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(self.to_string()),
        }
    }
}
