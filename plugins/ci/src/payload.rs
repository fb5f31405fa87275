//! What the plugin reads from the typed webhook events: the pull request of a
//! `pull_request` event and the run of a `workflow_run` event. Pure: no host calls.
use gantry_plugin_sdk::events::{PullRequestEvent, WorkflowRunEvent};

use crate::rules::{Pull, Run};

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

/// Reads a `pull_request` event.
#[must_use]
pub fn pull_event(event: &PullRequestEvent) -> PullEvent {
    let pr = &event.pull_request;
    PullEvent {
        pull: Pull {
            number: pr.number,
            author: pr.user.login.clone(),
            head_sha: pr.head.sha.clone(),
            head_ref: pr.head.name.clone(),
            base_ref: pr.base.name.clone(),
            // A deleted fork leaves `head.repo` null: a fork too.
            from_fork: pr.is_from_fork(),
            labels: pr.label_names(),
        },
        open: pr.state != "closed",
        label: event.label.as_ref().map(|l| l.name.clone()),
        repo_html_url: event.repository.html_url.clone(),
    }
}

/// Reads a `workflow_run` event's run, with the workflow's name, path and id where
/// the run leaves them out.
#[must_use]
pub fn workflow_run(event: &WorkflowRunEvent) -> Run {
    let r = &event.workflow_run;
    let workflow = event.workflow.as_ref();
    Run {
        id: r.id,
        name: event.workflow_name().to_owned(),
        path: r
            .path
            .clone()
            .or_else(|| workflow.map(|w| w.path.clone()))
            .unwrap_or_default(),
        workflow_id: r.workflow_id.or_else(|| workflow.map(|w| w.id)),
        status: r.status.clone(),
        conclusion: r.conclusion.clone(),
        head_sha: r.head_sha.clone(),
        head_branch: r.head_branch.clone(),
        event: r.event.clone(),
        html_url: r.html_url.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::Value;

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

    fn pull(v: Value) -> PullEvent {
        pull_event(&serde_json::from_value(v).unwrap())
    }

    fn run(v: Value) -> Run {
        workflow_run(&serde_json::from_value(v).unwrap())
    }

    #[test]
    fn the_corpus_pull_request_is_read() {
        let event = pull(corpus("pull_request/opened.payload.json"));
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
        let labeled = pull(corpus("pull_request/labeled.payload.json"));
        assert_eq!(labeled.label.as_deref(), Some("bug"));
    }

    #[test]
    fn a_fork_or_a_deleted_fork_is_a_fork() {
        let mut v = corpus("pull_request/opened.payload.json");
        v["pull_request"]["head"]["repo"]["full_name"] = "someone/Hello-World".into();
        let fork = pull(v.clone());
        assert!(fork.pull.from_fork && fork.pull.dispatch_ref() == "master");
        v["pull_request"]["head"]["repo"] = Value::Null;
        assert!(pull(v).pull.from_fork);
    }

    #[test]
    fn the_corpus_workflow_run_is_read_with_the_workflows_name_when_the_runs_is_empty() {
        let run = run(corpus(
            "workflow_run/completed.with-pull-requests.payload.json",
        ));
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
        let requested = super::workflow_run(
            &serde_json::from_value(corpus("workflow_run/requested.payload.json")).unwrap(),
        );
        assert_eq!(
            (requested.status.as_str(), requested.conclusion),
            ("queued", None)
        );
    }
}
