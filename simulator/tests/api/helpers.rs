//! Shared test helpers: simulators primed from the webhook corpus and a one-call way
//! to send a request and read status, headers and JSON back.

use actix_web::{http::header::HeaderMap, http::StatusCode, test, App};
use gantry_simulator::{Simulator, SimulatorOptions};
use serde_json::Value;

/// The webhook corpus beside the repository root (`/work/shared` next to `/work/main`).
pub const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus/webhooks");

/// Owner and name of the repository in the corpus payloads.
pub const OWNER: &str = "Codertocat";
pub const REPO: &str = "Hello-World";

/// Reads and parses one corpus payload, e.g. `issues/opened.payload.json`.
pub fn payload(path: &str) -> Value {
    let text = std::fs::read_to_string(format!("{CORPUS}/{path}")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A simulator that requires authentication and has learned `event` from `path`.
pub fn learned(event: &str, path: &str) -> Simulator {
    let sim = Simulator::new(SimulatorOptions::default());
    sim.learn(event, &payload(path));
    sim
}

/// A simulator that knows issue #1 of Codertocat/Hello-World (from `issues.opened`).
pub fn with_issue() -> Simulator {
    learned("issues", "issues/opened.payload.json")
}

/// What came back from one request.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
}

impl Reply {
    /// A header's value as text, if present.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// The `name` of every object in a JSON array body.
    pub fn names(&self) -> Vec<String> {
        self.json
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["name"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// A request with an `Authorization: token` header.
pub fn authed(req: test::TestRequest) -> test::TestRequest {
    req.insert_header(("authorization", "token test-token"))
}

pub fn get(uri: &str) -> test::TestRequest {
    authed(test::TestRequest::get().uri(uri))
}

pub fn post(uri: &str, body: Value) -> test::TestRequest {
    authed(test::TestRequest::post().uri(uri)).set_json(body)
}

pub fn put(uri: &str, body: Value) -> test::TestRequest {
    authed(test::TestRequest::put().uri(uri)).set_json(body)
}

pub fn patch(uri: &str, body: Value) -> test::TestRequest {
    authed(test::TestRequest::patch().uri(uri)).set_json(body)
}

pub fn delete(uri: &str) -> test::TestRequest {
    authed(test::TestRequest::delete().uri(uri))
}

/// Sends `req` to a fresh app over `sim` (state lives in the simulator, so a new app
/// per request sees everything earlier requests did).
pub async fn send(sim: &Simulator, req: test::TestRequest) -> Reply {
    let app = test::init_service(App::new().configure(|cfg| sim.configure(cfg))).await;
    let res = test::call_service(&app, req.to_request()).await;
    let status = res.status();
    let headers = res.headers().clone();
    let body = test::read_body(res).await;
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).unwrap()
    };
    Reply {
        status,
        headers,
        json,
    }
}

/// `/repos/Codertocat/Hello-World` followed by `rest`.
pub fn repo_path(rest: &str) -> String {
    format!("/repos/{OWNER}/{REPO}{rest}")
}
