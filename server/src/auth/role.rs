//! `Role`: what a person may do, ordered Viewer < Maintainer < Admin, and
//! `AccessDenied`, the answer when a caller's role is too low.
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A role on a project (or, for `Admin`, everywhere).
///
/// - `Viewer`: reads.
/// - `Maintainer`: on their projects, decides approvals, edits project policy,
///   enables and configures plugins.
/// - `Admin`: everything: users, teams, plugins, global policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read-only.
    Viewer,
    /// Maintains projects.
    Maintainer,
    /// Administers the whole server.
    Admin,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Maintainer, Role::Admin];

    /// `viewer`, `maintainer` or `admin`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Maintainer => "maintainer",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no role.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown role {0:?}: expected viewer, maintainer or admin")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "viewer" => Ok(Role::Viewer),
            "maintainer" => Ok(Role::Maintainer),
            "admin" => Ok(Role::Admin),
            _ => Err(UnknownRole(s.to_owned())),
        }
    }
}

/// A caller whose role is too low for what they asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe(*.need, .project.as_deref()))]
pub struct AccessDenied {
    /// The role that was needed.
    pub need: Role,
    /// On which project, when one was concerned.
    pub project: Option<String>,
}

fn describe(need: Role, project: Option<&str>) -> String {
    match (need, project) {
        (Role::Admin, _) => "this needs the admin role".to_owned(),
        (need, Some(p)) => format!("this needs the {need} role on {p}"),
        (need, None) => format!("this needs the {need} role on at least one project"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_round_trip_through_strings() {
        assert!(Role::Viewer < Role::Maintainer && Role::Maintainer < Role::Admin);
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().ok(), Some(role));
        }
        assert!("owner".parse::<Role>().is_err());
    }
}
