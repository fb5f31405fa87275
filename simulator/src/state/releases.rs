//! Releases and their uploaded assets. Asset bytes are not kept: only their size and
//! digest, which is all the API reports.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A release of a repository.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Release {
    pub id: u64,
    pub node_id: String,
    pub tag_name: String,
    pub target_commitish: String,
    pub name: Option<String>,
    pub body: Option<String>,
    pub draft: bool,
    pub prerelease: bool,
    /// Login of the author.
    pub author: String,
    pub created_at: DateTime<Utc>,
    /// `None` while the release is a draft.
    pub published_at: Option<DateTime<Utc>>,
    pub assets: Vec<Asset>,
}

/// An uploaded release asset.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Asset {
    pub id: u64,
    pub node_id: String,
    pub name: String,
    pub label: Option<String>,
    pub content_type: String,
    pub size: u64,
    /// `sha256:<hex>` of the uploaded bytes.
    pub digest: String,
    /// Login of the uploader.
    pub uploader: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
