//! Reading every page of a GitHub list for a plugin's read call (`per_page=100`,
//! `page=1, 2, ...`): each page is one gated call counted against the invocation's
//! budget; the read stops at the first page shorter than a full one, or at the
//! call's cap of pages.
use serde_json::Value;

use super::super::super::bindings::Repo;
use super::super::CallData;
use super::HostResult;
use crate::domain::Capability;

/// Items per page asked of GitHub (its most).
pub(super) const PER_PAGE: usize = 100;

/// One list to read: where, under which capability, and how.
pub(super) struct Listing<'a, T> {
    /// The route under the repository, with or without a query.
    pub route: &'a str,
    /// The capability each page needs.
    pub capability: &'a Capability,
    /// The answer's field holding the items (`check_runs`), `None` for a bare array.
    pub field: Option<&'a str>,
    /// At most this many pages are read.
    pub pages: u32,
    /// One item of the answer as the plugin gets it.
    pub item: fn(&Value) -> T,
}

impl CallData {
    /// Every item of `listing`, page by page; the first refusal or failure ends
    /// the read with that error.
    pub(super) async fn read_pages<T>(
        &mut self,
        repo: &Repo,
        listing: Listing<'_, T>,
    ) -> HostResult<Vec<T>> {
        let join = if listing.route.contains('?') {
            '&'
        } else {
            '?'
        };
        let mut items = Vec::new();
        for page in 1..=listing.pages {
            let route = format!("{}{join}per_page={PER_PAGE}&page={page}", listing.route);
            let answer = match self
                .invocation
                .call(repo, listing.capability, "GET", &route, None)
                .await
            {
                Ok(v) => v,
                Err(e) => return Ok(Err(e)),
            };
            let batch = match listing.field {
                Some(field) => &answer[field],
                None => &answer,
            }
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
            items.extend(batch.iter().map(listing.item));
            if batch.len() < PER_PAGE {
                break;
            }
        }
        Ok(Ok(items))
    }
}
