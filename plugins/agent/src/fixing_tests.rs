//! `fix` with a model provider against the SDK's fake host: on an issue (the model
//! names files, they are read from a workspace on the default branch, the edits are
//! committed on `gantry/fix-<n>` and the held push is remembered), the pull request
//! opened once the push ran and never twice, a denied push answered, an invalid
//! answer refused with nothing written, and a pull request's fix going into its
//! head branch.
use gantry_plugin_sdk::fake::{self, FakeHost};
use gantry_plugin_sdk::{Approval, ApprovalOutcome, Permission, Plugin, Repo};
use serde_json::{json, Value};

use crate::fix::Pull;
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
        "ann",
        Permission::Write,
        number,
        is_pull_request,
        event,
    )
}

fn host() -> FakeHost {
    let host = FakeHost::install();
    host.set_config(json!({ "provider": "stand-in", "fix_max_files": 3 }));
    host.reply(
        "get-issue",
        json!({
            "number": ISSUE, "title": "Parser crashes", "body": "On empty input.", "state": "open",
            "author": "Codertocat", "labels": [], "assignees": [], "milestone": null,
            "is_pull_request": false
        }),
    );
    host
}

fn bodies(host: &FakeHost, call: &str) -> Vec<String> {
    host.calls_to(call)
        .iter()
        .map(|c| c.args["body"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn edits(edits: Value) -> String {
    json!({ "title": "Handle empty input", "summary": "Returns early.", "edits": edits })
        .to_string()
}

fn approval(id: &str, outcome: ApprovalOutcome) -> Approval {
    Approval {
        id: id.into(),
        capability: "git:push".into(),
        repository: Repo {
            owner: "Codertocat".into(),
            name: "Hello-World".into(),
        },
        outcome,
        decided_by: Some("boss".into()),
        detail: None,
        delivery_id: "d".into(),
    }
}

#[test]
fn a_fix_on_an_issue_commits_on_its_branch_and_holds_the_push_then_opens_the_pull_request_once() {
    let host = host();
    host.complete_with(r#"{"paths": ["src/parse.rs", "../secret", "src/new.rs"]}"#);
    host.reply("workspace.read-file", json!(b"fn parse() {}\n".to_vec()));
    host.complete_with(&edits(json!([
        { "path": "src/parse.rs", "content": "fn parse() { if empty { return } }\n" },
        { "path": "src/new.rs", "content": "// new\n" }
    ])));
    host.reply("workspace.commit", json!("abc123"));
    host.hold("workspace.push", "git:push");
    Agent::handle_command(command("/fix handle the empty input", ISSUE, false)).unwrap();

    // Both questions went to the configured provider, with schemas.
    let asked = host.calls_to("model.complete");
    assert_eq!(asked.len(), 2);
    assert_eq!(asked[0].args["provider"], "stand-in");
    assert!(asked[0].args["json_schema"].is_string(), "{:?}", asked[0]);
    assert!(asked[1].args["json_schema"]
        .as_str()
        .unwrap()
        .contains("edits"));
    // The workspace is on the default branch; only the valid paths were read.
    let cloned = host.calls_to("workspace.clone");
    assert_eq!(cloned[0].args["branch"], "master");
    let read: Vec<Value> = host
        .calls_to("workspace.read-file")
        .iter()
        .map(|c| c.args["path"].clone())
        .collect();
    assert_eq!(read[..2], [json!("src/parse.rs"), json!("src/new.rs")]);
    let branch = host.calls_to("workspace.create-branch");
    assert_eq!(branch[0].args["name"], "gantry/fix-8");
    let written: Vec<Value> = host
        .calls_to("workspace.write-file")
        .iter()
        .map(|c| c.args["path"].clone())
        .collect();
    assert_eq!(written, [json!("src/parse.rs"), json!("src/new.rs")]);
    let commit = host.calls_to("workspace.commit");
    let message = commit[0].args["message"].as_str().unwrap();
    assert!(
        message.starts_with("Handle empty input\n\nAsked by @ann on #8: “handle the empty input”"),
        "{message}"
    );
    // Held: no pull request yet, the reply says who may approve.
    assert!(host.calls_to("create-pull-request").is_empty());
    let said = bodies(&host, "create-comment");
    assert_eq!(said.len(), 1);
    assert!(
        said[0].contains("its push waits for a maintainer's approval: `approval-1`"),
        "{said:?}"
    );
    assert!(said[0].contains("someone else must approve it"), "{said:?}");
    let pull: Pull =
        serde_json::from_slice(&host.kv_get("fix-approval/approval-1").unwrap()).unwrap();
    assert_eq!(
        (pull.head.as_str(), pull.base.as_str()),
        ("gantry/fix-8", "master")
    );
    assert!(pull.body.starts_with("Fixes #8\n"), "{}", pull.body);
    assert!(pull.body.contains("(stand-in/fake)"), "{}", pull.body);

    // Approved and pushed: the pull request opens, once.
    host.reply(
        "create-pull-request",
        json!({
            "number": 9, "title": "Handle empty input", "state": "open", "author": "gantry[bot]",
            "draft": false, "merged": false, "head_sha": "abc123", "head_ref": "gantry/fix-8",
            "base_ref": "master", "from_fork": false, "requested_reviewers": [], "additions": 1,
            "deletions": 0, "changed_files": 2, "commits": 1, "base_sha": "def456",
            "mergeable_state": null
        }),
    );
    Agent::approval_resolved(approval("approval-1", ApprovalOutcome::Executed)).unwrap();
    let opened = host.calls_to("create-pull-request");
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0].args["pull"]["head"], "gantry/fix-8");
    assert_eq!(opened[0].args["pull"]["base"], "master");
    let said = bodies(&host, "create-comment");
    assert!(
        said[1].contains("pull request #9 into `master` is open"),
        "{said:?}"
    );
    assert!(host.kv_get("fix-approval/approval-1").is_none());
    Agent::approval_resolved(approval("approval-1", ApprovalOutcome::Executed)).unwrap();
    assert_eq!(host.calls_to("create-pull-request").len(), 1, "opened once");
}

#[test]
fn a_retried_fix_pushes_the_branch_it_chose_first() {
    let host = host();
    host.kv_set("fix-branch/1", br#""gantry/fix-8""#);
    host.reply(
        "workspace.branches",
        json!([["master", "a"], ["gantry/fix-8", "b"]]),
    );
    host.complete_with(r#"{"paths": []}"#);
    host.complete_with(&edits(json!([{ "path": "a.txt", "content": "a\n" }])));
    host.reply("workspace.commit", json!("abc123"));
    host.hold("workspace.push", "git:push");
    Agent::handle_command(command("/fix it", ISSUE, false)).unwrap();
    assert_eq!(
        host.calls_to("workspace.create-branch")[0].args["name"],
        "gantry/fix-8"
    );
}

#[test]
fn a_denied_push_is_answered_and_opens_nothing() {
    let host = host();
    let pull = Pull {
        number: ISSUE,
        requester: "ann".into(),
        head: "gantry/fix-8".into(),
        base: "master".into(),
        title: "t".into(),
        body: "b".into(),
    };
    host.kv_set(
        "fix-approval/approval-4",
        &serde_json::to_vec(&pull).unwrap(),
    );
    Agent::approval_resolved(approval("approval-4", ApprovalOutcome::Failed)).unwrap();
    assert!(
        host.kv_get("fix-approval/approval-4").is_some(),
        "a failed push may be approved again"
    );
    Agent::approval_resolved(approval("approval-4", ApprovalOutcome::Denied)).unwrap();
    assert!(host.calls_to("create-pull-request").is_empty());
    let said = bodies(&host, "create-comment");
    assert!(
        said[0].contains("was not approved (denied), so nothing was pushed"),
        "{said:?}"
    );
    assert!(host.kv_get("fix-approval/approval-4").is_none());
}

#[test]
fn an_invalid_answer_is_refused_with_a_reply_and_nothing_is_written() {
    let host = host();
    host.complete_with(r#"{"paths": ["src/a.rs"]}"#);
    host.complete_with(&edits(json!([
        { "path": "../x", "content": "x" },
        { "path": ".github/workflows/ci.yml", "content": "on: push" }
    ])));
    Agent::handle_command(command("/fix the tests", ISSUE, false)).unwrap();
    for call in [
        "workspace.create-branch",
        "workspace.write-file",
        "workspace.commit",
        "workspace.push",
        "create-pull-request",
    ] {
        assert!(host.calls_to(call).is_empty(), "{call}");
    }
    let said = bodies(&host, "create-comment");
    assert_eq!(said.len(), 1);
    assert!(said[0].contains("the model's fix was refused"), "{said:?}");
    assert!(said[0].contains("`../x`"), "{said:?}");
    assert!(said[0].contains("a model must not change CI"), "{said:?}");
}

#[test]
fn a_fix_on_a_pull_request_reads_its_files_and_goes_into_its_head_branch() {
    let host = host();
    host.reply(
        "get-pull-request",
        json!({
            "number": PULL, "title": "Parser", "state": "open", "author": "Codertocat",
            "draft": false, "merged": false, "head_sha": "abc", "head_ref": "parser",
            "base_ref": "master", "from_fork": false, "requested_reviewers": [], "additions": 1,
            "deletions": 0, "changed_files": 2, "commits": 1, "base_sha": "def",
            "mergeable_state": null
        }),
    );
    host.reply(
        "list-pull-request-files",
        json!([
            { "filename": "src/parse.rs", "status": "modified", "additions": 1, "deletions": 0,
              "changes": 1, "patch": "@@ -1 +1 @@\n-a\n+b", "previous_filename": null },
            { "filename": "gone.rs", "status": "removed", "additions": 0, "deletions": 1,
              "changes": 1, "patch": null, "previous_filename": null }
        ]),
    );
    host.reply("workspace.read-file", json!(b"b\n".to_vec()));
    host.complete_with(&edits(
        json!([{ "path": "src/parse.rs", "content": "c\n" }]),
    ));
    host.reply("workspace.commit", json!("abc123"));
    host.reply(
        "create-pull-request",
        json!({
            "number": 10, "title": "Handle empty input", "state": "open", "author": "gantry[bot]",
            "draft": false, "merged": false, "head_sha": "abc123", "head_ref": "gantry/fix-7",
            "base_ref": "parser", "from_fork": false, "requested_reviewers": [], "additions": 1,
            "deletions": 1, "changed_files": 1, "commits": 1, "base_sha": "abc",
            "mergeable_state": null
        }),
    );
    // Pushing allowed by an operator: the pull request opens at once.
    Agent::handle_command(command("/fix it", PULL, true)).unwrap();
    assert_eq!(
        host.calls_to("model.complete").len(),
        1,
        "no question of files"
    );
    assert_eq!(host.calls_to("workspace.clone")[0].args["branch"], "parser");
    assert_eq!(
        host.calls_to("workspace.read-file")[0].args["path"],
        "src/parse.rs"
    );
    let opened = host.calls_to("create-pull-request");
    assert_eq!(opened[0].args["pull"]["base"], "parser");
    assert!(opened[0].args["pull"]["body"]
        .as_str()
        .unwrap()
        .starts_with("For #7\n"));
    let said = bodies(&host, "create-comment");
    assert!(
        said[0].contains("pull request #10 into `parser` is open"),
        "{said:?}"
    );
}

#[test]
fn a_fix_without_instructions_asks_for_them() {
    let host = host();
    Agent::handle_command(command("/fix", ISSUE, false)).unwrap();
    assert!(host.calls_to("model.complete").is_empty());
    assert!(bodies(&host, "create-comment")[0].contains("say what to fix"));
}
