//! Typed webhook payloads behind one enum: [`crate::Event::typed`] gives a
//! [`TypedEvent`] for every event of the fixture corpus (`tests/fixtures/webhooks`,
//! 56 events), and [`TypedEvent::Other`] with the event's name for any other (read
//! those with [`crate::Event::parse`]).
//!
//! Only the fields plugins need are modelled, and a field GitHub may leave out is an
//! `Option` or has a default, so a new GitHub field never breaks a plugin. The shared
//! records (accounts, labels, repositories) are here; each family of events has its
//! own file: `issues`, `pulls`, `refs`, `actions`, `deployments`, `repository`,
//! `orgs`, `apps`, `security`, `discussions` and `projects`.
//! `tests/typed_events.rs` parses every payload of the corpus into its own
//! variant, so a corpus event without one fails it.
use serde::Deserialize;

mod actions;
mod apps;
mod deployments;
mod discussions;
mod issues;
mod orgs;
mod projects;
mod pulls;
mod refs;
mod repository;
mod security;

pub use actions::{
    CheckRun, CheckRunEvent, CheckSuite, CheckSuiteEvent, PullRequestRef, StatusEvent, Workflow,
    WorkflowDispatchEvent, WorkflowJob, WorkflowJobEvent, WorkflowRun, WorkflowRunEvent,
};
pub use apps::{
    Installation, InstallationEvent, InstallationRepositoriesEvent, InstalledRepository,
    MarketplacePlan, MarketplacePurchase, MarketplacePurchaseEvent, Sponsorship, SponsorshipEvent,
    SponsorshipTier,
};
pub use deployments::{
    Deployment, DeploymentEvent, DeploymentReviewEvent, DeploymentReviewer, DeploymentStatus,
    DeploymentStatusEvent, ReviewerAccount, WaitingJob,
};
pub use discussions::{
    Discussion, DiscussionCategory, DiscussionComment, DiscussionCommentEvent, DiscussionEvent,
};
pub use issues::{Comment, Issue, IssueCommentEvent, IssuesEvent};
pub use orgs::{
    MemberEvent, MembershipEvent, OrgBlockEvent, OrgInvitation, OrgMembership, OrganizationEvent,
    Team, TeamAddEvent, TeamEvent,
};
pub use projects::{
    Project, ProjectCard, ProjectCardEvent, ProjectColumn, ProjectColumnEvent, ProjectEvent,
    ProjectsV2Item, ProjectsV2ItemEvent,
};
pub use pulls::{
    Branch, MergeGroup, MergeGroupCommit, MergeGroupEvent, PullRequest, PullRequestEvent,
    PullRequestReviewCommentEvent, PullRequestReviewEvent, PullRequestReviewThreadEvent, Review,
    ReviewComment, ReviewThread,
};
pub use refs::{
    Commit, CommitComment, CommitCommentEvent, CreateEvent, DeleteEvent, PushEvent, Pusher,
    Release, ReleaseEvent,
};
pub use repository::{
    BranchProtectionRule, BranchProtectionRuleEvent, ForkEvent, GollumEvent, Hook, LabelDetails,
    LabelEvent, MilestoneEvent, Package, PackageEvent, PackageVersion, PageBuild, PageBuildError,
    PageBuildEvent, PingEvent, PublicEvent, RegistryPackageEvent, RepositoryEvent,
    RepositoryImportEvent, StarEvent, WatchEvent, WikiPage,
};
pub use security::{
    AdvisoryPackage, AdvisorySummary, CodeScanningAlert, CodeScanningAlertEvent, DependabotAlert,
    DependabotAlertEvent, Dependency, PatchedVersion, RepositoryVulnerabilityAlertEvent,
    ScanningRule, ScanningTool, SecretScanningAlert, SecretScanningAlertEvent, SecurityAdvisory,
    SecurityAdvisoryEvent, Vulnerability, VulnerabilityAlert,
};

/// A GitHub account (user, bot or organisation) as it appears in payloads.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct User {
    /// The account's login.
    pub login: String,
    /// `User`, `Bot` or `Organization`.
    #[serde(rename = "type", default)]
    pub kind: String,
}

impl User {
    /// Whether the account is a bot (by its type or its `[bot]` login).
    #[must_use]
    pub fn is_bot(&self) -> bool {
        self.kind == "Bot" || self.login.ends_with("[bot]")
    }
}

/// A label on an issue or pull request.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Label {
    /// The label's name.
    pub name: String,
}

/// A milestone, as payloads show it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Milestone {
    /// Its number.
    pub number: u64,
    /// Its title.
    #[serde(default)]
    pub title: String,
}

