//! Checking a request against its operation before the handler runs: the JSON body
//! against the description's request schema, the required query parameters, and
//! GitHub's documented rules the schema does not carry (a label's name at most 50
//! characters, its description at most 100). Rules that need the state (a workflow's
//! declared dispatch inputs) live in their handler and report through
//! [`crate::Simulator::refuse`].
//!
//! A refused request answers GitHub's `422 Validation Failed` with one
//! `{"resource", "field", "code"}` entry per problem.

use serde_json::{json, Value};

use super::{Operation, Problem, Spec};

/// GitHub's longest label name and description.
pub(crate) const LABEL_NAME_MAX: usize = 50;
pub(crate) const LABEL_DESCRIPTION_MAX: usize = 100;

/// The `resource` GitHub names in the errors of an operation's request.
pub(crate) fn resource(op: &Operation) -> &'static str {
    let id = op.operation_id.as_str();
    match id {
        _ if id.starts_with("checks/") => "CheckRun",
        _ if id.contains("label") => "Label",
        _ if id.contains("milestone") => "Milestone",
        _ if id.starts_with("reactions/") => "Reaction",
        _ if id.contains("comment") => "IssueComment",
        _ if id.starts_with("issues/") => "Issue",
        _ if id.contains("requested-reviewers") || id.contains("request-reviewers") => {
            "PullRequest"
        }
        _ if id.contains("review") => "PullRequestReview",
        _ if id.starts_with("pulls/") => "PullRequest",
        _ if id.contains("release-asset") => "ReleaseAsset",
        _ if id.contains("release") => "Release",
        _ if id.contains("file-contents") => "Content",
        _ if id.contains("commit-status") => "Status",
        _ if id.contains("collaborator") => "Collaborator",
        _ if id.starts_with("git/") && id.contains("ref") => "Reference",
        _ if id.starts_with("git/") && id.contains("tag") => "Tag",
        _ if id.contains("workflow-dispatch") => "WorkflowDispatch",
        _ if id.starts_with("actions/") => "WorkflowRun",
        _ if id.starts_with("apps/") => "Installation",
        _ => "Repository",
    }
}

/// Every problem of a request to `op` with query string `query` and body `body`
/// (`None` when the body is empty).
pub(crate) fn check(
    spec: &Spec,
    op: &Operation,
    query: &str,
    body: Option<&Value>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for name in op.required_query() {
        let given = query
            .split('&')
            .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
            .any(|(key, value)| key == name && !value.is_empty());
        if !given {
            problems.push(Problem {
                field: name.to_owned(),
                code: "missing_field",
                detail: "the query parameter is required".to_owned(),
            });
        }
    }
    let Some(schema) = op.request_schema() else {
        return problems;
    };
    // An empty body is checked as `{}` when the operation needs one.
    let empty = json!({});
    let body = match body {
        Some(body) => body,
        None if op.request_required() => &empty,
        None => return problems,
    };
    problems.extend(spec.validate(schema, body));
    problems.extend(github_rules(op, body));
    problems
}

fn too_long(field: &str, value: Option<&str>, max: usize, out: &mut Vec<Problem>) {
    if let Some(length) = value.map(|v| v.chars().count()).filter(|l| *l > max) {
        out.push(Problem {
            field: field.to_owned(),
            code: "invalid",
            detail: format!("is {length} characters long, more than {max}"),
        });
    }
}

/// GitHub's rules for labels, which its description leaves out.
fn github_rules(op: &Operation, body: &Value) -> Vec<Problem> {
    let mut out = Vec::new();
    let text = |key: &str| body.get(key).and_then(Value::as_str);
    match op.operation_id.as_str() {
        "issues/create-label" => {
            too_long("name", text("name"), LABEL_NAME_MAX, &mut out);
            too_long(
                "description",
                text("description"),
                LABEL_DESCRIPTION_MAX,
                &mut out,
            );
        }
        "issues/update-label" => {
            too_long("new_name", text("new_name"), LABEL_NAME_MAX, &mut out);
            too_long(
                "description",
                text("description"),
                LABEL_DESCRIPTION_MAX,
                &mut out,
            );
        }
        "issues/add-labels" | "issues/set-labels" | "issues/update" => {
            let labels = body
                .get("labels")
                .or_else(|| body.is_array().then_some(body))
                .and_then(Value::as_array);
            for (index, label) in labels.into_iter().flatten().enumerate() {
                let name = label.as_str().or_else(|| label.get("name")?.as_str());
                too_long(&format!("labels[{index}]"), name, LABEL_NAME_MAX, &mut out);
            }
        }
        _ => {}
    }
    out
}

/// GitHub's `errors` entries for `problems`.
pub(crate) fn errors(resource: &str, problems: &[Problem]) -> Vec<Value> {
    problems
        .iter()
        .map(|p| json!({ "resource": resource, "field": p.field, "code": p.code }))
        .collect()
}
