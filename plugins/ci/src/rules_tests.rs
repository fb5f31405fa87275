//! Table tests of the ci plugin's decisions (`cargo test` on the host target).
use super::*;
use serde_json::json;

fn config() -> Config {
    serde_json::from_value(json!({
        "jobs": [
            {"name": "unit", "workflow": "unit.yml", "inputs": {"suite": "fast"}},
            {"name": "lint", "workflow": "lint.yml"},
            {"name": "e2e", "workflow": "1234", "always_run": false},
        ]
    }))
    .unwrap_or_default()
}

fn pull(labels: &[&str]) -> Pull {
    Pull {
        number: 7,
        author: "alice".into(),
        head_sha: "a".repeat(40),
        head_ref: "feature".into(),
        base_ref: "main".into(),
        from_fork: false,
        labels: labels.iter().map(|l| (*l).to_owned()).collect(),
    }
}

fn run(id: u64, path: &str, status: &str, conclusion: Option<&str>) -> Run {
    Run {
        id,
        name: "CI".into(),
        path: path.into(),
        workflow_id: None,
        status: status.into(),
        conclusion: conclusion.map(str::to_owned),
        head_sha: "a".repeat(40),
        head_branch: "feature".into(),
        event: Some("workflow_dispatch".into()),
        html_url: format!("https://github.com/o/r/actions/runs/{id}"),
    }
}

fn tracked(job: &str, workflow: &str, check_run: u64, run: Option<u64>) -> Tracked {
    Tracked {
        job: job.into(),
        workflow: workflow.into(),
        check_run,
        run,
    }
}

#[test]
fn the_configuration_takes_its_defaults() {
    let c = config();
    assert_eq!(c.trusted_permission, Level::Write);
    assert_eq!(
        (
            c.ok_to_test_label.as_str(),
            c.needs_ok_to_test_label.as_str()
        ),
        ("ok-to-test", "needs-ok-to-test")
    );
    assert!(c.jobs[0].always_run && !c.jobs[2].always_run);
    assert_eq!(c.jobs[0].inputs["suite"], "fast");
    let other: Config =
        serde_json::from_value(json!({"trusted_permission": "maintain", "jobs": []}))
            .unwrap_or_default();
    assert_eq!(other.trusted_permission, Level::Maintain);
}

#[test]
fn trusted_authors_and_the_ok_to_test_label_admit_a_pull_request() {
    let c = config();
    assert!(admitted(&pull(&[]), Level::Write, &c));
    assert!(admitted(&pull(&[]), Level::Admin, &c));
    assert!(!admitted(&pull(&[]), Level::Triage, &c));
    assert!(!admitted(&pull(&[]), Level::None, &c));
    assert!(
        admitted(&pull(&["OK-to-test"]), Level::None, &c),
        "labels match without case"
    );
    assert!(!admitted(&pull(&["needs-ok-to-test"]), Level::Read, &c));
}

#[test]
fn pull_request_events_start_jobs_or_ask_for_ok_to_test() {
    let c = config();
    let cases: &[(&str, Option<&str>, bool, bool, PullDecision)] = &[
        ("opened", None, true, true, PullDecision::Start),
        ("reopened", None, true, true, PullDecision::Start),
        ("synchronize", None, true, true, PullDecision::Start),
        ("opened", None, true, false, PullDecision::AskOkToTest),
        ("synchronize", None, true, false, PullDecision::AskOkToTest),
        ("opened", None, false, true, PullDecision::Nothing),
        (
            "labeled",
            Some("ok-to-test"),
            true,
            false,
            PullDecision::Start,
        ),
        ("labeled", Some("bug"), true, true, PullDecision::Nothing),
        ("closed", None, true, true, PullDecision::Nothing),
        ("edited", None, true, true, PullDecision::Nothing),
    ];
    for (action, label, open, trusted, want) in cases {
        assert_eq!(
            &on_pull_request(action, *label, *open, &c, || *trusted),
            want,
            "{action} {label:?} open={open} trusted={trusted}"
        );
    }
}

#[test]
fn the_permission_is_only_asked_when_it_matters() {
    let c = config();
    let asked = std::cell::Cell::new(false);
    let ask = || {
        asked.set(true);
        true
    };
    assert_eq!(
        on_pull_request("labeled", Some("bug"), true, &c, ask),
        PullDecision::Nothing
    );
    assert!(!asked.get());
}

#[test]
fn test_takes_job_names_or_all() {
    let c = config();
    let names = |args: &str| {
        let r = test_request(args, &c);
        (
            r.jobs.iter().map(|j| j.name.clone()).collect::<Vec<_>>(),
            r.unknown,
        )
    };
    assert_eq!(names("unit"), (vec!["unit".to_owned()], vec![]));
    assert_eq!(
        names("UNIT, e2e"),
        (vec!["unit".to_owned(), "e2e".to_owned()], vec![]),
        "any job by name, in configuration order"
    );
    assert_eq!(
        names("all"),
        (vec!["unit".to_owned(), "lint".to_owned()], vec![]),
        "all: the automatic jobs"
    );
    assert_eq!(
        names("unit x y x"),
        (
            vec!["unit".to_owned()],
            vec!["x".to_owned(), "y".to_owned()]
        )
    );
    assert_eq!(names(""), (vec![], vec![]));
}

