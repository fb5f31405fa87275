//! What the ci plugin decides, as pure functions: whether a pull request is admitted
//! (trusted author or the ok-to-test label), which jobs a pull request event or a
//! `/test` starts, which check runs a `workflow_run` belongs to and what they become,
//! and which runs `/retest` re-runs. Nothing here calls the host, so `cargo test`
//! runs it on the host target.
pub use gantry_plugin_sdk::Level;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The prefix of every check run the plugin creates: `gantry/ci: unit`.
pub const CHECK_PREFIX: &str = "gantry/ci: ";

/// The plugin's configuration (see `config_schema` in `gantry-plugin.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Config {
    /// The CI jobs.
    pub jobs: Vec<Job>,
    /// The weakest permission whose pull requests run without `/ok-to-test`.
    pub trusted_permission: Level,
    /// The label that admits a pull request.
    pub ok_to_test_label: String,
    /// The label on a pull request waiting for `/ok-to-test`.
    pub needs_ok_to_test_label: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            jobs: Vec::new(),
            trusted_permission: Level::Write,
            ok_to_test_label: "ok-to-test".into(),
            needs_ok_to_test_label: "needs-ok-to-test".into(),
        }
    }
}

/// One CI job: a workflow dispatched on the pull request's branch.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Job {
    /// The job's name (`/test NAME`, check run `gantry/ci: NAME`).
    pub name: String,
    /// The workflow's file name or id.
    pub workflow: String,
    /// Whether pull request events and `/test all` run it.
    #[serde(default = "yes")]
    pub always_run: bool,
    /// `workflow_dispatch` inputs.
    #[serde(default)]
    pub inputs: Map<String, Value>,
    /// The inputs the workflow declares, when configured; otherwise they are read
    /// from the workflow file ([`declared_inputs`]).
    #[serde(default)]
    pub declared_inputs: Option<Vec<String>>,
}

fn yes() -> bool {
    true
}

/// A pull request as the plugin needs it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pull {
    /// Its number.
    pub number: u64,
    /// Its author's login.
    pub author: String,
    /// The head commit.
    pub head_sha: String,
    /// The head branch.
    pub head_ref: String,
    /// The base branch.
    pub base_ref: String,
    /// Whether the head branch lives in a fork.
    pub from_fork: bool,
    /// Its labels.
    pub labels: Vec<String>,
}

impl Pull {
    /// Whether it carries `label`.
    #[must_use]
    pub fn has(&self, label: &str) -> bool {
        self.labels.iter().any(|l| l.eq_ignore_ascii_case(label))
    }

    /// The branch its workflows are dispatched on: the head branch, or for a fork
    /// (whose branches GitHub cannot dispatch on) the base branch, where the workflow
    /// checks out the `sha` input.
    #[must_use]
    pub fn dispatch_ref(&self) -> &str {
        if self.from_fork {
            &self.base_ref
        } else {
            &self.head_ref
        }
    }
}

/// Whether a pull request may run CI: its author has `trusted_permission`, or it
/// carries the ok-to-test label.
#[must_use]
pub fn admitted(pull: &Pull, author_level: Level, config: &Config) -> bool {
    author_level >= config.trusted_permission || pull.has(&config.ok_to_test_label)
}

/// What a `pull_request` event comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullDecision {
    /// Nothing (another action, another label, a closed pull request).
    Nothing,
    /// Start the automatic jobs that have not run on the head commit yet.
    Start,
    /// Label it as needing `/ok-to-test` and explain, once.
    AskOkToTest,
}

/// Decides on a `pull_request` event. `label` is the label a `labeled` event added;
/// `admitted` is [`admitted`]'s answer (only asked for when it matters).
#[must_use]
pub fn on_pull_request(
    action: &str,
    label: Option<&str>,
    open: bool,
    config: &Config,
    admitted: impl FnOnce() -> bool,
) -> PullDecision {
    if !open {
        return PullDecision::Nothing;
    }
    match action {
        "opened" | "reopened" | "synchronize" => {
            if admitted() {
                PullDecision::Start
            } else {
                PullDecision::AskOkToTest
            }
        }
        // Adding a label needs triage on GitHub: whoever added ok-to-test admits it.
        "labeled" if label.is_some_and(|l| l.eq_ignore_ascii_case(&config.ok_to_test_label)) => {
            PullDecision::Start
        }
        _ => PullDecision::Nothing,
    }
}

