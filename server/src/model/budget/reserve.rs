//! Reserving, settling and releasing. A reservation is one transaction: the
//! reservation's row first (a write, so on SQLite the transaction holds the write
//! lock from its first statement), the counter rows it needs created, the person's
//! invocation counted when the invocation is new to the budget, then one conditional
//! update per limit, always in the same order (overall, organisation, repository,
//! invocation) so concurrent transactions on PostgreSQL queue on the same rows
//! instead of deadlocking. The first update whose condition fails refuses, and the
//! rollback undoes the rest.
use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};

use super::limits::{self, clamp, Limit, Periods};
use super::{BudgetError, ModelBudget, Refusal, Reservation, Scope, Usage};
use super::{INVOCATION, ORGANISATION, OVERALL, REPOSITORY};
use crate::db::entities::model_budget_reservations;
use crate::db::model_budgets::{self as store, Amount, CounterKey};

/// How often one process sweeps expired reservations, at most.
const SWEEP_EVERY_SECS: i64 = 60;

/// Invocation and person rows untouched this long are deleted by the sweep.
const KEEP_SHORT_LIVED_DAYS: i64 = 2;

/// Expired reservations settled per sweep.
const SWEEP_BATCH: u64 = 100;

fn amount(usage: Usage) -> Amount {
    Amount {
        tokens: clamp(usage.tokens),
        cost: clamp(usage.cost_micros),
    }
}

