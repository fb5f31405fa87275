//! GitHub's OpenAPI description, the part the simulator serves
//! (`simulator/openapi/github-subset.json`, extracted by
//! `scripts/refresh-github-openapi.sh` and embedded here): its operations, finding the
//! operation a request or a route is, checking request and response bodies against
//! their schemas (`schema`), GitHub's documented rules the schema does not carry
//! (`rules`), what the simulator records for the contract test and the strict
//! request check (`record`), and holding a recorded answer to the description
//! (`check`).

mod check;
mod record;
pub(crate) mod rules;
mod schema;

pub(crate) use self::record::Records;
pub use self::{
    check::{check_exchange, ANY_BODY, ANY_OPERATION, UNDOCUMENTED},
    record::{Exchange, Violation},
    schema::Problem,
};

use std::{collections::BTreeMap, sync::OnceLock};

use serde_json::{Map, Value};

/// The extract, as the refresh script writes it.
const EXTRACT: &str = include_str!("../../openapi/github-subset.json");

/// Path parameters that may span several segments (`contents/{path}`,
/// `git/ref/{ref}`, a branch or tag with a `/` in it, `compare/{base}...{head}`).
const MULTI_SEGMENT: &[&str] = &["path", "ref", "branch", "tag", "basehead"];

/// Routes the simulator serves that are not GitHub REST operations: method, path
/// template and why they are there.
pub const NOT_REST: &[(&str, &str, &str)] = &[
    (
        "GET",
        "/{owner}/{repo}/info/refs",
        "git over HTTP (smart protocol), which GitHub serves on its web host; \
         `.git` optional",
    ),
    (
        "POST",
        "/{owner}/{repo}/git-upload-pack",
        "git over HTTP: clone and fetch",
    ),
    (
        "POST",
        "/{owner}/{repo}/git-receive-pack",
        "git over HTTP: push",
    ),
    (
        "*",
        "/_simulator/**",
        "the simulator's own controls (faults, seeding, apps); GitHub has no such prefix",
    ),
    (
        "GET",
        "/_artifact-storage/{token}",
        "the second origin artifact downloads redirect to, standing in for GitHub's \
         storage host",
    ),
    (
        "GET",
        "/_log-storage/{owner}/{repo}/{job_id}",
        "the same second origin, where job log downloads redirect to",
    ),
];

/// Routes of the simulator that serve a GitHub operation under another template:
/// method, route, the operation, why.
const ALIASES: &[(&str, &str, &str, &str)] = &[(
    "GET",
    "/repos/{owner}/{repo}/contents",
    "GET /repos/{owner}/{repo}/contents/{path}",
    "the repository's root directory, GitHub's `{path}` left empty",
)];

/// One GitHub route the simulator serves and the operation it is.
#[derive(Debug, Clone)]
pub struct Route {
    /// Upper case.
    pub method: String,
    /// The simulator's template, e.g. `/repos/{owner}/{repo}/commits/{ref:.+}`.
    pub template: String,
    /// The operation of GitHub's description it serves, `METHOD /template`; `None`
    /// when the description has none (which the contract test refuses).
    pub operation: Option<String>,
    /// Why the route's template differs from the operation's, when it does.
    pub note: Option<&'static str>,
}

/// Every route behind the simulator's gate, in the order they are tried, with the
/// operation each serves. Routes outside the REST API are in [`NOT_REST`].
pub fn routes() -> Vec<Route> {
    crate::routes::table()
        .into_iter()
        .map(|(method, template)| {
            let alias = ALIASES
                .iter()
                .find(|(m, t, _, _)| *m == method.as_str() && *t == template);
            let (operation, note) = match alias {
                Some((_, _, operation, note)) => (Some((*operation).to_owned()), Some(*note)),
                None => (
                    spec()
                        .and_then(|s| s.for_route(method.as_str(), template))
                        .map(|op| op.key.clone()),
                    None,
                ),
            };
            Route {
                method: method.as_str().to_owned(),
                template: template.to_owned(),
                operation,
                note,
            }
        })
        .collect()
}

