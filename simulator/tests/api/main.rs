//! HTTP tests of the simulator through actix-web's test utilities, one module per area
//! of the API, plus a smoke test of the real server driven by octocrab.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod collaborators;
mod comments;
mod helpers;
mod labels;
mod learning;
mod repos;
mod serving;
