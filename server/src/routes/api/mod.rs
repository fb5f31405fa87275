//! The JSON API, version 1, under `/api/v1`. Every route needs an API token
//! (`Authorization: Bearer ...`: the bootstrap `api.token`, or one made with
//! `gantry token create`) or a session, and the role its row in `routes::table`
//! names; the handlers enforce it with the `auth` extractors. The routes are
//! mounted from `routes::table`.
pub(super) mod approvals;
pub(super) mod auth;
pub(super) mod deliveries;
pub(super) mod installations;
pub(super) mod plugins;
pub(super) mod policies;