/// One operation GitHub documents, as extracted.
#[derive(Debug)]
pub struct Operation {
    /// `METHOD /path/{template}`, as `operations.txt` names it.
    pub key: String,
    /// Upper case.
    pub method: String,
    /// GitHub's path template.
    pub path: String,
    /// GitHub's `operationId`, e.g. `issues/create-label`.
    pub operation_id: String,
    segments: Vec<Segment>,
    parameters: Vec<Value>,
    request: Option<Value>,
    /// Documented status -> the JSON schema of its body, if it has one.
    responses: BTreeMap<u16, Option<Value>>,
}

#[derive(Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

/// The whole extract.
#[derive(Debug)]
pub struct Spec {
    /// `@octokit/openapi@<version> generated/api.github.com.deref.json`.
    pub source: String,
    operations: Vec<Operation>,
    schemas: Map<String, Value>,
}

/// The embedded extract; `None` only if it does not parse (a unit test sees to it
/// that it does).
pub fn spec() -> Option<&'static Spec> {
    static SPEC: OnceLock<Option<Spec>> = OnceLock::new();
    SPEC.get_or_init(|| match Spec::parse(EXTRACT) {
        Ok(spec) => Some(spec),
        Err(error) => {
            tracing::error!(%error, "the simulator's OpenAPI extract does not parse");
            None
        }
    })
    .as_ref()
}

fn segments(template: &str) -> Vec<Segment> {
    template
        .trim_start_matches('/')
        .split('/')
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                // A route's `{name:regex}` is the parameter `name`.
                Some(name) => Segment::Param(name.split(':').next().unwrap_or(name).to_owned()),
                None => Segment::Literal(s.to_owned()),
            },
        )
        .collect()
}

impl Spec {
    fn parse(text: &str) -> Result<Self, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let source = doc["source"].as_str().unwrap_or_default().to_owned();
        let schemas = doc["schemas"].as_object().cloned().unwrap_or_default();
        let mut operations = Vec::new();
        for (key, op) in doc["operations"].as_object().ok_or("no operations")? {
            let (method, path) = key
                .split_once(' ')
                .ok_or_else(|| format!("bad key {key}"))?;
            let mut responses = BTreeMap::new();
            for (status, schema) in op["responses"].as_object().into_iter().flatten() {
                let status: u16 = status
                    .parse()
                    .map_err(|_| format!("{key}: status {status}"))?;
                responses.insert(status, Some(schema.clone()).filter(|s| !s.is_null()));
            }
            operations.push(Operation {
                key: key.clone(),
                method: method.to_owned(),
                path: path.to_owned(),
                operation_id: op["operationId"].as_str().unwrap_or_default().to_owned(),
                segments: segments(path),
                parameters: op["parameters"].as_array().cloned().unwrap_or_default(),
                request: op.get("requestBody").filter(|b| !b.is_null()).cloned(),
                responses,
            });
        }
        Ok(Self {
            source,
            operations,
            schemas,
        })
    }

    /// Every operation of the extract.
    pub fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.operations.iter()
    }

    /// The operation named `METHOD /path`.
    pub fn operation(&self, key: &str) -> Option<&Operation> {
        self.operations.iter().find(|op| op.key == key)
    }

    /// The operation a route template of the simulator serves (`{name:regex}`
    /// parameters allowed): same method, same segments, where a parameter of
    /// GitHub's may stand for a literal of the route (`zip` for `{archive_format}`).
    pub fn for_route(&self, method: &str, template: &str) -> Option<&Operation> {
        let route = segments(template);
        self.operations
            .iter()
            .filter(|op| op.method.eq_ignore_ascii_case(method))
            .filter(|op| op.segments.len() == route.len())
            .filter(|op| {
                op.segments
                    .iter()
                    .zip(&route)
                    .all(|(theirs, ours)| match (theirs, ours) {
                        (Segment::Param(_), _) => true,
                        (Segment::Literal(a), Segment::Literal(b)) => a == b,
                        (Segment::Literal(_), Segment::Param(_)) => false,
                    })
            })
            .max_by_key(|op| literal_count(&op.segments))
    }

    /// The operation a request for `path` is, preferring the template with the most
    /// literal segments (`releases/latest` over `releases/{release_id}`).
    pub fn for_request(&self, method: &str, path: &str) -> Option<&Operation> {
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        self.operations
            .iter()
            .filter(|op| op.method.eq_ignore_ascii_case(method))
            .filter(|op| matches(&op.segments, &parts))
            .max_by_key(|op| literal_count(&op.segments))
    }

    /// Checks `value` against `schema` (a schema of this extract).
    pub fn validate(&self, schema: &Value, value: &Value) -> Vec<Problem> {
        schema::validate(schema, value, &self.schemas)
    }
}

