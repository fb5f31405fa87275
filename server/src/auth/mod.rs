//! Accounts and access: who is calling, what role they have, and the checks that
//! keep a browser session from being ridden by another site. Free of actix: reading
//! credentials from a request, the extractors, the middleware and the session cookie
//! are in `routes::auth`.
//!
//! How a request is admitted:
//! - The middleware (`routes::auth::middleware`, wrapped around the whole app in
//!   `startup`) resolves the
//!   caller once per request: an `Authorization: Bearer` API token (the bootstrap
//!   `api.token`, or a token from `gantry token create`), else the session cookie
//!   (`__Host-gantry_session` over TLS, `gantry_session` otherwise). The result sits
//!   in the request's extensions for the extractors.
//! - Handlers state what they need in their signature: [`Principal`] (anyone signed
//!   in), `AnyViewer`, `AnyMaintainer` (maintains some project; check the
//!   project itself with [`Principal::require`]) or `AdminOnly` (`routes::auth::extract`). Put the extractor
//!   first among the handler's arguments. Refusals are [`AuthError`]: 401 when not
//!   signed in ([`AuthError::is_not_signed_in`]; a browser GET for a page gets a 303
//!   to `/login?next=...`, htmx gets `HX-Redirect: /login`), 403 when the role is too
//!   low.
//! - CSRF: the same middleware checks every unsafe request (POST, PUT, PATCH,
//!   DELETE) that does not carry an `Authorization` header. A cross-site `Origin`
//!   or `Sec-Fetch-Site: cross-site` is refused with 403 even with a token. When the
//!   request came in by session cookie, it must also carry the session's token
//!   ([`Principal::csrf_token`]) in the form field `csrf` (urlencoded or multipart
//!   forms) or the header `X-CSRF-Token` (htmx: `hx-headers`), compared in constant
//!   time. Dashboard POST handlers therefore need nothing extra: render
//!   `<input type="hidden" name="csrf" value="{{ csrf }}">` in each form. API-token
//!   requests are exempt (browsers never attach them by themselves). `/login` is
//!   checked by origin only (there is no session yet).
//!
//! What lives where: `role` and `principal` (the types and their checks), `error`,
//! `authenticate` (presented credentials to principal), `session` (JWTs, keys,
//! cookie names, CSRF tokens), `password` (argon2id), `verifier` (bounded password
//! checks), `throttle` (login throttling), `accounts` (users, teams, grants and API
//! tokens, each change audited). Sign-in and sign-out are `services::signin`; the
//! extractors, the middleware and the cookies are `routes::auth`.
pub mod accounts;
mod authenticate;
mod error;
mod github_link;
pub mod password;
mod principal;
mod role;
pub mod session;
pub mod throttle;
pub mod verifier;

pub use authenticate::{authenticate as check_credentials, Checker, Presented};
pub use error::AuthError;
pub use principal::{Credential, Principal};
pub use role::{AccessDenied, Role, UnknownRole};
pub use session::SessionKeys;
