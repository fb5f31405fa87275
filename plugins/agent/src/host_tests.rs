//! The plugin's handlers against the SDK's fake host (`fake-host`): the review it
//! posts, the plan it comments and remembers, a split asked twice, a split issue held
//! then approved, and `fix` with the rule-based provider. The pure analysis is tested in `diff_tests.rs`, `review_tests.rs`,
//! `plan_tests.rs` and `split_tests.rs`.
use gantry_plugin_sdk::fake::{self, Answer, FakeHost};
use gantry_plugin_sdk::{Approval, ApprovalOutcome, HostError, Permission, Plugin, Repo};
use serde_json::{json, Value};

use crate::plan::Plan;
use crate::Agent;

const ISSUE: u64 = 8;
const PULL: u64 = 7;

fn command(line: &str, number: u64, is_pull_request: bool) -> gantry_plugin_sdk::Command {
    let file = format!(
        "{}/../../tests/fixtures/webhooks/issue_comment/created.payload.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let event = fake::event("issue_comment", &std::fs::read_to_string(file).unwrap());
    fake::command(
        line,
        "maintainer",
        Permission::Write,
        number,
        is_pull_request,
        event,
    )
}

fn bodies(host: &FakeHost, call: &str) -> Vec<String> {
    host.calls_to(call)
        .iter()
        .map(|c| c.args["body"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn issue(number: u64, body: &str) -> Value {
    json!({
        "number": number, "title": "Make the parser faster", "body": body, "state": "open",
        "author": "Codertocat", "labels": [], "assignees": [], "milestone": null,
        "is_pull_request": false
    })
}

fn stored_plan(host: &FakeHost) -> Plan {
    serde_json::from_slice(&host.kv_get(&format!("plan/{ISSUE}")).unwrap()).unwrap()
}

fn approval(id: &str, outcome: ApprovalOutcome, detail: Value) -> Approval {
    Approval {
        id: id.into(),
        capability: "issues:write".into(),
        repository: Repo {
            owner: "Codertocat".into(),
            name: "Hello-World".into(),
        },
        outcome,
        decided_by: Some("boss".into()),
        detail: Some(detail.to_string()),
        delivery_id: "d".into(),
    }
}

#[test]
fn review_posts_one_comment_review_with_a_line_comment_on_the_added_todo() {
    let host = FakeHost::install();
    host.reply(
        "list-pull-request-files",
        json!([
            { "filename": "src/lib.rs", "status": "modified", "additions": 1, "deletions": 0,
              "changes": 1, "patch": "@@ -3,2 +3,3 @@\n a\n+// TODO: finish\n b",
              "previous_filename": null },
            { "filename": "logo.png", "status": "added", "additions": 0, "deletions": 0,
              "changes": 0, "patch": null, "previous_filename": null }
        ]),
    );
    Agent::handle_command(command("/review", PULL, true)).unwrap();
    let reviews = host.calls_to("create-review");
    assert_eq!(reviews.len(), 1);
    let review = &reviews[0].args["review"];
    assert_eq!(reviews[0].args["number"], PULL);
    assert_eq!(review["event"], "Comment");
    assert_eq!(review["comments"].as_array().unwrap().len(), 1);
    assert_eq!(review["comments"][0]["path"], "src/lib.rs");
    assert_eq!(review["comments"][0]["line"], 4);
    assert_eq!(review["comments"][0]["side"], "Right");
    let body = review["body"].as_str().unwrap();
    assert!(body.contains("`logo.png`: GitHub shows no diff"), "{body}");
    assert!(
        host.calls_to("create-comment").is_empty(),
        "the review is the answer"
    );
}

#[test]
fn line_comments_github_refuses_are_listed_in_the_body_of_the_one_review() {
    let host = FakeHost::install();
    host.reply(
        "list-pull-request-files",
        json!([{ "filename": "a.rs", "status": "modified", "additions": 1, "deletions": 0,
                 "changes": 1, "patch": "@@ -1 +1,2 @@\n a\n+dbg!(x);", "previous_filename": null }]),
    );
    host.answer(
        "create-review",
        Answer::Error(HostError::Rejected("Line could not be resolved".into())),
    );
    Agent::handle_command(command("/review", PULL, true)).unwrap();
    let reviews = host.calls_to("create-review");
    assert_eq!(reviews.len(), 2, "one refused, one posted");
    let posted = &reviews[1].args["review"];
    assert_eq!(posted["comments"], json!([]));
    assert!(
        posted["body"]
            .as_str()
            .unwrap()
            .contains("- `a.rs` line 2: Debug leftover: `dbg!`"),
        "{posted}"
    );
}

#[test]
fn review_on_an_issue_says_it_needs_a_pull_request() {
    let host = FakeHost::install();
    Agent::handle_command(command("/review", ISSUE, false)).unwrap();
    assert!(host.calls_to("list-pull-request-files").is_empty());
    assert!(bodies(&host, "create-comment")[0].contains("works on pull requests"));
}

#[test]
fn plan_comments_a_checklist_and_remembers_it() {
    let host = FakeHost::install();
    host.reply(
        "get-issue",
        issue(ISSUE, "## Steps\n- measure\n- optimise\n"),
    );
    host.reply("create-comment", json!(55));
    Agent::handle_command(command("/plan", ISSUE, false)).unwrap();
    let said = bodies(&host, "create-comment");
    assert_eq!(said.len(), 1, "the plan only");
    assert!(
        said[0].starts_with("<!-- gantry-agent:plan -->"),
        "{}",
        said[0]
    );
    assert!(
        said[0].contains("**Steps**\n- [ ] measure\n- [ ] optimise\n"),
        "{}",
        said[0]
    );
    let plan = stored_plan(&host);
    assert_eq!(plan.comment_id, Some(55));
    assert_eq!(plan.items().count(), 2);
}

#[test]
fn split_opens_each_items_issue_once_and_links_them_from_the_plan() {
    let host = FakeHost::install();
    host.reply(
        "get-issue",
        issue(ISSUE, "- measure\n- [x] profile\n- optimise\n"),
    );
    host.reply("create-comment", json!(55));
    Agent::handle_command(command("/plan", ISSUE, false)).unwrap();

    host.reply("create-issue", issue(101, ""));
    host.reply("create-issue", issue(102, ""));
    Agent::handle_command(command("/split", ISSUE, false)).unwrap();
    let opened = host.calls_to("create-issue");
    assert_eq!(opened.len(), 2, "the checked item is not split");
    assert_eq!(opened[0].args["issue"]["title"], "measure");
    assert_eq!(opened[1].args["issue"]["title"], "optimise");
    assert!(opened[0].args["issue"]["body"]
        .as_str()
        .unwrap()
        .starts_with("Part of #8"));
    let edits = host.calls_to("update-comment");
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0].args["comment_id"], 55);
    let edited = edits[0].args["body"].as_str().unwrap();
    assert!(
        edited.contains("- [ ] #101\n- [x] profile\n- [ ] #102\n"),
        "{edited}"
    );
    assert!(bodies(&host, "create-comment")
        .last()
        .unwrap()
        .contains("opened #101 and #102"));

    // Asked again: nothing more is opened, and the reply says why.
    Agent::handle_command(command("/split", ISSUE, false)).unwrap();
    assert_eq!(host.calls_to("create-issue").len(), 2);
    assert_eq!(host.calls_to("update-comment").len(), 1);
    assert!(bodies(&host, "create-comment").last().unwrap().contains(
        "nothing to split: every unchecked item of the plan has its issue already (#101 and #102)"
    ));

    // A new plan would lose the links, so there is none.
    Agent::handle_command(command("/plan", ISSUE, false)).unwrap();
    assert!(bodies(&host, "create-comment")
        .last()
        .unwrap()
        .contains("was split already into #101, #102"));
    assert_eq!(stored_plan(&host).issues(), [101, 102]);
}

#[test]
fn a_held_split_issue_is_linked_from_the_plan_once_approved() {
    let host = FakeHost::install();
    host.reply("get-issue", issue(ISSUE, "- measure\n"));
    host.reply("create-comment", json!(55));
    Agent::handle_command(command("/plan", ISSUE, false)).unwrap();
    host.hold("create-issue", "issues:write");
    Agent::handle_command(command("/split", ISSUE, false)).unwrap();
    assert!(host.kv_get("approval/approval-1").is_some());
    let edited = bodies(&host, "update-comment");
    assert!(
        edited[0].contains("- [ ] measure (its issue waits for approval `approval-1`)"),
        "{edited:?}"
    );
    // Held: asking again opens nothing more.
    Agent::handle_command(command("/split", ISSUE, false)).unwrap();
    assert_eq!(host.calls_to("create-issue").len(), 1);

    Agent::approval_resolved(approval(
        "approval-1",
        ApprovalOutcome::Executed,
        json!({ "number": 77 }),
    ))
    .unwrap();
    assert!(bodies(&host, "update-comment")
        .last()
        .unwrap()
        .contains("- [ ] #77\n"));
    assert_eq!(stored_plan(&host).issues(), [77]);
    assert_eq!(host.kv_get("approval/approval-1"), None);
}

#[test]
fn a_denied_split_issue_can_be_split_again() {
    let host = FakeHost::install();
    host.reply("get-issue", issue(ISSUE, "- measure\n"));
    host.reply("create-comment", json!(55));
    Agent::handle_command(command("/plan", ISSUE, false)).unwrap();
    host.answer(
        "create-issue",
        Answer::Held {
            approval_id: "ap-9".into(),
            capability: "issues:write".into(),
        },
    );
    Agent::handle_command(command("/split", ISSUE, false)).unwrap();
    Agent::approval_resolved(approval("ap-9", ApprovalOutcome::Denied, Value::Null)).unwrap();
    assert!(stored_plan(&host)
        .items()
        .all(|i| i.held.is_none() && i.issue.is_none()));
    host.reply("create-issue", issue(90, ""));
    Agent::handle_command(command("/split", ISSUE, false)).unwrap();
    assert_eq!(stored_plan(&host).issues(), [90]);
}

#[test]
fn split_without_a_plan_says_to_plan_first() {
    let host = FakeHost::install();
    Agent::handle_command(command("/split", ISSUE, false)).unwrap();
    assert!(host.calls_to("create-issue").is_empty());
    assert!(bodies(&host, "create-comment")[0].contains("`@gantry plan` writes one"));
}

#[test]
fn fix_with_the_rule_based_provider_answers_how_to_configure_a_model() {
    let host = FakeHost::install();
    Agent::handle_command(command("/fix the failing tests", PULL, true)).unwrap();
    let said = bodies(&host, "create-comment");
    assert_eq!(said.len(), 1);
    assert!(
        said[0].contains("`fix` needs a model provider"),
        "{}",
        said[0]
    );
    assert!(said[0].contains("docs/agents.md"), "{}", said[0]);
    let writes: Vec<String> = host
        .calls()
        .into_iter()
        .map(|c| c.name)
        .filter(|n| !n.starts_with("log.") && n != "config.get")
        .collect();
    assert_eq!(writes, ["create-comment"], "nothing else is touched");
}

#[test]
fn a_split_cut_short_by_the_call_budget_keeps_what_it_opened_and_goes_on_when_asked_again() {
    let host = FakeHost::install();
    host.reply("get-issue", issue(ISSUE, "- one\n- two\n"));
    host.reply("create-comment", json!(55));
    Agent::handle_command(command("/plan", ISSUE, false)).unwrap();
    host.reply("create-issue", issue(30, ""));
    host.answer(
        "create-issue",
        Answer::Error(HostError::LimitExceeded("github calls".into())),
    );
    let e = Agent::handle_command(command("/split", ISSUE, false)).unwrap_err();
    assert!(
        e.to_string()
            .contains("after 1 opened; `@gantry split` again opens the rest"),
        "{e}"
    );
    assert_eq!(stored_plan(&host).issues(), [30]);

    host.reply("create-issue", issue(31, ""));
    Agent::handle_command(command("/split", ISSUE, false)).unwrap();
    assert_eq!(
        host.calls_to("create-issue").len(),
        3,
        "`one` is not opened again"
    );
    assert_eq!(stored_plan(&host).issues(), [30, 31]);
    assert!(bodies(&host, "update-comment")
        .last()
        .unwrap()
        .contains("- [ ] #30\n- [ ] #31\n"));
}
