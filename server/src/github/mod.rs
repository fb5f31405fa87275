//! Everything that speaks GitHub: webhook signatures and the REST client.
pub mod client;
pub mod signature;

pub use client::{GitHubClient, GitHubError};
