//! The JSON API, version 1, under `/api/v1`. Every route but the OpenAPI document
//! (`GET /api/v1/openapi.json`) needs an API token
//! (`Authorization: Bearer ...`: the bootstrap `api.token`, or one made with
//! `gantry token create`) or a session, and the role its row in `routes::table`
//! names; the handlers enforce it with the `auth` extractors. The routes are
//! mounted from `routes::table`. Answers are typed (`...Response` here, or a
//! service's serialisable type), errors come from the `ApiErrorCode` catalogue,
//! and `openapi` serves the OpenAPI document generated from both.
pub(super) mod approvals;
pub(super) mod auth;
pub(super) mod deliveries;
pub(super) mod installations;
pub(super) mod openapi;
pub(super) mod plugins;
pub(super) mod policies;
