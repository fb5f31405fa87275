//! `Principal`: who is calling (a signed-in person or an API token) with their roles,
//! and the checks handlers make against it. Built by the extractors in `extract`.
use std::collections::BTreeMap;

use super::role::{AccessDenied, Role};
use crate::domain::Actor;
use crate::domain::Visibility;

/// How the caller proved who they are.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// A browser session (cookie).
    Session {
        /// The session row's id (128 random bits, hex).
        session_id: String,
        /// The session's CSRF token, to put in forms (`csrf`) and htmx headers
        /// (`X-CSRF-Token`).
        csrf: String,
    },
    /// An API token created with `gantry token create`.
    ApiToken {
        /// The token row's id.
        token_id: i64,
        /// The most the token may do, whatever its user's role.
        scope: Role,
    },
    /// The bootstrap admin token from the `api.token` setting.
    Bootstrap,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Session { .. } => f.write_str("Session(***)"),
            Credential::ApiToken { token_id, scope } => write!(f, "ApiToken({token_id}, {scope})"),
            Credential::Bootstrap => f.write_str("Bootstrap"),
        }
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user's id (0 for the bootstrap token).
    pub user_id: i64,
    /// The user's login.
    pub login: String,
    /// Whether the user is an admin (before any token scope applies).
    pub admin: bool,
    /// The role the user has on every project, besides team grants.
    pub base_role: Option<Role>,
    /// Roles by lower-cased `owner/repo`, from the user's teams. A team's role
    /// counts as maintainer at most: admin is only ever the user's own flag.
    pub projects: BTreeMap<String, Role>,
    /// The GitHub login an admin linked to the account: only through it is the
    /// account the same person as that GitHub login.
    pub github_login: Option<String>,
    /// How they came in.
    pub via: Credential,
}

impl Principal {
    /// The role a token is capped at; `None` for sessions.
    fn cap(&self) -> Option<Role> {
        match &self.via {
            Credential::ApiToken { scope, .. } => Some(*scope),
            Credential::Session { .. } | Credential::Bootstrap => None,
        }
    }

    fn capped(&self, role: Option<Role>) -> Option<Role> {
        match (role, self.cap()) {
            (Some(r), Some(cap)) => Some(r.min(cap)),
            (r, _) => r,
        }
    }

    /// A team grant's role, capped at maintainer: a team's role applies to its
    /// repositories only, and admin (which is global) comes from the user alone.
    fn team_role(role: Role) -> Role {
        role.min(Role::Maintainer)
    }

    /// The caller's role on `project` (`owner/repo`, any case): admins are admins
    /// everywhere; otherwise the higher of the user's base role and their teams'
    /// grants (maintainer at most); a token's scope caps it.
    #[must_use]
    pub fn role_on(&self, project: &str) -> Option<Role> {
        if self.admin {
            return self.capped(Some(Role::Admin));
        }
        let granted = self
            .projects
            .get(&project.to_ascii_lowercase())
            .copied()
            .map(Self::team_role);
        self.capped(granted.max(self.base_role))
    }

    /// The highest role the caller has anywhere: admin only from the user's own
    /// admin flag, never from a team grant.
    #[must_use]
    pub fn highest_role(&self) -> Option<Role> {
        if self.admin {
            return self.capped(Some(Role::Admin));
        }
        let best = self.projects.values().copied().map(Self::team_role).max();
        self.capped(best.max(self.base_role))
    }

    /// Which projects' records the caller may read: every project for an admin, a
    /// user with a base role and the bootstrap token; otherwise only the projects
    /// their teams have a role on (lower-cased `owner/repo`, possibly none). Records
    /// that name no project (deliveries without a repository, audit rows of account
    /// changes) are then not shown.
    #[must_use]
    pub fn visible_projects(&self) -> Visibility {
        if self.admin || self.base_role.is_some() || self.via == Credential::Bootstrap {
            return Visibility::All;
        }
        Visibility::Only(
            self.projects
                .keys()
                .map(|p| p.to_ascii_lowercase())
                .collect(),
        )
    }

    /// Whether the caller may act as an admin (the admin flag, not capped by a
    /// token scope below admin).
    #[must_use]
    pub fn is_admin(&self) -> bool {
        self.highest_role() == Some(Role::Admin)
    }

    /// Checks that the caller has `need` on `project`; with no project, on at least
    /// one project (and `Admin` means the admin role itself).
    ///
    /// # Errors
    /// [`AccessDenied`] naming what was needed.
    pub fn require(&self, need: Role, project: Option<&str>) -> Result<(), AccessDenied> {
        let have = match (need, project) {
            (Role::Admin, None) => self.highest_role().filter(|r| *r == Role::Admin),
            (_, Some(p)) => self.role_on(p),
            (_, None) => self.highest_role(),
        };
        if have.is_some_and(|r| r >= need) {
            Ok(())
        } else {
            Err(AccessDenied {
                need,
                project: project.map(str::to_ascii_lowercase),
            })
        }
    }

    /// The CSRF token to embed in forms and htmx headers; `None` for token callers
    /// (they need none).
    #[must_use]
    pub fn csrf_token(&self) -> Option<&str> {
        match &self.via {
            Credential::Session { csrf, .. } => Some(csrf),
            Credential::ApiToken { .. } | Credential::Bootstrap => None,
        }
    }

