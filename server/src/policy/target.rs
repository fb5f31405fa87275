//! What a write changes, as branch conditions see it: the refs it writes (a push's
//! refspec destinations, `put-file`'s branch, the ref of `create-ref` and
//! `update-ref`, a release's `target_commitish`, a workflow dispatch's ref), nothing
//! (a comment, a label, a check run, a read), or refs Gantry could not name, for
//! which a deny or ask with a branch condition applies (fail closed).
use serde::{Deserialize, Serialize};

/// The refs a write changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "refs")]
pub enum Target {
    /// The write changes no ref: comments, labels, check runs, reads.
    #[default]
    Nothing,
    /// The full refs it writes (`refs/heads/main`, `refs/tags/v1.0.0`).
    Refs(Vec<String>),
    /// It writes a ref that could not be named (a release published without a
    /// known target, a file put on the default branch of an event that does not
    /// say which that is).
    Unknown,
}

impl Target {
    /// A write to the ref `raw`, as plugins and GitHub's API spell refs: `refs/…` as
    /// it is, `heads/NAME` and `tags/NAME` below `refs/`, a commit SHA as no ref,
    /// any other name as a branch.
    #[must_use]
    pub fn of_ref(raw: &str) -> Self {
        Self::refs([raw])
    }

    /// A write to each of `raw` (see [`Target::of_ref`]).
    #[must_use]
    pub fn refs<'a>(raw: impl IntoIterator<Item = &'a str>) -> Self {
        Self::Refs(raw.into_iter().filter_map(full_ref).collect())
    }

    /// The branches the write changes, short names (`main`, `release/1.0`); `None`
    /// when they are not known.
    #[must_use]
    pub fn branches(&self) -> Option<Vec<&str>> {
        match self {
            Self::Nothing => Some(Vec::new()),
            Self::Refs(refs) => Some(
                refs.iter()
                    .filter_map(|r| r.strip_prefix("refs/heads/"))
                    .collect(),
            ),
            Self::Unknown => None,
        }
    }
}

/// The full name of a ref as written by a plugin; `None` for a commit SHA or an
/// empty name.
fn full_ref(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || (raw.len() == 40 && raw.bytes().all(|b| b.is_ascii_hexdigit())) {
        return None;
    }
    Some(if raw.starts_with("refs/") {
        raw.to_owned()
    } else if raw.starts_with("heads/") || raw.starts_with("tags/") {
        format!("refs/{raw}")
    } else {
        format!("refs/heads/{raw}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_are_named_in_full_whichever_way_a_plugin_spells_them() {
        let t = Target::refs([
            "main",
            "heads/dev",
            "refs/heads/release/1.0",
            "tags/v1",
            "refs/tags/v2",
            "0123456789abcdef0123456789abcdef01234567",
        ]);
        assert_eq!(
            t,
            Target::Refs(vec![
                "refs/heads/main".into(),
                "refs/heads/dev".into(),
                "refs/heads/release/1.0".into(),
                "refs/tags/v1".into(),
                "refs/tags/v2".into(),
            ])
        );
        assert_eq!(t.branches().unwrap(), ["main", "dev", "release/1.0"]);
        assert_eq!(Target::Nothing.branches().unwrap(), Vec::<&str>::new());
        assert!(Target::Unknown.branches().is_none());
    }
}
