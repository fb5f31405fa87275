//! Shared test helpers: simulators primed from the webhook corpus, a one-call way to
//! send a request and read status, headers and JSON back, and the real server on a
//! loopback port with an octocrab client pointed at it.

use std::net::TcpListener;

use actix_web::{dev::ServerHandle, http::header::HeaderMap, http::StatusCode, test, App};
use gantry_simulator::{contract::check_exchange, Simulator, SimulatorOptions};
use octocrab::Octocrab;
use serde_json::Value;

/// The webhook payloads of the repository's fixture corpus (`tests/fixtures/webhooks`).
pub const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/webhooks");

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
/// per request sees everything earlier requests did), and holds the answer to
/// GitHub's description (`gantry_simulator::contract::check_exchange`): every
/// simulator test that sends through here is also a contract test.
pub async fn send(sim: &Simulator, req: test::TestRequest) -> Reply {
    sim.record_exchanges(true);
    let seen = sim.exchanges().len();
    let app = test::init_service(App::new().configure(|cfg| sim.configure(cfg))).await;
    let res = test::call_service(&app, req.to_request()).await;
    let failures: Vec<String> = sim.exchanges()[seen..]
        .iter()
        .flat_map(check_exchange)
        .collect();
    assert!(
        failures.is_empty(),
        "answers GitHub's description refuses: {failures:#?}"
    );
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

/// A simulator that knows pull request #2 of Codertocat/Hello-World (from
/// `pull_request.opened`), whose author is Codertocat.
pub fn with_pull() -> Simulator {
    learned("pull_request", "pull_request/opened.payload.json")
}

/// The simulator served on a loopback port, with octocrab pointed at it.
pub struct Served {
    pub sim: Simulator,
    pub octo: Octocrab,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    handle: ServerHandle,
}

impl Drop for Served {
    /// The server's threads may outlive the test and keep the simulator's last clone:
    /// its temporary git repositories are removed here.
    fn drop(&mut self) {
        self.sim.remove_temporary_repositories();
    }
}

impl Served {
    /// Stops the server.
    pub async fn stop(self) {
        self.handle.stop(true).await;
    }

    /// An octocrab client acting as `login` (sent as `x-sim-user`).
    pub fn as_user(&self, login: &str) -> Octocrab {
        Octocrab::builder()
            .base_uri(self.base.as_str())
            .unwrap()
            .personal_token("test-token".to_owned())
            .add_header("x-sim-user".parse().unwrap(), login.to_owned())
            .build()
            .unwrap()
    }
}

impl Served {
    /// An octocrab client sending `Authorization: Bearer {token}` (an App JWT or an
    /// installation token).
    pub fn with_token(&self, token: &str) -> Octocrab {
        Octocrab::builder()
            .base_uri(self.base.as_str())
            .unwrap()
            .personal_token(token.to_owned())
            .build()
            .unwrap()
    }
}

/// Serves `sim` on 127.0.0.1 (port 0) inside the current actix runtime.
pub fn serve(sim: Simulator) -> Served {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = sim.serve(listener).unwrap();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let octo = Octocrab::builder()
        .base_uri(base.as_str())
        .unwrap()
        .personal_token("test-token".to_owned())
        .build()
        .unwrap();
    Served {
        sim,
        octo,
        base,
        handle,
    }
}

/// The status and message of GitHub's error body, from an octocrab error.
pub fn github_error(error: octocrab::Error) -> (u16, String) {
    match error {
        octocrab::Error::GitHub { source, .. } => (source.status_code.as_u16(), source.message),
        other => panic!("not a GitHub error: {other}"),
    }
}
