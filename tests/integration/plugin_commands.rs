//! The bundled `commands` plugin (Prow's slash commands) end to end: a signed
//! `issue_comment` delivery built from the corpus, the host's routing and permission
//! check, the real wasm plugin, and its calls landing in the simulator. Each scenario
//! first creates the comment on the simulator as its author (GitHub has the comment
//! before it sends the webhook), so reactions and replies have something to attach to.
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    built_wasm, corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp,
};

const OWNER: &str = "Codertocat";
const NAME: &str = "Hello-World";
const REPO: &str = "Codertocat/Hello-World";
/// The corpus repository's owner: admin, and the author of the corpus issue.
const ADMIN: &str = "Codertocat";

/// The issue or pull request a scenario comments on.
#[derive(Debug, Clone, Copy)]
struct On {
    number: u64,
    pull_request: bool,
    author: &'static str,
}

const PULL: On = On {
    number: 7,
    pull_request: true,
    author: ADMIN,
};
const ISSUE: On = On {
    number: 8,
    pull_request: false,
    author: ADMIN,
};

/// A test app running the bundled `commands` plugin, installed and enabled everywhere
/// through the API as an operator would, with its default configuration.
async fn commands_app() -> TestApp {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let installed = app
        .api(Method::POST, "/plugins")
        .header("content-type", "application/wasm")
        .body(built_wasm("plugins", "commands"))
        .send()
        .await
        .unwrap();
    assert_eq!(installed.status(), 201, "{:?}", installed.text().await);
    let enabled = app
        .api(Method::POST, "/plugins/commands/enable")
        .json(&json!({ "project": "*" }))
        .send()
        .await
        .unwrap();
    assert_eq!(enabled.status(), 200);
    // The simulator learns the repository from a payload, so collaborators can be added.
    app.sim.learn(
        "issue_comment",
        &serde_json::from_slice(&corpus_payload("issue_comment/created.payload.json")).unwrap(),
    );
    app
}

/// The corpus `issue_comment` payload on `on`, by `user`, with `body`; the issue's
/// state, title, labels and assignees are the simulator's `current` ones when it has
/// the issue already, as GitHub's payload would show them.
fn payload(
    action: &str,
    on: On,
    user: &str,
    body: &str,
    comment_id: u64,
    current: Option<&Value>,
) -> Value {
    let file = if action == "edited" {
        "issue_comment/edited.payload.json"
    } else {
        "issue_comment/created.payload.json"
    };
    let mut v: Value = serde_json::from_slice(&corpus_payload(file)).unwrap();
    v["issue"]["number"] = on.number.into();
    v["issue"]["user"]["login"] = on.author.into();
    let issue = v["issue"].as_object_mut().unwrap();
    if on.pull_request {
        let url = format!(
            "https://api.github.com/repos/{OWNER}/{NAME}/pulls/{}",
            on.number
        );
        issue.insert("pull_request".into(), json!({ "url": url, "html_url": format!("https://github.com/{OWNER}/{NAME}/pull/{}", on.number) }));
    } else {
        issue.remove("pull_request");
    }
    v["comment"]["id"] = comment_id.into();
    v["comment"]["body"] = body.into();
    v["comment"]["user"]["login"] = user.into();
    v["comment"]["user"]["type"] = if user.ends_with("[bot]") {
        "Bot"
    } else {
        "User"
    }
    .into();
    v["sender"] = v["comment"]["user"].clone();
    if let Some(current) = current {
        for key in ["state", "title", "labels", "assignees"] {
            v["issue"][key] = current[key].clone();
        }
    }
    v
}

/// What one comment led to.
struct Said {
    delivery: String,
    comment_id: u64,
}

