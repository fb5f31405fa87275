//! Downloading a workflow run's artifact as GitHub serves it:
//! `GET /repos/{o}/{r}/actions/artifacts/{id}/zip` answers `302 Found` to short-lived
//! storage on another origin (410 Gone once the artifact expired), and the storage,
//! `GET /_artifact-storage/{owner}/{repo}/{id}` (outside the gate: no token, as on
//! GitHub's storage host), answers the bytes: `size_in_bytes` of them, repeating
//! `{name}:{id}\n`, so a test can recognise them after they travel (into a release
//! asset, say).
//!
//! The other origin is a second port: [`crate::Simulator::serve`] listens on one more
//! loopback port for the storage. A simulator configured into someone else's app has
//! none, and redirects to its own origin. Each storage request is recorded with
//! whether it carried an `Authorization` header
//! ([`crate::Simulator::storage_requests`]), so a test can see that a client did
//! not send its token to the other origin.

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::{base_url, Routes};
use crate::{error::SimError, Simulator};

/// The largest artifact the simulator serves (its recorded size is capped to this).
const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// The storage's path prefix, outside GitHub's paths.
pub(crate) const STORAGE: &str = "/_artifact-storage";

/// Registers this module's REST route.
pub(super) fn config(r: &mut Routes) {
    r.get("/repos/{owner}/{repo}/actions/artifacts/{id}/zip", download);
}

/// Registers the storage route, outside the gate.
pub(super) fn storage(cfg: &mut web::ServiceConfig) {
    cfg.route(
        &format!("{STORAGE}/{{owner}}/{{repo}}/{{id}}"),
        web::get().to(fetch),
    );
}

/// One request the artifact storage received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StorageRequest {
    /// The path asked for.
    pub path: String,
    /// Whether it carried an `Authorization` header (a client following GitHub's
    /// redirect must not send its token to the storage).
    pub authorization: bool,
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

type ArtifactPath = web::Path<(String, String, u64)>;

/// The artifact's name and size, and whether it expired.
fn find(
    sim: &Simulator,
    owner: &str,
    repo: &str,
    id: u64,
) -> Result<(String, u64, bool), SimError> {
    let state = sim.lock();
    let repo = state.repo(owner, repo).ok_or(SimError::NotFound)?;
    let artifact = repo
        .runs
        .iter()
        .flat_map(|r| r.artifacts.iter())
        .find(|a| a.id == id)
        .ok_or(SimError::NotFound)?;
    Ok((
        artifact.name.clone(),
        artifact.size_in_bytes,
        artifact.expired,
    ))
}

/// `GET .../actions/artifacts/{id}/zip`: 302 to the storage, 410 once expired.
async fn download(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: ArtifactPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, id) = path.into_inner();
    let (_, _, expired) = find(&sim, &owner, &repo, id)?;
    if expired {
        return Err(SimError::status(
            actix_web::http::StatusCode::GONE,
            "Artifact has expired",
        ));
    }
    let location = format!(
        "{}{STORAGE}/{}/{}/{id}",
        storage_origin(&sim, &req),
        crate::json::seg(&owner),
        crate::json::seg(&repo)
    );
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .finish())
}

/// The origin of the storage downloads redirect to: the storage port on the host
/// the client called, or the simulator's own origin when it has no such port.
pub(super) fn storage_origin(sim: &Simulator, req: &HttpRequest) -> String {
    match sim.storage_port() {
        Some(port) => {
            let info = req.connection_info();
            let host = info.host();
            let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
            format!("{}://{name}:{port}", info.scheme())
        }
        None => base_url(req),
    }
}

/// `GET /_artifact-storage/{owner}/{repo}/{id}`: the bytes.
async fn fetch(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: ArtifactPath,
) -> Result<HttpResponse, SimError> {
    sim.record_storage_request(StorageRequest {
        path: req.path().to_owned(),
        authorization: req.headers().contains_key(header::AUTHORIZATION),
    });
    let (owner, repo, id) = path.into_inner();
    let (name, size, expired) = find(&sim, &owner, &repo, id)?;
    if expired {
        return Err(SimError::NotFound);
    }
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .body(artifact_bytes(&name, id, size)))
}

/// The storage's port and the requests it received (never persisted).
#[derive(Debug, Default)]
pub(crate) struct Storage {
    pub port: Option<u16>,
    pub requests: Vec<StorageRequest>,
}

impl Simulator {
    /// The port the artifact storage listens on, when [`Simulator::serve`] opened one.
    pub(crate) fn storage_port(&self) -> Option<u16> {
        self.control().storage().port
    }

    pub(super) fn record_storage_request(&self, request: StorageRequest) {
        self.control().storage().requests.push(request);
    }

    /// Every request the storage (the origin artifact and job log downloads
    /// redirect to) received, oldest first.
    pub fn storage_requests(&self) -> Vec<StorageRequest> {
        self.control().storage().requests.clone()
    }

    /// Marks an artifact expired, as GitHub does after its retention period: it is
    /// listed with `expired: true` and its download answers `410 Gone`. `false` when
    /// the repository or the artifact is unknown.
    pub fn expire_artifact(&self, owner: &str, repo: &str, id: u64) -> bool {
        let found = {
            let mut state = self.lock();
            let artifact = state.repo_mut(owner, repo).and_then(|r| {
                r.runs
                    .iter_mut()
                    .flat_map(|run| run.artifacts.iter_mut())
                    .find(|a| a.id == id)
            });
            match artifact {
                Some(artifact) => {
                    artifact.expired = true;
                    true
                }
                None => false,
            }
        };
        if found {
            self.save();
        }
        found
    }
}
