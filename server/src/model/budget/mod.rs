//! Model budgets (issue 22): what model calls may spend, enforced before a call is
//! sent and failing closed. Limits per invocation, per repository per day, per
//! organisation per month and overall per month, each in tokens and in money (the
//! admin's price per model turns tokens into micro-dollars), and a per-person rate
//! limit of model-using invocations per repository per hour.
//!
//! `reserve` checks every limit and reserves the call's estimate in one database
//! transaction of conditional updates (`db::model_budgets`), so concurrent calls,
//! on any replica, can never pass a limit together; `settle` replaces the estimate
//! by what the call used, `release` gives it back when the call was not sent, and a
//! reservation abandoned by a dead process is settled at its estimate after
//! `model_spending.budgets.reservation_ttl_secs`. A refusal is a typed [`BudgetError`]
//! (counted on `/metrics`; the caller audits it); a database error refuses too.
//!
//! - `types`: `Usage`, `Scope`, `Refusal`, `BudgetError`, `Reservation`;
//! - `limits`: the limits and prices from the settings, periods and counter keys;
//! - `reserve`: reserving, settling, releasing, the expiry sweep;
//! - `report`: usage per repository and organisation, for the dashboard and `/metrics`.
mod limits;
mod report;
mod reserve;
mod types;

use std::sync::atomic::AtomicI64;

pub use limits::{Limit, Price, Prices};
pub use report::{UsageLine, UsageReport};
pub use types::{dollars, BudgetError, Refusal, Reservation, Scope, Usage};

use crate::config::{ModelBudgetSettings, ModelPrice, ModelSettings};
use crate::metrics::Metrics;

/// [`Refusal::scope`] of the per-invocation limit.
pub const INVOCATION: &str = "invocation";
/// [`Refusal::scope`] of the per-repository daily limit.
pub const REPOSITORY: &str = "repository per day";
/// [`Refusal::scope`] of the per-organisation monthly limit.
pub const ORGANISATION: &str = "organisation per month";
/// [`Refusal::scope`] of the overall monthly limit.
pub const OVERALL: &str = "overall";

/// The longest `reservation_ttl_secs` taken: a year.
const MAX_TTL_SECS: u64 = 365 * 24 * 3600;

/// The providers that cost nothing whatever the prices say: the built-in one.
const FREE_PROVIDERS: &[&str] = &["rule-based"];

/// The budget service: limits, prices and the refusal counter. Cheap to share.
#[derive(Debug)]
pub struct ModelBudget {
    limits: limits::Limits,
    per_person_per_hour: Option<u32>,
    ttl: chrono::Duration,
    prices: Prices,
    refusals: Option<prometheus::IntCounterVec>,
    /// When this process last swept expired reservations (Unix seconds).
    last_sweep: AtomicI64,
}

impl ModelBudget {
    /// The service enforcing `settings`, with no prices (every model free) and no
    /// metrics; see [`Self::with_prices`] and [`Self::with_metrics`].
    #[must_use]
    pub fn from_settings(settings: &ModelBudgetSettings) -> Self {
        Self {
            limits: limits::Limits::from_settings(settings),
            per_person_per_hour: settings.per_person_per_hour,
            ttl: chrono::Duration::seconds(
                i64::try_from(settings.reservation_ttl_secs.clamp(1, MAX_TTL_SECS)).unwrap_or(1),
            ),
            prices: Prices::default(),
            refusals: None,
            last_sweep: AtomicI64::new(i64::MIN),
        }
    }

    /// The service for the whole `[models]` section: budgets and prices.
    #[must_use]
    pub fn from_models(settings: &ModelSettings) -> Self {
        Self::from_settings(&settings.budgets).with_prices(&settings.prices)
    }

    /// With these prices.
    #[must_use]
    pub fn with_prices(mut self, prices: &[ModelPrice]) -> Self {
        self.prices = Prices::new(prices);
        self
    }

    /// Counting refusals on `metrics` (`gantry_model_budget_refusals_total`).
    #[must_use]
    pub fn with_metrics(mut self, metrics: &Metrics) -> Self {
        self.refusals = Some(metrics.model_budget_refusals.clone());
        self
    }

    /// What `prompt_tokens` and `completion_tokens` of `provider`'s `model` cost, in
    /// micro-dollars, rounded up; 0 for a model without a price.
    #[must_use]
    pub fn cost(
        &self,
        provider: &str,
        model: &str,
        prompt_tokens: u64,
        completion_tokens: u64,
    ) -> u64 {
        self.prices
            .cost(provider, model, prompt_tokens, completion_tokens)
            .unwrap_or(0)
    }

    /// The estimate to reserve for a call: its prompt's tokens and the most the
    /// answer may have, and what they would cost.
    #[must_use]
    pub fn estimate(
        &self,
        provider: &str,
        model: &str,
        prompt_tokens: u64,
        max_completion_tokens: u64,
    ) -> Usage {
        Usage {
            tokens: prompt_tokens.saturating_add(max_completion_tokens),
            cost_micros: self.cost(provider, model, prompt_tokens, max_completion_tokens),
        }
    }

    /// The limits, for the dashboard: invocation, repository per day, organisation
    /// per month, overall per month.
    #[must_use]
    pub fn limits(&self) -> [(&'static str, Limit); 4] {
        [
            (INVOCATION, self.limits.invocation),
            (REPOSITORY, self.limits.repository),
            (ORGANISATION, self.limits.organisation),
            (OVERALL, self.limits.overall),
        ]
    }

    /// Model-using invocations a person may cause per repository per hour.
    #[must_use]
    pub fn per_person_per_hour(&self) -> Option<u32> {
        self.per_person_per_hour
    }

    /// The configured prices.
    #[must_use]
    pub fn prices(&self) -> &Prices {
        &self.prices
    }

    /// Whether a call to `provider`'s `model` must be refused for lack of a price:
    /// money is limited somewhere, and the model is neither priced nor free.
    fn unpriced(&self, provider: &str, model: &str) -> bool {
        self.limits.limits_money()
            && !FREE_PROVIDERS.contains(&provider)
            && self.prices.cost(provider, model, 0, 0).is_none()
    }
}

#[cfg(test)]
mod tests;