/// The repository an event belongs to.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Repository {
    /// `owner/name`.
    pub full_name: String,
    /// The repository's name.
    pub name: String,
    /// The repository's owner.
    pub owner: User,
    /// The default branch, such as `main`.
    #[serde(default)]
    pub default_branch: Option<String>,
    /// Its page on GitHub.
    #[serde(default)]
    pub html_url: String,
    /// Whether it is private.
    #[serde(default)]
    pub private: bool,
}

/// An event the SDK models, parsed from its payload, or the name of one it does not.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum TypedEvent {
    /// `issues`.
    Issues(IssuesEvent),
    /// `issue_comment`.
    IssueComment(IssueCommentEvent),
    /// `pull_request`.
    PullRequest(PullRequestEvent),
    /// `pull_request_review`.
    PullRequestReview(PullRequestReviewEvent),
    /// `pull_request_review_comment`.
    PullRequestReviewComment(PullRequestReviewCommentEvent),
    /// `pull_request_review_thread` (resolved or unresolved).
    PullRequestReviewThread(PullRequestReviewThreadEvent),
    /// `merge_group` (the merge queue).
    MergeGroup(MergeGroupEvent),
    /// `push`.
    Push(PushEvent),
    /// `create` (a branch or tag).
    Create(CreateEvent),
    /// `delete` (a branch or tag).
    Delete(DeleteEvent),
    /// `commit_comment`.
    CommitComment(CommitCommentEvent),
    /// `release`.
    Release(ReleaseEvent),
    /// `check_run`.
    CheckRun(CheckRunEvent),
    /// `check_suite`.
    CheckSuite(CheckSuiteEvent),
    /// `workflow_run`.
    WorkflowRun(WorkflowRunEvent),
    /// `workflow_job`.
    WorkflowJob(WorkflowJobEvent),
    /// `workflow_dispatch`.
    WorkflowDispatch(WorkflowDispatchEvent),
    /// `status` (a commit status).
    Status(StatusEvent),
    /// `deployment`.
    Deployment(DeploymentEvent),
    /// `deployment_status`.
    DeploymentStatus(DeploymentStatusEvent),
    /// `deployment_review`.
    DeploymentReview(DeploymentReviewEvent),
    /// `repository`.
    Repository(RepositoryEvent),
    /// `fork`.
    Fork(ForkEvent),
    /// `public`.
    Public(PublicEvent),
    /// `star`.
    Star(StarEvent),
    /// `watch`.
    Watch(WatchEvent),
    /// `label` (a repository label itself).
    Label(LabelEvent),
    /// `milestone`.
    Milestone(MilestoneEvent),
    /// `branch_protection_rule`.
    BranchProtectionRule(BranchProtectionRuleEvent),
    /// `gollum` (wiki pages).
    Gollum(GollumEvent),
    /// `page_build` (GitHub Pages).
    PageBuild(PageBuildEvent),
    /// `repository_import`.
    RepositoryImport(RepositoryImportEvent),
    /// `ping` (a new webhook).
    Ping(PingEvent),
    /// `package`.
    Package(PackageEvent),
    /// `registry_package`.
    RegistryPackage(RegistryPackageEvent),
    /// `member` (a collaborator).
    Member(MemberEvent),
    /// `membership` (a team's member).
    Membership(MembershipEvent),
    /// `organization`.
    Organization(OrganizationEvent),
    /// `org_block`.
    OrgBlock(OrgBlockEvent),
    /// `team`.
    Team(TeamEvent),
    /// `team_add`.
    TeamAdd(TeamAddEvent),
    /// `installation` (the GitHub App's).
    Installation(InstallationEvent),
    /// `installation_repositories`.
    InstallationRepositories(InstallationRepositoriesEvent),
    /// `marketplace_purchase`.
    MarketplacePurchase(MarketplacePurchaseEvent),
    /// `sponsorship`.
    Sponsorship(SponsorshipEvent),
    /// `code_scanning_alert`.
    CodeScanningAlert(CodeScanningAlertEvent),
    /// `dependabot_alert`.
    DependabotAlert(DependabotAlertEvent),
    /// `repository_vulnerability_alert`.
    RepositoryVulnerabilityAlert(RepositoryVulnerabilityAlertEvent),
    /// `secret_scanning_alert`.
    SecretScanningAlert(SecretScanningAlertEvent),
    /// `security_advisory`.
    SecurityAdvisory(SecurityAdvisoryEvent),
    /// `discussion`.
    Discussion(DiscussionEvent),
    /// `discussion_comment`.
    DiscussionComment(DiscussionCommentEvent),
    /// `project` (a classic project).
    Project(ProjectEvent),
    /// `project_card`.
    ProjectCard(ProjectCardEvent),
    /// `project_column`.
    ProjectColumn(ProjectColumnEvent),
    /// `projects_v2_item`.
    ProjectsV2Item(ProjectsV2ItemEvent),
    /// Any other event, by its name (`X-GitHub-Event`); read it with
    /// [`crate::Event::parse`].
    Other(String),
}