/// The reply to a pull request that waits for `/ok-to-test`.
#[must_use]
pub fn ok_to_test_request(author: &str, config: &Config) -> String {
    format!(
        "Thanks for the pull request, @{author}! CI does not run automatically for authors without {} access to this repository. \
         A maintainer with write access can start it by commenting `/ok-to-test` after checking the changes; until then it carries `{}`.",
        level_name(config.trusted_permission),
        config.needs_ok_to_test_label
    )
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::None => "any",
        Level::Read => "read",
        Level::Triage => "triage",
        Level::Write => "write",
        Level::Maintain => "maintain",
        Level::Admin => "admin",
    }
}

/// The jobs that run automatically.
#[must_use]
pub fn automatic(config: &Config) -> Vec<&Job> {
    config.jobs.iter().filter(|j| j.always_run).collect()
}

/// What `/test ARGS` asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct TestRequest<'a> {
    /// The jobs to run, in configuration order, each once.
    pub jobs: Vec<&'a Job>,
    /// Names that are no configured job.
    pub unknown: Vec<String>,
}

/// Reads `/test` arguments: `all`, or job names separated by spaces or commas
/// (without case).
#[must_use]
pub fn test_request<'a>(args: &str, config: &'a Config) -> TestRequest<'a> {
    let names: Vec<&str> = args
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .collect();
    if names.iter().any(|n| n.eq_ignore_ascii_case("all")) {
        return TestRequest {
            jobs: automatic(config),
            unknown: Vec::new(),
        };
    }
    let jobs = config
        .jobs
        .iter()
        .filter(|j| names.iter().any(|n| n.eq_ignore_ascii_case(&j.name)))
        .collect();
    let mut unknown: Vec<String> = Vec::new();
    for name in names {
        if !config
            .jobs
            .iter()
            .any(|j| j.name.eq_ignore_ascii_case(name))
            && !unknown.iter().any(|u| u == name)
        {
            unknown.push(name.to_owned());
        }
    }
    TestRequest { jobs, unknown }
}

/// The reply to `/test` without a known job: the usage and the configured names.
#[must_use]
pub fn test_help(commenter: &str, unknown: &[String], config: &Config) -> String {
    let listed = if config.jobs.is_empty() {
        "No CI jobs are configured on this repository.".to_owned()
    } else {
        let names = config
            .jobs
            .iter()
            .map(|j| {
                format!(
                    "`{}`{}",
                    j.name,
                    if j.always_run {
                        ""
                    } else {
                        " (on request only)"
                    }
                )
            })
            .collect::<Vec<_>>();
        format!(
            "The jobs are: {}. Use `/test NAME ...` or `/test all`.",
            names.join(", ")
        )
    };
    if unknown.is_empty() {
        format!("@{commenter}: `/test` needs a job name or `all`. {listed}")
    } else {
        let quoted = unknown
            .iter()
            .map(|u| format!("`{u}`"))
            .collect::<Vec<_>>()
            .join(", ");
        format!("@{commenter}: there is no CI job {quoted}. {listed}")
    }
}

/// The check run name of a job.
#[must_use]
pub fn check_name(job: &str) -> String {
    format!("{CHECK_PREFIX}{job}")
}

/// The `workflow_dispatch` inputs of a job for a pull request: the configured ones,
/// plus `pr` (the number) and `sha` (the head commit), as strings like all of
/// GitHub's inputs, when the workflow declares them (`declared`): GitHub refuses a
/// dispatch giving an input its workflow does not declare.
#[must_use]
pub fn dispatch_inputs(job: &Job, pull: &Pull, declared: &[String]) -> Value {
    let mut inputs = job.inputs.clone();
    let declares = |name: &str| declared.iter().any(|d| d == name);
    if declares("pr") {
        inputs.insert("pr".into(), Value::String(pull.number.to_string()));
    }
    if declares("sha") {
        inputs.insert("sha".into(), Value::String(pull.head_sha.clone()));
    }
    Value::Object(inputs)
}

/// Whether a job's workflow is named by its file (`ci.yml`), which can be read.
#[must_use]
pub fn workflow_file(workflow: &str) -> Option<String> {
    let file = workflow.ends_with(".yml") || workflow.ends_with(".yaml");
    (file && !workflow.contains('/')).then(|| format!(".github/workflows/{workflow}"))
}

