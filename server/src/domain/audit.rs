//! Who does what, as the audit log records it: one [`Actor`] (built from a signed-in
//! person, an API token, the command line, a GitHub login, a plugin or Gantry itself)
//! with its [`ActorKind`], and the [`AuditAction`]s Gantry writes. Stored as strings
//! (`as_str`); read back with `FromStr`.
use serde::Serialize;

use super::vocabulary::string_enum;

string_enum! {
    /// What kind of actor did something.
    pub enum ActorKind ("actor kind") {
        /// A person signed in to the dashboard.
        User => "user",
        /// An API token (a user's, or the bootstrap `api.token`).
        Api => "api",
        /// An operator at the `gantry` command line on the server.
        Cli => "cli",
        /// A GitHub account (a commenter, a sender of an event), by its login.
        Github => "github",
        /// A plugin, by its name.
        Plugin => "plugin",
        /// Gantry itself (expiry, automatic disabling, seeding).
        System => "system",
    }
}

/// Someone or something that acts through Gantry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    kind: ActorKind,
    name: String,
    /// The dashboard account, for users and their API tokens.
    login: Option<String>,
    /// The GitHub login this actor is: a GitHub actor's own, or the one an admin
    /// linked to a dashboard account.
    github: Option<String>,
}

impl Actor {
    /// The most characters of a name the audit log keeps.
    pub const MAX_NAME: usize = 128;

    /// An operator at the command line.
    #[must_use]
    pub fn cli() -> Self {
        Self::named(ActorKind::Cli, "cli")
    }

    /// Gantry itself.
    #[must_use]
    pub fn system() -> Self {
        Self::named(ActorKind::System, "gantry")
    }

    /// A plugin.
    #[must_use]
    pub fn plugin(name: &str) -> Self {
        Self::named(ActorKind::Plugin, name)
    }

    /// A GitHub account, by login.
    #[must_use]
    pub fn github(login: &str) -> Self {
        Self {
            github: Some(login.to_owned()),
            ..Self::named(ActorKind::Github, login)
        }
    }

    /// A person signed in to the dashboard; `github` is the GitHub login an admin
    /// linked to the account, if any.
    #[must_use]
    pub fn user(login: &str, github: Option<&str>) -> Self {
        Self {
            kind: ActorKind::User,
            name: login.to_owned(),
            login: Some(login.to_owned()),
            github: github.map(str::to_owned),
        }
    }

    /// A user's API token.
    #[must_use]
    pub fn api_token(login: &str, token_id: i64, github: Option<&str>) -> Self {
        Self {
            kind: ActorKind::Api,
            name: format!("{login} (token:{token_id})"),
            login: Some(login.to_owned()),
            github: github.map(str::to_owned),
        }
    }

    /// The bootstrap token from the `api.token` setting (no person behind it).
    #[must_use]
    pub fn bootstrap_token() -> Self {
        Self::named(ActorKind::Api, "api-token")
    }

    fn named(kind: ActorKind, name: &str) -> Self {
        Self {
            kind,
            name: name.to_owned(),
            login: None,
            github: None,
        }
    }

    /// The kind.
    #[must_use]
    pub fn kind(&self) -> ActorKind {
        self.kind
    }

    /// The name recorded: a login, `login (token:ID)`, a plugin's name, `cli`,
    /// `api-token` or `gantry`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The GitHub login this actor is, when known.
    #[must_use]
    pub fn github_login(&self) -> Option<&str> {
        self.github.as_deref()
    }

    /// Who is behind the actor, for telling people apart (separation of duties,
    /// distinct approvers): `github:LOGIN` for a GitHub account and for a dashboard
    /// account linked to one (they are the same person), `user:LOGIN` for an
    /// unlinked account and its tokens, otherwise `KIND:NAME`. Lower case.
    #[must_use]
    pub fn person(&self) -> String {
        let key = match (&self.github, &self.login) {
            (Some(github), _) => format!("github:{github}"),
            (None, Some(login)) => format!("user:{login}"),
            (None, None) => format!("{}:{}", self.kind, self.name),
        };
        key.to_ascii_lowercase()
    }

    /// Whether this is a GitHub bot account (`type: Bot`, or a login ending in
    /// `[bot]`), judged by the login.
    #[must_use]
    pub fn is_bot(&self) -> bool {
        self.github
            .as_deref()
            .is_some_and(|g| g.to_ascii_lowercase().ends_with("[bot]"))
    }
}

