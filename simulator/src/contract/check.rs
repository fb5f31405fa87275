//! Holding one recorded answer to GitHub's description: the route is an operation
//! GitHub documents, the status is one GitHub documents for it (or answers on every
//! operation, or is a listed, explained exception), and the JSON body validates
//! against the schema GitHub gives for that status.

use super::{spec, Exchange};

/// Statuses GitHub answers on any operation, which its description does not repeat
/// per operation (GitHub's REST guide documents them once), with when.
pub const ANY_OPERATION: &[(u16, &str)] = &[
    (
        404,
        "a repository, object or path that does not exist or the token cannot see",
    ),
    (
        400,
        "a request body that is not JSON (Problems parsing JSON)",
    ),
    (
        401,
        "missing or bad credentials (the App routes check their JWT themselves)",
    ),
];

/// Statuses documented for no operation that GitHub answers anyway, on operations
/// that take a request body: 422 Validation Failed for a body it refuses.
pub const ANY_BODY: &[(u16, &str)] = &[(422, "a request body GitHub refuses (Validation Failed)")];

/// Statuses the simulator answers, as GitHub does, that the description leaves out
/// for the operation: operation, status, why.
pub const UNDOCUMENTED: &[(&str, u16, &str)] = &[
    (
        "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
        422,
        "No commit found for SHA: an unknown ref",
    ),
    (
        "GET /repos/{owner}/{repo}/commits/{ref}/statuses",
        422,
        "No commit found for SHA: an unknown ref",
    ),
    (
        "GET /repos/{owner}/{repo}/commits/{ref}/status",
        422,
        "No commit found for SHA: an unknown ref",
    ),
    (
        "POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun",
        403,
        "This workflow is already running: a run that has not completed",
    ),
    (
        "POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs",
        403,
        "a run that has not completed or has no failed jobs",
    ),
    (
        "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
        422,
        "an unknown ref, no workflow_dispatch trigger, or inputs the workflow does not \
         declare",
    ),
    (
        "POST /app/installations/{installation_id}/access_tokens",
        422,
        "a repository the installation does not cover",
    ),
    (
        "POST /repos/{owner}/{repo}/statuses/{sha}",
        422,
        "No commit found for SHA, or a state GitHub does not know",
    ),
];

/// Everything wrong with `exchange` as GitHub's description sees it; empty when
/// GitHub could have answered so.
pub fn check_exchange(exchange: &Exchange) -> Vec<String> {
    let Some(spec) = spec() else {
        return vec!["the OpenAPI extract does not parse".to_owned()];
    };
    let what = format!(
        "{} {} -> {}",
        exchange.method, exchange.path, exchange.status
    );
    let Some(op) = exchange
        .operation
        .as_deref()
        .and_then(|key| spec.operation(key))
    else {
        return vec![format!("{what}: no operation of GitHub's serves this path")];
    };
    let mut failures = Vec::new();
    let status = exchange.status;
    let general = ANY_OPERATION.iter().any(|(s, _)| *s == status)
        || (op.request.is_some() && ANY_BODY.iter().any(|(s, _)| *s == status))
        || UNDOCUMENTED
            .iter()
            .any(|(k, s, _)| *k == op.key && *s == status);
    match op.response_schema(status) {
        None if general => {}
        None => failures.push(format!(
            "{what}: GitHub documents {} for {}, not {status}",
            op.statuses()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            op.key
        )),
        Some(None) => {}
        Some(Some(schema)) => match &exchange.body {
            None => failures.push(format!("{what}: GitHub answers a JSON body, none came")),
            Some(body) => {
                for problem in spec.validate(schema, body) {
                    failures.push(format!(
                        "{what}: body {}: {} ({})",
                        if problem.field.is_empty() {
                            "(whole)"
                        } else {
                            &problem.field
                        },
                        problem.detail,
                        problem.code
                    ));
                }
            }
        },
    }
    failures
}