/// The inputs a workflow file's `workflow_dispatch` trigger declares: the keys under
/// `on: workflow_dispatch: inputs:`, found by indentation (block-style YAML, as
/// workflows are written); none when it declares none.
#[must_use]
pub fn declared_inputs(yaml: &str) -> Vec<String> {
    let lines: Vec<(usize, &str)> = yaml
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| (l.len() - l.trim_start().len(), l.trim()))
        .collect();
    fn key(text: &str) -> Option<(String, &str)> {
        let (key, rest) = text.split_once(':')?;
        Some((key.trim().trim_matches(['"', '\'']).to_owned(), rest.trim()))
    }
    let Some(trigger) = lines
        .iter()
        .position(|(_, text)| key(text).is_some_and(|(k, _)| k == "workflow_dispatch"))
    else {
        return Vec::new();
    };
    let trigger_indent = lines[trigger].0;
    let mut declared = Vec::new();
    let mut inputs_indent = None;
    let mut input_indent = None;
    for (indent, text) in &lines[trigger + 1..] {
        if *indent <= trigger_indent {
            break;
        }
        match inputs_indent {
            None => {
                if key(text).is_some_and(|(k, _)| k == "inputs") {
                    inputs_indent = Some(*indent);
                }
            }
            Some(at) if *indent <= at => break,
            Some(_) => {
                let level = *input_indent.get_or_insert(*indent);
                if *indent == level {
                    if let Some((name, _)) = key(text) {
                        declared.push(name);
                    }
                }
            }
        }
    }
    declared
}

/// Where a queued check run links before its workflow run exists: the workflow's
/// runs on GitHub (by file name; an id links to the Actions tab).
#[must_use]
pub fn queued_link(repo_html_url: &str, workflow: &str) -> String {
    let base = repo_html_url.trim_end_matches('/');
    if workflow.bytes().all(|b| b.is_ascii_digit()) {
        format!("{base}/actions")
    } else {
        format!("{base}/actions/workflows/{workflow}")
    }
}

/// The check runs the plugin created on one head commit (KV `sha/<sha>`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Record {
    /// The pull request.
    pub pr: u64,
    /// The branch the workflows were dispatched on.
    #[serde(default)]
    pub dispatch_ref: String,
    /// One per job, the latest start of each.
    pub jobs: Vec<Tracked>,
}

/// One job's check run and, once a `workflow_run` event named it, its workflow run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tracked {
    /// The job's name.
    pub job: String,
    /// Its workflow (file name or id).
    pub workflow: String,
    /// The check run reporting on it.
    pub check_run: u64,
    /// The workflow run it became, once known.
    pub run: Option<u64>,
}

impl Record {
    /// Whether `job` was started on this commit.
    #[must_use]
    pub fn started(&self, job: &str) -> bool {
        self.jobs.iter().any(|t| t.job == job)
    }

    /// Records a (re)start of a job, replacing an earlier one.
    pub fn track(&mut self, tracked: Tracked) {
        self.jobs.retain(|t| t.job != tracked.job);
        self.jobs.push(tracked);
    }
}

/// A workflow run, from a `workflow_run` payload or the runs list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Run {
    /// Its id.
    pub id: u64,
    /// The workflow's name.
    pub name: String,
    /// The workflow file's path.
    pub path: String,
    /// The workflow's id, when known.
    pub workflow_id: Option<u64>,
    /// `queued`, `in_progress`, `completed`, ...
    pub status: String,
    /// How it ended.
    pub conclusion: Option<String>,
    /// The commit it runs on.
    pub head_sha: String,
    /// The branch it runs on.
    pub head_branch: String,
    /// What started it (`workflow_dispatch`, `push`, ...), when known.
    pub event: Option<String>,
    /// Its page.
    pub html_url: String,
}

/// Whether a run is of the workflow a job names: by file name, path, id or name.
#[must_use]
pub fn workflow_matches(workflow: &str, run: &Run) -> bool {
    let path = run.path.split('@').next().unwrap_or_default();
    let file = path.rsplit('/').next().unwrap_or_default();
    (!path.is_empty() && (workflow == path || workflow == file))
        || run.workflow_id.is_some_and(|id| workflow == id.to_string())
        || (!run.name.is_empty() && workflow == run.name)
}

