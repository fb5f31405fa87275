//! The `gantry` command line against a running app's database: its changes are
//! audited as `cli` (secrets, GitHub links, replays; never a secret's value), and
//! `gantry audit head` exports a head that `gantry audit verify --expect-head`
//! checks, failing once the log's tail was removed.
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use gantry_server::auth::Role;
use sea_orm::{ConnectionTrait, DbBackend};

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, TestApp, TEST_KEY};

/// Runs `gantry` with `args` on the app's database and key, feeding `stdin`.
fn gantry(app: &TestApp, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(crate::process::gantry_bin())
        .args(args)
        .env("GANTRY_DATABASE__URL", &app.state.settings.database.url)
        .env("GANTRY_DATA_DIR", app.dir.path())
        .env("GANTRY_SECRETS__KEY", TEST_KEY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn ok(app: &TestApp, args: &[&str], stdin: &str) -> String {
    let out = gantry(app, args, stdin);
    assert!(
        out.status.success(),
        "gantry {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_line_changes_are_audited_as_the_cli_without_secret_values() {
    let app = spawn_app(AppOptions::default()).await;
    let webhook_secret = "a-webhook-secret-of-some-length-0123456789";
    ok(
        &app,
        &["secrets", "add", "--scope", "repo:acme/app"],
        webhook_secret,
    );
    ok(
        &app,
        &[
            "secrets",
            "plugin-set",
            "deploy-token",
            "--plugin",
            "hooks",
            "--host",
            "deploy.example.com",
            "--scope",
            "*",
        ],
        "plugin-secret-value-9876",
    );
    app.create_user("ann", Some(Role::Maintainer)).await;
    ok(
        &app,
        &[
            "user",
            "link-github",
            "--login",
            "ann",
            "--github",
            "Ann-GH",
        ],
        "",
    );
    let user = gantry_server::db::accounts::find_user_by_login(&app.state.db, "ann")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.github_login.as_deref(), Some("ann-gh"));
    let id = delivery_id();
    let body = corpus_payload("issues/opened.payload.json");
    assert_eq!(app.post_webhook("issues", &id, &body).await.status(), 202);
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    ok(&app, &["deliveries", "replay", &id], "");
    app.wait_for_idle_queue(Duration::from_secs(30)).await;
    let cancel = ok(&app, &["deliveries", "cancel", &id], "");
    assert!(cancel.contains("nothing_pending"), "{cancel}");

    for action in [
        "secret.added",
        "plugin_secret.set",
        "user.github_linked",
        "delivery.replayed",
        "job.cancelled",
    ] {
        let rows = gantry_server::db::audit::with_action(&app.state.db, action)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "{action}");
        assert_eq!(
            (rows[0].actor.as_str(), rows[0].actor_kind.as_str()),
            ("cli", "cli"),
            "{action}"
        );
    }
    use sea_orm::EntityTrait;
    let all = gantry_server::db::entities::audit_log::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(
        all.iter().all(|row| {
            let text = format!("{row:?}");
            !text.contains(webhook_secret) && !text.contains("plugin-secret-value")
        }),
        "no secret value is in the audit log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exported_head_finds_a_truncated_tail_with_gantry_audit_verify() {
    let app = spawn_app(AppOptions::default()).await;
    app.create_user("ann", None).await;
    app.create_user("bob", None).await;
    let head = ok(&app, &["audit", "head"], "").trim().to_owned();
    let (id, _) = head.split_once(':').expect("ID:HASH");
    let checked = ok(&app, &["audit", "verify", "--expect-head", &head], "");
    assert!(checked.contains("audit log intact"), "{checked}");

    let db = &app.state.db;
    let allow = match db.get_database_backend() {
        DbBackend::Postgres => "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
        _ => "DROP TRIGGER audit_log_no_delete",
    };
    db.execute_unprepared(allow).await.unwrap();
    db.execute_unprepared(&format!("DELETE FROM audit_log WHERE id = {id}"))
        .await
        .unwrap();
    assert!(
        gantry(&app, &["audit", "verify"], "").status.success(),
        "without a head, a shorter log verifies"
    );
    let out = gantry(&app, &["audit", "verify", "--expect-head", &head], "");
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("missing"), "{said}");
}
