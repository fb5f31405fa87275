//! Model budgets across replicas, on SQLite and on PostgreSQL
//! (`GANTRY_TEST_DATABASE=postgres`): many reservations at once from two connection
//! pools (two replicas, each with its own budget service) against limits never pass
//! them together, and the per-person rate limit holds the same way. Then the usage
//! page (admins only) and `/metrics` show what was used.
use std::sync::Arc;

use chrono::Utc;
use gantry_server::config::{BudgetLimit, ModelBudgetSettings, ModelPrice, Settings};
use gantry_server::model::budget::{BudgetError, ModelBudget, Scope, Usage};
use sea_orm::DatabaseConnection;

use crate::dashboard::sign_in;
use crate::helpers::{fresh_database_url, spawn_app, AppOptions, Plugins};

/// Two replicas: two pools on one database, each with its own service.
async fn replicas(
    url: &str,
    settings: &ModelBudgetSettings,
) -> [(DatabaseConnection, Arc<ModelBudget>); 2] {
    let first = gantry_server::db::connect(url, 8).await.unwrap();
    gantry_server::db::migrate(&first).await.unwrap();
    let second = gantry_server::db::connect(url, 8).await.unwrap();
    [first, second].map(|db| (db, Arc::new(ModelBudget::from_settings(settings))))
}

fn scope(invocation: String, repo: &str, person: Option<&str>) -> Scope {
    Scope {
        invocation,
        repo: repo.to_owned(),
        org: "octo".to_owned(),
        person: person.map(str::to_owned),
        provider: "rule-based".to_owned(),
        model: "rule-based".to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reservations_from_two_replicas_never_pass_a_limit_together() {
    let dir = tempfile::tempdir().unwrap();
    let database = fresh_database_url(&dir).await;
    let settings = ModelBudgetSettings {
        repository_per_day: BudgetLimit {
            tokens: Some(100),
            dollars: None,
        },
        organisation_per_month: BudgetLimit {
            tokens: Some(160),
            dollars: None,
        },
        ..ModelBudgetSettings::default()
    };
    let replicas = replicas(&database.url, &settings).await;
    let now = Utc::now();
    let mut tasks = Vec::new();
    for n in 0..64_u64 {
        let (db, budget) = replicas[usize::try_from(n % 2).unwrap()].clone();
        let repo = if n % 4 < 2 { "octo/a" } else { "octo/b" };
        // 3 to 13 tokens each: 64 calls ask for about 500.
        let asked = 3 + (n * 7) % 11;
        tasks.push(tokio::spawn(async move {
            let result = budget
                .reserve(
                    &db,
                    &scope(format!("inv-{n}"), repo, None),
                    Usage {
                        tokens: asked,
                        cost_micros: 0,
                    },
                    now,
                )
                .await;
            (repo, asked, result)
        }));
    }
    let (mut granted_a, mut granted_b, mut refused) = (0, 0, 0);
    let mut held = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            (repo, asked, Ok(reservation)) => {
                if repo == "octo/a" {
                    granted_a += asked;
                } else {
                    granted_b += asked;
                }
                held.push(reservation);
            }
            (_, _, Err(BudgetError::Exceeded(refusal))) => {
                assert!(
                    refusal.used + refusal.asked > refusal.limit,
                    "refused within the limit: {refusal}"
                );
                refused += 1;
            }
            (_, _, Err(other)) => panic!("a reservation failed: {other}"),
        }
    }
    assert!(
        granted_a <= 100 && granted_b <= 100,
        "{granted_a} and {granted_b} tokens granted on repositories limited to 100"
    );
    assert!(
        granted_a + granted_b <= 160,
        "{} tokens granted in an organisation limited to 160",
        granted_a + granted_b
    );
    assert!(refused > 0, "the calls asked for more than the limits");
    // Nearly filled: a limit refuses only what does not fit.
    assert!(
        granted_a + granted_b > 160 - 13,
        "only {} of 160 tokens granted",
        granted_a + granted_b
    );
    let (db, budget) = &replicas[0];
    let report = budget.usage(db, now, 10).await.unwrap();
    assert_eq!(
        report.organisations[0].reserved.tokens,
        granted_a + granted_b
    );
    assert_eq!(report.overall.reserved.tokens, granted_a + granted_b);

    // Settled at once from both replicas: every estimate becomes its usage, once.
    let mut settles = Vec::new();
    for (n, reservation) in held.into_iter().enumerate() {
        let (db, budget) = replicas[n % 2].clone();
        settles.push(tokio::spawn(async move {
            let used = Usage {
                tokens: reservation.estimate.tokens - 1,
                cost_micros: 0,
            };
            budget.settle(&db, reservation, used).await.unwrap();
            used.tokens
        }));
    }
    let mut used = 0;
    for settle in settles {
        used += settle.await.unwrap();
    }
    let report = budget.usage(db, now, 10).await.unwrap();
    assert_eq!(report.overall.used.tokens, used);
    assert_eq!(report.overall.reserved.tokens, 0);
    for (db, _) in replicas {
        db.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_per_person_rate_limit_holds_across_replicas() {
    let dir = tempfile::tempdir().unwrap();
    let database = fresh_database_url(&dir).await;
    let settings = ModelBudgetSettings {
        per_person_per_hour: Some(3),
        ..ModelBudgetSettings::default()
    };
    let replicas = replicas(&database.url, &settings).await;
    let now = Utc::now();
    let mut tasks = Vec::new();
    for n in 0..20 {
        let (db, budget) = replicas[n % 2].clone();
        tasks.push(tokio::spawn(async move {
            budget
                .reserve(
                    &db,
                    &scope(format!("inv-{n}"), "octo/a", Some("mona")),
                    Usage {
                        tokens: 1,
                        cost_micros: 0,
                    },
                    now,
                )
                .await
        }));
    }
    let mut granted = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => granted += 1,
            Err(BudgetError::RateLimited { retry_at, .. }) => assert!(retry_at > now),
            Err(other) => panic!("a reservation failed: {other}"),
        }
    }
    assert_eq!(
        granted, 3,
        "mona may cause 3 model-using invocations an hour"
    );
    for (db, _) in replicas {
        db.close().await.unwrap();
    }
}

