//! The budget service on a real SQLite database: every limit in tokens and in money,
//! the rollover of each period, settling and releasing, expired reservations, the
//! per-person rate limit, prices, refusing on a database error. The concurrency
//! proof (two pools, many tasks, SQLite and PostgreSQL) is the integration test
//! `model_budgets`.
use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::DatabaseConnection;

use super::{BudgetError, ModelBudget, Refusal, Scope, Usage};
use crate::config::{BudgetLimit, ModelBudgetSettings, ModelPrice};
use crate::metrics::Metrics;

async fn database() -> (tempfile::TempDir, DatabaseConnection) {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("g.db").display());
    let db = crate::db::connect(&url, 1).await.expect("db");
    crate::db::migrate(&db).await.expect("migrations");
    (dir, db)
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, 30, 0).unwrap()
}

fn scope(invocation: &str, repo: &str) -> Scope {
    Scope {
        invocation: invocation.to_owned(),
        repo: repo.to_owned(),
        org: repo.split('/').next().unwrap_or_default().to_owned(),
        person: None,
        provider: "openai".to_owned(),
        model: "gpt-test".to_owned(),
    }
}

fn tokens(n: u64) -> Usage {
    Usage {
        tokens: n,
        cost_micros: 0,
    }
}

fn money(micros: u64) -> Usage {
    Usage {
        tokens: 1,
        cost_micros: micros,
    }
}

fn limit_tokens(n: u64) -> BudgetLimit {
    BudgetLimit {
        tokens: Some(n),
        dollars: None,
    }
}

fn limit_dollars(d: f64) -> BudgetLimit {
    BudgetLimit {
        tokens: None,
        dollars: Some(d),
    }
}

