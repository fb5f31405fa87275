//! [`Level`]: a repository permission that compares by strength (`Level::Write <
//! Level::Admin`), reads from configuration as GitHub's role names (`"write"`), and
//! converts from the WIT [`Permission`] a command or `github::get_permission`
//! gives. The WIT enum lists permissions strongest first and has no order of its own;
//! plugins that ask "at least write?" use this instead.
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Permission;

/// A repository permission, weakest first so that `<` compares strength.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// No access.
    None,
    /// Reads and comments.
    Read,
    /// Manages issues and pull requests.
    Triage,
    /// Pushes.
    Write,
    /// Manages the repository.
    Maintain,
    /// Everything.
    Admin,
}

impl Level {
    /// Every level, weakest first.
    pub const ALL: [Self; 6] = [
        Self::None,
        Self::Read,
        Self::Triage,
        Self::Write,
        Self::Maintain,
        Self::Admin,
    ];

    /// GitHub's name for it (`none` for no access).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Read => "read",
            Self::Triage => "triage",
            Self::Write => "write",
            Self::Maintain => "maintain",
            Self::Admin => "admin",
        }
    }
}

impl From<Permission> for Level {
    fn from(permission: Permission) -> Self {
        match permission {
            Permission::Admin => Self::Admin,
            Permission::Maintain => Self::Maintain,
            Permission::Write => Self::Write,
            Permission::Triage => Self::Triage,
            Permission::Read => Self::Read,
            Permission::None => Self::None,
        }
    }
}

impl FromStr for Level {
    type Err = String;

    /// GitHub's role names, and the legacy `pull` and `push`.
    fn from_str(name: &str) -> Result<Self, String> {
        match name {
            "pull" => Ok(Self::Read),
            "push" => Ok(Self::Write),
            _ => Self::ALL
                .into_iter()
                .find(|l| l.as_str() == name)
                .ok_or_else(|| format!("`{name}` is not a repository permission")),
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_compare_by_strength_and_read_their_names() {
        assert!(
            Level::None < Level::Read
                && Level::Write < Level::Maintain
                && Level::Maintain < Level::Admin
        );
        assert_eq!(Level::from(Permission::Triage), Level::Triage);
        assert_eq!("push".parse::<Level>(), Ok(Level::Write));
        for level in Level::ALL {
            assert_eq!(level.as_str().parse::<Level>(), Ok(level));
        }
        assert!("owner".parse::<Level>().is_err());
        let parsed: Level = serde_json::from_str("\"maintain\"").expect("a level");
        assert_eq!(parsed, Level::Maintain);
    }
}
