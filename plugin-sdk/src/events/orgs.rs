//! Events about people, teams and organisations: `member` (a repository's
//! collaborators), `membership` (a team's members), `organization`, `org_block`,
//! `team` and `team_add`.
use serde::Deserialize;

use super::{Repository, User};

/// The `member` event: a collaborator was added to, removed from or changed on
/// the repository.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct MemberEvent {
    /// `added`, `edited` or `removed`.
    pub action: String,
    /// The collaborator.
    pub member: User,
    /// On `edited`: the permission before.
    #[serde(default)]
    pub changes: Option<serde_json::Value>,
    /// The repository.
    pub repository: Repository,
    /// Who did it.
    pub sender: User,
}

/// A team of an organisation.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Team {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Its slug, as used in mentions (`@org/slug`) and the API.
    #[serde(default)]
    pub slug: String,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// `closed` (visible to the organisation) or `secret`.
    #[serde(default)]
    pub privacy: String,
    /// Its default permission on repositories (`pull`, `push`, `admin`, ...).
    #[serde(default)]
    pub permission: String,
}

/// The `membership` event: someone joined or left a team.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct MembershipEvent {
    /// `added` or `removed`.
    pub action: String,
    /// `team`.
    #[serde(default)]
    pub scope: String,
    /// The person.
    pub member: User,
    /// The team.
    pub team: Team,
    /// The organisation.
    pub organization: User,
    /// Who did it.
    pub sender: User,
}

/// Someone's membership of an organisation.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct OrgMembership {
    /// `active` or `pending`.
    #[serde(default)]
    pub state: String,
    /// `admin` or `member`.
    #[serde(default)]
    pub role: String,
    /// The person.
    pub user: User,
}

/// An invitation to an organisation.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct OrgInvitation {
    /// Its id.
    pub id: u64,
    /// The login invited, when the invitation names an account.
    #[serde(default)]
    pub login: Option<String>,
    /// The e-mail address invited, when it names one.
    #[serde(default)]
    pub email: Option<String>,
    /// The role offered.
    #[serde(default)]
    pub role: String,
    /// Who invited them.
    #[serde(default)]
    pub inviter: Option<User>,
}

/// The `organization` event: members added, invited or removed, or the
/// organisation renamed or deleted.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct OrganizationEvent {
    /// `member_added`, `member_invited`, `member_removed`, `renamed` or `deleted`.
    pub action: String,
    /// On `member_added` and `member_removed`: the membership.
    #[serde(default)]
    pub membership: Option<OrgMembership>,
    /// On `member_invited`: the invitation.
    #[serde(default)]
    pub invitation: Option<OrgInvitation>,
    /// On `member_invited`: the person invited.
    #[serde(default)]
    pub user: Option<User>,
    /// On `renamed`: the login before.
    #[serde(default)]
    pub changes: Option<serde_json::Value>,
    /// The organisation.
    pub organization: User,
    /// Who did it.
    pub sender: User,
}

/// The `org_block` event: an organisation blocked or unblocked someone.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct OrgBlockEvent {
    /// `blocked` or `unblocked`.
    pub action: String,
    /// The person.
    pub blocked_user: User,
    /// The organisation.
    pub organization: User,
    /// Who did it.
    pub sender: User,
}

/// The `team` event: a team was created, edited or deleted, or given or denied
/// access to a repository.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct TeamEvent {
    /// `created`, `edited`, `deleted`, `added_to_repository` or
    /// `removed_from_repository`.
    pub action: String,
    /// The team.
    pub team: Team,
    /// The repository, on `added_to_repository` and `removed_from_repository`.
    #[serde(default)]
    pub repository: Option<Repository>,
    /// On `edited`: what it was before.
    #[serde(default)]
    pub changes: Option<serde_json::Value>,
    /// The organisation.
    pub organization: User,
    /// Who did it.
    pub sender: User,
}

/// The `team_add` event: a repository was added to a team.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct TeamAddEvent {
    /// The team.
    pub team: Team,
    /// The repository.
    pub repository: Repository,
    /// The organisation.
    #[serde(default)]
    pub organization: Option<User>,
    /// Who did it.
    pub sender: User,
}
