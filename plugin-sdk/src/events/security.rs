//! Events about vulnerabilities and leaked secrets: `code_scanning_alert`,
//! `dependabot_alert`, `repository_vulnerability_alert` (its older form),
//! `secret_scanning_alert` and `security_advisory` (GitHub's advisory database).
use serde::Deserialize;

use super::{null_default, Repository, User};

/// The rule a code scanning alert broke.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct ScanningRule {
    /// Its id, for example `java/sql-injection`.
    pub id: String,
    /// `none`, `note`, `warning` or `error`.
    #[serde(default)]
    pub severity: Option<String>,
    /// What it checks.
    #[serde(default)]
    pub description: String,
}

/// The tool that found a code scanning alert.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct ScanningTool {
    /// Its name, for example `CodeQL`.
    pub name: String,
    /// Its version, when it says.
    #[serde(default)]
    pub version: Option<String>,
}

/// A code scanning alert.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct CodeScanningAlert {
    /// Its number in the repository.
    pub number: u64,
    /// `open`, `dismissed` or `fixed`.
    pub state: String,
    /// Its page on GitHub.
    #[serde(default)]
    pub html_url: String,
    /// The rule.
    pub rule: ScanningRule,
    /// The tool.
    pub tool: ScanningTool,
}

/// The `code_scanning_alert` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct CodeScanningAlertEvent {
    /// `created`, `reopened_by_user`, `closed_by_user`, `fixed`,
    /// `appeared_in_branch` or `reopened`.
    pub action: String,
    /// The alert.
    pub alert: CodeScanningAlert,
    /// The ref it was found on (empty when the alert was changed by hand).
    #[serde(rename = "ref", default, deserialize_with = "null_default")]
    pub git_ref: String,
    /// The commit it was found at (empty when the alert was changed by hand).
    #[serde(default, deserialize_with = "null_default")]
    pub commit_oid: String,
    /// The repository.
    pub repository: Repository,
    /// Who did it.
    pub sender: User,
}

/// A package in an ecosystem.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct AdvisoryPackage {
    /// `npm`, `pip`, `maven`, `rubygems`, `rust`, ...
    pub ecosystem: String,
    /// Its name.
    pub name: String,
}

/// The dependency a Dependabot alert is about.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Dependency {
    /// The package.
    pub package: AdvisoryPackage,
    /// The manifest that names it, for example `package-lock.json`.
    #[serde(default)]
    pub manifest_path: String,
    /// `runtime` or `development`, when known.
    #[serde(default)]
    pub scope: Option<String>,
}

/// The advisory behind an alert, in short.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct AdvisorySummary {
    /// Its GitHub id, `GHSA-…`.
    pub ghsa_id: String,
    /// Its CVE id, when it has one.
    #[serde(default)]
    pub cve_id: Option<String>,
    /// One line.
    #[serde(default)]
    pub summary: String,
    /// `low`, `medium`, `high` or `critical`.
    #[serde(default)]
    pub severity: String,
}

/// A Dependabot alert.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct DependabotAlert {
    /// Its number in the repository.
    pub number: u64,
    /// `open`, `dismissed`, `fixed` or `auto_dismissed`.
    pub state: String,
    /// Its page on GitHub.
    #[serde(default)]
    pub html_url: String,
    /// The vulnerable dependency.
    pub dependency: Dependency,
    /// The advisory.
    pub security_advisory: AdvisorySummary,
}

/// The `dependabot_alert` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct DependabotAlertEvent {
    /// `created`, `dismissed`, `fixed`, `reintroduced`, `reopened`,
    /// `auto_dismissed` or `auto_reopened`.
    pub action: String,
    /// The alert.
    pub alert: DependabotAlert,
    /// The repository.
    pub repository: Repository,
    /// Who did it.
    pub sender: User,
}

/// A vulnerability alert, as the older `repository_vulnerability_alert` event
/// shows it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct VulnerabilityAlert {
    /// Its id.
    pub id: u64,
    /// Its number in the repository.
    #[serde(default)]
    pub number: Option<u64>,
    /// `open`, `dismissed` or `fixed`.
    #[serde(default)]
    pub state: String,
    /// The vulnerable package's name.
    #[serde(default)]
    pub affected_package_name: String,
    /// The vulnerable versions, for example `< 0.2.0`.
    #[serde(default)]
    pub affected_range: String,
    /// The first fixed version.
    #[serde(default)]
    pub fixed_in: Option<String>,
    /// `low`, `moderate`, `high` or `critical`.
    #[serde(default)]
    pub severity: String,
    /// The advisory's GitHub id.
    #[serde(default)]
    pub ghsa_id: String,
}

/// The `repository_vulnerability_alert` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct RepositoryVulnerabilityAlertEvent {
    /// `create`, `dismiss`, `reopen` or `resolve`.
    pub action: String,
    /// The alert.
    pub alert: VulnerabilityAlert,
    /// The repository.
    pub repository: Repository,
    /// Who did it.
    pub sender: User,
}

/// A secret scanning alert.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct SecretScanningAlert {
    /// Its number in the repository.
    pub number: u64,
    /// The kind of secret, for example `github_personal_access_token`.
    #[serde(default)]
    pub secret_type: String,
    /// How it was closed (`false_positive`, `revoked`, ...), when it was.
    #[serde(default)]
    pub resolution: Option<String>,
    /// Who closed it, when someone did.
    #[serde(default)]
    pub resolved_by: Option<User>,
}

/// The `secret_scanning_alert` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct SecretScanningAlertEvent {
    /// `created`, `reopened`, `resolved` or `validated`.
    pub action: String,
    /// The alert.
    pub alert: SecretScanningAlert,
    /// The repository.
    pub repository: Repository,
    /// Who did it, when someone did.
    #[serde(default)]
    pub sender: Option<User>,
}

/// The first version without a vulnerability.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct PatchedVersion {
    /// The version.
    pub identifier: String,
}

/// A vulnerable package range of an advisory.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Vulnerability {
    /// The package.
    pub package: AdvisoryPackage,
    /// `low`, `moderate`, `high` or `critical`.
    #[serde(default)]
    pub severity: String,
    /// The vulnerable versions, for example `<= 0.29.0`.
    #[serde(default)]
    pub vulnerable_version_range: String,
    /// The first fixed version, when there is one.
    #[serde(default)]
    pub first_patched_version: Option<PatchedVersion>,
}

/// An advisory of GitHub's advisory database.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct SecurityAdvisory {
    /// Its GitHub id, `GHSA-…`.
    pub ghsa_id: String,
    /// Its CVE id, when it has one.
    #[serde(default)]
    pub cve_id: Option<String>,
    /// One line.
    #[serde(default)]
    pub summary: String,
    /// The full text.
    #[serde(default)]
    pub description: String,
    /// `low`, `moderate`, `high` or `critical`.
    #[serde(default)]
    pub severity: String,
    /// When it was published.
    #[serde(default)]
    pub published_at: String,
    /// When it was withdrawn, if it was.
    #[serde(default)]
    pub withdrawn_at: Option<String>,
    /// The affected packages and versions.
    #[serde(default, deserialize_with = "null_default")]
    pub vulnerabilities: Vec<Vulnerability>,
}

/// The `security_advisory` event: an advisory was published, updated or
/// withdrawn (sent to GitHub Apps, about no repository).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct SecurityAdvisoryEvent {
    /// `published`, `updated`, `performed` or `withdrawn`.
    pub action: String,
    /// The advisory.
    pub security_advisory: SecurityAdvisory,
}
