//! Events about a repository itself and what hangs off it: `repository`, `fork`,
//! `public`, `star`, `watch`, `label`, `milestone`, `branch_protection_rule`,
//! `gollum` (wiki pages), `page_build`, `repository_import`, `ping` (a new
//! webhook), and `package` and `registry_package` (GitHub Packages).
use serde::Deserialize;

use super::{null_default, Label, Milestone, Repository, User};

/// The `repository` event: a repository was created, renamed, transferred, made
/// public or private, archived, edited or deleted.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct RepositoryEvent {
    /// `created`, `edited`, `renamed`, `transferred`, `publicized`, `privatized`,
    /// `archived`, `unarchived` or `deleted`.
    pub action: String,
    /// The repository (afterwards).
    pub repository: Repository,
    /// Who did it.
    pub sender: User,
    /// On `edited`, `renamed` and `transferred`: what it was before.
    #[serde(default)]
    pub changes: Option<serde_json::Value>,
}

/// The `fork` event: someone forked the repository.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ForkEvent {
    /// The new fork.
    pub forkee: Repository,
    /// The repository forked.
    pub repository: Repository,
    /// Who forked it.
    pub sender: User,
}

/// The `public` event: a private repository was made public.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct PublicEvent {
    /// The repository.
    pub repository: Repository,
    /// Who made it public.
    pub sender: User,
}

/// The `star` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct StarEvent {
    /// `created` or `deleted`.
    pub action: String,
    /// When it was starred; `None` on `deleted`.
    #[serde(default)]
    pub starred_at: Option<String>,
    /// The repository.
    pub repository: Repository,
    /// Who starred it.
    pub sender: User,
}

/// The `watch` event: someone starred the repository (GitHub's older name).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct WatchEvent {
    /// `started`.
    pub action: String,
    /// The repository.
    pub repository: Repository,
    /// Who did it.
    pub sender: User,
}

/// A label as the `label` event shows it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct LabelDetails {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Its colour, six hex digits.
    #[serde(default)]
    pub color: String,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
}

impl LabelDetails {
    /// As the shared [`Label`] record.
    #[must_use]
    pub fn label(&self) -> Label {
        Label {
            name: self.name.clone(),
        }
    }
}

/// The `label` event: a repository label was created, edited or deleted.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct LabelEvent {
    /// `created`, `edited` or `deleted`.
    pub action: String,
    /// The label.
    pub label: LabelDetails,
    /// On `edited`: what it was before.
    #[serde(default)]
    pub changes: Option<serde_json::Value>,
    /// The repository.
    pub repository: Repository,
    /// Who did it.
    pub sender: User,
}

/// The `milestone` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct MilestoneEvent {
    /// `created`, `opened`, `closed`, `edited` or `deleted`.
    pub action: String,
    /// The milestone.
    pub milestone: Milestone,
    /// On `edited`: what it was before.
    #[serde(default)]
    pub changes: Option<serde_json::Value>,
    /// The repository.
    pub repository: Repository,
    /// Who did it.
    pub sender: User,
}

/// A branch protection rule.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct BranchProtectionRule {
    /// Its id.
    pub id: u64,
    /// The branch name pattern it protects, for example `main` or `release/*`.
    pub name: String,
    /// Approving reviews a pull request needs.
    #[serde(default)]
    pub required_approving_review_count: u64,
    /// The status checks that must pass.
    #[serde(default, deserialize_with = "null_default")]
    pub required_status_checks: Vec<String>,
    /// Whether code owners must review.
    #[serde(default)]
    pub require_code_owner_review: bool,
    /// Whether a push dismisses approvals.
    #[serde(default)]
    pub dismiss_stale_reviews_on_push: bool,
    /// Whether administrators are held to it.
    #[serde(default)]
    pub admin_enforced: bool,
    /// `off`, `non_admins` or `everyone`: who must pass the required checks.
    #[serde(default)]
    pub required_status_checks_enforcement_level: String,
    /// Who may force-push: `off`, `non_admins` or `everyone`.
    #[serde(default)]
    pub allow_force_pushes_enforcement_level: String,
}

/// The `branch_protection_rule` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct BranchProtectionRuleEvent {
    /// `created`, `edited` or `deleted`.
    pub action: String,
    /// The rule.
    pub rule: BranchProtectionRule,
    /// On `edited`: what it was before.
    #[serde(default)]
    pub changes: Option<serde_json::Value>,
    /// The repository.
    pub repository: Repository,
    /// Who did it.
    pub sender: User,
}