string_enum! {
    /// What an audit row records.
    pub enum AuditAction ("audit action") {
        /// A policy decision on one capability.
        PolicyDecision => "policy.decision",
        /// A policy rule was added.
        PolicyCreated => "policy.created",
        /// A policy rule was removed.
        PolicyDeleted => "policy.deleted",
        /// A write was held for approval.
        ApprovalRequested => "approval.requested",
        /// Someone approved a held write (one row per approver).
        ApprovalApproved => "approval.approved",
        /// Someone denied a held write.
        ApprovalDenied => "approval.denied",
        /// Nobody decided a held write in time.
        ApprovalExpired => "approval.expired",
        /// A write could not be held (too large to store).
        ApprovalRefused => "approval.refused",
        /// A push to the pull request ended a held write.
        ApprovalSuperseded => "approval.superseded",
        /// The policy in force when an approved write was to run refused it.
        ApprovalStopped => "approval.stopped",
        /// Someone approved a failed write again (one row per attempt).
        ApprovalRetried => "approval.retried",
        /// An approved write whose run never finished was marked failed.
        ApprovalAbandoned => "approval.abandoned",
        /// A held write ran (its outcome says how).
        ActionExecuted => "action.executed",
        /// A plugin was installed.
        PluginInstalled => "plugin.installed",
        /// A plugin was upgraded.
        PluginUpgraded => "plugin.upgraded",
        /// A plugin was removed.
        PluginRemoved => "plugin.removed",
        /// A plugin was switched on (globally or for a project).
        PluginEnabled => "plugin.enabled",
        /// A plugin was switched off (by someone, or after crashing).
        PluginDisabled => "plugin.disabled",
        /// A plugin's configuration for a project changed.
        PluginConfigured => "plugin.configured",
        /// A comment command was refused (the commenter's permission was too low).
        CommandRefused => "command.refused",
        /// A hook blocked a plugin run.
        HookBlocked => "hook.blocked",
        /// A stored delivery was replayed.
        DeliveryReplayed => "delivery.replayed",
        /// A delivery's unfinished job was cancelled (job control).
        JobCancelled => "job.cancelled",
        /// A plugin's model call was refused by a model budget (issue 22).
        ModelBudgetRefused => "model.budget_refused",
        /// The recovery sweep asked GitHub to redeliver a delivery Gantry never stored.
        DeliveryRedeliveryRequested => "delivery.redelivery_requested",
        /// Gantry checked a pull request's `.github/gantry.yml` and posted the
        /// `gantry/config` check run on its head commit.
        RepoConfigChecked => "repo_config.checked",
        /// Gantry proposed a `.github/gantry.yml` in an onboarding pull request to a
        /// repository added to an installation (or held it for approval, or the
        /// policy refused it, or GitHub failed: the outcome says).
        RepoConfigOnboarding => "repo_config.onboarding",
        /// A GitHub App was registered from its manifest and stored.
        AppRegistered => "app.registered",
        /// A webhook secret was stored.
        SecretAdded => "secret.added",
        /// A webhook secret was removed.
        SecretRemoved => "secret.removed",
        /// A plugin secret was stored.
        PluginSecretSet => "plugin_secret.set",
        /// A stored plugin secret was bound to a plugin, hosts and headers.
        PluginSecretBound => "plugin_secret.bound",
        /// A plugin secret was removed.
        PluginSecretRemoved => "plugin_secret.removed",
        /// Someone signed in.
        Login => "auth.login",
        /// A sign-in failed.
        LoginFailed => "auth.login_failed",
        /// Someone signed out.
        Logout => "auth.logout",
        /// A user was created.
        UserCreated => "user.created",
        /// A user's password was set.
        UserPasswordChanged => "user.password_changed",
        /// A user's role changed.
        UserRoleChanged => "user.role_changed",
        /// A user was disabled.
        UserDisabled => "user.disabled",
        /// A user was enabled again.
        UserEnabled => "user.enabled",
        /// A user's sessions were ended.
        UserSessionsEnded => "user.sessions_ended",
        /// A user was linked to a GitHub login (or unlinked).
        UserGithubLinked => "user.github_linked",
        /// A team was created.
        TeamCreated => "team.created",
        /// A user joined a team.
        TeamMemberAdded => "team.member_added",
        /// A user left a team.
        TeamMemberRemoved => "team.member_removed",
        /// A team's role on a project changed.
        TeamGranted => "team.granted",
        /// An API token was created.
        TokenCreated => "token.created",
        /// An API token was revoked.
        TokenRevoked => "token.revoked",
        /// The App was installed.
        InstallationCreated => "installation.created",
        /// The App's installation accepted new permissions.
        InstallationNewPermissionsAccepted => "installation.new_permissions_accepted",
        /// The App's installation was suspended.
        InstallationSuspend => "installation.suspend",
        /// The App's installation was unsuspended.
        InstallationUnsuspend => "installation.unsuspend",
        /// The App was uninstalled.
        InstallationDeleted => "installation.deleted",
        /// Repositories were added to an installation.
        InstallationRepositoriesAdded => "installation_repositories.added",
        /// Repositories were removed from an installation.
        InstallationRepositoriesRemoved => "installation_repositories.removed",
        /// Any other change GitHub reported to an installation.
        InstallationChanged => "installation.changed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_and_kind_reads_back_from_its_stored_form() {
        for action in AuditAction::ALL {
            assert_eq!(action.as_str().parse::<AuditAction>(), Ok(*action));
        }
        for kind in ActorKind::ALL {
            assert_eq!(kind.as_str().parse::<ActorKind>(), Ok(*kind));
        }
        assert!("approval.aproved".parse::<AuditAction>().is_err());
    }

    #[test]
    fn a_linked_account_is_the_same_person_as_its_github_login() {
        let linked = Actor::user("ada", Some("Ada-GH"));
        assert_eq!(linked.person(), Actor::github("ada-gh").person());
        assert_eq!(
            Actor::api_token("ada", 3, Some("ada-gh")).person(),
            linked.person()
        );
        assert_ne!(
            Actor::user("ada", None).person(),
            Actor::github("ada").person()
        );
        assert_eq!(
            Actor::user("ada", None).person(),
            Actor::api_token("ada", 9, None).person()
        );
        assert!(Actor::github("renovate[bot]").is_bot());
        assert!(!Actor::user("bot[bot]", None).is_bot());
    }
}
