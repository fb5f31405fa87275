//! Signing in and out: `GET`/`POST /login`, `POST /logout`, and `GET /api/v1/me`
//! (who the caller is). The work is in `auth::signin`; these shape the responses.
pub(super) mod login;
pub(super) mod logout;
pub(super) mod me;