/// A wiki page in a `gollum` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct WikiPage {
    /// Its name (the file's).
    pub page_name: String,
    /// Its title.
    #[serde(default)]
    pub title: String,
    /// `created` or `edited`.
    pub action: String,
    /// The page's latest commit.
    #[serde(default)]
    pub sha: String,
    /// Its page on GitHub.
    #[serde(default)]
    pub html_url: String,
    /// The edit summary, when given.
    #[serde(default)]
    pub summary: Option<String>,
}

/// The `gollum` event: wiki pages were created or edited.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct GollumEvent {
    /// The pages.
    #[serde(default, deserialize_with = "null_default")]
    pub pages: Vec<WikiPage>,
    /// The repository.
    pub repository: Repository,
    /// Who edited them.
    pub sender: User,
}

/// A GitHub Pages build.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct PageBuild {
    /// `building`, `built` or `errored`.
    #[serde(default)]
    pub status: String,
    /// The commit built.
    #[serde(default)]
    pub commit: Option<String>,
    /// What went wrong, on `errored`.
    #[serde(default)]
    pub error: Option<PageBuildError>,
    /// How long it took, in milliseconds.
    #[serde(default)]
    pub duration: Option<u64>,
}

/// A Pages build's error.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct PageBuildError {
    /// The message; `None` when it did not fail.
    #[serde(default)]
    pub message: Option<String>,
}

/// The `page_build` event: a GitHub Pages build ran.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct PageBuildEvent {
    /// The build's id.
    pub id: u64,
    /// The build.
    pub build: PageBuild,
    /// The repository.
    pub repository: Repository,
    /// Who triggered it.
    pub sender: User,
}

/// The `repository_import` event: an import into the repository ended.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct RepositoryImportEvent {
    /// `success`, `cancelled` or `failure`.
    pub status: String,
    /// The repository.
    pub repository: Repository,
    /// Who started the import.
    pub sender: User,
}

/// The webhook a `ping` is about.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Hook {
    /// Its id.
    pub id: u64,
    /// `Repository`, `Organization` or `App`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Whether it is active.
    #[serde(default)]
    pub active: bool,
    /// The events it sends.
    #[serde(default, deserialize_with = "null_default")]
    pub events: Vec<String>,
    /// The GitHub App it belongs to, for an App's hook.
    #[serde(default)]
    pub app_id: Option<u64>,
}

/// The `ping` event, sent when a webhook is created.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct PingEvent {
    /// A line of GitHub zen.
    #[serde(default)]
    pub zen: String,
    /// The webhook's id.
    pub hook_id: u64,
    /// The webhook.
    pub hook: Hook,
    /// The repository, for a repository's webhook.
    #[serde(default)]
    pub repository: Option<Repository>,
    /// Who created the webhook.
    #[serde(default)]
    pub sender: Option<User>,
}

/// A version of a package.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct PackageVersion {
    /// Its id.
    pub id: u64,
    /// The version, for example `1.0.0` or a container digest.
    #[serde(default)]
    pub version: String,
    /// Its page on GitHub.
    #[serde(default)]
    pub html_url: Option<String>,
}

/// A package of GitHub Packages.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Package {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// `npm`, `maven`, `rubygems`, `docker`, `nuget`, `container`, ...
    #[serde(default)]
    pub package_type: String,
    /// Its page on GitHub.
    #[serde(default)]
    pub html_url: String,
    /// Who owns it.
    #[serde(default)]
    pub owner: Option<User>,
    /// The version the event is about.
    #[serde(default)]
    pub package_version: Option<PackageVersion>,
}

/// The `package` event: a package was published or updated.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct PackageEvent {
    /// `published` or `updated`.
    pub action: String,
    /// The package.
    pub package: Package,
    /// The repository it belongs to.
    #[serde(default)]
    pub repository: Option<Repository>,
    /// Who did it.
    pub sender: User,
}

/// The `registry_package` event (GitHub's older name for `package`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct RegistryPackageEvent {
    /// `published` or `updated`.
    pub action: String,
    /// The package.
    pub registry_package: Package,
    /// The repository it belongs to.
    #[serde(default)]
    pub repository: Option<Repository>,
    /// Who did it.
    pub sender: User,
}
