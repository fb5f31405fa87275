//! `gantry sandbox` whole: its git traffic goes to its own simulator too (not to
//! github.com), so plugins that clone and push work in it. The real `gitter` fixture
//! clones the event's repository in a sandbox process; the bundled `releases` plugin
//! publishes a release a maintainer asked for (its held steps approved through the API
//! with a token made by the CLI the banner shows), `sync` mirrors a push, and the
//! `agent` reviews a pull request and plans an issue with no configuration, and a
//! repository's `.github/gantry.yml` is walked from a push to a failing check run
//! as docs/repository-config.md tells a user to.
use std::time::Duration;

use gantry_server::github::signature;
use serde_json::{json, Value};

use crate::helpers::{corpus_payload, delivery_id, wait_until, SECRET};
use crate::process::{free_port, ServerProcess};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_in_the_sandbox_clones_from_the_sandboxs_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox");
    let plugins = ServerProcess::plugin_dir(dir.path(), &["gitter"]);
    let config = dir.path().join("gantry.toml");
    std::fs::write(&config, "[plugins.config.gitter]\ntag = \"v9.9.9\"\n").unwrap();
    let (port, sim_port) = (free_port(), free_port());
    let sandbox =
        ServerProcess::sandbox_with(port, sim_port, &data, &plugins, Some(&config), &[]).await;

    let body = corpus_payload("issues/opened.payload.json");
    let answer = reqwest::Client::new()
        .post(sandbox.webhook_url())
        .header("content-type", "application/json")
        .header("x-github-event", "issues")
        .header("x-github-delivery", delivery_id())
        .header(
            "x-hub-signature-256",
            signature::sign(SECRET.as_bytes(), &body),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202);

    // The simulator makes a repository's bare git repository when git first asks
    // for it: there, beside its state file, once the plugin cloned from it.
    let bare = data.join("simulator-repos/codertocat/hello-world.git");
    wait_until(
        Duration::from_secs(60),
        "the sandbox's plugin to clone from the sandbox's simulator",
        || {
            let bare = bare.clone();
            async move { bare.join("HEAD").exists() }
        },
    )
    .await;
    let log = std::fs::read_to_string(data.with_extension("log")).unwrap_or_default();
    assert!(
        !log.contains("github.com"),
        "the sandbox reached for github.com:\n{log}"
    );
}

/// The sandbox's banner line that says how to run a `gantry` command on its data:
/// the command before ` admin create --login admin`.
fn cli_of(sandbox_log: &std::path::Path) -> String {
    let log = std::fs::read_to_string(sandbox_log).unwrap();
    log.lines()
        .find_map(|l| l.trim().strip_prefix("first admin:"))
        .and_then(|l| l.trim().strip_suffix(" admin create --login admin"))
        .unwrap_or_else(|| panic!("no `first admin:` line in the banner:\n{log}"))
        .to_owned()
}

