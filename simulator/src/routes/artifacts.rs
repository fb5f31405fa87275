//! Downloading a workflow run's artifact: `GET /repos/{o}/{r}/actions/artifacts/{id}/zip`.
//! GitHub answers with a redirect to short-lived storage; the simulator answers the
//! bytes directly: `size_in_bytes` bytes that repeat `{name}:{id}\n`, so a test can
//! recognise them after they travel (into a release asset, say).

use super::Routes;
use actix_web::{web, HttpResponse};

use crate::{error::SimError, Simulator};

/// The largest artifact the simulator serves (its recorded size is capped to this).
const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.get("/repos/{owner}/{repo}/actions/artifacts/{id}/zip", download);
}

/// The bytes an artifact of this name, id and size consists of.
#[must_use]
pub fn artifact_bytes(name: &str, id: u64, size: u64) -> Vec<u8> {
    let pattern = format!("{name}:{id}\n");
    pattern
        .bytes()
        .cycle()
        .take(usize::try_from(size.min(MAX_BYTES)).unwrap_or(0))
        .collect()
}

async fn download(
    sim: web::Data<Simulator>,
    path: web::Path<(String, String, u64)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, id) = path.into_inner();
    let (name, size) = {
        let state = sim.lock();
        let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
        let artifact = repo
            .runs
            .iter()
            .flat_map(|r| r.artifacts.iter())
            .find(|a| a.id == id)
            .ok_or(SimError::NotFound)?;
        (artifact.name.clone(), artifact.size_in_bytes)
    };
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .body(artifact_bytes(&name, id, size)))
}
