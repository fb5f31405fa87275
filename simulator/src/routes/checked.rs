//! The gate's side of GitHub's description (`crate::contract`): before a handler runs,
//! the request is checked against its operation (JSON body, required query
//! parameters, GitHub's extra rules) and refused with GitHub's 422 when it breaks
//! them, the refusal recorded as a violation; after it, the answer is recorded while
//! recording is on. Handlers refuse what needs the state (a workflow's undeclared
//! inputs) with [`Simulator::refuse`], recorded the same way.

use actix_web::{
    body::{self, BoxBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::StatusCode,
    web, HttpRequest, HttpResponse, ResponseError,
};
use serde_json::Value;

use crate::{
    contract::{self, rules, Exchange, Problem, Violation},
    error::SimError,
    Simulator,
};

/// The largest JSON body read for checking (a contents write of 16 MiB of base64).
const MAX_CHECKED_BODY: usize = 32 * 1024 * 1024;

/// Checks `req` against its operation: `Ok` with the request (its body put back) to
/// go on, or `Err` with the request and GitHub's refusal.
pub(super) async fn check_request(
    sim: &Simulator,
    mut req: ServiceRequest,
) -> Result<ServiceRequest, (ServiceRequest, HttpResponse)> {
    let Some(spec) = contract::spec() else {
        return Ok(req);
    };
    let Some(op) = spec.for_request(req.method().as_str(), req.path()) else {
        return Ok(req);
    };
    let mut body = None;
    if op.request_schema().is_some() {
        let payload = match req.extract::<web::Payload>().await {
            Ok(payload) => payload,
            Err(error) => return Err((req, error.error_response())),
        };
        let bytes = match payload.to_bytes_limited(MAX_CHECKED_BODY).await {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(error)) => return Err((req, error.error_response())),
            Err(_) => {
                let res = SimError::status(StatusCode::PAYLOAD_TOO_LARGE, "Payload Too Large");
                return Err((req, res.error_response()));
            }
        };
        if !bytes.iter().all(u8::is_ascii_whitespace) {
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(value) => body = Some(value),
                // The handler answers GitHub's 400 for it.
                Err(_) => {
                    req.set_payload(Payload::from(bytes));
                    return Ok(req);
                }
            }
        }
        req.set_payload(Payload::from(bytes));
    }
    let problems = rules::check(spec, op, req.query_string(), body.as_ref());
    if problems.is_empty() {
        return Ok(req);
    }
    let error = sim.refuse(req.request(), rules::resource(op), &problems);
    Err((req, error.error_response()))
}

impl Simulator {
    /// Records a request GitHub refuses (see [`Simulator::violations`]) and returns
    /// GitHub's 422 for it, naming `resource` and each problem's field and code.
    pub(crate) fn refuse(
        &self,
        req: &HttpRequest,
        resource: &str,
        problems: &[Problem],
    ) -> SimError {
        self.record_violation(req, problems);
        SimError::Validation(rules::errors(resource, problems))
    }

    /// Records a request GitHub refuses for `problems` (see [`Simulator::violations`]).
    pub(crate) fn record_violation(&self, req: &HttpRequest, problems: &[Problem]) {
        let operation = contract::spec()
            .and_then(|spec| spec.for_request(req.method().as_str(), req.path()))
            .map_or_else(
                || format!("{} {}", req.method(), req.path()),
                |op| op.key.clone(),
            );
        self.control().records().push_violation(Violation {
            method: req.method().as_str().to_owned(),
            path: req.path().to_owned(),
            operation,
            problems: problems
                .iter()
                .map(|p| format!("{}: {} ({})", p.field, p.detail, p.code))
                .collect(),
        });
    }
}

/// Records the handler's answer when recording is on, and hands it back unchanged.
pub(super) async fn record_answer(sim: &Simulator, res: ServiceResponse) -> ServiceResponse {
    if !sim.control().records().recording() {
        return res;
    }
    let (req, res) = res.into_parts();
    let status = res.status().as_u16();
    let (res, payload) = res.into_parts();
    let bytes = match body::to_bytes(payload).await {
        Ok(bytes) => bytes,
        Err(_) => {
            tracing::warn!("the simulator could not read back an answer to record it");
            web::Bytes::new()
        }
    };
    let route = req.match_pattern();
    let operation = contract::spec()
        .and_then(|spec| spec.for_request(req.method().as_str(), req.path()))
        .map(|op| op.key.clone());
    // A path no route and no operation knows is the catch-all's 404: not recorded.
    if route.is_some() || operation.is_some() {
        sim.control().records().push_exchange(Exchange {
            method: req.method().as_str().to_owned(),
            path: req.path().to_owned(),
            route: route.unwrap_or_default(),
            operation,
            status,
            body: serde_json::from_slice(&bytes).ok(),
        });
    }
    ServiceResponse::new(req, res.set_body(BoxBody::new(bytes)))
}
