//! `gantry sandbox` whole: its git traffic goes to its own simulator too (not to
//! github.com), so plugins that clone and push work in it. The real `gitter` fixture
//! clones the event's repository in a sandbox process.
use std::time::Duration;

use gantry_server::github::signature;

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
