//! Events about project boards: the classic `project`, `project_card` and
//! `project_column`, and `projects_v2_item` (an item of a new project).
use serde::Deserialize;

use super::{Repository, User};

/// A classic project board.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Project {
    /// Its id.
    pub id: u64,
    /// Its number.
    pub number: u64,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its description.
    #[serde(default)]
    pub body: Option<String>,
    /// `open` or `closed`.
    #[serde(default)]
    pub state: String,
    /// Who made it.
    #[serde(default)]
    pub creator: Option<User>,
    /// Its page on GitHub.
    #[serde(default)]
    pub html_url: String,
}

/// The `project` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ProjectEvent {
    /// `created`, `edited`, `closed`, `reopened` or `deleted`.
    pub action: String,
    /// The project.
    pub project: Project,
    /// On `edited`: what it was before.
    #[serde(default)]
    pub changes: Option<serde_json::Value>,
    /// The repository, for a repository's project.
    #[serde(default)]
    pub repository: Option<Repository>,
    /// Who did it.
    pub sender: User,
}

/// A card on a classic project board.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct ProjectCard {
    /// Its id.
    pub id: u64,
    /// The column it is in.
    pub column_id: u64,
    /// Its note, for a card that is a note.
    #[serde(default)]
    pub note: Option<String>,
    /// Whether it is archived.
    #[serde(default)]
    pub archived: bool,
    /// The issue or pull request it shows (API address), for a card that does.
    #[serde(default)]
    pub content_url: Option<String>,
    /// Who made it.
    #[serde(default)]
    pub creator: Option<User>,
}

/// The `project_card` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ProjectCardEvent {
    /// `created`, `edited`, `moved`, `converted` or `deleted`.
    pub action: String,
    /// The card.
    pub project_card: ProjectCard,
    /// On `edited` and `moved`: what it was before.
    #[serde(default)]
    pub changes: Option<serde_json::Value>,
    /// The repository, for a repository's project.
    #[serde(default)]
    pub repository: Option<Repository>,
    /// Who did it.
    pub sender: User,
}

/// A column of a classic project board.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct ProjectColumn {
    /// Its id.
    pub id: u64,
    /// Its name.
    #[serde(default)]
    pub name: String,
}

/// The `project_column` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ProjectColumnEvent {
    /// `created`, `edited`, `moved` or `deleted`.
    pub action: String,
    /// The column.
    pub project_column: ProjectColumn,
    /// On `edited`: what it was before.
    #[serde(default)]
    pub changes: Option<serde_json::Value>,
    /// The repository, for a repository's project.
    #[serde(default)]
    pub repository: Option<Repository>,
    /// Who did it.
    pub sender: User,
}

/// An item of a project (an issue, a pull request or a draft issue).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct ProjectsV2Item {
    /// Its id.
    pub id: u64,
    /// Its GraphQL id.
    #[serde(default)]
    pub node_id: String,
    /// The project's GraphQL id.
    #[serde(default)]
    pub project_node_id: String,
    /// The GraphQL id of the issue, pull request or draft it shows.
    #[serde(default)]
    pub content_node_id: String,
    /// `Issue`, `PullRequest` or `DraftIssue`.
    #[serde(default)]
    pub content_type: String,
    /// Who added it.
    #[serde(default)]
    pub creator: Option<User>,
    /// When it was archived, if it is.
    #[serde(default)]
    pub archived_at: Option<String>,
}

/// The `projects_v2_item` event.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ProjectsV2ItemEvent {
    /// `created`, `edited`, `archived`, `restored`, `converted`, `reordered` or
    /// `deleted`.
    pub action: String,
    /// The item.
    pub projects_v2_item: ProjectsV2Item,
    /// On `edited`, `archived` and others: what changed.
    #[serde(default)]
    pub changes: Option<serde_json::Value>,
    /// The organisation that owns the project.
    #[serde(default)]
    pub organization: Option<User>,
    /// Who did it.
    pub sender: User,
}
