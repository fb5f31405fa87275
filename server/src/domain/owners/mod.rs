//! Who owns a repository's files, from its ownership files: GitHub's `CODEOWNERS`
//! (`codeowners`, patterns in `glob`) and Prow's `OWNERS`/`OWNERS_ALIASES`
//! (`prow`). A file under some `OWNERS` file is decided by Prow's files (approvers
//! and reviewers); otherwise by `CODEOWNERS`, whose owners count as both. Pure:
//! the texts are read elsewhere (`wasm_host`, from the default branch only).
pub mod codeowners;
pub mod glob;
pub mod prow;

use std::collections::BTreeMap;

/// The ownership files of a repository, as read.
#[derive(Debug, Clone, Default)]
pub struct Ownership {
    /// The `CODEOWNERS` found first (its path and contents).
    codeowners: Option<(String, codeowners::CodeOwners)>,
    /// Parsed `OWNERS` files by directory (`""`: the root).
    owners: BTreeMap<String, prow::OwnersFile>,
    aliases: prow::Aliases,
    /// Files that could not be read as what they are, with why (skipped).
    pub errors: Vec<String>,
}

/// The owners of one path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathOwners {
    /// Who may approve it (logins in lower case; `org/team`, emails as written).
    pub approvers: Vec<String>,
    /// Who reviews it.
    pub reviewers: Vec<String>,
    /// The files that decided it, nearest first (`CODEOWNERS` as `path:line`);
    /// empty when no file does.
    pub sources: Vec<String>,
}

impl Ownership {
    /// Builds from the texts read: `codeowners` the first of
    /// [`codeowners::LOCATIONS`] found, `owners` the `OWNERS` files by directory,
    /// `aliases` the root's `OWNERS_ALIASES`. A file that does not parse is left
    /// out and noted in `errors`; a `CODEOWNERS` line GitHub would skip is too.
    #[must_use]
    pub fn from_texts(
        codeowners: Option<(&str, &str)>,
        owners: &BTreeMap<String, String>,
        aliases: Option<&str>,
    ) -> Ownership {
        let mut out = Ownership::default();
        if let Some((path, text)) = codeowners {
            let parsed = codeowners::parse(text);
            for error in &parsed.errors {
                out.errors
                    .push(format!("{path}:{}: {}", error.line, error.message));
            }
            out.codeowners = Some((path.to_owned(), parsed));
        }
        if let Some(text) = aliases {
            match prow::parse_aliases(text) {
                Ok(aliases) => out.aliases = aliases,
                Err(e) => out.errors.push(format!("{}: {e}", prow::ALIASES)),
            }
        }
        for (dir, text) in owners {
            match prow::parse_owners(text) {
                Ok(file) => {
                    out.owners.insert(dir.clone(), file);
                }
                Err(e) => out.errors.push(format!("{}: {e}", prow::owners_path(dir))),
            }
        }
        out
    }

    /// Whether any ownership file was read.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.codeowners.is_none() && self.owners.is_empty()
    }

    /// The owners of `path` (from the repository's root).
    #[must_use]
    pub fn of(&self, path: &str) -> PathOwners {
        let path = path.trim_start_matches('/');
        let (people, sources) = prow::people_of(&self.owners, &self.aliases, path);
        if !sources.is_empty() {
            return PathOwners {
                approvers: people.approvers,
                reviewers: people.reviewers,
                sources,
            };
        }
        let Some((file, parsed)) = &self.codeowners else {
            return PathOwners::default();
        };
        match parsed.decide(path) {
            Some(decision) => {
                let names: Vec<String> = decision
                    .owners
                    .iter()
                    .map(|o| match o {
                        codeowners::Owner::User(login) => login.to_ascii_lowercase(),
                        other => other.name().to_owned(),
                    })
                    .collect();
                PathOwners {
                    approvers: names.clone(),
                    reviewers: names,
                    sources: vec![format!("{file}:{}", decision.line)],
                }
            }
            None => PathOwners::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::Ownership;

    #[test]
    fn owners_files_decide_under_them_and_codeowners_elsewhere_counting_as_both() {
        let owners = BTreeMap::from([("prow".to_owned(), "approvers: [Alice]\n".to_owned())]);
        let o = Ownership::from_texts(Some((".github/CODEOWNERS", "* @Octocat\n")), &owners, None);
        let prow = o.of("prow/x.go");
        assert_eq!(prow.approvers, vec!["alice"]);
        assert!(prow.reviewers.is_empty());
        assert_eq!(prow.sources, vec!["prow/OWNERS"]);
        let gh = o.of("src/x.go");
        assert_eq!(gh.approvers, vec!["octocat"]);
        assert_eq!(gh.reviewers, vec!["octocat"]);
        assert_eq!(gh.sources, vec![".github/CODEOWNERS:1"]);
    }

    #[test]
    fn no_files_means_no_owners_and_a_broken_file_is_noted_and_skipped() {
        let none = Ownership::from_texts(None, &BTreeMap::new(), None);
        assert!(none.is_empty());
        assert_eq!(none.of("a/b"), super::PathOwners::default());
        let owners = BTreeMap::from([(String::new(), "approvers: [a\n".to_owned())]);
        let broken = Ownership::from_texts(None, &owners, Some("aliases: 3\n"));
        assert!(broken.is_empty());
        assert_eq!(broken.errors.len(), 2);
        assert!(broken.errors.iter().any(|e| e.starts_with("OWNERS: ")));
    }
}