/// The jobs of `record` that `run` reports on, binding the run to them: those it is
/// already bound to or, for a run started by `workflow_dispatch`, the first unbound
/// job of its workflow (two jobs of one workflow take its runs in turn).
pub fn bind(record: &mut Record, run: &Run) -> Vec<usize> {
    let bound: Vec<usize> = record
        .jobs
        .iter()
        .enumerate()
        .filter(|(_, t)| t.run == Some(run.id))
        .map(|(i, _)| i)
        .collect();
    if !bound.is_empty() {
        return bound;
    }
    if run
        .event
        .as_deref()
        .is_some_and(|e| e != "workflow_dispatch")
    {
        return Vec::new();
    }
    match record
        .jobs
        .iter()
        .position(|t| t.run.is_none() && workflow_matches(&t.workflow, run))
    {
        Some(i) => {
            record.jobs[i].run = Some(run.id);
            vec![i]
        }
        None => Vec::new(),
    }
}

/// A check run's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting.
    Queued,
    /// Running.
    InProgress,
    /// Done, with a conclusion.
    Completed(Conclusion),
}

/// How a check run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conclusion {
    /// Passed.
    Success,
    /// Failed.
    Failure,
    /// Neither.
    Neutral,
    /// Stopped.
    Cancelled,
    /// Not run.
    Skipped,
    /// Took too long.
    TimedOut,
    /// Needs someone.
    ActionRequired,
}

/// A change to one check run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckUpdate {
    /// Its new state.
    pub status: Status,
    /// Where it links.
    pub details_url: String,
    /// The output's title.
    pub title: String,
    /// The output's summary.
    pub summary: String,
}

/// What a workflow run's state makes of its check run.
#[must_use]
pub fn check_update(run: &Run, job: &str) -> CheckUpdate {
    let status = match run.status.as_str() {
        "completed" => Status::Completed(conclusion_of(run.conclusion.as_deref())),
        "in_progress" => Status::InProgress,
        _ => Status::Queued,
    };
    let title = match status {
        Status::Queued => "Queued".to_owned(),
        Status::InProgress => "Running".to_owned(),
        Status::Completed(Conclusion::Success) => "Passed".to_owned(),
        Status::Completed(Conclusion::Failure) => "Failed".to_owned(),
        Status::Completed(_) => {
            format!("Ended: {}", run.conclusion.as_deref().unwrap_or("unknown"))
        }
    };
    let summary = format!(
        "Job `{job}`: workflow run [{}]({}) on `{}`.",
        run.id,
        run.html_url,
        short(&run.head_sha)
    );
    CheckUpdate {
        status,
        details_url: run.html_url.clone(),
        title,
        summary,
    }
}

/// GitHub's conclusions of a workflow run as a check run's. `stale` and a missing
/// one are neutral; `startup_failure` is a failure.
#[must_use]
pub fn conclusion_of(conclusion: Option<&str>) -> Conclusion {
    match conclusion.unwrap_or_default() {
        "success" => Conclusion::Success,
        "failure" | "startup_failure" => Conclusion::Failure,
        "cancelled" => Conclusion::Cancelled,
        "skipped" => Conclusion::Skipped,
        "timed_out" => Conclusion::TimedOut,
        "action_required" => Conclusion::ActionRequired,
        _ => Conclusion::Neutral,
    }
}

/// The first 7 characters of a SHA.
#[must_use]
pub fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// Whether a completed run has jobs that re-running failed jobs would run again.
#[must_use]
pub fn failed(run: &Run) -> bool {
    run.status == "completed"
        && matches!(
            run.conclusion.as_deref(),
            Some("failure" | "cancelled" | "timed_out" | "startup_failure")
        )
}

/// One run `/retest` re-runs, with the indexes of the record's jobs it reports on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retest {
    /// The workflow run.
    pub run: u64,
    /// The job names it covers.
    pub jobs: Vec<String>,
}

/// The runs `/retest` re-runs: for each configured job, the run it is bound to or
/// else the newest run of its workflow on the commit (`runs` is newest first); those
/// that failed, each once.
#[must_use]
pub fn retest_plan(config: &Config, record: &Record, runs: &[Run]) -> Vec<Retest> {
    let mut out: Vec<Retest> = Vec::new();
    for job in &config.jobs {
        let tracked = record.jobs.iter().find(|t| t.job == job.name);
        let run = match tracked.and_then(|t| t.run) {
            Some(id) => runs.iter().find(|r| r.id == id),
            None => runs.iter().find(|r| workflow_matches(&job.workflow, r)),
        };
        let Some(run) = run.filter(|r| failed(r)) else {
            continue;
        };
        match out.iter_mut().find(|r| r.run == run.id) {
            Some(existing) => existing.jobs.push(job.name.clone()),
            None => out.push(Retest {
                run: run.id,
                jobs: vec![job.name.clone()],
            }),
        }
    }
    out
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
