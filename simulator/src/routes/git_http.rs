//! git over HTTP, GitHub's way: `GET /{owner}/{repo}.git/info/refs?service=...`,
//! `POST /{owner}/{repo}.git/git-upload-pack` (clone and fetch) and `POST
//! /{owner}/{repo}.git/git-receive-pack` (push), the `.git` optional. The real `git
//! http-backend` answers, on a bare repository kept in step with the simulator's
//! state (`crate::mirror`), so pushed branches and tags show in the REST API at once.
//!
//! These routes have their own gate rather than the REST one: the request is logged,
//! then authenticated with HTTP Basic (user `x-access-token` or anything, the token as
//! password) or a `token`/`Bearer` header, then the first matching fault applies.
//! Without credentials a push, or anything when anonymous access is off, gets 401
//! with `WWW-Authenticate: Basic realm="GitHub"`, so git asks for credentials; when
//! tokens are checked, an unknown or expired token gets the same. They are not rate
//! limited and are not counted as writes.

use actix_web::{guard, http::header, http::StatusCode, web, HttpRequest, HttpResponse};
use base64::{engine::general_purpose::STANDARD, Engine as _};

use super::credential;
use crate::{
    faults,
    mirror::{self, CgiRequest, CgiResponse},
    FaultKind, Simulator,
};

/// The largest request body taken (a push's pack).
const MAX_BODY: usize = 512 * 1024 * 1024;

/// Registers this module's routes; they must come before the REST routes' catch-all
/// scope. Paths under `/repos/` are GitHub's REST API, never a repository.
pub(super) fn config(cfg: &mut web::ServiceConfig) {
    let not_api = || guard::fn_guard(|ctx| !ctx.head().uri.path().starts_with("/repos/"));
    cfg.service(
        web::resource("/{owner}/{repo}/info/refs")
            .guard(not_api())
            .route(web::get().to(info_refs)),
    )
    .service(
        web::resource("/{owner}/{repo}/git-upload-pack")
            .guard(not_api())
            .route(web::post().to(upload_pack)),
    )
    .service(
        web::resource("/{owner}/{repo}/git-receive-pack")
            .guard(not_api())
            .route(web::post().to(receive_pack)),
    );
}

type RepoPath = web::Path<(String, String)>;

/// `GET /{o}/{r}.git/info/refs?service=git-upload-pack|git-receive-pack`: the refs
/// advertisement.
async fn info_refs(sim: web::Data<Simulator>, req: HttpRequest, path: RepoPath) -> HttpResponse {
    let push = req.query_string().contains("service=git-receive-pack");
    serve(&sim, &req, path.into_inner(), "info/refs", push, Vec::new()).await
}

/// `POST /{o}/{r}.git/git-upload-pack`: sends what a clone or fetch wants.
async fn upload_pack(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: RepoPath,
    payload: web::Payload,
) -> HttpResponse {
    match read_body(payload).await {
        Ok(body) => {
            serve(
                &sim,
                &req,
                path.into_inner(),
                "git-upload-pack",
                false,
                body,
            )
            .await
        }
        Err(status) => HttpResponse::new(status),
    }
}

/// `POST /{o}/{r}.git/git-receive-pack`: takes a push, then reads the new refs and
/// objects into the state before answering.
async fn receive_pack(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: RepoPath,
    payload: web::Payload,
) -> HttpResponse {
    match read_body(payload).await {
        Ok(body) => {
            serve(
                &sim,
                &req,
                path.into_inner(),
                "git-receive-pack",
                true,
                body,
            )
            .await
        }
        Err(status) => HttpResponse::new(status),
    }
}

/// The raw request body (still compressed if git compressed it); 413 past
/// [`MAX_BODY`].
async fn read_body(payload: web::Payload) -> Result<Vec<u8>, StatusCode> {
    match payload.to_bytes_limited(MAX_BODY).await {
        Ok(Ok(bytes)) => Ok(bytes.to_vec()),
        Ok(Err(_)) => Err(StatusCode::BAD_REQUEST),
        Err(_) => Err(StatusCode::PAYLOAD_TOO_LARGE),
    }
}

