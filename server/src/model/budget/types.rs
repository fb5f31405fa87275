//! What the budget service takes and answers: an amount (`Usage`), who and what a
//! call is for (`Scope`), a refusal and why (`Refusal`, `BudgetError`), and the
//! reservation a granted call holds until it is settled or released.
use chrono::{DateTime, Utc};
use sea_orm::DbErr;

/// Tokens and money: what a call is estimated to use, or used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Tokens, prompt and answer together.
    pub tokens: u64,
    /// Micro-dollars.
    pub cost_micros: u64,
}

/// Who and what a model call is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The plugin invocation's id: every call of one invocation shares its limit.
    pub invocation: String,
    /// The repository, `owner/name`.
    pub repo: String,
    /// The organisation (or user) owning it.
    pub org: String,
    /// The person whose comment or event caused the invocation, when one did: the
    /// per-person rate limit applies to them.
    pub person: Option<String>,
    /// The provider's configured name.
    pub provider: String,
    /// The model asked.
    pub model: String,
}

/// Why a call was refused: it would have passed a limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `invocation`, `repository per day`, `organisation per month` or `overall`.
    pub scope: String,
    /// `tokens` or `cost` (micro-dollars).
    pub unit: String,
    /// The limit.
    pub limit: u64,
    /// Used and reserved before this call.
    pub used: u64,
    /// What this call asked for.
    pub asked: u64,
}

impl Refusal {
    /// The scope's label on `/metrics` (`gantry_model_budget_refusals_total`).
    #[must_use]
    pub fn metric_scope(&self) -> &'static str {
        match self.scope.as_str() {
            super::INVOCATION => "invocation",
            super::REPOSITORY => "repository",
            super::ORGANISATION => "organisation",
            _ => "overall",
        }
    }

    fn amount(&self, value: u64) -> String {
        if self.unit == "cost" {
            dollars(value)
        } else {
            format!("{value} tokens")
        }
    }
}

/// Micro-dollars as dollars, `$1.250000`.
#[must_use]
pub fn dollars(micros: u64) -> String {
    format!("${}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let whose = match self.scope.as_str() {
            super::INVOCATION => "this invocation's",
            super::REPOSITORY => "the repository's daily",
            super::ORGANISATION => "the organisation's monthly",
            _ => "the overall monthly",
        };
        let what = if self.unit == "cost" {
            "money"
        } else {
            "token"
        };
        write!(
            f,
            "the model call was refused: it would pass {whose} {what} budget of {} ({} used or reserved, {} asked)",
            self.amount(self.limit),
            self.amount(self.used),
            self.amount(self.asked),
        )
    }
}

/// Why `reserve` refused. Every variant refuses the call: a database that cannot
/// say what is left refuses too (fail closed).
#[derive(Debug, thiserror::Error)]
pub enum BudgetError {
    /// The call would pass a limit.
    #[error("{0}")]
    Exceeded(Refusal),
    /// The person reached `model_spending.budgets.per_person_per_hour` on the repository.
    #[error("the model call was refused: {person} may cause at most {limit} model-using invocations an hour on {repo}; try again after {retry_at}")]
    RateLimited {
        /// The person.
        person: String,
        /// The repository.
        repo: String,
        /// The limit per hour.
        limit: u32,
        /// When the next hour starts.
        retry_at: DateTime<Utc>,
    },
    /// Money limits are set but the model has no price (`[[model_spending.prices]]`):
    /// its cost could not be counted.
    #[error("the model call was refused: {provider}/{model} has no price in [[model_spending.prices]], and model budgets limit money")]
    Unpriced {
        /// The provider.
        provider: String,
        /// The model.
        model: String,
    },
    /// The database failed: nothing was reserved and the call is refused.
    #[error("the model call was refused: the budget could not be checked ({0})")]
    Db(#[from] DbErr),
}

impl BudgetError {
    /// The labels of `gantry_model_budget_refusals_total`: scope and unit.
    #[must_use]
    pub fn metric_labels(&self) -> (&'static str, &'static str) {
        match self {
            Self::Exceeded(refusal) => (
                refusal.metric_scope(),
                if refusal.unit == "cost" {
                    "cost"
                } else {
                    "tokens"
                },
            ),
            Self::RateLimited { .. } => ("person", "invocations"),
            Self::Unpriced { .. } => ("price", "cost"),
            Self::Db(_) => ("database", "none"),
        }
    }
}

/// A granted reservation: the estimate is held on every limit until `settle` (with
/// what the call used) or `release` (it was not sent). Not `Clone`: it is used once.
#[derive(Debug, PartialEq, Eq)]
pub struct Reservation {
    /// Its id.
    pub id: String,
    /// What it is for.
    pub scope: Scope,
    /// What it holds.
    pub estimate: Usage,
    /// The repository's day it counts on (`2026-12-07`).
    pub day: String,
    /// The organisation's and overall month it counts on (`2026-12`).
    pub month: String,
}
