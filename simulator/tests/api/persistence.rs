//! Persistence: a simulator made with `with_persistence` saves its state after each
//! change and a new one on the same file continues where it stopped.

use std::path::Path;

use gantry_simulator::{Fault, FaultKind, Simulator, SimulatorOptions};
use serde_json::json;

use crate::helpers::{get, payload, post, put, repo_path, send, OWNER, REPO};

fn open(path: &Path) -> Simulator {
    Simulator::with_persistence(SimulatorOptions::default(), path.to_owned()).unwrap()
}

#[actix_web::test]
async fn state_survives_a_restart_and_new_ids_continue_without_collision() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("github.json");
    let sim = open(&file);
    sim.learn("issues", &payload("issues/opened.payload.json"));
    let label = json!({"labels": ["needs triage"]});
    send(&sim, post(&repo_path("/issues/1/labels"), label)).await;
    let first = send(
        &sim,
        post(&repo_path("/issues/1/comments"), json!({"body": "one"})),
    )
    .await;
    send(
        &sim,
        put(
            &repo_path("/collaborators/alice"),
            json!({"permission": "triage"}),
        ),
    )
    .await;
    // A read that registers an unknown user hands out an id: it must be saved too.
    let stranger = send(&sim, get(&repo_path("/collaborators/stranger/permission"))).await;
    let paths = [
        "",
        "/issues/1",
        "/labels",
        "/issues/1/comments",
        "/collaborators",
        "/collaborators/alice/permission",
    ];
    let mut before = Vec::new();
    for path in paths {
        before.push(send(&sim, get(&repo_path(path))).await.json);
    }
    let writes = sim.write_count();
    assert_eq!(writes, 3);
    drop(sim);

    let sim = open(&file);
    for (path, old) in paths.iter().zip(&before) {
        assert_eq!(&send(&sim, get(&repo_path(path))).await.json, old, "{path}");
    }
    let again = send(&sim, get(&repo_path("/collaborators/stranger/permission"))).await;
    assert_eq!(again.json["user"]["id"], stranger.json["user"]["id"]);
    assert_eq!(
        sim.issue_labels(OWNER, REPO, 1).unwrap(),
        ["bug", "needs triage"]
    );
    assert_eq!(sim.issue_comments(OWNER, REPO, 1).unwrap(), ["one"]);
    assert_eq!(sim.write_count(), writes);

    let second = send(
        &sim,
        post(&repo_path("/issues/1/comments"), json!({"body": "two"})),
    )
    .await;
    let created = send(&sim, post(&repo_path("/labels"), json!({"name": "fresh"}))).await;
    let old_ids: Vec<u64> = [&first.json, &stranger.json["user"]]
        .iter()
        .map(|v| v["id"].as_u64().unwrap())
        .chain(
            before[2]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["id"].as_u64().unwrap()),
        )
        .collect();
    for new in [&second.json["id"], &created.json["id"]] {
        let new = new.as_u64().unwrap();
        assert!(old_ids.iter().all(|old| *old < new), "{new} vs {old_ids:?}");
    }
    assert_eq!(sim.issue_comments(OWNER, REPO, 1).unwrap(), ["one", "two"]);
}

#[actix_web::test]
async fn faults_and_the_request_log_are_not_persisted_and_faulted_writes_are_not_saved() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("github.json");
    let sim = open(&file);
    sim.learn("issues", &payload("issues/opened.payload.json"));
    let saved = std::fs::read(&file).unwrap();
    sim.inject(Fault {
        method: None,
        path: "/**".to_owned(),
        kind: FaultKind::Status(502),
        times: None,
    });
    let reply = send(
        &sim,
        post(&repo_path("/issues/1/comments"), json!({"body": "lost"})),
    )
    .await;
    assert_eq!(reply.status, 502);
    assert_eq!(std::fs::read(&file).unwrap(), saved);
    drop(sim);

    let sim = open(&file);
    assert!(sim.faults().is_empty());
    assert_eq!(
        sim.request_count("POST", &repo_path("/issues/1/comments")),
        0
    );
    assert_eq!(send(&sim, get(&repo_path(""))).await.status, 200);
}

#[test]
fn a_missing_file_starts_empty_and_is_written_atomically_on_the_first_change() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nested/state/github.json");
    let sim = open(&file);
    assert!(!file.exists());
    assert!(sim.issue_labels(OWNER, REPO, 1).is_none());
    sim.learn("issues", &payload("issues/opened.payload.json"));
    assert!(file.exists());
    let entries: Vec<_> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, ["github.json"], "no temporary file is left behind");
    assert_eq!(open(&file).issue_labels(OWNER, REPO, 1).unwrap(), ["bug"]);
}

