//! Release assets: uploading (`POST /repos/{o}/{r}/releases/{id}/assets?name=&label=`
//! with the raw bytes as the body), listing (`GET` on the same path) and reading one
//! (`GET /repos/{o}/{r}/releases/assets/{asset_id}`).

use crate::routes::Routes;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use sha2::{Digest, Sha256};

use super::{content_type, find, upload_names};
use crate::{
    error::SimError,
    json,
    routes::{actor, base_url, ensure_actor, paginate},
    state::Asset,
    Simulator,
};

/// The largest asset the simulator accepts.
const MAX_ASSET_BYTES: usize = 64 * 1024 * 1024;

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.payload_limit(
        "/repos/{owner}/{repo}/releases/{id}/assets",
        MAX_ASSET_BYTES,
    );
    r.get("/repos/{owner}/{repo}/releases/assets/{asset}", get_asset);
    r.get("/repos/{owner}/{repo}/releases/{id}/assets", list_assets);
    r.post("/repos/{owner}/{repo}/releases/{id}/assets", upload_asset);
}

type ReleasePath = web::Path<(String, String, String)>;

/// `GET /repos/{o}/{r}/releases/{id}/assets`: the release's assets, paginated.
async fn list_assets(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: ReleasePath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, id) = path.into_inner();
    let state = sim.lock();
    let release = find(&state, &owner, &repo, &id)?;
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let base = base_url(&req);
    let items = release
        .assets
        .iter()
        .map(|a| json::releases::asset(&base, &state, repo, release, a))
        .collect();
    Ok(paginate(&req, items))
}

/// `GET /repos/{o}/{r}/releases/assets/{asset_id}`: one asset.
async fn get_asset(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: ReleasePath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, asset) = path.into_inner();
    let asset: u64 = asset.parse().map_err(|_| SimError::NotFound)?;
    let state = sim.lock();
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let (release, asset) = repo
        .releases
        .iter()
        .find_map(|r| r.assets.iter().find(|a| a.id == asset).map(|a| (r, a)))
        .ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Ok().json(json::releases::asset(
        &base_url(&req),
        &state,
        repo,
        release,
        asset,
    )))
}

/// `POST /repos/{o}/{r}/releases/{id}/assets?name=...&label=...` with the file as the
/// body: 201 with the asset (its size and SHA-256 digest; the bytes are not kept).
/// 422 without a name or for a name the release already has.
async fn upload_asset(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: ReleasePath,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, id) = path.into_inner();
    let (name, label) = upload_names(&req);
    let name = name.ok_or_else(|| SimError::invalid("ReleaseAsset", "missing_field", "name"))?;
    let digest: String = Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut state = sim.lock();
    let release = find(&state, &owner, &repo, &id)?;
    if release.assets.iter().any(|a| a.name == name) {
        return Err(SimError::invalid("ReleaseAsset", "already_exists", "name"));
    }
    let release_id = release.id;
    let uploader = ensure_actor(&mut state, &actor(&req));
    let asset_id = state.next_id();
    let now = Utc::now();
    let asset = Asset {
        id: asset_id,
        node_id: format!("RA_sim{asset_id}"),
        name,
        label,
        content_type: content_type(&req),
        size: u64::try_from(body.len()).unwrap_or(u64::MAX),
        digest: format!("sha256:{digest}"),
        uploader,
        created_at: now,
        updated_at: now,
    };
    let release = state
        .repo_mut(&owner, &repo)
        .ok_or(SimError::NotFound)?
        .releases
        .iter_mut()
        .find(|r| r.id == release_id)
        .ok_or(SimError::NotFound)?;
    release.assets.push(asset.clone());
    let release = release.clone();
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Created().json(json::releases::asset(
        &base_url(&req),
        &state,
        repo,
        &release,
        &asset,
    )))
}
