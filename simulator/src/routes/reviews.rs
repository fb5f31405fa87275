//! Pull request reviews: `/repos/{o}/{r}/pulls/{n}/reviews` (list, create, with
//! line comments) and the line comments: `/repos/{o}/{r}/pulls/{n}/comments`.

use super::Routes;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::{actor, base_url, ensure_actor, issue_number, opt_string, paginate, parse_json};
use crate::{
    error::SimError,
    json,
    state::{LineComment, Review},
    Simulator,
};
use serde_json::Value;

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.get("/repos/{owner}/{repo}/pulls/{number}/reviews", list_reviews);
    r.post(
        "/repos/{owner}/{repo}/pulls/{number}/reviews",
        create_review,
    );
    r.get(
        "/repos/{owner}/{repo}/pulls/{number}/comments",
        list_line_comments,
    );
}

/// `GET /repos/{o}/{r}/pulls/{n}/comments`: the line comments of its reviews,
/// oldest first, paginated.
async fn list_line_comments(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: PullPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    let base = base_url(&req);
    let state = sim.lock();
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let issue = repo.issues.get(&number).ok_or(SimError::NotFound)?;
    let pull = issue.pull.as_ref().ok_or(SimError::NotFound)?;
    let items = pull
        .reviews
        .iter()
        .flat_map(|r| r.comments.iter().map(move |c| (r, c)))
        .map(|(r, c)| json::pulls::line_comment(&base, &state, repo, issue, r, c))
        .collect();
    Ok(paginate(&req, items))
}

/// A review's `comments`: each needs a `path`, a `body` and a `line` from 1 (a
/// `position` in the diff is not simulated); `side` is `LEFT` or `RIGHT`
/// (`RIGHT` when left out). 422 otherwise, as GitHub answers.
fn line_comments(body: &Value) -> Result<Vec<(String, u64, String, String)>, SimError> {
    let Some(items) = body.get("comments").filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let items = items
        .as_array()
        .ok_or_else(|| refusal("comments is not an array"))?;
    items
        .iter()
        .map(|c| {
            let text = |key: &str| c.get(key).and_then(Value::as_str).map(str::to_owned);
            let path = text("path").ok_or_else(|| refusal("A comment needs a path"))?;
            let body = text("body").ok_or_else(|| refusal("A comment needs a body"))?;
            let line = c
                .get("line")
                .and_then(Value::as_u64)
                .filter(|l| *l > 0)
                .ok_or_else(|| refusal("Line could not be resolved"))?;
            let side = text("side").unwrap_or_else(|| "RIGHT".to_owned());
            if side != "LEFT" && side != "RIGHT" {
                return Err(refusal("Side must be LEFT or RIGHT"));
            }
            Ok((path, line, side, body))
        })
        .collect()
}

type PullPath = web::Path<(String, String, String)>;

/// `GET /repos/{o}/{r}/pulls/{n}/reviews`: the reviews, oldest first, paginated.
async fn list_reviews(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: PullPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    let base = base_url(&req);
    let state = sim.lock();
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let issue = repo.issues.get(&number).ok_or(SimError::NotFound)?;
    let pull = issue.pull.as_ref().ok_or(SimError::NotFound)?;
    let items = pull
        .reviews
        .iter()
        .map(|r| json::pulls::review(&base, &state, repo, issue, r))
        .collect();
    Ok(paginate(&req, items))
}

/// `POST /repos/{o}/{r}/pulls/{n}/reviews` with `event` (`APPROVE`,
/// `REQUEST_CHANGES`, `COMMENT`, or none for a pending review), `body` and
/// `commit_id`, by `gantry[bot]` or the `x-sim-user` login: 200 with the review, and a
/// submitted review takes its author off the requested reviewers. 422 for an unknown
/// event, a missing body where GitHub needs one, approving or requesting changes on
/// one's own pull request, or a second pending review.
async fn create_review(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: PullPath,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, number) = path.into_inner();
    let number = issue_number(&number)?;
    let body = parse_json(&body)?;
    let review_state = match opt_string(&body, "event", "PullRequestReview")?.as_deref() {
        None => "PENDING",
        Some("APPROVE") => "APPROVED",
        Some("REQUEST_CHANGES") => "CHANGES_REQUESTED",
        Some("COMMENT") => "COMMENTED",
        Some(other) => return Err(refusal(&format!("Unknown event: {other}"))),
    };
    let text = opt_string(&body, "body", "PullRequestReview")?.unwrap_or_default();
    if matches!(review_state, "CHANGES_REQUESTED" | "COMMENTED") && text.trim().is_empty() {
        return Err(refusal(
            "Body is required when the event is COMMENT or REQUEST_CHANGES",
        ));
    }
    let commit_id = opt_string(&body, "commit_id", "PullRequestReview")?;
    let comments = line_comments(&body)?;
    let mut state = sim.lock();
    let comment_ids: Vec<u64> = comments.iter().map(|_| state.next_id()).collect();
    let reviewer = ensure_actor(&mut state, &actor(&req));
    let id = state.next_id();
    let issue = state
        .repo_mut(&owner, &repo)
        .and_then(|r| r.issues.get_mut(&number))
        .ok_or(SimError::NotFound)?;
    let own = issue.user.eq_ignore_ascii_case(&reviewer);
    let pull = issue.pull.as_mut().ok_or(SimError::NotFound)?;
    let unprocessable = refusal;
    if own && review_state == "APPROVED" {
        return Err(unprocessable("Can not approve your own pull request"));
    }
    if own && review_state == "CHANGES_REQUESTED" {
        return Err(unprocessable(
            "Can not request changes on your own pull request",
        ));
    }
    let pending = pull
        .reviews
        .iter()
        .any(|r| r.state == "PENDING" && r.user.eq_ignore_ascii_case(&reviewer));
    if pending && review_state == "PENDING" {
        return Err(unprocessable(
            "User can only have one pending review per pull request",
        ));
    }
    let submitted = review_state != "PENDING";
    let review = Review {
        id,
        node_id: format!("PRR_sim{id}"),
        user: reviewer.clone(),
        body: text,
        state: review_state.to_owned(),
        commit_id: commit_id.unwrap_or_else(|| pull.head_sha.clone()),
        submitted_at: submitted.then(Utc::now),
        comments: comments
            .into_iter()
            .zip(comment_ids)
            .map(|((path, line, side, body), id)| LineComment {
                id,
                node_id: format!("PRRC_sim{id}"),
                path,
                line,
                side,
                body,
                created_at: Utc::now(),
            })
            .collect(),
    };
    pull.reviews.push(review.clone());
    if submitted {
        pull.requested_reviewers
            .retain(|r| !r.eq_ignore_ascii_case(&reviewer));
    }
    let repo = state.repo(&owner, &repo).ok_or(SimError::NotFound)?;
    let issue = repo.issues.get(&number).ok_or(SimError::NotFound)?;
    Ok(HttpResponse::Ok().json(json::pulls::review(
        &base_url(&req),
        &state,
        repo,
        issue,
        &review,
    )))
}

/// GitHub's 422 for a review it refuses: "Unprocessable Entity" with the reason as a
/// sentence in `errors` (not the `{"resource", "field", "code"}` objects of other
/// routes).
fn refusal(reason: &str) -> SimError {
    SimError::Sentences(vec![reason.to_owned()])
}