#[test]
fn a_corrupt_state_file_is_a_clear_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("github.json");
    for content in ["{not json", "", r#"{"version": 99, "state": {}}"#] {
        std::fs::write(&file, content).unwrap();
        let error =
            Simulator::with_persistence(SimulatorOptions::default(), file.clone()).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
        let message = error.to_string();
        assert!(message.contains(&file.display().to_string()), "{message}");
    }
}

#[test]
fn an_unreadable_state_file_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the file should be cannot be read as one.
    let error = Simulator::with_persistence(SimulatorOptions::default(), dir.path().to_owned())
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains(&dir.path().display().to_string()),
        "{error}"
    );
}

#[actix_web::test]
async fn a_failed_save_does_not_fail_the_request() {
    let dir = tempfile::tempdir().unwrap();
    let state_dir = dir.path().join("state");
    let file = state_dir.join("github.json");
    let sim = open(&file);
    sim.learn("issues", &payload("issues/opened.payload.json"));
    std::fs::remove_dir_all(&state_dir).unwrap();
    let reply = send(
        &sim,
        post(
            &repo_path("/issues/1/comments"),
            json!({"body": "kept in memory"}),
        ),
    )
    .await;
    assert_eq!(reply.status, 201);
    assert_eq!(
        sim.issue_comments(OWNER, REPO, 1).unwrap(),
        ["kept in memory"]
    );
}

#[actix_web::test]
async fn the_new_state_areas_survive_a_restart() {
    use gantry_simulator::RunOutcome;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("github.json");
    let sim = open(&file);
    sim.learn("pull_request", &payload("pull_request/opened.payload.json"));
    let workflow = sim.add_workflow(OWNER, REPO, ".github/workflows/ci.yml", "CI");
    let run = sim
        .trigger_workflow(OWNER, REPO, "ci.yml", "push", "master")
        .unwrap();
    sim.complete_run(
        OWNER,
        REPO,
        run,
        &RunOutcome::new("success").job("test", "success"),
    );
    let head = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
    let writes = [
        ("/milestones", json!({"title": "v1"})),
        (
            "/check-runs",
            json!({"name": "ci", "head_sha": head, "conclusion": "success"}),
        ),
        (&*format!("/statuses/{head}"), json!({"state": "success"})),
        ("/releases", json!({"tag_name": "v1"})),
    ];
    for (path, body) in writes {
        assert_eq!(
            send(&sim, post(&repo_path(path), body)).await.status,
            201,
            "{path}"
        );
    }
    let file_body = json!({"message": "add", "content": "aGVsbG8="});
    send(&sim, put(&repo_path("/contents/hello.txt"), file_body)).await;
    let paths = [
        "/milestones".to_owned(),
        format!("/commits/{head}/check-runs"),
        format!("/commits/{head}/status"),
        "/releases".to_owned(),
        "/contents/hello.txt".to_owned(),
        "/branches/master".to_owned(),
        format!("/actions/workflows/{workflow}/runs"),
        format!("/actions/runs/{run}/jobs"),
    ];
    let mut before = Vec::new();
    for path in &paths {
        before.push(send(&sim, get(&repo_path(path))).await.json);
    }
    drop(sim);

    let sim = open(&file);
    for (path, old) in paths.iter().zip(&before) {
        assert_eq!(&send(&sim, get(&repo_path(path))).await.json, old, "{path}");
    }
}

#[test]
fn a_state_file_written_before_the_new_areas_existed_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("github.json");
    let old = json!({"version": 1, "state": {
        "repos": {"o/r": {
            "id": 1, "node_id": "R_1", "owner": "o", "name": "r", "private": false,
            "default_branch": "main", "description": null,
            "created_at": "2024-01-01T00:00:00Z", "labels": [], "collaborators": {},
            "issues": {"1": {
                "id": 2, "node_id": "I_2", "number": 1, "title": "t", "body": null,
                "user": "o", "open": true, "locked": false, "labels": [], "assignees": [],
                "comments": [{"id": 3, "node_id": "IC_3", "body": "hi", "user": "o",
                    "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"}],
                "pull": {"id": 4, "head_ref": "x", "head_sha": "", "base_ref": "main",
                    "base_sha": "", "draft": false, "merged": false},
                "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
                "closed_at": null
            }}
        }},
        "users": {}, "writes": 7, "next_id": 10000000000u64
    }});
    std::fs::write(&file, old.to_string()).unwrap();
    let sim = open(&file);
    assert_eq!(sim.issue_comments("o", "r", 1).unwrap(), ["hi"]);
    assert_eq!(sim.write_count(), 7);
    assert!(sim.branch_head("o", "r", "main").is_some());
}
