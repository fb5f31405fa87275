//! Everything that speaks GitHub: webhook signatures, the REST client, and GitHub
//! App authentication (JWT, installation tokens).
pub mod app;
pub mod client;
pub mod limits;
pub mod path;
pub mod reconcile;
pub mod signature;

pub use app::GitHubAccess;
pub use client::{method, GitHubClient, GitHubError};
pub use http::Method;