#[test]
fn the_test_help_lists_the_jobs() {
    let c = config();
    let help = test_help("bob", &["x".to_owned()], &c);
    assert!(help.starts_with("@bob: there is no CI job `x`."), "{help}");
    assert!(
        help.contains("`unit`, `lint`, `e2e` (on request only)"),
        "{help}"
    );
    assert!(test_help("bob", &[], &c).contains("needs a job name or `all`"));
    assert!(test_help("bob", &[], &Config::default()).contains("No CI jobs are configured"));
}

#[test]
fn dispatches_carry_the_configured_inputs_with_the_pull_request_and_commit() {
    let c = config();
    let p = pull(&[]);
    let both = vec!["suite".to_owned(), "pr".to_owned(), "sha".to_owned()];
    assert_eq!(
        dispatch_inputs(&c.jobs[0], &p, &both),
        json!({"suite": "fast", "pr": "7", "sha": "a".repeat(40)})
    );
    // GitHub refuses inputs a workflow does not declare: `pr` and `sha` only go
    // where declared.
    assert_eq!(
        dispatch_inputs(&c.jobs[0], &p, &["sha".to_owned()]),
        json!({"suite": "fast", "sha": "a".repeat(40)})
    );
    assert_eq!(
        dispatch_inputs(&c.jobs[0], &p, &[]),
        json!({"suite": "fast"})
    );
    assert_eq!(p.dispatch_ref(), "feature");
    let fork = Pull {
        from_fork: true,
        ..p
    };
    assert_eq!(
        fork.dispatch_ref(),
        "main",
        "a fork's branch cannot be dispatched on"
    );
    assert_eq!(check_name("unit"), "gantry/ci: unit");
    assert_eq!(
        queued_link("https://github.com/o/r", "unit.yml"),
        "https://github.com/o/r/actions/workflows/unit.yml"
    );
    assert_eq!(
        queued_link("https://github.com/o/r/", "1234"),
        "https://github.com/o/r/actions"
    );
}

#[test]
fn runs_match_workflows_by_file_path_id_or_name() {
    let mut r = run(1, ".github/workflows/unit.yml", "queued", None);
    assert!(workflow_matches("unit.yml", &r));
    assert!(workflow_matches(".github/workflows/unit.yml", &r));
    assert!(workflow_matches("CI", &r));
    assert!(!workflow_matches("lint.yml", &r));
    assert!(!workflow_matches("1234", &r));
    r.workflow_id = Some(1234);
    assert!(workflow_matches("1234", &r));
    r.path = ".github/workflows/unit.yml@refs/heads/main".into();
    assert!(workflow_matches("unit.yml", &r), "a path with a ref");
}

#[test]
fn a_dispatched_run_binds_to_the_first_unbound_job_of_its_workflow() {
    let mut record = Record {
        pr: 7,
        dispatch_ref: "feature".into(),
        jobs: vec![
            tracked("unit", "unit.yml", 10, None),
            tracked("lint", "lint.yml", 11, None),
        ],
    };
    assert_eq!(
        bind(
            &mut record,
            &run(5, ".github/workflows/lint.yml", "queued", None)
        ),
        [1]
    );
    assert_eq!(record.jobs[1].run, Some(5));
    assert_eq!(
        bind(
            &mut record,
            &run(
                5,
                ".github/workflows/lint.yml",
                "completed",
                Some("success")
            )
        ),
        [1],
        "bound: found again"
    );
    assert_eq!(
        bind(
            &mut record,
            &run(6, ".github/workflows/lint.yml", "queued", None)
        ),
        Vec::<usize>::new(),
        "lint is taken"
    );
    let push = Run {
        event: Some("push".into()),
        ..run(7, ".github/workflows/unit.yml", "queued", None)
    };
    assert!(
        bind(&mut record, &push).is_empty(),
        "a push run is not ours"
    );
    assert_eq!(record.jobs[0].run, None);
}

#[test]
fn a_restarted_job_replaces_its_earlier_start() {
    let mut record = Record {
        pr: 7,
        dispatch_ref: "feature".into(),
        jobs: vec![tracked("unit", "unit.yml", 10, Some(5))],
    };
    assert!(record.started("unit") && !record.started("lint"));
    record.track(tracked("unit", "unit.yml", 12, None));
    assert_eq!(record.jobs, [tracked("unit", "unit.yml", 12, None)]);
}

