//! Who is calling, over HTTP: the middleware that resolves the caller once per
//! request and applies the CSRF rules (`middleware`), reading credentials from a
//! request (`credentials`), the extractors handlers name their role with
//! (`extract`), how a refusal is answered (`refusal`), the session cookie
//! (`cookies`) and the client's address behind trusted proxies (`client`). The
//! checks themselves are `auth`'s, free of actix.
//!
//! Also the sign-in routes: `GET`/`POST /login`, `POST /logout`, and
//! `GET /api/v1/me` (who the caller is). The work is in `services::signin`; these
//! shape the responses.
pub mod client;
mod cookies;
mod credentials;
mod extract;
pub(super) mod login;
pub(super) mod logout;
pub(super) mod me;
pub mod middleware;
mod refusal;

pub use cookies::{removal_cookie, session_cookie};
pub use extract::{AdminOnly, AnyMaintainer, AnyViewer};
pub use middleware::resolved;
pub use refusal::signed_out;