fn budgets(settings: &mut Settings) {
    settings.model_spending.budgets.repository_per_day = BudgetLimit {
        tokens: Some(1000),
        dollars: Some(1.0),
    };
    settings.model_spending.prices = vec![ModelPrice {
        provider: "openai".into(),
        model: "*".into(),
        prompt_per_million: 10.0,
        completion_per_million: 10.0,
    }];
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_see_model_usage_and_limits_and_metrics_show_it() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        tweak: Some(budgets),
        ..AppOptions::default()
    })
    .await;
    let admin = sign_in(&app, "ada", "admin").await;
    let (status, html) = admin.get("/dashboard/models").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("No model calls yet"), "{html}");
    let budget = &app.state.host_services.model_budget;
    let call = Scope {
        provider: "openai".into(),
        model: "gpt-test".into(),
        ..scope("inv-1".into(), "Octo/Hello-World", None)
    };
    let estimate = budget.estimate("openai", "gpt-test", 400, 400);
    let held = budget
        .reserve(&app.state.db, &call, estimate, Utc::now())
        .await
        .unwrap();
    budget
        .settle(
            &app.state.db,
            held,
            Usage {
                tokens: 900,
                cost_micros: budget.cost("openai", "gpt-test", 500, 400),
            },
        )
        .await
        .unwrap();
    let refused = budget
        .reserve(
            &app.state.db,
            &scope("inv-2".into(), "octo/hello-world", None),
            Usage {
                tokens: 101,
                cost_micros: 0,
            },
            Utc::now(),
        )
        .await;
    assert!(
        matches!(refused, Err(BudgetError::Exceeded(_))),
        "{refused:?}"
    );

    let (status, html) = admin.get("/dashboard/models").await;
    assert_eq!(status, 200, "{html}");
    for text in [
        "octo/hello-world",
        "900",
        "$0.009000",
        "100 tokens left",
        "$0.991000 left",
        "Model usage",
    ] {
        assert!(
            html.contains(text),
            "the usage page lacks {text:?}:\n{html}"
        );
    }
    assert!(
        html.contains("href=\"/dashboard/models\""),
        "admins have the link"
    );
    let viewer = sign_in(&app, "vera", "viewer").await;
    assert_eq!(
        viewer.get("/dashboard/models").await.0,
        403,
        "viewers do not see usage"
    );
    let (_, page) = viewer.get("/dashboard").await;
    assert!(
        !page.contains("href=\"/dashboard/models\""),
        "viewers have no link"
    );

    assert_eq!(
        app.metric("gantry_model_tokens_used{scope=\"repository\",subject=\"octo/hello-world\"}")
            .await,
        900.0
    );
    assert_eq!(
        app.metric("gantry_model_budget_used_ratio{scope=\"repository\",subject=\"octo/hello-world\",unit=\"tokens\"}").await,
        0.9
    );
    assert_eq!(
        app.metric("gantry_model_budget_refusals_total{scope=\"repository\",unit=\"tokens\"}")
            .await,
        1.0
    );
}
