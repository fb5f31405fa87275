//! Reactions to issue comments: `/repos/{o}/{r}/issues/comments/{id}/reactions` (list,
//! add) and `.../reactions/{reaction_id}` (remove).

use super::Routes;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::{
    actor, base_url, comments::find_comment, ensure_actor, paginate, parse_json, query,
    required_string,
};
use crate::{
    error::SimError,
    json,
    state::{Reaction, REACTIONS},
    Simulator,
};

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.get(
        "/repos/{owner}/{repo}/issues/comments/{id}/reactions",
        list_reactions,
    );
    r.post(
        "/repos/{owner}/{repo}/issues/comments/{id}/reactions",
        create_reaction,
    );
    r.delete(
        "/repos/{owner}/{repo}/issues/comments/{id}/reactions/{reaction}",
        delete_reaction,
    );
}

type CommentPath = web::Path<(String, String, String)>;

/// `GET .../issues/comments/{id}/reactions[?content=...]`: the reactions, oldest
/// first, paginated.
async fn list_reactions(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: CommentPath,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, id) = path.into_inner();
    let content = query(&req, "content");
    let state = sim.lock();
    let (number, index) = find_comment(&state, &owner, &repo, &id)?;
    let comment = state
        .repo(&owner, &repo)
        .and_then(|r| r.issues.get(&number))
        .and_then(|i| i.comments.get(index))
        .ok_or(SimError::NotFound)?;
    let base = base_url(&req);
    let items = comment
        .reactions
        .iter()
        .filter(|r| content.as_deref().is_none_or(|c| c == r.content))
        .map(|r| json::issues::reaction(&base, &state, r))
        .collect();
    Ok(paginate(&req, items))
}

/// `POST .../issues/comments/{id}/reactions` with `{"content": "+1"}`: 201 with the new
/// reaction, or 200 with the existing one when this user already reacted so; 422 for
/// a content GitHub does not know.
async fn create_reaction(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    path: CommentPath,
    body: web::Bytes,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, id) = path.into_inner();
    let content = required_string(&parse_json(&body)?, "content", "Reaction")?;
    if !REACTIONS.contains(&content.as_str()) {
        return Err(SimError::invalid("Reaction", "invalid", "content"));
    }
    let mut state = sim.lock();
    let (number, index) = find_comment(&state, &owner, &repo, &id)?;
    let who = ensure_actor(&mut state, &actor(&req));
    let reaction_id = state.next_id();
    let comment = state
        .repo_mut(&owner, &repo)
        .and_then(|r| r.issues.get_mut(&number))
        .and_then(|i| i.comments.get_mut(index))
        .ok_or(SimError::NotFound)?;
    let existing = comment
        .reactions
        .iter()
        .find(|r| r.content == content && r.user.eq_ignore_ascii_case(&who))
        .cloned();
    let (reaction, created) = match existing {
        Some(reaction) => (reaction, false),
        None => {
            let reaction = Reaction {
                id: reaction_id,
                node_id: format!("REA_sim{reaction_id}"),
                user: who,
                content,
                created_at: Utc::now(),
            };
            comment.reactions.push(reaction.clone());
            (reaction, true)
        }
    };
    let body = json::issues::reaction(&base_url(&req), &state, &reaction);
    Ok(if created {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}

/// `DELETE .../issues/comments/{id}/reactions/{reaction_id}`: 204; 404 when the
/// comment has no such reaction.
async fn delete_reaction(
    sim: web::Data<Simulator>,
    path: web::Path<(String, String, String, String)>,
) -> Result<HttpResponse, SimError> {
    let (owner, repo, id, reaction) = path.into_inner();
    let reaction: u64 = reaction.parse().map_err(|_| SimError::NotFound)?;
    let mut state = sim.lock();
    let (number, index) = find_comment(&state, &owner, &repo, &id)?;
    let comment = state
        .repo_mut(&owner, &repo)
        .and_then(|r| r.issues.get_mut(&number))
        .and_then(|i| i.comments.get_mut(index))
        .ok_or(SimError::NotFound)?;
    let before = comment.reactions.len();
    comment.reactions.retain(|r| r.id != reaction);
    if comment.reactions.len() == before {
        return Err(SimError::NotFound);
    }
    Ok(HttpResponse::NoContent().finish())
}
