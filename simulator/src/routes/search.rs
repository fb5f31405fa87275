//! Searching issues and pull requests: `GET /search/issues?q=...`. The simulator
//! understands the qualifiers `repo:`, `is:`/`type:` (`issue`, `pr`), `is:`/`state:`
//! (`open`, `closed`), `label:`, `author:`, `assignee:`, `no:` (`label`,
//! `assignee`, `milestone`) and `in:` (`title`, `body`), each negated with a
//! leading `-`; every other word (or `"quoted phrase"`) must appear in the title or
//! body, ignoring case. Matches come newest first (by number) rather than by
//! GitHub's relevance, each with a score of 1. GitHub refuses a missing query
//! (422).

use super::Routes;
use actix_web::{http::header, web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::{base_url, cut, query};
use crate::{
    error::SimError,
    json,
    state::{Issue, Repo},
    Simulator,
};

/// GitHub serves at most this many results of a search.
const MAX_RESULTS: usize = 1000;

/// Registers this module's routes.
pub(super) fn config(r: &mut Routes) {
    r.get("/search/issues", search_issues);
}

/// One condition of a query, and whether it is negated.
struct Term {
    negated: bool,
    kind: Kind,
}

enum Kind {
    Repo(String),
    PullRequest(bool),
    Open(bool),
    Label(String),
    Author(String),
    Assignee(String),
    No(String),
    In(String),
    Text(String),
}

/// The words of `q`, a `"quoted phrase"` (also after a qualifier) kept as one.
fn words(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in q.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

fn parse(q: &str) -> Vec<Term> {
    words(q)
        .into_iter()
        .map(|word| {
            let (negated, word) = match word.strip_prefix('-') {
                Some(rest) if !rest.is_empty() => (true, rest.to_owned()),
                _ => (false, word),
            };
            let lower = word.to_lowercase();
            let kind = match lower.split_once(':') {
                Some(("repo", v)) => Kind::Repo(v.to_owned()),
                Some(("is" | "type", "pr")) => Kind::PullRequest(true),
                Some(("is" | "type", "issue")) => Kind::PullRequest(false),
                Some(("is" | "state", "open")) => Kind::Open(true),
                Some(("is" | "state", "closed")) => Kind::Open(false),
                Some(("label", v)) => Kind::Label(v.to_owned()),
                Some(("author", v)) => Kind::Author(v.to_owned()),
                Some(("assignee", v)) => Kind::Assignee(v.to_owned()),
                Some(("no", v)) => Kind::No(v.to_owned()),
                Some(("in", v)) => Kind::In(v.to_owned()),
                _ => Kind::Text(lower),
            };
            Term { negated, kind }
        })
        .collect()
}

/// Whether `issue` of `repo` matches every term (the `repo:` terms any one).
fn matches(terms: &[Term], repo: &Repo, issue: &Issue) -> bool {
    let full = format!("{}/{}", repo.owner, repo.name).to_lowercase();
    let repos: Vec<&Term> = terms
        .iter()
        .filter(|t| matches!(t.kind, Kind::Repo(_)) && !t.negated)
        .collect();
    if !repos.is_empty()
        && !repos
            .iter()
            .any(|t| matches!(&t.kind, Kind::Repo(r) if *r == full))
    {
        return false;
    }
    let places: Vec<&str> = terms
        .iter()
        .filter_map(|t| match &t.kind {
            Kind::In(place) => Some(place.as_str()),
            _ => None,
        })
        .collect();
    let title = issue.title.to_lowercase();
    let body = issue.body.as_deref().unwrap_or_default().to_lowercase();
    let has_text = |text: &str| {
        let everywhere = places.is_empty();
        ((everywhere || places.contains(&"title")) && title.contains(text))
            || ((everywhere || places.contains(&"body")) && body.contains(text))
    };
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    terms.iter().all(|t| {
        let holds = match &t.kind {
            // A negated repo excludes it; the plain ones were decided above.
            Kind::Repo(r) => !t.negated || *r != full,
            Kind::In(_) => true,
            Kind::PullRequest(pr) => issue.pull.is_some() == *pr,
            Kind::Open(open) => issue.open == *open,
            Kind::Label(l) => issue.labels.iter().any(|x| same(x, l)),
            Kind::Author(a) => same(&issue.user, a),
            Kind::Assignee(a) => issue.assignees.iter().any(|x| same(x, a)),
            Kind::No(what) => match what.as_str() {
                "label" => issue.labels.is_empty(),
                "assignee" => issue.assignees.is_empty(),
                "milestone" => issue.milestone.is_none(),
                _ => true,
            },
            Kind::Text(text) => has_text(text),
        };
        if matches!(t.kind, Kind::Repo(_) | Kind::In(_)) {
            holds
        } else {
            holds != t.negated
        }
    })
}

/// An issue as a search result: the issue with a `score`, and no `body` key when it
/// has none (the description gives a search result's body as a string only).
fn result(base: &str, state: &crate::state::State, repo: &Repo, issue: &Issue) -> Value {
    let mut item = json::issue(base, state, repo, issue);
    if let Some(map) = item.as_object_mut() {
        if map.get("body").is_some_and(Value::is_null) {
            map.remove("body");
        }
        map.insert("score".to_owned(), json!(1.0));
        if let Some(pull) = &issue.pull {
            map.insert("draft".to_owned(), json!(pull.draft));
        }
    }
    item
}

/// `GET /search/issues?q=...[&per_page=&page=]`: `{"total_count",
/// "incomplete_results": false, "search_type": "lexical", "items"}`, paginated, at
/// most 1,000 results in all. 422 without `q`.
async fn search_issues(
    sim: web::Data<Simulator>,
    req: HttpRequest,
) -> Result<HttpResponse, SimError> {
    let q = query(&req, "q").ok_or_else(|| SimError::invalid("Search", "missing", "q"))?;
    let terms = parse(&q);
    let base = base_url(&req);
    let state = sim.lock();
    let mut found: Vec<(&Repo, &Issue)> = state
        .repos
        .values()
        .flat_map(|repo| repo.issues.values().map(move |issue| (repo, issue)))
        .filter(|(repo, issue)| matches(&terms, repo, issue))
        .collect();
    found.sort_by_key(|(_, issue)| std::cmp::Reverse(issue.number));
    let total = found.len();
    let items: Vec<Value> = found
        .into_iter()
        .take(MAX_RESULTS)
        .map(|(repo, issue)| result(&base, &state, repo, issue))
        .collect();
    let page = cut(&req, items);
    let mut res = HttpResponse::Ok();
    if let Some(link) = page.link {
        res.insert_header((header::LINK, link));
    }
    Ok(res.json(json!({
        "total_count": total,
        "incomplete_results": false,
        "search_type": "lexical",
        "items": page.items,
    })))
}
