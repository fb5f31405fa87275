//! `[model_spending]`: what model calls may spend. `[model_spending.budgets]` holds the limits (per
//! invocation, per repository per day, per organisation per month, overall per
//! month; each in tokens and in dollars, unset meaning no limit) and the per-person
//! rate limit; `[[model_spending.prices]]` the price of each provider's models, which turns
//! tokens into money. `model::budget` enforces them.
use serde::{Deserialize, Serialize};

/// Model calls: budgets and prices.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelSettings {
    /// The limits and the rate limit.
    pub budgets: ModelBudgetSettings,
    /// Prices per provider and model; a model without one costs nothing, and is
    /// refused while a money limit is set.
    pub prices: Vec<ModelPrice>,
}

/// One limit: tokens and money, each unset for no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BudgetLimit {
    /// The most tokens (prompt and answer together).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<u64>,
    /// The most money, in US dollars (kept as micro-dollars).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dollars: Option<f64>,
}

/// `[model_spending.budgets]`: every limit is checked and reserved in one step before a
/// call is sent; a call that would pass one is refused.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelBudgetSettings {
    /// What all the model calls of one plugin invocation may use together.
    pub invocation: BudgetLimit,
    /// What one repository may use in a day (UTC).
    pub repository_per_day: BudgetLimit,
    /// What one organisation (the repository's owner) may use in a calendar month
    /// (UTC).
    pub organisation_per_month: BudgetLimit,
    /// What everything together may use in a calendar month (UTC).
    pub overall: BudgetLimit,
    /// Model-using invocations one person may cause on one repository in a clock
    /// hour (UTC); unset for no limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_person_per_hour: Option<u32>,
    /// A reservation neither settled nor released within this many seconds (its
    /// process died mid-call) is settled at its estimate, as the call may have
    /// been paid for.
    pub reservation_ttl_secs: u64,
}

impl Default for ModelBudgetSettings {
    fn default() -> Self {
        Self {
            invocation: BudgetLimit::default(),
            repository_per_day: BudgetLimit::default(),
            organisation_per_month: BudgetLimit::default(),
            overall: BudgetLimit::default(),
            per_person_per_hour: None,
            reservation_ttl_secs: 3600,
        }
    }
}

/// `[[model_spending.prices]]`: what a provider's model costs, in US dollars per million
/// tokens (so, also, micro-dollars per token).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    /// The provider's name as configured (`openai`, ...).
    pub provider: String,
    /// The model's name, or `*` for every model of the provider without a price
    /// of its own.
    pub model: String,
    /// Dollars per million prompt tokens.
    pub prompt_per_million: f64,
    /// Dollars per million answer tokens.
    pub completion_per_million: f64,
}

impl ModelSettings {
    /// Refuses negative or non-finite money and prices, and a rate limit of 0 (which
    /// would refuse every model call: say so with a token limit instead).
    ///
    /// # Errors
    /// A message naming the setting.
    pub fn validate(&self) -> anyhow::Result<()> {
        let budgets = &self.budgets;
        for (name, limit) in [
            ("invocation", budgets.invocation),
            ("repository_per_day", budgets.repository_per_day),
            ("organisation_per_month", budgets.organisation_per_month),
            ("overall", budgets.overall),
        ] {
            if let Some(dollars) = limit.dollars {
                if !dollars.is_finite() || dollars < 0.0 {
                    anyhow::bail!(
                        "model_spending.budgets.{name}.dollars must be a positive amount, not {dollars}"
                    );
                }
            }
        }
        if budgets.per_person_per_hour == Some(0) {
            anyhow::bail!("model_spending.budgets.per_person_per_hour must be at least 1 (leave it unset for no limit)");
        }
        for price in &self.prices {
            for value in [price.prompt_per_million, price.completion_per_million] {
                if !value.is_finite() || value < 0.0 {
                    anyhow::bail!(
                        "model_spending.prices: the price of {}/{} must be a positive amount, not {value}",
                        price.provider,
                        price.model
                    );
                }
            }
        }
        Ok(())
    }
}