fn literal_count(segments: &[Segment]) -> usize {
    segments
        .iter()
        .filter(|s| matches!(s, Segment::Literal(_)))
        .count()
}

/// Whether concrete path `parts` fit `segments`; a [`MULTI_SEGMENT`] parameter takes
/// one or more parts (`path` ending the template none too: `contents` is the root).
fn matches(segments: &[Segment], parts: &[&str]) -> bool {
    match segments.split_first() {
        None => parts.is_empty(),
        Some((Segment::Literal(lit), rest)) => {
            parts.first() == Some(&lit.as_str()) && matches(rest, &parts[1..])
        }
        Some((Segment::Param(name), rest)) => {
            if MULTI_SEGMENT.contains(&name.as_str()) {
                // Only `contents/{path}` may be empty (the root directory).
                if rest.is_empty() {
                    return name == "path" || parts.first().is_some_and(|p| !p.is_empty());
                }
                (1..=parts.len()).any(|taken| matches(rest, &parts[taken..]))
            } else {
                parts.first().is_some_and(|p| !p.is_empty()) && matches(rest, &parts[1..])
            }
        }
    }
}

impl Operation {
    /// The statuses GitHub documents for this operation.
    pub fn statuses(&self) -> impl Iterator<Item = u16> + '_ {
        self.responses.keys().copied()
    }

    /// The JSON schema of the answer with `status`: `None` when GitHub does not
    /// document the status, `Some(None)` when it documents no JSON body for it.
    pub fn response_schema(&self, status: u16) -> Option<Option<&Value>> {
        self.responses.get(&status).map(Option::as_ref)
    }

    /// The JSON schema of the request body, when the operation takes JSON.
    pub fn request_schema(&self) -> Option<&Value> {
        let request = self.request.as_ref()?;
        let json = request["media"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m == "application/json"));
        json.then(|| &request["schema"]).filter(|s| !s.is_null())
    }

    /// Whether the request body is required.
    pub fn request_required(&self) -> bool {
        self.request
            .as_ref()
            .is_some_and(|r| r["required"].as_bool() == Some(true))
    }

    /// The required query parameters, by name.
    pub fn required_query(&self) -> impl Iterator<Item = &str> {
        self.parameters
            .iter()
            .filter(|p| p["in"] == "query" && p["required"] == true)
            .filter_map(|p| p["name"].as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extract_parses_and_finds_operations() {
        let spec = spec().expect("the extract parses");
        assert!(spec.source.starts_with("@octokit/openapi@"));
        let key = |m, p| spec.for_request(m, p).map(|op| op.key.as_str());
        assert_eq!(
            key("GET", "/repos/o/r/releases/latest"),
            Some("GET /repos/{owner}/{repo}/releases/latest")
        );
        assert_eq!(
            key("GET", "/repos/o/r/releases/7"),
            Some("GET /repos/{owner}/{repo}/releases/{release_id}")
        );
        assert_eq!(
            key("GET", "/repos/o/r/commits/feature/x/check-runs"),
            Some("GET /repos/{owner}/{repo}/commits/{ref}/check-runs")
        );
        assert_eq!(
            key("GET", "/repos/o/r/contents"),
            Some("GET /repos/{owner}/{repo}/contents/{path}")
        );
        assert_eq!(
            key("PUT", "/repos/o/r/contents/a/b.txt"),
            Some("PUT /repos/{owner}/{repo}/contents/{path}")
        );
        assert_eq!(key("POST", "/repos/o/r/issues/comments/5"), None);
        assert_eq!(
            key("GET", "/repos/o/r/branches"),
            Some("GET /repos/{owner}/{repo}/branches")
        );
        assert_eq!(
            key("GET", "/repos/o/r/branches/feature/x"),
            Some("GET /repos/{owner}/{repo}/branches/{branch}")
        );
        let zip = spec.for_route("GET", "/repos/{owner}/{repo}/actions/artifacts/{id}/zip");
        assert_eq!(
            zip.map(|op| op.operation_id.as_str()),
            Some("actions/download-artifact")
        );
    }
}