fn exceeded(result: Result<super::Reservation, BudgetError>) -> Refusal {
    match result {
        Err(BudgetError::Exceeded(refusal)) => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Budgets whose only limit is `set` on the settings.
fn budget(set: impl FnOnce(&mut ModelBudgetSettings)) -> ModelBudget {
    let mut settings = ModelBudgetSettings::default();
    set(&mut settings);
    ModelBudget::from_settings(&settings).with_prices(&[ModelPrice {
        provider: "openai".into(),
        model: "*".into(),
        prompt_per_million: 1.0,
        completion_per_million: 1.0,
    }])
}

#[tokio::test]
async fn the_invocation_limit_counts_every_call_of_one_invocation() {
    let (_dir, db) = database().await;
    let b = budget(|s| s.invocation = limit_tokens(100));
    let now = at(7, 10);
    let first = b
        .reserve(&db, &scope("inv-1", "octo/a"), tokens(60), now)
        .await
        .unwrap();
    b.settle(&db, first, tokens(60)).await.unwrap();
    let refusal = exceeded(
        b.reserve(&db, &scope("inv-1", "octo/a"), tokens(41), now)
            .await,
    );
    assert_eq!(
        refusal,
        Refusal {
            scope: "invocation".into(),
            unit: "tokens".into(),
            limit: 100,
            used: 60,
            asked: 41,
        }
    );
    assert_eq!(
        refusal.to_string(),
        "the model call was refused: it would pass this invocation's token budget of 100 tokens (60 tokens used or reserved, 41 tokens asked)"
    );
    b.reserve(&db, &scope("inv-1", "octo/a"), tokens(40), now)
        .await
        .unwrap();
    // Another invocation starts afresh.
    b.reserve(&db, &scope("inv-2", "octo/a"), tokens(100), now)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_repository_limit_is_per_day_and_rolls_over_at_midnight() {
    let (_dir, db) = database().await;
    let b = budget(|s| s.repository_per_day = limit_tokens(100));
    b.reserve(&db, &scope("i1", "octo/a"), tokens(100), at(7, 23))
        .await
        .unwrap();
    let refusal = exceeded(
        b.reserve(&db, &scope("i2", "Octo/A"), tokens(1), at(7, 23))
            .await,
    );
    assert_eq!(
        (refusal.scope.as_str(), refusal.used),
        ("repository per day", 100)
    );
    // Another repository of the same owner is not limited by it.
    b.reserve(&db, &scope("i3", "octo/b"), tokens(100), at(7, 23))
        .await
        .unwrap();
    // The next day starts at zero.
    b.reserve(&db, &scope("i4", "octo/a"), tokens(100), at(8, 0))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_organisation_limit_is_per_month_and_rolls_over_with_the_month() {
    let (_dir, db) = database().await;
    let b = budget(|s| s.organisation_per_month = limit_tokens(100));
    b.reserve(&db, &scope("i1", "octo/a"), tokens(70), at(1, 0))
        .await
        .unwrap();
    let refusal = exceeded(
        b.reserve(&db, &scope("i2", "octo/b"), tokens(31), at(31, 23))
            .await,
    );
    assert_eq!(
        (refusal.scope.as_str(), refusal.used),
        ("organisation per month", 70)
    );
    b.reserve(&db, &scope("i3", "other/a"), tokens(100), at(31, 23))
        .await
        .unwrap();
    let january = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    b.reserve(&db, &scope("i4", "octo/b"), tokens(100), january)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_overall_limit_covers_every_organisation_for_the_month() {
    let (_dir, db) = database().await;
    let b = budget(|s| s.overall = limit_tokens(100));
    b.reserve(&db, &scope("i1", "octo/a"), tokens(50), at(3, 1))
        .await
        .unwrap();
    b.reserve(&db, &scope("i2", "other/b"), tokens(50), at(20, 1))
        .await
        .unwrap();
    let refusal = exceeded(
        b.reserve(&db, &scope("i3", "third/c"), tokens(1), at(30, 1))
            .await,
    );
    assert_eq!(
        (refusal.scope.as_str(), refusal.limit, refusal.used),
        ("overall", 100, 100)
    );
    let january = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    b.reserve(&db, &scope("i4", "third/c"), tokens(100), january)
        .await
        .unwrap();
}

/// Sets one limit on the settings.
type SetLimit = fn(&mut ModelBudgetSettings);

#[tokio::test]
async fn every_limit_also_refuses_in_money() {
    let cases: [(&str, SetLimit); 4] = [
        ("invocation", |s| s.invocation = limit_dollars(1.0)),
        ("repository per day", |s| {
            s.repository_per_day = limit_dollars(1.0)
        }),
        ("organisation per month", |s| {
            s.organisation_per_month = limit_dollars(1.0)
        }),
        ("overall", |s| s.overall = limit_dollars(1.0)),
    ];
    for (n, (name, set)) in cases.into_iter().enumerate() {
        let (_dir, db) = database().await;
        let b = budget(set);
        let repo = format!("org{n}/r");
        let s = scope(&format!("inv{n}"), &repo);
        b.reserve(&db, &s, money(600_000), at(7, 1)).await.unwrap();
        let refusal = exceeded(b.reserve(&db, &s, money(400_001), at(7, 1)).await);
        assert_eq!(
            refusal,
            Refusal {
                scope: name.into(),
                unit: "cost".into(),
                limit: 1_000_000,
                used: 600_000,
                asked: 400_001,
            }
        );
        assert!(
            refusal.to_string().contains(
                "money budget of $1.000000 ($0.600000 used or reserved, $0.400001 asked)"
            ),
            "{refusal}"
        );
        b.reserve(&db, &s, money(400_000), at(7, 1)).await.unwrap();
    }
}

#[tokio::test]
async fn settling_replaces_the_estimate_and_releasing_gives_it_back() {
    let (_dir, db) = database().await;
    let b = budget(|s| s.repository_per_day = limit_tokens(1000));
    let now = Utc::now();
    let held = b
        .reserve(&db, &scope("i1", "octo/a"), tokens(800), now)
        .await
        .unwrap();
    assert_eq!(
        exceeded(
            b.reserve(&db, &scope("i2", "octo/a"), tokens(201), now)
                .await
        )
        .used,
        800
    );
    // Used less than estimated: the rest is free again.
    b.settle(&db, held, tokens(300)).await.unwrap();
    let held = b
        .reserve(&db, &scope("i3", "octo/a"), tokens(700), now)
        .await
        .unwrap();
    let report = b.usage(&db, now, 10).await.unwrap();
    assert_eq!(report.repositories[0].used.tokens, 300);
    assert_eq!(report.repositories[0].reserved.tokens, 700);
    assert_eq!(report.repositories[0].tokens_left(), Some(0));
    // Not sent: all of it comes back.
    b.release(&db, held).await.unwrap();
    let held = b
        .reserve(&db, &scope("i4", "octo/a"), tokens(100), now)
        .await
        .unwrap();
    // Used more than estimated: counted as used, and later calls see it.
    b.settle(&db, held, tokens(900)).await.unwrap();
    let refusal = exceeded(b.reserve(&db, &scope("i5", "octo/a"), tokens(1), now).await);
    assert_eq!(refusal.used, 1200);
    let report = b.usage(&db, now, 10).await.unwrap();
    assert_eq!(report.repositories[0].used.tokens, 1200);
    assert_eq!(report.repositories[0].reserved.tokens, 0);
    assert_eq!(report.overall.used.tokens, 1200);
    assert_eq!(report.organisations[0].subject, "octo");
}

#[tokio::test]
async fn a_reservation_is_settled_once() {
    let (_dir, db) = database().await;
    let b = budget(|s| s.repository_per_day = limit_tokens(1000));
    let now = Utc::now();
    let held = b
        .reserve(&db, &scope("i1", "octo/a"), tokens(500), now)
        .await
        .unwrap();
    let again = super::Reservation {
        id: held.id.clone(),
        scope: held.scope.clone(),
        estimate: held.estimate,
        day: held.day.clone(),
        month: held.month.clone(),
    };
    b.settle(&db, held, tokens(100)).await.unwrap();
    b.settle(&db, again, tokens(100)).await.unwrap();
    let report = b.usage(&db, now, 10).await.unwrap();
    assert_eq!(report.repositories[0].used.tokens, 100);
    assert_eq!(report.repositories[0].reserved.tokens, 0);
}

#[tokio::test]
async fn an_abandoned_reservation_expires_at_its_estimate() {
    let (_dir, db) = database().await;
    let b = budget(|s| {
        s.repository_per_day = limit_tokens(1000);
        s.reservation_ttl_secs = 60;
    });
    let now = Utc::now();
    let _lost = b
        .reserve(&db, &scope("i1", "octo/a"), tokens(400), now)
        .await
        .unwrap();
    assert_eq!(b.sweep(&db, now + Duration::seconds(30)).await.unwrap(), 0);
    assert_eq!(b.sweep(&db, now + Duration::seconds(61)).await.unwrap(), 1);
    let report = b.usage(&db, now, 10).await.unwrap();
    assert_eq!(report.repositories[0].used.tokens, 400);
    assert_eq!(report.repositories[0].reserved.tokens, 0);
    assert_eq!(b.sweep(&db, now + Duration::seconds(120)).await.unwrap(), 0);
}

#[tokio::test]
async fn a_person_may_cause_so_many_model_using_invocations_an_hour_per_repository() {
    let (_dir, db) = database().await;
    let b = budget(|s| s.per_person_per_hour = Some(2));
    let by = |invocation: &str, repo: &str, login: &str| Scope {
        person: Some(login.to_owned()),
        ..scope(invocation, repo)
    };
    let now = at(7, 21);
    b.reserve(&db, &by("i1", "octo/a", "mona"), tokens(1), now)
        .await
        .unwrap();
    // A second call of the same invocation is not another invocation.
    b.reserve(&db, &by("i1", "octo/a", "mona"), tokens(1), now)
        .await
        .unwrap();
    b.reserve(&db, &by("i2", "octo/a", "Mona"), tokens(1), now)
        .await
        .unwrap();
    match b
        .reserve(&db, &by("i3", "octo/a", "mona"), tokens(1), now)
        .await
    {
        Err(BudgetError::RateLimited {
            person,
            repo,
            limit,
            retry_at,
        }) => {
            assert_eq!(
                (person.as_str(), repo.as_str(), limit),
                ("mona", "octo/a", 2)
            );
            assert_eq!(
                retry_at,
                Utc.with_ymd_and_hms(2026, 12, 7, 22, 0, 0).unwrap()
            );
        }
        other => panic!("expected the rate limit, got {other:?}"),
    }
    // Refused, the invocation was not counted: still refused, not "already known".
    assert!(matches!(
        b.reserve(&db, &by("i3", "octo/a", "mona"), tokens(1), now)
            .await,
        Err(BudgetError::RateLimited { .. })
    ));
    // Another repository, another person, and calls no person caused are not limited.
    b.reserve(&db, &by("i4", "octo/b", "mona"), tokens(1), now)
        .await
        .unwrap();
    b.reserve(&db, &by("i5", "octo/a", "hubot"), tokens(1), now)
        .await
        .unwrap();
    b.reserve(&db, &scope("i6", "octo/a"), tokens(1), now)
        .await
        .unwrap();
    // The next hour starts afresh.
    b.reserve(&db, &by("i3", "octo/a", "mona"), tokens(1), at(7, 22))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_model_without_a_price_is_refused_while_money_is_limited() {
    let (_dir, db) = database().await;
    let b = budget(|s| s.overall = limit_dollars(10.0));
    let unpriced = Scope {
        provider: "other".into(),
        ..scope("i1", "octo/a")
    };
    assert!(matches!(
        b.reserve(&db, &unpriced, tokens(1), Utc::now()).await,
        Err(BudgetError::Unpriced { .. })
    ));
    let built_in = Scope {
        provider: "rule-based".into(),
        model: "rule-based".into(),
        ..scope("i2", "octo/a")
    };
    b.reserve(&db, &built_in, tokens(1), Utc::now())
        .await
        .unwrap();
    // Without a money limit nothing needs a price.
    let b = budget(|s| s.overall = limit_tokens(10));
    b.reserve(&db, &unpriced, tokens(1), Utc::now())
        .await
        .unwrap();
}

#[test]
fn prices_turn_tokens_into_micro_dollars_rounded_up() {
    let b = ModelBudget::from_settings(&ModelBudgetSettings::default()).with_prices(&[
        ModelPrice {
            provider: "openai".into(),
            model: "gpt-4o".into(),
            prompt_per_million: 2.5,
            completion_per_million: 10.0,
        },
        ModelPrice {
            provider: "openai".into(),
            model: "*".into(),
            prompt_per_million: 0.15,
            completion_per_million: 0.6,
        },
    ]);
    // 1000 prompt tokens at $2.50 per million and 500 answer tokens at $10.
    assert_eq!(b.cost("openai", "gpt-4o", 1000, 500), 2_500 + 5_000);
    assert_eq!(b.cost("openai", "gpt-4o-mini", 1000, 1000), 150 + 600);
    // A fraction of a micro-dollar is a whole one.
    assert_eq!(b.cost("openai", "gpt-4o-mini", 1, 0), 1);
    assert_eq!(b.cost("openai", "gpt-4o-mini", 0, 0), 0);
    assert_eq!(b.cost("vllm", "llama", 1000, 1000), 0);
    assert_eq!(
        b.estimate("openai", "gpt-4o", 1000, 500),
        Usage {
            tokens: 1500,
            cost_micros: 7_500
        }
    );
}

#[tokio::test]
async fn a_database_error_refuses_and_is_counted() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("g.db").display());
    // Never migrated: no budget tables.
    let db = crate::db::connect(&url, 1).await.expect("db");
    let metrics = Metrics::new().unwrap();
    let b = ModelBudget::from_settings(&ModelBudgetSettings::default()).with_metrics(&metrics);
    let refused = b
        .reserve(&db, &scope("i1", "octo/a"), tokens(1), Utc::now())
        .await;
    assert!(matches!(refused, Err(BudgetError::Db(_))), "{refused:?}");
    assert_eq!(
        metrics
            .model_budget_refusals
            .with_label_values(&["database", "none"])
            .get(),
        1
    );
}

#[tokio::test]
async fn refusals_are_counted_by_scope_and_unit_and_usage_is_published() {
    let (_dir, db) = database().await;
    let metrics = Metrics::new().unwrap();
    let b = budget(|s| {
        s.repository_per_day = BudgetLimit {
            tokens: Some(100),
            dollars: Some(1.0),
        };
    })
    .with_metrics(&metrics);
    let now = Utc::now();
    let held = b
        .reserve(&db, &scope("i1", "octo/a"), money(900_000), now)
        .await
        .unwrap();
    b.settle(
        &db,
        held,
        Usage {
            tokens: 90,
            cost_micros: 900_000,
        },
    )
    .await
    .unwrap();
    exceeded(
        b.reserve(&db, &scope("i2", "octo/a"), tokens(11), now)
            .await,
    );
    exceeded(
        b.reserve(&db, &scope("i3", "octo/a"), money(100_001), now)
            .await,
    );
    let refusals = |scope: &str, unit: &str| {
        metrics
            .model_budget_refusals
            .with_label_values(&[scope, unit])
            .get()
    };
    assert_eq!(refusals("repository", "tokens"), 1);
    assert_eq!(refusals("repository", "cost"), 1);
    b.publish(&db, &metrics).await.unwrap();
    let text = metrics.render();
    assert!(
        text.contains("gantry_model_tokens_used{scope=\"repository\",subject=\"octo/a\"} 90"),
        "{text}"
    );
    assert!(
        text.contains(
            "gantry_model_cost_used_dollars{scope=\"organisation\",subject=\"octo\"} 0.9"
        ),
        "{text}"
    );
    assert!(text.contains("gantry_model_budget_used_ratio{scope=\"repository\",subject=\"octo/a\",unit=\"tokens\"} 0.9"), "{text}");
    assert!(text.contains("gantry_model_budget_used_ratio{scope=\"repository\",subject=\"octo/a\",unit=\"cost\"} 0.9"), "{text}");
    // No limit overall: no ratio for it.
    assert!(
        !text.contains("gantry_model_budget_used_ratio{scope=\"overall\""),
        "{text}"
    );
}

#[test]
fn budget_settings_come_from_the_file_and_the_environment_and_bad_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gantry.toml");
    std::fs::write(
        &path,
        "[model_spending.budgets.repository_per_day]\ntokens = 5000\ndollars = 2.5\n\n\
         [[model_spending.prices]]\nprovider = \"openai\"\nmodel = \"*\"\nprompt_per_million = 0.15\ncompletion_per_million = 0.6\n",
    )
    .unwrap();
    let env = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<Vec<_>>()
    };
    let settings = crate::config::Settings::load_from(
        Some(&path),
        env(&[
            ("GANTRY_MODEL_SPENDING__BUDGETS__OVERALL__DOLLARS", "100.5"),
            ("GANTRY_MODEL_SPENDING__BUDGETS__PER_PERSON_PER_HOUR", "3"),
        ]),
    )
    .unwrap();
    let budgets = &settings.model_spending.budgets;
    assert_eq!(budgets.repository_per_day.tokens, Some(5000));
    assert_eq!(budgets.repository_per_day.dollars, Some(2.5));
    assert_eq!(budgets.overall.dollars, Some(100.5));
    assert_eq!(budgets.per_person_per_hour, Some(3));
    assert_eq!(budgets.invocation, BudgetLimit::default());
    let b = ModelBudget::from_models(&settings.model_spending);
    assert_eq!(b.limits()[1].1.cost_micros, Some(2_500_000));
    assert_eq!(b.cost("openai", "any", 1_000_000, 0), 150_000);
    let err = crate::config::Settings::load_from(
        None,
        env(&[("GANTRY_MODEL_SPENDING__BUDGETS__PER_PERSON_PER_HOUR", "0")]),
    )
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("per_person_per_hour"),
        "{err:#}"
    );
    let err = crate::config::Settings::load_from(
        None,
        env(&[("GANTRY_MODEL_SPENDING__BUDGETS__INVOCATION__DOLLARS", "-1")]),
    )
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("model_spending.budgets.invocation.dollars"),
        "{err:#}"
    );
}
