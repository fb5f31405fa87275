//! Events about the GitHub App and the accounts it serves: `installation`,
//! `installation_repositories`, `marketplace_purchase` and `sponsorship`.
use serde::Deserialize;

use super::{null_default, User};

/// An installation of the GitHub App.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Installation {
    /// Its id.
    pub id: u64,
    /// The account it is installed on.
    #[serde(default)]
    pub account: Option<User>,
    /// `all` or `selected` repositories.
    #[serde(default)]
    pub repository_selection: Option<String>,
    /// The App's id.
    #[serde(default)]
    pub app_id: Option<u64>,
    /// The events it receives.
    #[serde(default, deserialize_with = "null_default")]
    pub events: Vec<String>,
}

/// A repository as installation events list it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct InstalledRepository {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// `owner/name`.
    pub full_name: String,
    /// Whether it is private.
    #[serde(default)]
    pub private: bool,
}

/// The `installation` event: the App was installed, uninstalled, suspended,
/// unsuspended or given new permissions.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct InstallationEvent {
    /// `created`, `deleted`, `suspend`, `unsuspend` or `new_permissions_accepted`.
    pub action: String,
    /// The installation.
    pub installation: Installation,
    /// The repositories it covers, on `created` and `deleted`.
    #[serde(default, deserialize_with = "null_default")]
    pub repositories: Vec<InstalledRepository>,
    /// Who asked for the installation, when someone did.
    #[serde(default)]
    pub requester: Option<User>,
    /// Who did it.
    pub sender: User,
}

/// The `installation_repositories` event: repositories were added to or removed
/// from an installation.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct InstallationRepositoriesEvent {
    /// `added` or `removed`.
    pub action: String,
    /// The installation.
    pub installation: Installation,
    /// `all` or `selected`.
    #[serde(default)]
    pub repository_selection: String,
    /// The repositories added.
    #[serde(default, deserialize_with = "null_default")]
    pub repositories_added: Vec<InstalledRepository>,
    /// The repositories removed.
    #[serde(default, deserialize_with = "null_default")]
    pub repositories_removed: Vec<InstalledRepository>,
    /// Who did it.
    pub sender: User,
}

/// A GitHub Marketplace plan.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct MarketplacePlan {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// `free`, `flat-rate` or `per-unit`.
    #[serde(default)]
    pub price_model: String,
    /// The monthly price in cents.
    #[serde(default)]
    pub monthly_price_in_cents: u64,
}

/// A GitHub Marketplace purchase.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct MarketplacePurchase {
    /// The account that bought it.
    pub account: User,
    /// `monthly` or `yearly`.
    #[serde(default)]
    pub billing_cycle: String,
    /// How many units (seats) of a per-unit plan.
    #[serde(default)]
    pub unit_count: u64,
    /// Whether it is on a free trial.
    #[serde(default)]
    pub on_free_trial: bool,
    /// The plan.
    pub plan: MarketplacePlan,
}

/// The `marketplace_purchase` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct MarketplacePurchaseEvent {
    /// `purchased`, `pending_change`, `pending_change_cancelled`, `changed` or
    /// `cancelled`.
    pub action: String,
    /// When the change takes effect.
    #[serde(default)]
    pub effective_date: String,
    /// The purchase.
    pub marketplace_purchase: MarketplacePurchase,
    /// On `changed`: the purchase before.
    #[serde(default)]
    pub previous_marketplace_purchase: Option<MarketplacePurchase>,
    /// Who did it.
    pub sender: User,
}

/// A sponsorship tier.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct SponsorshipTier {
    /// Its name, for example `$5 a month`.
    #[serde(default)]
    pub name: String,
    /// The monthly price in dollars.
    #[serde(default)]
    pub monthly_price_in_dollars: u64,
    /// Whether it is a one-time payment.
    #[serde(default)]
    pub is_one_time: bool,
}

/// A GitHub Sponsors sponsorship.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Sponsorship {
    /// Who is sponsored.
    pub sponsorable: User,
    /// Who sponsors.
    pub sponsor: User,
    /// `public` or `private`.
    #[serde(default)]
    pub privacy_level: String,
    /// The tier.
    #[serde(default)]
    pub tier: Option<SponsorshipTier>,
}

/// The `sponsorship` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct SponsorshipEvent {
    /// `created`, `cancelled`, `edited`, `tier_changed`, `pending_cancellation` or
    /// `pending_tier_change`.
    pub action: String,
    /// The sponsorship.
    pub sponsorship: Sponsorship,
    /// For pending changes: when they take effect.
    #[serde(default)]
    pub effective_date: Option<String>,
    /// On changes: what it was before.
    #[serde(default)]
    pub changes: Option<serde_json::Value>,
    /// Who did it.
    pub sender: User,
}
