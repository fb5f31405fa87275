//! The simulator's own controls, under a prefix GitHub never uses, for sandbox users
//! and external scripts: listing, injecting and clearing faults (`/_simulator/faults`)
//! and answer delays (`/_simulator/latency`) here; seeding workflows, driving runs,
//! setting pull request files and mergeability and the rate limit in `seed`; GitHub
//! Apps, installations and token settings in `apps`. These routes sit outside the
//! gate: no authentication, not logged, not writes.

mod apps;
mod seed;

use actix_web::{web, HttpResponse};

use super::not_found;
use crate::{error::SimError, Fault, Latency, Simulator};

/// The private prefix of every control route.
pub(super) const PREFIX: &str = "/_simulator";

/// Registers this module's routes, relative to [`PREFIX`].
pub(super) fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/faults")
            .route(web::get().to(list_faults))
            .route(web::post().to(inject_fault))
            .route(web::delete().to(clear_faults)),
    )
    .service(
        web::resource("/latency")
            .route(web::get().to(list_latencies))
            .route(web::post().to(set_latency))
            .route(web::delete().to(clear_latencies)),
    )
    .configure(seed::config)
    .configure(apps::config)
    .default_service(web::to(not_found));
}

/// `GET /_simulator/faults`: the active faults, in the order they are tried, with the
/// `times` they have left.
async fn list_faults(sim: web::Data<Simulator>) -> HttpResponse {
    HttpResponse::Ok().json(sim.faults())
}

/// `POST /_simulator/faults` with a [`Fault`] as JSON, e.g.
/// `{"method": "POST", "path": "/repos/*/*/issues/*/comments", "kind": {"status": 502},
/// "times": 1}`: 201 with the fault; 400 for malformed JSON, 422 for a path that does
/// not start with `/` or has `**` before its end, or a status outside 100 to 599.
async fn inject_fault(
    sim: web::Data<Simulator>,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let fault: Fault = serde_json::from_slice(&body).map_err(|e| {
        if e.is_data() {
            SimError::invalid("Fault", "invalid", "fault")
        } else {
            SimError::BadJson
        }
    })?;
    if let Some(field) = fault.problem() {
        return Err(SimError::invalid("Fault", "invalid", field));
    }
    tracing::info!(?fault, "simulator fault injected");
    sim.inject(fault.clone());
    Ok(HttpResponse::Created().json(fault))
}

/// `DELETE /_simulator/faults`: removes every fault; 204.
async fn clear_faults(sim: web::Data<Simulator>) -> HttpResponse {
    sim.clear_faults();
    HttpResponse::NoContent().finish()
}

/// `GET /_simulator/latency`: the answer delays in force, in the order they are tried.
async fn list_latencies(sim: web::Data<Simulator>) -> HttpResponse {
    HttpResponse::Ok().json(sim.latencies())
}

/// `POST /_simulator/latency` with a [`Latency`] as JSON, e.g. `{"path": "/**",
/// "ms": 200}` or `{"method": "POST", "path": "/repos/*/*/issues/*/labels", "ms":
/// 300}`: 201 with it (one with the same method and path is replaced); 400 for
/// malformed JSON, 422 for a bad path or more than `MAX_LATENCY_MS`.
async fn set_latency(
    sim: web::Data<Simulator>,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let latency: Latency = serde_json::from_slice(&body).map_err(|e| {
        if e.is_data() {
            SimError::invalid("Latency", "invalid", "latency")
        } else {
            SimError::BadJson
        }
    })?;
    if let Some(field) = latency.problem() {
        return Err(SimError::invalid("Latency", "invalid", field));
    }
    tracing::info!(?latency, "simulator latency set");
    sim.set_latency(latency.clone());
    Ok(HttpResponse::Created().json(latency))
}

/// `DELETE /_simulator/latency`: removes every delay; 204.
async fn clear_latencies(sim: web::Data<Simulator>) -> HttpResponse {
    sim.clear_latencies();
    HttpResponse::NoContent().finish()
}
