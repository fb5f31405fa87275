//! The audit log holds under faults: each change and its audit row commit together
//! (a crash between them leaves neither); the chain is an HMAC under a key derived
//! from `secrets.key`, so rows forged without it break the chain; a head kept
//! elsewhere finds a truncated tail; the database refuses to empty the log, and a
//! rollback past it needs `--force`.
use gantry_server::auth::accounts;
use gantry_server::crypto::AuditKey;
use gantry_server::db::audit::{self, AuditEntry, Head};
use gantry_server::domain::{Actor, AuditAction, Secret};
use gantry_server::services::policies::{self, RuleForm};
use reqwest::Method;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait};

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp};

fn rule(capability: &str, effect: &str) -> RuleForm {
    RuleForm {
        scope: "global".into(),
        plugin: None,
        capability: capability.into(),
        effect: effect.into(),
        branch: None,
        event_branch: None,
        min_permission: None,
        enforced: false,
        approvals: None,
    }
}

async fn audit_rows(app: &TestApp) -> u64 {
    gantry_server::db::entities::audit_log::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap()
}

/// Makes every audit insert fail, as a crash between a change and its audit row
/// would leave the change alone.
async fn break_audit_inserts(db: &sea_orm::DatabaseConnection) {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.execute_unprepared(
                "CREATE FUNCTION fail_audit() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'the disk is on fire'; END $$",
            )
            .await
            .unwrap();
            db.execute_unprepared(
                "CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log \
                 FOR EACH ROW EXECUTE FUNCTION fail_audit()",
            )
            .await
            .unwrap();
        }
        _ => {
            db.execute_unprepared(
                "CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log \
                 BEGIN SELECT RAISE(ABORT, 'the disk is on fire'); END",
            )
            .await
            .unwrap();
        }
    }
}