impl TypedEvent {
    /// The event names the SDK models, as `X-GitHub-Event` names them: every
    /// event of the fixture corpus.
    pub const TYPED: [&'static str; 56] = [
        "issues",
        "issue_comment",
        "pull_request",
        "pull_request_review",
        "pull_request_review_comment",
        "pull_request_review_thread",
        "merge_group",
        "push",
        "create",
        "delete",
        "commit_comment",
        "release",
        "check_run",
        "check_suite",
        "workflow_run",
        "workflow_job",
        "workflow_dispatch",
        "status",
        "deployment",
        "deployment_status",
        "deployment_review",
        "repository",
        "fork",
        "public",
        "star",
        "watch",
        "label",
        "milestone",
        "branch_protection_rule",
        "gollum",
        "page_build",
        "repository_import",
        "ping",
        "package",
        "registry_package",
        "member",
        "membership",
        "organization",
        "org_block",
        "team",
        "team_add",
        "installation",
        "installation_repositories",
        "marketplace_purchase",
        "sponsorship",
        "code_scanning_alert",
        "dependabot_alert",
        "repository_vulnerability_alert",
        "secret_scanning_alert",
        "security_advisory",
        "discussion",
        "discussion_comment",
        "project",
        "project_card",
        "project_column",
        "projects_v2_item",
    ];

    /// Parses `payload` as the event `name`.
    ///
    /// # Errors
    /// When the payload of a modelled event does not have its shape.
    pub fn parse(name: &str, payload: &str) -> Result<Self, serde_json::Error> {
        let p = payload;
        Ok(match name {
            "issues" => Self::Issues(serde_json::from_str(p)?),
            "issue_comment" => Self::IssueComment(serde_json::from_str(p)?),
            "pull_request" => Self::PullRequest(serde_json::from_str(p)?),
            "pull_request_review" => Self::PullRequestReview(serde_json::from_str(p)?),
            "pull_request_review_comment" => {
                Self::PullRequestReviewComment(serde_json::from_str(p)?)
            }
            "pull_request_review_thread" => Self::PullRequestReviewThread(serde_json::from_str(p)?),
            "merge_group" => Self::MergeGroup(serde_json::from_str(p)?),
            "push" => Self::Push(serde_json::from_str(p)?),
            "create" => Self::Create(serde_json::from_str(p)?),
            "delete" => Self::Delete(serde_json::from_str(p)?),
            "commit_comment" => Self::CommitComment(serde_json::from_str(p)?),
            "release" => Self::Release(serde_json::from_str(p)?),
            "check_run" => Self::CheckRun(serde_json::from_str(p)?),
            "check_suite" => Self::CheckSuite(serde_json::from_str(p)?),
            "workflow_run" => Self::WorkflowRun(serde_json::from_str(p)?),
            "workflow_job" => Self::WorkflowJob(serde_json::from_str(p)?),
            "workflow_dispatch" => Self::WorkflowDispatch(serde_json::from_str(p)?),
            "status" => Self::Status(serde_json::from_str(p)?),
            "deployment" => Self::Deployment(serde_json::from_str(p)?),
            "deployment_status" => Self::DeploymentStatus(serde_json::from_str(p)?),
            "deployment_review" => Self::DeploymentReview(serde_json::from_str(p)?),
            "repository" => Self::Repository(serde_json::from_str(p)?),
            "fork" => Self::Fork(serde_json::from_str(p)?),
            "public" => Self::Public(serde_json::from_str(p)?),
            "star" => Self::Star(serde_json::from_str(p)?),
            "watch" => Self::Watch(serde_json::from_str(p)?),
            "label" => Self::Label(serde_json::from_str(p)?),
            "milestone" => Self::Milestone(serde_json::from_str(p)?),
            "branch_protection_rule" => Self::BranchProtectionRule(serde_json::from_str(p)?),
            "gollum" => Self::Gollum(serde_json::from_str(p)?),
            "page_build" => Self::PageBuild(serde_json::from_str(p)?),
            "repository_import" => Self::RepositoryImport(serde_json::from_str(p)?),
            "ping" => Self::Ping(serde_json::from_str(p)?),
            "package" => Self::Package(serde_json::from_str(p)?),
            "registry_package" => Self::RegistryPackage(serde_json::from_str(p)?),
            "member" => Self::Member(serde_json::from_str(p)?),
            "membership" => Self::Membership(serde_json::from_str(p)?),
            "organization" => Self::Organization(serde_json::from_str(p)?),
            "org_block" => Self::OrgBlock(serde_json::from_str(p)?),
            "team" => Self::Team(serde_json::from_str(p)?),
            "team_add" => Self::TeamAdd(serde_json::from_str(p)?),
            "installation" => Self::Installation(serde_json::from_str(p)?),
            "installation_repositories" => Self::InstallationRepositories(serde_json::from_str(p)?),
            "marketplace_purchase" => Self::MarketplacePurchase(serde_json::from_str(p)?),
            "sponsorship" => Self::Sponsorship(serde_json::from_str(p)?),
            "code_scanning_alert" => Self::CodeScanningAlert(serde_json::from_str(p)?),
            "dependabot_alert" => Self::DependabotAlert(serde_json::from_str(p)?),
            "repository_vulnerability_alert" => {
                Self::RepositoryVulnerabilityAlert(serde_json::from_str(p)?)
            }
            "secret_scanning_alert" => Self::SecretScanningAlert(serde_json::from_str(p)?),
            "security_advisory" => Self::SecurityAdvisory(serde_json::from_str(p)?),
            "discussion" => Self::Discussion(serde_json::from_str(p)?),
            "discussion_comment" => Self::DiscussionComment(serde_json::from_str(p)?),
            "project" => Self::Project(serde_json::from_str(p)?),
            "project_card" => Self::ProjectCard(serde_json::from_str(p)?),
            "project_column" => Self::ProjectColumn(serde_json::from_str(p)?),
            "projects_v2_item" => Self::ProjectsV2Item(serde_json::from_str(p)?),
            other => Self::Other(other.to_owned()),
        })
    }