/// Admits the request (log, credentials, faults), then lets git answer it; `push` says
/// whether it belongs to a push (which always needs credentials).
async fn serve(
    sim: &Simulator,
    req: &HttpRequest,
    (owner, repo): (String, String),
    service_path: &str,
    push: bool,
    body: Vec<u8>,
) -> HttpResponse {
    let Ok(remote_user) = admit(sim, req, push) else {
        return challenge();
    };
    let token = basic(req)
        .map(|(_, t)| t)
        .or_else(|| credential(req.headers()).map(str::to_owned));
    if token.is_some_and(|t| !sim.token_reaches(&t, &owner, &repo)) {
        return HttpResponse::NotFound().finish();
    }
    let fault = sim.control().take_fault(req.method().as_str(), req.path());
    if let Some(kind) = fault.as_ref().filter(|k| !k.applies_request()) {
        tracing::debug!(
            path = req.path(),
            ?kind,
            "simulator fault answers a git request"
        );
        return faults::respond(kind, req).await;
    }
    let repo = repo.strip_suffix(".git").unwrap_or(&repo).to_owned();
    let request = cgi_request(req, service_path, remote_user, body);
    let receive_pack = service_path == "git-receive-pack";
    let server = sim.clone();
    let answer =
        web::block(move || mirror::serve(&server, &owner, &repo, &request, receive_pack)).await;
    match (answer, fault) {
        (Ok(Ok(_)), Some(FaultKind::StatusAfterApply(code))) => faults::error_response(code),
        (Ok(Ok(Some(response))), _) => reply(response),
        (Ok(Ok(None)), _) => HttpResponse::NotFound()
            .content_type("text/plain")
            .body("Repository not found.\n"),
        (Ok(Err(error)), _) => {
            tracing::warn!(%error, "simulator git request failed");
            faults::error_response(500)
        }
        (Err(_), _) => faults::error_response(500),
    }
}

/// What `git http-backend` needs to know of the request.
fn cgi_request(
    req: &HttpRequest,
    service_path: &str,
    remote_user: Option<String>,
    body: Vec<u8>,
) -> CgiRequest {
    let header = |name: header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    CgiRequest {
        method: req.method().to_string(),
        service_path: service_path.to_owned(),
        query: req.query_string().to_owned(),
        content_type: header(header::CONTENT_TYPE),
        content_encoding: header(header::CONTENT_ENCODING),
        git_protocol: header(header::HeaderName::from_static("git-protocol")),
        remote_user,
        body,
    }
}

/// `git http-backend`'s answer as an HTTP response.
fn reply(response: CgiResponse) -> HttpResponse {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut answer = HttpResponse::build(status);
    for (name, value) in response.headers {
        answer.insert_header((name, value));
    }
    answer.body(response.body)
}

/// Logs the request and checks its credentials: the user git sees as authenticated
/// (`None` for an anonymous clone); `Err` when it must be asked for credentials.
fn admit(sim: &Simulator, req: &HttpRequest, push: bool) -> Result<Option<String>, ()> {
    sim.control()
        .record(req.method().as_str(), req.path(), std::time::Instant::now());
    let (user, token) = match basic(req)
        .or_else(|| credential(req.headers()).map(|t| ("x-access-token".to_owned(), t.to_owned())))
    {
        Some(credentials) => credentials,
        None if push || !sim.options.allow_anonymous => return Err(()),
        None => return Ok(None),
    };
    if !sim.accepts_token(&token) {
        return Err(());
    }
    Ok(Some(user))
}

/// The user and token of an `Authorization: Basic` header: the password, or the user
/// name when the password is empty (`TOKEN:` or `TOKEN:x-oauth-basic` style).
fn basic(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':').unwrap_or((&decoded, ""));
    match (user, password) {
        ("", "") => None,
        (user, "" | "x-oauth-basic") => Some((user.to_owned(), user.to_owned())),
        (user, password) => Some((user.to_owned(), password.to_owned())),
    }
}

/// GitHub's answer to git without usable credentials.
fn challenge() -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"GitHub\""))
        .content_type("text/plain")
        .body("Invalid username or token. Password authentication is not supported for Git operations.\n")
}
