//! HTTP tests of the simulator through actix-web's test utilities, one module per area
//! of the API, plus the real server driven by octocrab (`serving`) and by hand-written
//! HTTP (`hang`), and saving state to a file (`persistence`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod collaborators;
mod comments;
mod faults;
mod hang;
mod helpers;
mod labels;
mod learning;
mod persistence;
mod repos;
mod serving;