/// Lets rows be deleted, as someone with enough access to the database can.
async fn allow_deletes(db: &sea_orm::DatabaseConnection) {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
        _ => "DROP TRIGGER audit_log_no_delete",
    };
    db.execute_unprepared(sql).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_a_change_and_its_audit_row_leaves_neither() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["asker"]),
        ..AppOptions::default()
    })
    .await;
    let db = &app.state.db;
    policies::add(
        db,
        app.state.audit_key(),
        &Actor::cli(),
        RuleForm {
            plugin: Some("asker".into()),
            ..rule("issues:write", "ask")
        },
    )
    .await
    .unwrap();
    let id = delivery_id();
    let body = corpus_payload("issues/opened.payload.json");
    assert_eq!(app.post_webhook("issues", &id, &body).await.status(), 202);
    app.wait_for_idle_queue(std::time::Duration::from_secs(30))
        .await;
    let held = gantry_server::db::approvals::list(db, None).await.unwrap();
    assert_eq!(held.len(), 1);
    let before = audit_rows(&app).await;

    break_audit_inserts(db).await;
    // A policy rule.
    let (key, cli) = (app.state.audit_key(), Actor::cli());
    assert!(policies::add(db, key, &cli, rule("issues:write", "deny"))
        .await
        .is_err());
    assert_eq!(
        gantry_server::policy::store::all(db).await.unwrap().len(),
        1,
        "the rule was stored without its audit row"
    );
    // An account.
    assert!(accounts::create_user(db, key, &cli, "eve", None, None)
        .await
        .is_err());
    assert!(gantry_server::db::accounts::find_user_by_login(db, "eve")
        .await
        .unwrap()
        .is_none());
    // A decision on a held action.
    let denied = app
        .api(
            Method::POST,
            &format!("/approvals/{}/deny", held[0].public_id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 503);
    let now = gantry_server::db::approvals::find(db, &held[0].public_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.status, "pending");
    // A plugin switch.
    let disabled = app
        .api(Method::POST, "/plugins/asker/disable")
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), 503);
    let asker = gantry_server::db::plugins::find(db, "asker")
        .await
        .unwrap()
        .unwrap();
    assert!(asker.enabled);
    assert_eq!(audit_rows(&app).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_audit_tail_fails_verify_with_the_expected_head() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let (db, key, cli) = (&app.state.db, app.state.audit_key(), Actor::cli());
    for capability in ["issues:write", "checks:write", "statuses:write"] {
        policies::add(db, key, &cli, rule(capability, "deny"))
            .await
            .unwrap();
    }
    let head = audit::head(db).await.unwrap().unwrap();
    assert_eq!(head.id, 3);
    let exported: Head = head.to_string().parse().unwrap();
    assert_eq!(exported, head);
    let verified = audit::verify(db, key, Some(&exported))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((verified.rows, verified.head), (3, Some(head.clone())));

    allow_deletes(db).await;
    db.execute_unprepared(&format!("DELETE FROM audit_log WHERE id = {}", head.id))
        .await
        .unwrap();
    assert!(
        audit::verify(db, key, None).await.unwrap().is_ok(),
        "the chain alone cannot tell a shorter log"
    );
    let broken = audit::verify(db, key, Some(&exported))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(broken.id, 3);
    assert!(broken.problem.contains("missing"), "{}", broken.problem);
    assert!("3:abc".parse::<Head>().is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_forged_without_the_chain_key_breaks_the_chain() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let (db, key) = (&app.state.db, app.state.audit_key());
    assert!(key.is_keyed());
    let entry = || AuditEntry::new(Actor::cli(), AuditAction::SecretAdded).outcome("ok");
    audit::record(db, key, entry()).await.unwrap();
    audit::record(db, key, entry()).await.unwrap();
    let verified = audit::verify(db, key, None).await.unwrap().unwrap();
    assert_eq!((verified.rows, verified.keyed_rows), (2, 2));

    let other = AuditKey::derive(Some(&Secret::new(
        "b3RoZXIta2V5LXRoYXQtaXMtMzItYnl0ZXMtbG9uZyE=",
    )))
    .unwrap();
    let wrong = audit::verify(db, &other, None).await.unwrap().unwrap_err();
    assert_eq!(wrong.id, 1, "rows keyed under another key do not verify");
    let unkeyed = AuditKey::derive(None).unwrap();
    assert!(audit::verify(db, &unkeyed, None).await.unwrap().is_err());

    // A process without the key (or with another) refuses to chain onto keyed rows,
    // rather than break the chain.
    let refused = audit::record(db, &unkeyed, entry()).await.unwrap_err();
    assert!(refused.to_string().contains("secrets.key"), "{refused}");
    assert!(audit::record(db, &other, entry()).await.is_err());
    // Someone who can write the database but lacks the key can only chain a plain
    // digest; verify finds it.
    forge_unkeyed_row(db).await;
    let forged = audit::verify(db, key, None).await.unwrap().unwrap_err();
    assert_eq!(forged.id, 3);
    assert!(forged.problem.contains("not keyed"), "{}", forged.problem);
}

/// Inserts a row chained onto the last one with a plain SHA-256, as someone with
/// write access to the database but without `secrets.key` can.
async fn forge_unkeyed_row(db: &sea_orm::DatabaseConnection) {
    use chrono::Timelike;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, QueryOrder};
    use sha2::{Digest, Sha256};
    let tip = gantry_server::db::entities::audit_log::Entity::find()
        .order_by_desc(gantry_server::db::entities::audit_log::Column::Id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let at = chrono::Utc::now().with_nanosecond(0).unwrap();
    let canonical = serde_json::json!([
        at.timestamp_micros(),
        "mallory",
        "user",
        "policy.deleted",
        null,
        null,
        null,
        "ok",
        null,
        null,
        tip.hash
    ]);
    let hash = hex::encode(Sha256::digest(canonical.to_string().as_bytes()));
    gantry_server::db::entities::audit_log::ActiveModel {
        at: Set(at),
        actor: Set("mallory".into()),
        actor_kind: Set("user".into()),
        action: Set("policy.deleted".into()),
        outcome: Set(Some("ok".into())),
        prev_hash: Set(tip.hash),
        hash: Set(hash),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_written_before_a_key_was_configured_still_verify_with_it() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let (db, key) = (&app.state.db, app.state.audit_key());
    let unkeyed = AuditKey::derive(None).unwrap();
    let entry = || AuditEntry::new(Actor::system(), AuditAction::PluginDisabled);
    // As a server before keys wrote: an empty log, so no keyed row refuses it.
    audit::record(db, &unkeyed, entry()).await.unwrap();
    audit::record(db, key, entry()).await.unwrap();
    let verified = audit::verify(db, key, None).await.unwrap().unwrap();
    assert_eq!((verified.rows, verified.keyed_rows), (2, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_refuses_to_empty_the_audit_log() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let db = &app.state.db;
    policies::add(db, app.state.audit_key(), &Actor::cli(), rule("*", "ask"))
        .await
        .unwrap();
    assert!(db
        .execute_unprepared("DELETE FROM audit_log")
        .await
        .is_err());
    if db.get_database_backend() == DbBackend::Postgres {
        assert!(
            db.execute_unprepared("TRUNCATE audit_log").await.is_err(),
            "TRUNCATE fires no row trigger; the statement trigger refuses it"
        );
    }
    assert_eq!(audit_rows(&app).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_back_the_audit_logs_migrations_needs_force() {
    use gantry_migrations::MigratorTrait;
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let db = &app.state.db;
    let applied = || async {
        gantry_migrations::Migrator::get_applied_migrations(db)
            .await
            .unwrap()
            .len()
    };
    let all = applied().await;
    // Enough steps to reach the latest audit guard (later migrations come after it).
    let names: Vec<String> = gantry_migrations::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let guard = names
        .iter()
        .rposition(|n| gantry_migrations::AUDIT_GUARDS.contains(&n.as_str()))
        .unwrap();
    let steps = u32::try_from(names.len() - guard).unwrap();
    let refused = gantry_server::db::roll_back(db, Some(steps), false)
        .await
        .unwrap_err();
    assert!(format!("{refused:#}").contains("--force"), "{refused:#}");
    assert!(gantry_server::db::roll_back(db, None, false).await.is_err());
    assert_eq!(applied().await, all, "nothing was rolled back");
    gantry_server::db::roll_back(db, Some(steps), true)
        .await
        .unwrap();
    assert_eq!(applied().await, all - steps as usize);
    gantry_server::db::migrate(db).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_changes_each_commit_with_their_own_row_and_the_chain_stays_whole() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let (db, key) = (&app.state.db, app.state.audit_key());
    let cli = Actor::cli();
    let changes = (0..12).map(|i| {
        let cli = cli.clone();
        async move {
            let effect = if i % 2 == 0 { "allow" } else { "deny" };
            policies::add(db, key, &cli, rule("issues:write", effect))
                .await
                .unwrap();
            let entry = AuditEntry::new(cli, AuditAction::SecretAdded).details(format!("{i}"));
            audit::record(db, key, entry).await.unwrap();
        }
    });
    futures::future::join_all(changes).await;
    let verified = audit::verify(db, key, None).await.unwrap().unwrap();
    assert_eq!(verified.rows, 24);
    assert_eq!(
        gantry_server::policy::store::all(db).await.unwrap().len(),
        12
    );
}
