//! Listing held actions a page at a time, newest first, for a reader who sees only
//! some repositories: the JSON API's `GET /api/v1/approvals`. A page continues
//! after an approval the reader may see, named by its public id.
use crate::db::dashboard::{self as listings, MAX_PAGE};
use crate::db::entities::approvals::Model as Held;
use crate::domain::Visibility;

use super::ApprovalError;

/// Approvals per page when the reader does not say.
pub const PAGE: u64 = 50;

/// One page of approvals.
#[derive(Debug)]
pub struct Page {
    /// The approvals, newest first.
    pub items: Vec<Held>,
    /// The public id to continue after, when there may be more.
    pub next_before: Option<String>,
}

/// Up to `limit` (1 to 500; 50 when `None`) approvals `visible` shows, newest
/// first, with `status` if given, older than the approval `before` names.
///
/// # Errors
/// [`ApprovalError::NotFound`] when `before` names no approval the reader sees;
/// the database.
pub async fn page(
    db: &sea_orm::DatabaseConnection,
    visible: &Visibility,
    status: Option<&str>,
    before: Option<&str>,
    limit: Option<u64>,
) -> Result<Page, ApprovalError> {
    let before = match before {
        None => None,
        Some(public_id) => match crate::db::approvals::find(db, public_id).await? {
            Some(a) if visible.shows(Some(&a.repository)) => Some(a.id),
            _ => return Err(ApprovalError::NotFound(public_id.to_owned())),
        },
    };
    let limit = limit.unwrap_or(PAGE).clamp(1, MAX_PAGE);
    let items = listings::approvals(db, visible, status, before, limit).await?;
    let next_before = (items.len() as u64 == limit)
        .then(|| items.last().map(|a| a.public_id.clone()))
        .flatten();
    Ok(Page { items, next_before })
}
