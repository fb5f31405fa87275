//! The limits and prices from the settings, in tokens and micro-dollars, and the
//! periods and counter rows a call counts on: the overall month, the
//! organisation's month, the repository's day (all UTC), the invocation, and the
//! person's hour on the repository.
use chrono::{DateTime, Utc};

use crate::config::{BudgetLimit, ModelBudgetSettings, ModelPrice};
use crate::db::model_budgets::{Ceiling, CounterKey};

/// One limit, in tokens and micro-dollars; `None` for none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limit {
    /// The most tokens.
    pub tokens: Option<u64>,
    /// The most micro-dollars.
    pub cost_micros: Option<u64>,
}

impl Limit {
    fn from_setting(limit: BudgetLimit) -> Self {
        Self {
            tokens: limit.tokens,
            cost_micros: limit.dollars.map(micros),
        }
    }

    /// As the database compares it.
    pub(super) fn ceiling(self) -> Ceiling {
        Ceiling {
            tokens: self.tokens.map(clamp),
            cost: self.cost_micros.map(clamp),
        }
    }
}

/// Dollars as micro-dollars, rounded.
fn micros(dollars: f64) -> u64 {
    // Validated finite and positive; `as` saturates.
    (dollars * 1e6).round() as u64
}

/// A stored amount: the database's integers are signed.
pub(super) fn clamp(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The four limits.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Limits {
    pub invocation: Limit,
    pub repository: Limit,
    pub organisation: Limit,
    pub overall: Limit,
}

impl Limits {
    pub fn from_settings(settings: &ModelBudgetSettings) -> Self {
        Self {
            invocation: Limit::from_setting(settings.invocation),
            repository: Limit::from_setting(settings.repository_per_day),
            organisation: Limit::from_setting(settings.organisation_per_month),
            overall: Limit::from_setting(settings.overall),
        }
    }

    /// Whether any limit is in money.
    pub fn limits_money(&self) -> bool {
        [
            self.invocation,
            self.repository,
            self.organisation,
            self.overall,
        ]
        .iter()
        .any(|l| l.cost_micros.is_some())
    }
}

/// One model's price, in micro-dollars per million tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    /// The provider.
    pub provider: String,
    /// The model, or `*`.
    pub model: String,
    /// Micro-dollars per million prompt tokens.
    pub prompt: u64,
    /// Micro-dollars per million answer tokens.
    pub completion: u64,
}

/// The configured prices.
#[derive(Debug, Clone, Default)]
pub struct Prices(Vec<Price>);

impl Prices {
    /// From `[[model_spending.prices]]`.
    #[must_use]
    pub fn new(prices: &[ModelPrice]) -> Self {
        Self(
            prices
                .iter()
                .map(|p| Price {
                    provider: p.provider.clone(),
                    model: p.model.clone(),
                    prompt: micros(p.prompt_per_million),
                    completion: micros(p.completion_per_million),
                })
                .collect(),
        )
    }

    /// Every price, as configured.
    #[must_use]
    pub fn all(&self) -> &[Price] {
        &self.0
    }

    /// The price of `provider`'s `model`: its own, else the provider's `*`.
    fn find(&self, provider: &str, model: &str) -> Option<&Price> {
        let of_provider = || self.0.iter().filter(move |p| p.provider == provider);
        of_provider()
            .find(|p| p.model == model)
            .or_else(|| of_provider().find(|p| p.model == "*"))
    }

    /// What the tokens cost in micro-dollars, rounded up; `None` without a price.
    #[must_use]
    pub fn cost(
        &self,
        provider: &str,
        model: &str,
        prompt_tokens: u64,
        completion_tokens: u64,
    ) -> Option<u64> {
        let price = self.find(provider, model)?;
        let pico = u128::from(prompt_tokens) * u128::from(price.prompt)
            + u128::from(completion_tokens) * u128::from(price.completion);
        Some(u64::try_from(pico.div_ceil(1_000_000)).unwrap_or(u64::MAX))
    }
}

/// The periods a call at `now` counts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Periods {
    /// The repository's day.
    pub day: String,
    /// The organisation's and overall month.
    pub month: String,
    /// The person's hour.
    pub hour: String,
}

impl Periods {
    pub fn at(now: DateTime<Utc>) -> Self {
        Self {
            day: now.format("%Y-%m-%d").to_string(),
            month: now.format("%Y-%m").to_string(),
            hour: now.format("%Y-%m-%dT%H").to_string(),
        }
    }
}

/// The start of the hour after `now`: when a rate-limited person may try again.
pub(super) fn next_hour(now: DateTime<Utc>) -> DateTime<Utc> {
    let start = now.timestamp() - now.timestamp().rem_euclid(3600);
    DateTime::from_timestamp(start + 3600, 0).unwrap_or(now)
}

/// Subjects are compared without case, as GitHub compares logins and names.
fn subject(text: &str) -> String {
    text.to_ascii_lowercase()
}

pub(super) fn overall(month: &str) -> CounterKey {
    CounterKey {
        scope: "overall",
        subject: String::new(),
        period: month.to_owned(),
    }
}

pub(super) fn organisation(org: &str, month: &str) -> CounterKey {
    CounterKey {
        scope: "organisation",
        subject: subject(org),
        period: month.to_owned(),
    }
}

pub(super) fn repository(repo: &str, day: &str) -> CounterKey {
    CounterKey {
        scope: "repository",
        subject: subject(repo),
        period: day.to_owned(),
    }
}

pub(super) fn invocation(id: &str) -> CounterKey {
    CounterKey {
        scope: "invocation",
        subject: id.to_owned(),
        period: "all".to_owned(),
    }
}

pub(super) fn person(login: &str, repo: &str, hour: &str) -> CounterKey {
    CounterKey {
        scope: "person",
        subject: subject(&format!("{login}@{repo}")),
        period: hour.to_owned(),
    }
}
