//! Usage per repository (today) and organisation (this month) and overall (this
//! month), with the limits left: for the dashboard's usage page and the gauges of
//! `/metrics`, which show the subjects that used the most (so a busy installation
//! cannot grow the label space).
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};

use super::limits::{self, Limit, Periods};
use super::{ModelBudget, Usage};
use crate::db::entities::model_budget_counters;
use crate::db::model_budgets as store;
use crate::metrics::Metrics;

/// Repositories and organisations `/metrics` shows, the ones that used the most.
pub const METRIC_SUBJECTS: u64 = 20;

/// One subject's usage in its period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageLine {
    /// `owner/name`, `owner`, or empty for overall.
    pub subject: String,
    /// The period (`2026-12-07`, `2026-12`).
    pub period: String,
    /// Settled usage.
    pub used: Usage,
    /// Held by calls in flight.
    pub reserved: Usage,
    /// The limit.
    pub limit: Limit,
}

impl UsageLine {
    fn from_row(
        row: Option<model_budget_counters::Model>,
        subject: &str,
        period: &str,
        limit: Limit,
    ) -> Self {
        let amount = |t: i64| u64::try_from(t).unwrap_or(0);
        let (used, reserved) = row.map_or_else(Default::default, |r| {
            (
                Usage {
                    tokens: amount(r.tokens_used),
                    cost_micros: amount(r.cost_used),
                },
                Usage {
                    tokens: amount(r.tokens_reserved),
                    cost_micros: amount(r.cost_reserved),
                },
            )
        });
        Self {
            subject: subject.to_owned(),
            period: period.to_owned(),
            used,
            reserved,
            limit,
        }
    }

    /// Tokens left before the limit, `None` without one.
    #[must_use]
    pub fn tokens_left(&self) -> Option<u64> {
        self.limit
            .tokens
            .map(|most| most.saturating_sub(self.used.tokens + self.reserved.tokens))
    }

    /// Micro-dollars left before the limit, `None` without one.
    #[must_use]
    pub fn cost_left(&self) -> Option<u64> {
        self.limit
            .cost_micros
            .map(|most| most.saturating_sub(self.used.cost_micros + self.reserved.cost_micros))
    }

    /// The share of each limit used or reserved: `(unit, ratio)` for `tokens` and
    /// `cost` where there is a limit (a limit of 0 counts as spent).
    #[must_use]
    pub fn ratios(&self) -> Vec<(&'static str, f64)> {
        let ratio = |spent: u64, most: u64| {
            if most == 0 {
                1.0
            } else {
                spent as f64 / most as f64
            }
        };
        let mut out = Vec::new();
        if let Some(most) = self.limit.tokens {
            out.push((
                "tokens",
                ratio(self.used.tokens + self.reserved.tokens, most),
            ));
        }
        if let Some(most) = self.limit.cost_micros {
            out.push((
                "cost",
                ratio(self.used.cost_micros + self.reserved.cost_micros, most),
            ));
        }
        out
    }
}

/// Usage now: overall this month, the organisations this month and the
/// repositories today, most money then most tokens first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageReport {
    /// Everything this month.
    pub overall: UsageLine,
    /// Organisations this month.
    pub organisations: Vec<UsageLine>,
    /// Repositories today.
    pub repositories: Vec<UsageLine>,
}

impl ModelBudget {
    /// Usage at `now`, at most `most` organisations and repositories.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn usage(
        &self,
        db: &DatabaseConnection,
        now: DateTime<Utc>,
        most: u64,
    ) -> Result<UsageReport, DbErr> {
        let periods = Periods::at(now);
        let overall = store::find(db, &limits::overall(&periods.month)).await?;
        let lines = |rows: Vec<model_budget_counters::Model>, limit: Limit| {
            rows.into_iter()
                .map(|r| {
                    let (subject, period) = (r.subject.clone(), r.period.clone());
                    UsageLine::from_row(Some(r), &subject, &period, limit)
                })
                .collect::<Vec<_>>()
        };
        Ok(UsageReport {
            overall: UsageLine::from_row(overall, "", &periods.month, self.limits.overall),
            organisations: lines(
                store::list(db, "organisation", &periods.month, most).await?,
                self.limits.organisation,
            ),
            repositories: lines(
                store::list(db, "repository", &periods.day, most).await?,
                self.limits.repository,
            ),
        })
    }

    /// Sets the usage gauges of `metrics` from the database, for a scrape: tokens
    /// and dollars used and the share of each limit, overall and for the
    /// [`METRIC_SUBJECTS`] organisations and repositories that used the most.
    ///
    /// # Errors
    /// When the database fails (the gauges keep their last values).
    pub async fn publish(&self, db: &DatabaseConnection, metrics: &Metrics) -> Result<(), DbErr> {
        let report = self.usage(db, Utc::now(), METRIC_SUBJECTS).await?;
        metrics.model_tokens_used.reset();
        metrics.model_cost_used.reset();
        metrics.model_budget_used_ratio.reset();
        let scopes = [
            ("overall", std::slice::from_ref(&report.overall)),
            ("organisation", report.organisations.as_slice()),
            ("repository", report.repositories.as_slice()),
        ];
        for (scope, lines) in scopes {
            for line in lines {
                let subject = line.subject.as_str();
                metrics
                    .model_tokens_used
                    .with_label_values(&[scope, subject])
                    .set(i64::try_from(line.used.tokens).unwrap_or(i64::MAX));
                metrics
                    .model_cost_used
                    .with_label_values(&[scope, subject])
                    .set(line.used.cost_micros as f64 / 1e6);
                for (unit, ratio) in line.ratios() {
                    metrics
                        .model_budget_used_ratio
                        .with_label_values(&[scope, subject, unit])
                        .set(ratio);
                }
            }
        }
        Ok(())
    }
}
