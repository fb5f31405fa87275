//! [`Written`]: what a write did. A write the operator's policy holds for a
//! maintainer's approval is not an error: it runs exactly as asked once approved, and
//! the plugin hears how it ended in [`crate::Plugin::approval_resolved`]. Each WIT
//! `written*` variant converts into `Written<T>` with `T` what GitHub answered.
use std::fmt;

use crate::bindings::gantry::plugin::{github as wit, types};
pub use types::Held;

/// What a write did: done (with what GitHub answered) or held for approval.
#[derive(Debug, Clone, PartialEq)]
#[must_use = "a write may have been held for approval; say so or ignore it explicitly"]
pub enum Written<T> {
    /// It was done; what GitHub answered.
    Done(T),
    /// It waits for a maintainer's approval.
    Held(Held),
}

impl<T> Written<T> {
    /// What GitHub answered, when it was done.
    #[must_use]
    pub fn done(self) -> Option<T> {
        match self {
            Self::Done(value) => Some(value),
            Self::Held(_) => None,
        }
    }

    /// Whether it waits for approval.
    #[must_use]
    pub fn is_held(&self) -> bool {
        matches!(self, Self::Held(_))
    }

    /// The approval it waits for, when it was held.
    #[must_use]
    pub fn held(&self) -> Option<&Held> {
        match self {
            Self::Done(_) => None,
            Self::Held(held) => Some(held),
        }
    }

    /// Changes what was done, keeping a hold as it is.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Written<U> {
        match self {
            Self::Done(value) => Written::Done(f(value)),
            Self::Held(held) => Written::Held(held),
        }
    }
}

impl fmt::Display for Held {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "held for approval {} ({})",
            self.approval_id, self.capability
        )
    }
}

impl From<types::Written> for Written<()> {
    fn from(written: types::Written) -> Self {
        match written {
            types::Written::Done => Self::Done(()),
            types::Written::Held(held) => Self::Held(held),
        }
    }
}

/// One `From` per WIT `written*` variant that answers a value.
macro_rules! from_written {
    ($wit:ty => $t:ty) => {
        impl From<$wit> for Written<$t> {
            fn from(written: $wit) -> Self {
                type W = $wit;
                match written {
                    W::Done(value) => Self::Done(value),
                    W::Held(held) => Self::Held(held),
                }
            }
        }
    };
}

from_written!(types::WrittenId => u64);
from_written!(types::WrittenNames => Vec<String>);
from_written!(types::WrittenSha => String);
from_written!(wit::WrittenIssue => wit::Issue);
from_written!(wit::WrittenPullRequest => wit::PullRequest);
from_written!(wit::WrittenRelease => wit::Release);

#[cfg(test)]
mod tests {
    use super::*;

    fn held() -> Held {
        Held {
            approval_id: "apr_1".into(),
            capability: "contents:write".into(),
        }
    }

    #[test]
    fn every_written_variant_converts_done_and_held() {
        let done: Written<u64> = types::WrittenId::Done(7).into();
        assert_eq!(done.clone().done(), Some(7));
        assert!(!done.is_held() && done.held().is_none());
        let waiting: Written<String> = types::WrittenSha::Held(held()).into();
        assert!(waiting.is_held());
        assert_eq!(waiting.held(), Some(&held()));
        assert_eq!(waiting.clone().done(), None);
        let unit: Written<()> = types::Written::Done.into();
        assert_eq!(unit, Written::Done(()));
        let names: Written<Vec<String>> = types::WrittenNames::Done(vec!["bug".into()]).into();
        assert_eq!(names.map(|n| n.len()), Written::Done(1));
        assert_eq!(
            held().to_string(),
            "held for approval apr_1 (contents:write)"
        );
    }
}