    /// The session id, for a session caller.
    #[must_use]
    pub fn session_id(&self) -> Option<&str> {
        match &self.via {
            Credential::Session { session_id, .. } => Some(session_id),
            Credential::ApiToken { .. } | Credential::Bootstrap => None,
        }
    }

    /// Who this caller is in the audit log and among approvers: the user (kind
    /// `user`), their token (`login (token:ID)`, kind `api`), or the bootstrap token
    /// (`api-token`, kind `api`); with the linked GitHub login, if any.
    #[must_use]
    pub fn actor(&self) -> Actor {
        let github = self.github_login.as_deref();
        match &self.via {
            Credential::Session { .. } => Actor::user(&self.login, github),
            Credential::ApiToken { token_id, .. } => {
                Actor::api_token(&self.login, *token_id, github)
            }
            Credential::Bootstrap => Actor::bootstrap_token(),
        }
    }

    /// The name the audit log records for this caller (see [`Principal::actor`]).
    #[must_use]
    pub fn audit_actor(&self) -> String {
        self.actor().name().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(
        admin: bool,
        base: Option<Role>,
        projects: &[(&str, Role)],
        via: Credential,
    ) -> Principal {
        Principal {
            user_id: 1,
            login: "ada".into(),
            admin,
            base_role: base,
            projects: projects
                .iter()
                .map(|(p, r)| ((*p).to_owned(), *r))
                .collect(),
            github_login: None,
            via,
        }
    }

    fn session() -> Credential {
        Credential::Session {
            session_id: "s".into(),
            csrf: "c".into(),
        }
    }

    #[test]
    fn admins_are_admins_everywhere_and_others_have_their_teams_roles() {
        let admin = person(true, None, &[], session());
        assert_eq!(admin.role_on("any/thing"), Some(Role::Admin));
        assert!(admin.require(Role::Admin, None).is_ok());

        let m = person(false, None, &[("acme/app", Role::Maintainer)], session());
        assert_eq!(m.role_on("Acme/App"), Some(Role::Maintainer));
        assert_eq!(m.role_on("acme/other"), None);
        assert!(m.require(Role::Maintainer, None).is_ok());
        assert!(m.require(Role::Maintainer, Some("acme/other")).is_err());
        assert!(m.require(Role::Admin, None).is_err());
        assert!(m.require(Role::Admin, Some("acme/app")).is_err());
    }

    #[test]
    fn a_team_admin_grant_on_one_repository_is_not_global_admin() {
        let team_admin = person(false, None, &[("a/b", Role::Admin)], session());
        assert!(team_admin.require(Role::Admin, None).is_err());
        assert!(team_admin.require(Role::Admin, Some("a/b")).is_err());
        assert!(!team_admin.is_admin());
        assert_eq!(team_admin.role_on("a/b"), Some(Role::Maintainer));
        assert_eq!(team_admin.highest_role(), Some(Role::Maintainer));
        assert_eq!(team_admin.role_on("c/d"), None);
    }

    #[test]
    fn a_token_scope_caps_the_users_role() {
        let admin_token = person(
            true,
            None,
            &[],
            Credential::ApiToken {
                token_id: 3,
                scope: Role::Viewer,
            },
        );
        assert_eq!(admin_token.role_on("a/b"), Some(Role::Viewer));
        assert!(admin_token.require(Role::Maintainer, None).is_err());
        assert!(admin_token.require(Role::Viewer, None).is_ok());
        assert_eq!(admin_token.csrf_token(), None);
        assert_eq!(admin_token.audit_actor(), "ada (token:3)");
    }

    #[test]
    fn only_team_grants_narrow_what_a_caller_reads() {
        let team = person(false, None, &[("acme/one", Role::Viewer)], session());
        assert_eq!(
            team.visible_projects(),
            Visibility::Only(vec!["acme/one".to_owned()])
        );
        assert!(team.visible_projects().shows(Some("Acme/One")));
        assert!(!team.visible_projects().shows(Some("acme/two")));
        assert!(!team.visible_projects().shows(None));
        let base = person(
            false,
            Some(Role::Viewer),
            &[("acme/one", Role::Maintainer)],
            session(),
        );
        assert_eq!(base.visible_projects(), Visibility::All);
        assert_eq!(
            person(true, None, &[], session()).visible_projects(),
            Visibility::All
        );
        assert_eq!(
            person(false, None, &[], Credential::Bootstrap).visible_projects(),
            Visibility::All
        );
        assert_eq!(
            person(false, None, &[], session()).visible_projects(),
            Visibility::Only(Vec::new())
        );
    }

    #[test]
    fn a_base_role_applies_to_every_project() {
        let v = person(
            false,
            Some(Role::Viewer),
            &[("a/b", Role::Maintainer)],
            session(),
        );
        assert_eq!(v.role_on("x/y"), Some(Role::Viewer));
        assert_eq!(v.role_on("a/b"), Some(Role::Maintainer));
        assert_eq!(v.highest_role(), Some(Role::Maintainer));
        let nobody = person(false, None, &[], session());
        assert!(nobody.require(Role::Viewer, None).is_err());
    }
}
