//! Searching issues and pull requests (`GET /search/issues?q=`): qualifiers,
//! negation, words in the title or body, and GitHub's 422 without a query.

use crate::helpers::{get, learned, payload, send};

/// A simulator that knows issue #1 and pull request #2 of Codertocat/Hello-World.
fn both() -> gantry_simulator::Simulator {
    let sim = learned("issues", "issues/opened.payload.json");
    sim.learn("pull_request", &payload("pull_request/opened.payload.json"));
    sim
}

/// The numbers `q` finds, in the order they come.
async fn found(sim: &gantry_simulator::Simulator, q: &str) -> Vec<u64> {
    let reply = send(sim, get(&format!("/search/issues?q={q}"))).await;
    assert_eq!(reply.status.as_u16(), 200, "{q}: {}", reply.json);
    let items = reply.json["items"].as_array().unwrap();
    assert_eq!(reply.json["total_count"].as_u64(), Some(items.len() as u64));
    items
        .iter()
        .map(|i| i["number"].as_u64().unwrap())
        .collect()
}

#[actix_web::test]
async fn qualifiers_words_and_negation_narrow_the_results() {
    let sim = both();
    let repo = "repo%3ACodertocat%2FHello-World";
    assert_eq!(found(&sim, repo).await, [2, 1], "newest first");
    assert_eq!(found(&sim, &format!("{repo}+is%3Apr")).await, [2]);
    assert_eq!(found(&sim, &format!("{repo}+is%3Aissue")).await, [1]);
    assert_eq!(found(&sim, &format!("{repo}+-is%3Apr")).await, [1]);
    assert_eq!(found(&sim, &format!("{repo}+SPELLING")).await, [1]);
    assert_eq!(
        found(&sim, &format!("{repo}+%22spelling+error%22")).await,
        [1]
    );
    assert_eq!(
        found(&sim, &format!("{repo}+is%3Aclosed")).await,
        Vec::<u64>::new()
    );
    assert_eq!(found(&sim, "repo%3Aelse%2Fwhere").await, Vec::<u64>::new());
    assert_eq!(
        found(&sim, &format!("{repo}+-repo%3ACodertocat%2FHello-World")).await,
        Vec::<u64>::new()
    );
}

#[actix_web::test]
async fn a_search_without_a_query_is_a_422() {
    let sim = both();
    let reply = send(&sim, get("/search/issues")).await;
    assert_eq!(reply.status.as_u16(), 422, "{}", reply.json);
    assert_eq!(reply.json["errors"][0]["field"], "q");
}