/// `user` comments `body` on `on` (created on the simulator first), and the delivery
/// of `action` for it is handled.
async fn say_as(app: &TestApp, action: &str, on: On, user: &str, body: &str) -> Said {
    let known = app
        .http
        .get(app.sim_repo_url(REPO, &format!("/issues/{}", on.number)))
        .bearer_auth("test-token")
        .send()
        .await
        .unwrap();
    let current: Option<Value> = if known.status() == 200 {
        Some(known.json().await.unwrap())
    } else {
        None
    };
    app.sim.learn(
        "issue_comment",
        &payload("created", on, user, "", 0, current.as_ref()),
    );
    let created = app
        .http
        .post(app.sim_repo_url(REPO, &format!("/issues/{}/comments", on.number)))
        .bearer_auth("test-token")
        .header("x-sim-user", user)
        .json(&json!({ "body": body }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let comment_id = created.json::<Value>().await.unwrap()["id"]
        .as_u64()
        .unwrap();
    let delivery = delivery_id();
    let bytes = serde_json::to_vec(&payload(
        action,
        on,
        user,
        body,
        comment_id,
        current.as_ref(),
    ))
    .unwrap();
    assert_eq!(
        app.post_webhook("issue_comment", &delivery, &bytes)
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    Said {
        delivery,
        comment_id,
    }
}

async fn say(app: &TestApp, on: On, user: &str, body: &str) -> Said {
    say_as(app, "created", on, user, body).await
}

async fn labels(app: &TestApp, on: On) -> Vec<String> {
    let issue = app.sim_get(REPO, &format!("/issues/{}", on.number)).await;
    issue["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn assignees(app: &TestApp, on: On) -> Vec<String> {
    let issue = app.sim_get(REPO, &format!("/issues/{}", on.number)).await;
    issue["assignees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["login"].as_str().unwrap().to_owned())
        .collect()
}

/// The comments Gantry wrote on `on`: (id, body).
async fn replies(app: &TestApp, on: On) -> Vec<(u64, String)> {
    let comments = app
        .sim_get(
            REPO,
            &format!("/issues/{}/comments?per_page=100", on.number),
        )
        .await;
    comments
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["user"]["login"] == "gantry[bot]")
        .map(|c| {
            (
                c["id"].as_u64().unwrap(),
                c["body"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Gantry's reactions on a comment.
async fn reactions(app: &TestApp, comment_id: u64) -> Vec<String> {
    let list = app
        .sim_get(REPO, &format!("/issues/comments/{comment_id}/reactions"))
        .await;
    list.as_array()
        .unwrap()
        .iter()
        .filter(|r| r["user"]["login"] == "gantry[bot]")
        .map(|r| r["content"].as_str().unwrap().to_owned())
        .collect()
}

/// The runs of the commands plugin for a delivery: (run name, outcome).
async fn command_runs(app: &TestApp, said: &Said) -> Vec<(String, String)> {
    app.runs_of(&said.delivery)
        .await
        .into_iter()
        .filter(|r| r.plugin.starts_with("commands "))
        .map(|r| (r.plugin, r.outcome))
        .collect()
}

fn has(list: &[String], item: &str) -> bool {
    list.iter().any(|l| l == item)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lgtm_from_a_reviewer_labels_the_pull_request_and_a_reaction_acknowledges_it() {
    let app = commands_app().await;
    app.grant(REPO, "reviewer", "triage").await;
    let said = say(&app, PULL, "reviewer", "Looks good to me.\n/lgtm").await;
    assert_eq!(
        command_runs(&app, &said).await,
        [("commands /lgtm #0".to_owned(), "ok".to_owned())]
    );
    assert!(has(&labels(&app, PULL).await, "lgtm"));
    assert_eq!(reactions(&app, said.comment_id).await, ["+1"]);
    assert!(
        replies(&app, PULL).await.is_empty(),
        "nothing to explain, so no reply"
    );

    let cancel = say(&app, PULL, "reviewer", "/lgtm cancel").await;
    assert!(
        !has(&labels(&app, PULL).await, "lgtm"),
        "/lgtm cancel removes it"
    );
    assert_eq!(reactions(&app, cancel.comment_id).await, ["+1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_commits_remove_lgtm_with_a_comment_as_prow_does() {
    let app = commands_app().await;
    app.grant(REPO, "reviewer", "triage").await;
    say(&app, PULL, "reviewer", "/lgtm").await;
    assert!(has(&labels(&app, PULL).await, "lgtm"));

    // A push to the pull request: the corpus `synchronize` delivery, on #7 with the
    // labels it now has, as GitHub's payload would show them.
    let push = |labels: Value| {
        let mut v: Value =
            serde_json::from_slice(&corpus_payload("pull_request/synchronize.payload.json"))
                .unwrap();
        v["number"] = PULL.number.into();
        v["pull_request"]["number"] = PULL.number.into();
        v["pull_request"]["labels"] = labels;
        v
    };
    let current = app.sim_get(REPO, &format!("/issues/{}", PULL.number)).await;
    let delivery = delivery_id();
    assert_eq!(
        app.post_webhook(
            "pull_request",
            &delivery,
            &serde_json::to_vec(&push(current["labels"].clone())).unwrap()
        )
        .await
        .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    assert!(
        !has(&labels(&app, PULL).await, "lgtm"),
        "{:?}",
        app.runs_of(&delivery).await
    );
    let said = replies(&app, PULL).await;
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].1.contains("The `lgtm` label has been removed"),
        "{}",
        said[0].1
    );

    // Another push without lgtm changes nothing and says nothing.
    let current = app.sim_get(REPO, &format!("/issues/{}", PULL.number)).await;
    let again = delivery_id();
    assert_eq!(
        app.post_webhook(
            "pull_request",
            &again,
            &serde_json::to_vec(&push(current["labels"].clone())).unwrap()
        )
        .await
        .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    assert_eq!(replies(&app, PULL).await.len(), 1, "no second comment");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_author_cannot_lgtm_their_own_pull_request_and_is_told_why() {
    let app = commands_app().await;
    let said = say(&app, PULL, ADMIN, "/lgtm").await;
    assert!(!has(&labels(&app, PULL).await, "lgtm"));
    let replies = replies(&app, PULL).await;
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(
        replies[0]
            .1
            .contains(&format!("@{ADMIN}: you cannot LGTM your own pull request")),
        "{}",
        replies[0].1
    );
    assert_eq!(
        reactions(&app, said.comment_id).await,
        ["eyes"],
        "seen, with a reply"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_a_later_command_supersedes_is_edited_rather_than_repeated() {
    let app = commands_app().await;
    say(&app, PULL, ADMIN, "/lgtm").await;
    let first = replies(&app, PULL).await;
    assert_eq!(first.len(), 1);
    say(&app, PULL, ADMIN, "/lgtm if the tests pass").await;
    let second = replies(&app, PULL).await;
    assert_eq!(second.len(), 1, "edited, not repeated: {second:?}");
    assert_eq!(second[0].0, first[0].0, "the same comment");
    assert!(
        second[0].1.contains("the command is `/lgtm [cancel]`"),
        "{}",
        second[0].1
    );
    let path = format!("/repos/{OWNER}/{NAME}/issues/comments/{}", first[0].0);
    assert_eq!(
        app.sim.request_count("PATCH", &path) + app.sim.request_count("POST", &path),
        1,
        "one edit"
    );

    // A reply on another topic is a comment of its own.
    app.grant(REPO, "triager", "triage").await;
    say(&app, PULL, "triager", "/label lgtm").await;
    assert_eq!(replies(&app, PULL).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_adds_do_not_merge_hold_and_hold_cancel_or_unhold_removes_it() {
    let app = commands_app().await;
    app.grant(REPO, "triager", "triage").await;
    say(&app, PULL, "triager", "/hold until the release is cut").await;
    assert!(has(&labels(&app, PULL).await, "do-not-merge/hold"));
    say(&app, PULL, "triager", "/hold cancel").await;
    assert!(!has(&labels(&app, PULL).await, "do-not-merge/hold"));
    say(&app, PULL, "triager", "/hold").await;
    say(&app, PULL, "triager", "/unhold").await;
    assert!(!has(&labels(&app, PULL).await, "do-not-merge/hold"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_needs_write_permission_and_adds_approved() {
    let app = commands_app().await;
    app.grant(REPO, "triager", "triage").await;
    app.grant(REPO, "writer", "write").await;
    let refused = say(&app, PULL, "triager", "/approve").await;
    assert!(
        command_runs(&app, &refused).await.is_empty(),
        "triage is not enough for /approve"
    );
    assert!(!has(&labels(&app, PULL).await, "approved"));
    say(&app, PULL, "writer", "/approve").await;
    assert!(has(&labels(&app, PULL).await, "approved"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assigning_past_githubs_limit_of_ten_is_explained_in_a_reply() {
    let app = commands_app().await;
    app.grant(REPO, "triager", "triage").await;
    let people: Vec<String> = (1..=10).map(|i| format!("dev{i}")).collect();
    for login in &people {
        app.grant(REPO, login, "write").await;
    }
    // The corpus issue is assigned to its author already: ten more make eleven.
    let mentions: Vec<String> = people.iter().map(|p| format!("@{p}")).collect();
    let said = say(
        &app,
        ISSUE,
        "triager",
        &format!("/assign {}", mentions.join(" ")),
    )
    .await;
    let now = assignees(&app, ISSUE).await;
    assert_eq!(now.len(), 10, "{now:?}");
    let replies = replies(&app, ISSUE).await;
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(
        replies[0].1.contains("GitHub did not assign @dev10")
            && replies[0].1.contains("at most 10 assignees"),
        "{}",
        replies[0].1
    );
    assert_eq!(reactions(&app, said.comment_id).await, ["eyes"]);

    // Unassigning makes room; /assign alone assigns the commenter.
    say(&app, ISSUE, "triager", "/unassign @dev1 @dev2").await;
    say(&app, ISSUE, "dev10", "/assign").await;
    assert!(has(&assignees(&app, ISSUE).await, "dev10"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kind_and_friends_add_prows_prefixed_labels_one_command_per_line() {
    let app = commands_app().await;
    app.grant(REPO, "triager", "triage").await;
    let said = say(&app, ISSUE, "triager", "Triaged:\r\n/kind bug\r\n/AREA plugins\r\n/priority important-soon\r\n/lifecycle frozen\r\n").await;
    let runs = command_runs(&app, &said).await;
    assert_eq!(runs.len(), 4, "{runs:?}");
    assert!(runs.iter().all(|(_, outcome)| outcome == "ok"), "{runs:?}");
    let now = labels(&app, ISSUE).await;
    for label in [
        "kind/bug",
        "area/plugins",
        "priority/important-soon",
        "lifecycle/frozen",
    ] {
        assert!(has(&now, label), "{label} missing from {now:?}");
    }
    // Lifecycle labels replace each other; /remove-kind takes one away.
    say(&app, ISSUE, "triager", "/lifecycle stale\n/remove-kind bug").await;
    let now = labels(&app, ISSUE).await;
    assert!(
        has(&now, "lifecycle/stale") && !has(&now, "lifecycle/frozen") && !has(&now, "kind/bug"),
        "{now:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quoted_commented_and_fenced_commands_are_ignored() {
    let app = commands_app().await;
    app.grant(REPO, "triager", "triage").await;
    let body = "> /kind bug\n<!-- /kind feature -->\n```\n/close\n```\nplease /kind documentation";
    let said = say(&app, ISSUE, "triager", body).await;
    assert!(command_runs(&app, &said).await.is_empty());
    assert!(!labels(&app, ISSUE)
        .await
        .iter()
        .any(|l| l.starts_with("kind/")));
    assert!(reactions(&app, said.comment_id).await.is_empty());
    assert_eq!(
        app.sim_get(REPO, &format!("/issues/{}", ISSUE.number))
            .await["state"],
        "open"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_comment_and_a_bots_comment_are_ignored() {
    let app = commands_app().await;
    app.grant(REPO, "triager", "triage").await;
    let edited = say_as(&app, "edited", ISSUE, "triager", "/kind bug").await;
    let bot = say(&app, ISSUE, "helper[bot]", "/kind bug").await;
    assert!(command_runs(&app, &edited).await.is_empty());
    assert!(command_runs(&app, &bot).await.is_empty());
    assert!(!has(&labels(&app, ISSUE).await, "kind/bug"));
    assert!(reactions(&app, edited.comment_id).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_request_commands_are_ignored_on_issues() {
    let app = commands_app().await;
    app.grant(REPO, "writer", "write").await;
    let said = say(&app, ISSUE, "writer", "/lgtm\n/approve\n/hold").await;
    assert!(command_runs(&app, &said).await.is_empty());
    assert!(labels(&app, ISSUE)
        .await
        .iter()
        .all(|l| !["lgtm", "approved", "do-not-merge/hold"].contains(&l.as_str())));
    assert!(replies(&app, ISSUE).await.is_empty());
    assert!(reactions(&app, said.comment_id).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commenter_without_the_permission_a_command_needs_is_ignored() {
    let app = commands_app().await;
    app.grant(REPO, "reader", "read").await;
    let reader = say(&app, PULL, "reader", "/lgtm\n/kind bug").await;
    let stranger = say(&app, PULL, "stranger", "/label help-wanted").await;
    assert!(command_runs(&app, &reader).await.is_empty());
    assert!(command_runs(&app, &stranger).await.is_empty());
    let now = labels(&app, PULL).await;
    assert!(
        !has(&now, "lgtm") && !has(&now, "kind/bug") && !has(&now, "help-wanted"),
        "{now:?}"
    );
    assert!(reactions(&app, reader.comment_id).await.is_empty());
    assert!(replies(&app, PULL).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_author_may_close_and_reopen_but_another_reader_is_told_who_can() {
    let app = commands_app().await;
    let mine = On {
        author: "reporter",
        ..ISSUE
    };
    app.grant(REPO, "reporter", "read").await;
    app.grant(REPO, "reader", "read").await;
    say(&app, mine, "reporter", "/close").await;
    assert_eq!(
        app.sim_get(REPO, &format!("/issues/{}", mine.number)).await["state"],
        "closed"
    );
    say(&app, mine, "reporter", "/reopen").await;
    assert_eq!(
        app.sim_get(REPO, &format!("/issues/{}", mine.number)).await["state"],
        "open"
    );
    let refused = say(&app, mine, "reader", "/close").await;
    assert_eq!(
        app.sim_get(REPO, &format!("/issues/{}", mine.number)).await["state"],
        "open"
    );
    let replies = replies(&app, mine).await;
    assert!(
        replies.len() == 1
            && replies[0]
                .1
                .contains("only the issue's author, its assignees and people with triage"),
        "{replies:?}"
    );
    assert_eq!(reactions(&app, refused.comment_id).await, ["eyes"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retitle_milestone_and_cc_change_the_pull_request() {
    let app = commands_app().await;
    app.grant(REPO, "triager", "triage").await;
    app.grant(REPO, "reviewer", "write").await;
    let milestone = app
        .http
        .post(app.sim_repo_url(REPO, "/milestones"))
        .bearer_auth("test-token")
        .json(&json!({ "title": "v1.0" }))
        .send()
        .await
        .unwrap();
    assert_eq!(milestone.status(), 201);
    let number = milestone.json::<Value>().await.unwrap()["number"]
        .as_u64()
        .unwrap();
    say(
        &app,
        PULL,
        "triager",
        &format!("/retitle Fix the flaky login test\n/milestone {number}\n/cc @reviewer"),
    )
    .await;
    let issue = app.sim_get(REPO, &format!("/issues/{}", PULL.number)).await;
    assert_eq!(issue["title"], "Fix the flaky login test");
    assert_eq!(issue["milestone"]["number"], number);
    let pull = app.sim_get(REPO, &format!("/pulls/{}", PULL.number)).await;
    assert_eq!(pull["requested_reviewers"][0]["login"], "reviewer");

    say(&app, PULL, "triager", "/milestone 99").await;
    let unknown = replies(&app, PULL).await;
    assert!(
        unknown.len() == 1
            && unknown[0]
                .1
                .contains("GitHub would not set the milestone to “99”"),
        "{unknown:?}"
    );
    say(&app, PULL, "triager", "/milestone clear\n/uncc @reviewer").await;
    assert!(app.sim_get(REPO, &format!("/issues/{}", PULL.number)).await["milestone"].is_null());
    assert!(
        app.sim_get(REPO, &format!("/pulls/{}", PULL.number)).await["requested_reviewers"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repositorys_configuration_limits_label_and_can_turn_reactions_off() {
    let app = commands_app().await;
    app.grant(REPO, "triager", "triage").await;
    let config = json!({ "allowed_labels": ["good-first-issue"], "acknowledge": false });
    let configured = app
        .api(
            Method::PUT,
            &format!("/plugins/commands/projects/{OWNER}/{NAME}"),
        )
        .json(&config)
        .send()
        .await
        .unwrap();
    assert_eq!(configured.status(), 200, "{:?}", configured.text().await);
    let said = say(&app, ISSUE, "triager", "/label good-first-issue wontfix").await;
    let now = labels(&app, ISSUE).await;
    assert!(
        has(&now, "good-first-issue") && !has(&now, "wontfix"),
        "{now:?}"
    );
    let replies = replies(&app, ISSUE).await;
    assert!(
        replies.len() == 1
            && replies[0].1.contains("cannot add `wontfix`")
            && replies[0].1.contains("allowed_labels"),
        "{replies:?}"
    );
    assert!(
        reactions(&app, said.comment_id).await.is_empty(),
        "acknowledge = false"
    );

    let refused = app
        .api(
            Method::PUT,
            &format!("/plugins/commands/projects/{OWNER}/{NAME}"),
        )
        .json(&json!({ "allowed_labels": "all" }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400, "the schema is checked");
}

/// Creates a milestone on the simulator (as the repository's owner would) and returns
/// its number.
async fn create_milestone(app: &TestApp, title: &str, state: &str) -> u64 {
    let url = app.sim_repo_url(REPO, "/milestones");
    let created = app
        .http
        .post(url)
        .bearer_auth("test-token")
        .json(&json!({ "title": title, "state": state }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{title}");
    created.json::<Value>().await.unwrap()["number"]
        .as_u64()
        .unwrap()
}

/// The milestone the simulator shows on `on`: (number, title), or `None`.
async fn milestone_of(app: &TestApp, on: On) -> Option<(u64, String)> {
    let issue = app.sim_get(REPO, &format!("/issues/{}", on.number)).await;
    let m = &issue["milestone"];
    m["number"]
        .as_u64()
        .map(|n| (n, m["title"].as_str().unwrap().to_owned()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn milestone_takes_an_open_milestones_title_as_prow_does_and_clear_clears_it() {
    let app = commands_app().await;
    app.grant(REPO, "triager", "triage").await;
    let v1 = create_milestone(&app, "v1.0", "open").await;
    let v2 = create_milestone(&app, "v2.0", "open").await;
    // A milestone titled like another's number: the title wins.
    let titled_one = create_milestone(&app, "1", "open").await;
    assert_ne!(titled_one, 1);

    let said = say(&app, ISSUE, "triager", "/milestone v2.0").await;
    assert_eq!(
        milestone_of(&app, ISSUE).await,
        Some((v2, "v2.0".to_owned()))
    );
    assert_eq!(reactions(&app, said.comment_id).await, ["+1"]);
    assert!(replies(&app, ISSUE).await.is_empty(), "nothing to explain");
    say(&app, ISSUE, "triager", "/milestone V1.0").await;
    assert_eq!(
        milestone_of(&app, ISSUE).await,
        Some((v1, "v1.0".to_owned())),
        "case is ignored when no title is exact"
    );
    say(&app, ISSUE, "triager", "/milestone 1").await;
    assert_eq!(
        milestone_of(&app, ISSUE).await,
        Some((titled_one, "1".to_owned()))
    );
    say(&app, ISSUE, "triager", &format!("/milestone #{v2}")).await;
    assert_eq!(
        milestone_of(&app, ISSUE).await,
        Some((v2, "v2.0".to_owned())),
        "a number no title matches still works"
    );
    say(&app, ISSUE, "triager", "/milestone clear").await;
    assert_eq!(milestone_of(&app, ISSUE).await, None);
    assert!(replies(&app, ISSUE).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_or_closed_milestone_title_gets_a_reply_listing_the_open_ones() {
    let app = commands_app().await;
    app.grant(REPO, "triager", "triage").await;
    create_milestone(&app, "v1.0", "open").await;
    create_milestone(&app, "Old", "closed").await;
    create_milestone(&app, "v2.0", "open").await;

    let said = say(&app, PULL, "triager", "/milestone Old").await;
    assert_eq!(
        milestone_of(&app, PULL).await,
        None,
        "closed milestones are not offered"
    );
    let said_back = replies(&app, PULL).await;
    assert_eq!(said_back.len(), 1, "{said_back:?}");
    let reply = &said_back[0].1;
    assert!(
        reply.contains("@triager: there is no open milestone titled `Old`"),
        "{reply}"
    );
    assert!(
        reply.contains("The open milestones are `v1.0`, `v2.0`.")
            && reply.contains("`/milestone clear`"),
        "{reply}"
    );
    assert_eq!(reactions(&app, said.comment_id).await, ["eyes"]);

    say(&app, PULL, "triager", "/milestone v3.0").await;
    let edited = replies(&app, PULL).await;
    assert!(
        edited.len() == 1 && edited[0].1.contains("titled `v3.0`"),
        "the reply is edited: {edited:?}"
    );
    say(&app, PULL, "triager", "/milestone v1.0").await;
    assert_eq!(
        milestone_of(&app, PULL).await.map(|m| m.1),
        Some("v1.0".to_owned())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn milestone_reads_every_page_of_open_milestones() {
    let app = commands_app().await;
    app.grant(REPO, "triager", "triage").await;
    for i in 1..=104 {
        create_milestone(&app, &format!("sprint {i}"), "open").await;
    }
    let last = create_milestone(&app, "sprint 105", "open").await;
    say(&app, ISSUE, "triager", "/milestone Sprint 105").await;
    assert_eq!(
        milestone_of(&app, ISSUE).await,
        Some((last, "sprint 105".to_owned())),
        "{:?}",
        replies(&app, ISSUE).await
    );
    let path = format!("/repos/{OWNER}/{NAME}/milestones");
    assert_eq!(app.sim.request_count("GET", &path), 2, "two pages of 100");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_label_with_a_dot_segment_sends_no_dot_segment_path() {
    let app = commands_app().await;
    say(&app, ISSUE, ADMIN, "/label keep").await;
    for label in ["..", ".", "%2e%2e"] {
        say(&app, ISSUE, ADMIN, &format!("/remove-label {label}")).await;
        let naive = format!(
            "/repos/{OWNER}/{NAME}/issues/{}/labels/{label}",
            ISSUE.number
        );
        assert_eq!(
            app.sim.request_count("DELETE", &naive),
            0,
            "{naive} must not be sent"
        );
    }
    assert_eq!(
        app.sim.request_count(
            "DELETE",
            &format!("/repos/{OWNER}/{NAME}/issues/{}/labels", ISSUE.number)
        ),
        0,
        "a dot segment is not resolved into the label list either"
    );
    assert!(has(&labels(&app, ISSUE).await, "keep"));
}
