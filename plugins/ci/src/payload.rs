//! What the plugin reads from webhook payloads: the pull request of a
//! `pull_request` event and the run of a `workflow_run` event. Pure: no host calls.
use serde_json::Value;

use crate::rules::{Pull, Run};

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// A `pull_request` event: its pull request, whether it is open, the label a
/// `labeled` event added, and the repository's page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PullEvent {
    /// The pull request.
    pub pull: Pull,
    /// Whether it is open.
    pub open: bool,
    /// The label added, for `labeled`.
    pub label: Option<String>,
    /// The repository's page on GitHub.
    pub repo_html_url: String,
}

/// Reads a `pull_request` payload; `None` when it has no pull request with a head.
#[must_use]
pub fn pull_event(payload: &Value) -> Option<PullEvent> {
    let pr = payload.get("pull_request")?;
    let head_sha = pr["head"]["sha"].as_str()?.to_owned();
    // A deleted fork leaves `head.repo` null: treat it as a fork.
    let from_fork = pr["head"]["repo"]["full_name"]
        .as_str()
        .is_none_or(|head| Some(head) != pr["base"]["repo"]["full_name"].as_str());
    Some(PullEvent {
        pull: Pull {
            number: pr["number"]
                .as_u64()
                .or_else(|| payload["number"].as_u64())?,
            author: text(&pr["user"]["login"]),
            head_sha,
            head_ref: text(&pr["head"]["ref"]),
            base_ref: text(&pr["base"]["ref"]),
            from_fork,
            labels: labels(&pr["labels"]),
        },
        open: pr["state"].as_str() != Some("closed"),
        label: payload["label"]["name"].as_str().map(str::to_owned),
        repo_html_url: text(&payload["repository"]["html_url"]),
    })
}

/// Label names of a payload's `labels` array.
#[must_use]
pub fn labels(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["name"].as_str().map(str::to_owned))
        .collect()
}

/// Reads a `workflow_run` payload's run; `None` without an id or head commit.
#[must_use]
pub fn workflow_run(payload: &Value) -> Option<Run> {
    let r = payload.get("workflow_run")?;
    Some(Run {
        id: r["id"].as_u64()?,
        name: r["name"]
            .as_str()
            .filter(|n| !n.is_empty())
            .or_else(|| payload["workflow"]["name"].as_str())
            .unwrap_or_default()
            .to_owned(),
        path: r["path"]
            .as_str()
            .or_else(|| payload["workflow"]["path"].as_str())
            .unwrap_or_default()
            .to_owned(),
        workflow_id: r["workflow_id"]
            .as_u64()
            .or_else(|| payload["workflow"]["id"].as_u64()),
        status: text(&r["status"]),
        conclusion: r["conclusion"].as_str().map(str::to_owned),
        head_sha: r["head_sha"].as_str()?.to_owned(),
        head_branch: text(&r["head_branch"]),
        event: r["event"].as_str().map(str::to_owned),
        html_url: text(&r["html_url"]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(path: &str) -> Value {
        let file = format!(
            "{}/../../tests/fixtures/webhooks/{path}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(
            &std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}")),
        )
        .unwrap_or(Value::Null)
    }

    #[test]
    fn the_corpus_pull_request_is_read() {
        let event = pull_event(&corpus("pull_request/opened.payload.json")).unwrap_or_default();
        assert_eq!(event.pull.number, 2);
        assert_eq!(event.pull.author, "Codertocat");
        assert_eq!(
            event.pull.head_sha,
            "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
        );
        assert_eq!(
            (event.pull.head_ref.as_str(), event.pull.base_ref.as_str()),
            ("changes", "master")
        );
        assert!(!event.pull.from_fork);
        assert_eq!(event.pull.labels, ["bug"]);
        assert!(event.open);
        assert_eq!(event.label, None);
        assert_eq!(
            event.repo_html_url,
            "https://github.com/Codertocat/Hello-World"
        );
        let labeled = pull_event(&corpus("pull_request/labeled.payload.json")).unwrap_or_default();
        assert_eq!(labeled.label.as_deref(), Some("bug"));
    }

    #[test]
    fn a_fork_or_a_deleted_fork_is_a_fork() {
        let mut v = corpus("pull_request/opened.payload.json");
        v["pull_request"]["head"]["repo"]["full_name"] = "someone/Hello-World".into();
        assert!(
            pull_event(&v).is_some_and(|e| e.pull.from_fork && e.pull.dispatch_ref() == "master")
        );
        v["pull_request"]["head"]["repo"] = Value::Null;
        assert!(pull_event(&v).is_some_and(|e| e.pull.from_fork));
    }

    #[test]
    fn the_corpus_workflow_run_is_read_with_the_workflows_name_when_the_runs_is_empty() {
        let run = workflow_run(&corpus(
            "workflow_run/completed.with-pull-requests.payload.json",
        ))
        .unwrap_or_default();
        assert_eq!(run.id, 289_782_451);
        assert_eq!(run.name, "test");
        assert_eq!(run.path, ".github/workflows/test.yml");
        assert_eq!(run.workflow_id, Some(2_823_525));
        assert_eq!(
            (run.status.as_str(), run.conclusion.as_deref()),
            ("completed", Some("success"))
        );
        assert_eq!(run.head_sha, "3484a3fb816e0859fd6e1cea078d76385ff50625");
        assert_eq!(run.event.as_deref(), Some("repository_dispatch"));
        let requested =
            workflow_run(&corpus("workflow_run/requested.payload.json")).unwrap_or_default();
        assert_eq!(
            (requested.status.as_str(), requested.conclusion),
            ("queued", None)
        );
    }
}