#[test]
fn a_runs_state_becomes_its_check_runs() {
    let cases: &[(&str, Option<&str>, Status, &str)] = &[
        ("requested", None, Status::Queued, "Queued"),
        ("queued", None, Status::Queued, "Queued"),
        ("in_progress", None, Status::InProgress, "Running"),
        (
            "completed",
            Some("success"),
            Status::Completed(Conclusion::Success),
            "Passed",
        ),
        (
            "completed",
            Some("failure"),
            Status::Completed(Conclusion::Failure),
            "Failed",
        ),
        (
            "completed",
            Some("startup_failure"),
            Status::Completed(Conclusion::Failure),
            "Failed",
        ),
        (
            "completed",
            Some("timed_out"),
            Status::Completed(Conclusion::TimedOut),
            "Ended: timed_out",
        ),
        (
            "completed",
            Some("cancelled"),
            Status::Completed(Conclusion::Cancelled),
            "Ended: cancelled",
        ),
        (
            "completed",
            Some("stale"),
            Status::Completed(Conclusion::Neutral),
            "Ended: stale",
        ),
        (
            "completed",
            None,
            Status::Completed(Conclusion::Neutral),
            "Ended: unknown",
        ),
    ];
    for (status, conclusion, want, title) in cases {
        let update = check_update(&run(42, "ci.yml", status, *conclusion), "unit");
        assert_eq!(
            (update.status, update.title.as_str()),
            (*want, *title),
            "{status} {conclusion:?}"
        );
        assert_eq!(update.details_url, "https://github.com/o/r/actions/runs/42");
        assert!(
            update
                .summary
                .contains("[42](https://github.com/o/r/actions/runs/42)"),
            "{}",
            update.summary
        );
    }
}

#[test]
fn retest_reruns_the_latest_failed_run_of_each_job_once() {
    let c: Config = serde_json::from_value(json!({
        "jobs": [
            {"name": "unit", "workflow": "unit.yml"},
            {"name": "unit-slow", "workflow": "unit.yml"},
            {"name": "lint", "workflow": "lint.yml"},
            {"name": "e2e", "workflow": "e2e.yml", "always_run": false},
        ]
    }))
    .unwrap_or_default();
    // Newest first: unit.yml's latest run failed; an older one passed.
    let runs = [
        run(
            9,
            ".github/workflows/unit.yml",
            "completed",
            Some("failure"),
        ),
        run(
            8,
            ".github/workflows/lint.yml",
            "completed",
            Some("success"),
        ),
        run(
            7,
            ".github/workflows/e2e.yml",
            "completed",
            Some("timed_out"),
        ),
        run(
            6,
            ".github/workflows/unit.yml",
            "completed",
            Some("success"),
        ),
    ];
    let unbound = Record::default();
    assert_eq!(
        retest_plan(&c, &unbound, &runs),
        [
            Retest {
                run: 9,
                jobs: vec!["unit".into(), "unit-slow".into()]
            },
            Retest {
                run: 7,
                jobs: vec!["e2e".into()]
            }
        ]
    );
    // Bound jobs follow their own runs: unit-slow ran as 6, which passed.
    let bound = Record {
        pr: 7,
        dispatch_ref: "feature".into(),
        jobs: vec![
            tracked("unit", "unit.yml", 1, Some(9)),
            tracked("unit-slow", "unit.yml", 2, Some(6)),
        ],
    };
    assert_eq!(
        retest_plan(&c, &bound, &runs)[0],
        Retest {
            run: 9,
            jobs: vec!["unit".into()]
        }
    );
    // Running or passed: nothing.
    let fine = [
        run(9, ".github/workflows/unit.yml", "in_progress", None),
        run(
            8,
            ".github/workflows/lint.yml",
            "completed",
            Some("success"),
        ),
    ];
    assert!(retest_plan(&c, &unbound, &fine).is_empty());
}

#[test]
fn a_workflow_files_declared_inputs_are_read_from_its_dispatch_trigger() {
    let yaml = "name: CI\non:\n  push:\n    branches: [main]\n  workflow_dispatch:\n    inputs:\n      # the pull request\n      pr:\n        description: The number\n        required: false\n      'sha':\n        type: string\n  pull_request:\n    types: [opened]\njobs:\n  test:\n    runs-on: ubuntu-latest\n";
    assert_eq!(
        declared_inputs(yaml),
        vec!["pr".to_owned(), "sha".to_owned()]
    );
    let bare = "on:\n  workflow_dispatch:\njobs:\n  inputs:\n    x: 1\n";
    assert!(declared_inputs(bare).is_empty());
    assert!(declared_inputs("on: [push, workflow_dispatch]\n").is_empty());
    assert_eq!(
        workflow_file("ci.yml").as_deref(),
        Some(".github/workflows/ci.yml")
    );
    assert_eq!(workflow_file("1234"), None);
}