fn unsigned(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

impl ModelBudget {
    /// Checks every limit and reserves `estimate` on each, in one step: granted, the
    /// estimate is held until [`Self::settle`] or [`Self::release`]; refused, nothing
    /// changed. Concurrent reserves, here or on other replicas, can never together
    /// pass a limit. A refusal is counted on `/metrics`; the caller audits it.
    ///
    /// # Errors
    /// [`BudgetError::Exceeded`] naming the limit the call would pass,
    /// [`BudgetError::RateLimited`] when the person reached their hourly
    /// invocations on the repository, [`BudgetError::Unpriced`] for a model without
    /// a price while money is limited, and [`BudgetError::Db`] when the database
    /// fails: every one refuses the call.
    pub async fn reserve(
        &self,
        db: &DatabaseConnection,
        scope: &Scope,
        estimate: Usage,
        now: DateTime<Utc>,
    ) -> Result<Reservation, BudgetError> {
        self.sweep_when_due(db, now).await;
        let result = if self.unpriced(&scope.provider, &scope.model) {
            Err(BudgetError::Unpriced {
                provider: scope.provider.clone(),
                model: scope.model.clone(),
            })
        } else {
            self.try_reserve(db, scope, estimate, now).await
        };
        if let Err(refused) = &result {
            let (label, unit) = refused.metric_labels();
            if let Some(refusals) = &self.refusals {
                refusals.with_label_values(&[label, unit]).inc();
            }
            tracing::info!(repo = %scope.repo, provider = %scope.provider, model = %scope.model, reason = %refused, "model budget: call refused");
        }
        result
    }

    async fn try_reserve(
        &self,
        db: &DatabaseConnection,
        scope: &Scope,
        estimate: Usage,
        now: DateTime<Utc>,
    ) -> Result<Reservation, BudgetError> {
        let periods = Periods::at(now);
        let id = uuid::Uuid::new_v4().to_string();
        let asked = amount(estimate);
        let txn = db.begin().await?;
        store::insert_reservation(
            &txn,
            model_budget_reservations::Model {
                id: id.clone(),
                invocation: scope.invocation.clone(),
                repo: scope.repo.clone(),
                org: scope.org.clone(),
                person: scope.person.clone(),
                provider: scope.provider.clone(),
                model: scope.model.clone(),
                day: periods.day.clone(),
                month: periods.month.clone(),
                tokens: asked.tokens,
                cost: asked.cost,
                created_at: now,
                expires_at: now + self.ttl,
            },
        )
        .await?;
        let keys = self.keys(scope, &periods.day, &periods.month);
        store::ensure(
            &txn,
            &keys[..3]
                .iter()
                .map(|(k, _, _)| k.clone())
                .collect::<Vec<_>>(),
            now,
        )
        .await?;
        let new_invocation = store::create(&txn, &keys[3].0, now).await?;
        if let (Some(login), Some(most), true) =
            (&scope.person, self.per_person_per_hour, new_invocation)
        {
            let key = limits::person(login, &scope.repo, &periods.hour);
            store::create(&txn, &key, now).await?;
            if !store::count_invocation(&txn, &key, i64::from(most), now).await? {
                txn.rollback().await?;
                return Err(BudgetError::RateLimited {
                    person: login.clone(),
                    repo: scope.repo.clone(),
                    limit: most,
                    retry_at: limits::next_hour(now),
                });
            }
        }
        for (key, limit, name) in &keys {
            if !store::reserve(&txn, key, asked, limit.ceiling(), now).await? {
                let row = store::find(&txn, key).await?;
                txn.rollback().await?;
                return Err(BudgetError::Exceeded(refusal(name, *limit, row, estimate)));
            }
        }
        txn.commit().await?;
        Ok(Reservation {
            id,
            scope: scope.clone(),
            estimate,
            day: periods.day,
            month: periods.month,
        })
    }

    /// The counter rows of a call, in lock order, with their limits and names.
    fn keys(
        &self,
        scope: &Scope,
        day: &str,
        month: &str,
    ) -> [(CounterKey, Limit, &'static str); 4] {
        [
            (limits::overall(month), self.limits.overall, OVERALL),
            (
                limits::organisation(&scope.org, month),
                self.limits.organisation,
                ORGANISATION,
            ),
            (
                limits::repository(&scope.repo, day),
                self.limits.repository,
                REPOSITORY,
            ),
            (
                limits::invocation(&scope.invocation),
                self.limits.invocation,
                INVOCATION,
            ),
        ]
    }

    /// Replaces the reservation's estimate by what the call used (more or less).
    /// Settling a reservation already settled, released or expired changes nothing.
    ///
    /// # Errors
    /// When the database fails; the reservation then expires and is settled at its
    /// estimate.
    pub async fn settle(
        &self,
        db: &DatabaseConnection,
        reservation: Reservation,
        actual: Usage,
    ) -> Result<(), DbErr> {
        self.finish(db, &reservation, actual, Utc::now()).await
    }

    /// Gives the reservation's estimate back: the call was not sent.
    ///
    /// # Errors
    /// When the database fails; the reservation then expires and is settled at its
    /// estimate.
    pub async fn release(
        &self,
        db: &DatabaseConnection,
        reservation: Reservation,
    ) -> Result<(), DbErr> {
        self.finish(db, &reservation, Usage::default(), Utc::now())
            .await
    }

    /// Takes the reservation (once, across replicas) and moves its estimate on
    /// every counter it holds to `used`.
    async fn finish(
        &self,
        db: &DatabaseConnection,
        reservation: &Reservation,
        used: Usage,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let txn = db.begin().await?;
        if !store::delete_reservation(&txn, &reservation.id).await? {
            return txn.commit().await;
        }
        let keys = self.keys(&reservation.scope, &reservation.day, &reservation.month);
        for (key, _, _) in &keys {
            store::settle(&txn, key, amount(reservation.estimate), amount(used), now).await?;
        }
        txn.commit().await
    }

    /// Settles every reservation that expired before `now` at its estimate (its
    /// process died mid-call, which may have been paid for), and deletes the
    /// invocation and person rows nobody touched for two days; how many
    /// reservations it settled.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn sweep(&self, db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DbErr> {
        let mut settled = 0;
        for row in store::expired(db, now, SWEEP_BATCH).await? {
            let reservation = Reservation {
                estimate: Usage {
                    tokens: unsigned(row.tokens),
                    cost_micros: unsigned(row.cost),
                },
                scope: Scope {
                    invocation: row.invocation,
                    repo: row.repo,
                    org: row.org,
                    person: row.person,
                    provider: row.provider,
                    model: row.model,
                },
                id: row.id,
                day: row.day,
                month: row.month,
            };
            tracing::warn!(repo = %reservation.scope.repo, invocation = %reservation.scope.invocation, "model budget: a reservation was never settled; it counts at its estimate");
            self.finish(db, &reservation, reservation.estimate, now)
                .await?;
            settled += 1;
        }
        store::prune(
            db,
            &["invocation", "person"],
            now - chrono::Duration::days(KEEP_SHORT_LIVED_DAYS),
        )
        .await?;
        Ok(settled)
    }

    /// Sweeps at most once a minute per process, before a reservation; a failure
    /// is logged (the reservation that follows meets the same database).
    async fn sweep_when_due(&self, db: &DatabaseConnection, now: DateTime<Utc>) {
        let last = self.last_sweep.load(Ordering::Relaxed);
        let at = now.timestamp();
        if at.saturating_sub(last) < SWEEP_EVERY_SECS
            || self
                .last_sweep
                .compare_exchange(last, at, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        if let Err(error) = self.sweep(db, now).await {
            tracing::warn!(%error, "model budget: expired reservations could not be swept");
        }
    }
}

/// The refusal for the limit `name`, whose row `row` refused `asked`: in tokens when
/// the tokens do not fit, else in money.
fn refusal(
    name: &str,
    limit: Limit,
    row: Option<crate::db::entities::model_budget_counters::Model>,
    asked: Usage,
) -> Refusal {
    let (tokens, cost) = row.map_or((0, 0), |r| {
        (
            unsigned(r.tokens_used.saturating_add(r.tokens_reserved)),
            unsigned(r.cost_used.saturating_add(r.cost_reserved)),
        )
    });
    let tokens_refused = limit
        .tokens
        .is_some_and(|most| tokens.saturating_add(asked.tokens) > most);
    match (tokens_refused, limit.tokens, limit.cost_micros) {
        (false, _, Some(most)) => Refusal {
            scope: name.to_owned(),
            unit: "cost".to_owned(),
            limit: most,
            used: cost,
            asked: asked.cost_micros,
        },
        (_, most, _) => Refusal {
            scope: name.to_owned(),
            unit: "tokens".to_owned(),
            limit: most.unwrap_or(0),
            used: tokens,
            asked: asked.tokens,
        },
    }
}
