//! Where a webhook secret applies: everywhere, one organisation, or one repository.
//! Written `global`, `org:NAME` or `repo:OWNER/NAME`; names compare case-insensitively,
//! as GitHub's do.
use std::fmt;

/// The scope of a webhook secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SecretScope {
    /// Every delivery.
    Global,
    /// Deliveries for one organisation (or user account) and its repositories.
    Org(String),
    /// Deliveries for one repository, `owner/name`.
    Repo(String),
}

impl SecretScope {
    /// Parses `global`, `org:NAME` or `repo:OWNER/NAME`.
    ///
    /// # Errors
    /// A message saying what form is expected.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let valid = |s: &str| {
            !s.is_empty()
                && s.len() <= 100
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        match raw.split_once(':') {
            None if raw == "global" => Ok(Self::Global),
            Some(("org", name)) if valid(name) => Ok(Self::Org(name.to_ascii_lowercase())),
            Some(("repo", full)) => match full.split_once('/') {
                Some((owner, name)) if valid(owner) && valid(name) => {
                    Ok(Self::Repo(full.to_ascii_lowercase()))
                }
                _ => Err(format!("`{raw}`: a repository scope is repo:OWNER/NAME")),
            },
            _ => Err(format!(
                "`{raw}`: a scope is global, org:NAME or repo:OWNER/NAME"
            )),
        }
    }

    /// The stored kind: `global`, `org` or `repo`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::Org(_) => "org",
            Self::Repo(_) => "repo",
        }
    }

    /// The stored name (empty for global).
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::Global => "",
            Self::Org(n) | Self::Repo(n) => n,
        }
    }

    /// Rebuilds a scope from its stored kind and name.
    #[must_use]
    pub fn from_stored(kind: &str, name: &str) -> Option<Self> {
        match kind {
            "global" => Some(Self::Global),
            "org" => Some(Self::Org(name.to_owned())),
            "repo" => Some(Self::Repo(name.to_owned())),
            _ => None,
        }
    }
}

impl fmt::Display for SecretScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Global => f.write_str("global"),
            Self::Org(n) => write!(f, "org:{n}"),
            Self::Repo(n) => write!(f, "repo:{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SecretScope;

    #[test]
    fn scopes_parse_lower_case_and_print_back() {
        assert_eq!(SecretScope::parse("global").unwrap(), SecretScope::Global);
        assert_eq!(
            SecretScope::parse("org:Octo-Org").unwrap(),
            SecretScope::Org("octo-org".into())
        );
        assert_eq!(
            SecretScope::parse("repo:Octo/Hello.World")
                .unwrap()
                .to_string(),
            "repo:octo/hello.world"
        );
        for bad in ["", "org:", "repo:nope", "repo:a/b/c", "team:x", "org:a b"] {
            assert!(SecretScope::parse(bad).is_err(), "{bad}");
        }
    }
}