    /// The event's name, as `X-GitHub-Event` gives it.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::Issues(_) => "issues",
            Self::IssueComment(_) => "issue_comment",
            Self::PullRequest(_) => "pull_request",
            Self::PullRequestReview(_) => "pull_request_review",
            Self::PullRequestReviewComment(_) => "pull_request_review_comment",
            Self::PullRequestReviewThread(_) => "pull_request_review_thread",
            Self::MergeGroup(_) => "merge_group",
            Self::Push(_) => "push",
            Self::Create(_) => "create",
            Self::Delete(_) => "delete",
            Self::CommitComment(_) => "commit_comment",
            Self::Release(_) => "release",
            Self::CheckRun(_) => "check_run",
            Self::CheckSuite(_) => "check_suite",
            Self::WorkflowRun(_) => "workflow_run",
            Self::WorkflowJob(_) => "workflow_job",
            Self::WorkflowDispatch(_) => "workflow_dispatch",
            Self::Status(_) => "status",
            Self::Deployment(_) => "deployment",
            Self::DeploymentStatus(_) => "deployment_status",
            Self::DeploymentReview(_) => "deployment_review",
            Self::Repository(_) => "repository",
            Self::Fork(_) => "fork",
            Self::Public(_) => "public",
            Self::Star(_) => "star",
            Self::Watch(_) => "watch",
            Self::Label(_) => "label",
            Self::Milestone(_) => "milestone",
            Self::BranchProtectionRule(_) => "branch_protection_rule",
            Self::Gollum(_) => "gollum",
            Self::PageBuild(_) => "page_build",
            Self::RepositoryImport(_) => "repository_import",
            Self::Ping(_) => "ping",
            Self::Package(_) => "package",
            Self::RegistryPackage(_) => "registry_package",
            Self::Member(_) => "member",
            Self::Membership(_) => "membership",
            Self::Organization(_) => "organization",
            Self::OrgBlock(_) => "org_block",
            Self::Team(_) => "team",
            Self::TeamAdd(_) => "team_add",
            Self::Installation(_) => "installation",
            Self::InstallationRepositories(_) => "installation_repositories",
            Self::MarketplacePurchase(_) => "marketplace_purchase",
            Self::Sponsorship(_) => "sponsorship",
            Self::CodeScanningAlert(_) => "code_scanning_alert",
            Self::DependabotAlert(_) => "dependabot_alert",
            Self::RepositoryVulnerabilityAlert(_) => "repository_vulnerability_alert",
            Self::SecretScanningAlert(_) => "secret_scanning_alert",
            Self::SecurityAdvisory(_) => "security_advisory",
            Self::Discussion(_) => "discussion",
            Self::DiscussionComment(_) => "discussion_comment",
            Self::Project(_) => "project",
            Self::ProjectCard(_) => "project_card",
            Self::ProjectColumn(_) => "project_column",
            Self::ProjectsV2Item(_) => "projects_v2_item",
            Self::Other(name) => name,
        }
    }
}

/// `null` read as the type's default (GitHub sends `null` for an empty list or text
/// in places).
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
