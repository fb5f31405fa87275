//! Where a plugin setting applies: one repository (`owner/name`) or every repository
//! (`*`). Names compare case-insensitively, as GitHub's do, so they are kept in lower
//! case.
use std::fmt;

/// The repositories a plugin setting applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Project {
    /// Every repository: the `*` row.
    All,
    /// One repository, `owner/name` in lower case.
    Repo(String),
}

impl Project {
    /// The stored form of [`Project::All`].
    pub const ALL: &'static str = "*";

    /// Parses `*` or `owner/name`.
    ///
    /// # Errors
    /// A message saying which form is expected.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw == Self::ALL {
            return Ok(Self::All);
        }
        let valid = |s: &str| {
            !s.is_empty()
                && s.len() <= 100
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        match raw.split_once('/') {
            Some((owner, name)) if valid(owner) && valid(name) => Ok(Self::Repo(raw.to_ascii_lowercase())),
            _ => Err(format!("`{raw}` is not a project: use OWNER/NAME for one repository or `*` for every repository")),
        }
    }

    /// The project of a repository.
    #[must_use]
    pub fn of_repo(repo: &super::RepoRef) -> Self {
        Self::Repo(repo.full_name().to_ascii_lowercase())
    }

    /// The stored form: `*` or `owner/name`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::All => Self::ALL,
            Self::Repo(name) => name,
        }
    }
}

impl fmt::Display for Project {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::All => f.write_str("every repository (*)"),
            Self::Repo(name) => f.write_str(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Project;

    #[test]
    fn projects_are_a_repository_in_lower_case_or_every_repository() {
        assert_eq!(Project::parse("*").unwrap(), Project::All);
        assert_eq!(
            Project::parse("Octo/Hello.World").unwrap().as_str(),
            "octo/hello.world"
        );
        for bad in ["", "octo", "a/b/c", "/x", "x/", "a b/c", "**"] {
            assert!(Project::parse(bad).is_err(), "{bad}");
        }
    }
}
