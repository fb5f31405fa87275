//! HTTP tests of the simulator, one module per area of the API: through actix-web's
//! test utilities, and on the real server driven by octocrab, whose own models parse
//! every answer (`serving` and the areas added with it), by hand-written HTTP
//! (`hang`), the simulator's own controls (`control`), the rate limit (`ratelimit`),
//! saving state to a file (`persistence`), GitHub Apps and their tokens (`apps`), and
//! git over HTTP with the real `git` command (`git_http`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod actions;
mod apps;
mod auth;
mod checks;
mod collaborators;
mod comments;
mod compare;
mod contents;
mod contract;
mod control;
mod deviations;
mod faults;
mod git;
mod git_http;
mod hang;
mod helpers;
mod issues;
mod labels;
mod latency;
mod learning;
mod milestones;
mod models;
mod opening;
mod persistence;
mod pull_edits;
mod pulls;
mod ratelimit;
mod reactions;
mod redirects;
mod refusals;
mod releases;
mod repos;
mod search;
mod serving;
mod statuses;