/// Runs `gantry ARGS` on the sandbox's data as its banner says (through `sh`, as a
/// developer would paste it), with `stdin`; returns standard output.
fn sandbox_cli(cli: &str, args: &str, stdin: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("sh")
        .args(["-c", &format!("{cli} {args}")])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "gantry {args}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Runs git in `dir` without the user's configuration; returns standard output.
fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args([
            "-c",
            "credential.helper=",
            "-c",
            "user.name=Mona Lisa",
            "-c",
            "user.email=mona@example.com",
            "-c",
            "init.defaultBranch=master",
        ])
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Pushes a history to the sandbox's simulator over git smart HTTP, as a developer
/// would: `v0.0.1` on the first commit, then a feature and a fix on `master`.
/// Returns the new head.
fn push_history(sim_port: u16, work: &std::path::Path) -> String {
    std::fs::create_dir_all(work).unwrap();
    let url = format!(
        "http://x-access-token:sandbox-token@127.0.0.1:{sim_port}/Codertocat/Hello-World.git"
    );
    git(work, &["clone", "-q", &url, "."]);
    std::fs::write(work.join("README.md"), "# Hello\n").unwrap();
    git(work, &["add", "."]);
    git(work, &["commit", "-q", "-m", "Initial commit"]);
    git(work, &["tag", "-a", "v0.0.1", "-m", "v0.0.1"]);
    std::fs::write(work.join("greeting.txt"), "hello\n").unwrap();
    git(work, &["add", "."]);
    git(work, &["commit", "-q", "-m", "feat: add greeting"]);
    std::fs::write(work.join("greeting.txt"), "hello, you\n").unwrap();
    git(
        work,
        &["commit", "-q", "-am", "fix: handle empty names (#12)"],
    );
    git(
        work,
        &["push", "-q", "origin", "HEAD:refs/heads/master", "v0.0.1"],
    );
    git(work, &["rev-parse", "HEAD"])
}

/// Sends a signed delivery to the sandbox; asserts the 202.
async fn deliver(sandbox: &ServerProcess, event: &str, body: Vec<u8>) {
    let answer = reqwest::Client::new()
        .post(sandbox.webhook_url())
        .header("content-type", "application/json")
        .header("x-github-event", event)
        .header("x-github-delivery", delivery_id())
        .header(
            "x-hub-signature-256",
            signature::sign(SECRET.as_bytes(), &body),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202);
}

/// GET on the sandbox's simulator (it answers without credentials).
async fn sim_get(sim_port: u16, path: &str) -> Value {
    reqwest::Client::new()
        .get(format!("http://127.0.0.1:{sim_port}{path}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Gantry's replies on issue 1 of the repository, oldest first.
async fn replies(sim_port: u16) -> Vec<String> {
    let all = sim_get(
        sim_port,
        "/repos/Codertocat/Hello-World/issues/1/comments?per_page=100",
    )
    .await;
    all.as_array()
        .map(|a| {
            a.iter()
                .filter(|c| c["user"]["login"] == "gantry[bot]")
                .filter_map(|c| c["body"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_command_in_the_sandbox_is_held_approved_and_published_on_its_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox");
    let plugins = ServerProcess::plugin_dir(dir.path(), &["releases"]);
    let (port, sim_port) = (free_port(), free_port());
    let sandbox = ServerProcess::sandbox_with(port, sim_port, &data, &plugins, None, &[]).await;
    let cli = cli_of(&data.with_extension("log"));
    let sim = |path: &str| format!("http://127.0.0.1:{sim_port}{path}");
    let http = reqwest::Client::new();

    // A developer's first steps, as the banner says: an admin and an API token.
    sandbox_cli(
        &cli,
        "admin create --login admin --password-stdin",
        "a sandbox password of some length\n",
    );
    let token = sandbox_cli(
        &cli,
        "token create --user admin --name sandbox-test --role admin",
        "",
    );

    // The repository, its issue and history on the simulator; a maintainer.
    let comment: Value =
        serde_json::from_slice(&corpus_payload("issue_comment/created.payload.json")).unwrap();
    deliver(
        &sandbox,
        "issue_comment",
        serde_json::to_vec(&comment).unwrap(),
    )
    .await;
    let head = push_history(sim_port, &dir.path().join("work"));
    let granted = http
        .put(sim(
            "/repos/Codertocat/Hello-World/collaborators/maintainer",
        ))
        .json(&json!({ "permission": "maintain" }))
        .send()
        .await
        .unwrap();
    assert!(granted.status().is_success(), "{}", granted.status());

    // The maintainer asks for a release, on GitHub first, then its webhook.
    let created: Value = http
        .post(sim("/repos/Codertocat/Hello-World/issues/1/comments"))
        .header("x-sim-user", "maintainer")
        .json(&json!({ "body": "@gantry release v0.1.0" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut command = comment;
    command["comment"]["id"] = created["id"].clone();
    command["comment"]["body"] = "@gantry release v0.1.0".into();
    command["comment"]["user"]["login"] = "maintainer".into();
    command["sender"] = command["comment"]["user"].clone();
    deliver(
        &sandbox,
        "issue_comment",
        serde_json::to_vec(&command).unwrap(),
    )
    .await;

    // Each held step is approved through the API until the release is published.
    let mut seen = 0;
    let done = loop {
        seen += 1;
        assert!(seen <= 4, "more held steps than create, attach and publish");
        wait_until(
            Duration::from_secs(60),
            &format!("reply {seen}"),
            || async { replies(sim_port).await.len() >= seen },
        )
        .await;
        let reply = replies(sim_port).await[seen - 1].clone();
        let Some(id) = reply
            .split("approval: `")
            .nth(1)
            .and_then(|r| r.split('`').next())
        else {
            break reply;
        };
        let approved = http
            .post(format!(
                "http://127.0.0.1:{port}/api/v1/approvals/{id}/approve"
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(approved.status(), 200, "{}", approved.text().await.unwrap());
    };
    assert!(done.contains("released [`v0.1.0`]"), "{done}");
    let releases = sim_get(sim_port, "/repos/Codertocat/Hello-World/releases").await;
    assert_eq!(releases.as_array().map(Vec::len), Some(1), "{releases}");
    assert_eq!(releases[0]["tag_name"], "v0.1.0");
    assert_eq!(releases[0]["draft"], false);
    let notes = releases[0]["body"].as_str().unwrap_or_default();
    assert!(
        notes.contains("add greeting") && notes.contains("handle empty names"),
        "{notes}"
    );
    let tag = sim_get(
        sim_port,
        "/repos/Codertocat/Hello-World/git/ref/tags/v0.1.0",
    )
    .await;
    assert_eq!(tag["object"]["sha"], head.as_str(), "{tag}");

    // What the developer did through the CLI extends the sandbox's audit chain.
    sandbox_cli(&cli, "audit verify", "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_in_the_sandbox_is_mirrored_to_its_destination_on_the_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox");
    let plugins = ServerProcess::plugin_dir(dir.path(), &["sync"]);
    let config = dir.path().join("gantry.toml");
    std::fs::write(
        &config,
        "[[plugins.config.sync.mirrors]]\nname = \"backup\"\nsource = \"Codertocat/Hello-World\"\ndestination = \"Codertocat/mirror\"\nbranches = [\"master\"]\n",
    )
    .unwrap();
    let (port, sim_port) = (free_port(), free_port());
    let sandbox =
        ServerProcess::sandbox_with(port, sim_port, &data, &plugins, Some(&config), &[]).await;
    let cli = cli_of(&data.with_extension("log"));

    // The destination accepts the mirror and lets the plugin push there, as its
    // maintainers and the operator would set it (docs/plugins/sync.md).
    sandbox_cli(
        &cli,
        r#"plugin configure sync --repo Codertocat/mirror --set '{"accept_mirrors_from": ["Codertocat/Hello-World"]}'"#,
        "",
    );
    sandbox_cli(
        &cli,
        "policy add --scope repo:Codertocat/mirror --plugin sync --capability git:push --effect allow",
        "",
    );
    // The source is known to the simulator from a delivery, as GitHub knows it; the
    // destination is made by giving someone access to it (in sandbox mode the
    // simulator then creates an unknown repository, docs/simulator.md).
    let comment = corpus_payload("issue_comment/created.payload.json");
    deliver(&sandbox, "issue_comment", comment).await;
    let granted = reqwest::Client::new()
        .put(format!(
            "http://127.0.0.1:{sim_port}/repos/Codertocat/mirror/collaborators/mona"
        ))
        .json(&json!({ "permission": "push" }))
        .send()
        .await
        .unwrap();
    assert!(granted.status().is_success(), "{}", granted.status());
    let head = push_history(sim_port, &dir.path().join("work"));

    let mut push: Value = serde_json::from_slice(&corpus_payload("push/payload.json")).unwrap();
    push["ref"] = "refs/heads/master".into();
    push["after"] = head.as_str().into();
    // The corpus push deletes a tag; this one moves a branch (the simulator learns
    // from it, as it learns from every delivery of the sandbox).
    push["deleted"] = false.into();
    deliver(&sandbox, "push", serde_json::to_vec(&push).unwrap()).await;

    let mirror = format!("http://127.0.0.1:{sim_port}/Codertocat/mirror.git");
    let work = dir.path().join("work");
    wait_until(
        Duration::from_secs(60),
        "the mirror's master to be the source's head",
        || {
            let (mirror, work, head) = (mirror.clone(), work.clone(), head.clone());
            async move {
                let out = std::process::Command::new("git")
                    .args(["ls-remote", &mirror, "refs/heads/master"])
                    .current_dir(&work)
                    .env("GIT_TERMINAL_PROMPT", "0")
                    .output()
                    .unwrap();
                String::from_utf8_lossy(&out.stdout).starts_with(&head)
            }
        },
    )
    .await;
    sandbox_cli(&cli, "audit verify", "");
}

/// The sandbox with no configuration runs the bundled `agent` with its rule-based
/// provider: a collaborator's `@gantry review` on a pull request whose diff adds a
/// TODO gets one review with a line comment there, and `@gantry plan` on an issue a
/// checklist. Everything is seeded over the sandbox's simulator's HTTP API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_in_the_sandbox_reviews_a_pull_request_and_plans_an_issue_without_configuration()
{
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox");
    let plugins = ServerProcess::plugin_dir(dir.path(), &["agent"]);
    let (port, sim_port) = (free_port(), free_port());
    let sandbox = ServerProcess::sandbox_with(port, sim_port, &data, &plugins, None, &[]).await;
    let sim =
        |path: &str| format!("http://127.0.0.1:{sim_port}/repos/Codertocat/Hello-World{path}");
    let http = reqwest::Client::new();

    // The corpus pull request (#2) and issue (#1), its diff, and a collaborator.
    deliver(
        &sandbox,
        "pull_request",
        corpus_payload("pull_request/opened.payload.json"),
    )
    .await;
    // The simulator learns the pull request when the sandbox handles the delivery.
    wait_until(Duration::from_secs(60), "the simulator to know #2", || {
        let url = sim("/pulls/2");
        async move { reqwest::get(url).await.unwrap().status() == 200 }
    })
    .await;
    let files = json!([{ "filename": "src/lib.rs", "additions": 1,
        "patch": "@@ -1,2 +1,3 @@\n fn a() {}\n+// TODO: b\n fn c() {}" }]);
    let seeded = http
        .put(format!(
            "http://127.0.0.1:{sim_port}/_simulator/repos/Codertocat/Hello-World/pulls/2/files"
        ))
        .json(&files)
        .send()
        .await
        .unwrap();
    assert_eq!(seeded.status(), 204);
    let granted = http
        .put(sim("/collaborators/writer"))
        .json(&json!({ "permission": "push" }))
        .send()
        .await
        .unwrap();
    assert!(granted.status().is_success());

    let command = |number: u64, body: &str| {
        let mut v: Value =
            serde_json::from_slice(&corpus_payload("issue_comment/created.payload.json")).unwrap();
        v["issue"]["number"] = number.into();
        if number == 2 {
            v["issue"]["pull_request"] =
                json!({ "url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/2" });
        }
        v["comment"]["body"] = body.into();
        v["comment"]["user"]["login"] = "writer".into();
        v["sender"] = v["comment"]["user"].clone();
        serde_json::to_vec(&v).unwrap()
    };
    deliver(&sandbox, "issue_comment", command(2, "@gantry review")).await;
    wait_until(Duration::from_secs(60), "the agent's review", || {
        let url =
            format!("http://127.0.0.1:{sim_port}/repos/Codertocat/Hello-World/pulls/2/reviews");
        async move {
            let reviews: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
            reviews.as_array().is_some_and(|r| !r.is_empty())
        }
    })
    .await;
    let reviews = sim_get(sim_port, "/repos/Codertocat/Hello-World/pulls/2/reviews").await;
    assert_eq!(reviews.as_array().unwrap().len(), 1, "{reviews}");
    assert_eq!(reviews[0]["state"], "COMMENTED");
    let lines = sim_get(sim_port, "/repos/Codertocat/Hello-World/pulls/2/comments").await;
    assert_eq!(lines[0]["path"], "src/lib.rs", "{lines}");
    assert_eq!(lines[0]["line"], 2, "{lines}");

    deliver(&sandbox, "issue_comment", command(1, "@gantry plan")).await;
    wait_until(Duration::from_secs(60), "the agent's plan", || async move {
        replies(sim_port)
            .await
            .iter()
            .any(|r| r.contains("gantry-agent:plan") && r.contains("- [ ] "))
    })
    .await;
}

/// A plugin's `log` lines reach the server's log at their own level with the
/// plugin's name: hooks' `info` line shows under the default `info` filter, its
/// `debug` lines do not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugins_log_lines_reach_the_servers_log_at_their_own_level_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox");
    let plugins = ServerProcess::plugin_dir(dir.path(), &["hooks"]);
    let (port, sim_port) = (free_port(), free_port());
    let sandbox = ServerProcess::sandbox_with(
        port,
        sim_port,
        &data,
        &plugins,
        None,
        &[("RUST_LOG", "info")],
    )
    .await;
    deliver(
        &sandbox,
        "issues",
        corpus_payload("issues/opened.payload.json"),
    )
    .await;
    let log_file = data.with_extension("log");
    let wanted = |l: &str| {
        l.contains("INFO") && l.contains("plugin=hooks") && l.contains("labelled #1 with")
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut log = String::new();
    while std::time::Instant::now() < deadline {
        log = without_colours(&std::fs::read_to_string(&log_file).unwrap_or_default());
        if log.lines().any(wanted) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        log.lines().any(wanted),
        "no INFO line of hooks labelling #1:\n{log}"
    );
    assert!(
        !log.contains("DEBUG"),
        "debug lines stay out at the info filter:\n{log}"
    );
}

/// `text` without the terminal colour codes the server's log lines carry.
fn without_colours(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // ESC [ ... m
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A signed delivery to the sandbox; returns its id.
async fn deliver_value(sandbox: &ServerProcess, event: &str, payload: &Value) -> String {
    let id = delivery_id();
    let body = serde_json::to_vec(payload).unwrap();
    let answer = reqwest::Client::new()
        .post(sandbox.webhook_url())
        .header("content-type", "application/json")
        .header("x-github-event", event)
        .header("x-github-delivery", &id)
        .header(
            "x-hub-signature-256",
            signature::sign(SECRET.as_bytes(), &body),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202);
    id
}

/// Waits until delivery `id`'s job is done, asking the sandbox's API.
async fn processed(port: u16, token: &str, id: &str) {
    let url = format!("http://127.0.0.1:{port}/api/v1/deliveries/{id}");
    wait_until(
        Duration::from_secs(60),
        &format!("delivery {id} to be processed"),
        || {
            let (url, token) = (url.clone(), token.to_owned());
            async move {
                let Ok(answer) = reqwest::Client::new()
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                else {
                    return false;
                };
                let detail: Value = answer.json().await.unwrap_or_default();
                detail["jobs"][0]["status"] == "done"
            }
        },
    )
    .await;
}

/// The walk of docs/repository-config.md ("Try it in the sandbox"), through the
/// sandbox's own simulator: the sandbox turns `[repository_config]` on; a
/// `.github/gantry.yml` setting the hooks plugin's rules pushed to another branch
/// has no effect; pushed to the default branch, it applies from the next event; a
/// pull request bringing an invalid file gets a failing `gantry/config` check run
/// on its head commit, with an annotation per problem.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_walks_repository_config_from_a_push_to_a_failing_check_run() {
    use base64::Engine as _;
    const LABEL: &str = "from-repo-config";
    const GOOD: &str =
        "hooks:\n  rules:\n    - on: issues.opened\n      add_labels: [from-repo-config]\n";
    const BAD: &str =
        "hooks:\n  rules:\n    - on: issues.opened\n      add_labels: oops\nnope: {}\n";
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox");
    let plugins = ServerProcess::plugin_dir(dir.path(), &["hooks"]);
    let (port, sim_port) = (free_port(), free_port());
    let sandbox = ServerProcess::sandbox_with(port, sim_port, &data, &plugins, None, &[]).await;
    let banner = std::fs::read_to_string(data.with_extension("log")).unwrap();
    assert!(
        banner.contains("repository config: on"),
        "the banner says .github/gantry.yml is read:\n{banner}"
    );
    let cli = cli_of(&data.with_extension("log"));
    sandbox_cli(
        &cli,
        "admin create --login admin --password-stdin",
        "a sandbox password of some length\n",
    );
    let token = sandbox_cli(
        &cli,
        "token create --user admin --name walk --role admin",
        "",
    );
    let repo = format!("http://127.0.0.1:{sim_port}/repos/Codertocat/Hello-World");
    let http = reqwest::Client::new();
    let issue = |number: u64| {
        let mut v: Value =
            serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
        v["issue"]["number"] = number.into();
        v
    };
    let labels = |number: u64| {
        let url = format!("{repo}/issues/{number}/labels");
        async move {
            let all: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
            all.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|l| l["name"].as_str().map(str::to_owned))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        }
    };
    // Opens issue `number` and returns its labels once it is processed.
    let open = |number: u64| {
        let (sandbox, token, labels) = (&sandbox, &token, &labels);
        async move {
            let id = deliver_value(sandbox, "issues", &issue(number)).await;
            processed(port, token, &id).await;
            labels(number).await
        }
    };
    // Commits the file on `branch` through the contents API (replacing the one
    // there); returns the commit.
    let commit = |branch: &'static str, content: &'static str| {
        let (http, repo) = (&http, &repo);
        async move {
            let mut body = json!({
                "message": "Configure Gantry",
                "content": base64::engine::general_purpose::STANDARD.encode(content),
                "branch": branch,
            });
            // Replacing the file there, as on GitHub, names the blob it replaces.
            let there = http
                .get(format!("{repo}/contents/.github/gantry.yml?ref={branch}"))
                .send()
                .await
                .unwrap();
            if there.status().is_success() {
                body["sha"] = there.json::<Value>().await.unwrap()["sha"].clone();
            }
            let answer = http
                .put(format!("{repo}/contents/.github/gantry.yml"))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(answer.status().is_success(), "{}", answer.status());
            let answer: Value = answer.json().await.unwrap();
            answer["commit"]["sha"].as_str().unwrap().to_owned()
        }
    };
    let push = |branch: &str, sha: &str| {
        let mut v: Value = serde_json::from_slice(&corpus_payload("push/payload.json")).unwrap();
        v["ref"] = format!("refs/heads/{branch}").into();
        v["after"] = sha.into();
        v["deleted"] = false.into();
        v["created"] = false.into();
        v["commits"] =
            json!([{"id": sha, "added": [".github/gantry.yml"], "modified": [], "removed": []}]);
        v
    };
    // A branch at the default branch's head.
    let branch = |name: &'static str| {
        let (http, repo) = (&http, &repo);
        async move {
            let head: Value = http
                .get(format!("{repo}/git/ref/heads/master"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let made = http
                .post(format!("{repo}/git/refs"))
                .json(&json!({"ref": format!("refs/heads/{name}"), "sha": head["object"]["sha"]}))
                .send()
                .await
                .unwrap();
            assert!(made.status().is_success(), "{}", made.status());
        }
    };

    // The repository, known to the simulator from a first delivery; Gantry's rules.
    let first = open(1).await;
    assert!(first.contains(&"needs-triage".to_owned()), "{first:?}");

    // The file on another branch: no effect.
    branch("feature").await;
    let sha = commit("feature", GOOD).await;
    let id = deliver_value(&sandbox, "push", &push("feature", &sha)).await;
    processed(port, &token, &id).await;
    let second = open(2).await;
    assert!(
        !second.contains(&LABEL.to_owned()) && second.contains(&"needs-triage".to_owned()),
        "another branch's file has no effect: {second:?}"
    );

    // The file on the default branch: in force once its push is processed.
    let sha = commit("master", GOOD).await;
    let id = deliver_value(&sandbox, "push", &push("master", &sha)).await;
    processed(port, &token, &id).await;
    let third = open(3).await;
    assert!(
        third.contains(&LABEL.to_owned()) && !third.contains(&"needs-triage".to_owned()),
        "the file's rules replace Gantry's: {third:?}"
    );

    // A pull request bringing an invalid file: a failing gantry/config check run.
    branch("bad-config").await;
    let head = commit("bad-config", BAD).await;
    let pull: Value = http
        .post(format!("{repo}/pulls"))
        .json(&json!({"title": "Break the config", "head": "bad-config", "base": "master"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let number = pull["number"]
        .as_u64()
        .expect("the pull request was opened");
    assert_eq!(pull["head"]["sha"], head.as_str());
    let seeded = http
        .put(format!(
            "http://127.0.0.1:{sim_port}/_simulator/repos/Codertocat/Hello-World/pulls/{number}/files"
        ))
        .json(&json!([{"filename": ".github/gantry.yml", "status": "added", "additions": 5}]))
        .send()
        .await
        .unwrap();
    assert_eq!(seeded.status(), 204);
    let mut opened: Value =
        serde_json::from_slice(&corpus_payload("pull_request/opened.payload.json")).unwrap();
    opened["number"] = number.into();
    opened["pull_request"]["number"] = number.into();
    opened["pull_request"]["head"]["ref"] = "bad-config".into();
    opened["pull_request"]["head"]["sha"] = head.as_str().into();
    let id = deliver_value(&sandbox, "pull_request", &opened).await;
    processed(port, &token, &id).await;
    let runs = sim_get(
        sim_port,
        &format!(
            "/repos/Codertocat/Hello-World/commits/{head}/check-runs?check_name=gantry/config"
        ),
    )
    .await;
    let runs = runs["check_runs"].as_array().cloned().unwrap_or_default();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["conclusion"], "failure", "{}", runs[0]);
    assert_eq!(runs[0]["output"]["annotations_count"], 2, "{}", runs[0]);
    let summary = runs[0]["output"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("line 4: `hooks` does not match the plugin's schema")
            && summary.contains("line 5: `nope` is not a plugin installed in Gantry"),
        "{summary}"
    );

    // The pull request's file never took effect: the default branch's still does.
    let fourth = open(4).await;
    assert!(fourth.contains(&LABEL.to_owned()), "{fourth:?}");
    sandbox_cli(&cli, "audit verify", "");
}
